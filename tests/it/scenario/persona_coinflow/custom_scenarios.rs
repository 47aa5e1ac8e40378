//! Custom scenario files across Persona and Coinflow: decisions due later (`after_seconds`,
//! `after_polls`), held registrations, and initial state seeding inquiries and withdrawers.

use serde_json::{Value, json};

use super::{Ns, withdrawer_status};
use crate::harness::TestServer;
use crate::scenario::TempDir;
use crate::vendors::coinflow::{fields_asked, filled_in};

/// A server with one extra scenario file, `custom`.
async fn with_custom(scenario: Value) -> (TestServer, TempDir) {
    let dir = TempDir::new("pc-custom");
    let mut scenario = scenario;
    scenario["name"] = json!("custom");
    scenario["description"] = json!("test");
    dir.write("custom.json", &scenario.to_string());
    let path = dir.0.clone();
    let server = TestServer::start_with(|c| c.scenarios_dir = Some(path)).await;
    (server, dir)
}

#[tokio::test]
async fn later_decisions_and_held_registrations() {
    let (server, _dir) = with_custom(json!({"rules": [
        {"when": {"vendor": "persona", "operation": "inquiry_decision",
                  "body": {"reference-id": {"equals": "fails-later"}}},
         "then": {"outcome": "failed", "after_seconds": 60}},
        {"when": {"vendor": "coinflow", "operation": "register_withdrawer",
                  "headers": {"x-coinflow-auth-user-id": {"equals": "held-user"}}},
         "then": {"outcome": "rejected", "after_polls": 1}},
        {"when": {"vendor": "coinflow", "operation": "get_withdrawer",
                  "headers": {"x-coinflow-auth-user-id": {"regex": "^timed-"}}},
         "then": {"outcome": "approved", "after_seconds": 30}}
    ]}))
    .await;
    let ns = Ns::with(&server, "pc-custom", "custom").await;
    let res = ns
        .persona("POST", "/api/v1/inquiries")
        .json(&json!({"data": {"attributes": {
            "inquiry-template-id": "itmpl_sandbox", "reference-id": "fails-later"}}}))
        .send()
        .await;
    let id = res.json()["data"]["id"].as_str().unwrap().to_string();
    ns.hosted_submit(&id, "pass").await;
    assert_eq!(ns.inquiry_status(&id).await, "pending", "held until due");
    ns.advance(60.0).await;
    assert_eq!(ns.inquiry_status(&id).await, "failed");

    // Registration: pending for one Get Withdrawer, then rejected.
    let res = ns.register_us("held-user", "held@example.com").await;
    assert_eq!(res.status, 451, "{}", res.text());
    assert_eq!(ns.get_withdrawer("held-user").await.status, 451);
    let res = ns.get_withdrawer("held-user").await;
    // Decided: a rejected withdrawer is 451 with its verification and reasons.
    assert_eq!(res.status, 451, "{}", res.text());
    assert_eq!(withdrawer_status(&res), "rejected");

    // Get Withdrawer after_seconds counts from the first poll of a pending withdrawer (one
    // registered for document verification).
    let res = ns
        .coinflow("POST", "/api/withdraw/kyc", "timed-user")
        .json(&json!({"email": "timed@example.com", "country": "US"}))
        .send()
        .await;
    assert_eq!(res.status, 451, "{}", res.text());
    ns.advance(5.0).await;
    assert_eq!(ns.get_withdrawer("timed-user").await.status, 451);
    assert_eq!(ns.get_withdrawer("timed-user").await.status, 451);
    ns.advance(31.0).await;
    // Approved, but a document registration has none of the required fields: they are asked
    // for, and the approval holds once they are submitted.
    let res = ns.get_withdrawer("timed-user").await;
    assert_eq!(res.status, 451, "{}", res.text());
    let wanted = fields_asked(&res.json());
    assert_eq!(wanted.len(), 7, "all but the country: {}", res.text());
    let link = res.json()["verificationLink"]
        .as_str()
        .unwrap_or_default()
        .replace(&server.url(""), "");
    let submitted = server.post(&link).form(&filled_in(&wanted)).send().await;
    assert_eq!(submitted.status, 303, "{}", submitted.text());
    let res = ns.get_withdrawer("timed-user").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(withdrawer_status(&res), "approved");

    // One the registration decided stays decided: no 451 pending beside its approval and
    // its KYC Success.
    let res = ns.register_us("timed-decided", "decided@example.com").await;
    assert_eq!(withdrawer_status(&res), "approved");
    let res = ns.get_withdrawer("timed-decided").await;
    assert_eq!(res.status, 200, "{}", res.text());
    crate::vendors::coinflow::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn initial_state_seeds_inquiries_and_withdrawers() {
    let (server, _dir) = with_custom(json!({"initial_state": {
        "persona": {"inquiries": [
            {"reference_id": "seed-approved", "email_address": "a@example.com", "status": "approved"},
            {"reference_id": "seed-review", "status": "needs_review"}]},
        "coinflow": {"withdrawers": [
            {"email": "seed@example.com", "user_id": "seed-user", "status": "approved"}]}
    }}))
    .await;
    let ns = Ns::with(&server, "pc-seed", "custom").await;
    let list = ns
        .persona(
            "GET",
            "/api/v1/inquiries?filter[reference-id]=seed-approved",
        )
        .send()
        .await
        .json();
    let inquiry = &list["data"][0];
    assert_eq!(inquiry["attributes"]["status"], "approved", "{list}");
    assert_eq!(
        inquiry["attributes"]["fields"]["email-address"]["value"],
        "a@example.com"
    );
    let id = inquiry["id"].as_str().unwrap();
    assert!(id.starts_with("inq_"));
    let review = ns
        .persona("GET", "/api/v1/inquiries?filter[status]=needs_review")
        .send()
        .await
        .json();
    assert_eq!(
        review["data"][0]["attributes"]["reference-id"],
        "seed-review"
    );
    // Found by its user id under any merchant key.
    let res = ns.get_withdrawer("seed-user").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["withdrawer"]["email"], "seed@example.com");
    assert_eq!(withdrawer_status(&res), "approved");
    // Registering again is the existing withdrawer.
    let again = ns.register_us("seed-user", "seed@example.com").await;
    assert_eq!(again.status, 409, "{}", again.text());
    crate::vendors::coinflow::schema::assert_bodies_valid(&server).await;
}
