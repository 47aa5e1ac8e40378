//! The namespace's sandbox clock: read it, and move it forward running whatever falls due.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{body, error};
use crate::app::App;
use crate::clock::{Clock, MAX_OFFSET_MS};
use crate::http::{ApiRequest, ApiResponse};
use crate::vendors;

/// A century at a time is plenty, and keeps every timestamp far from overflowing.
pub(super) const MAX_SECONDS: f64 = 100.0 * 366.0 * 86_400.0;

fn clock_json(namespace: &str, clock: &Clock) -> Value {
    json!({
        "namespace": namespace,
        "now": clock.now_iso(),
        "now_ms": clock.now_ms(),
        "offset_seconds": clock.offset_ms() as f64 / 1000.0,
    })
}

/// A namespace not made yet answers a new one's clock, and stays unmade.
pub fn get(app: &App, req: &ApiRequest) -> ApiResponse {
    let clock = app.store.view(&req.namespace, |world| {
        clock_json(&req.namespace, &world.clock)
    });
    ApiResponse::json(200, clock)
}

/// `{"seconds": N}` moves the namespace's clock forward, then runs everything now due before
/// answering.
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
    let ms = (advance.seconds * 1000.0) as i64;
    // The clock stops at its limit: an advance past it is refused, not cut short unsaid.
    if world.clock.offset_ms().saturating_add(ms) > MAX_OFFSET_MS {
        return error(
            422,
            &format!(
                "the clock is {} s ahead and may run at most {} s ahead (a thousand years); nothing moved",
                world.clock.offset_ms() / 1000,
                MAX_OFFSET_MS / 1000
            ),
        );
    }
    world.clock.advance(ms);
    // Everything now due runs before the answer: each vendor's settle (scheduled decisions,
    // expiry, redemptions, withdrawers and card users moving on, with their webhooks), then
    // webhook retries due in sandbox time are woken.
    vendors::settle_all(app, &mut world);
    ApiResponse::json(200, clock_json(&req.namespace, &world.clock))
}
