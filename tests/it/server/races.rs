//! Races: many clients at once on one piece of state, on a multi-threaded runtime so handlers
//! really run in parallel. Each must have exactly one winner and leave consistent state.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::harness::{RequestBuilder, TestResponse, TestServer, card_user_body};

const USERS: &str = "/api/v2/partner/card/users";
const PARTNER: &str = "Bearer sk_staging_racer";
const PERSONA_KEY: &str = "Bearer persona_sandbox_key";
const COINFLOW_KEY: &str = "coinflow_sandbox_merchant_key";
const CONTENDERS: usize = 200;

/// Sends every request at once and returns the responses.
async fn all_at_once(requests: Vec<RequestBuilder>) -> Vec<TestResponse> {
    let mut set = JoinSet::new();
    for request in requests {
        set.spawn(request.send());
    }
    let mut responses = Vec::new();
    while let Some(response) = set.join_next().await {
        responses.push(response.expect("request task"));
    }
    responses
}

async fn users_total(server: &TestServer, ns: &str) -> Value {
    let list = server
        .get("/api/v1/partner/card/users")
        .header("authorization", PARTNER)
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(list.status, 200, "{}", list.text());
    list.json()["data"]["pagination"]["total"].clone()
}

fn statuses(responses: &[TestResponse]) -> Vec<u16> {
    let mut s: Vec<u16> = responses.iter().map(|r| r.status).collect();
    s.sort_unstable();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_creates_with_one_email_give_one_201() {
    let server = Arc::new(TestServer::start().await);
    let ns = "race-email";
    let requests = (0..CONTENDERS)
        .map(|n| {
            server
                .post(USERS)
                .header("authorization", PARTNER)
                .header("x-sandbox-namespace", ns)
                .header("idempotency-key", &format!("race-email-{n}"))
                // The same address in several spellings: Bitmama compares emails without case.
                .json(&card_user_body(if n % 2 == 0 {
                    "same@example.com"
                } else {
                    "SAME@Example.com"
                }))
        })
        .collect();
    let responses = all_at_once(requests).await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "statuses: {:?}", statuses(&responses));
    for r in responses.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json()["message"], "DUP_USER", "{}", r.text());
    }
    assert_eq!(users_total(&server, ns).await, json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_requests_with_one_idempotency_key_create_one_user() {
    let server = Arc::new(TestServer::start().await);
    let ns = "race-key";
    let requests = (0..CONTENDERS)
        .map(|n| {
            server
                .post(USERS)
                .header("authorization", PARTNER)
                .header("x-sandbox-namespace", ns)
                .header("idempotency-key", "one-key-for-all")
                .json(&card_user_body(&format!("user{n}@example.com")))
        })
        .collect();
    let responses = all_at_once(requests).await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "statuses: {:?}", statuses(&responses));
    for r in responses.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(
            r.json()["message"],
            "IDEMPOTENCY_KEY_ALREADY_USED",
            "{}",
            r.text()
        );
    }
    assert_eq!(users_total(&server, ns).await, json!(1));
}

/// An approved Persona inquiry with everything Coinflow needs, and a share token for it.
async fn share_token(server: &TestServer, ns: &str) -> String {
    let created = server
        .post("/api/v1/inquiries")
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"data": {"attributes": {
            "inquiry-template-id": "itmpl_sandbox",
            "fields": {
                "name-first": "Jane",
                "name-last": "Doe",
                "birthdate": "1990-01-31",
                "address-street-1": "1 Main St",
                "address-city": "Austin",
                "address-subdivision": "TX",
                "address-postal-code": "78701",
                "address-country-code": "US",
            },
        }}}))
        .send()
        .await;
    assert!(created.status < 300, "{}", created.text());
    let inquiry = created.json()["data"]["id"]
        .as_str()
        .expect("inquiry id")
        .to_string();
    let simulated = server
        .post(&format!(
            "/api/v1/inquiries/{inquiry}/perform-simulate-actions"
        ))
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"meta": {"simulate-actions": [
            {"type": "start_inquiry"}, {"type": "complete_inquiry"}, {"type": "approve_inquiry"}
        ]}}))
        .send()
        .await;
    assert!(simulated.status < 300, "{}", simulated.text());
    let token = server
        .post("/api/v1/connect/share-tokens")
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"data": {"attributes": {
            "connection-id": "cxn_coinflow",
            "source-id": inquiry,
        }}}))
        .send()
        .await;
    assert!(token.status < 300, "{}", token.text());
    token.json()["data"]["id"]
        .as_str()
        .expect("token id")
        .to_string()
}

fn redeem(server: &TestServer, ns: &str, user: &str, token: &str) -> RequestBuilder {
    server
        .post("/api/withdraw/kyc/share-token")
        .header("authorization", COINFLOW_KEY)
        .header("x-coinflow-auth-user-id", user)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"vendor": "persona", "shareToken": token, "email": format!("{user}@example.com")}))
}

/// Asserts one 200 and 409s for the rest, and that the token now serves its winner only.
async fn assert_one_winner(server: &TestServer, ns: &str, token: &str, users: &[String]) {
    let requests = users.iter().map(|u| redeem(server, ns, u, token)).collect();
    let responses = all_at_once(requests).await;
    let winners: Vec<&TestResponse> = responses.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "one winner expected; statuses: {:?}",
        statuses(&responses)
    );
    for r in responses.iter().filter(|r| r.status != 200) {
        assert_eq!(r.status, 409, "{}", r.text());
    }
    // Exactly one of the users has a withdrawer.
    let mut with_withdrawer = 0;
    for user in users {
        let got = server
            .get("/api/withdraw")
            .header("authorization", COINFLOW_KEY)
            .header("x-coinflow-auth-user-id", user)
            .header("x-sandbox-namespace", ns)
            .send()
            .await;
        // 200 or 451 (redemption still pending) for the winner; 401 (no withdrawer) for the rest.
        match got.status {
            200 | 451 => with_withdrawer += 1,
            status => assert_eq!(status, 401, "{user}: {}", got.text()),
        }
    }
    assert_eq!(with_withdrawer, 1, "token {token} serves exactly one user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_share_token_redeemed_by_two_withdrawers_at_once_has_one_winner() {
    let server = TestServer::start().await;
    // Many rounds: a race that is lost only sometimes still shows up.
    for round in 0..20 {
        let ns = format!("race-share-{round}");
        let token = share_token(&server, &ns).await;
        let users = vec![format!("alice{round}"), format!("bob{round}")];
        assert_one_winner(&server, &ns, &token, &users).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_share_token_redeemed_by_many_withdrawers_at_once_has_one_winner() {
    let server = TestServer::start().await;
    let ns = "race-share-many";
    let token = share_token(&server, ns).await;
    let users: Vec<String> = (0..50).map(|n| format!("user{n}")).collect();
    assert_one_winner(&server, ns, &token, &users).await;
}

/// Creates and refusals racing into a namespace none has made yet: the refusals forget it only
/// while it is as new, so every create is kept, and the namespace with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refusals_racing_creates_into_a_new_namespace_lose_nothing() {
    let server = Arc::new(TestServer::start().await);
    for round in 0..20 {
        let ns = format!("race-new-{round}");
        let requests = (0..40)
            .map(|n| {
                let key = if n % 4 == 3 { PARTNER } else { "Bearer nope" };
                server
                    .post(USERS)
                    .header("authorization", key)
                    .header("x-sandbox-namespace", &ns)
                    .header("idempotency-key", &format!("race-new-{n}"))
                    .json(&card_user_body(&format!("u{n}@example.com")))
            })
            .collect();
        let responses = all_at_once(requests).await;
        let created = responses.iter().filter(|r| r.status == 201).count();
        assert_eq!(created, 10, "statuses: {:?}", statuses(&responses));
        assert_eq!(users_total(&server, &ns).await, json!(10), "round {round}");
    }
    let listed = server.get("/__admin/namespaces").send().await.json();
    assert_eq!(listed["count"], 20, "{listed}");
}
