//! The admin API under `/__admin`: JSON in and out, errors included, per namespace (the
//! `X-Sandbox-Namespace` header, the `/ns/NAME` prefix or `?namespace=`).
//!
//! [`ROUTES`] is its route table (`routes.rs`): one row per route, with its OpenAPI doc. Handlers
//! are synchronous like the vendors', except the rows marked [`Awaited`] (flush waits for
//! deliveries, check for a receiver), which the router awaits with no lock held.

mod clock;
mod dashboard;
pub mod openapi;
mod requests;
mod routes;
mod scenarios;
mod state;
mod triggers;
pub mod webhooks;

use serde::de::DeserializeOwned;
use serde_json::json;

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::vendors::table::{find, methods_of};
pub use routes::{AdminHandler, Awaited, ROUTES};

/// The admin API's answer to `req`, or which waiting route it is (the router awaits those with
/// no lock held: [`routes::Awaited`]). The table is searched once.
pub fn handle(app: &App, req: &ApiRequest) -> Result<ApiResponse, Awaited> {
    match find(ROUTES, &req.method, &req.path) {
        Some((route, params)) => match &route.handler {
            AdminHandler::Now(handler) => Ok(handler(app, req, params)),
            AdminHandler::Awaits(kind) => Err(*kind),
        },
        None => {
            let allowed = methods_of(ROUTES, &req.path);
            if allowed.is_empty() {
                return Ok(error(
                    404,
                    &format!("No admin route for {} {}", req.method, req.path),
                ));
            }
            let allow = allowed.join(", ");
            Ok(error(
                405,
                &format!("{} {} is not allowed; use {allow}", req.method, req.path),
            )
            .with_header("allow", allow))
        }
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
/// Every admin body is a JSON object (serde would also take a struct's fields as an array).
fn body<T: DeserializeOwned>(req: &ApiRequest) -> Result<T, ApiResponse> {
    let value = req.json_value_untyped().map_err(|e| error(400, &e.0))?;
    if !value.is_object() {
        return Err(error(400, "Invalid request body: expected a JSON object"));
    }
    serde_json::from_value(value).map_err(|e| error(400, &format!("Invalid request body: {e}")))
}

/// Whether `req`, an admin request, resets every namespace (`POST /__admin/reset?all=true`):
/// the one request that changes more than its own namespace.
pub fn resets_every_namespace(req: &ApiRequest) -> bool {
    req.method == "POST"
        && req.segments() == ["__admin", "reset"]
        && req.query_param("all") == Some("true")
}

pub(super) fn reset(app: &App, req: &ApiRequest) -> ApiResponse {
    match req.query_param("all") {
        Some("true") => {
            app.store.reset_all();
            app.journal.clear();
            return ApiResponse::json(200, json!({"reset": "all"}));
        }
        None | Some("false") => {}
        // A caller who meant every namespace must not get another reset instead.
        Some(other) => {
            return error(
                400,
                &format!("all must be true or false, got {other:?}; nothing was reset"),
            );
        }
    }
    app.store.reset(&req.namespace);
    app.journal.clear_namespace(&req.namespace);
    ApiResponse::json(200, json!({"reset": req.namespace}))
}
