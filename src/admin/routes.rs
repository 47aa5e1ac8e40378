//! The admin API's route table: one row per route, as the vendors' tables (the same `Route` rows,
//! with the admin's handler type). Dispatch, the OpenAPI document and the route tests read it.

use serde_json::{Value, json};

use super::{clock, dashboard, openapi, requests, reset, scenarios, state, triggers, webhooks};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse, Bytes, ResponseBody};
use crate::vendors::table::{Param, Params, Route, any_object, object};

/// What answers an admin route.
pub enum AdminHandler {
    /// Answered at once, like a vendor route.
    Now(for<'a> fn(&App, &ApiRequest, Params<'a>) -> ApiResponse),
    /// Waits for something (deliveries, a receiver) with no lock held: the router awaits it.
    Awaits(Awaited),
}

/// The admin routes that wait.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Awaited {
    FlushWebhooks,
    CheckReceiver,
}

use AdminHandler::{Awaits, Now};

const fn row(
    method: &'static str,
    path: &'static str,
    handler: AdminHandler,
    summary: &'static str,
) -> Route<AdminHandler> {
    Route::with_handler(method, path, "", handler, summary)
}

/// Every admin route.
#[rustfmt::skip]
pub static ROUTES: &[Route<AdminHandler>] = &[
    row("GET", "/__admin/", Now(|_, _, _| dashboard::page()), "The dashboard").html(),
    row("GET", "/__admin/health", Now(|_, _, _| health()), "Health and version").answers(health_schema),
    row("GET", "/__admin/server", Now(|app, _, _| server(app)), "Requests in flight, public URL, seed").answers(server_schema),
    row("GET", "/__admin/namespaces", Now(|app, _, _| scenarios::namespaces(app)), "Namespaces used so far, their scenarios, their count and --max-namespaces").answers(namespaces_schema),
    row("DELETE", "/__admin/namespaces/{name}", Now(|app, _, p| scenarios::delete_namespace(app, p.get("name"))), "Delete a namespace and its journal (404 if unknown); default starts afresh on next use").params(NAMESPACE_NAME).answers(deleted_schema),
    row("GET", "/__admin/requests", Now(|app, req, _| requests::list(app, req)), "The request journal, newest first: the named namespace's, or every namespace's when none is named").params(JOURNAL_FILTERS).answers(requests_schema),
    row("POST", "/__admin/requests/count", Now(|app, req, _| requests::count(app, req)), "Count journal entries matching vendor, method, path, status, body_partial").request(matcher_schema).answers(count_schema),
    row("POST", "/__admin/reset", Now(|app, req, _| reset(app, req)), "Clear the namespace (or all, ?all=true)").params(RESET_ALL).answers(reset_schema),
    row("GET", "/__admin/state", Now(|app, req, _| state::get(app, req)), "Every entity of every vendor in the namespace").answers(state_schema),
    row("GET", "/__admin/webhooks", Now(|app, req, _| webhooks::list(app, req)), "Webhook deliveries with every attempt").answers(deliveries_schema),
    row("POST", "/__admin/webhooks/flush", Awaits(Awaited::FlushWebhooks), "Deliver everything pending now; answers when done").answers(flush_schema),
    row("POST", "/__admin/webhooks/check", Awaits(Awaited::CheckReceiver), "Check a webhook receiver: a valid delivery, then the ones it must refuse").request(check_body).answers(check_schema),
    row("POST", "/__admin/webhooks/{id}/redeliver", Now(|app, req, p| webhooks::redeliver(app, req, p.get("id"))), "Send a finished delivery again").answers(redeliver_schema),
    row("GET", "/__admin/webhook-targets", Now(|app, req, _| webhooks::targets(app, req)), "Webhook URL and secret per vendor").answers(targets_schema),
    row("PUT", "/__admin/webhook-targets", Now(|app, req, _| webhooks::set_targets(app, req)), "Set (or with null remove) vendors' webhook targets").request(targets_body).answers(targets_schema),
    row("GET", "/__admin/clock", Now(|app, req, _| clock::get(app, req)), "The namespace's sandbox time").answers(clock_schema),
    row("POST", "/__admin/clock/advance", Now(|app, req, _| clock::advance(app, req)), "Move the clock forward and run what falls due").request(advance_body).answers(clock_schema),
    row("GET", "/__admin/scenarios", Now(|app, _, _| scenarios::list(app)), "Every scenario, and problems in the scenario folder").answers(scenarios_schema),
    row("GET", "/__admin/scenarios/{name}", Now(|app, _, p| scenarios::get(app, p.get("name"))), "One scenario").answers(scenario_schema),
    row("GET", "/__admin/scenario", Now(|app, req, _| scenarios::selected(app, &req.namespace)), "The namespace's scenario").answers(selection_schema),
    row("PUT", "/__admin/scenario", Now(|app, req, _| scenarios::select(app, req)), "Select the namespace's scenario (null or \"none\" clears it)").request(select_body).answers(selection_schema),
    row("POST", "/__admin/inquiries/{id}/{action}", Now(|app, req, p| triggers::inquiry(app, req, p.get("id"), p.get("action"))), "Complete, fail, approve or decline an inquiry (through the statuses between)").params(INQUIRY_ACTION).answers(trigger_schema),
    row("POST", "/__admin/withdrawers/{id}/verify", Now(|app, req, p| triggers::decide_withdrawer(app, req, p.get("id"), true)), "Approve a pending Coinflow withdrawer").answers(verify_schema),
    row("POST", "/__admin/withdrawers/{id}/reject", Now(|app, req, p| triggers::decide_withdrawer(app, req, p.get("id"), false)), "Reject a pending Coinflow withdrawer").answers(verify_schema),
    row("GET", "/__admin/openapi.json", Now(|app, _, _| openapi::document(app)), "This document").answers(openapi_schema),
];

/// The health answer, serialised once: it is the request every load balancer and test
/// harness polls, and building and serialising a `Value` for it was most of its cost.
const HEALTH: &str = concat!(
    r#"{"status":"ok","version":""#,
    env!("CARGO_PKG_VERSION"),
    r#""}"#
);

fn health() -> ApiResponse {
    ApiResponse {
        status: 200,
        headers: Vec::new(),
        body: ResponseBody::Rendered(Bytes::from_static(HEALTH.as_bytes())),
    }
}

fn server(app: &App) -> ApiResponse {
    ApiResponse::json(
        200,
        json!({
            "requests_in_flight": app.requests_in_flight(),
            "public_url": &*app.public_url,
            "seed": app.config.seed,
        }),
    )
}

// Parameters and OpenAPI schemas of the admin API's bodies.

fn string() -> Value {
    json!({"type": "string"})
}
fn integer() -> Value {
    json!({"type": "integer"})
}

static NAMESPACE_NAME: &[Param] = &[Param {
    name: "name",
    place: "path",
    required: true,
    schema: || json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}),
}];
static JOURNAL_FILTERS: &[Param] = &[
    Param {
        name: "vendor",
        place: "query",
        required: false,
        schema: journal_vendor,
    },
    Param {
        name: "method",
        place: "query",
        required: false,
        schema: string,
    },
    Param {
        name: "path",
        place: "query",
        required: false,
        schema: string,
    },
    Param {
        name: "status",
        place: "query",
        required: false,
        schema: integer,
    },
    Param {
        name: "limit",
        place: "query",
        required: false,
        schema: || json!({"type": "integer", "minimum": 0}),
    },
];
static RESET_ALL: &[Param] = &[Param {
    name: "all",
    place: "query",
    required: false,
    schema: || json!({"enum": ["true", "false"]}),
}];
static INQUIRY_ACTION: &[Param] = &[Param {
    name: "action",
    place: "path",
    required: true,
    schema: || json!({"enum": ["complete", "fail", "approve", "decline"]}),
}];

fn list_of(key: &str) -> Value {
    object(&[key], json!({key: {"type": "array"}}))
}
fn health_schema() -> Value {
    object(
        &["status", "version"],
        json!({"status": {"const": "ok"}, "version": string()}),
    )
}
fn server_schema() -> Value {
    object(
        &["public_url", "seed"],
        json!({"public_url": string(), "seed": integer()}),
    )
}
fn namespaces_schema() -> Value {
    object(
        &["namespaces", "scenarios", "count", "max"],
        json!({"namespaces": {"type": "array", "items": string()}, "scenarios": any_object(), "count": integer(), "max": integer()}),
    )
}
fn deleted_schema() -> Value {
    object(&["deleted"], json!({"deleted": string()}))
}
fn requests_schema() -> Value {
    list_of("requests")
}
fn matcher_schema() -> Value {
    json!({"type": "object", "additionalProperties": false, "properties": {
        "vendor": journal_vendor(), "method": string(), "path": string(),
        "status": {"type": "integer", "minimum": 100, "maximum": 599}, "body_partial": {},
    }})
}
fn count_schema() -> Value {
    object(&["count"], json!({"count": integer()}))
}
fn reset_schema() -> Value {
    object(&["reset"], json!({"reset": string()}))
}
fn state_schema() -> Value {
    object(
        &["namespace", "persona", "coinflow", "bitmama"],
        json!({"namespace": string(), "persona": any_object(), "coinflow": any_object(), "bitmama": any_object()}),
    )
}
fn deliveries_schema() -> Value {
    list_of("deliveries")
}
fn flush_schema() -> Value {
    object(
        &["flushed", "delivered", "failed", "pending", "timed_out"],
        json!({"flushed": {"type": "array", "items": string()}, "delivered": integer(), "failed": integer(), "pending": integer(), "timed_out": {"type": "boolean"}}),
    )
}
fn check_body() -> Value {
    object(
        &["vendor", "url", "secret"],
        json!({"vendor": {"enum": ["persona", "coinflow", "bitmama"]}, "url": {"type": "string", "pattern": "^http://"}, "secret": {"type": "string", "minLength": 1}, "event": string()}),
    )
}
fn check_schema() -> Value {
    object(
        &["ok", "summary", "cases"],
        json!({"ok": {"type": "boolean"}, "summary": any_object(), "cases": {"type": "array"}}),
    )
}
fn redeliver_schema() -> Value {
    object(&["delivery"], json!({"delivery": any_object()}))
}
fn targets_schema() -> Value {
    object(
        &["namespace", "targets"],
        json!({"namespace": string(), "targets": {"type": "object", "additionalProperties": {"type": ["object", "null"]}}}),
    )
}
fn targets_body() -> Value {
    let target = json!({"type": ["object", "null"], "properties": {"url": string(), "secret": {"type": ["string", "null"]}}, "required": ["url"]});
    json!({"type": "object", "properties": {"persona": target, "coinflow": target, "bitmama": target}, "additionalProperties": false})
}
fn clock_schema() -> Value {
    object(
        &["namespace", "now", "now_ms", "offset_seconds"],
        json!({"namespace": string(), "now": string(), "now_ms": integer(), "offset_seconds": {"type": "number"}}),
    )
}
/// The journal's vendor labels (`none`: a path no vendor owns).
fn journal_vendor() -> Value {
    json!({"enum": ["persona", "coinflow", "bitmama", "none"]})
}

fn advance_body() -> Value {
    object(
        &["seconds"],
        json!({"seconds": {"type": "number", "minimum": 0, "maximum": super::clock::MAX_SECONDS}}),
    )
}
fn scenarios_schema() -> Value {
    list_of("scenarios")
}
fn scenario_schema() -> Value {
    object(
        &["name", "description"],
        json!({"name": string(), "description": string()}),
    )
}
fn selection_schema() -> Value {
    object(
        &["namespace", "scenario"],
        json!({"namespace": string(), "scenario": {"type": ["string", "null"]}, "available": {"type": "boolean"}}),
    )
}
fn select_body() -> Value {
    object(&["name"], json!({"name": {"type": ["string", "null"]}}))
}
fn trigger_schema() -> Value {
    object(
        &["id", "status", "path"],
        json!({"id": string(), "path": {"type": "array"}}),
    )
}
fn verify_schema() -> Value {
    object(
        &["id", "status"],
        // `missing_fields` and `message` when an approval waits for required fields.
        json!({"id": string(), "status": string(), "missing_fields": {"type": "array", "items": string()}, "message": string()}),
    )
}
fn openapi_schema() -> Value {
    object(
        &["openapi", "paths"],
        json!({"openapi": {"const": "3.1.0"}}),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn health_is_what_serde_json_wrote() {
        let value = serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")});
        assert_eq!(
            super::HEALTH.as_bytes(),
            serde_json::to_vec(&value).expect("json")
        );
    }
}
