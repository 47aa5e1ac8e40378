//! Bitmama partner card API: auth, card-user validation, idempotency, wallet, KYC through the
//! Persona part and its webhooks, cards.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::harness::{TestResponse, TestServer, WebhookSink, card_user_body};

mod cards;
mod idempotency;
mod kyc;
mod users;

const ACME: &str = "Bearer sk_staging_acme";
const GLOBEX: &str = "Bearer sk_staging_globex";
const USERS: &str = "/api/v2/partner/card/users";
const USERS_V1: &str = "/api/v1/partner/card/users";
const CARD: &str = "/api/v1/partner/card";
const WALLET: &str = "/api/v1/partner/wallet";

/// A fresh idempotency key per call.
fn key() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "550e8400-e29b-41d4-a716-{:012}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The brief's request body.
fn brief_body() -> Value {
    card_user_body("jane@example.com")
}

fn body_with(changes: Value) -> Value {
    let mut body = brief_body();
    for (k, v) in changes.as_object().expect("object") {
        if v.is_null() {
            body.as_object_mut().expect("object").remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body
}

async fn post(server: &TestServer, auth: &str, path: impl AsRef<str>, body: Value) -> TestResponse {
    server
        .post(path.as_ref())
        .header("authorization", auth)
        .header("idempotency-key", &key())
        .json(&body)
        .send()
        .await
}

async fn get(server: &TestServer, auth: &str, path: &str) -> Value {
    let res = server.get(path).header("authorization", auth).send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

async fn create_user(server: &TestServer, auth: &str, body: Value) -> (String, String) {
    let res = post(server, auth, USERS, body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let data = &res.json()["data"];
    (
        data["serviceId"].as_str().expect("serviceId").to_string(),
        data["verificationUrl"]
            .as_str()
            .expect("verificationUrl")
            .to_string(),
    )
}

fn inquiry_of(verification_url: &str) -> String {
    verification_url
        .split_once("inquiry-id=")
        .expect("inquiry-id in the URL")
        .1
        .to_string()
}

/// Moves an inquiry through Persona's simulate actions.
async fn simulate(server: &TestServer, inquiry_id: &str, actions: &[&str]) {
    let actions: Vec<Value> = actions.iter().map(|a| json!({"type": a})).collect();
    let res = server
        .post(&format!(
            "/api/v1/inquiries/{inquiry_id}/perform-simulate-actions"
        ))
        .header("authorization", "Bearer persona_sandbox_key")
        .json(&json!({"meta": {"simulate-actions": actions}}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

/// The next webhook: `service_id` must verify again, on a new inquiry (not the one of
/// `old_link`) that the webhook names. The new link.
async fn next_verification(sink: &mut WebhookSink, service_id: &str, old_link: &str) -> String {
    let hook = sink.next().await.json();
    assert_eq!(hook["event"], "user.kyc.needsVerification");
    assert_eq!(hook["data"]["serviceId"], service_id);
    let link = hook["data"]["details"]["verificationLink"]
        .as_str()
        .expect("verificationLink")
        .to_string();
    assert_ne!(link, old_link);
    assert_eq!(hook["data"]["details"]["inquiryId"], inquiry_of(&link));
    link
}

/// `POST /api/v1/partner/card` for `service_id` with $10, as partner `auth`.
async fn create_card(server: &TestServer, auth: &str, service_id: &str) -> TestResponse {
    post(
        server,
        auth,
        CARD,
        json!({"serviceId": service_id, "amount": 10}),
    )
    .await
}

async fn approve(server: &TestServer, verification_url: &str) {
    simulate(
        server,
        &inquiry_of(verification_url),
        &["start_inquiry", "complete_inquiry", "approve_inquiry"],
    )
    .await;
}

async fn user_status(server: &TestServer, auth: &str, service_id: &str) -> String {
    let list = get(server, auth, USERS_V1).await;
    list["data"]["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["serviceId"] == service_id)
        .map(|u| u["status"].as_str().expect("status").to_string())
        .expect("user listed")
}

async fn balance(server: &TestServer, auth: &str) -> Value {
    balance_in(server, auth, "").await
}

/// The wallet balance in namespace prefix `ns` (`/ns/NAME`, or empty for the default).
async fn balance_in(server: &TestServer, auth: &str, ns: &str) -> Value {
    get(server, auth, &format!("{ns}{WALLET}")).await["data"]["balance"].clone()
}

fn assert_error(res: &TestResponse, status: u16, code: &str) -> String {
    assert_eq!(res.status, status, "{}", res.text());
    let body = res.json();
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["message"], code, "{body}");
    body["data"]["error"]
        .as_str()
        .expect("data.error text")
        .to_string()
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Sets the partner's webhook to `sink` and returns the `whsec_` secret.
async fn set_webhook(server: &TestServer, auth: &str, sink: &WebhookSink) -> String {
    let res = post(
        server,
        auth,
        "/api/v1/partner/profile/webhook",
        json!({"webhookUrl": sink.url("/bitmama-hooks")}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let secret = res.json()["data"]["webhookSecret"]
        .as_str()
        .expect("secret")
        .to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    secret
}

/// The path of an absolute URL of this server.
fn local_path(server: &TestServer, location: &str) -> String {
    location
        .strip_prefix(&server.url(""))
        .unwrap_or_else(|| panic!("{location} is not on this server"))
        .to_string()
}
