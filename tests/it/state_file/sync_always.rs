//! `--state-sync always`: every write answered 2xx survives a SIGKILL at any moment, whole.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use vendor_sandbox::config::StateSync;
use vendor_sandbox::state_file::load;
use vendor_sandbox::state_file::log::log_path;

use super::{BITMAMA_KEY, Running, call, state_dir};
use crate::harness::card_user_body;
use crate::harness::{TestServer, WAIT, WebhookSink};
use vendor_sandbox::Vendor;

const NS: &str = "durable";

/// Card users the server holds, by email: `(serviceId, inquiryId)`. Also checks that the
/// namespace is whole: each user's inquiry is there and the wallet paid each one's fee.
fn served_users(server: &Running) -> BTreeMap<String, (String, String)> {
    let (status, body) = call(
        &server.addr,
        "GET",
        "/__admin/state",
        &[("x-sandbox-namespace", NS)],
        "",
    )
    .expect("state");
    assert_eq!(status, 200, "{body}");
    let state: Value = serde_json::from_str(&body).expect("state JSON");
    let inquiries: BTreeSet<&str> = state["persona"]["inquiries"]
        .as_array()
        .expect("inquiries")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    let mut users = BTreeMap::new();
    for partner in state["bitmama"]["partners"].as_array().expect("partners") {
        let listed = partner["users"].as_array().expect("users");
        let fees = 200 * listed.len() as i64;
        assert_eq!(partner["balance_cents"], 500_000 - fees, "{partner}");
        for user in listed {
            let field = |name: &str| user[name].as_str().unwrap_or_default().to_string();
            let (email, service_id, inquiry) =
                (field("email"), field("serviceId"), field("inquiryId"));
            assert!(!service_id.is_empty(), "{user}");
            assert!(
                inquiries.contains(inquiry.as_str()),
                "{user} without its inquiry"
            );
            users.insert(email, (service_id, inquiry));
        }
    }
    assert_eq!(
        users.len(),
        inquiries.len(),
        "one inquiry per user, no more"
    );
    users
}

/// Rounds of: restart on the state file, check every write answered so far, create users from a
/// few clients at once, SIGKILL after a random number of answers. The log is folded often
/// (`--state-log-max-mb 0`), so kills also land while the state file is rewritten.
#[cfg(unix)]
#[test]
fn with_state_sync_always_every_answered_write_survives_a_sigkill() {
    const WRITERS: usize = 4;
    const ROUNDS: usize = 3;
    const MAX_PER_WRITER: usize = 200;
    let dir = state_dir("sync-always");
    let path = dir.join("state.json");
    let options = ["--state-sync", "always", "--state-log-max-mb", "0"];
    let started = Instant::now();
    // email -> serviceId (None when the answer was cut after its status line).
    let mut answered: BTreeMap<String, Option<String>> = BTreeMap::new();
    let next = Arc::new(AtomicUsize::new(0));
    for round in 0..=ROUNDS {
        let mut server = Running::start_with(&path, &options);
        let served = served_users(&server);
        for (email, service_id) in &answered {
            let held = served.get(email).map(|(id, _)| id);
            assert!(
                held.is_some(),
                "round {round}: {email} was answered 201 and is gone"
            );
            if let Some(id) = service_id {
                assert_eq!(held, Some(id), "round {round}: {email}");
            }
        }
        // At most the creates in flight at each kill were done without their answer arriving.
        assert!(served.len() <= answered.len() + WRITERS * round);
        if round == ROUNDS {
            break;
        }

        let acks = Arc::new(Mutex::new(Vec::new()));
        let (ack_tx, ack_rx) = mpsc::channel();
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let (addr, next, acks, ack_tx) = (
                    server.addr.clone(),
                    next.clone(),
                    acks.clone(),
                    ack_tx.clone(),
                );
                thread::spawn(move || {
                    for _ in 0..MAX_PER_WRITER {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let email = format!("sync-{n}@example.com");
                        let key = format!("550e8400-e29b-41d4-a716-{n:012}");
                        let headers = [
                            ("authorization", BITMAMA_KEY),
                            ("idempotency-key", key.as_str()),
                            ("x-sandbox-namespace", NS),
                        ];
                        let body = card_user_body(&email).to_string();
                        let path = "/api/v2/partner/card/users";
                        match call(&addr, "POST", path, &headers, &body) {
                            Some((201, body)) => {
                                let id = serde_json::from_str::<Value>(&body).ok().and_then(|v| {
                                    v["data"]["serviceId"].as_str().map(str::to_string)
                                });
                                acks.lock().expect("acks").push((email, id));
                                let _ = ack_tx.send(());
                            }
                            Some((status, body)) => panic!("{status}: {body}"),
                            None => return, // killed
                        }
                    }
                })
            })
            .collect();
        drop(ack_tx);
        let kill_after = rand::random_range(5..60);
        for _ in 0..kill_after {
            ack_rx
                .recv_timeout(WAIT)
                .expect("an answer within the wait (or the writers ran out)");
        }
        server.kill_9();
        for writer in writers {
            writer.join().expect("writer");
        }
        answered.extend(acks.lock().expect("acks").drain(..));
    }
    assert!(answered.len() >= 3 * 5, "{} answered", answered.len());
    assert!(started.elapsed() < WAIT * 2, "took {:?}", started.elapsed());
    let _ = std::fs::remove_dir_all(&dir);
}

/// In process: right after each answer the files already hold the change (what a restart after
/// a kill would load), for the request's namespace and, for a reset of all, every namespace. A
/// graceful stop folds the log into the state file.
#[tokio::test]
async fn with_state_sync_always_the_files_hold_each_change_when_it_is_answered() {
    let dir = state_dir("sync-in-process");
    let path = dir.join("state.json");
    let on_disk = |ns: &str| -> String {
        let saved = load(&path).expect("loads").expect("saved");
        saved
            .namespaces
            .get(ns)
            .map(|world| serde_json::to_string(world).expect("serialize"))
            .unwrap_or_default()
    };
    let server = TestServer::start_with(|c| {
        c.state_file = Some(path.clone());
        c.state_sync = StateSync::Always;
        // The debounced saver must not be what puts the changes there.
        c.state_save_delay = Duration::from_secs(3_600);
    })
    .await;
    for (n, ns) in ["a", "b"].into_iter().enumerate() {
        let email = format!("in-process-{n}@example.com");
        let created = server
            .post("/api/v2/partner/card/users")
            .header("authorization", BITMAMA_KEY)
            .header(
                "idempotency-key",
                &format!("550e8400-e29b-41d4-a716-{n:012}"),
            )
            .header("x-sandbox-namespace", ns)
            .json(&card_user_body(&email))
            .send()
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        assert!(on_disk(ns).contains(&email), "{ns} holds {email}");
    }
    let reset = server.post("/__admin/reset?all=true").send().await;
    assert_eq!(reset.status, 200, "{}", reset.text());
    for ns in ["a", "b"] {
        assert!(
            !on_disk(ns).contains("in-process-"),
            "{ns} was reset on disk"
        );
    }
    // A deleted namespace is deleted on disk when the answer comes (a crash must not bring it
    // back).
    let deleted = server
        .request("DELETE", "/__admin/namespaces/b")
        .send()
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(on_disk("b"), "", "b is gone from the files");
    assert!(!on_disk("a").is_empty(), "a is kept");
    server.stop().await;
    assert!(!log_path(&path).exists(), "the log is folded at shutdown");
    assert!(
        on_disk("a").contains("\"clock\""),
        "the namespaces are kept"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A webhook goes out once the change it tells of is on disk: when the receiver has it, the
/// files already hold the inquiry (a crash cannot take back what a receiver was told).
#[tokio::test]
async fn with_state_sync_always_a_webhook_tells_of_a_saved_change() {
    let dir = state_dir("sync-webhook");
    let path = dir.join("state.json");
    let mut sink = WebhookSink::start().await;
    let url = sink.url("/persona");
    let server = TestServer::start_with(|c| {
        c.state_file = Some(path.clone());
        c.state_sync = StateSync::Always;
        c.state_save_delay = Duration::from_secs(3_600);
        c.webhooks.targets.push((Vendor::Persona, url));
    })
    .await;
    let created = server
        .post("/api/v1/inquiries")
        .header("authorization", "Bearer sk_test_durable")
        .json(
            &serde_json::json!({"data": {"attributes": {"inquiry-template-id": "itmpl_durable"}}}),
        )
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let hook = sink.next().await;
    let id = hook.json()["data"]["attributes"]["payload"]["data"]["id"].clone();
    let id = id.as_str().expect("the inquiry's id");
    let saved = load(&path).expect("loads").expect("saved");
    let world = serde_json::to_string(&saved.namespaces["default"]).expect("serialize");
    assert!(world.contains(id), "{id} is on disk");
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// What falls due with no request (an inquiry's expiry, settled by the server on its own) is
/// committed as a request's change is: the files hold it though no webhook (whose delivery would
/// commit its namespace) goes out and the debounced saver waits an hour.
#[tokio::test]
async fn with_state_sync_always_a_change_that_falls_due_is_saved() {
    let dir = state_dir("sync-due");
    let path = dir.join("state.json");
    let server = TestServer::start_with(|c| {
        c.state_file = Some(path.clone());
        c.state_sync = StateSync::Always;
        c.state_save_delay = Duration::from_secs(3_600);
    })
    .await;
    let id = server
        .create_inquiry("default", serde_json::json!({}))
        .await;
    // It expires after 24 h of sandbox time: 2 s of real time are left.
    server.advance_clock("default", 86_398.0).await;
    let saved_status = || {
        let saved = load(&path).ok().flatten()?;
        let world = serde_json::to_value(saved.namespaces.get("default")?).ok()?;
        let inquiries = world["persona"]["inquiries"].as_array()?.clone();
        let inquiry = inquiries.into_iter().find(|i| i["id"] == id.as_str())?;
        Some(inquiry["status"].as_str()?.to_string())
    };
    assert_eq!(saved_status().as_deref(), Some("created"));
    crate::harness::eventually(|| async { saved_status().filter(|s| s == "expired") }).await;
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
