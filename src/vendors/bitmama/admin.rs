//! The Bitmama part of `GET /__admin/state`.

use serde_json::{Value, json};

use crate::clock::{Millis, iso8601};
use crate::store::World;

fn time(ms: Option<Millis>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(iso8601(ms)))
}

use super::dollars;

/// Bitmama's entities in a namespace, for `GET /__admin/state`.
pub(super) fn state(world: &World) -> Value {
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
                    user["inquiryId"] = json!(u.inquiry_id());
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
