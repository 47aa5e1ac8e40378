//! `vendor-sandbox webhooks check`: tests a user's webhook receiver against the attacks it must
//! refuse. One correctly signed delivery of a real event body, then deliveries whose body,
//! secret, timestamp, signature header or serialization is wrong, each signed with the vendor's
//! own scheme (`vendors::webhook_headers`, `timestamped_signature`, `hmac_sha256_hex`), sent one
//! after the other through the webhook client. docs/webhook-check.md lists every case and the
//! vendor rule it comes from.
//!
//! [`cases_at`] is pure (time and seed in, cases out); [`run`] does the I/O; [`check`] is both,
//! and is what the CLI (and the admin API) call.

mod bodies;
mod report;

use std::time::Duration;

use hyper::body::Bytes;
use serde::Serialize;
use serde_json::Value;

use crate::clock::{Millis, real_now_ms};
use crate::ids::IdGen;
use crate::vendors::{Vendor, hmac_sha256_hex, timestamped_signature, webhook_headers};
use crate::webhooks::AttemptInfo;
use bodies::{KeyOrder, Layout};

pub use bodies::{default_event, events};
pub use report::{Outcome, Report, Summary};

/// How old (or new) a `t=` may be. Neither Persona nor Coinflow documents one (vendors.md 1.7,
/// 2.6; specs/coinflow-webhooks.yml): 300 s is Stripe's default for the same scheme (choice).
pub const TOLERANCE_SECS: i64 = 300;

/// How far outside the tolerance the timestamp cases put `t=`: well clear of it, so a receiver
/// with a somewhat longer tolerance is not flagged (choice).
pub const OUTSIDE_SECS: i64 = 3 * TOLERANCE_SECS;
const _: () = assert!(OUTSIDE_SECS > TOLERANCE_SECS);

/// Each delivery's time limit: Coinflow's per-attempt timeout (vendors.md 2.6), used for all.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// A 2xx answer.
    Accept,
    /// Any other answer.
    Refuse,
}

/// One delivery to send.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: &'static str,
    pub rule: String,
    pub expect: Expect,
    pub required: bool,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The earlier case this one sends again byte for byte: refusing the repeat shows
    /// something only when that one was accepted.
    pub repeats: Option<&'static str>,
}

/// The header that carries the signature.
fn signature_header(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Persona => "Persona-Signature",
        Vendor::Coinflow => "Coinflow-Signature",
        Vendor::Bitmama => "X-Webhook-Signature",
    }
}

/// The cases for `vendor` with real time and a random seed. `event` defaults to
/// [`default_event`]; an event the vendor does not send is an error naming the ones it does.
pub fn cases(vendor: Vendor, secret: &str, event: Option<&str>) -> Result<Vec<Case>, String> {
    let event = resolve_event(vendor, event)?;
    Ok(cases_at(
        vendor,
        secret,
        event,
        real_now_ms(),
        rand::random(),
    ))
}

fn resolve_event(vendor: Vendor, event: Option<&str>) -> Result<&'static str, String> {
    let known = events(vendor);
    match event {
        None => Ok(default_event(vendor)),
        Some(name) => known.iter().copied().find(|e| *e == name).ok_or_else(|| {
            format!(
                "{vendor} sends no event {name:?}; choose one of: {}",
                known.join(", ")
            )
        }),
    }
}

/// The cases, in the order they are sent. `seed` picks the ids in the bodies; every case has a
/// body of its own (fresh event id, time) except `replay`, so a receiver that de-duplicates by
/// event id refuses only the replay.
pub fn cases_at(vendor: Vendor, secret: &str, event: &str, now_ms: Millis, seed: u64) -> Vec<Case> {
    let mut ids = IdGen::new(seed, "webhooks-check");
    let mut offset = 0;
    let mut fresh = || {
        // A millisecond apart: distinct `created`/`timestamp` fields for bodies without an id.
        offset += 1;
        bodies::body(vendor, event, now_ms - 1_000 + offset, &mut ids)
    };
    let now = now_ms.div_euclid(1000);
    let timestamped = vendor != Vendor::Bitmama;
    let other_secret = format!("not-{secret}");
    let sign = |secrets: &[&str], t: i64, body: &[u8]| {
        let secrets: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        let attempt = AttemptInfo {
            number: 1,
            max_attempts: 8,
            now_unix: t,
            first_attempt_unix: t,
        };
        webhook_headers(vendor, &secrets, &attempt, body)
    };
    // The vendor's headers for `signed`, with the signature header replaced (`None`: removed).
    let with_signature = |signed: &[u8], signature: Option<String>| {
        let mut headers = sign(&[secret], now, signed);
        let name = signature_header(vendor);
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(value) = signature {
            headers.push((name.to_string(), value));
        }
        headers
    };
    let compact = |value: &Value| Bytes::from(bodies::write(value, KEPT));
    let rules = Rules::new(vendor);
    let case = |name: &'static str, expect, required, headers, body| Case {
        rule: rules.rule(name),
        name,
        expect,
        required,
        headers,
        body,
        repeats: None,
    };
    let mut out = Vec::new();

    let body = compact(&fresh());
    let valid = case(
        "valid",
        Expect::Accept,
        true,
        sign(&[secret], now, &body),
        body,
    );
    out.push(valid.clone());
    // Byte for byte the delivery before. Only Persona's and Coinflow's `t=` bound how long a
    // receiver must remember deliveries; Bitmama's scheme has none.
    out.push(Case {
        name: "replay",
        rule: rules.rule("replay"),
        expect: Expect::Refuse,
        required: timestamped,
        repeats: Some(valid.name),
        ..valid
    });
    if vendor == Vendor::Persona {
        // The new secret's set first, as Persona (and the sandbox) order them; the receiver
        // still holds the one being rotated out.
        let body = compact(&fresh());
        let headers = sign(&[&format!("{secret}-new"), secret], now, &body);
        out.push(case("rotated-secret", Expect::Accept, true, headers, body));
    }
    let value = fresh();
    let formatted = Bytes::from(bodies::write(&value, SPACED_REVERSED_ASCII));
    out.push(case(
        "raw-bytes-formatted",
        Expect::Accept,
        timestamped,
        sign(&[secret], now, &formatted),
        formatted,
    ));

    let value = fresh();
    let signed = compact(&value);
    out.push(case(
        "body-modified",
        Expect::Refuse,
        true,
        sign(&[secret], now, &signed),
        compact(&bodies::tamper(vendor, &value)),
    ));
    let body = compact(&fresh());
    out.push(case(
        "wrong-secret",
        Expect::Refuse,
        true,
        sign(&[&other_secret], now, &body),
        body,
    ));
    if timestamped {
        for (name, t, required) in [
            ("stale-timestamp", now - OUTSIDE_SECS, true),
            // Stripe-like libraries often check only the past; a future `t` is still a
            // delivery nobody sent yet.
            ("future-timestamp", now + OUTSIDE_SECS, false),
        ] {
            let body = compact(&fresh());
            out.push(case(
                name,
                Expect::Refuse,
                required,
                sign(&[secret], t, &body),
                body,
            ));
        }
        let body = compact(&fresh());
        let v1_only = timestamped_signature(secret, now, &body)
            .split_once(',')
            .map(|(_, v1)| v1.to_string())
            .unwrap_or_default();
        let headers = with_signature(&body, Some(v1_only));
        out.push(case(
            "timestamp-missing",
            Expect::Refuse,
            true,
            headers,
            body,
        ));
    }
    let body = compact(&fresh());
    out.push(case(
        "signature-missing",
        Expect::Refuse,
        true,
        with_signature(&body, None),
        body,
    ));
    let body = compact(&fresh());
    let empty = if timestamped {
        format!("t={now},v1=")
    } else {
        String::new()
    };
    out.push(case(
        "signature-empty",
        Expect::Refuse,
        true,
        with_signature(&body, Some(empty)),
        body,
    ));
    let body = compact(&fresh());
    let truncated = if timestamped {
        let full = timestamped_signature(secret, now, &body);
        full[..full.len() - 32].to_string()
    } else {
        hmac_sha256_hex(secret, &body)[..32].to_string()
    };
    out.push(case(
        "signature-truncated",
        Expect::Refuse,
        true,
        with_signature(&body, Some(truncated)),
        body,
    ));

    // Signed over one serialization, sent as another: only a receiver that re-serializes the
    // parsed JSON (instead of hashing the raw bytes) gets the signed bytes back.
    let value = fresh();
    let signed = bodies::write(&value, KEPT);
    let sent = bodies::write(&value, SPACED_KEPT);
    out.push(case(
        "reserialized-whitespace",
        Expect::Refuse,
        timestamped,
        sign(&[secret], now, &signed),
        Bytes::from(sent),
    ));
    let value = fresh();
    let signed = bodies::write(&value, SORTED);
    let sent = bodies::write(&value, SPACED_REVERSED);
    out.push(case(
        "reserialized-key-order",
        Expect::Refuse,
        timestamped,
        sign(&[secret], now, &signed),
        Bytes::from(sent),
    ));
    out
}

const KEPT: Layout = Layout {
    keys: KeyOrder::Kept,
    spaced: false,
    ascii: false,
};
const SORTED: Layout = Layout {
    keys: KeyOrder::Sorted,
    ..KEPT
};
const SPACED_KEPT: Layout = Layout {
    spaced: true,
    ..KEPT
};
const SPACED_REVERSED: Layout = Layout {
    keys: KeyOrder::Reversed,
    spaced: true,
    ascii: false,
};
const SPACED_REVERSED_ASCII: Layout = Layout {
    ascii: true,
    ..SPACED_REVERSED
};

/// The one-line rule each case checks, in the vendor's terms (docs/webhook-check.md has the
/// sources).
struct Rules {
    vendor: Vendor,
}

impl Rules {
    fn new(vendor: Vendor) -> Self {
        Rules { vendor }
    }

    fn rule(&self, name: &str) -> String {
        let header = signature_header(self.vendor);
        let scheme = match self.vendor {
            Vendor::Persona | Vendor::Coinflow => {
                format!("{header} t=<unix>,v1=HMAC-SHA256(secret, \"<t>.<raw body>\")")
            }
            Vendor::Bitmama => format!("{header} = HMAC-SHA256(secret, raw body)"),
        };
        let raw = match self.vendor {
            Vendor::Persona => "verify the raw bytes (Persona's sample hashes request.body)",
            Vendor::Coinflow => "verify the raw bytes (Coinflow: \"the RAW body string\")",
            Vendor::Bitmama => "verify the raw bytes (Bitmama's sample re-serializes)",
        };
        let tolerance = format!("{TOLERANCE_SECS} s tolerance (choice: undocumented)");
        match name {
            "valid" => format!("{scheme}: a correct delivery is accepted"),
            "replay" if self.vendor == Vendor::Bitmama => {
                "the same delivery again; no timestamp, so only content can be de-duplicated"
                    .to_string()
            }
            "replay" => {
                format!("the same t and v1 again within the {tolerance}: remember and refuse them")
            }
            "rotated-secret" => "rotation: two space-separated t=,v1= sets (new, old secret); \
                accept when any set matches"
                .to_string(),
            "raw-bytes-formatted" => {
                format!("spaces, keys reordered, \\u escapes, signed as sent: {raw}")
            }
            "body-modified" => "body changed after signing (approved <-> declined)".to_string(),
            "wrong-secret" => match self.vendor {
                Vendor::Coinflow => "Authorization and signature from another key".to_string(),
                _ => "signed with another secret".to_string(),
            },
            "stale-timestamp" => format!("t {OUTSIDE_SECS} s old, outside the {tolerance}"),
            "future-timestamp" => format!("t {OUTSIDE_SECS} s ahead, outside the {tolerance}"),
            "timestamp-missing" => "v1= without t=: nothing to check the age of".to_string(),
            "signature-missing" => match self.vendor {
                Vendor::Coinflow => format!(
                    "no {header}, Authorization right: the key alone binds neither body nor time"
                ),
                _ => format!("no {header} header"),
            },
            "signature-empty" => format!("{header} with an empty signature"),
            "signature-truncated" => "half the digest: compare all of it".to_string(),
            "reserialized-whitespace" => {
                format!("signed compact, sent with spaces: {raw}")
            }
            "reserialized-key-order" => {
                format!("signed with sorted keys, sent reordered: {raw}")
            }
            _ => String::new(),
        }
    }
}

/// Sends `cases` to `url` in order, each within [`REQUEST_TIMEOUT`]. When the receiver cannot
/// be reached at all the rest are not sent (they would only wait out the same failure).
pub async fn run(url: &str, cases: Vec<Case>) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(cases.len());
    let mut unreachable: Option<String> = None;
    for case in cases {
        let answer = match &unreachable {
            Some(why) => Err(format!("not sent: {why}")),
            None => match tokio::time::timeout(
                REQUEST_TIMEOUT,
                crate::webhooks::post(url, case.headers, case.body),
            )
            .await
            {
                Ok(answer) => answer,
                Err(_) => Err(format!("no answer within {REQUEST_TIMEOUT:?}")),
            },
        };
        if let Err(error) = &answer
            && (error.starts_with("connect to") || error.starts_with("invalid URL"))
        {
            unreachable.get_or_insert_with(|| error.clone());
        }
        let (status, error) = match answer {
            Ok(status) => (Some(status), None),
            Err(error) => (None, Some(error)),
        };
        let accepted = status.is_some_and(|s| (200..300).contains(&s));
        let unjudged = status.and(case.repeats).and_then(|earlier| {
            let first = outcomes.iter().find(|o: &&Outcome| o.name == earlier)?;
            match first.status {
                Some(s) if (200..300).contains(&s) => None,
                Some(s) => Some(format!(
                    "not judged: the {earlier} delivery it repeats was refused ({s})"
                )),
                None => Some(format!(
                    "not judged: the {earlier} delivery it repeats got no answer"
                )),
            }
        });
        let ok = status.is_some()
            && unjudged.is_none()
            && match case.expect {
                Expect::Accept => accepted,
                Expect::Refuse => !accepted,
            };
        outcomes.push(Outcome {
            name: case.name,
            rule: case.rule,
            expected: case.expect,
            required: case.required,
            status,
            error,
            unjudged,
            ok,
        });
    }
    outcomes
}

/// The whole check: builds the cases and sends them to `url`. `Err` for what makes it
/// impossible to start (an event the vendor does not send, an empty secret, a URL that is not
/// `http://`); a receiver that does not answer is reported case by case instead.
pub async fn check(
    vendor: Vendor,
    url: &str,
    secret: &str,
    event: Option<&str>,
) -> Result<Report, String> {
    if secret.is_empty() {
        return Err("the secret must not be empty".to_string());
    }
    crate::webhooks::deliverable(url).map_err(|e| {
        format!("the URL must be http://HOST[:PORT]/PATH (no TLS in the sandbox): {e}")
    })?;
    let event = resolve_event(vendor, event)?;
    let cases = cases(vendor, secret, Some(event))?;
    let outcomes = run(url, cases).await;
    let tolerance = (vendor != Vendor::Bitmama).then_some(TOLERANCE_SECS);
    Ok(Report::new(vendor, url, event, tolerance, outcomes))
}

#[cfg(test)]
mod tests;
