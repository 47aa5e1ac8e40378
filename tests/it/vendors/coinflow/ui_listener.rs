//! The `--coinflow-ui-port` listener: it serves only Coinflow's web-app pages (and the API
//! listener never does), lets any page frame them, finds the namespace in the session key, and
//! is there in library mode when asked for.

use super::accounts::verified_user;
use super::as_user;
use super::ui::{session_key, ui_get, ui_server};

#[tokio::test]
async fn the_pages_are_served_on_the_ui_listener_only_and_may_be_framed() {
    let server = ui_server().await;
    let ns = "ui-listener";
    verified_user(&server, ns, "u1").await;
    let key = session_key(&server, ns, "u1").await;
    assert!(key.ends_with(&format!(".{ns}")), "{key}");
    // The SDK's URL names no namespace: the session key does.
    let path = format!("/solana/withdraw/test-merchant?sessionKey={key}&useHeightChange=abc");
    let page = ui_get(&server, &path).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("id=\"withdraw-form\""), "{html}");
    assert!(html.contains("data-height-id=\"abc\""), "{html}");
    assert!(html.contains("u1@x.io"), "{html}");
    let csp = page.header("content-security-policy").expect("csp");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(csp.ends_with("frame-ancestors *"), "{csp}");
    assert_eq!(page.header("x-frame-options"), None);

    let api = server.get(&path).send().await;
    assert_eq!(api.status, 404, "the API listener does not serve the pages");
    let on_ui = server.ui_request("GET", "/api/withdraw").send().await;
    assert_eq!(on_ui.status, 404, "the UI listener serves no API route");
    let admin = server.ui_request("GET", "/__admin/state").send().await;
    assert_eq!(admin.status, 404, "nor the admin API");
}

#[tokio::test]
async fn library_mode_serves_the_pages_when_asked() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let off = vendor_sandbox::Sandbox::start().await.expect("starts");
    assert_eq!(off.coinflow_ui_url(), None);
    let sandbox = vendor_sandbox::Sandbox::builder()
        .coinflow_ui_port(0)
        .start()
        .await
        .expect("starts");
    let url = sandbox.coinflow_ui_url().expect("a UI url");
    let port = url.strip_prefix("http://localhost:").expect("localhost");
    let mut stream = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .expect("connect");
    stream
        .write_all(
            b"GET /solana/checkout-link/m HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
        )
        .await
        .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("Session key required"), "{answer}");
}

#[tokio::test]
async fn a_scenarios_user_not_approved_shows_the_verification_page_instead_of_paying() {
    use super::accounts::add_bank;
    use crate::scenario::{TempDir, scenario};
    let dir = TempDir::new("ui-not-approved");
    dir.write(
        "not-approved.json",
        &scenario(
            "not-approved",
            "every payout: user not approved",
            serde_json::json!([{"when": {"vendor": "coinflow", "operation": "create_payout"},
                "then": {"outcome": "user_not_approved"}}]),
        ),
    );
    let ui = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind ui");
    let path = dir.0.clone();
    let server = crate::harness::TestServer::start_with_coinflow_ui_and(ui, move |c| {
        c.scenarios_dir = Some(path);
    })
    .await;
    let ns = "ui-not-approved";
    let selected = server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", ns)
        .json(&serde_json::json!({"name": "not-approved"}))
        .send()
        .await;
    assert_eq!(selected.status, 200, "{}", selected.text());
    verified_user(&server, ns, "n").await;
    let key = session_key(&server, ns, "n").await;
    let token = add_bank(&server, ns, "n").await;
    let page = server
        .ui_request("POST", &format!("/ns/{ns}/solana/withdraw/m"))
        .form(&[
            ("sessionKey", key.as_str()),
            ("account", token.as_str()),
            ("amount", "10"),
            ("speed", "standard"),
        ])
        .send()
        .await;
    let html = page.text();
    assert!(html.contains("Verification required"), "{html}");
    assert!(html.contains("id=\"verify\""), "{html}");
    let history = as_user(&server, "GET", "/api/withdraw/history", ns, "n")
        .send()
        .await;
    assert_eq!(history.json()["withdraws"], serde_json::json!([]));
}
