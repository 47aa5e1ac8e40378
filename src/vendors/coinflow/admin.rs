//! The Coinflow part of `GET /__admin/state`.

use serde_json::{Value, json};

use crate::clock::{Millis, iso8601};
use crate::store::World;

fn time(ms: Option<Millis>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(iso8601(ms)))
}

use super::model::Method;
use super::payout_model::PayoutEnd;
use super::verification::fields_asked;

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
                "missing_fields": fields_asked(world, w).iter().map(|f| f.name).collect::<Vec<_>>(),
                "bank_accounts": w.bank_accounts.iter().map(|a| json!({
                    "token": a.token, "alias": a.alias, "last4": a.last4,
                    "routing_number": a.routing_number, "type": a.account_type,
                    "deleted": a.deleted,
                })).collect::<Vec<_>>(),
                "cards": w.cards.iter().map(|c| json!({
                    "token": c.token, "network": c.network, "last4": c.last4,
                    "deleted": c.deleted,
                })).collect::<Vec<_>>(),
                "documents": w.documents.as_ref().map(|d| json!({
                    "id_type": d.id_type, "country": d.country, "front": d.front,
                    "back": d.back, "uploaded_at": time(Some(d.uploaded_ms)),
                })),
                "rejection_reason": w.rejection_reason,
                "created_at": time(Some(w.created_ms)),
                "updated_at": time(Some(w.updated_ms)),
            })
        })
        .collect();
    let payouts: Vec<Value> = world
        .coinflow
        .payouts
        .iter()
        .map(|p| {
            json!({
                "transfer_id": p.id,
                "signature": p.signature,
                "merchant_id": p.merchant_id,
                "user_id": p.user_id,
                "withdrawer_id": p.withdrawer_id,
                "account": p.account_token,
                "speed": p.speed.as_str(),
                "amount_cents": p.amount_cents,
                "fee_cents": p.fee_cents,
                "status": p.status.as_str(),
                "idempotency_key": p.idempotency_key,
                "settles_at": time(Some(p.due_ms)),
                "stays_pending": p.end == PayoutEnd::StayPending,
                "failure": p.failure,
                "created_at": time(Some(p.created_ms)),
                "updated_at": time(Some(p.updated_ms)),
            })
        })
        .collect();
    json!({
        "withdrawers": withdrawers,
        "payouts": payouts,
        "payout_balances": world.coinflow.balances(),
        "starting_payout_balance_cents": world.coinflow.starting_balance_cents,
    })
}
