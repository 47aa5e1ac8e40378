use serde_json::json;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::*;

#[tokio::test]
async fn sdk_routes() {
    let server = TestServer::start().await;
    let view = server.get("/merchant/view/mymerchant").send().await;
    assert_eq!(view.status, 200);
    let partner = view.json()["nSureSettings"]["nSurePartnerId"].clone();
    assert!(
        partner.as_str().is_some_and(|p| !p.is_empty()),
        "{}",
        view.text()
    );

    let telemetry = server
        .post("/api/telemetry/frontend-error")
        .json(&json!({"message": "boom", "stack": "..."}))
        .send()
        .await;
    assert!((200..300).contains(&telemetry.status));
    let bad = server
        .post("/api/telemetry/frontend-error")
        .body("{oops")
        .send()
        .await;
    assert_eq!(bad.status, 400);

    let config = server
        .post("/api/tokenize/iframe/config")
        .json(&json!({"origins": ["http://localhost:3000"], "merchantId": "mymerchant"}))
        .send()
        .await;
    assert!((200..300).contains(&config.status), "{}", config.text());
    let config = config.json();
    assert_eq!(config["origin"], "http://localhost:3000");
    for key in ["tokenExID", "timestamp", "tokenScheme", "authenticationKey"] {
        assert!(
            config[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key}: {config}"
        );
    }
    let no_origins = server
        .post("/api/tokenize/iframe/config")
        .json(&json!({"merchantId": "m"}))
        .send()
        .await;
    assert_eq!(no_origins.status, 400);
    assert!(message(&no_origins.json()).contains("origins"));
    super::schema::assert_bodies_valid(&server).await;
}

pub(super) fn assert_signed(hook: &crate::harness::ReceivedWebhook, key: &str) {
    assert_eq!(hook.header("authorization"), Some(key));
    let signature = hook
        .header("coinflow-signature")
        .expect("Coinflow-Signature header");
    let (t, v1) = signature
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .expect("t=...,v1=...");
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&hook.body);
    assert_eq!(v1, hex::encode(mac.finalize().into_bytes()));
}

#[tokio::test]
async fn kyc_webhooks_are_signed() {
    let (mut sink, server) = super::hooked_server("/hook").await;
    let ns = "cf-hooks";
    let inquiry = persona_inquiry(&server, ns, full_fields(), &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    assert_eq!(
        register_share_token(&server, ns, "hook-user", &token, "hook@x.io")
            .await
            .status,
        200
    );

    let created = sink.next_matching(|h| h.path == "/hook").await;
    assert_signed(&created, "key");
    let body = created.json();
    assert_eq!(body["eventType"], "KYC Created");
    assert_eq!(body["category"], "KYC");
    assert!(body["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["data"]["blockchain"], "user");
    assert_eq!(body["data"]["email"], "hook@x.io");
    assert!(
        body["data"]["wallet"]
            .as_str()
            .unwrap()
            .ends_with("ʬhook-user")
    );

    advance(&server, ns, 2.0).await;
    assert_eq!(
        as_user(&server, "GET", "/api/withdraw", ns, "hook-user")
            .send()
            .await
            .status,
        200
    );
    let success = sink.next().await;
    assert_signed(&success, "key");
    assert_eq!(success.json()["eventType"], "KYC Success");

    // A source inquiry declined after it was shared: the withdrawer is rejected (Get Withdrawer
    // answers 200 with status `rejected`) and `KYC Failure` goes out. (A `completed` source
    // counts as verified once redeemed, so the decline comes before the redemption ends.)
    let inquiry = persona_inquiry(
        &server,
        ns,
        full_fields(),
        &["start_inquiry", "complete_inquiry"],
    )
    .await;
    let token = share_token(&server, ns, &inquiry).await;
    assert_eq!(
        register_share_token(&server, ns, "late", &token, "late@x.io")
            .await
            .status,
        200
    );
    assert_eq!(sink.next().await.json()["eventType"], "KYC Created");
    // Declined while the token is still being redeemed; the redemption then finishes.
    let declined = (server)
        .persona(
            ns,
            "POST",
            &format!("/api/v1/inquiries/{inquiry}/decline"),
            None,
        )
        .await;
    assert!(declined.status < 300, "{}", declined.text());
    advance(&server, ns, 2.0).await;
    let failure = sink.next().await;
    assert_signed(&failure, "key");
    assert_eq!(failure.json()["eventType"], "KYC Failure");
    assert_eq!(failure.json()["data"]["email"], "late@x.io");
    let got = as_user(&server, "GET", "/api/withdraw", ns, "late")
        .send()
        .await;
    // Rejected: 451 with the reasons (the spec's WithdrawerVerificationRequiredResponse).
    assert_eq!(got.status, 451);
    assert_eq!(
        got.json()["withdrawer"]["verification"]["status"],
        "rejected"
    );
    super::schema::assert_bodies_valid(&server).await;
}

/// Moving the sandbox clock is enough for a verification to finish: once the share token's
/// redemption is done, `KYC Success` goes out without anyone calling Get Withdrawer.
#[tokio::test]
async fn a_clock_advance_alone_finishes_a_verification() {
    let (mut sink, server) = super::hooked_server("/hook").await;
    let ns = "cf-clock";
    let inquiry = persona_inquiry(&server, ns, full_fields(), &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    let registered = register_share_token(&server, ns, "clock-user", &token, "clock@x.io").await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    let created = sink.next().await;
    assert_eq!(created.json()["eventType"], "KYC Created");

    advance(&server, ns, 5.0).await;
    let success = sink.next().await;
    assert_signed(&success, "key");
    assert_eq!(success.json()["eventType"], "KYC Success");
    assert_eq!(success.json()["data"]["email"], "clock@x.io");
    super::schema::assert_bodies_valid(&server).await;
}
