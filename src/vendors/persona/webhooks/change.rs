//! The body of a webhook create or update request (`{"data":{"attributes":{...}}}`), validated
//! in full before anything changes.

use serde_json::{Map, Value};

use crate::http::ApiRequest;
use crate::vendors::numbers::whole_number;

/// Event names a webhook may enable: the spec's `webhook-request-attributes.enabled-events` enum
/// plus the inquiry events Persona documents elsewhere (the sandbox fires `inquiry.started`).
const KNOWN_EVENTS: &[&str] = &[
    "*",
    "account.created",
    "account.redacted",
    "account.archived",
    "account.restored",
    "account.consolidated",
    "account.tag-added",
    "account.tag-removed",
    "case.created",
    "case.assigned",
    "case.resolved",
    "case.reopened",
    "case.updated",
    "document.created",
    "document.submitted",
    "document.processed",
    "document.errored",
    "inquiry.created",
    "inquiry.started",
    "inquiry.expired",
    "inquiry.completed",
    "inquiry.failed",
    "inquiry.marked-for-review",
    "inquiry.approved",
    "inquiry.declined",
    "inquiry.transitioned",
    "inquiry.redacted",
    "inquiry.tags-updated",
    "inquiry.reusable-persona-created",
    "inquiry.reusable-persona-used",
    "inquiry-session.started",
    "inquiry-session.expired",
    "inquiry-session.canceled",
    "report/address-lookup.ready",
    "report/address-lookup.errored",
    "report/adverse-media.matched",
    "report/adverse-media.ready",
    "report/adverse-media.errored",
    "report/business-adverse-media.matched",
    "report/business-adverse-media.ready",
    "report/business-adverse-media.errored",
    "report/business-watchlist.ready",
    "report/business-watchlist.matched",
    "report/business-watchlist.errored",
    "report/email-address.ready",
    "report/email-address.errored",
    "report/phone-number.ready",
    "report/phone-number.errored",
    "report/profile.ready",
    "report/profile.errored",
    "report/politically-exposed-person.matched",
    "report/politically-exposed-person.ready",
    "report/politically-exposed-person.errored",
    "report/watchlist.matched",
    "report/watchlist.ready",
    "report/watchlist.errored",
    "selfie.created",
    "selfie.submitted",
    "selfie.processed",
    "selfie.errored",
    "transaction.created",
    "transaction.labeled",
    "transaction.redacted",
    "transaction.status-updated",
    "verification.created",
    "verification.submitted",
    "verification.passed",
    "verification.failed",
    "verification.requires-retry",
    "verification.canceled",
];

const API_VERSIONS: &[&str] = &[
    "2023-01-05",
    "2022-09-01",
    "2021-08-18",
    "2021-07-05",
    "2021-02-21",
    "2020-05-18",
];
const INFLECTIONS: &[&str] = &["camel", "kebab", "snake"];
/// The one API version webhook payloads are rendered in.
const EMULATED_API_VERSION: &str = "2023-01-05";

/// A setting Persona has that the sandbox does not apply: refused rather than silently ignored.
fn not_emulated(what: &str) -> Invalid {
    (
        422,
        format!("{what} is not emulated by the sandbox; leave it out (or send it empty)"),
    )
}

/// The attributes of a create or update body, validated; `None` leaves a setting as it is.
#[derive(Debug, Default)]
pub struct WebhookChange {
    pub(super) url: Option<String>,
    pub(super) enabled_events: Option<Vec<String>>,
    pub(super) api_version: Option<String>,
    pub(super) key_inflection: Option<String>,
    pub(super) attributes_blocklist: Option<Vec<String>>,
    pub(super) file_access_token_expires_in: Option<i64>,
    pub(super) payload_filter: Option<Value>,
}

type Invalid = (u16, String);

impl WebhookChange {
    /// Parses `{"data":{"attributes":{...}}}`; `creating` makes `url` and `enabled-events`
    /// required. Shape errors are 400, unacceptable values 422.
    pub fn parse(req: &ApiRequest, creating: bool) -> Result<Self, Invalid> {
        let body = crate::vendors::persona::request::json_value(req).map_err(|e| (400, e.0))?;
        let attributes = attributes_of(&body)?;
        let mut change = WebhookChange::default();
        for (key, value) in attributes {
            match key.as_str() {
                "url" => change.url = Some(parse_url(value)?),
                "enabled-events" => change.enabled_events = Some(parse_events(value)?),
                "api-version" => {
                    let version = one_of(key, value, API_VERSIONS)?;
                    // Payloads are rendered in one shape only: accepting another version
                    // would promise bodies the sandbox does not produce.
                    if version != EMULATED_API_VERSION {
                        return Err(not_emulated(&format!(
                            "data.attributes.api-version {version:?} (only {EMULATED_API_VERSION} is)"
                        )));
                    }
                    change.api_version = Some(version);
                }
                "api-key-inflection" => {
                    change.key_inflection = Some(one_of(key, value, INFLECTIONS)?);
                }
                "api-attributes-blocklist" => {
                    let blocklist = strings(key, value)?;
                    if !blocklist.is_empty() {
                        return Err(not_emulated("data.attributes.api-attributes-blocklist"));
                    }
                    change.attributes_blocklist = Some(blocklist);
                }
                "file-access-token-expires-in" => match whole_number(value) {
                    Some(seconds) if seconds > 0 => {
                        change.file_access_token_expires_in = Some(seconds);
                    }
                    _ => return Err(bad(key, "a positive integer", value)),
                },
                "payload-filter" => match value {
                    Value::Null => change.payload_filter = Some(Value::Null),
                    Value::Object(filter) if filter.keys().all(|k| k == "data") => {
                        return Err(not_emulated("data.attributes.payload-filter"));
                    }
                    _ => return Err(bad(key, "an object with only a data key", value)),
                },
                "custom-http-headers" => {
                    return Err(not_emulated("data.attributes.custom-http-headers"));
                }
                other => {
                    return Err((
                        400,
                        format!(
                            "Unknown attribute data.attributes.{other}; a webhook takes url, \
                             enabled-events, api-version, api-key-inflection, \
                             api-attributes-blocklist, file-access-token-expires-in and \
                             payload-filter"
                        ),
                    ));
                }
            }
        }
        if creating {
            for (name, given) in [
                ("url", change.url.is_some()),
                ("enabled-events", change.enabled_events.is_some()),
            ] {
                if !given {
                    return Err((400, format!("data.attributes.{name} is required")));
                }
            }
        }
        Ok(change)
    }
}

fn attributes_of(body: &Value) -> Result<&Map<String, Value>, Invalid> {
    let Some(top) = body.as_object() else {
        return Err((400, "Request body must be a JSON object".into()));
    };
    if let Some(key) = top.keys().find(|k| *k != "data") {
        return Err((
            400,
            format!("Unknown top-level key {key:?}; the body takes only data"),
        ));
    }
    let data = top
        .get("data")
        .ok_or((400, "data is required".to_string()))?
        .as_object()
        .ok_or((400, "data must be an object".to_string()))?;
    if let Some(key) = data.keys().find(|k| *k != "attributes") {
        return Err((
            400,
            format!("Unknown key data.{key}; data takes only attributes"),
        ));
    }
    data.get("attributes")
        .ok_or((400, "data.attributes is required".to_string()))?
        .as_object()
        .ok_or((400, "data.attributes must be an object".to_string()))
}

fn bad(key: &str, expected: &str, got: &Value) -> Invalid {
    (
        400,
        format!("data.attributes.{key} must be {expected}, got {got}"),
    )
}

fn parse_url(value: &Value) -> Result<String, Invalid> {
    let Some(url) = value.as_str() else {
        return Err(bad("url", "a string", value));
    };
    let valid = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && url.parse::<hyper::Uri>().is_ok();
    if valid {
        Ok(url.to_string())
    } else {
        Err((
            422,
            format!("data.attributes.url must be an absolute http:// or https:// URL, got {url:?}"),
        ))
    }
}

fn parse_events(value: &Value) -> Result<Vec<String>, Invalid> {
    let events = strings("enabled-events", value)?;
    if let Some(unknown) = events.iter().find(|e| !KNOWN_EVENTS.contains(&e.as_str())) {
        return Err((
            422,
            format!(
                "data.attributes.enabled-events has an unknown event {unknown:?}; use event names \
                 such as inquiry.completed, or \"*\" for all events"
            ),
        ));
    }
    Ok(events)
}

fn strings(key: &str, value: &Value) -> Result<Vec<String>, Invalid> {
    value
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect::<Option<Vec<String>>>()
        })
        .ok_or_else(|| bad(key, "an array of strings", value))
}

fn one_of(key: &str, value: &Value, allowed: &[&str]) -> Result<String, Invalid> {
    match value.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s.to_string()),
        _ => Err((
            422,
            format!(
                "data.attributes.{key} must be one of {}, got {value}",
                allowed.join(", ")
            ),
        )),
    }
}
