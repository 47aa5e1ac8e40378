//! Get Withdrawer, `GET /api/withdraw` (trailing slash too): checks the verification first, as
//! Coinflow documents ("automatically check the Share Token status ..."). An active scenario's
//! `get_withdrawer` outcome steers the answer (see `scenario`).

use super::model::VerificationStatus;
use super::scenario;
use super::verification::{self, Check};
use super::{auth, error, verification_response};
use crate::http::ApiResponse;
use crate::store::World;
use crate::vendors::Ctx;

/// 200 with the full withdrawer once it is verified (`approved`, `attested`); 451 with a
/// `verificationLink` while it is pending or fields are missing, and with `rejectionReasons`
/// once rejected; 401 without a withdrawer.
pub fn get(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    let caller = match auth::authenticate(req, &world.coinflow, world.clock.now_ms()) {
        Ok(c) => c,
        Err(message) => return error(401, &message, req),
    };
    let Some(index) = world.coinflow.find_or_claim(&caller, None) else {
        return error(
            401,
            &format!("No withdrawer associated with {}", caller.describe()),
            req,
        );
    };
    // The merchant's `redirectLink` is where the verification page sends the user when done.
    if let Some(redirect) = req
        .query_param("redirectLink")
        .filter(|r| crate::http::is_web_url(r))
        && let Some(w) = world.coinflow.get_mut(index)
    {
        w.redirect_link = Some(redirect.to_string());
    }
    scenario::count_read(world, index);
    let check = match &cx.steer {
        Some(steer) => scenario::get_withdrawer(app, world, index, steer),
        None => verification::advance(app, world, index),
    };
    let Some(w) = world.coinflow.get(index) else {
        return error(500, "Withdrawer was not stored", req);
    };
    match check {
        Check::Final(VerificationStatus::Rejected) => verification_response(app, req, w, &check),
        Check::Final(_) => ApiResponse::json(200, w.full_json()),
        pending => verification_response(app, req, w, &pending),
    }
}
