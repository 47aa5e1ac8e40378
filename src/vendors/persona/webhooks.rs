//! Persona's outgoing webhooks: the `/api/v1/webhooks` endpoints (target, enabled events,
//! secret rotation), the `Persona-Signature` header, and handing events to the outbox.

use serde_json::Value;

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::vendors::Vendor;
use crate::webhooks::AttemptInfo;

/// Persona webhook settings of one namespace beyond the outbox target.
#[derive(Debug, Default)]
pub struct Subscriptions {}

/// `/api/v1/webhooks...` routes.
pub fn handle(_app: &App, req: &ApiRequest) -> ApiResponse {
    super::error(404, "Webhooks API not emulated yet", req)
}

/// Hands one Persona event (the full `{"data":{"type":"event",...}}` envelope) to the outbox.
pub fn deliver_event(world: &mut World, event_name: &str, envelope: &Value) {
    let now = world.clock.now_ms();
    world
        .webhooks
        .enqueue(Vendor::Persona, event_name, envelope, now);
}

/// `Persona-Signature` and the `Persona-Webhook-Attempts-*` headers for one attempt.
pub fn webhook_headers(
    _secrets: &[String],
    _attempt: &AttemptInfo,
    _body: &[u8],
) -> Vec<(String, String)> {
    Vec::new()
}
