//! Card users: auth, the brief's request, validation, uniqueness, wallet, isolation, listing.

use super::*;

#[tokio::test]
async fn auth_is_required_in_bitmamas_envelope() {
    let server = TestServer::start().await;
    let res = server.get(WALLET).send().await;
    assert!(assert_error(&res, 401, "UNAUTHORIZED").contains("Authorization"));
    for bad in [
        "sk_staging_acme",
        "Bearer pk_live_x",
        "Bearer sk_",
        "Bearer sk_a b",
    ] {
        let res = server.get(WALLET).header("authorization", bad).send().await;
        assert_error(&res, 401, "UNAUTHORIZED");
    }
    // A key whose partner name was left out names no partner.
    for bad in ["Bearer sk_staging_", "Bearer sk_live__-", "Bearer sk_test_"] {
        let res = server.get(WALLET).header("authorization", bad).send().await;
        assert!(assert_error(&res, 401, "UNAUTHORIZED").contains("names the partner"));
    }
    let res = server
        .post(USERS)
        .header("idempotency-key", &key())
        .json(&brief_body())
        .send()
        .await;
    assert_error(&res, 401, "UNAUTHORIZED");
    // Unknown paths under the partner API answer in the same envelope.
    let res = server
        .get("/api/v1/partner/nothing")
        .header("authorization", ACME)
        .send()
        .await;
    assert_error(&res, 404, "NOT_FOUND");
}

#[tokio::test]
async fn brief_request_gives_brief_response_backed_by_a_persona_inquiry() {
    let server = TestServer::start().await;
    let res = post(&server, ACME, USERS, brief_body()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body = res.json();
    assert_eq!(body["status"], "success");
    assert_eq!(body["message"], "User created successfully");
    let data = body["data"].as_object().expect("data");
    assert_eq!(data.len(), 2, "{body}");
    let service_id = data["serviceId"].as_str().expect("serviceId");
    let uid = service_id
        .strip_prefix("acme-rain-user-")
        .expect("acme-rain-user- prefix");
    assert!(
        uid.len() == 15 && uid.chars().all(|c| c.is_ascii_alphanumeric()),
        "{service_id}"
    );
    let url = data["verificationUrl"].as_str().expect("url");
    assert!(
        url.starts_with(&server.url("/verify?inquiry-id=inq_")),
        "{url}"
    );
    // The inquiry really exists in the Persona part, with the serviceId as reference id.
    let inquiry = server
        .get(&format!("/api/v1/inquiries/{}", inquiry_of(url)))
        .header("authorization", "Bearer persona_sandbox_key")
        .send()
        .await;
    assert_eq!(inquiry.status, 200, "{}", inquiry.text());
    let attributes = &inquiry.json()["data"]["attributes"];
    assert_eq!(attributes["reference-id"], service_id);
    assert_eq!(attributes["status"], "created");
    // The hosted page opens.
    let page = server.get(&local_path(&server, url)).send().await;
    assert_eq!(page.status, 200, "{}", page.text());

    let users = get(&server, ACME, USERS_V1).await;
    assert_eq!(users["data"]["pagination"]["total"], 1);
    let user = &users["data"]["users"][0];
    assert_eq!(user["serviceId"], service_id);
    assert_eq!(user["status"], "pending_kyc");
    assert_eq!(user["email"], "jane@example.com");
    assert_eq!(user["program"], "custodial");
}

#[tokio::test]
async fn every_validation_rule_is_checked() {
    let server = TestServer::start().await;
    let long = |n: usize| "a".repeat(n);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"firstName": ""}), "firstName"),
        (json!({"firstName": long(101)}), "firstName"),
        (json!({"firstName": null}), "firstName"),
        (json!({"lastName": long(101)}), "lastName"),
        (json!({"lastName": 7}), "lastName"),
        (json!({"email": "jane.example.com"}), "email"),
        (json!({"email": "jane@example"}), "email"),
        (json!({"phoneNumber": "4155555555"}), "phoneNumber"),
        (json!({"phoneNumber": "+1 415 555"}), "phoneNumber"),
        (json!({"accountPurpose": ""}), "accountPurpose"),
        (json!({"accountPurpose": long(201)}), "accountPurpose"),
        (json!({"ipAddress": "203.0.113.420"}), "ipAddress"),
        (json!({"ipAddress": "not-an-ip"}), "ipAddress"),
        (
            json!({"isTermsOfServiceAccepted": false}),
            "isTermsOfServiceAccepted",
        ),
        (
            json!({"isTermsOfServiceAccepted": "true"}),
            "isTermsOfServiceAccepted",
        ),
        (
            json!({"isTermsOfServiceAccepted": null}),
            "isTermsOfServiceAccepted",
        ),
        (json!({"program": "premium"}), "program"),
        (json!({"program": "non_custodial"}), "walletAddress"),
        (json!({"walletAddress": "0x1234"}), "walletAddress"),
        (
            json!({"program": "non_custodial", "walletAddress": "52908400098527886E0F7030069857D2E4169EE7"}),
            "walletAddress",
        ),
        (
            json!({"redirectUrl": "http://app.example.com/done"}),
            "redirectUrl",
        ),
        (json!({"redirectUrl": "not a url"}), "redirectUrl"),
    ];
    for (change, field) in cases {
        let res = post(&server, ACME, USERS, body_with(change.clone())).await;
        let text = assert_error(&res, 422, "VALIDATION_ERROR");
        assert!(text.contains(field), "{change}: {text}");
        let errors = res.json()["data"]["errors"].clone();
        assert_eq!(
            errors.as_array().map(Vec::len),
            Some(1),
            "{change}: {errors}"
        );
        assert_eq!(errors[0]["field"], field, "{change}");
    }
    // The boundaries pass.
    let ok = body_with(json!({
        "firstName": long(100), "lastName": "D", "accountPurpose": long(200),
        "ipAddress": "2001:db8::42", "program": "non_custodial",
        "walletAddress": "0x52908400098527886E0F7030069857D2E4169EE7",
        "redirectUrl": "https://app.example.com/kyc/done",
    }));
    create_user(&server, ACME, ok).await;
    // A body that is not JSON is a 400 in the same envelope.
    let res = server
        .post(USERS)
        .header("authorization", ACME)
        .header("idempotency-key", &key())
        .body("{not json")
        .send()
        .await;
    assert_error(&res, 400, "INVALID_REQUEST_BODY");
}

/// A field with a rule of its own (an enum, an email, an address) states that rule however long
/// the value: a length bound would suggest a shorter value of the same kind passes.
#[tokio::test]
async fn a_long_value_gets_its_fields_own_rule() {
    let server = TestServer::start().await;
    let long = "x".repeat(2100);
    for (field, rule) in [
        ("email", "a valid email address"),
        ("phoneNumber", "an international phone number"),
        ("ipAddress", "a valid IPv4 or IPv6 address"),
        ("program", "custodial or non_custodial"),
        ("walletAddress", "an Ethereum address"),
        ("redirectUrl", "an https URL"),
    ] {
        let change = json!({ field: long });
        let res = post(&server, ACME, USERS, body_with(change)).await;
        let text = assert_error(&res, 422, "VALIDATION_ERROR");
        assert!(
            text.contains(&format!("{field} must be {rule}")),
            "{field}: {text}"
        );
        assert!(!text.contains("0 to 2048"), "{field}: {text}");
    }
}

#[tokio::test]
async fn a_validation_failure_lists_every_invalid_field() {
    let server = TestServer::start().await;
    let body = json!({
        "firstName": "",
        "email": "nope",
        "phoneNumber": "555",
        "accountPurpose": "a".repeat(201),
        "ipAddress": "1.2.3",
        "isTermsOfServiceAccepted": false,
        "program": "non_custodial",
        "redirectUrl": "ftp://x",
    });
    let res = post(&server, ACME, USERS, body).await;
    let text = assert_error(&res, 422, "VALIDATION_ERROR");
    let fields: Vec<String> = res.json()["data"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_string())
        .collect();
    let expected = [
        "firstName",
        "lastName",
        "email",
        "phoneNumber",
        "accountPurpose",
        "ipAddress",
        "isTermsOfServiceAccepted",
        "walletAddress",
        "redirectUrl",
    ];
    assert_eq!(fields, expected, "{text}");
    for field in expected {
        assert!(text.contains(field), "{text}");
    }
    assert_eq!(balance(&server, ACME).await, json!(5000));
}

#[tokio::test]
async fn duplicate_email_is_dup_user_per_partner() {
    let server = TestServer::start().await;
    create_user(&server, ACME, brief_body()).await;
    let res = post(
        &server,
        ACME,
        USERS,
        body_with(json!({"email": "JANE@example.com"})),
    )
    .await;
    assert!(assert_error(&res, 400, "DUP_USER").contains("JANE@example.com"));
    // Another partner has its own users: the same email is free there.
    create_user(&server, GLOBEX, brief_body()).await;
    // The fee was taken once per created user.
    assert_eq!(balance(&server, ACME).await, json!(4998));
}

#[tokio::test]
async fn a_short_wallet_gives_402_and_creates_nothing() {
    let server = TestServer::start_with(|c| {
        c.bitmama.starting_balance_cents = 250;
        c.bitmama.kyc_fee_cents = 200;
    })
    .await;
    create_user(&server, ACME, brief_body()).await;
    assert_eq!(balance(&server, ACME).await, json!(0.5));
    let res = post(
        &server,
        ACME,
        USERS,
        body_with(json!({"email": "john@example.com"})),
    )
    .await;
    let text = assert_error(&res, 402, "INSUFFICIENT_WALLET_BALANCE");
    assert!(text.contains("$0.50") && text.contains("$2.00"), "{text}");
    let users = get(&server, ACME, USERS_V1).await;
    assert_eq!(users["data"]["pagination"]["total"], 1);
    assert_eq!(balance(&server, ACME).await, json!(0.5));
}

#[tokio::test]
async fn partners_never_see_each_others_users() {
    let server = TestServer::start().await;
    let (service_id, url) = create_user(&server, ACME, brief_body()).await;
    approve(&server, &url).await;
    let globex_users = get(&server, GLOBEX, USERS_V1).await;
    assert_eq!(globex_users["data"]["users"], json!([]));
    let res = server
        .request("DELETE", &format!("{USERS_V1}/{service_id}"))
        .header("authorization", GLOBEX)
        .header("idempotency-key", &key())
        .send()
        .await;
    assert_error(&res, 404, "USER_NOT_FOUND");
    let res = post(
        &server,
        GLOBEX,
        &format!("{USERS}/{service_id}/retry-kyc"),
        json!({}),
    )
    .await;
    assert_error(&res, 404, "USER_NOT_FOUND");
    let res = create_card(&server, GLOBEX, &service_id).await;
    assert_error(&res, 400, "USER_NOT_FOUND");
    // ACME's card is not GLOBEX's either.
    let res = create_card(&server, ACME, &service_id).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let card_id = res.json()["data"]["serviceCardId"]
        .as_str()
        .expect("card")
        .to_string();
    let res = post(
        &server,
        GLOBEX,
        "/api/v1/partner/card/fund",
        json!({"serviceCardId": card_id, "amount": 10}),
    )
    .await;
    assert_error(&res, 404, "CARD_NOT_FOUND");
    let wallet = get(&server, GLOBEX, WALLET).await;
    assert_eq!(wallet["data"]["partnerId"], "globex");
    assert_eq!(wallet["data"]["balance"], 5000);
}

#[tokio::test]
async fn two_keys_of_one_name_are_two_partners_with_two_partner_ids() {
    let server = TestServer::start().await;
    let mut ids = Vec::new();
    for key in [
        "Bearer sk_staging_acme",
        "Bearer sk_live_acme",
        "Bearer sk_ACME",
    ] {
        let wallet = get(&server, key, WALLET).await;
        ids.push(
            wallet["data"]["partnerId"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    assert_eq!(ids, ["acme", "acme2", "acme3"]);
    // The first key keeps its id.
    let wallet = get(&server, "Bearer sk_staging_acme", WALLET).await;
    assert_eq!(wallet["data"]["partnerId"], "acme");
    // The admin state lists them by id, each once.
    let state: Value = server.get("/__admin/state").send().await.json();
    let listed: Vec<&str> = state["bitmama"]["partners"]
        .as_array()
        .map(|partners| {
            partners
                .iter()
                .filter_map(|p| p["partner"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(listed, ["acme", "acme2", "acme3"], "{state}");
}

#[tokio::test]
async fn list_pages_and_recreation_after_delete_is_free_unless_approved() {
    let server = TestServer::start().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let (id, _) = create_user(
            &server,
            ACME,
            body_with(json!({"email": format!("u{n}@example.com")})),
        )
        .await;
        ids.push(id);
    }
    let page = get(&server, ACME, &format!("{USERS_V1}?skip=1&limit=1")).await;
    assert_eq!(page["data"]["users"][0]["serviceId"], ids[1].as_str());
    assert_eq!(
        page["data"]["pagination"],
        json!({"skip": 1, "limit": 1, "total": 3})
    );
    let res = server
        .get(&format!("{USERS_V1}?skip=-1&limit=0"))
        .header("authorization", ACME)
        .send()
        .await;
    let text = assert_error(&res, 422, "VALIDATION_ERROR");
    assert!(text.contains("skip") && text.contains("limit"), "{text}");
    // A filter the list does not take is refused, not ignored (an unfiltered answer).
    let res = server
        .get(&format!("{USERS_V1}?status=approved"))
        .header("authorization", ACME)
        .send()
        .await;
    let text = assert_error(&res, 422, "VALIDATION_ERROR");
    assert!(text.contains("status is not a parameter"), "{text}");

    assert_eq!(balance(&server, ACME).await, json!(4994));
    let res = server
        .request("DELETE", &format!("{USERS_V1}/{}", ids[0]))
        .header("authorization", ACME)
        .header("idempotency-key", &key())
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = server
        .request("DELETE", &format!("{USERS_V1}/{}", ids[0]))
        .header("authorization", ACME)
        .header("idempotency-key", &key())
        .send()
        .await;
    assert_error(&res, 404, "USER_NOT_FOUND");
    // The deleted user never passed KYC: creating it again costs nothing.
    create_user(&server, ACME, body_with(json!({"email": "u0@example.com"}))).await;
    assert_eq!(balance(&server, ACME).await, json!(4994));
}

/// `--bitmama-webhook-style current` is the current generation of Bitmama's API (vendors.md 3):
/// its ids are `{slug}-user-…`, `{slug}-card-…` and `{slug}-card-transactions-…`, the older
/// generation's without `rain-`, wherever one is issued: a created user (and its webhook, its
/// inquiry's reference id), a seeded one, a card and its transaction, and after a restart from a
/// state file.
#[tokio::test]
async fn current_style_issues_the_current_generations_ids() {
    let dir = crate::scenario::TempDir::new("bitmama-current-ids");
    let scenario = json!({
        "name": "seeded", "description": "one seeded user",
        "initial_state": {"bitmama": {
            "users": [{"partner": "sk_staging_acme", "email": "seeded@example.com", "status": "approved"}]
        }},
        "rules": []
    });
    dir.write("seeded.json", &scenario.to_string());
    let mut sink = WebhookSink::start().await;
    let target = sink.url("/hook");
    let state_dir = crate::scenario::TempDir::new("bitmama-current-ids-state");
    let (scenarios, state) = (dir.0.clone(), state_dir.0.join("state.json"));
    let configure = move |c: &mut vendor_sandbox::Config| {
        c.bitmama.webhook_style = vendor_sandbox::config::BitmamaWebhookStyle::Current;
        c.webhooks
            .targets
            .push((vendor_sandbox::vendors::Vendor::Bitmama, target.clone()));
        c.scenarios_dir = Some(scenarios.clone());
        c.state_file = Some(state.clone());
    };
    let current = |id: &str, infix: &str| {
        id.strip_prefix("acme")
            .and_then(|rest| rest.strip_prefix(infix))
            .is_some_and(|uid| uid.len() == 15 && uid.chars().all(|c| c.is_ascii_alphanumeric()))
    };

    let server = TestServer::start_with(configure.clone()).await;
    let (service_id, url) = create_user(&server, ACME, brief_body()).await;
    assert!(current(&service_id, "-user-"), "{service_id}");
    let inquiry = server
        .get(&format!("/api/v1/inquiries/{}", inquiry_of(&url)))
        .header("authorization", "Bearer persona_sandbox_key")
        .send()
        .await;
    assert_eq!(
        inquiry.json()["data"]["attributes"]["reference-id"],
        service_id
    );
    approve(&server, &url).await;
    assert_eq!(sink.next().await.json()["data"]["serviceId"], service_id);
    let card = create_card(&server, ACME, &service_id).await;
    assert_eq!(card.status, 201, "{}", card.text());
    let data = &card.json()["data"];
    let card_id = data["serviceCardId"].as_str().unwrap_or_default();
    assert!(current(card_id, "-card-"), "{card_id}");
    let transaction = data["serviceTransactionId"].as_str().unwrap_or_default();
    assert!(current(transaction, "-card-transactions-"), "{transaction}");

    let selected = server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", "seeded")
        .json(&json!({"name": "seeded"}))
        .send()
        .await;
    assert_eq!(selected.status, 200, "{}", selected.text());
    let seeded = get(&server, ACME, &format!("/ns/seeded{USERS_V1}")).await;
    let seeded_id = seeded["data"]["users"][0]["serviceId"]
        .as_str()
        .unwrap_or_default();
    assert!(current(seeded_id, "-user-"), "{seeded}");
    server.stop().await;

    // A world loaded from the state file issues them too.
    let server = TestServer::start_with(configure).await;
    let (after, _) = create_user(&server, ACME, body_with(json!({"email": "b@example.com"}))).await;
    assert!(current(&after, "-user-"), "{after}");
    server.stop().await;
}
