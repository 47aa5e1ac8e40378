//! Cards: creation rules, funding, withdrawal, freeze, termination.

use super::*;

#[tokio::test]
async fn card_rules() {
    let server = TestServer::start_with(|c| c.bitmama.starting_balance_cents = 20_000).await;
    let (service_id, url) = create_user(&server, ACME, brief_body()).await;
    let create = |amount: Value| {
        post(
            &server,
            ACME,
            CARD,
            json!({"serviceId": service_id, "amount": amount}),
        )
    };
    assert!(
        assert_error(&create(json!(10)).await, 400, "USER_NOT_APPROVED").contains("pending_kyc")
    );
    approve(&server, &url).await;
    for bad in [json!(0), json!(10_000.01), json!("10"), json!(1.234)] {
        let text = assert_error(&create(bad.clone()).await, 422, "VALIDATION_ERROR");
        assert!(text.contains("amount"), "{bad}: {text}");
    }
    let res = post(&server, ACME, CARD, json!({"serviceId": service_id})).await;
    assert_error(&res, 422, "VALIDATION_ERROR");
    // Wallet is 198 after the fee.
    assert_error(
        &create(json!(198.01)).await,
        402,
        "INSUFFICIENT_WALLET_BALANCE",
    );
    let res = create(json!(100)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let card = res.json()["data"]["serviceCardId"]
        .as_str()
        .expect("id")
        .to_string();
    assert_error(&create(json!(10)).await, 400, "CARD_CREATION_LIMIT");
    let res = post(
        &server,
        ACME,
        CARD,
        json!({"serviceId": service_id, "fundingType": "crypto"}),
    )
    .await;
    assert_error(&res, 400, "INVALID_PROGRAM");

    let fund = |amount: Value| {
        post(
            &server,
            ACME,
            "/api/v1/partner/card/fund",
            json!({"serviceCardId": card, "amount": amount}),
        )
    };
    assert_error(&fund(json!(4.99)).await, 422, "VALIDATION_ERROR");
    assert_error(
        &fund(json!(98.01)).await,
        402,
        "INSUFFICIENT_WALLET_BALANCE",
    );
    let withdraw = |amount: Value, reference: Value| {
        post(
            &server,
            ACME,
            "/api/v1/partner/card/withdraw",
            json!({"serviceCardId": card, "amount": amount, "reference": reference}),
        )
    };
    assert_error(
        &withdraw(json!(100.01), json!("r")).await,
        400,
        "INSUFFICIENT_FUNDS",
    );
    assert!(
        assert_error(
            &withdraw(json!(10), Value::Null).await,
            422,
            "VALIDATION_ERROR"
        )
        .contains("reference")
    );
    assert_eq!(balance(&server, ACME).await, json!(98));

    let patch = |status: &str| {
        server
            .request("PATCH", CARD)
            .header("authorization", ACME)
            .json(&json!({"serviceCardId": card, "status": status}))
            .send()
    };
    assert_error(&patch("unfreeze").await, 400, "CARD_IS_ACTIVE");
    let res = patch("freeze").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["data"]["status"], "frozen");
    assert_error(&patch("freeze").await, 400, "CARD_ALREADY_FROZEN");
    assert_error(&patch("melt").await, 422, "VALIDATION_ERROR");

    let delete_user = || {
        server
            .request("DELETE", &format!("{USERS_V1}/{service_id}"))
            .header("authorization", ACME)
            .header("idempotency-key", &key())
            .send()
    };
    let res = delete_user().await;
    assert_error(&res, 409, "ACTIVE_CARDS_EXIST");
    assert_eq!(res.json()["data"]["activeCards"], json!([card]));

    let terminate = || {
        server
            .request("DELETE", &format!("/api/v1/partner/card/terminate/{card}"))
            .header("authorization", ACME)
            .header("idempotency-key", &key())
            .json(&json!({"reference": "close-1"}))
            .send()
    };
    assert_eq!(terminate().await.status, 200);
    assert_eq!(balance(&server, ACME).await, json!(198));
    assert_error(&terminate().await, 400, "CARD_ALREADY_TERMINATED");
    assert_error(&patch("unfreeze").await, 400, "CARD_ALREADY_TERMINATED");
    assert_error(&fund(json!(5)).await, 400, "CARD_ALREADY_TERMINATED");

    // One card per user per 5 minutes of sandbox time.
    let res = server
        .post("/__admin/clock/advance")
        .json(&json!({"seconds": 300}))
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(create(json!(5)).await.status, 201);
}

#[tokio::test]
async fn crypto_cards_are_not_funded_from_the_wallet() {
    let server = TestServer::start().await;
    let body = body_with(json!({
        "program": "non_custodial",
        "walletAddress": "0x52908400098527886E0F7030069857D2E4169EE7",
    }));
    let (service_id, url) = create_user(&server, ACME, body).await;
    approve(&server, &url).await;
    let res = post(
        &server,
        ACME,
        CARD,
        json!({"serviceId": service_id, "fundingType": "crypto"}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["data"]["fundingType"], "crypto");
    let card = res.json()["data"]["serviceCardId"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(balance(&server, ACME).await, json!(4998));
    let res = post(
        &server,
        ACME,
        "/api/v1/partner/card/fund",
        json!({"serviceCardId": card, "amount": 10}),
    )
    .await;
    assert_error(&res, 400, "CRYPTO_CARD_FUND_BLOCKED");
}
