//! Coinflow's published OpenAPI spec (`specs/coinflow-openapi.json`, paths below `/api`) and the
//! check every Coinflow test ends with: each JSON body the sandbox answered on a Coinflow route
//! the spec lists validates against the spec's schema for that path and status, and a status the
//! spec gives no schema (a 400, a 401) keeps Coinflow's NestJS error shape.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

use super::*;

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/coinflow-openapi.json");

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(SPEC_PATH)
            .unwrap_or_else(|e| panic!("cannot read the Coinflow spec at {SPEC_PATH}: {e}"));
        serde_json::from_str(&text).expect("the Coinflow spec parses as JSON")
    })
}

/// The spec's path template (`/withdraw/account/{token}`) for a sandbox path
/// (`/api/withdraw/account/tok_1/`), if the spec has it.
pub fn template(path: &str) -> Option<&'static str> {
    let path = strip_namespace(path).strip_prefix("/api")?;
    let sent: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let paths = spec()["paths"].as_object()?;
    // Literal segments win over parameters (`/merchant/withdraws/payout/balance` is not a
    // withdrawal id).
    let mut best: Option<(&'static str, usize)> = None;
    for template in paths.keys() {
        let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
        if parts.len() != sent.len() {
            continue;
        }
        let mut literals = 0;
        let fits = parts.iter().zip(&sent).all(|(part, seg)| {
            if part.starts_with('{') {
                true
            } else {
                literals += 1;
                part == seg
            }
        });
        if fits && best.is_none_or(|(_, l)| literals > l) {
            best = Some((template.as_str(), literals));
        }
    }
    best.map(|(t, _)| t)
}

fn strip_namespace(path: &str) -> &str {
    match path.strip_prefix("/ns/") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => path,
    }
}

fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The pointer to the response schema of `method template status`, when the spec has one.
fn response_pointer(method: &str, template: &str, status: u16) -> Option<String> {
    let pointer = format!(
        "/paths/{}/{}/responses/{status}/content/application~1json/schema",
        token(template),
        method.to_ascii_lowercase()
    );
    spec().pointer(&pointer).map(|_| pointer)
}

fn validator(pointer: &str) -> Arc<Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Validator>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache
        .entry(pointer.to_string())
        .or_insert_with(|| {
            let mut schema = spec().pointer(pointer).cloned().unwrap_or(Value::Null);
            if let Value::Object(map) = &mut schema {
                map.insert("components".into(), spec()["components"].clone());
            }
            let v = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("schema {pointer} compiles: {e}"));
            Arc::new(v)
        })
        .clone()
}

/// Every way `body` breaks the spec for `method path status` (empty: it conforms).
pub fn violations(method: &str, path: &str, status: u16, body: &Value) -> Vec<String> {
    let Some(template) = template(path) else {
        return Vec::new();
    };
    match response_pointer(method, template, status) {
        Some(pointer) => validator(&pointer)
            .iter_errors(body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect(),
        None if status >= 400 => {
            let nest = body["statusCode"] == status
                && body["message"].is_string()
                && body["path"].is_string()
                && body["method"].is_string()
                && body["timestamp"].is_string();
            if nest {
                Vec::new()
            } else {
                vec![format!(
                    "{status} without a schema is not Coinflow's error shape"
                )]
            }
        }
        None => vec![format!("the spec has no {status} for {method} {template}")],
    }
}

/// Panics unless every JSON body the server answered on a Coinflow route the spec lists
/// conforms (see the module doc). Every Coinflow test ends with it.
pub async fn assert_bodies_valid(server: &TestServer) {
    let journal = server
        .get("/__admin/requests?vendor=coinflow&limit=100000")
        .send()
        .await
        .json();
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in journal["requests"].as_array().into_iter().flatten() {
        let method = entry["method"].as_str().unwrap_or_default();
        let path = entry["path"].as_str().unwrap_or_default();
        let status = entry["status"].as_u64().unwrap_or_default() as u16;
        let body = &entry["response_body"];
        if template(path).is_none() || body.is_null() {
            continue;
        }
        checked += 1;
        for v in violations(method, path, status, body) {
            problems.push(format!("{method} {path} {status}: {v}\n    body: {body}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {checked} Coinflow bodies break the spec:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn paths_map_to_the_spec_templates() {
    assert_eq!(template("/api/withdraw"), Some("/withdraw"));
    assert_eq!(template("/api/withdraw/"), Some("/withdraw"));
    assert_eq!(template("/ns/x/api/withdraw/kyc"), Some("/withdraw/kyc"));
    assert_eq!(
        template("/api/withdraw/account/tok_1"),
        Some("/withdraw/account/{token}")
    );
    assert_eq!(
        template("/api/merchant/withdraws/payout/balance"),
        Some("/merchant/withdraws/payout/balance")
    );
    assert_eq!(
        template("/api/merchant/withdraws/abc"),
        Some("/merchant/withdraws/{withdrawalId}")
    );
    assert_eq!(template("/merchant/view/x"), None);
}

/// The check is not vacuous: the shapes the sandbox used to answer fail it.
#[test]
fn the_old_bodies_fail_the_check() {
    let old_451 = json!({"statusCode": 451, "timestamp": "2026-01-01T00:00:00.000Z",
        "path": "/api/withdraw", "method": "GET", "message": "pending",
        "verificationLink": "http://x/coinflow/verify/t"});
    assert!(!violations("GET", "/api/withdraw", 451, &old_451).is_empty());
    let old_registration = json!({"withdrawer": {"_id": "672400ead654e5cdd247b33f",
        "currency": "USD", "email": "a@b.c", "verification": {"status": "pending"}}});
    assert!(!violations("POST", "/api/withdraw/kyc", 200, &old_registration).is_empty());
    assert!(!violations("GET", "/api/withdraw", 401, &json!({"error": "x"})).is_empty());
    assert!(!violations("GET", "/api/withdraw", 201, &json!({})).is_empty());
}

/// Every registration route and Get Withdrawer, in each state, answer the spec's shapes.
#[tokio::test]
async fn registration_and_get_withdrawer_bodies_match_the_spec() {
    let server = TestServer::start().await;
    let ns = "cf-schema";
    // US info: approved at once; Get Withdrawer 200.
    let us = as_user(&server, "POST", "/api/withdraw/kyc", ns, "s-us")
        .json(&us_info("us@x.io"))
        .send()
        .await;
    assert_eq!(us.status, 200, "{}", us.text());
    let got = as_user(&server, "GET", "/api/withdraw", ns, "s-us")
        .send()
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    // Document verification: 451 echoing the body's redirectLink.
    let doc = as_user(&server, "POST", "/api/withdraw/kyc", ns, "s-doc")
        .json(&json!({"email": "doc@x.io", "country": "US",
            "redirectLink": "https://app.example/back"}))
        .send()
        .await;
    assert_eq!(doc.status, 451, "{}", doc.text());
    let body = doc.json();
    assert_eq!(body["redirectLink"], "https://app.example/back");
    assert_eq!(body["verification"]["status"], "pending");
    assert_eq!(body["withdrawer"]["email"], "doc@x.io");
    // The redirect is the withdrawer's, not carried in the link (anyone could change it).
    assert!(
        !body["verificationLink"]
            .as_str()
            .unwrap()
            .contains("redirectLink")
    );
    let again = as_user(&server, "GET", "/api/withdraw", ns, "s-doc")
        .send()
        .await;
    assert_eq!(again.json()["redirectLink"], "https://app.example/back");
    // Rejected: 451 with the reasons.
    let rejected = as_user(&server, "POST", "/api/withdraw/kyc", ns, "s-rej")
        .json(&us_info("no+rejected@x.io"))
        .send()
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.text());
    let got = as_user(&server, "GET", "/api/withdraw", ns, "s-rej")
        .send()
        .await;
    assert_eq!(got.status, 451, "{}", got.text());
    let got = got.json();
    assert_eq!(got["verification"]["status"], "rejected");
    assert!(got["rejectionReasons"][0].is_string(), "{got}");
    // Missing fields: the additional verification link.
    let missing = as_user(&server, "POST", "/api/withdraw/kyc", ns, "s-miss")
        .json(&us_info("x+missing@x.io"))
        .send()
        .await;
    assert_eq!(missing.status, 451, "{}", missing.text());
    assert!(missing.json()["additionalVerificationLinks"][0]["link"].is_string());
    // Attested: approved with `attested: true` (the spec has no `attested` status).
    let att = as_user(&server, "POST", "/api/withdraw/kyc/attested", ns, "s-att")
        .json(
            &json!({"email": "att@x.io", "firstName": "A", "surName": "T",
            "physicalAddress": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701",
            "country": "US", "dob": "19900131"}),
        )
        .send()
        .await;
    assert_eq!(att.status, 200, "{}", att.text());
    assert_eq!(att.json()["withdrawer"]["verification"]["attested"], true);
    // Share token: pending registration, 451 while redeeming, 200 once redeemed.
    let inquiry = persona_inquiry(&server, ns, full_fields(), &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    let reg = register_share_token(&server, ns, "s-share", &token, "share@x.io").await;
    assert_eq!(reg.status, 200, "{}", reg.text());
    let pending = as_user(&server, "GET", "/api/withdraw", ns, "s-share")
        .send()
        .await;
    assert_eq!(pending.status, 451);
    advance(&server, ns, 2.0).await;
    let ok = as_user(&server, "GET", "/api/withdraw", ns, "s-share")
        .send()
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    // Errors: 401, 400, 409.
    let anon = server
        .get("/api/withdraw")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(anon.status, 401);
    let bad = as_user(&server, "POST", "/api/withdraw/kyc", ns, "s-bad")
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(bad.status, 400);
    assert_bodies_valid(&server).await;
}

/// Panics unless `value` matches the spec's component schema `name`.
pub fn assert_component(name: &str, value: &Value) {
    let pointer = format!("/components/schemas/{name}");
    let problems: Vec<String> = validator(&pointer)
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{name}: {problems:?}\n{value}");
}

/// A Withdraw webhook body: the envelope's event type and category from the spec's enums, and
/// `data` a `WithdrawWebhookData` (the whole `WebhookPacket` cannot validate: its `data` is a
/// `oneOf` whose branches overlap).
pub fn assert_withdraw_webhook(body: &Value) {
    assert_component("WebhookEventType", &body["eventType"]);
    assert_eq!(body["category"], "Withdraw", "{body}");
    assert!(body["created"].is_string(), "{body}");
    assert_component("WithdrawWebhookData", &body["data"]);
}
