//! Real event bodies for `webhooks check`, and the ways the check re-formats them.
//!
//! Persona's body comes from the same renderer the Persona module sends its webhooks with
//! (`persona::webhook_envelope`), over an inquiry built here. Coinflow's and Bitmama's builders
//! read a namespace's `World` (a withdrawer, a partner's user), so their bodies are built here in
//! the same shape as `coinflow::webhooks::emit` and `bitmama::kyc::emit` (legacy and current
//! style); keep them in step with those two functions.

use serde_json::{Map, Value, json};

use crate::clock::{Millis, iso8601};
use crate::ids::IdGen;
use crate::vendors::Vendor;
use crate::vendors::persona::model::Rare;
use crate::vendors::persona::{Event, Inquiry, InquiryStatus, Verification, webhook_envelope};

const COINFLOW_EVENTS: &[&str] = &["KYC Created", "KYC Success", "KYC Failure"];
const BITMAMA_EVENTS: &[&str] = &[
    "user.kyc.pending",
    "user.kyc.approved",
    "user.kyc.denied",
    "user.kyc.needsVerification",
    "user.kyc.manualReview",
    "user.kyc-event",
];

/// The events the check can send for `vendor`.
pub fn events(vendor: Vendor) -> Vec<&'static str> {
    match vendor {
        Vendor::Persona => InquiryStatus::ALL.iter().map(|s| s.event_name()).collect(),
        Vendor::Coinflow => COINFLOW_EVENTS.to_vec(),
        Vendor::Bitmama => BITMAMA_EVENTS.to_vec(),
    }
}

/// The event sent when none is asked for: each vendor's "verification passed".
pub fn default_event(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Persona => "inquiry.approved",
        Vendor::Coinflow => "KYC Success",
        Vendor::Bitmama => "user.kyc.approved",
    }
}

/// One body of `event` at `now`. Every call draws fresh ids, so no two cases share an event
/// id and a receiver that de-duplicates refuses only the replay.
pub fn body(vendor: Vendor, event: &str, now: Millis, ids: &mut IdGen) -> Value {
    match vendor {
        Vendor::Persona => persona(event, now, ids),
        Vendor::Coinflow => json!({
            "eventType": event,
            "category": "KYC",
            "created": iso8601(now),
            "data": {
                // A user-id withdrawer's wallet is `<merchantId>ʬ<userId>` (vendors.md 2.4); the
                // non-ASCII letter is real, and shows up when a receiver re-serializes.
                "wallet": format!("sandbox-merchantʬcheck-{}", ids.alphanumeric(8)),
                "blockchain": "user",
                "email": "check-user@example.com",
            },
        }),
        Vendor::Bitmama => bitmama(event, now, ids),
    }
}

fn persona(event: &str, now: Millis, ids: &mut IdGen) -> Value {
    use InquiryStatus::*;
    let status = InquiryStatus::ALL
        .into_iter()
        .find(|s| s.event_name() == event)
        .unwrap_or(Approved);
    let ago = |secs: i64| Some(now - secs * 1000);
    let started = !matches!(status, Created | Expired);
    let completed = matches!(status, Completed | NeedsReview | Approved | Declined);
    let mut fields = Map::new();
    for (name, value) in [
        ("name-first", "Jane"),
        ("name-last", "Doe"),
        ("birthdate", "1995-09-08"),
        ("address-street-1", "123 Main St"),
        ("address-city", "San Francisco"),
        ("address-subdivision", "California"),
        ("address-postal-code", "94111"),
        ("address-country-code", "US"),
        ("email-address", "jane@example.com"),
    ] {
        fields.insert(name.to_string(), json!(value));
    }
    let inquiry = Inquiry {
        id: ids.persona("inq_"),
        status,
        reference_id: Some(format!("check-{}", ids.alphanumeric(8))),
        redirect_uri: None,
        fields: fields.into(),
        note: None,
        tags: Default::default(),
        template_id: Some(ids.persona("itmpl_").into()),
        account_id: Some(ids.persona("act_")),
        verifications: if started {
            vec![Verification::simple(
                ids.persona("ver_").into(),
                status != Failed,
                None,
                now,
            )]
        } else {
            Vec::new()
        },
        created_at: now - 600_000,
        updated_at: now,
        started_at: if started { ago(300) } else { None },
        expires_at: None,
        rare: Rare {
            completed_at: if completed { ago(60) } else { None },
            failed_at: if status == Failed { ago(0) } else { None },
            marked_for_review_at: if status == NeedsReview { ago(0) } else { None },
            decisioned_at: if matches!(status, Approved | Declined) {
                ago(0)
            } else {
                None
            },
            expired_at: if status == Expired { ago(0) } else { None },
            ..Rare::default()
        }
        .boxed(),
    };
    webhook_envelope(&Event {
        id: ids.persona("evt_"),
        name: event.to_string().into(),
        inquiry: Some(std::sync::Arc::new(inquiry)),
        account: None,
        created_at: now,
    })
}

fn bitmama(event: &str, now: Millis, ids: &mut IdGen) -> Value {
    let uid = ids.alphanumeric(15);
    let inquiry_id = ids.persona("inq_");
    if event == "user.kyc-event" {
        // `--bitmama-webhook-style current`: the current API generation, whose ids have no
        // `rain-` (vendors.md 3).
        let service_id = format!("acme-user-{uid}");
        return json!({
            "event": event,
            "timestamp": iso8601(now),
            "data": {
                "serviceId": service_id,
                "status": "approved",
                "email": "jane@example.com",
                "firstName": "Jane",
                "lastName": "Doe",
            },
        });
    }
    let service_id = format!("acme-rain-user-{uid}");
    let status = event.strip_prefix("user.kyc.").unwrap_or("approved");
    let details = match status {
        "denied" => json!({"inquiryId": inquiry_id, "reason": ["declined"]}),
        "needsVerification" => json!({
            "inquiryId": inquiry_id,
            "verificationLink": format!("http://127.0.0.1:5000/verify?inquiry-id={inquiry_id}"),
        }),
        _ => json!({"inquiryId": inquiry_id}),
    };
    json!({
        "event": event,
        "timestamp": iso8601(now),
        "data": {
            "serviceId": service_id,
            "partnerId": "acme",
            "status": status,
            "details": details,
        },
    })
}

/// `body` with its meaning flipped the way an attacker would want it: approved becomes
/// declined (or the other way round).
pub fn tamper(vendor: Vendor, body: &Value) -> Value {
    let original = body;
    let mut body = body.clone();
    let text = |pointer: &str| original.pointer(pointer).and_then(Value::as_str);
    let flip = |current: Option<&str>, good: &'static str, bad: &'static str| {
        if current == Some(bad) { good } else { bad }
    };
    let mut set = |pointer: &str, value: &str| {
        if let Some(slot) = body.pointer_mut(pointer) {
            *slot = json!(value);
        }
    };
    match vendor {
        Vendor::Persona => {
            let name = flip(
                text("/data/attributes/name"),
                "inquiry.approved",
                "inquiry.declined",
            );
            set("/data/attributes/name", name);
            let status = flip(
                text("/data/attributes/payload/data/attributes/status"),
                "approved",
                "declined",
            );
            set("/data/attributes/payload/data/attributes/status", status);
        }
        Vendor::Coinflow => {
            set(
                "/eventType",
                flip(text("/eventType"), "KYC Success", "KYC Failure"),
            );
        }
        Vendor::Bitmama => {
            let status = flip(text("/data/status"), "approved", "denied");
            set("/data/status", status);
            if text("/event").is_some_and(|e| e.starts_with("user.kyc.")) {
                set("/event", &format!("user.kyc.{status}"));
            }
        }
    }
    body
}

/// How [`write()`] lays a JSON value out.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub keys: KeyOrder,
    /// `", "` and `": "` between items (Python's `json.dumps` default) instead of nothing.
    pub spaced: bool,
    /// Every non-ASCII character as a `\uXXXX` escape.
    pub ascii: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrder {
    /// The order the value holds them in: what `serde_json::to_vec` writes.
    Kept,
    Sorted,
    /// Sorted, backwards: an order no serializer picks by itself.
    Reversed,
}

/// `value` serialized with `layout`. With `Kept`, not spaced, not ASCII-only it is byte for byte
/// what `serde_json::to_vec` writes, the form the sandbox sends.
pub fn write(value: &Value, layout: Layout) -> Vec<u8> {
    let mut out = String::new();
    write_into(value, layout, &mut out);
    out.into_bytes()
}

fn write_into(value: &Value, layout: Layout, out: &mut String) {
    let (comma, colon) = if layout.spaced {
        (", ", ": ")
    } else {
        (",", ":")
    };
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            match layout.keys {
                KeyOrder::Kept => {}
                KeyOrder::Sorted => entries.sort_by(|a, b| a.0.cmp(b.0)),
                KeyOrder::Reversed => entries.sort_by(|a, b| b.0.cmp(a.0)),
            }
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(comma);
                }
                write_string(key, layout.ascii, out);
                out.push_str(colon);
                write_into(item, layout, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(comma);
                }
                write_into(item, layout, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, layout.ascii, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, ascii: bool, out: &mut String) {
    // serde_json's own escaping, so the compact layout matches `to_vec` exactly.
    let quoted = Value::String(s.to_string()).to_string();
    if !ascii {
        out.push_str(&quoted);
        return;
    }
    for c in quoted.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPACT: Layout = Layout {
        keys: KeyOrder::Kept,
        spaced: false,
        ascii: false,
    };

    #[test]
    fn the_compact_layout_is_what_the_sandbox_sends() {
        let mut ids = IdGen::new(1, "t");
        for vendor in Vendor::ALL {
            for event in events(vendor) {
                let value = body(vendor, event, 1_700_000_000_000, &mut ids);
                let sent = serde_json::to_vec(&value).unwrap_or_default();
                assert_eq!(write(&value, COMPACT), sent, "{vendor} {event}");
            }
        }
    }

    #[test]
    fn layouts_keep_the_meaning_and_change_the_bytes() {
        let value = json!({"b": [1, {"y": "ʬ😀", "x": null}], "a": true});
        let layout = Layout {
            keys: KeyOrder::Reversed,
            spaced: true,
            ascii: true,
        };
        let text = write(&value, layout);
        assert_eq!(
            String::from_utf8_lossy(&text),
            r#"{"b": [1, {"y": "\u02ac\ud83d\ude00", "x": null}], "a": true}"#
        );
        let back: Value = serde_json::from_slice(&text).unwrap_or_default();
        assert_eq!(back, value);
    }

    #[test]
    fn tampering_flips_the_outcome() {
        let mut ids = IdGen::new(2, "t");
        let persona = body(Vendor::Persona, "inquiry.approved", 0, &mut ids);
        let flipped = tamper(Vendor::Persona, &persona);
        assert_eq!(flipped["data"]["attributes"]["name"], "inquiry.declined");
        assert_eq!(
            flipped["data"]["attributes"]["payload"]["data"]["attributes"]["status"],
            "declined"
        );
        let bitmama = body(Vendor::Bitmama, "user.kyc.denied", 0, &mut ids);
        let flipped = tamper(Vendor::Bitmama, &bitmama);
        assert_eq!(flipped["event"], "user.kyc.approved");
        assert_eq!(flipped["data"]["status"], "approved");
        let coinflow = body(Vendor::Coinflow, "KYC Success", 0, &mut ids);
        assert_eq!(
            tamper(Vendor::Coinflow, &coinflow)["eventType"],
            "KYC Failure"
        );
    }
}
