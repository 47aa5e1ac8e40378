//! `GET /__admin/openapi.json`: an OpenAPI 3.1 description of every route the server answers,
//! built from the route tables: each vendor's (`crate::vendors::table`) and the admin API's
//! (`super::ROUTES`), rows of the same kind.
//!
//! Schemas describe what the sandbox guarantees: the success shape of each route (`2XX`) and the
//! owner's error envelope for every other status (`default`), loosely enough that the vendors'
//! optional fields and `Key-Inflection` recasing stay valid. `.ci/run` fuzzes the server against
//! this document with schemathesis; tests/it/admin/openapi.rs checks that every route is in it.

use serde_json::{Map, Value, json};

use crate::app::App;
use crate::http::ApiResponse;
use crate::vendors::table::{Doc, object};
use crate::vendors::{self, Answer, VendorApi};

/// Who answers a route: picks its tag, security and error envelope.
#[derive(Clone, Copy)]
enum Owner {
    Vendor(&'static dyn VendorApi),
    Admin,
}

/// One row of a table, as the document needs it.
struct Op<'a> {
    method: &'static str,
    path: &'static str,
    owner: Owner,
    doc: &'a Doc,
}

fn error_schema(owner: Owner) -> Value {
    match owner {
        Owner::Vendor(api) => (api.doc().error_schema)(),
        Owner::Admin => object(
            &["error"],
            json!({"error": object(&["status", "message"], json!({"status": {"type": "integer"}, "message": {"type": "string"}}))}),
        ),
    }
}

pub fn document(app: &App) -> ApiResponse {
    ApiResponse::json(200, build(&app.public_url))
}

/// The whole document, with `server_url` as its one server.
pub fn build(server_url: &str) -> Value {
    let mut paths = Map::new();
    let vendor_ops = vendors::REGISTRY.iter().flat_map(|api| {
        api.routes().iter().map(|route| Op {
            method: route.method,
            path: route.path,
            owner: Owner::Vendor(*api),
            doc: &route.doc,
        })
    });
    let admin_ops = super::ROUTES.iter().map(|route| Op {
        method: route.method,
        path: route.path,
        owner: Owner::Admin,
        doc: &route.doc,
    });
    for op in vendor_ops.chain(admin_ops) {
        let item = paths.entry(op.path).or_insert_with(|| json!({}));
        item[op.method.to_ascii_lowercase()] = operation(&op);
    }
    let mut tags: Vec<Value> = vendors::REGISTRY
        .iter()
        .map(|api| json!({"name": api.vendor().as_str(), "description": api.doc().description}))
        .collect();
    tags.push(json!({"name": "admin", "description": "The sandbox's own admin API"}));
    let mut schemes = Map::new();
    for api in vendors::REGISTRY {
        if let Value::Object(own) = (api.doc().schemes)() {
            schemes.extend(own);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "vendor-sandbox",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Local sandbox of the Persona, Coinflow and Bitmama APIs, and its admin API. \
                Every route also answers under /ns/NAME (a namespace), or with the X-Sandbox-Namespace header.",
        },
        "servers": [{"url": server_url}],
        "tags": tags,
        "paths": paths,
        "components": {"securitySchemes": schemes},
    })
}

fn operation(op: &Op) -> Value {
    let (tag, security) = match op.owner {
        Owner::Vendor(api) => (api.vendor().as_str(), (api.doc().security)()),
        Owner::Admin => ("admin", json!([])),
    };
    let mut parameters: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .filter(|name| !op.doc.params.iter().any(|p| p.name == *name))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}))
        .collect();
    for param in op.doc.params {
        parameters.push(json!({
            "name": param.name, "in": param.place, "required": param.required || param.place == "path",
            "schema": (param.schema)(),
        }));
    }
    let error = json!({"schema": error_schema(op.owner)});
    let mut responses = Map::new();
    let mut operation = json!({
        "operationId": format!("{}{}", op.method.to_ascii_lowercase(), op.path.replace(['/', '{', '}', '-', '.'], "_")),
        "summary": op.doc.summary,
        "tags": [tag],
        "parameters": parameters,
    });
    match op.doc.answer {
        Answer::Json(schema) => {
            responses.insert("2XX".into(), json!({"description": "Success", "content": {"application/json": {"schema": schema()}}}));
            responses.insert(
                "default".into(),
                json!({"description": "Error", "content": {"application/json": error}}),
            );
            operation["security"] = security;
        }
        Answer::Html => {
            let page = json!({"schema": {"type": "string"}});
            responses.insert(
                "2XX".into(),
                json!({"description": "An HTML page", "content": {"text/html": page}}),
            );
            responses.insert(
                "303".into(),
                json!({"description": "Redirect to the next page"}),
            );
            responses.insert("default".into(), json!({"description": "Error", "content": {"application/json": error, "text/html": page}}));
            operation["security"] = json!([]);
            if op.method == "POST" {
                operation["requestBody"] = json!({"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}});
            }
        }
    }
    if let Some(body) = op.doc.request {
        let mut content = Map::new();
        content.insert(op.doc.request_media.into(), json!({"schema": body()}));
        operation["requestBody"] = json!({"required": true, "content": content});
    }
    operation["responses"] = Value::Object(responses);
    operation
}
