//! Gets merchant withdrawers (`GET /api/merchant/withdrawers`): the merchant's own withdrawers
//! from state, its `blocked` and `search` filters.

use serde_json::{Value, json};

use super::accounts::verified_user;
use super::payouts::as_merchant;
use super::*;

async fn list(server: &TestServer, ns: &str, query: &str) -> crate::harness::TestResponse {
    as_merchant(
        server,
        "GET",
        &format!("/api/merchant/withdrawers{query}"),
        ns,
    )
    .send()
    .await
}

fn emails(body: &Value) -> Vec<&str> {
    body.as_array()
        .unwrap_or_else(|| panic!("not an array: {body}"))
        .iter()
        .map(|w| w["email"].as_str().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_merchant_lists_its_own_withdrawers_filtered() {
    let server = TestServer::start().await;
    let ns = "cf-withdrawers";
    let empty = list(&server, ns, "").await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(empty.json(), json!([]));
    verified_user(&server, ns, "alice").await;
    // A document registration stays pending: listed with its status.
    let doc = as_user(&server, "POST", "/api/withdraw/kyc", ns, "bob")
        .json(&json!({"email": "Bob@x.io", "country": "GB"}))
        .send()
        .await;
    assert_eq!(doc.status, 451, "{}", doc.text());
    // Another merchant's withdrawer is not listed.
    let other = server
        .post("/api/withdraw/kyc")
        .header("authorization", "another_merchant_key")
        .header("x-coinflow-auth-user-id", "carol")
        .header("x-sandbox-namespace", ns)
        .json(&us_info("carol@x.io"))
        .send()
        .await;
    assert_eq!(other.status, 200, "{}", other.text());

    let all = list(&server, ns, "").await.json();
    assert_eq!(emails(&all), ["alice@x.io", "Bob@x.io"], "{all}");
    assert_eq!(all[0]["verification"]["status"], "approved");
    assert_eq!(all[1]["verification"]["status"], "pending");
    assert_eq!(all[1]["country"], "GB");
    assert_eq!(all[0]["isBlocked"], false);
    // search: part of the email (any case), the user id, or the _id.
    assert_eq!(
        emails(&list(&server, ns, "?search=BOB@").await.json()),
        ["Bob@x.io"]
    );
    assert_eq!(
        emails(&list(&server, ns, "?search=alic").await.json()),
        ["alice@x.io"]
    );
    let id = all[1]["_id"].as_str().unwrap();
    assert_eq!(
        emails(&list(&server, ns, &format!("?search={id}")).await.json()),
        ["Bob@x.io"]
    );
    assert_eq!(
        emails(&list(&server, ns, "?search=carol").await.json()),
        Vec::<&str>::new()
    );
    // blocked: nothing is blocked here.
    assert_eq!(list(&server, ns, "?blocked=false").await.json(), all);
    assert_eq!(list(&server, ns, "?blocked=true").await.json(), json!([]));
    let bad = list(&server, ns, "?blocked=yes").await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_nest_error(&bad.json(), 400, "/api/merchant/withdrawers", "GET");
    assert!(message(&bad.json()).contains("blocked"), "{}", bad.text());
    // A merchant route: the API key is required.
    let anon = server
        .get("/api/merchant/withdrawers")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(anon.status, 401, "{}", anon.text());
    schema::assert_bodies_valid(&server).await;
}
