//! The lookups that keep a request's cost independent of how much a namespace holds: Bitmama's
//! user, card and email indexes (through deletes, which shift positions) and Persona's queue of
//! due changes (expiries and scheduled decisions taken in due time order, stale ones skipped).

use serde_json::{Value, json};

use crate::harness::{TestResponse, TestServer, card_user_body};

const PARTNER: &str = "Bearer sk_staging_indexes";
const PERSONA: &str = "Bearer persona_indexes_key";

async fn bitmama(
    server: &TestServer,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> TestResponse {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let key = format!(
        "indexes-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let builder = server
        .request(method, path)
        .header("authorization", PARTNER)
        .header("idempotency-key", &key);
    match body {
        Some(body) => builder.json(&body).send().await,
        None => builder.send().await,
    }
}

async fn create_user(server: &TestServer, email: &str) -> String {
    let res = bitmama(
        server,
        "POST",
        "/api/v2/partner/card/users",
        Some(card_user_body(email)),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()["data"]["serviceId"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn code(res: &TestResponse) -> String {
    res.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn users_after_a_deleted_one_are_still_found_and_emails_follow_deletes() {
    let server = TestServer::start().await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(create_user(&server, &format!("Index{n}@Example.com")).await);
    }
    let users = "/api/v1/partner/card/users";
    let res = bitmama(&server, "DELETE", &format!("{users}/{}", ids[1]), None).await;
    assert_eq!(res.status, 200, "{}", res.text());

    // Every later user moved down one place and is still found by its id.
    for id in [&ids[0], &ids[2], &ids[3]] {
        let res = bitmama(
            &server,
            "POST",
            &format!("/api/v2/partner/card/users/{id}/retry-kyc"),
            None,
        )
        .await;
        assert_eq!(res.status, 400, "{}", res.text());
        assert_eq!(code(&res), "KYC_RETRY_NOT_ALLOWED", "{id}: {}", res.text());
    }
    let res = bitmama(&server, "DELETE", &format!("{users}/{}", ids[3]), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = bitmama(&server, "DELETE", &format!("{users}/{}", ids[1]), None).await;
    assert_eq!(code(&res), "USER_NOT_FOUND", "{}", res.text());

    // A deleted user's email is free again; a kept one is taken in any case.
    create_user(&server, "index1@example.COM").await;
    let res = bitmama(
        &server,
        "POST",
        "/api/v2/partner/card/users",
        Some(card_user_body("INDEX2@example.com")),
    )
    .await;
    assert_eq!(code(&res), "DUP_USER", "{}", res.text());

    let list = server
        .get(&format!("{users}?limit=10"))
        .header("authorization", PARTNER)
        .send()
        .await
        .json();
    let listed: Vec<&str> = list["data"]["users"]
        .as_array()
        .map(|a| a.iter().filter_map(|u| u["email"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        listed,
        [
            "Index0@Example.com",
            "Index2@Example.com",
            "index1@example.COM"
        ]
    );
}

async fn persona_post(server: &TestServer, path: &str, body: Value) -> TestResponse {
    server
        .post(path)
        .header("authorization", PERSONA)
        .header("x-sandbox-namespace", "indexes")
        .json(&body)
        .send()
        .await
}

async fn create_inquiry(server: &TestServer) -> String {
    server.create_inquiry("indexes", json!({})).await
}

async fn advance(server: &TestServer, seconds: i64) {
    server.advance_clock("indexes", seconds as f64).await;
}

/// `(event name, inquiry id)`, oldest first.
async fn events(server: &TestServer) -> Vec<(String, String)> {
    let res = server
        .get("/api/v1/events?page%5Bsize%5D=100")
        .header("authorization", PERSONA)
        .header("x-sandbox-namespace", "indexes")
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let mut list: Vec<(String, String)> = res.json()["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let attrs = &e["attributes"];
                    (
                        attrs["name"].as_str().unwrap_or_default().to_string(),
                        attrs["payload"]["data"]["id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    list.reverse();
    list
}

#[tokio::test]
async fn expiries_happen_in_due_order_and_a_restarted_clock_is_not_expired_early() {
    let server = TestServer::start().await;
    let first = create_inquiry(&server).await;
    advance(&server, 60).await;
    let second = create_inquiry(&server).await;
    let third = create_inquiry(&server).await;
    advance(&server, 12 * 60 * 60).await;
    // Starting moves `first`'s expiry to a day after the start: its creation-time expiry is stale.
    let res = persona_post(
        &server,
        &format!("/api/v1/inquiries/{first}/perform-simulate-actions"),
        json!({"meta": {"simulate-actions": [{"type": "start_inquiry"}]}}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    advance(&server, 13 * 60 * 60).await;

    let expired: Vec<String> = events(&server)
        .await
        .into_iter()
        .filter(|(name, _)| name == "inquiry.expired")
        .map(|(_, id)| id)
        .collect();
    // In due order; `first` is not among them.
    assert_eq!(expired, [second.clone(), third.clone()]);

    advance(&server, 12 * 60 * 60).await;
    let after: Vec<(String, String)> = events(&server).await;
    assert_eq!(
        after.last(),
        Some(&("inquiry.expired".to_string(), first.clone())),
        "{after:?}"
    );
    assert_eq!(
        after.len(),
        7,
        "three created, one started, three expired: {after:?}"
    );
}
