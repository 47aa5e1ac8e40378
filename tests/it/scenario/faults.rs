//! Faults and latency a scenario injects: HTTP errors in the vendor's envelope (`nth`, `times`,
//! counters cleared by a reset), dropped and never-answered connections, latency awaited with no
//! lock held.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{TempDir, scenario, slow_wallet, with_dir};
use crate::harness::{TestServer, WAIT, eventually};

#[tokio::test]
async fn http_faults_use_the_vendor_envelope_nth_counts_and_reset_clears_counters() {
    let dir = TempDir::new("faults");
    dir.write("faults.json", &scenario("faults", "faults", json!([
        {"when": {"vendor": "persona", "operation": "list_inquiries", "nth": 2}, "fault": "http_429"},
        {"when": {"vendor": "coinflow", "operation": "get_withdrawer", "times": 1}, "fault": "http_503"},
    ])));
    let server = with_dir(&dir).await;
    let ns = "faults-1";
    server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", ns)
        .json(&json!({"name": "faults"}))
        .send()
        .await;
    let inquiries = || {
        server
            .get("/api/v1/inquiries")
            .header("x-sandbox-namespace", ns)
            .header("authorization", "Bearer persona_sandbox_x")
    };
    assert_ne!(inquiries().send().await.status, 429, "first call");
    let limited = inquiries().send().await;
    assert_eq!(limited.status, 429);
    assert!(
        limited.json()["errors"][0]["title"].is_string(),
        "Persona envelope: {}",
        limited.text()
    );
    assert_eq!(limited.header("retry-after"), Some("1"));
    // Persona's own refusal: it carries a Request-Id as every Persona answer does.
    assert!(
        limited
            .header("request-id")
            .is_some_and(|id| id.starts_with("req_"))
    );
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    assert_ne!(inquiries().send().await.status, 429, "only the 2nd");

    let withdrawer = || {
        server
            .get("/api/withdraw")
            .header("x-sandbox-namespace", ns)
    };
    let unavailable = withdrawer().send().await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(
        unavailable.json()["statusCode"],
        503,
        "Coinflow envelope: {}",
        unavailable.text()
    );
    assert_ne!(withdrawer().send().await.status, 503, "times: 1");
    server
        .post("/__admin/reset")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(
        withdrawer().send().await.status,
        503,
        "reset clears the counters"
    );
}

/// Sends a GET over a raw connection and returns what came back before the server closed it.
async fn raw_get(server: &TestServer, path: &str, ns: &str) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let request =
        format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nx-sandbox-namespace: {ns}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream
}

#[tokio::test]
async fn reset_drops_the_connection_and_timeout_never_answers_until_shutdown() {
    let dir = TempDir::new("drop");
    dir.write("drops.json", &scenario("drops", "connection faults", json!([
        {"when": {"vendor": "coinflow", "operation": "get_withdrawer", "query": {"mode": {"equals": "reset"}}}, "fault": "reset"},
        {"when": {"vendor": "coinflow", "operation": "get_withdrawer", "query": {"mode": {"equals": "hang"}}}, "fault": "timeout"},
        {"when": {"vendor": "coinflow", "operation": "get_withdrawer", "query": {"mode": {"equals": "slow"}}}, "fault": "reset", "latency_ms": 60000},
    ])));
    let mut server = with_dir(&dir).await;
    server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", "d")
        .json(&json!({"name": "drops"}))
        .send()
        .await;

    let mut reset = raw_get(&server, "/api/withdraw?mode=reset", "d").await;
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, reset.read_to_end(&mut answer))
        .await
        .expect("closed")
        .ok();
    assert!(
        answer.is_empty(),
        "no answer at all: {}",
        String::from_utf8_lossy(&answer)
    );

    let mut hang = raw_get(&server, "/api/withdraw?mode=hang", "d").await;
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), hang.read(&mut byte))
            .await
            .is_err(),
        "no answer"
    );
    let in_flight = server.get("/__admin/server").send().await.json();
    assert_eq!(
        in_flight["requests_in_flight"], 2,
        "the hanging request and this one"
    );
    server.signal_stop();
    let read = tokio::time::timeout(WAIT, hang.read(&mut byte))
        .await
        .expect("closed on shutdown");
    assert!(matches!(read, Ok(0) | Err(_)), "closed without an answer");
    server.finished().await;
}

/// What a client sent is in the journal even when a fault left it unanswered: a `reset` at
/// once, a `timeout` once the client gave up; marked with the fault, status 0, no answer.
#[tokio::test]
async fn unanswered_requests_are_journaled_with_their_fault() {
    let dir = TempDir::new("drop-journal");
    dir.write("drops.json", &scenario("drops", "connection faults", json!([
        {"when": {"vendor": "coinflow", "operation": "get_withdrawer", "query": {"mode": {"equals": "reset"}}}, "fault": "reset"},
        {"when": {"vendor": "coinflow", "operation": "get_withdrawer", "query": {"mode": {"equals": "hang"}}}, "fault": "timeout"},
        {"when": {"vendor": "coinflow", "operation": "get_withdrawer", "query": {"mode": {"equals": "slow"}}}, "fault": "reset", "latency_ms": 60000},
    ])));
    let server = with_dir(&dir).await;
    let ns = "dj";
    server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", ns)
        .json(&json!({"name": "drops"}))
        .send()
        .await;
    let journaled = || async {
        server
            .get("/__admin/requests?path=/api/withdraw")
            .header("x-sandbox-namespace", ns)
            .send()
            .await
            .json()["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };

    let mut reset = raw_get(&server, "/api/withdraw?mode=reset", ns).await;
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, reset.read_to_end(&mut answer))
        .await
        .expect("closed")
        .ok();
    assert!(answer.is_empty());
    let entries = journaled().await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(
        (
            entry["fault"].clone(),
            entry["status"].clone(),
            entry["query"].clone(),
            entry["response_body"].clone()
        ),
        (json!("reset"), json!(0), json!("mode=reset"), json!(null)),
        "{entry}"
    );
    let count = server
        .post("/__admin/requests/count")
        .header("x-sandbox-namespace", ns)
        .json(&json!({"path": "/api/withdraw"}))
        .send()
        .await;
    assert_eq!(count.json()["count"], 1, "{}", count.text());

    let mut hang = raw_get(&server, "/api/withdraw?mode=hang", ns).await;
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(100), hang.read(&mut byte))
            .await
            .is_err(),
        "no answer"
    );
    assert_eq!(journaled().await.len(), 1, "not before the connection ends");
    // The client gives up.
    drop(hang);
    let entries = eventually(|| async {
        let entries = journaled().await;
        (entries.len() == 2).then_some(entries)
    })
    .await;
    assert_eq!(
        (entries[0]["fault"].clone(), entries[0]["status"].clone()),
        (json!("timeout"), json!(0)),
        "{}",
        entries[0]
    );
    // A client that gives up during the scenario's latency, before the fault.
    let slow = raw_get(&server, "/api/withdraw?mode=slow", ns).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(100), slow.readable())
            .await
            .is_err(),
        "still waiting"
    );
    drop(slow);
    let entries = eventually(|| async {
        let entries = journaled().await;
        (entries.len() == 3).then_some(entries)
    })
    .await;
    assert_eq!(entries[0]["query"], "mode=slow", "{}", entries[0]);
    assert_eq!(entries[0]["fault"], "reset", "{}", entries[0]);
    // An answered request's entry has no `fault`.
    let answered = server
        .get("/api/v1/partner/wallet")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_ne!(answered.status, 0);
    let wallet = server
        .get("/__admin/requests?path=/api/v1/partner/wallet")
        .header("x-sandbox-namespace", ns)
        .send()
        .await
        .json();
    assert!(wallet["requests"][0].get("fault").is_none(), "{wallet}");
}

#[tokio::test]
async fn latency_is_awaited_without_holding_the_namespace() {
    let dir = slow_wallet("slow", 400);
    let server = with_dir(&dir).await;
    let slow = server
        .get("/api/v1/partner/wallet")
        .header("x-sandbox-scenario", "slow");
    let started = Instant::now();
    let slow_call = tokio::spawn(async move { (slow.send().await.status, started.elapsed()) });
    // The same namespace answers meanwhile: the delay holds no lock.
    eventually(|| async {
        (server.get("/__admin/server").send().await.json()["requests_in_flight"] == 2).then_some(())
    })
    .await;
    let fast = server.get("/api/v1/partner/wallet").send().await;
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "answered during the delay ({})",
        fast.status
    );
    let (status, elapsed) = slow_call.await.expect("task");
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert_ne!(status, 0);
}
