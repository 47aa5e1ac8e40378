//! Persona's OpenAPI spec (`specs/` at the repository root), parsed once per test binary, and
//! JSON-schema validation of bodies against the schemas in it.
//!
//! A schema is taken out of the spec by JSON pointer and compiled together with the spec's
//! `components`, so its `$ref: '#/components/...'` resolve inside the same document. Compiled
//! validators are cached by pointer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{Draft, Validator};
use serde_json::Value;

const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/specs/persona-openapi-2023-01-05.yaml"
);

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(SPEC_PATH)
            .unwrap_or_else(|e| panic!("cannot read the Persona spec at {SPEC_PATH}: {e}"));
        serde_norway::from_str(&text).expect("the Persona spec parses as YAML")
    })
}

/// Escapes one JSON-pointer token (`/` and `~`).
fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Pointer to the JSON schema of `method path`'s `status` response (`path` as in the spec,
/// below `/api/v1`, e.g. `/inquiries/{inquiry-id}`).
pub fn response(method: &str, path: &str, status: u16) -> String {
    format!(
        "/paths/{}/{}/responses/{status}/content/application~1json/schema",
        token(path),
        method.to_ascii_lowercase()
    )
}

/// Pointer to the JSON schema of `method path`'s request body.
pub fn request(method: &str, path: &str) -> String {
    format!(
        "/paths/{}/{}/requestBody/content/application~1json/schema",
        token(path),
        method.to_ascii_lowercase()
    )
}

/// Pointer to the JSON schema of a shared error response (`not-found`, `bad-request`, ...).
pub fn error_response(name: &str) -> String {
    format!("/components/responses/{name}/content/application~1json/schema")
}

/// Pointer to the body schema of webhook `event`, when the spec has one.
pub fn webhook_body(event: &str) -> String {
    format!(
        "/webhooks/{}/post/requestBody/content/application~1json/schema",
        token(event)
    )
}

/// The schema at `pointer` with the spec's `components` beside it.
fn schema_at(pointer: &str) -> Value {
    let mut schema = spec()
        .pointer(pointer)
        .unwrap_or_else(|| panic!("the spec has no schema at {pointer}"))
        .clone();
    if let Value::Object(map) = &mut schema {
        map.insert("components".into(), spec()["components"].clone());
    }
    schema
}

/// The body schema for a webhook event. Inquiry events that the spec's `webhooks` section does
/// not list (`inquiry.started`) carry the same envelope, so they get `inquiry.created`'s schema
/// with the event name swapped.
fn webhook_schema(event: &str) -> Value {
    if spec().pointer(&webhook_body(event)).is_some() {
        return schema_at(&webhook_body(event));
    }
    assert!(
        event.starts_with("inquiry."),
        "no webhook schema for {event}"
    );
    let mut schema = schema_at(&webhook_body("inquiry.created"));
    let name = schema
        .pointer_mut("/properties/data/allOf/1/properties/attributes/allOf/0/properties/name")
        .expect("inquiry.created schema has the event name");
    *name = serde_json::json!({"type": "string", "const": event});
    schema
}

fn validator(key: &str, build: impl FnOnce() -> Value) -> Arc<Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(key.to_string())
        .or_insert_with(|| {
            let validator = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .should_validate_formats(true)
                .build(&build())
                .unwrap_or_else(|e| panic!("schema {key} compiles: {e}"));
            Arc::new(validator)
        })
        .clone()
}

/// Every way `instance` breaks the schema, as `message at /instance/path`.
fn violations(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn check(key: &str, violations: Vec<String>, instance: &Value) {
    assert!(
        violations.is_empty(),
        "body does not match the spec's schema {key}:\n  {}\nbody: {}",
        violations.join("\n  "),
        serde_json::to_string_pretty(instance).unwrap_or_default()
    );
}

/// Panics with every violation when `instance` does not match the schema at `pointer`.
pub fn assert_valid(pointer: &str, instance: &Value) {
    let v = validator(pointer, || schema_at(pointer));
    check(pointer, violations(&v, instance), instance);
}

pub fn is_valid(pointer: &str, instance: &Value) -> bool {
    validator(pointer, || schema_at(pointer)).is_valid(instance)
}

/// Panics unless `body` is a valid webhook body for its own `data.attributes.name`.
pub fn assert_valid_webhook(body: &Value) {
    let event = body
        .pointer("/data/attributes/name")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("webhook body has no data.attributes.name: {body}"));
    let key = format!("webhook {event}");
    let v = validator(&key, || webhook_schema(event));
    check(&key, violations(&v, body), body);
}

/// `body` with an attribute the schema does not allow, to show a check is not vacuous.
pub fn with_unknown_attribute(body: &Value, at: &str) -> Value {
    let mut broken = body.clone();
    if let Some(Value::Object(map)) = broken.pointer_mut(at) {
        map.insert("not-in-the-spec".into(), Value::Bool(true));
    }
    broken
}
