//! Get Withdrawer, `GET /api/withdraw` (trailing slash too): checks the verification first, as
//! Coinflow documents ("automatically check the Share Token status ...").

use super::verification::{self, Check};
use super::{auth, error, verification_response};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};

/// 200 with the full withdrawer once the verification is final (`approved`, `attested`, and
/// also `rejected`: the record exists, its status says the payout will be refused); 451 with a
/// `verificationLink` while it is pending or fields are missing; 401 without a withdrawer.
pub fn get(app: &App, req: &ApiRequest) -> ApiResponse {
    let ns = app.store.namespace(&req.namespace);
    let mut world = ns.lock();
    let caller = match auth::authenticate(req, &world.coinflow, world.clock.now_ms()) {
        Ok(c) => c,
        Err(message) => return error(401, &message, req),
    };
    let Some(index) = world.coinflow.find(&caller) else {
        return error(
            401,
            &format!("No withdrawer associated with {}", caller.describe()),
            req,
        );
    };
    let check = verification::advance(app, &mut world, index);
    let Some(w) = world.coinflow.get(index) else {
        return error(500, "Withdrawer was not stored", req);
    };
    match check {
        Check::Final(_) => ApiResponse::json(200, w.full_json()),
        pending => verification_response(app, req, w, &pending),
    }
}
