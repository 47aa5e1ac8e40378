//! KYC through the Persona part: hosted page, redirect, user status, signed webhooks.

use super::*;

mod decisions;
mod redacted;
mod redirects;
mod superseded;

#[tokio::test]
async fn whole_path_from_user_through_hosted_page_to_card_and_funding() {
    let server = TestServer::start().await;
    let ns = "/ns/full-path";
    let mut sink = WebhookSink::start().await;
    let secret = set_webhook(&server, ACME, &sink).await;
    let res = post(
        &server,
        ACME,
        &format!("{ns}/api/v1/partner/profile/redirect-url"),
        json!({"redirectUrl": "https://partner.example.com/kyc/done"}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.json()["data"]["redirectUrl"],
        "https://partner.example.com/kyc/done"
    );
    // A profile belongs to the partner in one namespace: set the webhook here too.
    let res = post(
        &server,
        ACME,
        &format!("{ns}/api/v1/partner/profile/webhook"),
        json!({"webhookUrl": sink.url("/bitmama-hooks")}),
    )
    .await;
    let secret_ns = res.json()["data"]["webhookSecret"]
        .as_str()
        .expect("secret")
        .to_string();
    assert_ne!(secret, secret_ns);

    // A user in the default namespace is signed with the default namespace's secret.
    create_user(&server, ACME, brief_body()).await;
    let hook = sink.next().await;
    assert_eq!(hook.json()["event"], "user.kyc.pending");
    assert_eq!(
        hook.header("x-webhook-signature"),
        Some(hmac_hex(&secret, &hook.body).as_str())
    );

    let res = post(&server, ACME, &format!("{ns}{USERS}"), brief_body()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let service_id = res.json()["data"]["serviceId"]
        .as_str()
        .expect("serviceId")
        .to_string();
    let url = res.json()["data"]["verificationUrl"]
        .as_str()
        .expect("url")
        .to_string();
    assert!(
        url.starts_with(&server.url("/ns/full-path/verify?inquiry-id=")),
        "{url}"
    );

    let pending = sink.next().await;
    let body = pending.json();
    assert_eq!(body["event"], "user.kyc.pending");
    assert_eq!(body["data"]["serviceId"], service_id.as_str());
    assert_eq!(body["data"]["partnerId"], "acme");
    assert_eq!(body["data"]["status"], "pending");
    let inquiry_id = inquiry_of(&url);
    assert_eq!(body["data"]["details"]["inquiryId"], inquiry_id.as_str());
    assert_eq!(
        pending.header("x-webhook-signature"),
        Some(hmac_hex(&secret_ns, &pending.body).as_str())
    );

    // The person opens the hosted page and passes.
    let page = server.get(&local_path(&server, &url)).send().await;
    assert_eq!(page.status, 200);
    let done = server
        .post(&format!("{ns}/verify/{inquiry_id}"))
        .form(&[("outcome", "approve")])
        .send()
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    let back = done.header("location").expect("location").to_string();
    assert!(
        back.starts_with(&server.url("/ns/full-path/bitmama/kyc/return?")),
        "{back}"
    );
    let returned = server.get(&local_path(&server, &back)).send().await;
    assert_eq!(returned.status, 303, "{}", returned.text());
    assert_eq!(
        returned.header("location"),
        Some(format!("https://partner.example.com/kyc/done?referenceId={service_id}").as_str())
    );

    let approved = sink.next().await;
    let body = approved.json();
    assert_eq!(body["event"], "user.kyc.approved");
    assert_eq!(body["data"]["serviceId"], service_id.as_str());
    assert_eq!(body["data"]["partnerId"], "acme");
    assert_eq!(body["data"]["status"], "approved");
    assert_eq!(body["data"]["details"]["inquiryId"], inquiry_id.as_str());
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    // Signed over the exact bytes received, recomputed here with the hmac crate.
    assert_eq!(
        approved.header("x-webhook-signature"),
        Some(hmac_hex(&secret_ns, &approved.body).as_str())
    );
    let users = get(&server, ACME, &format!("{ns}{USERS_V1}")).await;
    assert_eq!(users["data"]["users"][0]["status"], "approved");

    // A card, funded from the wallet.
    let res = post(
        &server,
        ACME,
        &format!("{ns}{CARD}"),
        json!({"serviceId": service_id, "amount": 100.25}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    assert_eq!(body["message"], "Card created successfully");
    assert_eq!(body["data"]["fundingType"], "float");
    let card_id = body["data"]["serviceCardId"]
        .as_str()
        .expect("card")
        .to_string();
    assert!(card_id.starts_with("acme-rain-card-"), "{card_id}");
    assert!(
        body["data"]["serviceTransactionId"]
            .as_str()
            .is_some_and(|t| t.starts_with("acme-rain-card-transactions-"))
    );
    assert_eq!(balance_in(&server, ACME, ns).await, json!(4897.75));

    let res = post(
        &server,
        ACME,
        &format!("{ns}/api/v1/partner/card/fund"),
        json!({"serviceCardId": card_id, "amount": 50}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["message"], "Card funded successfully");
    assert_eq!(balance_in(&server, ACME, ns).await, json!(4847.75));

    let res = post(
        &server,
        ACME,
        &format!("{ns}/api/v1/partner/card/withdraw"),
        json!({"serviceCardId": card_id, "amount": 20, "reference": "payout-1"}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(balance_in(&server, ACME, ns).await, json!(4867.75));

    let txs = get(
        &server,
        ACME,
        &format!("{ns}/api/v1/partner/card/transactions?serviceCardId={card_id}"),
    )
    .await;
    let list = txs["data"]["transactions"].as_array().expect("list");
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["transactionType"], "withdrawal");
    assert_eq!(list[0]["amount"], 20);
    assert_eq!(list[2]["amount"], 100.25);
    assert_eq!(txs["data"]["pagination"]["total"], 3);

    // Terminating liquidates the card back into the wallet; then the user can be deleted.
    let res = server
        .request(
            "DELETE",
            &format!("{ns}/api/v1/partner/card/terminate/{card_id}"),
        )
        .header("authorization", ACME)
        .header("idempotency-key", &key())
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["data"]["liquidationStatus"], "processing");
    assert_eq!(balance_in(&server, ACME, ns).await, json!(4998));
    let res = server
        .request("DELETE", &format!("{ns}{USERS_V1}/{service_id}"))
        .header("authorization", ACME)
        .header("idempotency-key", &key())
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["data"]["deleted"], true);
}

#[tokio::test]
async fn the_users_redirect_url_wins_and_without_any_a_page_says_done() {
    let server = TestServer::start().await;
    let res = post(
        &server,
        ACME,
        "/api/v1/partner/profile/redirect-url",
        json!({"redirectUrl": "https://partner.example.com/default"}),
    )
    .await;
    assert_eq!(res.status, 200);
    let (own_id, own_url) = create_user(
        &server,
        ACME,
        body_with(json!({"redirectUrl": "https://app.example.com/after?tab=kyc"})),
    )
    .await;
    let finish = |url: String| {
        let server = &server;
        async move {
            let done = server
                .post(&format!("/verify/{}", inquiry_of(&url)))
                .form(&[("outcome", "pass")])
                .send()
                .await;
            assert_eq!(done.status, 303, "{}", done.text());
            let back = done.header("location").expect("location").to_string();
            server.get(&local_path(server, &back)).send().await
        }
    };
    let res = finish(own_url).await;
    assert_eq!(
        res.header("location"),
        Some(format!("https://app.example.com/after?tab=kyc&referenceId={own_id}").as_str())
    );
    // Passing (completed, no decision) approves the card user.
    assert_eq!(user_status(&server, ACME, &own_id).await, "approved");

    // A partner without any redirect URL gets a page.
    let (gx_id, gx_url) = create_user(&server, GLOBEX, brief_body()).await;
    let res = finish(gx_url).await;
    assert_eq!(res.status, 200);
    assert!(res.text().contains(&gx_id), "{}", res.text());
}

#[tokio::test]
async fn denied_users_can_retry_kyc_three_times() {
    let server = TestServer::start().await;
    let mut sink = WebhookSink::start().await;
    set_webhook(&server, ACME, &sink).await;
    let (service_id, mut url) = create_user(&server, ACME, brief_body()).await;
    assert_eq!(sink.next().await.json()["event"], "user.kyc.pending");
    let retry = || {
        post(
            &server,
            ACME,
            format!("{USERS}/{service_id}/retry-kyc"),
            json!({}),
        )
    };
    // Not denied yet.
    let res = retry().await;
    assert_error(&res, 400, "KYC_RETRY_NOT_ALLOWED");
    for n in 1..=3 {
        simulate(
            &server,
            &inquiry_of(&url),
            &["start_inquiry", "fail_inquiry"],
        )
        .await;
        let denied = sink.next().await.json();
        assert_eq!(denied["event"], "user.kyc.denied");
        assert_eq!(denied["data"]["status"], "denied");
        assert_eq!(user_status(&server, ACME, &service_id).await, "denied");
        let res = retry().await;
        assert_eq!(res.status, 200, "{}", res.text());
        let data = res.json()["data"].clone();
        assert_eq!(data["applicationStatus"], "pending");
        assert_eq!(data["retryCount"], n);
        let new_url = data["verificationUrl"].as_str().expect("url").to_string();
        assert_ne!(new_url, url);
        url = new_url;
        assert_eq!(sink.next().await.json()["event"], "user.kyc.pending");
        assert_eq!(user_status(&server, ACME, &service_id).await, "pending");
    }
    simulate(
        &server,
        &inquiry_of(&url),
        &["start_inquiry", "fail_inquiry"],
    )
    .await;
    assert_eq!(sink.next().await.json()["event"], "user.kyc.denied");
    let res = retry().await;
    assert_error(&res, 400, "KYC_RETRY_LIMIT_EXCEEDED");
}

#[tokio::test]
async fn review_and_expiry_follow_the_inquiry() {
    let server = TestServer::start().await;
    let mut sink = WebhookSink::start().await;
    set_webhook(&server, ACME, &sink).await;
    let (reviewed, url) = create_user(&server, ACME, brief_body()).await;
    sink.next().await;
    simulate(
        &server,
        &inquiry_of(&url),
        &[
            "start_inquiry",
            "complete_inquiry",
            "mark_for_review_inquiry",
        ],
    )
    .await;
    // One step of the flow, one outcome: manual review, never an approval first.
    let review = sink.next().await.json();
    assert_eq!(review["event"], "user.kyc.manualReview");
    assert_eq!(review["data"]["status"], "manualReview");
    assert_eq!(
        events_for(&server, &reviewed).await,
        ["user.kyc.pending", "user.kyc.manualReview"]
    );
    assert_eq!(user_status(&server, ACME, &reviewed).await, "pending_kyc");

    let (expiring, url) = create_user(
        &server,
        ACME,
        body_with(json!({"email": "late@example.com"})),
    )
    .await;
    sink.next().await;
    let res = server
        .post("/__admin/clock/advance")
        .json(&json!({"seconds": 24 * 3600 + 1}))
        .send()
        .await;
    assert_eq!(res.status, 200);
    // The next Bitmama call brings the expiry up to date.
    assert_eq!(
        user_status(&server, ACME, &expiring).await,
        "needsVerification"
    );
    // The expired inquiry's flow is closed: the link is a new inquiry's, where the user verifies
    // again, and the webhook names it.
    let first = next_verification(&mut sink, &expiring, &url).await;
    let page = server.get(&local_path(&server, &first)).send().await;
    assert_eq!(page.status, 200, "{}", page.text());
    // Expiring again gives another link.
    server
        .post("/__admin/clock/advance")
        .json(&json!({"seconds": 24 * 3600 + 1}))
        .send()
        .await;
    assert_eq!(
        user_status(&server, ACME, &expiring).await,
        "needsVerification"
    );
    let again = sink.next().await.json();
    let link = again["data"]["details"]["verificationLink"]
        .as_str()
        .expect("verificationLink")
        .to_string();
    assert_ne!(inquiry_of(&link), inquiry_of(&first));
    let submitted = server
        .post(&format!("/verify/{}", inquiry_of(&link)))
        .form(&[("outcome", "approve")])
        .send()
        .await;
    assert!(submitted.status < 400, "{}", submitted.text());
    assert_eq!(user_status(&server, ACME, &expiring).await, "approved");
    assert_eq!(sink.next().await.json()["event"], "user.kyc.approved");
}

#[tokio::test]
async fn current_webhook_style_and_cli_target() {
    let mut sink = WebhookSink::start().await;
    let target = sink.url("/cli");
    let server = TestServer::start_with(|c| {
        c.bitmama.webhook_style = vendor_sandbox::config::BitmamaWebhookStyle::Current;
        c.webhooks
            .targets
            .push((vendor_sandbox::vendors::Vendor::Bitmama, target));
        c.webhooks.secrets.push((
            vendor_sandbox::vendors::Vendor::Bitmama,
            "whsec_from_cli".to_string(),
        ));
    })
    .await;
    let (service_id, url) = create_user(&server, ACME, brief_body()).await;
    approve(&server, &url).await;
    // No pending event in the current style: the first one is the decision.
    let hook = sink.next().await;
    assert_eq!(hook.path, "/cli");
    let body = hook.json();
    assert_eq!(body["event"], "user.kyc-event");
    assert_eq!(body["data"]["status"], "approved");
    assert_eq!(body["data"]["serviceId"], service_id.as_str());
    assert_eq!(body["data"]["email"], "jane@example.com");
    assert_eq!(body["data"]["firstName"], "Jane");
    assert_eq!(
        hook.header("x-webhook-signature"),
        Some(hmac_hex("whsec_from_cli", &hook.body).as_str())
    );

    // A partner's own profile webhook wins over the CLI target, for that partner only.
    let mut own = WebhookSink::start().await;
    let secret = set_webhook(&server, GLOBEX, &own).await;
    let (_, gx_url) = create_user(&server, GLOBEX, brief_body()).await;
    approve(&server, &gx_url).await;
    let hook = own.next().await;
    assert_eq!(
        hook.header("x-webhook-signature"),
        Some(hmac_hex(&secret, &hook.body).as_str())
    );
    let (acme2, url2) =
        create_user(&server, ACME, body_with(json!({"email": "b@example.com"}))).await;
    approve(&server, &url2).await;
    let hook = sink.next().await;
    assert_eq!(hook.json()["data"]["serviceId"], acme2.as_str());
}

#[tokio::test]
async fn webhook_urls_must_be_https_or_loopback_http() {
    let server = TestServer::start().await;
    for bad in [
        "http://hooks.example.com/x",
        "ftp://localhost/x",
        "hooks.example.com",
    ] {
        let res = post(
            &server,
            ACME,
            "/api/v1/partner/profile/webhook",
            json!({"webhookUrl": bad}),
        )
        .await;
        assert!(
            assert_error(&res, 422, "VALIDATION_ERROR").contains("webhookUrl"),
            "{bad}"
        );
    }
    for good in [
        "https://hooks.example.com/x",
        "http://localhost:9/x",
        "http://127.0.0.1:9/x",
    ] {
        let res = post(
            &server,
            ACME,
            "/api/v1/partner/profile/webhook",
            json!({"webhookUrl": good}),
        )
        .await;
        assert_eq!(res.status, 200, "{good}: {}", res.text());
        assert_eq!(res.json()["message"], "Webhook endpoint configured");
    }
    let res = post(
        &server,
        ACME,
        "/api/v1/partner/profile/redirect-url",
        json!({"redirectUrl": "http://localhost/x"}),
    )
    .await;
    assert_error(&res, 422, "VALIDATION_ERROR");
}

/// The KYC events queued for one user, oldest first, as the admin API lists the deliveries.
async fn events_for(server: &TestServer, service_id: &str) -> Vec<String> {
    let listing = server.get("/__admin/webhooks").send().await.json();
    let mut events: Vec<String> = listing["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d["body"].as_str()?).ok())
        .filter(|body| body["data"]["serviceId"] == service_id)
        .filter_map(|body| body["event"].as_str().map(str::to_string))
        .collect();
    events.reverse();
    events
}

/// Users whose inquiries expire together each get their new inquiry right after their own
/// expiry: the new one is made inside Persona's settle without settling again (which nested one
/// settle per expiring user, deep enough with a few thousand to overflow the stack).
#[tokio::test]
async fn inquiries_expiring_together_are_replaced_one_after_another() {
    let server = TestServer::start().await;
    for n in 0..3 {
        create_user(
            &server,
            ACME,
            body_with(json!({"email": format!("together{n}@example.com")})),
        )
        .await;
    }
    server.advance_clock("default", 24.0 * 3600.0 + 1.0).await;
    get(&server, ACME, USERS_V1).await;
    let events = server
        .get("/api/v1/events?page%5Bsize%5D=6")
        .header("authorization", "Bearer persona_sandbox_key")
        .send()
        .await
        .json();
    let mut names: Vec<&str> = events["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["attributes"]["name"].as_str())
        .collect();
    names.reverse();
    assert_eq!(
        names,
        ["inquiry.expired", "inquiry.created"].repeat(3),
        "{events}"
    );
}
