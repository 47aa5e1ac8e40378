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

/// `$12.34` (`-$5.50` below zero), for messages. The sign is written once, before the dollar
/// sign: `/` and `%` of a negative number both keep the sign.
pub fn usd(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}${}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::usd;

    #[test]
    fn usd_for_any_cents() {
        assert_eq!(usd(1234), "$12.34");
        assert_eq!(usd(5), "$0.05");
        assert_eq!(usd(0), "$0.00");
        assert_eq!(usd(-550), "-$5.50");
        assert_eq!(usd(-5), "-$0.05");
        assert_eq!(usd(i64::MIN), "-$92233720368547758.08");
    }
}
