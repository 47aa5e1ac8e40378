//! Coinflow's web-app pages on the `--coinflow-ui-port` listener (what CoinflowWithdraw,
//! CoinflowBankLink and CoinflowWithdrawHistory frame): served there only, on the session key's
//! withdrawer, acting on the same state as the API (accounts, payouts, balance, history),
//! steered by the same scenarios, escaping what they echo. The listener itself: `ui_listener.rs`; the real SDK in a browser:
//! `ui_sdk.rs`.

use serde_json::{Value, json};

use super::accounts::{add_bank, verified_user};
use super::payouts::balance;
use super::*;
use crate::harness::{TestResponse, encode};

mod bank_link;
mod history;
mod steering;

pub(super) async fn ui_server() -> TestServer {
    let ui = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind ui");
    TestServer::start_with_coinflow_ui(ui).await
}

pub async fn session_key(server: &TestServer, ns: &str, user: &str) -> String {
    let r = as_user(server, "GET", "/api/auth/session-key", ns, user)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["key"].as_str().expect("key").to_string()
}

async fn select(server: &TestServer, ns: &str, scenario: &str) {
    let res = server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", ns)
        .json(&json!({ "name": scenario }))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

/// The messages a page posts besides `loaded` and `heightChange` (its `data-messages`).
fn messages(page: &TestResponse) -> Vec<Value> {
    let html = page.text();
    let start = html.find("data-messages=\"").expect("data-messages") + 15;
    let end = start + html[start..].find('"').expect("end of data-messages");
    let raw = html[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    serde_json::from_str::<Value>(&raw)
        .expect("messages are JSON")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// How many bank accounts user `user`'s withdrawer has, as the API reports them.
async fn bank_accounts(server: &TestServer, ns: &str, user: &str) -> Option<usize> {
    let w = as_user(server, "GET", "/api/withdraw", ns, user)
        .send()
        .await;
    w.json()["withdrawer"]["bankAccounts"]
        .as_array()
        .map(Vec::len)
}

fn withdraw_path(ns: &str, tail: &str) -> String {
    format!("/ns/{ns}/solana/withdraw/test-merchant{tail}")
}

pub(super) async fn ui_get(server: &TestServer, path: &str) -> TestResponse {
    server.ui_request("GET", path).send().await
}

async fn ui_post(server: &TestServer, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    server.ui_request("POST", path).form(fields).send().await
}

fn bank_fields<'a>(key: &'a str, routing: &'a str, alias: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("sessionKey", key),
        ("useHeightChange", "h1"),
        ("alias", alias),
        ("routingNumber", routing),
        ("accountNumber", "123456789"),
        ("type", "checking"),
    ]
}

#[tokio::test]
async fn a_withdrawal_on_the_page_is_a_real_payout() {
    let server = ui_server().await;
    let ns = "ui-pay";
    verified_user(&server, ns, "payer").await;
    let key = session_key(&server, ns, "payer").await;
    let page = ui_get(&server, &withdraw_path(ns, &format!("?sessionKey={key}"))).await;
    assert!(
        page.text().contains("id=\"no-accounts\""),
        "{}",
        page.text()
    );

    // Link a bank account in place: the API's withdrawer has it.
    let linked = ui_post(
        &server,
        &withdraw_path(ns, "/account"),
        &bank_fields(&key, "021000021", "Main"),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    let sent = messages(&linked);
    assert_eq!(sent[0]["method"], "accountLinked", "{sent:?}");
    assert_eq!(sent[0]["data"], "");
    let token = sent[0]["info"]["tokens"][0]
        .as_str()
        .expect("token")
        .to_string();
    let w = as_user(&server, "GET", "/api/withdraw", ns, "payer")
        .send()
        .await;
    assert_eq!(w.json()["withdrawer"]["bankAccounts"][0]["token"], token);
    assert!(
        linked
            .text()
            .contains(&format!("value=\"{token}\" checked"))
    );

    // Review: every bank speed with the quote's fee.
    let review_refs = vec![
        ("sessionKey", key.as_str()),
        ("account", token.as_str()),
        ("amount", "100.00"),
    ];
    let review = ui_post(&server, &withdraw_path(ns, "/quote"), &review_refs).await;
    assert_eq!(review.status, 200, "{}", review.text());
    let html = review.text();
    for expected in [
        "value=\"standard\" data-fee-cents=\"25\" checked",
        "value=\"same_day\" data-fee-cents=\"100\"",
        "value=\"asap\" data-fee-cents=\"200\"",
        "$100.00",
    ] {
        assert!(html.contains(expected), "{expected} in {html}");
    }
    assert!(!html.contains("value=\"card\""), "{html}");
    let idem = html
        .split("name=\"idempotencyKey\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("idempotency key")
        .to_string();

    let before = balance(&server, ns).await;
    let mut confirm_fields = review_refs.clone();
    confirm_fields.push(("speed", "standard"));
    confirm_fields.push(("idempotencyKey", &idem));
    let done = ui_post(&server, &withdraw_path(ns, ""), &confirm_fields).await;
    assert_eq!(done.status, 200, "{}", done.text());
    let sent = messages(&done);
    assert_eq!(sent[0]["method"], "success", "{sent:?}");
    let payment = sent[0]["info"]["paymentId"]
        .as_str()
        .expect("paymentId")
        .to_string();
    let hash = sent[0]["info"]["hash"].as_str().expect("hash").to_string();
    assert_eq!(balance(&server, ns).await, before - 10_025);

    // The same confirmation again (a reload) is the same payout.
    let again = ui_post(&server, &withdraw_path(ns, ""), &confirm_fields).await;
    assert_eq!(messages(&again)[0]["info"]["paymentId"], payment.as_str());
    assert_eq!(balance(&server, ns).await, before - 10_025);
    // Its key with another speed (the page gone back to and changed) is no success: nothing is
    // paid, and the page asks again with a new key.
    let mut changed = review_refs.clone();
    changed.push(("speed", "asap"));
    changed.push(("idempotencyKey", &idem));
    let refused = ui_post(&server, &withdraw_path(ns, ""), &changed).await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert!(
        messages(&refused).iter().all(|m| m["method"] != "success"),
        "{}",
        refused.text()
    );
    assert!(!refused.text().contains(&idem), "a new key");
    assert_eq!(balance(&server, ns).await, before - 10_025);

    let history = as_user(&server, "GET", "/api/withdraw/history", ns, "payer")
        .send()
        .await;
    let withdraws = history.json()["withdraws"].clone();
    assert_eq!(withdraws.as_array().map(Vec::len), Some(1), "{withdraws}");
    assert_eq!(withdraws[0]["transferId"], payment.as_str());
    assert_eq!(withdraws[0]["transaction"], hash.as_str());
    assert_eq!(withdraws[0]["status"], "pending");
    let merchant = server
        .get(&format!("/api/merchant/withdraws/{payment}"))
        .header("authorization", KEY)
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(merchant.json()["withdrawal"]["speed"], "standard");
    advance(&server, ns, 72.0 * 3600.0).await;
    let history = as_user(&server, "GET", "/api/withdraw/history", ns, "payer")
        .send()
        .await;
    assert_eq!(history.json()["withdraws"][0]["status"], "completed");
}

#[tokio::test]
async fn invalid_input_posts_input_error_changes_nothing_and_is_escaped() {
    let server = ui_server().await;
    let ns = "ui-invalid";
    verified_user(&server, ns, "bad").await;
    let key = session_key(&server, ns, "bad").await;
    let token = add_bank(&server, ns, "bad").await;

    let bad_routing = ui_post(
        &server,
        &withdraw_path(ns, "/account"),
        &bank_fields(&key, "021000022", "<script>x</script>"),
    )
    .await;
    assert_eq!(bad_routing.status, 400);
    let sent = messages(&bad_routing);
    assert_eq!(sent[0]["method"], "inputError");
    assert_eq!(sent[0]["info"]["field"], "routingNumber", "{sent:?}");
    let html = bad_routing.text();
    assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"), "{html}");
    assert!(!html.contains("<script>x"), "{html}");

    for (amount, field) in [("abc", "amount"), ("0", "amount"), ("1.234", "amount")] {
        let r = ui_post(
            &server,
            &withdraw_path(ns, "/quote"),
            &[
                ("sessionKey", &key),
                ("account", &token),
                ("amount", amount),
            ],
        )
        .await;
        assert_eq!(r.status, 400, "{amount}");
        assert_eq!(messages(&r)[0]["info"]["field"], field, "{amount}");
    }
    let no_account = ui_post(
        &server,
        &withdraw_path(ns, "/quote"),
        &[("sessionKey", &key), ("account", "nope"), ("amount", "5")],
    )
    .await;
    assert_eq!(messages(&no_account)[0]["info"]["field"], "account");
    let no_speed = ui_post(
        &server,
        &withdraw_path(ns, ""),
        &[
            ("sessionKey", &key),
            ("account", &token),
            ("amount", "5"),
            ("speed", "card"),
        ],
    )
    .await;
    assert_eq!(messages(&no_speed)[0]["info"]["field"], "speed");
    assert_eq!(bank_accounts(&server, ns, "bad").await, Some(1));
    let history = as_user(&server, "GET", "/api/withdraw/history", ns, "bad")
        .send()
        .await;
    assert_eq!(history.json()["withdraws"], json!([]));

    // Echoed SDK parameters are escaped too.
    let page = ui_get(
        &server,
        &withdraw_path(
            ns,
            &format!("?sessionKey={key}&useHeightChange={}", encode("\"><b>")),
        ),
    )
    .await;
    assert!(
        page.text()
            .contains("data-height-id=\"&quot;&gt;&lt;b&gt;\"")
    );
}

#[tokio::test]
async fn the_page_says_what_verification_is_missing_and_links_to_the_form() {
    let server = ui_server().await;
    let ns = "ui-gate";
    let mut fields = full_fields();
    fields.as_object_mut().map(|f| f.remove("address-street-1"));
    let inquiry = persona_inquiry(&server, ns, fields, &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    let r = register_share_token(&server, ns, "gated", &token, "gated@x.io").await;
    assert!(r.status < 300, "{}", r.text());
    let key = session_key(&server, ns, "gated").await;
    let path = withdraw_path(ns, &format!("?sessionKey={key}"));

    let pending = ui_get(&server, &path).await;
    assert_eq!(pending.status, 200);
    assert!(
        pending.text().contains("data-status=\"pending\""),
        "{}",
        pending.text()
    );
    assert!(!pending.text().contains("withdraw-form"));
    // Waiting on Persona: nothing for the user to complete yet, only to come back.
    assert!(
        !pending.text().contains("id=\"verify\""),
        "{}",
        pending.text()
    );
    assert!(pending.text().contains("id=\"refresh\""));

    advance(&server, ns, 5.0).await;
    let missing = ui_get(&server, &path).await;
    let html = missing.text();
    assert!(html.contains("<li>Street address</li>"), "{html}");
    let link = html
        .split("id=\"verify\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("verification link")
        .to_string();
    assert!(
        link.starts_with(&server.url(&format!("/ns/{ns}/coinflow/verify/"))),
        "{link}"
    );
    let api = as_user(&server, "GET", "/api/withdraw", ns, "gated")
        .send()
        .await;
    assert_eq!(api.status, 451);
    assert_eq!(api.json()["verificationLink"], link.as_str());

    // Completing the form opens the withdraw page.
    let form_path = link.trim_start_matches(&server.url(""));
    let done = server
        .post(form_path)
        .form(&[("physicalAddress", "1 Main St")])
        .send()
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    let open = ui_get(&server, &path).await;
    assert!(open.text().contains("withdraw-form"), "{}", open.text());

    // No session key, an unknown one, no withdrawer: a page that says so.
    for (path, status, text) in [
        ("/solana/withdraw/m".to_string(), 401, "sessionKey"),
        (
            "/solana/withdraw/m?sessionKey=cfsk_nope".to_string(),
            401,
            "unknown",
        ),
        (
            "/doge/withdraw/m?sessionKey=x".to_string(),
            404,
            "Unknown blockchain",
        ),
    ] {
        let r = ui_get(&server, &path).await;
        assert_eq!(r.status, status, "{path}");
        assert!(r.text().contains(text), "{path}: {}", r.text());
        assert!(
            r.text().contains("id=\"coinflow-ui\""),
            "{path}: the script still posts"
        );
    }
    let nobody = session_key(&server, ns, "nobody").await;
    let r = ui_get(
        &server,
        &withdraw_path(ns, &format!("?sessionKey={nobody}")),
    )
    .await;
    assert!(r.text().contains("kyc/share-token"), "{}", r.text());
}

#[tokio::test]
async fn cards_are_listed_and_paid_out_at_card_speed_only() {
    let server = ui_server().await;
    let ns = "ui-card";
    verified_user(&server, ns, "c").await;
    let card = as_user(&server, "POST", "/api/withdraw/debit-card", ns, "c")
        .json(&json!({"cardToken": "411111abcdef1111", "expMonth": "12", "expYear": "30"}))
        .send()
        .await;
    assert_eq!(card.status, 200, "{}", card.text());
    let key = session_key(&server, ns, "c").await;
    let page = ui_get(&server, &withdraw_path(ns, &format!("?sessionKey={key}"))).await;
    assert!(
        page.text().contains("Card · VISA ••••1111"),
        "{}",
        page.text()
    );
    let fields = [
        ("sessionKey", key.as_str()),
        ("account", "411111abcdef1111"),
        ("amount", "10"),
    ];
    let review = ui_post(&server, &withdraw_path(ns, "/quote"), &fields).await;
    let html = review.text();
    assert!(
        html.contains("value=\"card\" data-fee-cents=\"65\" checked"),
        "{html}"
    );
    assert!(!html.contains("value=\"standard\""), "{html}");
    let mut confirm = fields.to_vec();
    confirm.push(("speed", "card"));
    let done = ui_post(&server, &withdraw_path(ns, ""), &confirm).await;
    assert_eq!(
        messages(&done)[0]["info"]["speed"],
        "card",
        "{}",
        done.text()
    );
}

#[tokio::test]
async fn a_card_that_expired_since_it_was_added_is_not_paid_on_the_page() {
    let server = ui_server().await;
    let ns = "ui-card-expired";
    verified_user(&server, ns, "x").await;
    let card = as_user(&server, "POST", "/api/withdraw/debit-card", ns, "x")
        .json(&json!({"cardToken": "411111abcdef1111", "expMonth": "12", "expYear": "99"}))
        .send()
        .await;
    assert_eq!(card.status, 200, "{}", card.text());
    server.advance_clock(ns, 80.0 * 366.0 * 86_400.0).await;
    let key = session_key(&server, ns, "x").await;
    let confirm = [
        ("sessionKey", key.as_str()),
        ("account", "411111abcdef1111"),
        ("amount", "10"),
        ("speed", "card"),
    ];
    let refused = ui_post(&server, &withdraw_path(ns, ""), &confirm).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(refused.text().contains("expired"), "{}", refused.text());
    assert_eq!(balance(&server, ns).await, 1_000_000);
}
