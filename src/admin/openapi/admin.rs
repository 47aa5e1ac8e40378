//! The admin API's routes in the OpenAPI document (every one of [`crate::admin::ROUTES`]).

use serde_json::json;

use super::{Op, Owner::Admin, object, op};

pub(super) fn operations() -> Vec<Op> {
    let str_ = json!({"type": "string"});
    let int = json!({"type": "integer"});
    let any = json!({"type": "object"});
    let clock = object(
        &["namespace", "now", "now_ms", "offset_seconds"],
        json!({
            "namespace": str_, "now": str_, "now_ms": int, "offset_seconds": {"type": "number"},
        }),
    );
    let selection = object(
        &["namespace", "scenario"],
        json!({"namespace": str_, "scenario": {"type": ["string", "null"]}}),
    );
    let target = json!({"type": ["object", "null"], "properties": {"url": str_, "secret": {"type": ["string", "null"]}}, "required": ["url"]});
    let targets_out = object(
        &["namespace", "targets"],
        json!({"namespace": str_, "targets": {"type": "object", "additionalProperties": {"type": ["object", "null"]}}}),
    );
    let targets_in = json!({"type": "object", "properties": {"persona": target, "coinflow": target, "bitmama": target}, "additionalProperties": false});
    let matcher = json!({"type": "object", "additionalProperties": false, "properties": {
        "vendor": {"enum": ["persona", "coinflow", "bitmama"]}, "method": str_, "path": str_,
        "status": {"type": "integer", "minimum": 100, "maximum": 599}, "body_partial": {},
    }});
    let list_of = |key: &str| object(&[key], json!({key: {"type": "array"}}));
    let advance = object(
        &["seconds"],
        json!({"seconds": {"type": "number", "minimum": 0, "maximum": 315_000_000}}),
    );
    let action = json!({"enum": ["complete", "fail", "approve", "decline"]});
    vec![
        op("GET", "/__admin/", Admin, "The dashboard").html(),
        op("GET", "/__admin/health", Admin, "Health and version").ok(object(&["status", "version"], json!({"status": {"const": "ok"}, "version": str_}))),
        op("GET", "/__admin/server", Admin, "Requests in flight, public URL, seed").ok(object(&["public_url", "seed"], json!({"public_url": str_, "seed": int}))),
        op("GET", "/__admin/namespaces", Admin, "Namespaces used so far, their scenarios, their count and --max-namespaces").ok(object(&["namespaces", "scenarios", "count", "max"], json!({"namespaces": {"type": "array", "items": str_}, "scenarios": any, "count": int, "max": int}))),
        op("DELETE", "/__admin/namespaces/{name}", Admin, "Delete a namespace and its journal (404 if unknown); default starts afresh on next use")
            .param("name", "path", json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}))
            .ok(object(&["deleted"], json!({"deleted": str_}))),
        op("GET", "/__admin/requests", Admin, "The request journal, newest first")
            .param("vendor", "query", str_.clone()).param("method", "query", str_.clone())
            .param("path", "query", str_.clone()).param("status", "query", int.clone())
            .param("limit", "query", json!({"type": "integer", "minimum": 0}))
            .ok(list_of("requests")),
        op("POST", "/__admin/requests/count", Admin, "Count journal entries matching vendor, method, path, status, body_partial").body(matcher).ok(object(&["count"], json!({"count": int}))),
        op("POST", "/__admin/reset", Admin, "Clear the namespace (or all, ?all=true)").param("all", "query", json!({"enum": ["true", "false"]})).ok(object(&["reset"], json!({"reset": str_}))),
        op("GET", "/__admin/state", Admin, "Every entity of every vendor in the namespace").ok(object(&["namespace", "persona", "coinflow", "bitmama"], json!({"namespace": str_, "persona": any, "coinflow": any, "bitmama": any}))),
        op("GET", "/__admin/webhooks", Admin, "Webhook deliveries with every attempt").ok(list_of("deliveries")),
        op("POST", "/__admin/webhooks/flush", Admin, "Deliver everything pending now; answers when done").ok(object(&["flushed", "delivered", "failed", "pending", "timed_out"], json!({"flushed": {"type": "array", "items": str_}, "delivered": int, "failed": int, "pending": int, "timed_out": {"type": "boolean"}}))),
        op("POST", "/__admin/webhooks/check", Admin, "Check a webhook receiver: a valid delivery, then the ones it must refuse").body(object(&["vendor", "url", "secret"], json!({"vendor": {"enum": ["persona", "coinflow", "bitmama"]}, "url": {"type": "string", "pattern": "^http://"}, "secret": {"type": "string", "minLength": 1}, "event": str_}))).ok(object(&["ok", "summary", "cases"], json!({"ok": {"type": "boolean"}, "summary": any, "cases": {"type": "array"}}))),
        op("POST", "/__admin/webhooks/{id}/redeliver", Admin, "Send a finished delivery again").ok(object(&["delivery"], json!({"delivery": any}))),
        op("GET", "/__admin/webhook-targets", Admin, "Webhook URL and secret per vendor").ok(targets_out.clone()),
        op("PUT", "/__admin/webhook-targets", Admin, "Set (or with null remove) vendors' webhook targets").body(targets_in).ok(targets_out),
        op("GET", "/__admin/clock", Admin, "The namespace's sandbox time").ok(clock.clone()),
        op("POST", "/__admin/clock/advance", Admin, "Move the clock forward and run what falls due").body(advance).ok(clock),
        op("GET", "/__admin/scenarios", Admin, "Every scenario, and problems in the scenario folder").ok(list_of("scenarios")),
        op("GET", "/__admin/scenarios/{name}", Admin, "One scenario").ok(object(&["name", "description"], json!({"name": str_, "description": str_}))),
        op("GET", "/__admin/scenario", Admin, "The namespace's scenario").ok(selection.clone()),
        op("PUT", "/__admin/scenario", Admin, "Select the namespace's scenario (null or \"none\" clears it)").body(object(&["name"], json!({"name": {"type": ["string", "null"]}}))).ok(selection),
        op("POST", "/__admin/inquiries/{id}/{action}", Admin, "Complete, fail, approve or decline an inquiry (through the statuses between)").param("action", "path", action).ok(object(&["id", "status", "path"], json!({"id": str_, "path": {"type": "array"}}))),
        op("POST", "/__admin/withdrawers/{id}/verify", Admin, "Approve a pending Coinflow withdrawer").ok(object(&["id", "status"], json!({"id": str_, "status": str_}))),
        op("GET", "/__admin/openapi.json", Admin, "This document").ok(object(&["openapi", "paths"], json!({"openapi": {"const": "3.1.0"}}))),
    ]
}
