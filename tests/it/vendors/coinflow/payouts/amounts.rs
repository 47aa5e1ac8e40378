//! How a payout's `amount.cents` may be written: an integer as JSON Schema counts one.

use super::*;

/// `amount.cents` as JSON Schema counts integers: `1000.0` and `1e4` are whole numbers (Node
/// reads them as `1000` and `10000`); a fraction or a number past any balance is refused.
#[tokio::test]
async fn whole_number_cents_may_be_written_as_floats() {
    let server = TestServer::start().await;
    let ns = "cf-payout-float-cents";
    verified_user(&server, ns, "payee").await;
    let account = add_bank(&server, ns, "payee").await;
    let body = |cents: &str, key: &str| {
        format!(
            r#"{{"userId":"payee","account":"{account}","speed":"standard","amount":{{"cents":{cents}}},"idempotencyKey":"{key}"}}"#
        )
    };
    let send = |path: &'static str, text: String| {
        as_merchant(&server, "POST", path, ns)
            .header("content-type", "application/json")
            .body(text)
            .send()
    };
    let quote = send(
        "/api/merchant/withdraws/payout/delegated/quote",
        body("1000.0", "q"),
    )
    .await;
    assert_eq!(quote.status, 200, "{}", quote.text());
    assert_eq!(quote.json()["userPayout"]["cents"], 1000);
    let paid = send(
        "/api/merchant/withdraws/payout/delegated",
        body("1e4", "k1"),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.text());
    let signature = paid.json()["signature"].as_str().unwrap_or("").to_string();
    assert_eq!(
        withdrawal(&server, ns, &signature).await["amount"]["cents"],
        10_000
    );
    for cents in ["1000.5", "1e308", "-1.0", "0.0"] {
        let refused = send(
            "/api/merchant/withdraws/payout/delegated",
            body(cents, cents),
        )
        .await;
        assert_eq!(refused.status, 400, "{cents}: {}", refused.text());
        assert!(
            refused.text().contains("amount.cents"),
            "{}",
            refused.text()
        );
    }
    schema::assert_bodies_valid(&server).await;
}
