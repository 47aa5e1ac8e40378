//! The stories of unreliable vendors: `slow-and-flaky` (latency, a 503, a 500, a dropped
//! connection) and `webhook-outage` (failed attempts, then every event delivered).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{ACME, PERSONA, Story, USERS, assert_error};
use crate::harness::{TestServer, WAIT, WebhookSink, card_user_body, eventually};

#[tokio::test]
async fn slow_and_flaky_adds_latency_a_503_a_500_and_a_dropped_connection() {
    let server = TestServer::start().await;
    let story = Story::new(&server, "flaky", Some("slow-and-flaky")).await;
    let first = story
        .post(ACME, USERS, card_user_body("flaky@example.com"))
        .await;
    assert_error(&first, 503, "SERVICE_UNAVAILABLE");
    // The client retries: the second call goes through, slowly.
    let started = Instant::now();
    let (service_id, _) = story.create_user("flaky@example.com").await;
    assert!(started.elapsed() >= Duration::from_millis(250), "latency");
    assert!(service_id.starts_with("acme-rain-user-"));

    // Persona: the second create inquiry answers 500 in Persona's envelope.
    let create = || {
        server
            .post(&story.path("/api/v1/inquiries"))
            .header("authorization", PERSONA)
            .json(&json!({"data": {"attributes": {}}}))
            .send()
    };
    let one = create().await;
    assert_ne!(one.status, 500, "{}", one.text());
    let two = create().await;
    assert_eq!(two.status, 500, "{}", two.text());
    assert!(two.json()["errors"].is_array(), "{}", two.text());

    // Coinflow: the second Get Withdrawer drops the connection without an answer.
    let get_withdrawer = || async {
        let mut stream = tokio::net::TcpStream::connect(server.addr)
            .await
            .expect("connect");
        let request =
            "GET /ns/flaky/api/withdraw HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n";
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
            .await
            .expect("closed")
            .ok();
        answer
    };
    let answered = get_withdrawer().await;
    assert!(
        String::from_utf8_lossy(&answered).starts_with("HTTP/1.1 4"),
        "the first call is answered (unauthenticated)"
    );
    assert!(get_withdrawer().await.is_empty(), "the second is dropped");
}

#[tokio::test]
async fn webhook_outage_fails_the_first_attempts_then_delivers_everything() {
    let server = TestServer::start_with(|c| {
        c.webhooks.base_delay = Duration::from_millis(10);
        c.webhooks.max_delay = Duration::from_millis(40);
    })
    .await;
    let story = Story::new(&server, "outage", Some("webhook-outage")).await;
    let mut sink = WebhookSink::start().await;
    story.hook_to(&sink).await;
    let (first, _) = story.create_user("outage-1@example.com").await;
    let (second, _) = story.create_user("outage-2@example.com").await;
    let mut seen = vec![
        sink.next().await.json()["data"]["serviceId"].clone(),
        sink.next().await.json()["data"]["serviceId"].clone(),
    ];
    seen.sort_by_key(|v| v.to_string());
    let mut expected = vec![json!(first), json!(second)];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(seen, expected, "no event lost");
    let deliveries = eventually(|| async {
        let listing = server
            .get("/__admin/webhooks")
            .header("x-sandbox-namespace", "outage")
            .send()
            .await
            .json();
        let deliveries: Vec<Value> = listing["deliveries"]
            .as_array()?
            .iter()
            .filter(|d| d["vendor"] == "bitmama")
            .cloned()
            .collect();
        (deliveries.len() == 2 && deliveries.iter().all(|d| d["status"] == "delivered"))
            .then_some(deliveries)
    })
    .await;
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    let failed: usize = deliveries
        .iter()
        .map(|d| {
            d["attempts"]
                .as_array()
                .map_or(0, |a| a.iter().filter(|x| x["status"] != 200).count())
        })
        .sum();
    assert_eq!(failed, 3, "the first three attempts failed: {deliveries:?}");
}
