//! `GET /__admin/state`: every entity of every vendor in the namespace, with its status, settled
//! against the namespace clock first (as a vendor read would).

use serde_json::{Value, json};

use crate::app::App;
use crate::clock::{Millis, iso8601};
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::vendors::bitmama::dollars;
use crate::vendors::coinflow::model::Method;

pub fn get(app: &App, req: &ApiRequest) -> ApiResponse {
    let ns = app.store.namespace(&req.namespace);
    let mut world = ns.lock();
    // As a vendor read would: whatever fell due in sandbox time shows as done.
    super::clock::settle(app, &mut world);
    ApiResponse::json(
        200,
        json!({
            "namespace": req.namespace,
            "now": world.clock.now_iso(),
            "scenario": world.scenario.selected,
            "persona": persona_state(&world),
            "coinflow": coinflow_state(&world),
            "bitmama": bitmama_state(&world),
        }),
    )
}

fn time(ms: Option<Millis>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(iso8601(ms)))
}

fn persona_state(world: &World) -> Value {
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
                "name_first": i.fields.get("name-first"),
                "name_last": i.fields.get("name-last"),
                "email_address": i.fields.get("email-address"),
                "created_at": time(Some(i.created_at)),
                "updated_at": time(Some(i.updated_at)),
                "expires_at": time(i.expires_at),
                "scheduled_decision": i.scheduled_decision.map(|d| json!({
                    "to": d.to.as_str(), "due_at": time(Some(d.due_at)),
                })),
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
        "share_tokens": share_tokens,
        "events": events,
        "event_count": world.persona.events().len(),
        "webhooks": webhooks,
    })
}

fn coinflow_state(world: &World) -> Value {
    let withdrawers: Vec<Value> = world
        .coinflow
        .all()
        .iter()
        .map(|w| {
            let method = match &w.method {
                Method::ShareToken { .. } => "share_token",
                Method::UsInfo => "us_info",
                Method::Document => "document",
                Method::Attested => "attested",
            };
            json!({
                "id": w.id,
                "status": w.status.as_str(),
                "email": w.email,
                "merchant_id": w.merchant_id,
                "user_id": w.user_id,
                "wallet": w.wallet,
                "blockchain": w.blockchain,
                "method": method,
                "missing_fields": w.missing_fields().iter().map(|f| f.name).collect::<Vec<_>>(),
                "rejection_reason": w.rejection_reason,
                "created_at": time(Some(w.created_ms)),
                "updated_at": time(Some(w.updated_ms)),
            })
        })
        .collect();
    json!({"withdrawers": withdrawers})
}

fn bitmama_state(world: &World) -> Value {
    let mut partners: Vec<_> = world.bitmama.partners.values().collect();
    partners.sort_by(|a, b| a.slug.cmp(&b.slug));
    let partners: Vec<Value> = partners
        .into_iter()
        .map(|p| {
            let users: Vec<Value> = p
                .users()
                .iter()
                .map(|u| {
                    let mut user = u.summary();
                    user["inquiryId"] = json!(u.inquiry_id);
                    user["retryCount"] = json!(u.retry_count);
                    user
                })
                .collect();
            let cards: Vec<Value> = p
                .cards()
                .iter()
                .map(|c| {
                    json!({
                        "serviceCardId": c.service_card_id,
                        "serviceId": c.service_id,
                        "status": c.status.as_str(),
                        "fundingType": c.funding_type.as_str(),
                        "balance": dollars(c.balance_cents),
                        "createdAt": time(Some(c.created_at)),
                    })
                })
                .collect();
            json!({
                "partner": p.slug,
                "balance": dollars(p.balance_cents),
                "balance_cents": p.balance_cents,
                "webhook_url": p.webhook.as_ref().map(|w| w.url.clone()),
                "redirect_url": p.redirect_url,
                "users": users,
                "cards": cards,
                "transactions": p.transactions.len(),
            })
        })
        .collect();
    json!({"partners": partners})
}
