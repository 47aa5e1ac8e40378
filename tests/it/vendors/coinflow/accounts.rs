//! Payout methods: bank accounts (ABA-checked routing number), debit cards (a card iframe
//! token), deletion, and the 451 an unverified withdrawer gets.

use serde_json::{Value, json};

use super::*;
use crate::harness::TestResponse;

/// A withdrawer verified at once (US KYC info).
pub async fn verified_user(server: &TestServer, ns: &str, user: &str) {
    let r = as_user(server, "POST", "/api/withdraw/kyc", ns, user)
        .json(&us_info(&format!("{user}@x.io")))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

pub fn bank(routing: &str) -> Value {
    json!({"alias": "Checking", "routingNumber": routing, "accountNumber": "123456789",
        "type": "checking"})
}

/// Adds a bank account and returns its token.
pub async fn add_bank(server: &TestServer, ns: &str, user: &str) -> String {
    let r = as_user(server, "POST", "/api/withdraw/account", ns, user)
        .json(&bank("021000021"))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let accounts = r.json()["withdrawer"]["bankAccounts"].clone();
    accounts
        .as_array()
        .and_then(|a| a.last())
        .and_then(|a| a["token"].as_str())
        .unwrap_or_else(|| panic!("no account token: {accounts}"))
        .to_string()
}

#[tokio::test]
async fn bank_accounts_and_cards_are_added_listed_and_deleted() {
    let server = TestServer::start().await;
    let ns = "cf-accounts";
    verified_user(&server, ns, "acc").await;

    let bad = as_user(&server, "POST", "/api/withdraw/account", ns, "acc")
        .json(&bank("021000022"))
        .send()
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert!(
        message(&bad.json()).contains("routingNumber"),
        "{}",
        bad.text()
    );
    let short = as_user(&server, "POST", "/api/withdraw/account/v2", ns, "acc")
        .json(&json!({"alias": "x", "routingNumber": "021000021", "accountNumber": "12", "type": "checking"}))
        .send()
        .await;
    assert_eq!(short.status, 400);

    let token = add_bank(&server, ns, "acc").await;
    let v2 = as_user(&server, "POST", "/api/withdraw/account/v2", ns, "acc")
        .json(
            &json!({"alias": "Savings", "routingNumber": "011000015", "accountNumber": "99887766",
            "type": "savings", "firstName": "Jane", "lastName": "Doe"}),
        )
        .send()
        .await;
    assert_eq!(v2.status, 200, "{}", v2.text());
    let accounts = v2.json()["withdrawer"]["bankAccounts"].clone();
    assert_eq!(accounts.as_array().map(Vec::len), Some(2), "{accounts}");
    assert_eq!(accounts[1]["last4"], "7766");

    let card = as_user(&server, "POST", "/api/withdraw/debit-card", ns, "acc")
        .json(&json!({"cardToken": "411111AbCdEf1111", "expMonth": "09", "expYear": "29"}))
        .send()
        .await;
    assert_eq!(card.status, 200, "{}", card.text());
    assert_eq!(card.json(), json!("411111AbCdEf1111"));
    let bad_card = as_user(&server, "POST", "/api/withdraw/debit-card", ns, "acc")
        .json(&json!({"cardToken": "not-a-token", "expMonth": "09", "expYear": "29"}))
        .send()
        .await;
    assert_eq!(bad_card.status, 400);

    let got = as_user(&server, "GET", "/api/withdraw", ns, "acc")
        .send()
        .await
        .json();
    let w = &got["withdrawer"];
    assert_eq!(w["bankAccounts"][0]["token"], token.as_str());
    assert_eq!(w["cards"][0]["type"], "VISA");
    assert_eq!(w["cards"][0]["last4"], "1111");

    let deleted = as_user(
        &server,
        "DELETE",
        &format!("/api/withdraw/account/{token}"),
        ns,
        "acc",
    )
    .send()
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(
        deleted.json()["withdrawer"]["bankAccounts"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let again = as_user(
        &server,
        "DELETE",
        &format!("/api/withdraw/account/{token}"),
        ns,
        "acc",
    )
    .send()
    .await;
    assert_eq!(again.status, 404);
    let card_gone = as_user(
        &server,
        "DELETE",
        "/api/withdraw/card/411111AbCdEf1111",
        ns,
        "acc",
    )
    .send()
    .await;
    assert_eq!(card_gone.status, 200);
    assert_eq!(card_gone.json()["withdrawer"]["cards"], json!([]));
    schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn an_unverified_withdrawer_gets_451_with_the_link() {
    let server = TestServer::start().await;
    let ns = "cf-acc-451";
    let doc = as_user(&server, "POST", "/api/withdraw/kyc", ns, "doc")
        .json(&json!({"email": "doc@x.io", "country": "US"}))
        .send()
        .await;
    assert_eq!(doc.status, 451);
    let r = as_user(&server, "POST", "/api/withdraw/account", ns, "doc")
        .json(&bank("021000021"))
        .send()
        .await;
    assert_eq!(r.status, 451, "{}", r.text());
    assert!(r.json()["verificationLink"].is_string());
    let nobody = as_user(&server, "POST", "/api/withdraw/account", ns, "nobody")
        .json(&bank("021000021"))
        .send()
        .await;
    assert_eq!(nobody.status, 401);
    schema::assert_bodies_valid(&server).await;
}

/// `POST /api/withdraw/debit-card` as user `user` with `body`.
pub async fn add_card(server: &TestServer, ns: &str, user: &str, body: Value) -> TestResponse {
    as_user(server, "POST", "/api/withdraw/debit-card", ns, user)
        .json(&body)
        .send()
        .await
}

async fn cards(server: &TestServer, ns: &str, user: &str) -> Value {
    let got = as_user(server, "GET", "/api/withdraw", ns, user)
        .send()
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    got.json()["withdrawer"]["cards"].clone()
}

#[tokio::test]
async fn an_expired_card_or_a_month_outside_1_to_12_is_refused() {
    let server = TestServer::start().await;
    let ns = "cf-card-expiry";
    verified_user(&server, ns, "carded").await;
    let expired = add_card(
        &server,
        ns,
        "carded",
        json!({"cardToken": "411111TOKEN1111", "expMonth": "01", "expYear": "20"}),
    )
    .await;
    assert_eq!(expired.status, 400, "{}", expired.text());
    let said = message(&expired.json());
    assert!(
        said.contains("expired") && said.contains("expMonth 01, expYear 20"),
        "{said}"
    );
    for month in ["13", "00", "+1", "1"] {
        let r = add_card(
            &server,
            ns,
            "carded",
            json!({"cardToken": "411111TOKEN1111", "expMonth": month, "expYear": "99"}),
        )
        .await;
        assert_eq!(r.status, 400, "expMonth {month}: {}", r.text());
        assert!(message(&r.json()).starts_with("expMonth"), "{}", r.text());
    }
    assert_eq!(cards(&server, ns, "carded").await, json!([]));
    schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn a_card_added_again_takes_its_new_expiry_and_an_expired_one_is_not_paid() {
    let server = TestServer::start().await;
    let ns = "cf-card-renewed";
    verified_user(&server, ns, "renewed").await;
    let card = |month: &str, year: &str| json!({"cardToken": "555555TOKEN4444", "expMonth": month, "expYear": year});
    let first = add_card(&server, ns, "renewed", card("09", "98")).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let again = add_card(&server, ns, "renewed", card("12", "99")).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json(), json!("555555TOKEN4444"));
    let listed = cards(&server, ns, "renewed").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(
        (&listed[0]["expMonth"], &listed[0]["expYear"]),
        (&json!("12"), &json!("99")),
        "{listed}"
    );

    // Past 2099 on the sandbox clock, the card is expired: no quote, no payout.
    server.advance_clock(ns, 80.0 * 366.0 * 86_400.0).await;
    let body = super::payouts::payout_body("renewed", "555555TOKEN4444", "card", 1_000, "exp");
    for path in [
        "/api/merchant/withdraws/payout/delegated/quote",
        "/api/merchant/withdraws/payout/delegated",
    ] {
        let r = super::payouts::as_merchant(&server, "POST", path, ns)
            .json(&body)
            .send()
            .await;
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        assert!(message(&r.json()).contains("expired"), "{}", r.text());
    }
    assert_eq!(super::payouts::balance(&server, ns).await, 1_000_000);
    schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn the_same_bank_account_again_is_the_one_already_there() {
    let server = TestServer::start().await;
    let ns = "cf-bank-twice";
    verified_user(&server, ns, "twice").await;
    let token = add_bank(&server, ns, "twice").await;
    let mut renamed = bank("021000021");
    renamed["alias"] = json!("Renamed");
    let again = as_user(&server, "POST", "/api/withdraw/account/v2", ns, "twice")
        .json(&renamed)
        .send()
        .await;
    assert_eq!(again.status, 200, "{}", again.text());
    let accounts = again.json()["withdrawer"]["bankAccounts"].clone();
    assert_eq!(accounts.as_array().map(Vec::len), Some(1), "{accounts}");
    assert_eq!(accounts[0]["token"], token.as_str());
    assert_eq!(accounts[0]["alias"], "Checking", "unchanged");
    // It is a body like another: a bad address is refused all the same.
    let mut bad_address = bank("021000021");
    bad_address["address"] = json!({"address1": "1 Main St"});
    let refused = as_user(&server, "POST", "/api/withdraw/account/v2", ns, "twice")
        .json(&bad_address)
        .send()
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(
        refused.text().contains("address.city"),
        "{}",
        refused.text()
    );

    // Once deleted, the same account can be added afresh, under a new token.
    let deleted = as_user(
        &server,
        "DELETE",
        &format!("/api/withdraw/account/{token}"),
        ns,
        "twice",
    )
    .send()
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    let fresh = add_bank(&server, ns, "twice").await;
    assert_ne!(fresh, token);
    schema::assert_bodies_valid(&server).await;
}
