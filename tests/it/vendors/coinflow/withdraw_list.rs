//! Get Withdraws (`GET /api/merchant/withdraws`): pages that end, sorting, the date window,
//! the filters, and 400s naming the parameter.

use serde_json::Value;

use super::accounts::{add_bank, verified_user};
use super::payouts::{as_merchant, payout, payout_body};
use super::*;

/// The payouts `GET /api/merchant/withdraws?{query}` answers.
async fn listed(server: &TestServer, ns: &str, query: &str) -> Vec<Value> {
    let r = as_merchant(
        server,
        "GET",
        &format!("/api/merchant/withdraws?{query}"),
        ns,
    )
    .send()
    .await;
    assert_eq!(r.status, 200, "{query}: {}", r.text());
    match r.json() {
        Value::Array(list) => list,
        other => panic!("{query}: not an array: {other}"),
    }
}

/// The amounts (cents) of the payouts `GET /api/merchant/withdraws?{query}` answers.
async fn amounts(server: &TestServer, ns: &str, query: &str) -> Vec<i64> {
    (listed(server, ns, query).await.iter())
        .map(|w| w["amount"]["cents"].as_i64().unwrap_or(-1))
        .collect()
}

/// Three payouts 10 s of sandbox time apart: 300, 100, 200 cents, in that order. Answers their
/// `createdAt`s.
async fn three_payouts(server: &TestServer, ns: &str) -> Vec<String> {
    verified_user(server, ns, "lister").await;
    let account = add_bank(server, ns, "lister").await;
    let mut created = Vec::new();
    for (i, cents) in [300, 100, 200].into_iter().enumerate() {
        let body = payout_body("lister", &account, "standard", cents, &format!("k{i}"));
        let paid = payout(server, ns, &body).await;
        assert_eq!(paid.status, 200, "{}", paid.text());
        let signature = paid.json()["signature"].as_str().unwrap_or("").to_string();
        let got = as_merchant(
            server,
            "GET",
            &format!("/api/merchant/withdraws/{signature}"),
            ns,
        )
        .send()
        .await;
        let at = got.json()["withdrawal"]["createdAt"]
            .as_str()
            .map(String::from);
        created.push(at.unwrap_or_else(|| panic!("no createdAt: {}", got.text())));
        server.advance_clock(ns, 10.0).await;
    }
    created
}

#[tokio::test]
async fn pages_follow_each_other_and_run_out() {
    let server = TestServer::start().await;
    let ns = "cf-list-pages";
    three_payouts(&server, ns).await;
    assert_eq!(
        amounts(&server, ns, "").await,
        [200, 100, 300],
        "newest first"
    );
    let mut seen = Vec::new();
    for page in 1.. {
        let got = amounts(&server, ns, &format!("limit=1&page={page}")).await;
        if got.is_empty() {
            break;
        }
        assert!(page <= 3, "page {page} should be empty: {got:?}");
        seen.extend(got);
    }
    assert_eq!(seen, [200, 100, 300], "each payout once, in order");
    assert_eq!(amounts(&server, ns, "limit=2&page=2").await, [300]);
    // Without a limit the one page is everything.
    assert_eq!(amounts(&server, ns, "page=2").await, Vec::<i64>::new());
}

#[tokio::test]
async fn sorting_and_the_date_window() {
    let server = TestServer::start().await;
    let ns = "cf-list-sort";
    let created = three_payouts(&server, ns).await;
    assert_eq!(
        amounts(&server, ns, "sortDirection=1").await,
        [300, 100, 200]
    );
    assert_eq!(
        amounts(&server, ns, "sortBy=createdAt&sortDirection=-1").await,
        [200, 100, 300]
    );
    assert_eq!(
        amounts(&server, ns, "sortBy=amount&sortDirection=1").await,
        [100, 200, 300]
    );
    assert_eq!(amounts(&server, ns, "sortBy=amount").await, [300, 200, 100]);
    assert_eq!(
        amounts(&server, ns, "sortBy=amount&sortDirection=1&limit=2&page=2").await,
        [300]
    );

    let second = &created[1];
    assert_eq!(
        amounts(&server, ns, &format!("since={second}")).await,
        [200, 100]
    );
    assert_eq!(
        amounts(&server, ns, &format!("until={second}")).await,
        [100, 300]
    );
    let only = format!("since={second}&until={second}");
    assert_eq!(amounts(&server, ns, &only).await, [100]);
    assert_eq!(
        amounts(&server, ns, "until=2000-01-01").await,
        Vec::<i64>::new()
    );
    // A date alone takes its whole day in, as either bound.
    let day = &second[..10];
    let that_day = format!("since={day}&until={day}");
    assert_eq!(amounts(&server, ns, &that_day).await.len(), 3, "{that_day}");
    assert_eq!(
        amounts(&server, ns, "since=2100-01-01T00:00:00Z").await,
        Vec::<i64>::new()
    );
}

#[tokio::test]
async fn filters_by_status_speed_provider_and_merchant() {
    let server = TestServer::start().await;
    let ns = "cf-list-filters";
    three_payouts(&server, ns).await;
    let account = add_bank(&server, ns, "lister").await;
    let fast = payout(
        &server,
        ns,
        &payout_body("lister", &account, "asap", 400, "fast"),
    )
    .await;
    assert_eq!(fast.status, 200, "{}", fast.text());
    // asap settles after 10 s; standard stays pending for days.
    server.advance_clock(ns, 11.0).await;

    assert_eq!(amounts(&server, ns, "speed=asap").await, [400]);
    assert_eq!(
        amounts(&server, ns, "speed=standard").await,
        [200, 100, 300]
    );
    // In the spec's WithdrawSpeed, but nothing was paid at it.
    assert_eq!(amounts(&server, ns, "speed=iban").await, Vec::<i64>::new());
    assert_eq!(amounts(&server, ns, "status=completed").await, [400]);
    assert_eq!(
        amounts(&server, ns, "status=pending").await,
        [200, 100, 300]
    );
    assert_eq!(
        amounts(&server, ns, "status=in_review").await,
        Vec::<i64>::new()
    );

    let all = listed(&server, ns, "").await;
    let provider = all[0]["provider"].as_str().expect("provider").to_string();
    assert_eq!(
        amounts(&server, ns, &format!("provider={provider}"))
            .await
            .len(),
        4
    );
    assert_eq!(
        amounts(&server, ns, "provider=checkbook").await,
        Vec::<i64>::new()
    );

    // The merchant by its id (the user wallet's `<merchantId>ʬ<userId>`) or its `_id`.
    let wallet = all[0]["wallet"].as_str().expect("wallet");
    let merchant_id = wallet.split('ʬ').next().expect("merchant id");
    let object_id = all[0]["merchant"].as_str().expect("merchant");
    for id in [merchant_id, object_id] {
        let query = format!("merchantId={}", crate::harness::encode(id));
        assert_eq!(amounts(&server, ns, &query).await.len(), 4, "{query}");
    }
    let other = amounts(&server, ns, "merchantId=another-merchant").await;
    assert_eq!(other, Vec::<i64>::new());
    assert_eq!(
        amounts(&server, ns, "status=pending&speed=standard&sortBy=amount").await,
        [300, 200, 100]
    );
    schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn bad_values_are_refused_naming_the_parameter() {
    let server = TestServer::start().await;
    let ns = "cf-list-bad";
    for (query, name) in [
        ("page=0", "page"),
        ("page=two", "page"),
        ("limit=0", "limit"),
        ("limit=1.5", "limit"),
        ("sortBy=status", "sortBy"),
        ("sortDirection=2", "sortDirection"),
        ("since=yesterday", "since"),
        ("until=2024-02-30", "until"),
        ("since=2024-05-02&until=2024-05-01", "since"),
        ("status=done", "status"),
        ("status=Pending", "status"),
        ("speed=fast", "speed"),
        ("speed=", "speed"),
    ] {
        let r = as_merchant(
            &server,
            "GET",
            &format!("/api/merchant/withdraws?{query}"),
            ns,
        )
        .send()
        .await;
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        let body: Value = r.json();
        assert_nest_error(&body, 400, "/api/merchant/withdraws", "GET");
        assert!(message(&body).starts_with(name), "{query}: {body}");
        // The bad value is quoted (a window the wrong way round is two good values).
        let value = query.rsplit('=').next().unwrap_or("");
        if !query.contains('&') {
            assert!(
                message(&body).contains(&format!("{value:?}")),
                "{query}: {body}"
            );
        }
    }
    schema::assert_bodies_valid(&server).await;
}

/// A parameter a list does not declare (a misspelt filter) is refused, 400 naming it, not
/// ignored into a list of everything; so is one given twice (which value would filter?).
#[tokio::test]
async fn undeclared_or_repeated_parameters_are_refused_naming_them() {
    let server = TestServer::start().await;
    let ns = "cf-list-undeclared";
    three_payouts(&server, ns).await;
    for (path, query, name) in [
        ("/api/merchant/withdraws", "userId=lister", "userId"),
        (
            "/api/merchant/withdraws",
            "status%5B%5D=completed",
            "status[]",
        ),
        (
            "/api/merchant/withdraws",
            "status=pending&status=completed",
            "status",
        ),
        ("/api/merchant/withdrawers", "limit=1", "limit"),
        ("/api/merchant/webhooks", "foo=1", "foo"),
        ("/api/merchant/webhooks", "page=1&page=2", "page"),
    ] {
        let r = as_merchant(&server, "GET", &format!("{path}?{query}"), ns)
            .send()
            .await;
        assert_eq!(r.status, 400, "{path}?{query}: {}", r.text());
        let body: Value = r.json();
        assert_nest_error(&body, 400, path, "GET");
        assert!(message(&body).contains(name), "{path}?{query}: {body}");
    }
    // The user's history takes no query at all.
    let r = as_user(&server, "GET", "/api/withdraw/history?page=0", ns, "lister")
        .send()
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_nest_error(&r.json(), 400, "/api/withdraw/history", "GET");
    assert!(message(&r.json()).contains("page"), "{}", r.text());
    // What the spec declares is still taken.
    assert_eq!(
        amounts(&server, ns, "search=lister&limit=2").await,
        [200, 100]
    );
    schema::assert_bodies_valid(&server).await;
}
