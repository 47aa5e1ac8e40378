//! The withdraw page steered as the API is: payout scenarios (`payout-stuck`,
//! `payout-returned`) and magic amounts.

use super::*;

#[tokio::test]
async fn scenarios_and_magic_amounts_steer_the_page_as_the_api() {
    let server = ui_server().await;
    let confirm = |key: String, token: String, amount: &'static str| {
        vec![
            ("sessionKey", key),
            ("account", token),
            ("amount", amount.to_string()),
            ("speed", "asap".to_string()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>, ns: &'static str| {
        let server = &server;
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ui_post(server, &withdraw_path(ns, ""), &refs).await
        }
    };

    let ns = "ui-stuck";
    select(&server, ns, "payout-stuck").await;
    verified_user(&server, ns, "s").await;
    let (key, token) = (
        session_key(&server, ns, "s").await,
        add_bank(&server, ns, "s").await,
    );
    let short = send(confirm(key.clone(), token.clone(), "100"), ns).await;
    assert_eq!(short.status, 402, "{}", short.text());
    assert!(short.text().contains("Insufficient Funds"));
    let stuck = send(confirm(key, token, "20"), ns).await;
    assert_eq!(messages(&stuck)[0]["method"], "success");
    advance(&server, ns, 3600.0).await;
    let history = as_user(&server, "GET", "/api/withdraw/history", ns, "s")
        .send()
        .await;
    assert_eq!(history.json()["withdraws"][0]["status"], "pending");

    let ns = "ui-returned";
    select(&server, ns, "payout-returned").await;
    verified_user(&server, ns, "r").await;
    let (key, token) = (
        session_key(&server, ns, "r").await,
        add_bank(&server, ns, "r").await,
    );
    let accepted = send(confirm(key.clone(), token.clone(), "20"), ns).await;
    assert_eq!(messages(&accepted)[0]["method"], "success");
    advance(&server, ns, 31.0).await;
    let history = as_user(&server, "GET", "/api/withdraw/history", ns, "r")
        .send()
        .await;
    assert_eq!(history.json()["withdraws"][0]["status"], "failed");

    let ns = "ui-magic";
    verified_user(&server, ns, "m").await;
    let (key, token) = (
        session_key(&server, ns, "m").await,
        add_bank(&server, ns, "m").await,
    );
    let magic = send(confirm(key, token, "402.00"), ns).await;
    assert_eq!(magic.status, 402, "{}", magic.text());
}
