//! The withdraw-history page (what CoinflowWithdrawHistory frames): the session user's payouts
//! as `GET /api/withdraw/history` has them, newest first, with the SDK's height messages.

use super::super::payouts::{payout, payout_body};
use super::*;

#[tokio::test]
async fn the_history_page_shows_the_apis_history() {
    let server = ui_server().await;
    let ns = "ui-history";
    verified_user(&server, ns, "h").await;
    let key = session_key(&server, ns, "h").await;
    // The SDK's URL: `/<blockchain>/history/withdraw/<merchantId>`, the namespace in the key.
    let path = format!("/user/history/withdraw/test-merchant?sessionKey={key}&useHeightChange=hh");
    let empty = ui_get(&server, &path).await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert!(empty.text().contains("id=\"empty\""), "{}", empty.text());
    assert!(empty.text().contains("data-height-id=\"hh\""));
    assert!(messages(&empty).is_empty(), "only loaded and heightChange");

    let account = add_bank(&server, ns, "h").await;
    for (cents, key) in [(1_250, "h1"), (3_000, "h2")] {
        let paid = payout(&server, ns, &payout_body("h", &account, "asap", cents, key)).await;
        assert_eq!(paid.status, 200, "{}", paid.text());
    }
    let api = as_user(&server, "GET", "/api/withdraw/history", ns, "h")
        .send()
        .await
        .json();
    let transactions: Vec<&str> = (api["withdraws"].as_array().expect("withdraws").iter())
        .map(|w| w["transaction"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(transactions.len(), 2, "{api}");
    let page = ui_get(&server, &path).await;
    let html = page.text();
    assert_eq!(page.status, 200, "{html}");
    // The same payouts in the same order (newest first), with their amounts.
    let shown: Vec<usize> = (transactions.iter())
        .map(|t| html.find(&format!("data-transaction=\"{t}\"")).expect(t))
        .collect();
    assert!(shown[0] < shown[1], "{html}");
    assert!(html.contains("$30.00") && html.contains("$12.50"), "{html}");
    assert!(html.contains("data-status=\"pending\""), "{html}");

    // Without a session key, the page says what it needs.
    let anon = ui_get(&server, "/user/history/withdraw/test-merchant").await;
    assert_eq!(anon.status, 401, "{}", anon.text());
}
