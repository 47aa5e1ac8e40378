//! Coinflow's web app as its React SDK (`@coinflowlabs/react`) frames it with `env="local"`:
//! `http://localhost:3000/<blockchain>/withdraw/<merchantId>` (CoinflowWithdraw),
//! `/<blockchain>/checkout-link/<merchantId>` (CoinflowBankLink) and
//! `/<blockchain>/history/withdraw/<merchantId>` (CoinflowWithdrawHistory), served only on the
//! `--coinflow-ui-port` listener (the rows of `routes::UI_ROUTES`).
//!
//! The pages work without JavaScript (plain forms, answered with the next page) and act
//! through the same functions as the API, on the withdrawer of the `sessionKey` the SDK passes
//! (from `GET /api/auth/session-key`). A small hashed script (`SCRIPT`) posts what the SDK
//! listens for: JSON strings `{method, data, info}` (`loaded`, `heightChange:<useHeightChange>`,
//! and the messages a page carries: `success`, `inputError`, `accountLinked`...).

mod bank_link;
mod history;
mod withdraw;

pub use bank_link::{link_submit as bank_link_submit, page as bank_link_page};
pub use history::page as withdraw_history_page;
pub use withdraw::{add_account as withdraw_add_account, review as withdraw_review};
pub use withdraw::{confirm as withdraw_confirm, page as withdraw_page};

use std::sync::OnceLock;

use serde_json::{Value, json};

use super::auth::{BLOCKCHAINS, Caller};
use super::model::{VerificationStatus, Withdrawer};
use super::pages;
use super::verification::{self, Check};
use crate::html::escape;
use crate::http::{ApiRequest, ApiResponse, percent_encode};
use crate::namespace::{self, DEFAULT_NAMESPACE};
use crate::store::World;
use crate::vendors::Ctx;

/// The namespace a UI request's session key names (`cfsk_….NAME`), if any.
pub fn namespace_of(req: &ApiRequest) -> Option<String> {
    let key = req.query_param("sessionKey")?;
    let (_, name) = key.rsplit_once('.')?;
    namespace::valid(name).then(|| name.to_string())
}

/// What the SDK put in the iframe URL that the pages use, carried across their own forms (as
/// hidden fields) and links (as the query).
pub(super) struct Sdk {
    pub blockchain: String,
    pub merchant_id: String,
    /// `/ns/NAME` outside the default namespace, so forms post back to the same world.
    pub prefix: String,
    pub session_key: String,
    pub height_id: String,
    /// The `amount` prop, and whether `lockAmount` fixes it.
    pub amount: String,
    pub lock_amount: bool,
    /// `allowedWithdrawSpeeds` (empty: every speed).
    pub speeds: Vec<String>,
}

/// Names of the carried values: in the query as the SDK sends them; in forms, the amount is
/// `presetAmount` (the form's own `amount` is what the user typed).
const CARRIED: [(&str, &str); 5] = [
    ("sessionKey", "sessionKey"),
    ("useHeightChange", "useHeightChange"),
    ("amount", "presetAmount"),
    ("lockAmount", "lockAmount"),
    ("allowedWithdrawSpeeds", "allowedWithdrawSpeeds"),
];

impl Sdk {
    fn read(cx: &Ctx) -> Sdk {
        let req = cx.req;
        let form = if req.method == "POST" {
            req.form()
        } else {
            Vec::new()
        };
        let get = |query: &str, field: &str| {
            form.iter()
                .find(|(k, _)| k == field)
                .map(|(_, v)| v.clone())
                .or_else(|| req.query_param(query).map(str::to_string))
                .unwrap_or_default()
        };
        let [key, height, amount, lock, speeds] = CARRIED.map(|(q, f)| get(q, f));
        Sdk {
            blockchain: cx.param("blockchain").to_string(),
            merchant_id: cx.param("merchantId").to_string(),
            prefix: if req.namespace == DEFAULT_NAMESPACE {
                String::new()
            } else {
                format!("/ns/{}", req.namespace)
            },
            session_key: key.trim().to_string(),
            height_id: height,
            amount,
            lock_amount: lock == "true",
            speeds: speeds
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    fn values(&self) -> [String; 5] {
        [
            self.session_key.clone(),
            self.height_id.clone(),
            self.amount.clone(),
            if self.lock_amount { "true" } else { "" }.to_string(),
            self.speeds.join(","),
        ]
    }

    /// The page's own path: `route` is `withdraw`, `checkout-link` or `history/withdraw`, `tail`
    /// what follows.
    pub fn path(&self, route: &str, tail: &str) -> String {
        format!(
            "{}/{}/{route}/{}{tail}",
            self.prefix, self.blockchain, self.merchant_id
        )
    }

    /// A link to the page `route` with the SDK's query and `extra` (`&name=value`).
    pub fn link(&self, route: &str, extra: &str) -> String {
        let mut query = String::new();
        for ((name, _), value) in CARRIED.iter().zip(self.values()) {
            if !value.is_empty() {
                query.push_str(&format!("&{name}={}", percent_encode(&value)));
            }
        }
        query.push_str(extra);
        format!("{}?{}", self.path(route, ""), query.trim_start_matches('&'))
    }

    /// The hidden fields a form of the page carries.
    pub fn hidden(&self) -> String {
        let mut out = String::new();
        for ((_, field), value) in CARRIED.iter().zip(self.values()) {
            if !value.is_empty() {
                out.push_str(&format!(
                    "<input type=\"hidden\" name=\"{field}\" value=\"{}\">",
                    escape(&value)
                ));
            }
        }
        out
    }

    /// Whether speed `name` may be offered (`allowedWithdrawSpeeds`).
    pub fn allows(&self, name: &str) -> bool {
        self.speeds.is_empty() || self.speeds.iter().any(|s| s == name)
    }
}

/// One message for the SDK. `data` must be present (the SDK drops messages without it);
/// callbacks get `info`.
pub(super) fn message(method: &str, info: Value) -> Value {
    json!({"method": method, "data": "", "info": info})
}

/// The page's SDK parameters and the session's withdrawer, or the page saying what is wrong
/// (no or unknown session key, unknown blockchain, no withdrawer yet).
fn session(cx: &Ctx, world: &mut World) -> Result<(Sdk, usize, Caller), ApiResponse> {
    let sdk = Sdk::read(cx);
    let fail = |status: u16, title: &str, text: String| {
        respond(
            status,
            &sdk,
            title,
            &format!(
                "<p id=\"status\" data-status=\"error\">{}</p>",
                escape(&text)
            ),
            &[],
        )
    };
    if !BLOCKCHAINS.contains(&sdk.blockchain.as_str()) {
        let text = format!(
            "Unknown blockchain {:?}: use one of {}",
            sdk.blockchain,
            BLOCKCHAINS.join(", ")
        );
        return Err(fail(404, "Page not found", text));
    }
    if sdk.session_key.is_empty() {
        let text = "This page needs a sessionKey: get one for the user from GET /api/auth/session-key and pass it to the component's sessionKey prop.".to_string();
        return Err(fail(401, "Session key required", text));
    }
    let now = world.clock.now_ms();
    let caller = match world.coinflow.session(&sdk.session_key) {
        Some((caller, expires)) if *expires > now => caller.clone(),
        Some(_) => {
            let text =
                "This session key has expired: get a new one from GET /api/auth/session-key."
                    .to_string();
            return Err(fail(401, "Session expired", text));
        }
        None => {
            let text = "This session key is unknown in this sandbox namespace (or the namespace was reset).".to_string();
            return Err(fail(401, "Invalid session key", text));
        }
    };
    let Some(index) = world.coinflow.find_or_claim(&caller, None) else {
        let text = format!(
            "No withdrawer is registered for {}: register the user first (POST /api/withdraw/kyc/share-token with their Persona share token), then render the component.",
            caller.describe()
        );
        return Err(fail(401, "Withdrawer not registered", text));
    };
    Ok((sdk, index, caller))
}

/// [`session`], and the page that says what the verification still needs unless the
/// withdrawer is verified (the API's 451), with a link to the completion form.
fn verified_session(
    cx: &Ctx,
    world: &mut World,
    route: &str,
) -> Result<(Sdk, usize, Caller), ApiResponse> {
    let (sdk, index, caller) = session(cx, world)?;
    let check = verification::advance(cx.app, world, index);
    match world.coinflow.get(index) {
        Some(w) if w.verified() => Ok((sdk, index, caller)),
        Some(w) => Err(gate(cx, &sdk, w, &check, route)),
        None => Err(respond(
            500,
            &sdk,
            "Error",
            "<p>Withdrawer was not stored</p>",
            &[],
        )),
    }
}

/// The page for a withdrawer who cannot withdraw yet: where the verification stands, what is
/// missing, and the verification form (on the API's address, in a new tab).
pub(super) fn gate(cx: &Ctx, sdk: &Sdk, w: &Withdrawer, check: &Check, route: &str) -> ApiResponse {
    let mut body = format!("<p class=\"muted\">{}</p>", escape(&w.email));
    let (status, text, missing) = match check {
        Check::Final(VerificationStatus::Rejected) => (
            "rejected",
            format!(
                "Your verification was not approved: {}",
                w.rejection_reason.as_deref().unwrap_or("rejected")
            ),
            Vec::new(),
        ),
        Check::Missing(fields) => (
            "pending",
            "Coinflow needs a few more details before you can withdraw.".to_string(),
            fields.clone(),
        ),
        Check::Action(message) => ("pending", message.clone(), w.missing_fields()),
        Check::Pending(message) => ("pending", message.clone(), Vec::new()),
        // Verified, yet the scenario's `user_not_approved` refused the payout (the API's 451).
        Check::Final(_) => (
            "pending",
            "User Must Complete Additional Verification (scenario outcome)".to_string(),
            Vec::new(),
        ),
    };
    body.push_str(&format!(
        "<p id=\"status\" data-status=\"{status}\">{}</p>",
        escape(&text)
    ));
    if !missing.is_empty() {
        body.push_str("<p>Missing:</p><ul id=\"missing\">");
        for field in missing {
            body.push_str(&format!("<li>{}</li>", escape(field.label)));
        }
        body.push_str("</ul>");
    }
    if status == "pending" {
        let refresh = escape(&sdk.link(route, ""));
        // Waiting on others (Persona, a reviewer): nothing for the user to complete.
        if matches!(check, Check::Pending(_)) {
            body.push_str(&format!(
                "<p><a class=\"button secondary\" id=\"refresh\" href=\"{refresh}\">Refresh</a></p>"
            ));
        } else {
            let link = escape(&cx.app.url(&cx.req.namespace, &pages::path(w)));
            body.push_str(&format!(
                "<p><a class=\"button primary\" id=\"verify\" href=\"{link}\" target=\"_blank\" rel=\"noopener\">Complete verification</a>\
                 <a class=\"button secondary\" id=\"refresh\" href=\"{refresh}\">I have finished: refresh</a></p>"
            ));
        }
    }
    respond(200, sdk, "Verification required", &body, &[])
}

/// A page of the app: the sandbox's layout, the SDK config element with `messages`, and the
/// script, with a CSP that allows only that script and lets any page frame it (the SDK's host
/// page is the merchant's, on any origin).
pub(super) fn respond(
    status: u16,
    sdk: &Sdk,
    title: &str,
    body: &str,
    messages: &[Value],
) -> ApiResponse {
    let config = format!(
        "<div id=\"coinflow-ui\" hidden data-height-id=\"{}\" data-messages=\"{}\"></div>\n",
        escape(&sdk.height_id),
        escape(&Value::Array(messages.to_vec()).to_string())
    );
    let content = format!(
        "<h1 id=\"title\">{}</h1>\n{body}\n{config}<script>{SCRIPT}</script>\n",
        escape(title)
    );
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src '{}'; form-action 'self'; \
         base-uri 'none'; frame-ancestors *",
        script_hash()
    );
    ApiResponse::html(status, crate::html::page("Coinflow", title, &content))
        .with_header("cache-control", "no-store")
        .with_header("content-security-policy", csp)
}

/// The script: posts `loaded`, `heightChange:<id>` and the page's messages to the SDK. Free
/// of per-request text so that one CSP hash covers it.
const SCRIPT: &str = include_str!("ui/page.js");

fn script_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| crate::html::script_hash(SCRIPT))
}

/// `$12.50` for 1250 cents.
pub(super) use crate::vendors::money::usd as dollars;

/// Cents from what a user types as dollars (`12`, `12.5`, `12.50`, `1,000.00`); `None` unless
/// positive with at most two decimals.
pub(super) fn parse_dollars(text: &str) -> Option<i64> {
    let text: String = text
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && fraction.is_empty()
        || whole.len() > 9
        || fraction.len() > 2
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    Some(whole * 100 + fraction).filter(|c| *c > 0)
}

/// The form value `name` of a POST, trimmed (empty when absent).
pub(super) fn field(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_parse_and_print() {
        assert_eq!(parse_dollars("12"), Some(1200));
        assert_eq!(parse_dollars("12.5"), Some(1250));
        assert_eq!(parse_dollars("$1,000.05"), Some(100_005));
        assert_eq!(parse_dollars(".5"), Some(50));
        for bad in [
            "",
            "0",
            "0.00",
            "-1",
            "1.234",
            "abc",
            "1e3",
            ".",
            "1234567890",
        ] {
            assert_eq!(parse_dollars(bad), None, "{bad:?}");
        }
        assert_eq!(dollars(1250), "$12.50");
        assert_eq!(dollars(5), "$0.05");
    }

    #[test]
    fn the_script_can_be_inlined() {
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        assert!(script_hash().starts_with("sha256-"));
    }

    #[test]
    fn session_keys_name_their_namespace() {
        let req = |key: &str| ApiRequest {
            query: vec![("sessionKey".into(), key.into())],
            ..ApiRequest::default()
        };
        assert_eq!(namespace_of(&req("cfsk_abc.ns-1")), Some("ns-1".into()));
        assert_eq!(namespace_of(&req("cfsk_abc")), None);
        assert_eq!(namespace_of(&req("cfsk_abc.bad name")), None);
    }
}
