//! The Coinflow part of `GET /__admin/state`.

use serde_json::{Value, json};

use crate::clock::{Millis, iso8601};
use crate::store::World;

fn time(ms: Option<Millis>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(iso8601(ms)))
}

use super::model::Method;

/// Coinflow's entities in a namespace, for `GET /__admin/state`.
pub(super) fn state(world: &World) -> Value {
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
