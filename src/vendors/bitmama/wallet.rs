//! `GET /api/v1/partner/wallet`: the partner wallet that pays KYC fees and funds float cards.
//!
//! Kept in integer cents; shown as Bitmama does, a dollar number (`"balance": 5000` for the
//! default starting balance of 500000 cents, `4998` after one 200-cent KYC fee).

use serde_json::json;

use super::model::dollars;
use super::{Reply, auth, kyc, scenario, success};
use crate::store::World;
use crate::vendors::Ctx;

pub fn get(cx: &Ctx, world: &mut World) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    scenario::ensure_partner(app, world, api_key);
    kyc::settle(app, world);
    let partner = world
        .bitmama
        .partner(api_key, app.config.bitmama.starting_balance_cents);
    Ok(success(
        200,
        "Wallet balance retrieved",
        json!({
            "partnerId": partner.slug,
            "balance": dollars(partner.balance_cents),
            "currency": "USD",
            "active": true,
        }),
    ))
}
