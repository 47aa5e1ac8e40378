//! The admin API under `/__admin`: JSON in and out, errors included, per namespace (the
//! `X-Sandbox-Namespace` header, the `/ns/NAME` prefix or `?namespace=`).
//!
//! Handlers are synchronous like the vendors', except `POST /__admin/webhooks/flush`, which
//! waits for deliveries and so is answered by [`webhooks::flush`] from [`crate::router`].
//! [`ROUTES`] lists every route; [`openapi`] documents each one.

mod clock;
mod dashboard;
pub mod openapi;
mod requests;
mod scenarios;
mod state;
mod triggers;
pub mod webhooks;

use serde::de::DeserializeOwned;
use serde_json::json;

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};

/// Every admin route as (method, path template), for the OpenAPI document and its test.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/__admin/"),
    ("GET", "/__admin/health"),
    ("GET", "/__admin/server"),
    ("GET", "/__admin/namespaces"),
    ("DELETE", "/__admin/namespaces/{name}"),
    ("GET", "/__admin/requests"),
    ("POST", "/__admin/requests/count"),
    ("POST", "/__admin/reset"),
    ("GET", "/__admin/state"),
    ("GET", "/__admin/webhooks"),
    ("POST", "/__admin/webhooks/flush"),
    ("POST", "/__admin/webhooks/check"),
    ("POST", "/__admin/webhooks/{id}/redeliver"),
    ("GET", "/__admin/webhook-targets"),
    ("PUT", "/__admin/webhook-targets"),
    ("GET", "/__admin/clock"),
    ("POST", "/__admin/clock/advance"),
    ("GET", "/__admin/scenarios"),
    ("GET", "/__admin/scenarios/{name}"),
    ("GET", "/__admin/scenario"),
    ("PUT", "/__admin/scenario"),
    ("POST", "/__admin/inquiries/{id}/{action}"),
    ("POST", "/__admin/withdrawers/{id}/verify"),
    ("GET", "/__admin/openapi.json"),
];

pub fn handle(app: &App, req: &ApiRequest) -> ApiResponse {
    let segments = req.segments();
    match (req.method.as_str(), segments.get(1..).unwrap_or_default()) {
        ("GET", []) => dashboard::page(),
        ("GET", ["health"]) => ApiResponse::json(
            200,
            json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
        ),
        ("GET", ["server"]) => ApiResponse::json(
            200,
            json!({
                "requests_in_flight": app.requests_in_flight(),
                "public_url": &*app.public_url,
                "seed": app.config.seed,
            }),
        ),
        ("GET", ["namespaces"]) => scenarios::namespaces(app),
        ("DELETE", ["namespaces", name]) => scenarios::delete_namespace(app, name),
        ("GET", ["requests"]) => requests::list(app, req),
        ("POST", ["requests", "count"]) => requests::count(app, req),
        ("POST", ["reset"]) => reset(app, req),
        ("GET", ["state"]) => state::get(app, req),
        ("GET", ["webhooks"]) => webhooks::list(app, req),
        ("POST", ["webhooks", id, "redeliver"]) => webhooks::redeliver(app, req, id),
        ("GET", ["webhook-targets"]) => webhooks::targets(app, req),
        ("PUT", ["webhook-targets"]) => webhooks::set_targets(app, req),
        ("GET", ["clock"]) => clock::get(app, req),
        ("POST", ["clock", "advance"]) => clock::advance(app, req),
        ("GET", ["scenarios"]) => scenarios::list(app),
        ("GET", ["scenarios", name]) => scenarios::get(app, name),
        ("GET", ["scenario"]) => scenarios::selected(app, &req.namespace),
        ("PUT", ["scenario"]) => scenarios::select(app, req),
        ("POST", ["inquiries", id, action]) => triggers::inquiry(app, req, id, action),
        ("POST", ["withdrawers", id, "verify"]) => triggers::verify_withdrawer(app, req, id),
        ("GET", ["openapi.json"]) => openapi::document(app),
        _ => error(
            404,
            &format!("No admin route for {} {}", req.method, req.path),
        ),
    }
}

/// The admin error shape: `{"error": {"status", "message"}}`.
pub fn error(status: u16, message: &str) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({"error": {"status": status, "message": message}}),
    )
}

/// The request body as `T`, or the 400 that says what is wrong with it.
fn body<T: DeserializeOwned>(req: &ApiRequest) -> Result<T, ApiResponse> {
    req.json().map_err(|e| error(400, &e.0))
}

/// Whether `req`, an admin request, resets every namespace (`POST /__admin/reset?all=true`):
/// the one request that changes more than its own namespace.
pub fn resets_every_namespace(req: &ApiRequest) -> bool {
    req.method == "POST"
        && req.segments() == ["__admin", "reset"]
        && req.query_param("all") == Some("true")
}

fn reset(app: &App, req: &ApiRequest) -> ApiResponse {
    if req.query_param("all") == Some("true") {
        app.store.reset_all();
        app.journal.clear();
        return ApiResponse::json(200, json!({"reset": "all"}));
    }
    app.store.reset(&req.namespace);
    app.journal.clear_namespace(&req.namespace);
    ApiResponse::json(200, json!({"reset": req.namespace}))
}
