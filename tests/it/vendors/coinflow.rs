//! Coinflow: auth, registering withdrawers (Persona share token, US info, document, attested),
//! Get Withdrawer and its verification page, the SDK's routes, signed KYC webhooks.

use serde_json::{Value, json};

use crate::harness::{PERSONA_KEY, TestServer, WebhookSink};
use vendor_sandbox::Vendor;

const KEY: &str = "coinflow_sandbox_merchant_key";

/// A server sending Coinflow's webhooks, signed with `key`, to a sink at `path`.
async fn hooked_server(path: &str) -> (WebhookSink, TestServer) {
    let sink = WebhookSink::start().await;
    let url = sink.url(path);
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Coinflow, url));
        c.webhooks.secrets.push((Vendor::Coinflow, "key".into()));
    })
    .await;
    (sink, server)
}

/// Approved Persona inquiry with every field Coinflow needs.
fn full_fields() -> Value {
    json!({
        "name-first": "Jane",
        "name-last": "Doe",
        "birthdate": "1990-01-31",
        "address-street-1": "1 Main St",
        "address-city": "Austin",
        "address-subdivision": "TX",
        "address-postal-code": "78701",
        "address-country-code": "US",
    })
}

async fn persona_inquiry(server: &TestServer, ns: &str, fields: Value, actions: &[&str]) -> String {
    let created = server
        .post("/api/v1/inquiries")
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"data": {"attributes": {
            "inquiry-template-id": "itmpl_sandbox",
            "fields": fields,
        }}}))
        .send()
        .await;
    assert!(created.status < 300, "create inquiry: {}", created.text());
    let id = created.json()["data"]["id"].as_str().unwrap().to_string();
    let actions: Vec<Value> = actions.iter().map(|a| json!({"type": a})).collect();
    let simulated = server
        .post(&format!("/api/v1/inquiries/{id}/perform-simulate-actions"))
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"meta": {"simulate-actions": actions}}))
        .send()
        .await;
    assert!(simulated.status < 300, "simulate: {}", simulated.text());
    id
}

const APPROVE: [&str; 3] = ["start_inquiry", "complete_inquiry", "approve_inquiry"];

async fn share_token(server: &TestServer, ns: &str, inquiry_id: &str) -> String {
    let created = server
        .post("/api/v1/connect/share-tokens")
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"data": {"attributes": {
            "connection-id": "cxn_coinflow",
            "source-id": inquiry_id,
        }}}))
        .send()
        .await;
    assert!(
        created.status < 300,
        "create share token: {}",
        created.text()
    );
    created.json()["data"]["id"].as_str().unwrap().to_string()
}

/// Persona's share token `token`, as Persona's API answers it.
async fn persona_share_token(server: &TestServer, ns: &str, token: &str) -> Value {
    let got = server
        .get(&format!("/api/v1/connect/share-tokens/{token}"))
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    got.json()
}

async fn persona_token_status(server: &TestServer, ns: &str, token: &str) -> String {
    persona_share_token(server, ns, token).await["data"]["attributes"]["status"]
        .as_str()
        .unwrap_or("?")
        .to_string()
}

async fn advance(server: &TestServer, ns: &str, seconds: f64) {
    server.advance_clock(ns, seconds).await;
}

/// A request as user `user` of merchant `KEY`.
fn as_user(
    server: &TestServer,
    method: &str,
    path: &str,
    ns: &str,
    user: &str,
) -> crate::harness::RequestBuilder {
    server
        .request(method, path)
        .header("authorization", KEY)
        .header("x-coinflow-auth-user-id", user)
        .header("x-sandbox-namespace", ns)
}

async fn register_share_token(
    server: &TestServer,
    ns: &str,
    user: &str,
    token: &str,
    email: &str,
) -> crate::harness::TestResponse {
    as_user(server, "POST", "/api/withdraw/kyc/share-token", ns, user)
        .json(&json!({"vendor": "persona", "shareToken": token, "email": email}))
        .send()
        .await
}

fn assert_nest_error(body: &Value, status: u16, path: &str, method: &str) {
    assert_eq!(body["statusCode"], status, "{body}");
    assert_eq!(body["path"], path, "{body}");
    assert_eq!(body["method"], method, "{body}");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'), "{body}");
    assert!(!body["message"].as_str().unwrap().is_empty(), "{body}");
}

fn message(body: &Value) -> String {
    body["message"].as_str().unwrap_or_default().to_string()
}

pub fn us_info(email: &str) -> Value {
    json!({"info": {"email": email, "firstName": "Jane", "surName": "Doe",
        "physicalAddress": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701",
        "country": "US", "dob": "19900131", "ssn": "1234"}})
}

/// The fields a Get Withdrawer answer asks for (its `additionalVerificationLinks`), none when
/// it asks for nothing: what `GET /__admin/state`'s `missing_fields` must name then.
pub fn fields_asked(body: &Value) -> Vec<String> {
    (body["additionalVerificationLinks"][0]["name"].as_str())
        .and_then(|name| name.strip_prefix("Missing information: "))
        .map(|list| list.split(", ").map(str::to_string).collect())
        .unwrap_or_default()
}

/// The verification page's form filled in with valid values for `fields`.
pub fn filled_in(fields: &[String]) -> Vec<(&str, &'static str)> {
    let value = |name: &str| match name {
        "firstName" => "Jane",
        "surName" => "Doe",
        "dob" => "1990-01-31",
        "physicalAddress" => "1 Main St",
        "city" => "Austin",
        "state" => "TX",
        "zip" => "78701",
        "country" => "US",
        other => panic!("no value for field {other}"),
    };
    fields.iter().map(|f| (f.as_str(), value(f))).collect()
}

pub(crate) mod accounts;
mod hardening;
mod journey;
mod kyc;
mod kyc_doc;
mod payout_scenarios;
pub(crate) mod payouts;
pub mod schema;
mod sdk_webhooks;
mod share_token;
mod ui;
mod ui_listener;
mod ui_sdk;
mod webhook_logs;
mod withdraw_list;
mod withdrawer_list;
