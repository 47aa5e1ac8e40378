//! `GET /__admin/`: the dashboard, one HTML page with no build step. Its script polls the admin
//! API (namespaces, scenarios, journal, state, webhooks, clock) and drives it (switch scenario,
//! advance the clock, reset, flush).

use crate::http::ApiResponse;

const PAGE: &str = include_str!("dashboard.html");

/// The page's own inline script and style may run, and it may call this server; nothing else
/// (no outside resources, no framing by other sites).
pub fn page() -> ApiResponse {
    ApiResponse::html(200, PAGE.to_string())
        .with_header("cache-control", "no-store")
        .with_header(
            "content-security-policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        )
}
