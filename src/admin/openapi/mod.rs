//! `GET /__admin/openapi.json`: an OpenAPI 3.1 description of every route the server answers,
//! the three vendors' and the admin API's, built here from one table ([`operations`]).
//!
//! Schemas describe what the sandbox guarantees: the success shape of each route (`2XX`) and the
//! owner's error envelope for every other status (`default`), loosely enough that the vendors'
//! optional fields and `Key-Inflection` recasing stay valid. `.ci/run` fuzzes the server against
//! this document with schemathesis; tests/it/admin.rs checks that every route is in it.

mod admin;
mod vendors;

use serde_json::{Map, Value, json};

use crate::app::App;
use crate::http::ApiResponse;

/// Who answers a route: picks its tag, security and error envelope.
#[derive(Clone, Copy)]
enum Owner {
    Persona,
    Coinflow,
    Bitmama,
    Admin,
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

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn jsonapi_one() -> Value {
    object(
        &["data"],
        json!({"data": object(&["id", "type"], json!({
            "id": {"type": "string"}, "type": {"type": "string"}, "attributes": {"type": "object"},
        }))}),
    )
}

fn jsonapi_list() -> Value {
    object(
        &["data"],
        json!({"data": {"type": "array", "items": {"type": "object"}}}),
    )
}

/// `{"data": {"attributes": {...}}}` with the given attribute properties.
fn jsonapi_body(attributes: Value) -> Value {
    object(
        &["data"],
        json!({"data": object(&[], json!({
            "attributes": {"type": "object", "properties": attributes},
        }))}),
    )
}

fn bitmama_success() -> Value {
    object(
        &["status", "message"],
        json!({
            "status": {"const": "success"}, "message": {"type": "string"}, "data": {},
        }),
    )
}

fn withdrawer() -> Value {
    object(
        &["withdrawer"],
        json!({"withdrawer": object(&["_id", "email", "verification"], json!({
            "_id": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
            "email": {"type": "string"},
            "verification": object(&["status"], json!({"status": {"enum": ["pending", "approved", "rejected", "attested"]}})),
        }))}),
    )
}

fn error_schema(owner: Owner) -> Value {
    match owner {
        Owner::Persona => object(
            &["errors"],
            json!({"errors": {"type": "array", "items": object(&["title"], json!({"title": {"type": "string"}}))}}),
        ),
        Owner::Coinflow => object(
            &["statusCode", "message"],
            json!({"statusCode": {"type": "integer"}, "message": {}, "path": {"type": "string"}}),
        ),
        Owner::Bitmama => object(
            &["status", "message"],
            json!({"status": {"const": "error"}, "message": {"type": "string"}, "data": {"type": "object"}}),
        ),
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
    for op in vendors::operations().into_iter().chain(admin::operations()) {
        let item = paths.entry(op.path).or_insert_with(|| json!({}));
        item[op.method.to_ascii_lowercase()] = operation(&op);
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
        "tags": [
            {"name": "persona", "description": "Persona: inquiries, events, share tokens, webhooks, hosted flow"},
            {"name": "coinflow", "description": "Coinflow: withdrawers and KYC"},
            {"name": "bitmama", "description": "Bitmama partner card API"},
            {"name": "admin", "description": "The sandbox's own admin API"},
        ],
        "paths": paths,
        "components": {"securitySchemes": {
            "personaKey": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <Persona API key>"},
            "bitmamaKey": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer sk_<partner key>"},
            "coinflowKey": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "the raw merchant key, no Bearer"},
            "coinflowUser": {"type": "apiKey", "in": "header", "name": "x-coinflow-auth-user-id"},
        }},
    })
}

fn operation(op: &Op) -> Value {
    let (tag, security) = match op.owner {
        Owner::Persona => ("persona", json!([{"personaKey": []}])),
        Owner::Coinflow => ("coinflow", json!([{"coinflowKey": [], "coinflowUser": []}])),
        Owner::Bitmama => ("bitmama", json!([{"bitmamaKey": []}])),
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
