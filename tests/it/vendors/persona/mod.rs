//! Persona API: auth, inquiries (create, retrieve, list, actions, simulate, edits, one-time
//! links, idempotency), the state machine and its events, verifications, accounts, `include` and
//! sparse fieldsets, Key-Inflection, Connect share tokens (async redemption via the admin clock),
//! webhooks, and the bodies checked against Persona's OpenAPI spec.
//!
//! This file holds the client the tests share; the tests are in the modules below.

mod accounts;
mod api;
mod hosted;
mod include;
mod inquiries;
mod inquiry_api;
mod lifecycle;
mod schema;
mod schema_depth;
mod sdk;
mod share_tokens;
mod verifications;
mod webhook_settings;
mod webhook_subscriptions;
mod webhooks;

use serde_json::{Value, json};

use crate::harness::{RequestBuilder, TestResponse, TestServer};

pub(super) const KEY: &str = "persona_sandbox_test_key";

/// A Persona client bound to one namespace of a test server.
pub(super) struct Persona {
    pub(super) server: TestServer,
    pub(super) namespace: &'static str,
}

impl Persona {
    pub(super) async fn start() -> Self {
        Self {
            server: TestServer::start().await,
            namespace: "persona-tests",
        }
    }

    pub(super) fn authed(&self, builder: RequestBuilder) -> RequestBuilder {
        builder
            .header("authorization", &format!("Bearer {KEY}"))
            .header("x-sandbox-namespace", self.namespace)
    }

    pub(super) async fn get(&self, path: &str) -> TestResponse {
        self.authed(self.server.get(path)).send().await
    }

    pub(super) async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.authed(self.server.post(path)).json(body).send().await
    }

    pub(super) async fn patch(&self, path: &str, body: &Value) -> TestResponse {
        self.authed(self.server.request("PATCH", path))
            .json(body)
            .send()
            .await
    }

    pub(super) async fn delete(&self, path: &str) -> TestResponse {
        self.authed(self.server.request("DELETE", path))
            .send()
            .await
    }

    pub(super) async fn post_empty(&self, path: &str) -> TestResponse {
        self.authed(self.server.post(path)).send().await
    }

    pub(super) async fn create(&self, attributes: Value) -> Value {
        let mut attributes = attributes;
        attributes["inquiry-template-id"] = json!("itmpl_sandbox");
        let response = self
            .post(
                "/api/v1/inquiries",
                &json!({"data": {"attributes": attributes}}),
            )
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        response.json()
    }

    pub(super) async fn create_id(&self) -> String {
        id_of(&self.create(json!({})).await)
    }

    pub(super) async fn simulate(&self, id: &str, actions: &[&str]) -> TestResponse {
        let actions: Vec<Value> = actions.iter().map(|t| json!({"type": t})).collect();
        self.post(
            &format!("/api/v1/inquiries/{id}/perform-simulate-actions"),
            &json!({"meta": {"simulate-actions": actions}}),
        )
        .await
    }

    pub(super) async fn status(&self, id: &str) -> String {
        let response = self.get(&format!("/api/v1/inquiries/{id}")).await;
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()["data"]["attributes"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub(super) async fn event_names(&self) -> Vec<String> {
        let response = self.get("/api/v1/events?page%5Bsize%5D=100").await;
        assert_eq!(response.status, 200, "{}", response.text());
        let mut names: Vec<String> = response.json()["data"]
            .as_array()
            .expect("data array")
            .iter()
            .map(|e| e["attributes"]["name"].as_str().unwrap_or("").to_string())
            .collect();
        names.reverse(); // the API lists newest first
        names
    }

    pub(super) async fn advance_clock(&self, seconds: i64) {
        self.server
            .advance_clock(self.namespace, seconds as f64)
            .await;
    }

    pub(super) async fn completed_inquiry(&self) -> String {
        let id = self.create_id().await;
        let response = self
            .simulate(&id, &["start_inquiry", "complete_inquiry"])
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
        id
    }
}

pub(super) fn id_of(document: &Value) -> String {
    document["data"]["id"]
        .as_str()
        .expect("data.id")
        .to_string()
}

/// The one error of a Persona error envelope, after checking the envelope's shape.
pub(super) fn only_error(response: &TestResponse, status: u16) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    let body = response.json();
    let errors = body["errors"].as_array().expect("errors array");
    assert_eq!(errors.len(), 1, "{body}");
    assert!(errors[0]["title"].is_string(), "{body}");
    errors[0].clone()
}

pub(super) fn details(response: &TestResponse, status: u16) -> String {
    only_error(response, status)["details"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub(super) fn is_iso_ms(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.' && s.as_bytes()[10] == b'T'
    })
}

pub(super) fn is_persona_id(id: &str, prefix: &str) -> bool {
    const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    id.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == 24 && rest.chars().all(|c| BASE58.contains(c)))
}
