//! A state file named through a symlink is the file itself: its lock, its log and its saves
//! are the target's, so a second server through the link is refused and a save keeps the link.

use serde_json::json;
use vendor_sandbox::config::StateSync;

use super::state_dir;
use crate::harness::TestServer;

const NS: &str = "linked";

#[tokio::test]
async fn a_state_file_named_through_a_symlink_is_locked_and_saved_as_itself() {
    let dir = state_dir("symlink");
    let real = dir.join("state.json");
    let link = dir.join("link.json");
    // A link to a file not made yet.
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let through = |path: std::path::PathBuf| {
        move |c: &mut vendor_sandbox::Config| {
            c.state_file = Some(path);
            c.state_sync = StateSync::Always;
        }
    };
    let server = TestServer::start_with(through(link.clone())).await;
    let body = json!({"data": {"attributes": {"reference-id": "through-the-link"}}});
    let created = server
        .persona(NS, "POST", "/api/v1/accounts", Some(body))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());

    // Another start on the file itself finds it in use.
    let mut config = vendor_sandbox::Config::default();
    through(real.clone())(&mut config);
    let refused = vendor_sandbox::server::load_state(&config)
        .err()
        .expect("the file is in use");
    assert!(
        refused.to_string().contains("another vendor-sandbox"),
        "{refused}"
    );
    server.stop().await;

    let kept = std::fs::symlink_metadata(&link).expect("the link");
    assert!(kept.file_type().is_symlink(), "the save replaced the link");
    let saved = std::fs::read_to_string(&real).expect("the file itself");
    assert!(saved.contains("through-the-link"), "{saved}");
    // Through the link again: the same file, loaded.
    let again = TestServer::start_with(through(link.clone())).await;
    let listed = again.persona(NS, "GET", "/api/v1/accounts", None).await;
    assert!(
        listed.text().contains("through-the-link"),
        "{}",
        listed.text()
    );
    again.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
