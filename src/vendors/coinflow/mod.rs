//! Coinflow: withdrawers registered from Persona share tokens, Get Withdrawer, KYC routes, the
//! routes Coinflow's SDK calls, signed webhooks.
//!
//! Errors are NestJS-shaped: `{statusCode, timestamp, path, method, message}`.

use serde_json::json;

use crate::app::App;
use crate::clock::{iso8601, real_now_ms};
use crate::config::Config;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::webhooks::AttemptInfo;

/// Coinflow's data in one namespace.
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
        ("POST", ["api", "withdraw", "kyc", "share-token"]) => match req.json_value() {
            Ok(_) => error(501, "Not emulated yet", req),
            Err(e) => error(400, &e.0, req),
        },
        _ => error(404, &format!("Cannot {} {}", req.method, req.path), req),
    }
}

/// NestJS's error shape, as Coinflow answers it.
pub fn error(status: u16, message: &str, req: &ApiRequest) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({
            "statusCode": status,
            "timestamp": iso8601(real_now_ms()),
            "path": req.raw_path,
            "method": req.method,
            "message": message,
        }),
    )
}

pub fn webhook_headers(
    _secrets: &[String],
    _attempt: &AttemptInfo,
    _body: &[u8],
) -> Vec<(String, String)> {
    Vec::new()
}

/// A withdrawer verified through the inquiry may move on.
pub fn on_inquiry_changed(_app: &App, _world: &mut World, _inquiry_id: &str) {}
