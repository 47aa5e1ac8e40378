//! `GET /__admin/openapi.json`: an OpenAPI 3.1 description of every route the server answers:
//! the vendors', built from their route tables (`crate::vendors::table`), and the admin API's
//! ([`admin`]).
//!
//! Schemas describe what the sandbox guarantees: the success shape of each route (`2XX`) and the
//! owner's error envelope for every other status (`default`), loosely enough that the vendors'
//! optional fields and `Key-Inflection` recasing stay valid. `.ci/run` fuzzes the server against
//! this document with schemathesis; tests/it/admin.rs checks that every route is in it.

mod admin;

use serde_json::{Map, Value, json};

use crate::app::App;
use crate::http::ApiResponse;
pub(crate) use crate::vendors::table::object;
use crate::vendors::{self, Answer, Route, VendorApi};

/// Who answers a route: picks its tag, security and error envelope.
#[derive(Clone, Copy)]
enum Owner {
    Vendor(&'static dyn VendorApi),
    Admin,
}

/// A vendor's table row as an OpenAPI operation.
fn vendor_op(api: &'static dyn VendorApi, route: &Route) -> Op {
    let op = op(
        route.method,
        route.path,
        Owner::Vendor(api),
        route.doc.summary,
    );
    let op = match route.doc.request {
        Some(schema) => op.body(schema()),
        None => op,
    };
    match route.doc.answer {
        Answer::Json(schema) => op.ok(schema()),
        Answer::Html => op.html(),
    }
}

/// What a route answers on success.
enum Success {
    Json(Value),
    /// An HTML page (hosted flows); may also redirect with 303.
    Html,
}

struct Op {
    method: &'static str,
    path: &'static str,
    owner: Owner,
    summary: &'static str,
    body: Option<Value>,
    success: Success,
    /// Query parameters, and path parameters narrower than a string: `(name, in, schema)`.
    params: Vec<(&'static str, &'static str, Value)>,
}

fn op(method: &'static str, path: &'static str, owner: Owner, summary: &'static str) -> Op {
    Op {
        method,
        path,
        owner,
        summary,
        body: None,
        success: Success::Json(json!({"type": "object"})),
        params: Vec::new(),
    }
}

impl Op {
    fn body(mut self, schema: Value) -> Self {
        self.body = Some(schema);
        self
    }
    fn ok(mut self, schema: Value) -> Self {
        self.success = Success::Json(schema);
        self
    }
    fn html(mut self) -> Self {
        self.success = Success::Html;
        self
    }
    fn param(mut self, name: &'static str, place: &'static str, schema: Value) -> Self {
        self.params.push((name, place, schema));
        self
    }
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
    let vendor_ops = vendors::REGISTRY
        .iter()
        .flat_map(|api| api.routes().iter().map(|route| vendor_op(*api, route)));
    for op in vendor_ops.chain(admin::operations()) {
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
        .filter(|name| !op.params.iter().any(|(n, _, _)| n == name))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}))
        .collect();
    for (name, place, schema) in &op.params {
        parameters.push(
            json!({"name": name, "in": place, "required": *place == "path", "schema": schema}),
        );
    }
    let error = json!({"schema": error_schema(op.owner)});
    let mut responses = Map::new();
    let mut operation = json!({
        "operationId": format!("{}{}", op.method.to_ascii_lowercase(), op.path.replace(['/', '{', '}', '-', '.'], "_")),
        "summary": op.summary,
        "tags": [tag],
        "parameters": parameters,
    });
    match &op.success {
        Success::Json(schema) => {
            responses.insert("2XX".into(), json!({"description": "Success", "content": {"application/json": {"schema": schema}}}));
            responses.insert(
                "default".into(),
                json!({"description": "Error", "content": {"application/json": error}}),
            );
            operation["security"] = security;
        }
        Success::Html => {
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
    if let Some(body) = &op.body {
        operation["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": body}}});
    }
    operation["responses"] = Value::Object(responses);
    operation
}
