//! CoinflowWithdrawHistory's page, `/{blockchain}/history/withdraw/{merchantId}`: the session
//! user's payouts, newest first, read as `GET /api/withdraw/history` reads them
//! (`payouts::history_of`), so the page and the API never disagree. Read only: it posts `loaded`
//! and `heightChange:<id>`, as every page does, and nothing else.

use super::super::payouts;
use super::{dollars, respond, session};
use crate::clock::iso8601;
use crate::html::escape;
use crate::http::ApiResponse;
use crate::store::World;
use crate::vendors::Ctx;

const ROUTE: &str = "history/withdraw";

/// `GET /{blockchain}/history/withdraw/{merchantId}`.
pub fn page(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (sdk, index, _) = match session(cx, world) {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(w) = world.coinflow.get(index) else {
        return respond(500, &sdk, "Error", "<p>Withdrawer was not stored</p>", &[]);
    };
    let mut rows = String::new();
    for p in payouts::history_of(world, &w.id) {
        rows.push_str(&format!(
            "<tr class=\"withdraw\" data-transaction=\"{}\" data-status=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&p.signature),
            p.status.as_str(),
            iso8601(p.created_ms),
            dollars(p.amount_cents),
            p.speed.as_str(),
            p.status.as_str(),
            escape(&p.account_token),
        ));
    }
    let list = if rows.is_empty() {
        "<p id=\"empty\">No withdrawals yet.</p>".to_string()
    } else {
        format!(
            "<table id=\"withdraws\"><tr><th>Date</th><th>Amount</th><th>Speed</th><th>Status</th><th>Account</th></tr>{rows}</table>"
        )
    };
    let body = format!(
        "<p class=\"muted\">{}</p>\n{list}\n<p><a class=\"button secondary\" id=\"refresh\" href=\"{}\">Refresh</a></p>",
        escape(&w.email),
        escape(&sdk.link(ROUTE, "")),
    );
    respond(200, &sdk, "Withdrawal history", &body, &[])
}
