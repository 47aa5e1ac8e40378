//! OpenAPI schemas of Persona's bodies (loose: `Key-Inflection` recases keys) and its lists'
//! query parameters.

use serde_json::{Value, json};

use crate::vendors::table::{Param, object};

pub(super) fn one() -> Value {
    object(
        &["data"],
        json!({"data": object(&["id", "type"], json!({
            "id": {"type": "string"}, "type": {"type": "string"}, "attributes": {"type": "object"},
        }))}),
    )
}

pub(super) fn list() -> Value {
    object(
        &["data"],
        json!({"data": {"type": "array", "items": {"type": "object"}}}),
    )
}

/// `{"data": {"attributes": {...}}}` with the given attribute properties, `required` of them
/// required (and then `data.attributes` too).
pub(super) fn attributes(required: &[&str], properties: Value) -> Value {
    let needs: &[&str] = if required.is_empty() {
        &[]
    } else {
        &["attributes"]
    };
    object(
        &["data"],
        json!({"data": object(needs, json!({"attributes": object(required, properties)}))}),
    )
}

pub(super) fn create_inquiry_body() -> Value {
    let s = json!({"type": "string"});
    let mut body = attributes(
        &[],
        json!({
            "inquiry-template-id": s, "template-id": s, "inquiry-template-version-id": s,
            "reference-id": s, "account-id": s, "redirect-uri": s, "note": s,
            "fields": {"type": "object"}, "tags": {"type": "array", "items": s},
        }),
    );
    // Exactly one way to name the template.
    body["required"] = json!(["data"]);
    body["properties"]["data"]["required"] = json!(["attributes"]);
    body["properties"]["data"]["properties"]["attributes"]["oneOf"] = json!([
        {"required": ["inquiry-template-id"]},
        {"required": ["template-id"]},
        {"required": ["inquiry-template-version-id"]},
    ]);
    body
}

pub(super) fn simulate_body() -> Value {
    object(
        &["meta"],
        json!({"meta": object(&["simulate-actions"], json!({"simulate-actions": {"type": "array", "items": object(&["type"], json!({"type": {"type": "string"}}))}}))}),
    )
}

pub(super) fn share_token_body() -> Value {
    attributes(
        &["connection-id", "source-id"],
        json!({"connection-id": {"type": "string"}, "source-id": {"type": "string"}}),
    )
}

pub(super) fn webhook_body() -> Value {
    attributes(
        &["url", "enabled-events"],
        json!({"url": {"type": "string"}, "enabled-events": {"type": "array", "items": {"type": "string"}}}),
    )
}

pub(super) fn webhook_update_body() -> Value {
    attributes(&[], json!({"url": {"type": "string"}}))
}

pub(super) fn account_body() -> Value {
    let s = json!({"type": "string"});
    attributes(
        &[],
        json!({
            "reference-id": s, "name-first": s, "name-middle": s, "name-last": s,
            "birthdate": {"type": "string", "anyOf": [{"format": "date"}, {"const": ""}]},
            "phone-number": s, "email-address": s, "address-street-1": s, "address-street-2": s,
            "address-city": s, "address-subdivision": s, "address-postal-code": s,
            "country-code": s, "social-security-number": s,
            "fields": {"type": "object"}, "tags": {"type": "array", "items": s},
        }),
    )
}

pub(super) fn tag_body() -> Value {
    object(
        &["meta"],
        json!({"meta": object(&["tag-name"], json!({"tag-name": {"type": "string"}}))}),
    )
}

pub(super) fn tags_body() -> Value {
    object(
        &["meta"],
        json!({"meta": object(&["tag-name"], json!({"tag-name": {"type": "array", "items": {"type": "string"}}}))}),
    )
}

pub(super) fn update_inquiry_body() -> Value {
    let s = json!({"type": "string"});
    attributes(
        &[],
        json!({"note": s, "fields": {"type": "object"}, "tags": {"type": "array", "items": s}}),
    )
}

/// A list's page (cursor pagination, as the spec's `page` parameter).
const PAGE: [Param; 3] = [
    Param::query(
        "page[size]",
        || json!({"type": "integer", "minimum": 1, "maximum": 100, "examples": [10]}),
    ),
    Param::query(
        "page[after]",
        || json!({"type": "string", "examples": [""]}),
    ),
    Param::query(
        "page[before]",
        || json!({"type": "string", "examples": [""]}),
    ),
];
/// Inquiries' and accounts' `filter[reference-id]`.
const REFERENCE_ID: Param = Param::query(
    "filter[reference-id]",
    || json!({"type": "string", "examples": ["user-1"]}),
);
pub(super) static PAGE_ONLY: &[Param] = &PAGE;
pub(super) static INQUIRY_LIST: &[Param] = &[
    PAGE[0],
    PAGE[1],
    PAGE[2],
    REFERENCE_ID,
    Param::query(
        "filter[account-id]",
        || json!({"type": "string", "examples": ["act_1,act_2"]}),
    ),
    Param::query(
        "filter[inquiry-template-id]",
        || json!({"type": "string", "examples": ["itmpl_1"]}),
    ),
    Param::query(
        "filter[template-id]",
        || json!({"type": "string", "examples": ["tmpl_1"]}),
    ),
    Param::query(
        "filter[status]",
        || json!({"type": "string", "examples": ["pending,completed"]}),
    ),
    Param::query(
        "filter[note]",
        || json!({"type": "string", "examples": ["vip"]}),
    ),
    Param::query(
        "filter[created-at-start]",
        || json!({"type": "string", "examples": ["2026-01-01T00:00:00Z"]}),
    ),
    Param::query(
        "filter[created-at-end]",
        || json!({"type": "string", "examples": ["2126-01-01"]}),
    ),
];
pub(super) static ACCOUNT_LIST: &[Param] = &[PAGE[0], PAGE[1], PAGE[2], REFERENCE_ID];
pub(super) static EVENT_LIST: &[Param] = &[
    PAGE[0],
    PAGE[1],
    PAGE[2],
    Param::query(
        "filter[name]",
        || json!({"type": "string", "examples": ["inquiry.created"]}),
    ),
    Param::query(
        "filter[object-id]",
        || json!({"type": "string", "examples": ["inq_1"]}),
    ),
    Param::query(
        "filter[id]",
        || json!({"type": "string", "examples": ["evt_1"]}),
    ),
];
