//! The flow page as Persona's Web SDK (`persona` on npm, 5.x) embeds it: when `/widget` is
//! opened with `iframe-origin` (the SDK always sends it, with `container-id`, `flow-type` and
//! `client-version`), the same form-driven page gets a small inline script that talks the SDK's
//! postMessage protocol:
//!
//! - to the SDK (`window.parent`, target origin = the validated `message-target-origin` or
//!   `iframe-origin`, never `*`): `load`, `ready`, `start {inquiryId, sessionToken}`, then
//!   `complete`/`fail {inquiryId, status, fields}` once the server has really moved the inquiry
//!   (the script submits the form to `POST /widget/{id}` with `Accept: application/json`), or
//!   `exit {inquiryId, sessionToken}` on cancel, or `error` with `{status, code, message}`;
//!   `page-change {pathname, pageHeight}` when the page loads and when it shows the result;
//!   every message is `{containerId, templateId?, templateVersionId?, name, metadata}`.
//! - from the SDK: `{action: "exit"}` (`client.cancel()`) is answered with `exit`.
//!
//! The page's CSP allows exactly that script (by its SHA-256) and `fetch` to its own origin,
//! and lets the SDK's page frame it (`frame-ancestors` = `iframe-origin`, `message-target-origin`
//! and every `frame-ancestors[i]`). No `X-Frame-Options` is sent.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::http::{ApiRequest, ApiResponse, percent_encode};
use crate::vendors::persona::Inquiry;
use crate::vendors::persona::model::Fields;

use super::html::escape;

/// What the SDK told the page about the host page, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::vendors::persona) struct Embed {
    pub container_id: Option<String>,
    /// `embedded` (the modal `Persona.Client`) or `inline`.
    pub flow_type: String,
    /// Echoed in every message: the SDK drops messages whose `templateId` differs from its own.
    pub template_id: Option<String>,
    pub template_version_id: Option<String>,
    pub iframe_origin: String,
    /// Where messages go: `message-target-origin` when given, else `iframe-origin`.
    pub target_origin: String,
    /// Everyone allowed to frame the page.
    pub ancestors: Vec<String>,
}

/// Why the SDK's parameters cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::vendors::persona) struct BadEmbed(pub String);

/// `scheme://host[:port]` with scheme http or https, lowercased; `None` for anything else
/// (paths, queries, credentials, `null`, `*`).
pub(in crate::vendors::persona) fn origin(value: &str) -> Option<String> {
    // An origin written with a trailing `/` (`location.origin + "/"`) is that origin.
    let lower = value
        .strip_suffix('/')
        .unwrap_or(value)
        .to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return None;
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        if inside.parse::<std::net::Ipv6Addr>().is_err() {
            return None;
        }
        (&rest[..inside.len() + 2], after)
    } else {
        match rest.find(':') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        }
    };
    let host_ok = host.starts_with('[')
        || (!host.is_empty()
            && !host.starts_with('.')
            && !host.starts_with('-')
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'));
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|p| {
            p.chars().all(|c| c.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|p| p > 0)
        });
    (host_ok && port_ok).then_some(lower)
}

impl Embed {
    /// `None` when the page was not opened by the SDK (no `iframe-origin`).
    pub fn from_request(req: &ApiRequest) -> Option<Result<Embed, BadEmbed>> {
        let raw = req.query_param("iframe-origin")?;
        Some(Self::parse(req, raw))
    }

    fn parse(req: &ApiRequest, raw: &str) -> Result<Embed, BadEmbed> {
        let given = |name: &str| {
            req.query_param(name)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let iframe_origin = origin(raw).ok_or_else(|| {
            BadEmbed(format!(
                "iframe-origin {raw:?} is not an http(s) origin such as https://app.example.com"
            ))
        })?;
        let mut ancestors = vec![iframe_origin.clone()];
        let target_origin = match given("message-target-origin") {
            Some(raw) => {
                let target = origin(&raw).ok_or_else(|| {
                    BadEmbed(format!(
                        "message-target-origin {raw:?} is not an http(s) origin"
                    ))
                })?;
                ancestors.push(target.clone());
                target
            }
            None => iframe_origin.clone(),
        };
        for (name, value) in &req.query {
            if name.starts_with("frame-ancestors[") || name == "frame-ancestors" {
                let ancestor = origin(value).ok_or_else(|| {
                    BadEmbed(format!("{name} {value:?} is not an http(s) origin"))
                })?;
                if !ancestors.contains(&ancestor) {
                    ancestors.push(ancestor);
                }
            }
        }
        let flow_type = match req.query_param("flow-type") {
            None | Some("") | Some("embedded") => "embedded".to_string(),
            Some("inline") => "inline".to_string(),
            Some(other) => {
                return Err(BadEmbed(format!(
                    "flow-type {other:?} is neither embedded nor inline"
                )));
            }
        };
        Ok(Embed {
            container_id: given("container-id"),
            flow_type,
            template_id: given("inquiry-template-id").or_else(|| given("template-id")),
            template_version_id: given("inquiry-template-version-id"),
            iframe_origin,
            target_origin,
            ancestors,
        })
    }

    /// The query the page keeps across its own redirect (everything but what created the
    /// inquiry), already encoded, starting with `&`.
    pub fn carried_query(req: &ApiRequest) -> String {
        let mut out = String::new();
        for (name, value) in &req.query {
            let dropped = matches!(
                name.as_str(),
                "inquiry-id" | "session-token" | "reference-id" | "redirect-uri" | "fields"
            ) || name.starts_with("fields[");
            if !dropped {
                out.push_str(&format!(
                    "&{}={}",
                    percent_encode(name),
                    percent_encode(value)
                ));
            }
        }
        out
    }

    /// The element the script reads its configuration from (every value escaped), for a page
    /// showing `inquiry`.
    pub fn config(&self, inquiry: &Inquiry) -> String {
        let mut attrs = self.common_attrs();
        attrs.push(("inquiry-id", inquiry.id.to_string()));
        attrs.push(("status", inquiry.status.as_str().to_string()));
        if let Some(token) = &inquiry.rare().session_token {
            attrs.push(("session-token", token.clone()));
        }
        element(&attrs)
    }

    /// The config element of a page that only reports an error to the SDK (`status` is the
    /// page's; the SDK gets its own for `code`, see [`sdk_status`]).
    pub fn error_config(&self, status: u16, code: &str, message: &str) -> String {
        let mut attrs = self.common_attrs();
        attrs.push(("error-status", sdk_status(code, status).to_string()));
        attrs.push(("error-code", code.to_string()));
        attrs.push(("error-message", message.to_string()));
        element(&attrs)
    }

    fn common_attrs(&self) -> Vec<(&'static str, String)> {
        let mut attrs = vec![
            ("target-origin", self.target_origin.clone()),
            ("iframe-origin", self.iframe_origin.clone()),
            ("flow-type", self.flow_type.clone()),
        ];
        for (name, value) in [
            ("container-id", &self.container_id),
            ("template-id", &self.template_id),
            ("template-version-id", &self.template_version_id),
        ] {
            if let Some(value) = value {
                attrs.push((name, value.clone()));
            }
        }
        attrs
    }

    /// An HTML answer for the SDK's iframe: the script allowed by its hash, fetch to the page's
    /// own origin, framing by the SDK's page.
    pub fn response(&self, status: u16, html: String) -> ApiResponse {
        let csp = format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src '{}'; connect-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'self' {}",
            script_hash(),
            self.ancestors.join(" ")
        );
        ApiResponse::html(status, html)
            .with_header("cache-control", "no-store")
            .with_header("content-security-policy", csp)
            .with_header("referrer-policy", "no-referrer")
    }
}

fn element(attrs: &[(&str, String)]) -> String {
    let mut out = String::from("<div id=\"persona-widget\" hidden");
    for (name, value) in attrs {
        out.push_str(&format!(" data-{name}=\"{}\"", escape(value)));
    }
    out.push_str("></div>\n");
    out
}

/// The cancel button (shown by the script) and the script itself.
pub(super) fn controls() -> String {
    format!(
        "<p><button type=\"button\" id=\"persona-cancel\" class=\"secondary\" hidden>Cancel</button></p>\n\
         <script>{SCRIPT}</script>\n"
    )
}

/// Just the script (pages with nothing to cancel).
pub(super) fn script_tag() -> String {
    format!("<script>{SCRIPT}</script>\n")
}

/// `sha256-…` of [`SCRIPT`], for the CSP.
fn script_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| crate::html::script_hash(SCRIPT))
}

/// What `POST /widget/{id}` answers the script (`Accept: application/json`): the inquiry's id,
/// status and fields as the API renders them, its session token, and the HTML that replaces
/// the page's content.
pub(super) fn outcome_json(inquiry: &Inquiry, html: String) -> ApiResponse {
    let fields = super::super::render::inquiry(inquiry)["attributes"]["fields"].clone();
    ApiResponse::json(
        200,
        json!({
            "inquiryId": inquiry.id,
            "status": inquiry.status.as_str(),
            "fields": fields,
            "sessionToken": inquiry.rare().session_token,
            "html": html,
        }),
    )
    .with_header("cache-control", "no-store")
}

/// The status the SDK's `InquiryError` pairs with `code` (persona 5.x `lib/interfaces.d.ts`:
/// `application_error` 0, `invalid_config` 400, `inactive_template` 422, `unauthenticated` 409),
/// or the answer's own `status` for `unknown`, the one code that takes any.
pub(super) fn sdk_status(code: &str, status: u16) -> u16 {
    match code {
        "application_error" => 0,
        "invalid_config" => 400,
        "inactive_template" => 422,
        "unauthenticated" => 409,
        _ => status,
    }
}

/// A refused submit, for the script: `{error: {status, code, message}}` (the SDK's error shape,
/// with the SDK's status for `code`; the answer keeps its own).
pub(super) fn error_json(status: u16, code: &str, message: &str) -> ApiResponse {
    let sdk_status = sdk_status(code, status);
    ApiResponse::json(
        status,
        json!({"error": {"status": sdk_status, "code": code, "message": message}}),
    )
    .with_header("cache-control", "no-store")
}

/// Whether the caller (the page's script) asked for JSON.
pub(super) fn wants_json(req: &ApiRequest) -> bool {
    req.header("accept").is_some_and(|accept| {
        accept
            .split(',')
            .next()
            .is_some_and(|first| first.trim().starts_with("application/json"))
    })
}

/// The `/ns/NAME` prefix the browser used, so that the page's own links stay on its origin
/// (the SDK loads `localhost:PORT`, which the public URL need not be).
pub(super) fn path_prefix(req: &ApiRequest) -> &str {
    req.raw_path()
        .strip_suffix(req.path.as_str())
        .unwrap_or_default()
}

/// A session token in the shape `POST /inquiries/{id}/resume` hands out.
pub(in crate::vendors::persona) fn new_session_token(world: &mut crate::store::World) -> String {
    format!(
        "{}.{}.{}",
        world.ids.alphanumeric(20),
        world.ids.alphanumeric(48),
        world.ids.alphanumeric(43)
    )
}

/// The fields of a `fields[…]` name: `fields[name-first]` → `["name-first"]`,
/// `fields[nested][some-key]` → `["nested", "some-key"]`.
pub(super) fn field_path(name: &str) -> Option<Vec<&str>> {
    let rest = name.strip_prefix("fields[")?.strip_suffix(']')?;
    let path: Vec<&str> = rest.split("][").collect();
    path.iter()
        .all(|p| !p.is_empty() && !p.contains('[') && !p.contains(']'))
        .then_some(path)
}

/// Sets `value` at `path` in `fields`, making objects on the way.
pub(super) fn set_field<S: AsRef<str>>(
    fields: &mut serde_json::Map<String, Value>,
    path: &[S],
    value: Value,
) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = fields;
    for part in parents {
        let slot = at
            .entry(part.as_ref().to_string())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(serde_json::Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        at = next;
    }
    at.insert(last.as_ref().to_string(), value);
}

/// The value at `path` in a stored inquiry's fields, if there is one.
pub(super) fn inquiry_field<'a, S: AsRef<str>>(
    fields: &'a Fields,
    path: &[S],
) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    rest.iter()
        .try_fold(fields.get(first.as_ref())?, |at, part| {
            at.get(part.as_ref())
        })
}

/// [`set_field`] on a stored inquiry's fields.
pub(super) fn set_inquiry_field<S: AsRef<str>>(fields: &mut Fields, path: &[S], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        fields.insert(first.as_ref().to_string(), value);
        return;
    }
    let slot = fields.get_or_insert_with(first.as_ref(), || Value::Object(serde_json::Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(nested) = slot {
        set_field(nested, rest, value);
    }
}

/// The script: reads `#persona-widget`'s data attributes, posts the SDK's messages, submits the
/// form with `fetch` and reports the server's answer. Kept free of any per-request text so that
/// one CSP hash covers it.
const SCRIPT: &str = include_str!("widget.js");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_http_or_https_without_path() {
        assert_eq!(
            origin("http://localhost:5001").as_deref(),
            Some("http://localhost:5001")
        );
        assert_eq!(
            origin("HTTPS://App.Example.com").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            origin("http://[::1]:8080").as_deref(),
            Some("http://[::1]:8080")
        );
        assert_eq!(
            origin("https://app.example.com/").as_deref(),
            Some("https://app.example.com"),
            "a trailing slash is the same origin"
        );
        for bad in [
            "",
            "http://localhost:99999",
            "http://localhost:0",
            "http://[:]",
            "https://app.example.com//",
            "*",
            "null",
            "localhost:5001",
            "javascript://x",
            "http://",
            "http://a.example/path",
            "http://a.example?x",
            "http://user@a.example",
            "http://a.example:",
            "http://a.example:80x",
            "http://a b",
            "http://a\"b",
        ] {
            assert_eq!(origin(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_script_can_be_inlined_and_is_hashed() {
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        // Messages go to the validated origin only, never to any window.
        assert!(!SCRIPT.contains("\"*\"") && !SCRIPT.contains("'*'"));
        assert!(script_hash().starts_with("sha256-") && script_hash().len() == 7 + 44);
    }

    #[test]
    fn field_paths() {
        assert_eq!(field_path("fields[name-first]"), Some(vec!["name-first"]));
        assert_eq!(
            field_path("fields[nested][some-key]"),
            Some(vec!["nested", "some-key"])
        );
        assert_eq!(field_path("fields[]"), None);
        assert_eq!(field_path("fields[a]b]"), None);
        assert_eq!(field_path("field[a]"), None);
        let mut fields = serde_json::Map::new();
        set_field(&mut fields, &["nested", "some-key"], json!("1"));
        set_field(&mut fields, &["name-first"], json!("Jane"));
        assert_eq!(
            Value::Object(fields),
            json!({"nested": {"some-key": "1"}, "name-first": "Jane"})
        );
    }
}
