//! Bitmama partner card API: card users (KYC through the Persona part), cards, partner wallet,
//! signed webhooks.
//!
//! Envelope `{"status":"success"|"error","message","data"}`; errors carry a code as `message`
//! and the human text in `data.error`.

use serde_json::json;

use crate::app::App;
use crate::config::Config;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::webhooks::AttemptInfo;

/// Bitmama's data in one namespace.
#[derive(Debug, Default)]
pub struct State {}

impl State {
    pub fn new(_config: &Config) -> Self {
        Self::default()
    }
}

pub fn handle(_app: &App, req: &ApiRequest) -> ApiResponse {
    let segments = req.segments();
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["api", "v2", "partner", "card", "users"]) => match req.json_value() {
            Ok(_) => error(501, "Not emulated yet", req),
            Err(e) => error(400, &e.0, req),
        },
        _ => super::no_route(super::Vendor::Bitmama, req),
    }
}

/// Bitmama's error envelope for errors the router answers; vendor code names its own codes
/// through [`error_code`].
pub fn error(status: u16, message: &str, _req: &ApiRequest) -> ApiResponse {
    let code = match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        402 => "INSUFFICIENT_WALLET_BALANCE",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        422 => "VALIDATION_ERROR",
        429 => "RATE_LIMITED",
        _ => "INTERNAL_ERROR",
    };
    error_code(status, code, message)
}

/// `{"status":"error","message":CODE,"data":{"error":TEXT}}`.
pub fn error_code(status: u16, code: &str, text: &str) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({"status": "error", "message": code, "data": {"error": text}}),
    )
}

pub fn webhook_headers(
    _secrets: &[String],
    _attempt: &AttemptInfo,
    _body: &[u8],
) -> Vec<(String, String)> {
    Vec::new()
}

/// A card user whose KYC inquiry changed status moves on.
pub fn on_inquiry_changed(_app: &App, _world: &mut World, _inquiry_id: &str) {}
