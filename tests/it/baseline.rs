//! The benchmark's baseline (`examples/bare_server.rs`) answers with `bench/baseline/*.json`: the
//! sandbox's own bodies for the requests `bench/run.sh` sends, so a ratio compares the same bytes
//! on the wire. These tests fail when an answer of the sandbox changes and the file does not.

use serde_json::json;

use crate::harness::{TestServer, card_user_body};

/// Fails unless `sent` (the sandbox's body, its ids and times replaced) is
/// `bench/baseline/NAME.json`.
fn assert_baseline(name: &str, sent: &str) {
    let path = format!("{}/bench/baseline/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        sent,
        text.trim_end(),
        "the sandbox's answer changed: write it to {path} (ids and times as they are there), so \
         the bench's bare server answers the same bytes"
    );
}

/// The text of `value` at `pointer` in `body`.
fn text_at(body: &serde_json::Value, pointer: &str) -> String {
    body.pointer(pointer)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no text at {pointer} in {body}"))
        .to_string()
}

#[tokio::test]
async fn the_bare_servers_bodies_are_the_sandboxs_own() {
    let server = TestServer::start().await;

    let health = server.get("/__admin/health").send().await;
    assert_baseline("health", &health.text());

    // As bench/run.sh makes the inquiry it reads.
    let created = server
        .post("/api/v1/inquiries")
        .header("authorization", "Bearer persona_bench_key")
        .header("x-sandbox-namespace", "bench-read")
        .json(&json!({"data": {"attributes": {
            "inquiry-template-id": "itmpl_sandbox",
            "fields": {"name-first": "Jane", "name-last": "Doe"},
        }}}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = text_at(&created.json(), "/data/id");
    let read = server
        .get(&format!("/api/v1/inquiries/{id}"))
        .header("authorization", "Bearer persona_bench_key")
        .header("x-sandbox-namespace", "bench-read")
        .send()
        .await;
    let body = read.json();
    let sent = read
        .text()
        .replace(&id, "inq_0123456789abcdefghijklmn")
        .replace(
            &text_at(&body, "/data/attributes/created-at"),
            "2024-01-01T00:00:00.000Z",
        );
    assert_baseline("inquiry", &sent);

    // As bench/run.sh's wrk script creates card users.
    let user = server
        .post("/api/v2/partner/card/users")
        .header("authorization", "Bearer sk_staging_bench")
        .header("idempotency-key", "baseline-1")
        .json(&card_user_body("u-baseline@bench.example"))
        .send()
        .await;
    assert_eq!(user.status, 201, "{}", user.text());
    let body = user.json();
    let url = text_at(&body, "/data/verificationUrl");
    let inquiry = url.rsplit_once("inquiry-id=").map(|(_, id)| id.to_string());
    let sent = user
        .text()
        .replace(
            &text_at(&body, "/data/serviceId"),
            "bench-rain-user-0123456789abcde",
        )
        .replace(
            &inquiry.expect("an inquiry id"),
            "inq_0123456789abcdefghijklmn",
        )
        // The bench's sandbox listens on an ephemeral port: five digits, like this one.
        .replace(&server.url(""), "http://127.0.0.1:50000");
    assert_baseline("user-created", &sent);
}
