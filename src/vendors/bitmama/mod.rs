//! Bitmama partner card API: card users (KYC through the Persona part), cards, partner wallet,
//! signed webhooks.
//!
//! Envelope `{"status":"success"|"error","message","data"}`; errors carry a code as `message`
//! and the human text in `data.error`.
//!
//! Layout: [`auth`] (the partner is its API key), [`idempotency`], [`validation`], [`model`]
//! (state, money in cents), one file per resource ([`users`], [`cards`], [`wallet`],
//! [`profile`]) and [`kyc`] (the Persona inquiry behind each user, the return page and the KYC
//! webhooks).
//!
//! Every handler validates its input before taking the namespace lock, then does all of its
//! checks (idempotency key, email uniqueness, wallet balance) and its changes in one locked
//! section, so concurrent calls cannot both pass a check.

mod auth;
mod cards;
mod idempotency;
mod kyc;
mod model;
mod profile;
mod seed;
mod users;
mod validation;
mod wallet;

pub use kyc::settle;
pub use model::{State, dollars};
pub use seed::apply_initial_state;

use serde_json::{Value, json};

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::webhooks::AttemptInfo;

/// A handler's answer: the error side is already a Bitmama error response.
type Reply = Result<ApiResponse, ApiResponse>;

/// Every route `handle` answers, as (method, path template): for the OpenAPI description and
/// the test that keeps this list and the `match` below in step.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v2/partner/card/users"),
    ("GET", "/api/v1/partner/card/users"),
    ("GET", "/api/v2/partner/card/users"),
    ("DELETE", "/api/v1/partner/card/users/{serviceId}"),
    ("POST", "/api/v2/partner/card/users/{serviceId}/retry-kyc"),
    ("POST", "/api/v1/partner/card"),
    ("PATCH", "/api/v1/partner/card"),
    ("POST", "/api/v1/partner/card/fund"),
    ("POST", "/api/v1/partner/card/withdraw"),
    ("DELETE", "/api/v1/partner/card/terminate/{serviceCardId}"),
    ("GET", "/api/v1/partner/card/transactions"),
    ("GET", "/api/v1/partner/wallet"),
    ("POST", "/api/v1/partner/profile/webhook"),
    ("POST", "/api/v1/partner/profile/redirect-url"),
    ("GET", "/bitmama/kyc/return"),
];

pub fn handle(app: &App, req: &ApiRequest) -> ApiResponse {
    let segments = req.segments();
    let reply = match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["api", "v2", "partner", "card", "users"]) => users::create(app, req),
        ("GET", ["api", "v1" | "v2", "partner", "card", "users"]) => users::list(app, req),
        ("DELETE", ["api", "v1", "partner", "card", "users", service_id]) => {
            users::delete(app, req, service_id)
        }
        (
            "POST",
            [
                "api",
                "v2",
                "partner",
                "card",
                "users",
                service_id,
                "retry-kyc",
            ],
        ) => users::retry_kyc(app, req, service_id),
        ("POST", ["api", "v1", "partner", "card"]) => cards::create(app, req),
        ("PATCH", ["api", "v1", "partner", "card"]) => cards::set_status(app, req),
        ("POST", ["api", "v1", "partner", "card", "fund"]) => cards::fund(app, req),
        ("POST", ["api", "v1", "partner", "card", "withdraw"]) => cards::withdraw(app, req),
        ("DELETE", ["api", "v1", "partner", "card", "terminate", card_id]) => {
            cards::terminate(app, req, card_id)
        }
        ("GET", ["api", "v1", "partner", "card", "transactions"]) => cards::transactions(app, req),
        ("GET", ["api", "v1", "partner", "wallet"]) => wallet::get(app, req),
        ("POST", ["api", "v1", "partner", "profile", "webhook"]) => profile::set_webhook(app, req),
        ("POST", ["api", "v1", "partner", "profile", "redirect-url"]) => {
            profile::set_redirect_url(app, req)
        }
        ("GET", ["bitmama", "kyc", "return"]) => Ok(kyc::return_page(app, req)),
        _ => Err(super::no_route(super::Vendor::Bitmama, req)),
    };
    reply.unwrap_or_else(|e| e)
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
        408 => "REQUEST_TIMEOUT",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        422 => "VALIDATION_ERROR",
        429 => "RATE_LIMITED",
        503 => "SERVICE_UNAVAILABLE",
        507 => "INSUFFICIENT_STORAGE",
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

/// `{"status":"success","message":MESSAGE,"data":DATA}`.
fn success(status: u16, message: &str, data: Value) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({"status": "success", "message": message, "data": data}),
    )
}

/// `X-Webhook-Signature`: hex HMAC-SHA256 of the exact body bytes under the partner's
/// `whsec_…` secret (no timestamp, as Bitmama documents). Unsigned when no secret is set.
pub fn webhook_headers(
    secrets: &[String],
    _attempt: &AttemptInfo,
    body: &[u8],
) -> Vec<(String, String)> {
    secrets
        .first()
        .map(|secret| {
            vec![(
                "X-Webhook-Signature".to_string(),
                super::hmac_sha256_hex(secret, body),
            )]
        })
        .unwrap_or_default()
}

/// A card user whose KYC inquiry changed status moves on (see [`kyc`] for the mapping).
pub fn on_inquiry_changed(app: &App, world: &mut World, inquiry_id: &str) {
    kyc::on_inquiry_changed(app, world, inquiry_id);
}
