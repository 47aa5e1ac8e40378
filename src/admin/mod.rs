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
use crate::vendors::table::{Params, Route};
pub use routes::{AdminHandler, Awaited, ROUTES};

/// The admin API's answer to `req`, or which waiting route it is (the router awaits those with
/// no lock held: [`routes::Awaited`]). The table is searched once.
pub fn handle(app: &App, req: &ApiRequest) -> Result<ApiResponse, Awaited> {
    match find(&req.method, &req.path) {
        Some((route, params)) => match &route.handler {
            AdminHandler::Now(handler) => Ok(handler(app, req, params)),
            AdminHandler::Awaits(kind) => Err(*kind),
        },
        None => Ok(error(
            404,
            &format!("No admin route for {} {}", req.method, req.path),
        )),
    }
}

/// `vendors::table::find` over [`ROUTES`], row by row in the same order, with the rows that
/// have no parameter compared by their segments directly: the table's matcher splits paths
/// with a char searcher, which cost the health check more than answering it.
fn find<'p>(method: &str, path: &'p str) -> Option<(&'static Route<AdminHandler>, Params<'p>)> {
    let segments = |s: &'p str| s.as_bytes().split(|&b| b == b'/').filter(|s| !s.is_empty());
    // `/a/b` (no empty segment): its segments are a template's exactly when the template, less
    // its trailing slashes, is the same string (no template has an empty segment inside).
    let plain = path.len() > 1
        && path.starts_with('/')
        && !path.ends_with('/')
        && !path.as_bytes().windows(2).any(|w| w == b"//");
    ROUTES.iter().find_map(|route| {
        if route.method != method {
            None
        } else if route.path.contains('{') {
            route.matches(method, path).map(|params| (route, params))
        } else if plain {
            (route.path.trim_end_matches('/') == path).then_some((route, Params::default()))
        } else {
            segments(route.path)
                .eq(segments(path))
                .then_some((route, Params::default()))
        }
    })
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

pub(super) fn reset(app: &App, req: &ApiRequest) -> ApiResponse {
    if req.query_param("all") == Some("true") {
        app.store.reset_all();
        app.journal.clear();
        return ApiResponse::json(200, json!({"reset": "all"}));
    }
    app.store.reset(&req.namespace);
    app.journal.clear_namespace(&req.namespace);
    ApiResponse::json(200, json!({"reset": req.namespace}))
}

#[cfg(test)]
mod tests {
    /// The admin's own row search answers what the table's does, for every row and for paths
    /// that differ from the templates in slashes, case, length and parameters.
    #[test]
    fn find_is_the_tables() {
        let mut paths = vec![
            "/",
            "",
            "/__admin",
            "/__admin/",
            "//__admin//health/",
            "/__admin/health/x",
            "/__admin/HEALTH",
            "/__admin/namespaces/a/b",
            "/__admin/inquiries/i/approve",
            "/__admin/webhooks/1/redeliver",
            "/__admin/scenarios/x",
            "/__admin/webhooks/flush",
        ];
        assert!(
            super::ROUTES
                .iter()
                .all(|r| r.path.starts_with('/') && !r.path.contains("//"))
        );
        let templates: Vec<String> = super::ROUTES
            .iter()
            .flat_map(|r| [r.path.to_string(), r.path.replace(['{', '}'], "")])
            .collect();
        paths.extend(templates.iter().map(String::as_str));
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            for path in &paths {
                let ours = super::find(method, path).map(|(r, p)| (r.path, format!("{p:?}")));
                let table = crate::vendors::table::find(super::ROUTES, method, path)
                    .map(|(r, p)| (r.path, format!("{p:?}")));
                assert_eq!(ours, table, "{method} {path}");
            }
        }
    }
}
