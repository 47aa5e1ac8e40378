//! The admin API under `/__admin`: JSON in and out, errors included.

use serde_json::{Value, json};

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::journal::Filter;

pub fn handle(app: &App, req: &ApiRequest) -> ApiResponse {
    let segments = req.segments();
    match (req.method.as_str(), &segments[1..]) {
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
        ("GET", ["namespaces"]) => ApiResponse::json(200, json!({"namespaces": app.store.names()})),
        ("GET", ["requests"]) => requests(app, req),
        ("POST", ["reset"]) => reset(app, req),
        ("GET", ["webhooks"]) => webhooks(app, req),
        ("GET", ["clock"]) => clock(app, req),
        ("POST", ["clock", "advance"]) => advance_clock(app, req),
        ("GET", ["scenarios"]) => scenarios(app),
        ("GET", ["scenario"]) => scenario(app, &req.namespace),
        ("PUT", ["scenario"]) => select_scenario(app, req),
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

fn requests(app: &App, req: &ApiRequest) -> ApiResponse {
    let mut filter = Filter {
        vendor: req.query_param("vendor").map(str::to_string),
        method: req.query_param("method").map(str::to_string),
        path: req.query_param("path").map(str::to_string),
        // Only an explicit `?namespace=` narrows the journal; without one it spans them all.
        namespace: req.query_param("namespace").map(str::to_string),
        ..Filter::default()
    };
    if let Some(status) = req.query_param("status") {
        match status.parse() {
            Ok(s) => filter.status = Some(s),
            Err(_) => return error(400, &format!("status must be a number, got {status:?}")),
        }
    }
    if let Some(limit) = req.query_param("limit") {
        match limit.parse() {
            Ok(l) => filter.limit = Some(l),
            Err(_) => return error(400, &format!("limit must be a number, got {limit:?}")),
        }
    }
    let entries = app.journal.query(&filter);
    let requests: Vec<Value> = entries
        .iter()
        .filter_map(|e| serde_json::to_value(&**e).ok())
        .collect();
    ApiResponse::json(200, json!({"requests": requests}))
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

fn webhooks(app: &App, req: &ApiRequest) -> ApiResponse {
    let ns = app.store.namespace(&req.namespace);
    let world = ns.lock();
    let deliveries: Vec<Value> = world
        .webhooks
        .deliveries()
        .rev()
        .filter_map(|d| serde_json::to_value(d).ok())
        .collect();
    ApiResponse::json(
        200,
        json!({"deliveries": deliveries, "dropped": world.webhooks.dropped()}),
    )
}

fn clock_json(namespace: &str, clock: &crate::clock::Clock) -> Value {
    json!({
        "namespace": namespace,
        "now": clock.now_iso(),
        "now_ms": clock.now_ms(),
        "offset_seconds": clock.offset_ms() as f64 / 1000.0,
    })
}

fn clock(app: &App, req: &ApiRequest) -> ApiResponse {
    let ns = app.store.namespace(&req.namespace);
    let world = ns.lock();
    ApiResponse::json(200, clock_json(&req.namespace, &world.clock))
}

/// `{"seconds": N}` moves the namespace's clock forward. Time-based state (expiry, pending
/// redemptions, idempotency keys) is evaluated against the clock when next read.
fn advance_clock(app: &App, req: &ApiRequest) -> ApiResponse {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Advance {
        seconds: f64,
    }
    let advance: Advance = match req.json() {
        Ok(a) => a,
        Err(e) => return error(400, &e.0),
    };
    // A century at a time is plenty, and keeps every timestamp far from overflowing.
    const MAX_SECONDS: f64 = 100.0 * 366.0 * 86_400.0;
    if !advance.seconds.is_finite() || !(0.0..=MAX_SECONDS).contains(&advance.seconds) {
        return error(
            400,
            &format!("seconds must be a number from 0 to {MAX_SECONDS}"),
        );
    }
    let ns = app.store.namespace(&req.namespace);
    let mut world = ns.lock();
    world.clock.advance((advance.seconds * 1000.0) as i64);
    ApiResponse::json(200, clock_json(&req.namespace, &world.clock))
}

/// Every scenario the server knows, and what is wrong in the `--scenarios` folder right now
/// (those files keep their last good version).
fn scenarios(app: &App) -> ApiResponse {
    let catalog = &app.store.scenarios;
    ApiResponse::json(
        200,
        json!({"scenarios": catalog.list(), "problems": catalog.problems()}),
    )
}

fn scenario(app: &App, namespace: &str) -> ApiResponse {
    let ns = app.store.namespace(namespace);
    let selected = ns.lock().scenario.selected.clone();
    ApiResponse::json(200, json!({"namespace": namespace, "scenario": selected}))
}

/// `{"name": "NAME"}` selects a scenario for the namespace; `null` or `"none"` clears it.
fn select_scenario(app: &App, req: &ApiRequest) -> ApiResponse {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Select {
        name: Option<String>,
    }
    let select: Select = match req.json() {
        Ok(s) => s,
        Err(e) => return error(400, &e.0),
    };
    let name = match select.name.as_deref().map(str::trim) {
        None | Some("none") => None,
        Some(name) => match app.store.scenarios.require(name) {
            Ok(scenario) => Some(scenario.name.clone()),
            Err(message) => return error(400, &message),
        },
    };
    app.store.select_scenario(&req.namespace, name);
    scenario(app, &req.namespace)
}
