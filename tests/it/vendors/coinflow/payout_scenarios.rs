//! The shipped payout scenarios: `payout-returned`, `payout-stuck`, `bank-account-refused`.

use serde_json::json;

use super::accounts::{add_bank, bank, verified_user};
use super::payouts::{balance, payout};
use super::*;

async fn select(server: &TestServer, ns: &str, scenario: &str) {
    let res = server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", ns)
        .json(&json!({ "name": scenario }))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

fn body(user: &str, account: &str, cents: i64, key: &str) -> serde_json::Value {
    json!({"userId": user, "account": account, "speed": "asap", "amount": {"cents": cents},
        "idempotencyKey": key})
}

async fn status(server: &TestServer, ns: &str, signature: &str) -> String {
    server
        .get(&format!("/api/merchant/withdraws/{signature}"))
        .header("authorization", KEY)
        .header("x-sandbox-namespace", ns)
        .send()
        .await
        .json()["withdrawal"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn payout_returned_fails_after_thirty_seconds() {
    let server = TestServer::start().await;
    let ns = "cf-sc-returned";
    select(&server, ns, "payout-returned").await;
    verified_user(&server, ns, "u").await;
    let account = add_bank(&server, ns, "u").await;
    let start = balance(&server, ns).await;
    let paid = payout(&server, ns, &body("u", &account, 1_000, "k")).await;
    assert_eq!(paid.status, 200, "{}", paid.text());
    let signature = paid.json()["signature"].as_str().unwrap().to_string();
    advance(&server, ns, 29.0).await;
    assert_eq!(status(&server, ns, &signature).await, "pending");
    advance(&server, ns, 1.0).await;
    assert_eq!(status(&server, ns, &signature).await, "failed");
    assert_eq!(balance(&server, ns).await, start);
    schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn payout_stuck_stays_pending_and_starts_at_fifty_dollars() {
    let server = TestServer::start().await;
    let ns = "cf-sc-stuck";
    select(&server, ns, "payout-stuck").await;
    verified_user(&server, ns, "u").await;
    let account = add_bank(&server, ns, "u").await;
    assert_eq!(balance(&server, ns).await, 5_000);
    let short = payout(&server, ns, &body("u", &account, 6_000, "a")).await;
    assert_eq!(short.status, 402, "{}", short.text());
    let paid = payout(&server, ns, &body("u", &account, 1_000, "b")).await;
    assert_eq!(paid.status, 200, "{}", paid.text());
    let signature = paid.json()["signature"].as_str().unwrap().to_string();
    advance(&server, ns, 30.0 * 24.0 * 3600.0).await;
    assert_eq!(status(&server, ns, &signature).await, "pending");
    schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn bank_account_refused_refuses_new_methods() {
    let server = TestServer::start().await;
    let ns = "cf-sc-refused";
    select(&server, ns, "bank-account-refused").await;
    verified_user(&server, ns, "u").await;
    let refused = as_user(&server, "POST", "/api/withdraw/account", ns, "u")
        .json(&bank("021000021"))
        .send()
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    let got = as_user(&server, "GET", "/api/withdraw", ns, "u")
        .send()
        .await
        .json();
    assert_eq!(got["withdrawer"]["bankAccounts"], json!([]));
    schema::assert_bodies_valid(&server).await;
}
