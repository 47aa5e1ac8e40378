//! Reading Persona request bodies: objects with kebab-case keys, checked key by key so every
//! refusal names the field.

use serde_json::{Map, Value};

use super::inflection::to_kebab;
use super::{Ctx, Replies};
use crate::http::{ApiRequest, ApiResponse, Bom, JsonError};

/// A refused request: status, message, JSON pointer of the culprit.
pub(super) type Refusal = (u16, String, &'static str);

pub(super) fn refuse(ctx: &Ctx, (status, message, pointer): Refusal) -> ApiResponse {
    if status == 422 {
        ctx.unprocessable(&message, pointer)
    } else {
        ctx.error(status, &message)
    }
}

/// How Persona's parser (Rails, Ruby's JSON) reads a byte order mark before a body: as an error.
pub(super) const BOM: Bom = Bom::Refused;

/// The body as JSON, as Persona reads it ([`BOM`]).
pub(super) fn json_value(req: &ApiRequest) -> Result<Value, JsonError> {
    req.json_value_with(BOM)
}

/// The body as an object with kebab-case keys (clients may send any inflection); an empty body
/// is an empty object when `optional`.
pub(super) fn body_object(ctx: &Ctx, optional: bool) -> Result<Map<String, Value>, Refusal> {
    body_object_of(ctx.req, optional)
}

/// [`body_object`] of `req`, for the handlers that take the request alone.
pub(super) fn body_object_of(
    req: &ApiRequest,
    optional: bool,
) -> Result<Map<String, Value>, Refusal> {
    if optional && req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match json_value(req) {
        Ok(Value::Object(map)) => kebab_keys(map, BODY),
        Ok(_) => Err((400, "Request body must be a JSON object".into(), "/")),
        Err(e) => Err((400, e.0, "/")),
    }
}

/// `data.attributes` of a JSON:API write body `{"data": {"type", "attributes"}, "meta"}`, every
/// level checked for unknown keys (what Persona's update bodies allow).
pub(super) fn update_attributes(ctx: &Ctx) -> Result<Map<String, Value>, Refusal> {
    let body = body_object(ctx, false)?;
    only_keys(&body, &["data", "meta"], BODY)?;
    let data = object_at(&body, "data", BODY)?;
    only_keys(&data, &["type", "attributes"], "data")?;
    object_at(&data, "attributes", "data")
}

/// `map` (the object at `at`) with kebab-case keys. A key given in two casings
/// (`inquiry-template-id` and `inquiryTemplateId`) is refused naming both: which one to keep
/// would be a guess.
pub(super) fn kebab_keys(map: Map<String, Value>, at: &str) -> Result<Map<String, Value>, Refusal> {
    let mut kebab_map = Map::new();
    // The keys given in another casing, by their kebab-case name, to name one that repeats.
    let mut recased: Vec<(String, String)> = Vec::new();
    for (key, value) in map {
        let kebab = to_kebab(&key);
        if kebab_map.contains_key(&kebab) {
            let first = (recased.iter().find(|(name, _)| *name == kebab))
                .map_or(kebab.as_str(), |(_, given)| given.as_str());
            return Err((
                400,
                format!(
                    "{at} has both {first:?} and {key:?}, the same key in two casings; send it once"
                ),
                "/",
            ));
        }
        if kebab != key {
            recased.push((kebab.clone(), key));
        }
        kebab_map.insert(kebab, value);
    }
    Ok(kebab_map)
}

/// `additionalProperties: false`: every key of `map` must be in `allowed`.
pub(super) fn only_keys(
    map: &Map<String, Value>,
    allowed: &[&str],
    at: &str,
) -> Result<(), Refusal> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err((
            400,
            format!(
                "{at} has an unknown key {key:?}; allowed: {}",
                allowed.join(", ")
            ),
            "/",
        )),
        None => Ok(()),
    }
}

/// What the body's callers pass as `at` for its top level: its members are named alone.
pub(super) const BODY: &str = "The request body";

/// `key` of the object at `at`, as a message names it (`meta`, `data.attributes`).
fn member(at: &str, key: &str) -> String {
    if at == BODY {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// `map[key]` as an object (absent or null: empty).
pub(super) fn object_at(
    map: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Map<String, Value>, Refusal> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => kebab_keys(m.clone(), &member(at, key)),
        Some(_) => Err((400, format!("{} must be an object", member(at, key)), "/")),
    }
}

/// `map[key]` as an optional string.
pub(super) fn string_at(
    map: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<String>, Refusal> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err((400, format!("{} must be a string", member(at, key)), "/")),
    }
}

/// A redirect URI the hosted flow may send a browser to: `http` or `https` with a host. Anything
/// else (`javascript:`, `data:`, app schemes) would run script from the page's "Continue" link or
/// the `Location` header, so it is refused where it enters.
pub(super) fn web_redirect(uri: &str) -> Result<(), String> {
    let refused = || {
        format!(
            "redirect-uri {uri:?} is not allowed: it must be an http or https URL with a host, \
             e.g. https://app.example.com/done"
        )
    };
    if crate::http::is_web_url(uri) {
        Ok(())
    } else {
        Err(refused())
    }
}
