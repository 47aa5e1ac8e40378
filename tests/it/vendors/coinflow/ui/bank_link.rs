//! The bank-link page (what CoinflowBankLink frames): linking an account, a canceled link, a
//! refusal a scenario picks.

use super::*;

#[tokio::test]
async fn the_bank_link_page_links_cancels_and_reports_refusals() {
    let server = ui_server().await;
    let ns = "ui-link";
    verified_user(&server, ns, "l").await;
    let key = session_key(&server, ns, "l").await;
    let path = format!("/ns/{ns}/solana/checkout-link/test-merchant");
    let page = ui_get(
        &server,
        &format!("{path}?sessionKey={key}&bankLinkOnly=true"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("id=\"bank-form\""), "{}", page.text());
    assert!(messages(&page).is_empty());

    let linked = ui_post(&server, &path, &bank_fields(&key, "021000021", "Savings")).await;
    assert_eq!(linked.status, 200, "{}", linked.text());
    let sent = messages(&linked);
    assert_eq!(sent[0]["method"], "accountLinked");
    assert_eq!(sent[0]["info"]["type"], "bank");
    let w = as_user(&server, "GET", "/api/withdraw", ns, "l")
        .send()
        .await;
    assert_eq!(
        w.json()["withdrawer"]["bankAccounts"][0]["token"],
        sent[0]["info"]["tokens"][0]
    );

    let canceled = ui_get(&server, &format!("{path}?sessionKey={key}&linkCanceled=1")).await;
    assert_eq!(
        messages(&canceled)[0],
        json!({"method": "accountNotLinked", "data": "", "info": {"type": "bank", "reason": "canceled"}})
    );

    select(&server, ns, "bank-account-refused").await;
    let refused = ui_post(&server, &path, &bank_fields(&key, "021000021", "Other")).await;
    assert_eq!(refused.status, 400);
    assert_eq!(messages(&refused)[0]["info"]["reason"], "failed");
    assert_eq!(bank_accounts(&server, ns, "l").await, Some(1));
}
