//! The three emulated vendors. Each module has the same shape:
//!
//! - `State`: that vendor's data in one namespace (`State::new(&Config)`), kept in the
//!   namespace's [`crate::store::World`];
//! - `handle(app, req) -> ApiResponse`: its route table, one `match` on method and path;
//! - `error(status, message, req) -> ApiResponse`: its own error envelope, used for every error
//!   it answers, including the ones the router answers on its behalf (404, 413, bad namespace);
//! - `webhook_headers(secrets, attempt, body)`: how it authenticates the webhooks it sends.
//!
//! `links` is the one place where one vendor's state reacts to another's.

pub mod bitmama;
pub mod coinflow;
pub mod links;
pub mod persona;

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::webhooks::AttemptInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Persona,
    Coinflow,
    Bitmama,
}

impl Vendor {
    pub const ALL: [Vendor; 3] = [Vendor::Persona, Vendor::Coinflow, Vendor::Bitmama];

    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Persona => "persona",
            Vendor::Coinflow => "coinflow",
            Vendor::Bitmama => "bitmama",
        }
    }

    pub fn parse(name: &str) -> Option<Vendor> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(name))
    }

    /// Which vendor a path belongs to. The vendors' real paths do not collide, so the path
    /// alone decides; Bitmama's `/api/v1/partner/...` is checked before Persona's `/api/v1/...`.
    pub fn owning(path: &str) -> Option<Vendor> {
        let under = |prefix: &str| {
            path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if under("/api/v1/partner") || under("/api/v2/partner") || under("/bitmama") {
            Some(Vendor::Bitmama)
        } else if under("/api/v1") || under("/verify") || under("/widget") {
            Some(Vendor::Persona)
        } else if [
            "/api/withdraw",
            "/api/telemetry",
            "/api/tokenize",
            "/api/auth",
            "/api/merchant",
            "/merchant",
            "/coinflow",
        ]
        .into_iter()
        .any(under)
        {
            Some(Vendor::Coinflow)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every route `vendor` answers, as (method, path template).
pub fn routes(vendor: Vendor) -> &'static [(&'static str, &'static str)] {
    match vendor {
        Vendor::Persona => persona::ROUTES,
        Vendor::Coinflow => coinflow::ROUTES,
        Vendor::Bitmama => bitmama::ROUTES,
    }
}

pub fn handle(app: &App, vendor: Vendor, req: &ApiRequest) -> ApiResponse {
    match vendor {
        Vendor::Persona => persona::handle(app, req),
        Vendor::Coinflow => coinflow::handle(app, req),
        Vendor::Bitmama => bitmama::handle(app, req),
    }
}

/// `vendor`'s error envelope with `message`.
pub fn error(vendor: Vendor, status: u16, message: &str, req: &ApiRequest) -> ApiResponse {
    match vendor {
        Vendor::Persona => persona::error(status, message, req),
        Vendor::Coinflow => coinflow::error(status, message, req),
        Vendor::Bitmama => bitmama::error(status, message, req),
    }
}

/// The 404 each vendor answers for a path of its own that has no route, in its own words
/// (Coinflow is a NestJS service: `Cannot GET /path`).
pub fn no_route(vendor: Vendor, req: &ApiRequest) -> ApiResponse {
    let message = match vendor {
        Vendor::Coinflow => format!("Cannot {} {}", req.method, req.path),
        Vendor::Persona | Vendor::Bitmama => format!("No route for {} {}", req.method, req.path),
    };
    error(vendor, 404, &message, req)
}

/// Headers that authenticate one webhook attempt, as `vendor` does it.
pub fn webhook_headers(
    vendor: Vendor,
    secrets: &[String],
    attempt: &AttemptInfo,
    body: &[u8],
) -> Vec<(String, String)> {
    match vendor {
        Vendor::Persona => persona::webhook_headers(secrets, attempt, body),
        Vendor::Coinflow => coinflow::webhook_headers(secrets, attempt, body),
        Vendor::Bitmama => bitmama::webhook_headers(secrets, attempt, body),
    }
}

/// Hex HMAC-SHA256 of `message` under `key`: the primitive all three vendors sign with.
pub fn hmac_sha256_hex(key: &str, message: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the signature scheme Persona and Coinflow
/// share (Stripe's, in effect).
pub fn timestamped_signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    format!("t={t},v1={}", hmac_sha256_hex(secret, &signed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ownership() {
        let cases = [
            ("/api/v1/inquiries", Some(Vendor::Persona)),
            ("/api/v1/connect/share-tokens", Some(Vendor::Persona)),
            ("/verify", Some(Vendor::Persona)),
            ("/api/v1/partner/wallet", Some(Vendor::Bitmama)),
            ("/api/v2/partner/card/users", Some(Vendor::Bitmama)),
            ("/api/withdraw", Some(Vendor::Coinflow)),
            ("/api/withdraw/kyc/share-token", Some(Vendor::Coinflow)),
            ("/merchant/view/abc", Some(Vendor::Coinflow)),
            ("/api/withdrawals", None),
            ("/api/v2/other", None),
            ("/", None),
        ];
        for (path, vendor) in cases {
            assert_eq!(Vendor::owning(path), vendor, "{path}");
        }
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        assert_eq!(
            hmac_sha256_hex("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
