//! JSON:API rendering of Persona objects, kebab-case (the wire default; `inflection` recases).
//!
//! The inquiry follows the spec's `components.schemas.inquiry`: every attribute present (null
//! where the sandbox has nothing), every relationship present.

use serde_json::{Map, Value, json};

use super::model::{Event, Inquiry, ShareToken};
use crate::clock::{Millis, iso8601};

fn time(ms: Option<Millis>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(iso8601(ms)))
}

/// `{"type": "…", "value": …}` for one stored field value. Persona's own field types are
/// `string`, `date`, `number`, `boolean`, `array`, `hash`; a `YYYY-MM-DD` string is a date.
fn typed_field(value: &Value) -> Value {
    let kind = match value {
        Value::String(s) if is_date(s) => "date",
        Value::Null | Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "array",
        Value::Object(_) => "hash",
    };
    json!({"type": kind, "value": value})
}

fn is_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10
}

/// The inquiry resource object (what goes under `data`).
pub fn inquiry(inq: &Inquiry) -> Value {
    let field = |name: &str| inq.fields.get(name).cloned().unwrap_or(Value::Null);
    let fields: Map<String, Value> = inq
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), typed_field(v)))
        .collect();
    let template_rel = |prefix: &str, kind: &str| match &inq.template_id {
        Some(id) if id.starts_with(prefix) => json!({"data": {"type": kind, "id": id}}),
        _ => json!({"data": null}),
    };
    let (previous_step, next_step) = match inq.status.as_str() {
        "created" => (Value::Null, json!("start")),
        "pending" => (json!("start"), json!("verification")),
        "failed" => (json!("verification"), json!("fail")),
        "expired" => (Value::Null, Value::Null),
        _ => (json!("verification"), json!("success")),
    };
    let decided = matches!(inq.status.as_str(), "approved" | "declined");
    json!({
        "type": "inquiry",
        "id": inq.id,
        "attributes": {
            "status": inq.status.as_str(),
            "reference-id": inq.reference_id,
            "note": inq.note,
            "behaviors": {
                "request-spoof-attempts": 0,
                "user-agent-spoof-attempts": 0,
                "distraction-events": 0,
                "hesitation-baseline": 0,
                "hesitation-count": 0,
                "hesitation-time": 0,
                "shortcut-copies": 0,
                "shortcut-pastes": 0,
                "autofill-cancels": 0,
                "autofill-starts": 0,
                "devtools-open": false,
                "completion-time": 0,
                "hesitation-percentage": 0,
                "behavior-threat-level": "low",
            },
            "tags": inq.tags,
            "creator": "API",
            "reviewer-comment": inq.reviewer_comment,
            "created-at": iso8601(inq.created_at),
            "updated-at": iso8601(inq.updated_at),
            "started-at": time(inq.started_at),
            "completed-at": time(inq.completed_at),
            "failed-at": time(inq.failed_at),
            "marked-for-review-at": time(inq.marked_for_review_at),
            "decisioned-at": time(inq.decisioned_at),
            "expired-at": time(inq.expired_at),
            "redacted-at": time(inq.redacted_at),
            "previous-step-name": previous_step,
            "next-step-name": next_step,
            "name-first": field("name-first"),
            "name-middle": field("name-middle"),
            "name-last": field("name-last"),
            "birthdate": field("birthdate"),
            "address-street-1": field("address-street-1"),
            "address-street-2": field("address-street-2"),
            "address-city": field("address-city"),
            "address-subdivision": field("address-subdivision"),
            "address-subdivision-abbr": field("address-subdivision-abbr"),
            "address-postal-code": field("address-postal-code"),
            "address-postal-code-abbr": field("address-postal-code-abbr"),
            "social-security-number": field("social-security-number"),
            "identification-number": field("identification-number"),
            "email-address": field("email-address"),
            "phone-number": field("phone-number"),
            "fields": fields,
        },
        "relationships": {
            "account": match &inq.account_id {
                Some(id) => json!({"data": {"type": "account", "id": id}}),
                None => json!({"data": null}),
            },
            "template": template_rel("tmpl_", "template"),
            "inquiry-template": template_rel("itmpl_", "inquiry-template"),
            "inquiry-template-version": template_rel("itmplv_", "inquiry-template-version"),
            "transaction": {"data": null},
            "reviewer": if decided { json!({"data": {"type": "user", "id": "user_sandbox"}}) } else { json!({"data": null}) },
            "reports": {"data": []},
            "verifications": {"data": inq.verifications.iter().map(|v| json!({
                "type": v.kind.type_name(),
                "id": v.id,
            })).collect::<Vec<_>>()},
            "sessions": {"data": []},
            "documents": {"data": []},
            "selfies": {"data": []},
        },
    })
}

/// `{"data": <inquiry>, "included": []}`: a single-inquiry response, and an event's payload.
pub fn inquiry_document(inq: &Inquiry) -> Value {
    json!({"data": inquiry(inq), "included": []})
}

/// The event resource object as the Events API answers it: the spec's `event` schema has the
/// payload's `data` only (the webhook body adds `included`).
pub fn event(evt: &Event) -> Value {
    event_object(evt, json!({"data": event_data(evt)}))
}

/// What the event is about: the inquiry or the account, as it was.
fn event_data(evt: &Event) -> Value {
    match (&evt.inquiry, &evt.account) {
        (Some(inq), _) => inquiry(inq),
        (None, Some(account)) => super::accounts::render(account),
        (None, None) => Value::Null,
    }
}

fn event_object(evt: &Event, payload: Value) -> Value {
    json!({
        "type": "event",
        "id": evt.id,
        "attributes": {
            "name": evt.name,
            "payload": payload,
            "created-at": iso8601(evt.created_at),
        },
    })
}

/// `{"data": <event>}` for the Events API.
pub fn event_document(evt: &Event) -> Value {
    json!({"data": event(evt)})
}

/// The webhook body: `{"data": <event>}` with the payload's `data` and `included` (the
/// inquiry's verifications as they were).
pub fn webhook_envelope(evt: &Event) -> Value {
    let included = match &evt.inquiry {
        Some(inquiry) => super::include::snapshot_verifications(inquiry),
        None => Vec::new(),
    };
    webhook_envelope_with(evt, included)
}

/// [`webhook_envelope`] with the payload's `included` given.
pub(super) fn webhook_envelope_with(evt: &Event, included: Vec<Value>) -> Value {
    let payload = json!({"data": event_data(evt), "included": included});
    json!({"data": event_object(evt, payload)})
}

/// The `connect/share-token` resource object.
pub fn share_token(token: &ShareToken) -> Value {
    json!({
        "type": "connect/share-token",
        "id": token.id,
        "attributes": {
            "status": token.status.as_str(),
            "direction": "outbound",
            "created-at": iso8601(token.created_at),
            "updated-at": iso8601(token.updated_at),
            "pending-at": time(token.pending_at),
            "redeemed-at": time(token.redeemed_at),
            "expires-at": iso8601(token.expires_at),
        },
        "relationships": {
            "connection": {"data": {"type": "connect/connection", "id": token.connection_id}},
            "creator": {"data": {"type": "api-key", "id": token.creator_id}},
            "source": {"data": {"type": "inquiry", "id": token.source_inquiry_id}},
        },
    })
}
