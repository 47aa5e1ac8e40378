//! The request journal: `GET /__admin/requests` (filters in the query) and
//! `POST /__admin/requests/count` (a matcher in the body, for CI assertions).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{body, error};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::journal::Filter;

/// The journal's vendor labels: a misspelt vendor would match nothing, and a CI check that
/// counts none would pass.
const VENDORS: [&str; 4] = ["persona", "coinflow", "bitmama", "none"];

fn check_vendor(vendor: Option<&str>) -> Result<(), ApiResponse> {
    match vendor {
        Some(v) if !VENDORS.iter().any(|known| known.eq_ignore_ascii_case(v)) => Err(error(
            400,
            &format!("vendor must be one of {}, got {v:?}", VENDORS.join(", ")),
        )),
        _ => Ok(()),
    }
}

pub fn list(app: &App, req: &ApiRequest) -> ApiResponse {
    if let Err(response) = check_vendor(req.query_param("vendor")) {
        return response;
    }
    let mut filter = Filter {
        vendor: req.query_param("vendor").map(str::to_string),
        method: req.query_param("method").map(str::to_string),
        path: req.query_param("path").map(str::to_string),
        // A request naming a namespace (prefix, header or `?namespace=`) sees its journal;
        // one naming none sees every namespace's.
        namespace: crate::namespace::named(req).then(|| req.namespace.to_string()),
        ..Filter::default()
    };
    if let Some(status) = req.query_param("status") {
        match status.parse() {
            Ok(s) => filter.status = Some(s),
            Err(_) => return error(400, &format!("status must be a number, got {status:?}")),
        }
    }
    if let Some(limit) = req.query_param("limit") {
        match limit.parse() {
            Ok(l) => filter.limit = Some(l),
            Err(_) => return error(400, &format!("limit must be a number, got {limit:?}")),
        }
    }
    let entries = app.journal.query(&filter);
    let requests: Vec<Value> = entries
        .iter()
        .filter_map(|e| serde_json::to_value(&**e).ok())
        .collect();
    ApiResponse::json(200, json!({"requests": requests}))
}

/// What `POST /__admin/requests/count` matches; every field given must match.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Matcher {
    vendor: Option<String>,
    method: Option<String>,
    /// Exact, or a prefix when it ends with `*`.
    path: Option<String>,
    status: Option<u16>,
    /// JSON the request body must contain (see [`contains`]).
    body_partial: Option<Value>,
}

/// `{"count": N}`: the journal entries of the request's namespace that match.
pub fn count(app: &App, req: &ApiRequest) -> ApiResponse {
    // An empty body counts everything in the namespace.
    let matcher: Matcher = if req.body.iter().all(u8::is_ascii_whitespace) {
        Matcher::default()
    } else {
        match body(req) {
            Ok(m) => m,
            Err(response) => return response,
        }
    };
    if let Err(response) = check_vendor(matcher.vendor.as_deref()) {
        return response;
    }
    let filter = Filter {
        namespace: Some(req.namespace.to_string()),
        vendor: matcher.vendor,
        method: matcher.method,
        path: matcher.path,
        status: matcher.status,
        limit: Some(usize::MAX),
    };
    let count = match &matcher.body_partial {
        None => app.journal.count(&filter),
        Some(pattern) => app
            .journal
            .query(&filter)
            .iter()
            .filter(|e| body_contains(&e.request_body.to_value(), pattern))
            .count(),
    };
    ApiResponse::json(200, json!({"count": count}))
}

/// A text body (a form, or JSON cut for length) matches a string pattern it contains.
fn body_contains(body: &Value, pattern: &Value) -> bool {
    match (body, pattern) {
        (Value::String(text), Value::String(part)) => text.contains(part.as_str()),
        _ => contains(body, pattern),
    }
}

/// Whether `actual` contains `pattern`: an object has every key of the pattern with a value that
/// contains the pattern's; an array has, for each element of the pattern, an element containing
/// it; anything else is equal.
pub fn contains(actual: &Value, pattern: &Value) -> bool {
    match (actual, pattern) {
        (Value::Object(actual), Value::Object(pattern)) => pattern
            .iter()
            .all(|(k, p)| actual.get(k).is_some_and(|a| contains(a, p))),
        (Value::Array(actual), Value::Array(pattern)) => pattern
            .iter()
            .all(|p| actual.iter().any(|a| contains(a, p))),
        (Value::Number(a), Value::Number(p)) => a.as_f64() == p.as_f64(),
        _ => actual == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::contains;
    use serde_json::json;

    #[test]
    fn partial_bodies() {
        let body = json!({"a": {"b": 1, "c": [1, {"d": "x"}]}, "e": true});
        assert!(contains(&body, &json!({})));
        assert!(contains(&body, &json!({"a": {"c": [{"d": "x"}]}})));
        assert!(contains(&body, &json!({"a": {"b": 1.0}})));
        assert!(!contains(&body, &json!({"a": {"b": 2}})));
        assert!(!contains(&body, &json!({"z": null})));
        assert!(!contains(&body, &json!([1])));
    }
}
