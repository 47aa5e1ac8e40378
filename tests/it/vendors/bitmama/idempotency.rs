//! Idempotency keys: required, taken for 5 minutes, and safe under concurrency.

use super::*;

#[tokio::test]
async fn idempotency_key_is_required_on_every_mutating_call() {
    let server = TestServer::start().await;
    let calls: [(&str, &str, Value); 9] = [
        ("POST", USERS, brief_body()),
        ("POST", CARD, json!({"serviceId": "x", "amount": 10})),
        ("POST", "/api/v1/partner/card/fund", json!({})),
        ("POST", "/api/v1/partner/card/withdraw", json!({})),
        (
            "DELETE",
            "/api/v1/partner/card/terminate/acme-rain-card-x",
            json!({}),
        ),
        (
            "DELETE",
            "/api/v1/partner/card/users/acme-rain-user-x",
            json!({}),
        ),
        (
            "POST",
            "/api/v2/partner/card/users/acme-rain-user-x/retry-kyc",
            json!({}),
        ),
        (
            "POST",
            "/api/v1/partner/profile/redirect-url",
            json!({"redirectUrl": "https://a.example"}),
        ),
        (
            "POST",
            "/api/v1/partner/profile/webhook",
            json!({"webhookUrl": "https://a.example/hooks"}),
        ),
    ];
    for (method, path, body) in calls {
        let res = server
            .request(method, path)
            .header("authorization", ACME)
            .json(&body)
            .send()
            .await;
        let text = assert_error(&res, 400, "IDEMPOTENCY_KEY_REQUIRED");
        assert!(text.contains("idempotency-key"), "{method} {path}: {text}");
    }
    // Nothing was created.
    let users = get(&server, ACME, USERS_V1).await;
    assert_eq!(users["data"]["pagination"]["total"], 0);
    // PATCH (freeze) takes none, as documented: it reaches the card lookup.
    let res = server
        .request("PATCH", CARD)
        .header("authorization", ACME)
        .json(&json!({"serviceCardId": "acme-rain-card-x", "status": "freeze"}))
        .send()
        .await;
    assert_error(&res, 404, "CARD_NOT_FOUND");
}

#[tokio::test]
async fn an_idempotency_key_is_taken_for_five_minutes_of_sandbox_time() {
    let server = TestServer::start().await;
    let send = |key: String, email: &str| {
        server
            .post(USERS)
            .header("authorization", ACME)
            .header("idempotency-key", &key)
            .json(&body_with(json!({"email": email})))
            .send()
    };
    let first = send("k-1".into(), "a@example.com").await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = send("k-1".into(), "b@example.com").await;
    let text = assert_error(&again, 400, "IDEMPOTENCY_KEY_ALREADY_USED");
    assert!(text.contains("already used"), "{text}");
    // Another partner's keys are its own.
    let other = server
        .post(USERS)
        .header("authorization", GLOBEX)
        .header("idempotency-key", "k-1")
        .json(&brief_body())
        .send()
        .await;
    assert_eq!(other.status, 201, "{}", other.text());
    // A failed call does not take the key: the corrected call can reuse it.
    let bad = send("k-2".into(), "not-an-email").await;
    assert_error(&bad, 422, "VALIDATION_ERROR");
    assert_eq!(send("k-2".into(), "c@example.com").await.status, 201);

    let advance = |seconds: f64| {
        server
            .post("/__admin/clock/advance")
            .json(&json!({"seconds": seconds}))
            .send()
    };
    assert_eq!(advance(299.0).await.status, 200);
    let still = send("k-1".into(), "b@example.com").await;
    assert_error(&still, 400, "IDEMPOTENCY_KEY_ALREADY_USED");
    assert_eq!(advance(1.0).await.status, 200);
    let after = send("k-1".into(), "b@example.com").await;
    assert_eq!(after.status, 201, "{}", after.text());
}

/// 50 concurrent calls; returns how many got each status.
async fn concurrently(
    server: &Arc<TestServer>,
    make: impl Fn(usize) -> (String, Value),
) -> Vec<TestResponse> {
    let mut set = JoinSet::new();
    for n in 0..50 {
        let (key, body) = make(n);
        let server = server.clone();
        set.spawn(async move {
            server
                .post(USERS)
                .header("authorization", ACME)
                .header("idempotency-key", &key)
                .json(&body)
                .send()
                .await
        });
    }
    let mut out = Vec::new();
    while let Some(res) = set.join_next().await {
        out.push(res.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_calls_with_one_key_create_one_user() {
    let server = Arc::new(TestServer::start().await);
    let responses = concurrently(&server, |n| {
        (
            "same-key".to_string(),
            body_with(json!({"email": format!("user{n}@example.com")})),
        )
    })
    .await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1);
    for r in responses.iter().filter(|r| r.status != 201) {
        assert_error(r, 400, "IDEMPOTENCY_KEY_ALREADY_USED");
    }
    let users = get(&server, ACME, USERS_V1).await;
    assert_eq!(users["data"]["pagination"]["total"], 1);
    assert_eq!(balance(&server, ACME).await, json!(4998));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_calls_with_one_email_create_one_user() {
    let server = Arc::new(TestServer::start().await);
    let responses = concurrently(&server, |n| (format!("key-{n}"), brief_body())).await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1);
    for r in responses.iter().filter(|r| r.status != 201) {
        assert_error(r, 400, "DUP_USER");
    }
    let users = get(&server, ACME, USERS_V1).await;
    assert_eq!(users["data"]["pagination"]["total"], 1);
    assert_eq!(balance(&server, ACME).await, json!(4998));
}

#[tokio::test]
async fn a_reused_key_on_the_profile_webhook_is_refused_and_keeps_the_secret() {
    let server = TestServer::start().await;
    let send = |url: &str| {
        server
            .post("/api/v1/partner/profile/webhook")
            .header("authorization", ACME)
            .header("idempotency-key", "profile-key-1")
            .json(&json!({"webhookUrl": url}))
            .send()
    };
    let first = send("https://a.example/hooks").await;
    assert_eq!(first.status, 200, "{}", first.text());
    let again = send("https://b.example/hooks").await;
    assert_error(&again, 400, "IDEMPOTENCY_KEY_ALREADY_USED");
}
