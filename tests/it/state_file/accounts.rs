//! Which account a reference id finds survives a restart: the one given it last, not the one
//! made last.

use serde_json::{Value, json};

use super::state_dir;
use crate::harness::TestServer;

const NS: &str = "accounts-kept";

/// Creates an account with `reference`; its id.
async fn account(server: &TestServer, reference: &str) -> String {
    let body = json!({"data": {"attributes": {"reference-id": reference}}});
    let created = server
        .persona(NS, "POST", "/api/v1/accounts", Some(body))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// The account an inquiry made with `reference` is linked to.
async fn account_found(server: &TestServer, reference: &str) -> Value {
    let body = json!({"data": {"attributes": {
        "inquiry-template-id": "itmpl_kept", "reference-id": reference,
    }}});
    let created = server
        .persona(NS, "POST", "/api/v1/inquiries", Some(body))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["data"]["relationships"]["account"]["data"]["id"].clone()
}

#[tokio::test]
async fn the_account_given_a_reference_last_is_found_after_a_restart() {
    let dir = state_dir("accounts");
    let path = dir.join("state.json");
    let with_file =
        |path: std::path::PathBuf| move |c: &mut vendor_sandbox::Config| c.state_file = Some(path);
    let first = TestServer::start_with(with_file(path.clone())).await;
    let older = account(&first, "shared").await;
    let newer = account(&first, "shared").await;
    assert_eq!(account_found(&first, "shared").await, newer.as_str());
    // The older account is given the reference again: now it is the one found.
    let patch = json!({"data": {"attributes": {"reference-id": "shared"}}});
    let patched = first
        .persona(
            NS,
            "PATCH",
            &format!("/api/v1/accounts/{older}"),
            Some(patch),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(account_found(&first, "shared").await, older.as_str());
    first.stop().await;

    let second = TestServer::start_with(with_file(path.clone())).await;
    assert_eq!(account_found(&second, "shared").await, older.as_str());
    second.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
