//! The Persona part of `GET /__admin/state`.

use serde_json::{Value, json};

use crate::clock::{Millis, iso8601};
use crate::store::World;

fn time(ms: Option<Millis>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(iso8601(ms)))
}

/// Persona's entities in a namespace, for `GET /__admin/state`.
pub(super) fn state(world: &World) -> Value {
    let now = world.clock.now_ms();
    let inquiries: Vec<Value> = world
        .persona
        .inquiries()
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "status": i.status.as_str(),
                "reference_id": i.reference_id,
                "template_id": i.template_id,
                "account_id": i.account_id,
                "verifications": i.verifications.iter().map(|v| json!({
                    "id": v.id, "type": v.kind.type_name(), "status": v.status.as_str(),
                })).collect::<Vec<_>>(),
                "name_first": i.fields.get("name-first"),
                "name_last": i.fields.get("name-last"),
                "email_address": i.fields.get("email-address"),
                "created_at": time(Some(i.created_at)),
                "updated_at": time(Some(i.updated_at)),
                "expires_at": time(i.expires_at),
                "scheduled_decision": i.rare().scheduled_decision.map(|d| json!({
                    "to": d.to.as_str(), "due_at": time(Some(d.due_at)),
                })),
            })
        })
        .collect();
    let accounts: Vec<Value> = world
        .persona
        .accounts()
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "reference_id": a.reference_id,
                "tags": a.tags,
                "created_at": time(Some(a.created_at)),
                "redacted_at": time(a.redacted_at),
            })
        })
        .collect();
    let share_tokens: Vec<Value> = world
        .persona
        .share_tokens()
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "status": t.status.as_str(),
                "source_inquiry_id": t.source_inquiry_id,
                "connection_id": t.connection_id,
                "expires_at": time(Some(t.expires_at)),
            })
        })
        .collect();
    let events: Vec<Value> = world
        .persona
        .events()
        .iter()
        .rev()
        .take(100)
        .map(|e| json!({"id": e.id, "name": e.name, "created_at": time(Some(e.created_at))}))
        .collect();
    let webhooks: Vec<Value> = world
        .persona
        .webhooks
        .all()
        .iter()
        .map(|w| w.render(now, false))
        .collect();
    json!({
        "inquiries": inquiries,
        "accounts": accounts,
        "share_tokens": share_tokens,
        "events": events,
        "event_count": world.persona.events().len(),
        "webhooks": webhooks,
    })
}
