//! A Bitmama card user's hosted flow, started before a restart on another port, returns through
//! the restarted server, not the address of the one that saved it.

use std::path::PathBuf;

use super::{BITMAMA_KEY, state_dir};
use crate::harness::{TestServer, card_user_body};

const NS: &str = "moved";

#[tokio::test]
async fn a_bitmama_hosted_flow_returns_through_the_restarted_server() {
    let dir = state_dir("bitmama-urls");
    let path = dir.join("state.json");
    let with_file = |path: PathBuf| move |c: &mut vendor_sandbox::Config| c.state_file = Some(path);
    let first = TestServer::start_with(with_file(path.clone())).await;
    let user = first
        .post(&format!("/ns/{NS}/api/v2/partner/card/users"))
        .header("authorization", BITMAMA_KEY)
        .header("idempotency-key", "550e8400-e29b-41d4-a716-446655440000")
        .json(&card_user_body("moved@example.com"))
        .send()
        .await;
    assert_eq!(user.status, 201, "{}", user.text());
    let url = user.json()["data"]["verificationUrl"]
        .as_str()
        .expect("verificationUrl")
        .to_string();
    let inquiry_id = url
        .split_once("inquiry-id=")
        .map(|(_, id)| id.to_string())
        .expect("an inquiry id");
    first.stop().await;

    // Port 0 again: another port.
    let second = TestServer::start_with(with_file(path.clone())).await;
    let done = second
        .post(&format!("/ns/{NS}/verify/{inquiry_id}"))
        .form(&[("outcome", "approve")])
        .send()
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    let back = done.header("location").expect("location");
    assert!(
        back.starts_with(&second.url(&format!("/ns/{NS}/bitmama/kyc/return?"))),
        "{back}"
    );
    second.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
