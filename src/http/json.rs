//! A request's body read as JSON the way the vendors' servers read it: only when its
//! `Content-Type` says JSON (Express's body-parser and Rails parse nothing else), a UTF-8 byte
//! order mark skipped or refused as the vendor's parser does.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ApiRequest;

/// Why a JSON body could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError(pub String);

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a vendor's JSON parser makes of a UTF-8 byte order mark before the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bom {
    /// Dropped, as Express's body-parser does (its decoder, iconv-lite, strips it).
    Skipped,
    /// Refused as not JSON, as Ruby's JSON parser (Rails) does.
    Refused,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether a `Content-Type` value names JSON: `application/json`, or a `+json` type
/// (`application/vnd.api+json`), whatever its parameters (`charset=utf-8`).
fn is_json_media(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    media.eq_ignore_ascii_case("application/json")
        || (media.contains('/')
            && media.len() > 5
            && media.as_bytes()[media.len() - 5..].eq_ignore_ascii_case(b"+json"))
}

impl ApiRequest {
    /// Whether the request's `Content-Type` says its body is JSON.
    pub fn says_json(&self) -> bool {
        self.header("content-type").is_some_and(is_json_media)
    }

    /// The body's bytes for a JSON parser (a skipped byte order mark left out), or why it has
    /// none: it is empty, or its `Content-Type` is not JSON, so the vendor would not read it.
    pub fn json_bytes(&self, bom: Bom) -> Result<&[u8], JsonError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(JsonError(
                "Request body is empty; expected a JSON object".into(),
            ));
        }
        if !self.says_json() {
            // ASCII (the router refuses a Content-Type that is not), so cut on any byte.
            let sent = match self.header("content-type") {
                Some(sent) => format!("its Content-Type is {:?}", sent.get(..100).unwrap_or(sent)),
                None => "it has no Content-Type".to_string(),
            };
            return Err(JsonError(format!(
                "Request body was not read: {sent}, and this API reads a body only as \
                 application/json (send the header Content-Type: application/json)"
            )));
        }
        match (self.body.strip_prefix(BOM), bom) {
            (None, _) => Ok(&self.body),
            (Some(rest), Bom::Skipped) => Ok(rest),
            (Some(_), Bom::Refused) => Err(JsonError(
                "Request body is not valid JSON: it starts with a byte order mark (EF BB BF), \
                 which JSON must not"
                    .into(),
            )),
        }
    }

    /// The body as JSON ([`ApiRequest::json_bytes`], a byte order mark skipped).
    pub fn json_value(&self) -> Result<Value, JsonError> {
        self.json_value_with(Bom::Skipped)
    }

    /// The body as JSON, a byte order mark read as `bom` says.
    pub fn json_value_with(&self, bom: Bom) -> Result<Value, JsonError> {
        parse(self.json_bytes(bom)?)
    }

    /// The body as JSON whatever its `Content-Type`: for the admin API, the sandbox's own, whose
    /// examples post with `curl -d` (a form's type).
    pub fn json_value_untyped(&self) -> Result<Value, JsonError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(JsonError(
                "Request body is empty; expected a JSON object".into(),
            ));
        }
        parse(self.body.strip_prefix(BOM).unwrap_or(&self.body))
    }

    /// The body parsed into `T`; the error names the field and what was expected.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, JsonError> {
        let value = self.json_value()?;
        serde_json::from_value(value).map_err(|e| JsonError(format!("Invalid request body: {e}")))
    }
}

fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    // Checked as UTF-8 once (`from_slice` checks each string again); a body that is not UTF-8
    // goes to `from_slice` for its error, which says where.
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
    .map_err(|e| JsonError(format!("Request body is not valid JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Bytes, Headers};

    fn sent(content_type: Option<&str>, bytes: &[u8]) -> ApiRequest {
        ApiRequest {
            body: Bytes::copy_from_slice(bytes),
            headers: content_type
                .map(|t| Headers::from([("content-type", t)]))
                .unwrap_or_default(),
            ..ApiRequest::default()
        }
    }

    #[test]
    fn json_bodies_are_checked_as_utf8_once() {
        let json = |bytes: &[u8]| sent(Some("application/json"), bytes);
        let parsed = json("{\"name\":\"Zoë\"}".as_bytes()).json_value();
        assert_eq!(parsed, Ok(serde_json::json!({"name": "Zoë"})));
        let Err(JsonError(message)) = json(b"{\"name\":\"Zo\xff\"}").json_value() else {
            panic!("a body that is not UTF-8 is refused");
        };
        assert!(
            message.starts_with("Request body is not valid JSON: ")
                && message.contains("line 1 column"),
            "serde_json says where: {message}"
        );
    }

    #[test]
    fn only_a_json_content_type_is_read() {
        let body = b"{\"a\":1}";
        for json in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+json",
        ] {
            assert!(sent(Some(json), body).json_value().is_ok(), "{json}");
        }
        for (other, named) in [
            (
                Some("application/x-www-form-urlencoded"),
                "its Content-Type is \"application/x-www-form-urlencoded\"",
            ),
            (
                Some("text/plain;charset=UTF-8"),
                "its Content-Type is \"text/plain;charset=UTF-8\"",
            ),
            (Some("json"), "its Content-Type is \"json\""),
            (None, "it has no Content-Type"),
        ] {
            let Err(JsonError(message)) = sent(other, body).json_value() else {
                panic!("{other:?} is not read");
            };
            assert_eq!(
                message,
                format!(
                    "Request body was not read: {named}, and this API reads a body only as \
                     application/json (send the header Content-Type: application/json)"
                )
            );
        }
        // The admin API's own reader takes any type.
        assert!(sent(None, body).json_value_untyped().is_ok());
    }

    #[test]
    fn a_byte_order_mark_is_skipped_or_refused_as_the_vendor_does() {
        let req = sent(Some("application/json"), b"\xEF\xBB\xBF{\"a\":1}");
        assert_eq!(req.json_value(), Ok(serde_json::json!({"a": 1})));
        let Err(JsonError(message)) = req.json_value_with(Bom::Refused) else {
            panic!("Rails refuses it");
        };
        assert!(message.contains("byte order mark"), "{message}");
    }
}
