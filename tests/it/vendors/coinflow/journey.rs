//! The brief's flow end to end across both vendors: a Persona inquiry approved, its share
//! token registered with Coinflow, the withdrawer approved, a bank account added, a quote, a
//! payout, the sandbox clock advanced, the `Withdraw Success` webhook verified with an HMAC
//! computed here, and both histories and the admin state showing the payout.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use vendor_sandbox::vendors::Vendor;

use super::accounts::bank;
use super::payouts::{balance, payout};
use super::*;
use crate::harness::WebhookSink;

#[tokio::test]
async fn persona_to_coinflow_payout_journey() {
    let mut sink = WebhookSink::start().await;
    let url = sink.url("/coinflow");
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Coinflow, url));
        c.webhooks
            .secrets
            .push((Vendor::Coinflow, "validation-key".into()));
    })
    .await;
    let ns = "cf-journey";

    // Persona: an approved inquiry and a share token for it.
    let inquiry = persona_inquiry(&server, ns, full_fields(), &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;

    // Coinflow: register with the token; approved once Persona redeemed it.
    let registered = register_share_token(&server, ns, "jane", &token, "jane@x.io").await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    advance(&server, ns, 2.0).await;
    let got = as_user(&server, "GET", "/api/withdraw", ns, "jane")
        .send()
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(
        got.json()["withdrawer"]["verification"]["status"],
        "approved"
    );

    // A bank account; its token is what the payout uses.
    let added = as_user(&server, "POST", "/api/withdraw/account", ns, "jane")
        .json(&bank("021000021"))
        .send()
        .await;
    assert_eq!(added.status, 200, "{}", added.text());
    let account = added.json()["withdrawer"]["bankAccounts"][0]["token"]
        .as_str()
        .unwrap()
        .to_string();

    // Quote, then pay out $100.00 at standard speed.
    let start = balance(&server, ns).await;
    let quote = server
        .post("/api/merchant/withdraws/payout/delegated/quote")
        .header("authorization", KEY)
        .header("x-sandbox-namespace", ns)
        .json(
            &json!({"userId": "jane", "account": account, "speed": "standard",
            "amount": {"cents": 10_000, "currency": "USD"}}),
        )
        .send()
        .await;
    assert_eq!(quote.status, 200, "{}", quote.text());
    let debit = quote.json()["totalMerchantDebit"]["cents"]
        .as_i64()
        .unwrap();
    let paid = payout(
        &server,
        ns,
        &json!({"userId": "jane", "account": account, "speed": "standard",
            "amount": {"cents": 10_000}, "idempotencyKey": "6f1c2c1e-8a7b-4c2e-9d7a-1b2c3d4e5f60"}),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.text());
    let signature = paid.json()["signature"].as_str().unwrap().to_string();
    assert_eq!(balance(&server, ns).await, start - debit);

    // Standard settles in 72 hours of sandbox time.
    advance(&server, ns, 72.0 * 3600.0).await;
    let success = sink
        .next_matching(|h| h.json()["eventType"] == "Withdraw Success")
        .await;
    // Verified independently: Authorization is the key, and v1 = HMAC-SHA256(key, "t.body").
    assert_eq!(success.header("authorization"), Some("validation-key"));
    let header = success
        .header("coinflow-signature")
        .expect("Coinflow-Signature");
    let (t, v1) = header
        .split_once(",v1=")
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v)))
        .expect("t=<unix>,v1=<hex>");
    let mut mac = Hmac::<Sha256>::new_from_slice(b"validation-key").unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(&success.body);
    assert_eq!(v1, hex::encode(mac.finalize().into_bytes()));
    let body = success.json();
    assert_eq!(body["data"]["signature"], signature.as_str());
    assert_eq!(body["data"]["userId"], "jane");
    assert_eq!(body["data"]["total"]["cents"], debit);
    schema::assert_withdraw_webhook(&body);

    // Both histories show it, completed.
    let history = as_user(&server, "GET", "/api/withdraw/history", ns, "jane")
        .send()
        .await
        .json();
    assert_eq!(history["withdraws"][0]["transaction"], signature.as_str());
    assert_eq!(history["withdraws"][0]["status"], "completed");
    let merchant = server
        .get("/api/merchant/withdraws")
        .header("authorization", KEY)
        .header("x-sandbox-namespace", ns)
        .send()
        .await
        .json();
    assert_eq!(merchant[0]["transaction"], signature.as_str());
    // The payout and the withdrawer name one merchant, and one withdrawer, by the same ids.
    let withdrawer = &got.json()["withdrawer"];
    assert_eq!(
        merchant[0]["merchant"], withdrawer["merchant"],
        "{merchant}"
    );
    assert_eq!(history["withdraws"][0]["merchant"], withdrawer["merchant"]);
    assert_eq!(merchant[0]["withdrawer"], withdrawer["_id"], "{merchant}");
    let state = server.admin_state(ns).await;
    assert_eq!(
        state["coinflow"]["payouts"][0]["status"], "completed",
        "{state}"
    );
    assert_eq!(
        state["coinflow"]["payouts"][0]["signature"],
        signature.as_str()
    );
    schema::assert_bodies_valid(&server).await;
}
