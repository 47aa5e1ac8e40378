//! The namespace's sandbox clock: read it, and move it forward running whatever falls due.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{body, error};
use crate::app::App;
use crate::clock::Clock;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::vendors::{bitmama, coinflow, persona};

/// A century at a time is plenty, and keeps every timestamp far from overflowing.
const MAX_SECONDS: f64 = 100.0 * 366.0 * 86_400.0;

fn clock_json(namespace: &str, clock: &Clock) -> Value {
    json!({
        "namespace": namespace,
        "now": clock.now_iso(),
        "now_ms": clock.now_ms(),
        "offset_seconds": clock.offset_ms() as f64 / 1000.0,
    })
}

pub fn get(app: &App, req: &ApiRequest) -> ApiResponse {
    let ns = app.store.namespace(&req.namespace);
    let world = ns.lock();
    ApiResponse::json(200, clock_json(&req.namespace, &world.clock))
}

/// `{"seconds": N}` moves the namespace's clock forward, then runs everything now due before
/// answering: see [`settle`].
pub fn advance(app: &App, req: &ApiRequest) -> ApiResponse {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Advance {
        seconds: f64,
    }
    let advance: Advance = match body(req) {
        Ok(a) => a,
        Err(response) => return response,
    };
    if !advance.seconds.is_finite() || !(0.0..=MAX_SECONDS).contains(&advance.seconds) {
        return error(
            400,
            &format!("seconds must be a number from 0 to {MAX_SECONDS}"),
        );
    }
    let ns = app.store.namespace(&req.namespace);
    let mut world = ns.lock();
    world.clock.advance((advance.seconds * 1000.0) as i64);
    settle(app, &mut world);
    ApiResponse::json(200, clock_json(&req.namespace, &world.clock))
}

/// Everything time-based that is due in the namespace, applied now rather than on the next read:
/// scenario decisions scheduled on inquiries, inquiry expiry, share-token redemption and expiry
/// (each with its events, webhooks and the other vendors' reactions, through Persona's settle),
/// Coinflow withdrawers whose verification can move on (a finished redemption, a scenario hold
/// that fell due; `KYC Success`/`Failure` go out), Bitmama users behind expired inquiries, and
/// webhook retries now due in sandbox time (woken here; the worker sends them at once).
/// Bitmama's idempotency keys compare their age with the clock when used, so they need nothing.
pub fn settle(app: &App, world: &mut World) {
    persona::settle(app, world);
    coinflow::settle(app, world);
    bitmama::settle(app, world);
    world.webhooks.clock_moved();
}
