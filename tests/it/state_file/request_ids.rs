//! Persona's `Request-Id`s and the state file: drawing one is no change (a read writes nothing
//! to the log, and is answered on a full disk), and the ids handed out before a restart are not
//! handed out again after it, although their count is not saved.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use vendor_sandbox::config::StateSync;
use vendor_sandbox::state_file::log::log_path;

use super::state_dir;
use crate::harness::TestServer;

const NS: &str = "request-ids";

fn log_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(log_path(path)).map_or(0, |m| m.len())
}

/// Reads account `id` `times` times; each answer's `Request-Id`.
async fn read_account(server: &TestServer, id: &str, times: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..times {
        let read = server
            .persona(NS, "GET", &format!("/api/v1/accounts/{id}"), None)
            .await;
        assert_eq!(read.status, 200, "{}", read.text());
        ids.push(read.header("request-id").expect("Request-Id").to_string());
    }
    ids
}

#[tokio::test]
async fn a_persona_read_writes_nothing_and_its_request_id_is_not_handed_out_again() {
    let dir = state_dir("request-ids");
    let path = dir.join("state.json");
    let always = |path: std::path::PathBuf| {
        move |c: &mut vendor_sandbox::Config| {
            c.state_file = Some(path);
            c.state_sync = StateSync::Always;
            c.state_save_delay = Duration::from_secs(3_600);
            c.seed = 7;
        }
    };
    let first = TestServer::start_with(always(path.clone())).await;
    let body = json!({"data": {"attributes": {"reference-id": "kept"}}});
    let created = first
        .persona(NS, "POST", "/api/v1/accounts", Some(body))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let written = log_len(&path);
    let mut handed_out: BTreeSet<String> = read_account(&first, &id, 5).await.into_iter().collect();
    assert_eq!(log_len(&path), written, "the reads wrote nothing");

    // What a kill now leaves: the state file and its log, as the first server holds them.
    let copy = state_dir("request-ids-after-a-kill").join("state.json");
    for (from, to) in [
        (path.clone(), copy.clone()),
        (log_path(&path), log_path(&copy)),
    ] {
        if from.exists() {
            std::fs::copy(&from, &to).expect("copy");
        }
    }
    handed_out.insert(created.header("request-id").expect("Request-Id").into());
    let second = TestServer::start_with(always(copy.clone())).await;
    for again in read_account(&second, &id, 5).await {
        assert!(!handed_out.contains(&again), "{again} handed out twice");
    }
    second.stop().await;
    first.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(copy.parent().expect("folder"));
}

/// The `Request-Id` of an answer that belongs to no namespace (a refusal in one not made).
async fn unnamespaced_request_id(server: &TestServer) -> String {
    let refused = server.get("/ns/nobody/api/v1/inquiries").send().await;
    assert_eq!(refused.status, 401, "{}", refused.text());
    refused.header("request-id").expect("Request-Id").into()
}

#[tokio::test]
async fn request_ids_outside_any_namespace_are_not_handed_out_again_after_a_restart() {
    let dir = state_dir("server-request-ids");
    let path = dir.join("state.json");
    let with_file = |path: std::path::PathBuf| {
        move |c: &mut vendor_sandbox::Config| {
            c.state_file = Some(path);
            c.seed = 7;
        }
    };
    let first = TestServer::start_with(with_file(path.clone())).await;
    let before = unnamespaced_request_id(&first).await;
    first.stop().await;
    let second = TestServer::start_with(with_file(path.clone())).await;
    assert_ne!(unnamespaced_request_id(&second).await, before);
    second.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
