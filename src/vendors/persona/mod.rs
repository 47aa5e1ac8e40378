//! Persona: inquiries, the hosted verification flow, Connect share tokens, signed webhooks.
//!
//! JSON:API bodies with kebab-case keys; errors `{"errors":[{"title","details"}]}`.

mod hosted;
pub mod webhooks;

pub use webhooks::webhook_headers;

use serde_json::json;

use crate::app::App;
use crate::config::Config;
use crate::http::{ApiRequest, ApiResponse};

/// Persona's data in one namespace.
#[derive(Debug, Default)]
pub struct State {
    pub webhooks: webhooks::Subscriptions,
}

impl State {
    pub fn new(_config: &Config) -> Self {
        Self::default()
    }
}

pub fn handle(app: &App, req: &ApiRequest) -> ApiResponse {
    let ns = app.store.namespace(&req.namespace);
    let request_id = ns.lock().ids.persona("req_");
    let segments = req.segments();
    let response = match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["api", "v1", "inquiries"]) => match req.json_value() {
            Ok(_) => error(501, "Not emulated yet", req),
            Err(e) => error(400, &e.0, req),
        },
        (_, ["api", "v1", "webhooks", ..]) => webhooks::handle(app, req),
        ("GET", ["verify"] | ["widget"]) => hosted::page(app, req),
        ("POST", ["verify", ..] | ["widget", ..]) => hosted::submit(app, req),
        _ => super::no_route(super::Vendor::Persona, req),
    };
    response.with_header("request-id", request_id)
}

/// Persona's error envelope. Note the key is `details`, not JSON:API's `detail`.
pub fn error(status: u16, message: &str, _req: &ApiRequest) -> ApiResponse {
    let title = match status {
        400 => "Bad Request",
        401 => "Must be authenticated to access this endpoint",
        403 => "Forbidden",
        404 => "Record not found",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable entity",
        429 => "Rate limit exceeded",
        _ => "Internal Server Error",
    };
    ApiResponse::json(
        status,
        json!({"errors": [{"title": title, "details": message}]}),
    )
}
