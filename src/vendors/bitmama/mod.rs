//! Bitmama partner card API: card users (KYC through the Persona part), cards, partner wallet,
//! signed webhooks.
//!
//! Envelope `{"status":"success"|"error","message","data"}`; errors carry a code as `message`
//! and the human text in `data.error`.
//!
//! Layout: `auth` (the partner is its API key), `idempotency`, `validation`, `model`
//! (state, money in cents), one file per resource (`users`, `cards`, `wallet`,
//! `profile`), `kyc` (the Persona inquiry behind each user, the return page and the KYC
//! webhooks), `scenario` (magic words, seeds) and `routes` (the table and the seam).
//!
//! Every handler runs in the vendor frame with the namespace locked: it does all of its checks
//! (idempotency key, email uniqueness, wallet balance) and its changes in that one locked
//! section, so concurrent calls cannot both pass a check.

mod admin;
mod auth;
mod body;
mod cards;
mod idempotency;
mod kyc;
pub(crate) mod model;
mod profile;
mod routes;
mod scenario;
mod users;
mod validation;
mod wallet;
mod webhooks;

pub use kyc::rebase_return_uris;
pub use model::{State, dollars};
pub use routes::Bitmama;

use serde_json::{Value, json};

use crate::http::{self, ApiRequest, ApiResponse};

/// A handler's answer: the error side is already a Bitmama error response.
type Reply = Result<ApiResponse, ApiResponse>;

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

/// [`success`] for `data` of text fields, written straight into bytes (no `Value` tree, no
/// per-byte escaping of text that needs none): the same bytes, keys in the same order.
fn rendered_success(status: u16, message: &str, data: &[(&str, &str)]) -> ApiResponse {
    let body = http::render_with(|out| {
        out.extend_from_slice(br#"{"data":{"#);
        for (i, (name, value)) in data.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            http::push_json_str(out, name);
            out.push(b':');
            http::push_json_str(out, value);
        }
        out.extend_from_slice(br#"},"message":"#);
        http::push_json_str(out, message);
        out.extend_from_slice(br#","status":"success"}"#);
    });
    ApiResponse::rendered_bytes(status, body)
}

/// `{"status":"success","message":MESSAGE,"data":DATA}`.
fn success(status: u16, message: &str, data: Value) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({"status": "success", "message": message, "data": data}),
    )
}
