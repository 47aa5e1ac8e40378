//! The webhook outbox and worker, independent of any one vendor's events.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use vendor_sandbox::app::App;
use vendor_sandbox::config::{Config, WebhookConfig};
use vendor_sandbox::scenario::Catalog;
use vendor_sandbox::vendors;
use vendor_sandbox::vendors::Vendor;
use vendor_sandbox::webhooks::{DeliveryStatus, Stop, run_worker};

use crate::harness::{TestServer, WAIT, eventually, free_port};

async fn create_inquiry(server: &TestServer) {
    server.create_inquiry("default", json!({})).await;
}

async fn deliveries(server: &TestServer) -> Vec<Value> {
    server.get("/__admin/webhooks").send().await.json()["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A receiver that answers 200 with a large body: only the status counts, so the delivery is
/// done after one attempt (the body is never waited for).
#[tokio::test]
async fn a_large_answer_body_does_not_turn_a_200_into_a_retry() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let receiver = tokio::spawn(async move {
        let mut hits = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            hits += 1;
            let mut buf = [0u8; 16 * 1024];
            let _ = stream.read(&mut buf).await;
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", 4 << 20);
            let _ = stream.write_all(head.as_bytes()).await;
            // Send part of the promised body, then stall: a client that waits for it times out.
            let _ = stream.write_all(&vec![b'x'; 64 * 1024]).await;
            if hits == 1 {
                tokio::time::sleep(WAIT).await;
            }
        }
    });
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Persona, url));
        c.webhooks.attempt_timeout = Duration::from_secs(2);
    })
    .await;
    create_inquiry(&server).await;
    let delivery = eventually(|| async {
        let all = deliveries(&server).await;
        let first = all.first()?.clone();
        (first["status"] != "pending").then_some(first)
    })
    .await;
    assert_eq!(delivery["status"], "delivered", "{delivery}");
    assert_eq!(delivery["attempts"].as_array().map(Vec::len), Some(1));
    receiver.abort();
}

/// A worker running one Coinflow delivery to a port where nothing listens, once its first
/// attempt has failed: the namespace, the delivery's id, the stop sender and the worker.
async fn worker_after_a_failed_attempt(
    webhooks: WebhookConfig,
) -> (
    Arc<vendor_sandbox::store::Namespace>,
    String,
    watch::Sender<Option<Stop>>,
    tokio::task::JoinHandle<()>,
) {
    let down = free_port().await;
    let config = Arc::new(Config {
        webhooks: WebhookConfig {
            targets: vec![(Vendor::Coinflow, format!("http://{down}/hook"))],
            ..webhooks
        },
        ..Config::default()
    });
    let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
    let scenarios = Arc::new(Catalog::shipped(vendors::vocabulary()));
    let app = App::new(
        config.clone(),
        scenarios.clone(),
        Some(jobs_tx),
        "http://127.0.0.1",
    );
    let store = app.store.clone();
    let (stop_tx, stop_rx) = watch::channel(None);
    let worker = tokio::spawn(run_worker(
        store.clone(),
        scenarios,
        vendors::webhook_headers,
        config.webhooks.clone(),
        None,
        jobs_rx,
        stop_rx,
    ));
    let ns = store.namespace("default");
    let id = {
        let mut world = ns.lock();
        let now = world.clock.now_ms();
        world
            .webhooks
            .enqueue(
                Vendor::Coinflow,
                "KYC Created",
                &json!({"eventType": "KYC Created"}),
                now,
            )
            .expect("a target")
    };
    eventually(|| async {
        let world = ns.lock();
        let attempts = world.webhooks.get(&id).map_or(0, |d| d.attempts.len());
        (attempts >= 1).then_some(())
    })
    .await;
    (ns, id, stop_tx, worker)
}

/// Shutdown with a target that is down and a retry due only after the shutdown's deadline: the
/// worker stops at once rather than waiting the grace period out (the deadline here is beyond
/// the test's wait). Without a state file the delivery ends `abandoned`, not stuck `pending`;
/// with one it stays `pending`, for the next start to send.
#[tokio::test]
async fn pending_deliveries_at_shutdown_are_abandoned_unless_a_state_file_keeps_them() {
    for keep_pending in [false, true] {
        let (ns, id, stop_tx, worker) = worker_after_a_failed_attempt(WebhookConfig {
            base_delay: Duration::from_secs(600),
            ..WebhookConfig::default()
        })
        .await;
        let deadline = tokio::time::Instant::now() + 6 * WAIT;
        stop_tx
            .send(Some(Stop {
                deadline,
                keep_pending,
            }))
            .expect("worker listens");
        tokio::time::timeout(WAIT, worker)
            .await
            .expect("worker stops at once: its only retry falls after the deadline")
            .expect("worker did not panic");
        let status = ns.lock().webhooks.get(&id).map(|d| d.status);
        let expected = if keep_pending {
            DeliveryStatus::Pending
        } else {
            DeliveryStatus::Abandoned
        };
        assert_eq!(status, Some(expected), "keep_pending: {keep_pending}");
    }
}

/// A retry due before the shutdown's deadline is still made: the stop waits for it.
#[tokio::test]
async fn a_retry_due_before_the_shutdown_deadline_is_made() {
    let (ns, id, stop_tx, worker) = worker_after_a_failed_attempt(WebhookConfig {
        base_delay: Duration::from_millis(100),
        max_attempts: 2,
        ..WebhookConfig::default()
    })
    .await;
    stop_tx
        .send(Some(Stop {
            deadline: tokio::time::Instant::now() + 6 * WAIT,
            keep_pending: false,
        }))
        .expect("worker listens");
    tokio::time::timeout(WAIT, worker)
        .await
        .expect("worker stops once the retry is made")
        .expect("worker did not panic");
    let world = ns.lock();
    let delivery = world.webhooks.get(&id).expect("the delivery");
    assert_eq!(delivery.attempts.len(), 2);
    assert_eq!(delivery.status, DeliveryStatus::Failed);
}

/// A delivery still pending at a graceful stop is sent by the next start on the same state
/// file, as after a crash: a stop does not lose it.
#[tokio::test]
async fn a_delivery_pending_at_a_graceful_stop_is_sent_after_the_restart() {
    let dir = std::env::temp_dir().join(format!(
        "vendor-sandbox-it-pending-at-stop-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("state.json");
    let port = free_port().await;
    let settings = |path: std::path::PathBuf| {
        move |c: &mut Config| {
            c.state_file = Some(path);
            c.webhooks.targets = vec![(Vendor::Persona, format!("http://{port}/hook"))];
            c.webhooks.base_delay = Duration::from_millis(50);
            c.shutdown_grace = Duration::from_millis(200);
        }
    };
    let first = TestServer::start_with(settings(path.clone())).await;
    create_inquiry(&first).await;
    eventually(|| async {
        let listed = deliveries(&first).await;
        let tried = listed.first()?["attempts"].as_array()?.len();
        (tried >= 1).then_some(())
    })
    .await;
    first.stop().await;

    let mut sink = crate::harness::WebhookSink::start_on(port, 200).await;
    let second = TestServer::start_with(settings(path.clone())).await;
    let hook = sink.next().await;
    assert_eq!(hook.json()["data"]["attributes"]["name"], "inquiry.created");
    let delivered = eventually(|| async {
        let listed = deliveries(&second).await;
        let first = listed.last()?.clone();
        (first["status"] == "delivered").then_some(first)
    })
    .await;
    assert!(delivered["attempts"].as_array().map_or(0, Vec::len) >= 2);
    second.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every time a delivery lists is sandbox time: after the clock moved a day ahead, its attempts
/// are not dated before the delivery itself.
#[tokio::test]
async fn attempts_are_stamped_in_sandbox_time() {
    let mut sink = crate::harness::WebhookSink::start().await;
    let url = sink.url("/hook");
    let server = TestServer::start_with(|c| c.webhooks.targets.push((Vendor::Persona, url))).await;
    let moved = server
        .post("/__admin/clock/advance")
        .json(&json!({"seconds": 86_400}))
        .send()
        .await;
    assert_eq!(moved.status, 200);
    create_inquiry(&server).await;
    sink.next().await;
    let delivery = eventually(|| async {
        let first = deliveries(&server).await.first()?.clone();
        (first["status"] == "delivered").then_some(first)
    })
    .await;
    let created = delivery["created_at"].as_str().expect("created_at");
    let attempted = delivery["attempts"][0]["at"].as_str().expect("attempt at");
    assert!(attempted >= created, "{attempted} before {created}");
}

/// Creates `n` inquiries (one webhook event each: no reference id, so no account is
/// auto-created), a few requests at a time.
async fn create_inquiries(server: &TestServer, n: usize) {
    let mut running = tokio::task::JoinSet::new();
    for i in 0..n {
        if running.len() >= 16 {
            let status = running.join_next().await.expect("a request").expect("task");
            assert_eq!(status, 201);
        }
        let request = server
            .post("/api/v1/inquiries")
            .header("authorization", "Bearer persona_sandbox_key")
            .json(&json!({"data": {"attributes": {
                "inquiry-template-id": "itmpl_abc", "note": format!("burst {i}")}}}));
        running.spawn(async move { request.send().await.status });
    }
    while let Some(status) = running.join_next().await {
        assert_eq!(status.expect("task"), 201);
    }
}

/// A receiver that is down (nothing listens) and retries far away: deliveries stay pending.
fn unreachable_receiver(down: std::net::SocketAddr) -> impl FnOnce(&mut Config) {
    move |c| {
        c.webhooks
            .targets
            .push((Vendor::Persona, format!("http://{down}/hook")));
        c.webhooks.base_delay = Duration::from_secs(600);
        c.webhooks.max_delay = Duration::from_secs(600);
    }
}

/// At the pending cap no pending delivery is pushed out: each further event is recorded as
/// `dropped`, with the reason, and counted.
#[tokio::test]
async fn beyond_the_pending_cap_new_events_are_listed_as_dropped_with_the_reason() {
    let down = free_port().await;
    let server = TestServer::start_with(|c| {
        unreachable_receiver(down)(c);
        c.webhooks.pending_max = 5;
    })
    .await;
    create_inquiries(&server, 20).await;
    let listed = server.get("/__admin/webhooks").send().await.json();
    let all = listed["deliveries"].as_array().expect("deliveries");
    assert_eq!(all.len(), 20, "every event is recorded");
    assert_eq!(listed["dropped"], 15);
    // Newest first: the 15 newest were dropped, the 5 oldest are still pending.
    for (n, delivery) in all.iter().enumerate() {
        let (status, reason) = (&delivery["status"], &delivery["reason"]);
        if n < 15 {
            assert_eq!(status, "dropped", "{delivery}");
            assert_eq!(
                reason, "pending cap of 5 reached (--webhook-pending-max)",
                "{delivery}"
            );
            assert_eq!(delivery["attempts"], json!([]), "never sent");
        } else {
            assert_eq!(status, "pending", "{delivery}");
            assert_eq!(reason, &Value::Null);
        }
    }
    let oldest = &all[19]["id"];
    assert_eq!(oldest, "whd_000001", "the oldest pending one is kept");
}

/// With the default cap a burst far beyond the kept finished deliveries loses nothing while
/// the receiver is down.
#[tokio::test]
async fn two_thousand_events_for_a_receiver_that_is_down_all_stay_pending() {
    let down = free_port().await;
    let server = TestServer::start_with(unreachable_receiver(down)).await;
    create_inquiries(&server, 2_000).await;
    let listed = server.get("/__admin/webhooks").send().await.json();
    let all = listed["deliveries"].as_array().expect("deliveries");
    assert_eq!(all.len(), 2_000);
    assert_eq!(listed["dropped"], 0);
    let not_pending: Vec<&Value> = all.iter().filter(|d| d["status"] != "pending").collect();
    assert!(not_pending.is_empty(), "{:?}", not_pending.first());
}

/// First attempts go out in the order their events happened: each Coinflow registration sends
/// `KYC Created` and `KYC Success` at once, and the receiver gets them in that order, every
/// time (they were sent concurrently and often arrived the other way round). Two workers, as
/// the server runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_attempts_arrive_in_the_order_of_their_events() {
    let mut sink = crate::harness::WebhookSink::start().await;
    let url = sink.url("/coinflow");
    let server =
        TestServer::start_with(|c| c.webhooks.targets = vec![(Vendor::Coinflow, url)]).await;
    let users = 12;
    for n in 0..users {
        let registered = server
            .post("/api/withdraw/kyc")
            .header("authorization", "coinflow_key")
            .header("x-coinflow-auth-user-id", &format!("ordered-{n}"))
            .json(
                &json!({"info": {"email": format!("ordered-{n}@example.com"),
                "firstName": "Jane", "surName": "Doe", "physicalAddress": "1 Main St",
                "city": "Austin", "state": "TX", "zip": "78701", "country": "US",
                "dob": "19900131", "ssn": "1234"}}),
            )
            .send()
            .await;
        assert_eq!(registered.status, 200, "{}", registered.text());
    }
    let mut received = Vec::new();
    for _ in 0..2 * users {
        let hook = sink.next().await.json();
        received.push((
            hook["data"]["email"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            hook["eventType"].as_str().unwrap_or_default().to_string(),
        ));
    }
    let expected: Vec<(String, String)> = (0..users)
        .flat_map(|n| {
            let email = format!("ordered-{n}@example.com");
            [
                (email.clone(), "KYC Created".to_string()),
                (email, "KYC Success".to_string()),
            ]
        })
        .collect();
    assert_eq!(received, expected);
}
