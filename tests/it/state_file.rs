//! `--state-file`: the state survives a graceful restart, and a SIGKILL under write load leaves a
//! complete snapshot holding everything saved before the kill (with `--state-sync always`,
//! everything answered: `sync_always`).

mod accounts;
mod banner;
mod bitmama_urls;
mod deep_values;
mod request_ids;
#[cfg(unix)]
mod symlink;
mod sync_always;
mod targets;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::harness::{TestServer, WAIT, card_user_body};

const BIN: &str = env!("CARGO_BIN_EXE_vendor-sandbox");
const PERSONA_KEY: &str = "Bearer persona_sandbox_key";
const COINFLOW_KEY: &str = "coinflow_sandbox_merchant_key";
const BITMAMA_KEY: &str = "Bearer sk_staging_acme";

/// A fresh folder for one test's state file.
fn state_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vendor-sandbox-state-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test folder");
    dir
}

/// The same calls on any server: an inquiry moved to `pending`, a Coinflow withdrawer and a
/// Bitmama user. Returns their ids.
async fn create_entities(server: &TestServer, ns: &str, n: usize) -> Vec<String> {
    let inquiry = server
        .post("/api/v1/inquiries")
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"data": {"attributes": {"inquiry-template-id": "itmpl_sandbox"}}}))
        .send()
        .await;
    assert_eq!(inquiry.status, 201, "{}", inquiry.text());
    let inquiry_id = inquiry.json()["data"]["id"]
        .as_str()
        .expect("inquiry id")
        .to_string();
    let started = server
        .post(&format!(
            "/api/v1/inquiries/{inquiry_id}/perform-simulate-actions"
        ))
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"meta": {"simulate-actions": [{"type": "start_inquiry"}]}}))
        .send()
        .await;
    assert!(started.status < 300, "{}", started.text());

    let withdrawer = server
        .post("/api/withdraw/kyc")
        .header("authorization", COINFLOW_KEY)
        .header("x-coinflow-auth-user-id", &format!("user-{n}"))
        .header("x-sandbox-namespace", ns)
        .json(
            &json!({"info": {"email": format!("w{n}@example.com"), "firstName": "Jane",
            "surName": "Doe", "physicalAddress": "1 Main St", "city": "Austin", "state": "TX",
            "zip": "78701", "country": "US", "dob": "19900131", "ssn": "1234"}}),
        )
        .send()
        .await;
    assert_eq!(withdrawer.status, 200, "{}", withdrawer.text());

    let user = server
        .post("/api/v2/partner/card/users")
        .header("authorization", BITMAMA_KEY)
        .header(
            "idempotency-key",
            &format!("550e8400-e29b-41d4-a716-{n:012}"),
        )
        .header("x-sandbox-namespace", ns)
        .json(&card_user_body(&format!("card{n}@example.com")))
        .send()
        .await;
    assert_eq!(user.status, 201, "{}", user.text());
    let service_id = user.json()["data"]["serviceId"]
        .as_str()
        .expect("serviceId")
        .to_string();
    vec![inquiry_id, service_id]
}

/// Moves the namespace clock 10 days on (the pending inquiry expires) and selects a scenario.
async fn advance_and_select(server: &TestServer, ns: &str) {
    let advanced = server
        .post("/__admin/clock/advance")
        .header("x-sandbox-namespace", ns)
        .json(&json!({"seconds": 864_000}))
        .send()
        .await;
    assert_eq!(advanced.status, 200, "{}", advanced.text());
    let selected = server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", ns)
        .json(&json!({"name": "happy-path"}))
        .send()
        .await;
    assert_eq!(selected.status, 200, "{}", selected.text());
}

/// `GET /__admin/state` without the moment it was read.
async fn admin_state(server: &TestServer, ns: &str) -> Value {
    let mut state = server.admin_state(ns).await;
    state
        .as_object_mut()
        .expect("object")
        .remove("now")
        .expect("now");
    state
}

fn real_now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(since_epoch.as_millis()).expect("fits")
}

async fn sandbox_now_ms(server: &TestServer, ns: &str) -> i64 {
    let res = server
        .get("/__admin/state")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    let now = res.json()["now"].as_str().expect("now").to_string();
    chrono::DateTime::parse_from_rfc3339(&now)
        .expect("ISO time")
        .timestamp_millis()
}

#[tokio::test]
async fn state_survives_a_graceful_restart_and_ids_go_on_without_colliding() {
    let dir = state_dir("graceful");
    let path = dir.join("state.json");
    let ns = "kept";
    let with_file = |path: PathBuf| move |c: &mut vendor_sandbox::Config| c.state_file = Some(path);

    let first = TestServer::start_with(with_file(path.clone())).await;
    let mut ids = create_entities(&first, ns, 1).await;
    advance_and_select(&first, ns).await;
    // Created after the clock moved: still pending at the restart, due to expire later.
    ids.extend(create_entities(&first, ns, 2).await);
    let before = admin_state(&first, ns).await;
    first.stop().await;
    assert!(path.exists(), "saved at shutdown");

    let second = TestServer::start_with(with_file(path.clone())).await;
    assert_eq!(admin_state(&second, ns).await, before);
    assert_eq!(before["scenario"], "happy-path");
    let ahead = sandbox_now_ms(&second, ns).await - real_now_ms();
    assert!(
        ahead > 863_000_000,
        "the clock offset came back: {ahead} ms"
    );
    // The expiry queue was rebuilt: what was pending expires when its time comes.
    advance_and_select(&second, ns).await;
    let statuses: Vec<Value> = admin_state(&second, ns).await["persona"]["inquiries"]
        .as_array()
        .expect("inquiries")
        .iter()
        .map(|i| i["status"].clone())
        .collect();
    // Four made by the requests and one by the first expiry (a card user verifies again on a
    // new inquiry), all expired; the two card users' new ones wait.
    assert_eq!(
        statuses,
        [
            "expired", "expired", "expired", "expired", "expired", "created", "created"
        ],
        "{statuses:?}"
    );
    let again = create_entities(&second, ns, 3).await;
    for id in &again {
        assert!(!ids.contains(id), "{id} was handed out before the restart");
    }
    ids.extend(again.iter().cloned());
    second.stop().await;

    // The ids after the restart are the ones an uninterrupted server hands out.
    let uninterrupted = TestServer::start().await;
    let mut expected = create_entities(&uninterrupted, ns, 1).await;
    advance_and_select(&uninterrupted, ns).await;
    expected.extend(create_entities(&uninterrupted, ns, 2).await);
    advance_and_select(&uninterrupted, ns).await;
    expected.extend(create_entities(&uninterrupted, ns, 3).await);
    assert_eq!(ids, expected);
    uninterrupted.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_invalid_state_file_stops_the_start_with_one_line() {
    let dir = state_dir("invalid");
    let path = dir.join("state.json");
    std::fs::write(&path, "{\"version\":1,\"namespaces\":").expect("write");
    let output = Command::new(BIN)
        .args(["--port", "0", "--state-file"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains(&path.display().to_string()), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty(), "no port was taken");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary, killed when dropped.
struct Running {
    child: Child,
    addr: String,
    /// The start-up lines, up to the `state:` line.
    banner: Vec<String>,
}

impl Running {
    fn start(path: &Path) -> Running {
        Self::start_with(path, &["--state-save-ms", "20"])
    }

    fn start_with(path: &Path, options: &[&str]) -> Running {
        let mut child = Command::new(BIN)
            .args(["--port", "0", "--host", "127.0.0.1", "--seed", "7"])
            .args(options)
            .arg("--state-file")
            .arg(path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn the binary");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let first = lines.recv_timeout(WAIT).expect("start-up line");
        let addr = first
            .strip_prefix("vendor-sandbox listening on http://")
            .unwrap_or_else(|| panic!("first line: {first:?}"))
            .to_string();
        let mut banner = vec![first];
        while !banner.last().is_some_and(|l| l.starts_with("state: ")) {
            banner.push(lines.recv_timeout(WAIT).expect("a state: line"));
        }
        Running {
            child,
            addr,
            banner,
        }
    }

    fn kill_9(&mut self) {
        let killed = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on its own connection: `(status, body)`, or `None` when the server is gone.
fn call(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(WAIT)).ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// The load's emails (`load-N@example.com`) found in `text`.
fn load_emails(text: &str) -> BTreeSet<String> {
    text.match_indices("load-")
        .filter_map(|(at, _)| {
            let rest = &text[at..];
            let end = rest.find("@example.com")?;
            let email = &rest[..end + "@example.com".len()];
            email[5..end]
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| email.to_string())
        })
        .collect()
}

/// The state file parsed as a whole snapshot; panics if it is not one.
fn complete_snapshot(path: &Path) -> (Value, String) {
    let text = std::fs::read_to_string(path).expect("read the state file");
    let snapshot: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the state file is not complete JSON ({e})"));
    assert_eq!(snapshot["version"], 1);
    assert!(snapshot["namespaces"].is_object(), "namespaces");
    (snapshot, text)
}

#[cfg(unix)]
#[test]
fn a_sigkill_under_write_load_leaves_a_complete_snapshot_with_everything_saved() {
    const NS: &str = "load";
    const WRITERS: usize = 4;
    const MAX_PER_WRITER: usize = 2_000;
    let dir = state_dir("sigkill");
    let path = dir.join("state.json");
    let mut server = Running::start(&path);

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(Mutex::new(BTreeSet::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (addr, stop, answered, next) = (
                server.addr.clone(),
                stop.clone(),
                answered.clone(),
                next.clone(),
            );
            thread::spawn(move || {
                let started = Instant::now();
                for _ in 0..MAX_PER_WRITER {
                    if stop.load(Ordering::Relaxed) || started.elapsed() > WAIT {
                        break;
                    }
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let email = format!("load-{n}@example.com");
                    let key = format!("550e8400-e29b-41d4-a716-{n:012}");
                    let headers = [
                        ("authorization", BITMAMA_KEY),
                        ("idempotency-key", key.as_str()),
                        ("x-sandbox-namespace", NS),
                    ];
                    let body = card_user_body(&email).to_string();
                    match call(&addr, "POST", "/api/v2/partner/card/users", &headers, &body) {
                        Some((201, _)) => {
                            answered.lock().expect("answered").insert(email);
                        }
                        Some((status, body)) => panic!("{status}: {body}"),
                        None => break, // killed
                    }
                }
            })
        })
        .collect();

    // While the load runs, every read of the file is a complete snapshot, and each one holds
    // at least what the one before did. Wait (an event, not a sleep) for a save holding some of
    // the answered users, and for a few saves seen to grow.
    let mut seen_before_kill = BTreeSet::new();
    let (mut reads, mut saves_seen) = (0, 0);
    let deadline = Instant::now() + WAIT;
    while seen_before_kill.len() < 50 || saves_seen < 3 {
        assert!(
            Instant::now() < deadline,
            "no 3 saves and 50 users within {WAIT:?}"
        );
        if path.exists() {
            let (_, text) = complete_snapshot(&path);
            let emails = load_emails(&text);
            assert!(emails.is_superset(&seen_before_kill), "a save lost users");
            if emails.len() > seen_before_kill.len() {
                saves_seen += 1;
            }
            seen_before_kill = emails;
            reads += 1;
        }
        thread::yield_now();
    }
    assert!(
        writers.iter().any(|w| !w.is_finished()),
        "the load is still running"
    );
    server.kill_9();
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().expect("writer");
    }
    let answered = answered.lock().expect("answered").clone();

    let (_, text) = complete_snapshot(&path);
    let saved = load_emails(&text);
    assert!(
        saved.is_superset(&seen_before_kill),
        "the last save has every earlier save"
    );
    // A user is saved once created, possibly just before its answer reached the client.
    assert!(
        saved.len() <= answered.len() + WRITERS,
        "only created users are saved"
    );

    // Restarted on the same file: every saved user is there, and new ones do not collide.
    let restarted = Running::start(&path);
    let (status, body) = call(
        &restarted.addr,
        "GET",
        "/__admin/state",
        &[("x-sandbox-namespace", NS)],
        "",
    )
    .expect("state");
    assert_eq!(status, 200, "{body}");
    let state: Value = serde_json::from_str(&body).expect("state JSON");
    let users: Vec<&Value> = state["bitmama"]["partners"]
        .as_array()
        .expect("partners")
        .iter()
        .flat_map(|p| p["users"].as_array().expect("users"))
        .collect();
    let served: BTreeSet<String> = load_emails(&body);
    assert_eq!(
        served, saved,
        "the restarted server has exactly the saved users"
    );
    let service_ids: BTreeSet<&str> = users
        .iter()
        .map(|u| u["serviceId"].as_str().expect("serviceId"))
        .collect();
    assert_eq!(service_ids.len(), users.len());
    let (status, body) = call(
        &restarted.addr,
        "POST",
        "/api/v2/partner/card/users",
        &[
            ("authorization", BITMAMA_KEY),
            ("idempotency-key", "550e8400-e29b-41d4-a716-999999999999"),
            ("x-sandbox-namespace", NS),
        ],
        &card_user_body("after-restart@example.com").to_string(),
    )
    .expect("create after the restart");
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).expect("JSON");
    let new_id = created["data"]["serviceId"].as_str().expect("serviceId");
    assert!(!service_ids.contains(new_id), "{new_id} collides");
    assert!(reads >= saves_seen);
    drop(restarted);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Persona `Idempotency-Key` outlives a restart: the retry of a request answered before it gets
/// that answer, not a second inquiry.
#[tokio::test]
async fn a_persona_idempotency_key_replays_after_a_restart() {
    let dir = state_dir("idempotency");
    let path = dir.join("state.json");
    let with_file = |path: PathBuf| move |c: &mut vendor_sandbox::Config| c.state_file = Some(path);
    let create = |server: &TestServer| {
        server
            .post("/api/v1/inquiries")
            .header("authorization", PERSONA_KEY)
            .header("idempotency-key", "kept-over-restart")
            .json(&json!({"data": {"attributes": {"inquiry-template-id": "itmpl_sandbox"}}}))
            .send()
    };
    let first = TestServer::start_with(with_file(path.clone())).await;
    let created = create(&first).await;
    assert_eq!(created.status, 201, "{}", created.text());
    first.stop().await;

    let second = TestServer::start_with(with_file(path.clone())).await;
    let replayed = create(&second).await;
    assert_eq!(replayed.status, 201, "{}", replayed.text());
    assert_eq!(replayed.json()["data"]["id"], created.json()["data"]["id"]);
    let listed = second
        .get("/api/v1/inquiries")
        .header("authorization", PERSONA_KEY)
        .send()
        .await;
    assert_eq!(listed.json()["data"].as_array().map(Vec::len), Some(1));
    second.stop().await;
}

/// One process uses a state file at a time: a second start on it waits for the first to exit
/// (here after a SIGTERM, its last save done) and then loads what the first saved, instead of
/// running beside it and overwriting its saves.
#[test]
fn a_second_server_on_the_same_state_file_waits_for_the_first_and_loads_its_last_save() {
    let dir = state_dir("two-servers");
    let path = dir.join("state.json");
    // A slow saver: only the save at shutdown puts the inquiry in the file.
    let mut first = Running::start_with(&path, &["--state-save-ms", "600000"]);
    let auth = [("authorization", PERSONA_KEY)];
    let body = r#"{"data":{"attributes":{"inquiry-template-id":"itmpl_sandbox"}}}"#;
    let created = call(&first.addr, "POST", "/api/v1/inquiries", &auth, body).expect("answer");
    assert_eq!(created.0, 201, "{}", created.1);

    let (tx, started) = mpsc::channel();
    let second_path = path.clone();
    let second = thread::spawn(move || {
        let second = Running::start(&second_path);
        let _ = tx.send(());
        second
    });
    // Still waiting while the first runs: it never printed its address.
    assert!(
        started
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err()
    );
    let stopped = Command::new("kill")
        .args(["-TERM", &first.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let _ = first.child.wait();
    started
        .recv_timeout(WAIT)
        .expect("the second starts once the first is gone");
    let second = second.join().expect("second server");
    let listed = call(&second.addr, "GET", "/api/v1/inquiries", &auth, "").expect("answer");
    let listed: Value = serde_json::from_str(&listed.1).unwrap_or_default();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A state file saved when the enabled Persona API webhook was also kept as the namespace's own
/// target (before it became its deliveries' own): loading it puts the configured target back
/// (none here), so disabling the API webhook does not leave events going to its old URL.
#[tokio::test]
async fn a_saved_persona_target_that_was_an_api_webhook_is_not_kept() {
    let dir = state_dir("old-target");
    let path = dir.join("state.json");
    let with_file = |path: PathBuf| move |c: &mut vendor_sandbox::Config| c.state_file = Some(path);
    let first = TestServer::start_with(with_file(path.clone())).await;
    let hook = "http://127.0.0.1:9/api-hook";
    let created = first
        .post("/api/v1/webhooks")
        .header("authorization", PERSONA_KEY)
        .json(
            &json!({"data": {"attributes": {"url": hook, "enabled-events": ["inquiry.created"]}}}),
        )
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    first.stop().await;
    // As the earlier version saved it.
    let mut saved: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("saved")).expect("JSON");
    let outbox = &mut saved["namespaces"]["default"]["webhooks"];
    outbox["targets"]["persona"] = json!({"url": hook, "secrets": ["wbhsec_x"]});
    // Nor did it say which targets the admin API set.
    outbox.as_object_mut().map(|o| o.remove("admin_set"));
    std::fs::write(&path, saved.to_string()).expect("write");

    let second = TestServer::start_with(with_file(path.clone())).await;
    let targets: Value = second.get("/__admin/webhook-targets").send().await.json();
    assert!(targets["targets"]["persona"].is_null(), "{targets}");
    second.stop().await;
}
