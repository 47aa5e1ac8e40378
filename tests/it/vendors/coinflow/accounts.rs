//! Payout methods: bank accounts (ABA-checked routing number), debit cards (a card iframe
//! token), deletion, and the 451 an unverified withdrawer gets.

use serde_json::{Value, json};

use super::*;

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
