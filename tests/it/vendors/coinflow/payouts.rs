//! Delegated payouts: quote, payout (balance debited, idempotency, 402, 451), status on the
//! sandbox clock, both histories, the Withdraw webhooks, and the magic amounts.

use serde_json::{Value, json};

use super::accounts::{add_bank, add_card, verified_user};
use super::sdk_webhooks::assert_signed;
use super::*;
use crate::harness::WebhookSink;
use vendor_sandbox::vendor::Vendor;

mod amounts;

/// A merchant request.
pub fn as_merchant(
    server: &TestServer,
    method: &str,
    path: &str,
    ns: &str,
) -> crate::harness::RequestBuilder {
    server
        .request(method, path)
        .header("authorization", KEY)
        .header("x-sandbox-namespace", ns)
}

pub fn payout_body(user: &str, account: &str, speed: &str, cents: i64, key: &str) -> Value {
    json!({"userId": user, "account": account, "speed": speed, "amount": {"cents": cents},
        "idempotencyKey": key})
}

pub async fn balance(server: &TestServer, ns: &str) -> i64 {
    let r = as_merchant(server, "GET", "/api/merchant/withdraws/payout/balance", ns)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["balance"]["cents"].as_i64().unwrap()
}

pub async fn payout(server: &TestServer, ns: &str, body: &Value) -> crate::harness::TestResponse {
    as_merchant(
        server,
        "POST",
        "/api/merchant/withdraws/payout/delegated",
        ns,
    )
    .json(body)
    .send()
    .await
}

async fn withdrawal(server: &TestServer, ns: &str, id: &str) -> Value {
    let r = as_merchant(server, "GET", &format!("/api/merchant/withdraws/{id}"), ns)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["withdrawal"].clone()
}

#[tokio::test]
async fn a_payout_is_quoted_debited_once_and_settles_by_its_speed() {
    let server = TestServer::start().await;
    let ns = "cf-payout";
    verified_user(&server, ns, "payee").await;
    let account = add_bank(&server, ns, "payee").await;
    let start = balance(&server, ns).await;
    assert_eq!(start, 1_000_000);

    let quote = as_merchant(
        &server,
        "POST",
        "/api/merchant/withdraws/payout/delegated/quote",
        ns,
    )
    .json(&payout_body(
        "payee", &account, "standard", 10_000, "unused",
    ))
    .send()
    .await;
    assert_eq!(quote.status, 200, "{}", quote.text());
    let quote = quote.json();
    assert_eq!(quote["merchantFees"]["cents"], 25);
    assert_eq!(quote["totalMerchantDebit"]["cents"], 10_025);
    assert_eq!(quote["userPayout"]["cents"], 10_000);
    assert_eq!(quote["asap"]["fee"]["cents"], 200);
    assert_eq!(quote["wire"]["limit"]["cents"], 0);

    let body = payout_body("payee", &account, "standard", 10_000, "key-1");
    let paid = payout(&server, ns, &body).await;
    assert_eq!(paid.status, 200, "{}", paid.text());
    let paid = paid.json();
    assert_eq!(paid["effectiveSpeed"], "standard");
    let signature = paid["signature"].as_str().unwrap().to_string();
    assert_eq!(balance(&server, ns).await, start - 10_025);
    // The same idempotency key is answered once.
    let again = payout(&server, ns, &body).await;
    assert_eq!(again.json(), paid);
    assert_eq!(balance(&server, ns).await, start - 10_025);
    // Another payout under the same key is refused, not answered as the first.
    let other = payout_body("payee", &account, "standard", 20_000, "key-1");
    let refused = payout(&server, ns, &other).await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    let message = refused.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("idempotencyKey") && message.contains("10000"),
        "{message}"
    );
    assert_eq!(balance(&server, ns).await, start - 10_025);

    let w = withdrawal(&server, ns, &signature).await;
    assert_eq!(w["status"], "pending");
    let transfer = w["transferId"].as_str().unwrap().to_string();
    assert_eq!(
        withdrawal(&server, ns, &transfer).await["transaction"],
        signature.as_str()
    );
    let missing = as_merchant(&server, "GET", "/api/merchant/withdraws/nope", ns)
        .send()
        .await;
    assert_eq!(missing.status, 404);

    advance(&server, ns, 71.0 * 3600.0).await;
    assert_eq!(
        withdrawal(&server, ns, &signature).await["status"],
        "pending"
    );
    advance(&server, ns, 3600.0).await;
    assert_eq!(
        withdrawal(&server, ns, &signature).await["status"],
        "completed"
    );

    let list = as_merchant(
        &server,
        "GET",
        "/api/merchant/withdraws?status=completed",
        ns,
    )
    .send()
    .await
    .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let history = as_user(&server, "GET", "/api/withdraw/history", ns, "payee")
        .send()
        .await;
    assert_eq!(history.status, 200, "{}", history.text());
    assert_eq!(
        history.json()["withdraws"][0]["transaction"],
        signature.as_str()
    );

    // A deleted account cannot be paid to; a card account only at `card` speed.
    as_user(
        &server,
        "DELETE",
        &format!("/api/withdraw/account/{account}"),
        ns,
        "payee",
    )
    .send()
    .await;
    let gone = payout(
        &server,
        ns,
        &payout_body("payee", &account, "standard", 100, "key-2"),
    )
    .await;
    assert_eq!(gone.status, 400, "{}", gone.text());

    let quote = as_user(
        &server,
        "GET",
        "/api/withdraw/quote?token=USDC&amount=12.5&merchantId=m",
        ns,
        "payee",
    )
    .send()
    .await;
    assert_eq!(quote.status, 200, "{}", quote.text());
    assert_eq!(quote.json()["quote"]["cents"], 1250);
    schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn short_balance_is_402_and_an_unverified_user_451() {
    let server = TestServer::start_with(|c| c.coinflow.payout_balance_cents = 5_000).await;
    let ns = "cf-payout-402";
    verified_user(&server, ns, "poor").await;
    let account = add_bank(&server, ns, "poor").await;
    let short = payout(
        &server,
        ns,
        &payout_body("poor", &account, "standard", 10_000, "k"),
    )
    .await;
    assert_eq!(short.status, 402, "{}", short.text());
    assert_eq!(balance(&server, ns).await, 5_000);
    let magic = payout(
        &server,
        ns,
        &payout_body("poor", &account, "standard", 40_200, "k"),
    )
    .await;
    assert_eq!(magic.status, 402);
    let ok = payout(
        &server,
        ns,
        &payout_body("poor", &account, "standard", 4_000, "k"),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text());

    let doc = as_user(&server, "POST", "/api/withdraw/kyc", ns, "doc")
        .json(&json!({"email": "doc@x.io", "country": "US"}))
        .send()
        .await;
    assert_eq!(doc.status, 451);
    let refused = payout(
        &server,
        ns,
        &payout_body("doc", "any", "standard", 100, "k2"),
    )
    .await;
    assert_eq!(refused.status, 451, "{}", refused.text());
    assert!(refused.json()["verificationLink"].is_string());
    schema::assert_component(
        "PayoutFromDelegatedSettlementWalletRequestUnavailableForLegalReasonsError",
        &refused.json(),
    );
    schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn withdraw_webhooks_report_pending_then_success_or_failure() {
    let (mut sink, server) = super::hooked_server("/hook").await;
    let ns = "cf-payout-hooks";
    verified_user(&server, ns, "hooked").await;
    let account = add_bank(&server, ns, "hooked").await;
    let start = balance(&server, ns).await;
    let returned = payout(
        &server,
        ns,
        &payout_body("hooked", &account, "asap", 66_600, "r"),
    )
    .await;
    assert_eq!(returned.status, 200, "{}", returned.text());
    let signature = returned.json()["signature"].as_str().unwrap().to_string();
    let stays = payout(
        &server,
        ns,
        &payout_body("hooked", &account, "asap", 77_700, "p"),
    )
    .await;
    let stays = stays.json()["signature"].as_str().unwrap().to_string();
    let is_withdraw = |h: &crate::harness::ReceivedWebhook| h.json()["category"] == "Withdraw";
    let pending = sink.next_matching(is_withdraw).await;
    assert_signed(&pending, "key");
    assert_eq!(pending.json()["eventType"], "Withdraw Pending");
    schema::assert_withdraw_webhook(&pending.json());
    let _second_pending = sink.next_matching(is_withdraw).await;

    advance(&server, ns, 3600.0).await;
    let failure = sink.next_matching(is_withdraw).await;
    assert_signed(&failure, "key");
    let body = failure.json();
    assert_eq!(body["eventType"], "Withdraw Failure");
    assert_eq!(body["data"]["signature"], signature.as_str());
    schema::assert_withdraw_webhook(&body);
    let w = withdrawal(&server, ns, &signature).await;
    assert_eq!(w["status"], "failed");
    assert_eq!(w["returnStatus"], "return_completed");
    assert_eq!(withdrawal(&server, ns, &stays).await["status"], "pending");
    // The failed payout's debit came back; the pending one's did not.
    let asap_fee = 150 + (77_700 * 5 + 999) / 1000;
    assert_eq!(balance(&server, ns).await, start - 77_700 - asap_fee);
    schema::assert_bodies_valid(&server).await;
}

/// Milliseconds between two of Coinflow's ISO 8601 times.
fn ms_between(from: &Value, to: &Value) -> i64 {
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or(""))
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .timestamp_millis()
    };
    at(to) - at(from)
}

/// Settlement is lazy: a clock moved far past two payouts' due times settles each at the moment
/// it fell due, the faster one first, and their webhooks say so.
#[tokio::test]
async fn payouts_settle_when_they_fell_due_not_when_the_clock_was_moved() {
    let mut sink = WebhookSink::start().await;
    let url = sink.url("/hook");
    let server = TestServer::start_with(|c| c.webhooks.targets.push((Vendor::Coinflow, url))).await;
    let ns = "cf-payout-due";
    verified_user(&server, ns, "late").await;
    let account = add_bank(&server, ns, "late").await;
    let slow = payout(
        &server,
        ns,
        &payout_body("late", &account, "standard", 500, "s"),
    )
    .await;
    let slow = slow.json()["signature"].as_str().unwrap_or("").to_string();
    let fast = payout(
        &server,
        ns,
        &payout_body("late", &account, "asap", 66_600, "f"),
    )
    .await;
    let fast = fast.json()["signature"].as_str().unwrap_or("").to_string();
    let is_withdraw = |h: &crate::harness::ReceivedWebhook| h.json()["category"] == "Withdraw";
    for _ in 0..2 {
        assert_eq!(
            sink.next_matching(is_withdraw).await.json()["eventType"],
            "Withdraw Pending"
        );
    }

    advance(&server, ns, 4.0 * 86_400.0).await;
    // asap after 10 s (returned by the bank: 66600), standard after 72 h.
    for (signature, after_ms, status) in [
        (&fast, 10_000, "failed"),
        (&slow, 72 * 3_600_000, "completed"),
    ] {
        let w = withdrawal(&server, ns, signature).await;
        assert_eq!(w["status"], status, "{w}");
        assert_eq!(
            ms_between(&w["createdAt"], &w["updatedAt"]),
            after_ms,
            "{w}"
        );
        let hook = sink.next_matching(is_withdraw).await.json();
        assert_eq!(
            hook["data"]["signature"],
            signature.as_str(),
            "fastest first: {hook}"
        );
        assert_eq!(hook["created"], w["updatedAt"], "{hook}");
        if status == "failed" {
            assert_eq!(hook["eventType"], "Withdraw Failure");
            assert_eq!(w["returnedAt"], w["updatedAt"], "{w}");
        }
    }
    schema::assert_bodies_valid(&server).await;
}

/// A payout settles when it falls due in real time, not at the next request: its Withdraw
/// Success reaches the receiver though nothing else is asked of the namespace.
#[tokio::test]
async fn a_payout_settles_when_it_falls_due_with_no_request() {
    let (mut sink, server) = super::hooked_server("/hook").await;
    let ns = "cf-payout-timer";
    verified_user(&server, ns, "timed").await;
    let account = add_bank(&server, ns, "timed").await;
    let made = payout(
        &server,
        ns,
        &payout_body("timed", &account, "asap", 500, "t"),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.text());
    let signature = made.json()["signature"].as_str().unwrap_or("").to_string();
    let is_withdraw = |h: &crate::harness::ReceivedWebhook| h.json()["category"] == "Withdraw";
    let pending = sink.next_matching(is_withdraw).await.json();
    assert_eq!(pending["eventType"], "Withdraw Pending");
    // Due 10 s after it was made: 8 s of sandbox time now leaves about 2 s of real time.
    advance(&server, ns, 8.0).await;
    let success = sink.next_matching(is_withdraw).await.json();
    assert_eq!(success["eventType"], "Withdraw Success", "{success}");
    assert_eq!(success["data"]["signature"], signature.as_str());
    assert_eq!(
        ms_between(&pending["created"], &success["created"]),
        10_000,
        "stamped when it fell due: {success}"
    );
}

/// The speeds a delegated quote prices for an account are the ones a payout to it takes: a
/// bank account's quote has no card speed, a card's only the card speed.
#[tokio::test]
async fn a_quote_prices_only_the_speeds_its_account_is_paid_at() {
    let server = TestServer::start().await;
    let ns = "cf-quote-kinds";
    verified_user(&server, ns, "kinds").await;
    let bank = add_bank(&server, ns, "kinds").await;
    let card = json!({"cardToken": "411111TOKEN1111", "expMonth": "12", "expYear": "99"});
    let added = add_card(&server, ns, "kinds", card).await;
    assert_eq!(added.status, 200, "{}", added.text());
    for (account, speed) in [(bank.as_str(), "standard"), ("411111TOKEN1111", "card")] {
        let body = payout_body("kinds", account, speed, 1_000, "unused");
        let quote = as_merchant(
            &server,
            "POST",
            "/api/merchant/withdraws/payout/delegated/quote",
            ns,
        )
        .json(&body)
        .send()
        .await;
        assert_eq!(quote.status, 200, "{}", quote.text());
        let quote = quote.json();
        for (n, other) in ["standard", "same_day", "asap", "card"]
            .into_iter()
            .enumerate()
        {
            let body = payout_body("kinds", account, other, 1_000, &format!("{speed}-{n}"));
            let paid = payout(&server, ns, &body).await;
            let priced = quote[other]["limit"]["cents"].as_i64().unwrap_or(0) > 0;
            assert_eq!(
                paid.status == 200,
                priced,
                "{speed} account at {other}: quoted {}, paid {}",
                quote[other],
                paid.text()
            );
        }
    }
    schema::assert_bodies_valid(&server).await;
}

/// The user's own quote takes the spec's `accountToken` (only that account's speeds priced; an
/// account they do not have is 404), `usePermit` (a boolean) and an `amount` of at least a cent.
#[tokio::test]
async fn the_users_quote_takes_its_account_and_use_permit() {
    let server = TestServer::start().await;
    let ns = "cf-user-quote";
    verified_user(&server, ns, "quoted").await;
    let bank = add_bank(&server, ns, "quoted").await;
    let card = json!({"cardToken": "411111TOKEN1111", "expMonth": "12", "expYear": "99"});
    assert_eq!(add_card(&server, ns, "quoted", card).await.status, 200);
    let quote = |extra: String| {
        let path = format!("/api/withdraw/quote?token=USDC&amount=10&merchantId=m{extra}");
        as_user(&server, "GET", &path, ns, "quoted").send()
    };
    let limit = |q: &Value, speed: &str| q[speed]["limit"]["cents"].as_i64().unwrap_or(-1);
    let any = quote(String::new()).await.json();
    assert!(
        limit(&any, "card") > 0 && limit(&any, "standard") > 0,
        "{any}"
    );
    let to_bank = quote(format!("&accountToken={bank}&usePermit=false")).await;
    assert_eq!(to_bank.status, 200, "{}", to_bank.text());
    let to_bank = to_bank.json();
    assert!(
        limit(&to_bank, "card") == 0 && limit(&to_bank, "standard") > 0,
        "{to_bank}"
    );
    let to_card = quote("&accountToken=411111TOKEN1111".into()).await.json();
    assert!(
        limit(&to_card, "card") > 0 && limit(&to_card, "asap") == 0,
        "{to_card}"
    );

    let unknown = quote("&accountToken=nope".into()).await;
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert!(
        message(&unknown.json()).contains("nope"),
        "{}",
        unknown.text()
    );
    // Quoted in cents: an amount that rounds to none is refused, not quoted at 0.
    // The refusal says what is accepted: 0.005, which rounds to one cent, is.
    for amount in ["0.001", "0.004", "0.0049"] {
        let path = format!("/api/withdraw/quote?token=USDC&amount={amount}&merchantId=m");
        let tiny = as_user(&server, "GET", &path, ns, "quoted").send().await;
        assert_eq!(tiny.status, 400, "{amount}: {}", tiny.text());
        let said = message(&tiny.json());
        assert!(
            said.starts_with("amount") && said.contains("0.005 or more") && said.contains(amount),
            "{said}"
        );
    }
    let cent = "/api/withdraw/quote?token=USDC&amount=0.005&merchantId=m";
    let cent = as_user(&server, "GET", cent, ns, "quoted")
        .send()
        .await
        .json();
    assert_eq!(cent["quote"]["cents"], 1, "{cent}");
    let permit = quote("&usePermit=maybe".into()).await;
    assert_eq!(permit.status, 400, "{}", permit.text());
    assert!(
        message(&permit.json()).starts_with("usePermit"),
        "{}",
        permit.text()
    );
    schema::assert_bodies_valid(&server).await;
}
