//! Coinflow's webhook logs (`GET /api/merchant/webhooks`) and resend (`POST
//! /api/merchant/webhooks/{webhookLogId}`): the merchant's own deliveries from the outbox, the
//! spec's filters and pages, and a resend that reaches the receiver again.

use std::time::Duration;

use serde_json::{Value, json};

use super::accounts::{add_bank, verified_user};
use super::payouts::{as_merchant, payout, payout_body};
use super::sdk_webhooks::assert_signed;
use super::*;
use crate::harness::{ReceivedWebhook, TestResponse, WebhookSink, encode, eventually};
use vendor_sandbox::vendor::Vendor;

const OTHER_KEY: &str = "another_merchant_key";

async fn logs(server: &TestServer, ns: &str, query: &str) -> TestResponse {
    as_merchant(server, "GET", &format!("/api/merchant/webhooks{query}"), ns)
        .send()
        .await
}

/// The logs `query` lists, as (eventType, id) pairs, newest first.
async fn listed(server: &TestServer, ns: &str, query: &str) -> Vec<(String, String)> {
    let r = logs(server, ns, query).await;
    assert_eq!(r.status, 200, "{query}: {}", r.text());
    let body = r.json();
    (body
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {body}")))
    .iter()
    .map(|log| {
        let field = |name: &str| log[name].as_str().unwrap_or_default().to_string();
        (field("eventType"), field("id"))
    })
    .collect()
}

async fn resend(server: &TestServer, ns: &str, key: &str, id: &str) -> TestResponse {
    server
        .post(&format!("/api/merchant/webhooks/{}", encode(id)))
        .header("authorization", key)
        .header("x-sandbox-namespace", ns)
        .send()
        .await
}

/// The logs once each has an HTTP answer recorded (the receiver may have a webhook whose
/// attempt the outbox has not recorded yet).
async fn answered_logs(server: &TestServer, ns: &str, count: usize) -> Vec<Value> {
    eventually(|| async {
        let body = logs(server, ns, "").await.json();
        let logs = body.as_array()?.clone();
        (logs.len() == count && logs.iter().all(|l| l["responseCode"] != 0)).then_some(logs)
    })
    .await
}

#[tokio::test]
async fn a_merchant_lists_its_webhook_logs_filtered_and_paged_and_resends_one() {
    let (mut sink, server) = super::hooked_server("/coinflow").await;
    let ns = "cf-webhook-logs";
    assert_eq!(logs(&server, ns, "").await.json(), json!([]));
    // KYC Created and KYC Success, then (a minute later) Withdraw Pending, all the merchant's.
    verified_user(&server, ns, "alice").await;
    let mut received: Vec<ReceivedWebhook> = vec![sink.next().await, sink.next().await];
    advance(&server, ns, 60.0).await;
    let account = add_bank(&server, ns, "alice").await;
    let paid = payout(
        &server,
        ns,
        &payout_body("alice", &account, "standard", 1_000, "k1"),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.text());
    let signature = paid.json()["signature"].as_str().unwrap().to_string();
    // Another merchant's registration goes to the same receiver, but is not in these logs.
    let other = server
        .post("/api/withdraw/kyc")
        .header("authorization", OTHER_KEY)
        .header("x-coinflow-auth-user-id", "bob")
        .header("x-sandbox-namespace", ns)
        .json(&us_info("bob@x.io"))
        .send()
        .await;
    assert_eq!(other.status, 200, "{}", other.text());
    for _ in 0..3 {
        received.push(sink.next().await);
    }

    let all = answered_logs(&server, ns, 3).await;
    let events: Vec<&str> = all
        .iter()
        .map(|l| l["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["Withdraw Pending", "KYC Success", "KYC Created"]);
    let merchant_id = all[0]["data"]["merchantId"].as_str().unwrap().to_string();
    for log in &all {
        assert_eq!(log["merchantId"], merchant_id.as_str());
        assert_eq!(log["version"], "Version 2");
        assert_eq!(log["url"], sink.url("/coinflow"));
        assert_eq!(log["responseCode"], 200);
        assert_eq!(log["responseData"]["status"], "delivered");
        // What the log shows is what the receiver got.
        let sent = received
            .iter()
            .map(ReceivedWebhook::json)
            .find(|b| b["eventType"] == log["eventType"] && b["data"] == log["data"])
            .unwrap_or_else(|| panic!("no webhook received like {log}"));
        assert_eq!(sent["category"], log["category"]);
    }
    assert_eq!(all[0]["data"]["signature"], signature.as_str());
    assert_eq!(all[1]["data"]["email"], "alice@x.io");
    let id = |i: usize| all[i]["id"].as_str().unwrap().to_string();

    // Filters.
    let kyc_success = vec![("KYC Success".to_string(), id(1))];
    assert_eq!(
        listed(&server, ns, "?eventType=KYC%20Success").await,
        kyc_success
    );
    assert_eq!(
        listed(&server, ns, &format!("?transactionId={signature}")).await,
        [("Withdraw Pending".to_string(), id(0))]
    );
    assert_eq!(listed(&server, ns, "?responseCode=200").await.len(), 3);
    assert_eq!(listed(&server, ns, "?search=2").await.len(), 3);
    assert!(listed(&server, ns, "?search=5").await.is_empty());
    assert!(listed(&server, ns, "?responseCode=500").await.is_empty());
    assert!(
        listed(&server, ns, "?eventType=ACH%20Success")
            .await
            .is_empty()
    );
    let own = format!("?merchantId={merchant_id}");
    assert_eq!(listed(&server, ns, &own).await.len(), 3);
    assert!(
        listed(&server, ns, "?merchantId=sandbox-00000000")
            .await
            .is_empty()
    );
    let sent_at = |i: usize| encode(all[i]["sentAt"].as_str().unwrap());
    let from = format!("?startDate={}", sent_at(0));
    assert_eq!(
        listed(&server, ns, &from).await.len(),
        1,
        "sentAt >= startDate"
    );
    let until = format!("?endDate={}", sent_at(1));
    assert_eq!(
        listed(&server, ns, &until).await.len(),
        2,
        "sentAt <= endDate"
    );
    assert!(
        listed(&server, ns, "?startDate=2126-01-01")
            .await
            .is_empty()
    );
    // Pages.
    assert_eq!(listed(&server, ns, "?limit=2").await.len(), 2);
    assert_eq!(
        listed(&server, ns, "?limit=2&page=2").await,
        [("KYC Created".to_string(), id(2))]
    );
    assert!(listed(&server, ns, "?limit=2&page=3").await.is_empty());
    for (query, name) in [
        ("?eventType=KYC%20Passed", "eventType"),
        ("?responseCode=ok", "responseCode"),
        ("?search=2xx", "search"),
        ("?page=0", "page"),
        ("?limit=-1", "limit"),
        ("?startDate=yesterday", "startDate"),
        ("?endDate=2024-13-01", "endDate"),
        ("?startDate=2024-05-02&endDate=2024-05-01", "startDate"),
    ] {
        let bad = logs(&server, ns, query).await;
        assert_eq!(bad.status, 400, "{query}: {}", bad.text());
        assert_nest_error(&bad.json(), 400, "/api/merchant/webhooks", "GET");
        assert!(
            message(&bad.json()).starts_with(name),
            "{query}: {}",
            bad.text()
        );
    }

    // Resend: the same body reaches the receiver again, signed.
    let again = resend(&server, ns, KEY, &id(1)).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json(), json!({"jobId": id(1)}));
    let first = received
        .iter()
        .find(|h| {
            h.json()["eventType"] == "KYC Success" && h.json()["data"]["email"] == "alice@x.io"
        })
        .expect("KYC Success received");
    let resent = sink.next().await;
    assert_eq!(resent.body, first.body);
    assert_signed(&resent, "key");

    // Another merchant's log, or no log at all, is not found; the key is required.
    let others = server
        .get("/api/merchant/webhooks")
        .header("authorization", OTHER_KEY)
        .header("x-sandbox-namespace", ns)
        .send()
        .await
        .json();
    let others_id = others[0]["id"].as_str().expect("the other merchant's log");
    assert!(all.iter().all(|l| l["id"] != others_id));
    let mine = id(0);
    for (key, log) in [
        (KEY, others_id),
        (KEY, "whd_999999"),
        (OTHER_KEY, mine.as_str()),
    ] {
        let missing = resend(&server, ns, key, log).await;
        assert_eq!(missing.status, 404, "{}", missing.text());
        assert!(message(&missing.json()).contains(log), "{}", missing.text());
    }
    let anon = server
        .post(&format!("/api/merchant/webhooks/{}", id(0)))
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(anon.status, 401, "{}", anon.text());
    schema::assert_bodies_valid(&server).await;
}

/// A delivery still pending (its receiver failed, the retry an hour off) is not queued twice:
/// a resend makes its next attempt go now.
#[tokio::test]
async fn resending_a_pending_delivery_sends_its_next_attempt_now() {
    let mut sink = WebhookSink::start_on("127.0.0.1:0".parse().unwrap(), 500).await;
    let url = sink.url("/coinflow");
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Coinflow, url));
        c.webhooks.base_delay = Duration::from_secs(3600);
        c.webhooks.max_delay = Duration::from_secs(3600);
    })
    .await;
    let ns = "cf-webhook-resend-pending";
    let registered = as_user(&server, "POST", "/api/withdraw/kyc", ns, "carol")
        .json(&json!({"email": "carol@x.io", "country": "GB"}))
        .send()
        .await;
    assert_eq!(registered.status, 451, "{}", registered.text());
    let first = sink.next().await;
    let failed = answered_logs(&server, ns, 1).await;
    assert_eq!(failed[0]["responseCode"], 500);
    assert_eq!(failed[0]["responseData"]["status"], "pending");
    let id = failed[0]["id"].as_str().unwrap();

    let again = resend(&server, ns, KEY, id).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json(), json!({"jobId": id}));
    let second = sink.next().await;
    assert_eq!(second.body, first.body);
    let attempts = eventually(|| async {
        let log = logs(&server, ns, "").await.json()[0].clone();
        let attempts = log["responseData"]["attempts"].as_array()?.len();
        (attempts == 2).then_some(attempts)
    })
    .await;
    assert_eq!(attempts, 2, "the same delivery, tried again");
    schema::assert_bodies_valid(&server).await;
}
