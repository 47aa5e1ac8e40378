//! `GET /__admin/`: the dashboard, one HTML page with no build step. Its script polls the admin
//! API (namespaces, scenarios, journal, state, webhooks, clock) and drives it (switch scenario,
//! advance the clock, reset, flush).

use crate::http::ApiResponse;

const PAGE: &str = include_str!("dashboard.html");

pub fn page() -> ApiResponse {
    ApiResponse::html(200, PAGE.to_string()).with_header("cache-control", "no-store")
}
