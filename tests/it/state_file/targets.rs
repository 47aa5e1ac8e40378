//! What a restart does with the webhook targets a state file holds: those the command line gave
//! follow the new command line, those `PUT /__admin/webhook-targets` set stay, and a file saved
//! before the two were told apart keeps its targets as they are.

use std::path::Path;

use serde_json::{Value, json};

use super::state_dir;
use crate::harness::TestServer;
use vendor_sandbox::Vendor;

const NS: &str = "targets-kept";

/// A server on `path` with `targets` as `--webhook` and `secrets` as `--webhook-secret`.
async fn start(path: &Path, targets: &[(Vendor, &str)], secrets: &[(Vendor, &str)]) -> TestServer {
    let path = path.to_path_buf();
    let targets: Vec<(Vendor, String)> = targets.iter().map(|(v, u)| (*v, u.to_string())).collect();
    let secrets: Vec<(Vendor, String)> = secrets.iter().map(|(v, s)| (*v, s.to_string())).collect();
    TestServer::start_with(move |c| {
        c.state_file = Some(path);
        c.webhooks.targets = targets;
        c.webhooks.secrets = secrets;
    })
    .await
}

async fn targets(server: &TestServer) -> Value {
    let answer = server
        .get(&format!("/__admin/webhook-targets?namespace={NS}"))
        .send()
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()["targets"].clone()
}

#[tokio::test]
async fn configured_targets_follow_the_command_line_of_the_restart_and_admin_set_ones_stay() {
    let dir = state_dir("targets");
    let path = dir.join("state.json");
    let first = start(
        &path,
        &[
            (Vendor::Persona, "http://127.0.0.1:9/old"),
            (Vendor::Coinflow, "http://127.0.0.1:9/coinflow"),
        ],
        &[(Vendor::Persona, "sec_old")],
    )
    .await;
    let set = first
        .request("PUT", &format!("/__admin/webhook-targets?namespace={NS}"))
        .json(&json!({"bitmama": {"url": "http://127.0.0.1:9/admin", "secret": "sec_admin"}, "coinflow": null}))
        .send()
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    first.stop().await;

    // A new receiver and a rotated secret apply; the admin's choices (a target, a removal) stay.
    let second = start(
        &path,
        &[
            (Vendor::Persona, "http://127.0.0.1:9/new"),
            (Vendor::Coinflow, "http://127.0.0.1:9/coinflow"),
        ],
        &[(Vendor::Persona, "sec_new")],
    )
    .await;
    let now = targets(&second).await;
    assert_eq!(now["persona"]["url"], "http://127.0.0.1:9/new", "{now}");
    assert_eq!(now["persona"]["secrets"], json!(["sec_new"]), "{now}");
    assert!(now["coinflow"].is_null(), "{now}");
    assert_eq!(now["bitmama"]["url"], "http://127.0.0.1:9/admin", "{now}");
    second.stop().await;

    // `--webhook` removed: no target left from it.
    let third = start(&path, &[], &[]).await;
    let now = targets(&third).await;
    assert!(now["persona"].is_null(), "{now}");
    assert_eq!(now["bitmama"]["secrets"], json!(["sec_admin"]), "{now}");
    third.stop().await;

    // As a file saved before targets were told apart: nothing says where they came from.
    let mut saved: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("saved")).expect("JSON");
    let outbox = &mut saved["namespaces"][NS]["webhooks"];
    assert!(outbox["admin_set"].is_array(), "{outbox}");
    outbox.as_object_mut().expect("outbox").remove("admin_set");
    outbox["targets"]["persona"] = json!({"url": "http://127.0.0.1:9/legacy", "secrets": ["s"]});
    std::fs::write(&path, saved.to_string()).expect("write");
    let fourth = start(&path, &[(Vendor::Persona, "http://127.0.0.1:9/new")], &[]).await;
    let now = targets(&fourth).await;
    assert_eq!(now["persona"]["url"], "http://127.0.0.1:9/legacy", "{now}");
    assert_eq!(now["bitmama"]["url"], "http://127.0.0.1:9/admin", "{now}");
    fourth.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
