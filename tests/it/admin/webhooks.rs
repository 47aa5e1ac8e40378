//! Webhooks through the admin API: targets, the clock running expiry and retries, flush,
//! redeliver.

use std::time::Duration;

use serde_json::json;

// Inquiries here have no reference id, so no account (and no `account.created` hook) comes first.
use super::admin;
use crate::harness::{TestServer, WebhookSink, eventually, free_port};

#[tokio::test]
async fn clock_advance_runs_inquiry_expiry_before_answering() {
    let mut sink = WebhookSink::start().await;
    let server = TestServer::start().await;
    let ns = "clock";
    let (status, _) = admin(
        &server,
        "PUT",
        "/webhook-targets",
        ns,
        Some(json!({"persona": {"url": sink.url("/persona"), "secret": "wbhsec_admin"}})),
    )
    .await;
    assert_eq!(status, 200);
    let id = server.create_inquiry(ns, json!({})).await;
    sink.next().await; // inquiry.created
    let (status, clock) = admin(
        &server,
        "POST",
        "/clock/advance",
        ns,
        Some(json!({"seconds": 25 * 3600})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(clock["offset_seconds"].as_f64().unwrap() >= 90_000.0);
    // Expired by the advance itself, not by a later Persona read: the webhook is already queued.
    let (_, hooks) = admin(&server, "GET", "/webhooks", ns, None).await;
    assert_eq!(
        hooks["deliveries"][0]["event"], "inquiry.expired",
        "{hooks}"
    );
    let hook = sink.next().await;
    assert_eq!(hook.json()["data"]["attributes"]["name"], "inquiry.expired");
    assert_eq!(
        hook.json()["data"]["attributes"]["payload"]["data"]["id"],
        id.as_str()
    );
}

/// Retries wait in sandbox time: a 10-minute backoff is cut short by advancing the clock past it,
/// or by a flush.
#[tokio::test]
async fn webhook_retries_follow_the_sandbox_clock_and_flush() {
    let server = TestServer::start_with(|c| {
        c.webhooks.base_delay = Duration::from_secs(600);
        c.webhooks.max_delay = Duration::from_secs(600);
    })
    .await;
    for (ns, via_flush) in [("retry-clock", false), ("retry-flush", true)] {
        let port = free_port().await;
        let url = format!("http://{port}/hook");
        let (status, targets) = admin(
            &server,
            "PUT",
            "/webhook-targets",
            ns,
            Some(json!({"persona": {"url": url}, "bitmama": null})),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(targets["targets"]["persona"]["url"], url.as_str());
        let (_, got) = admin(&server, "GET", "/webhook-targets", ns, None).await;
        assert_eq!(got, targets);
        server.create_inquiry(ns, json!({})).await;
        // First attempt: nobody listens yet.
        let next_at = eventually(|| async {
            let (_, hooks) = admin(&server, "GET", "/webhooks", ns, None).await;
            let d = hooks["deliveries"][0].clone();
            (d["attempts"].as_array()?.len() == 1).then(|| d["next_attempt_at"].clone())
        })
        .await;
        assert!(next_at.is_string(), "a retry is scheduled: {next_at}");
        let mut sink = WebhookSink::start_on(port, 200).await;
        if via_flush {
            let (status, flushed) = admin(&server, "POST", "/webhooks/flush", ns, None).await;
            assert_eq!(status, 200);
            assert_eq!(flushed["delivered"], 1, "{flushed}");
            assert_eq!(flushed["pending"], 0, "{flushed}");
        } else {
            admin(
                &server,
                "POST",
                "/clock/advance",
                ns,
                Some(json!({"seconds": 600})),
            )
            .await;
        }
        let hook = sink.next().await;
        assert_eq!(hook.header("persona-webhook-attempts-made"), Some("2"));
        let (_, hooks) = admin(&server, "GET", "/webhooks", ns, None).await;
        assert_eq!(hooks["deliveries"][0]["status"], "delivered", "{hooks}");
    }
}

#[tokio::test]
async fn finished_deliveries_can_be_redelivered() {
    let mut sink = WebhookSink::start().await;
    let server = TestServer::start().await;
    let ns = "redeliver";
    admin(
        &server,
        "PUT",
        "/webhook-targets",
        ns,
        Some(json!({"persona": {"url": sink.url("/p")}})),
    )
    .await;
    server.create_inquiry(ns, json!({})).await;
    let first = sink.next().await;
    let id = eventually(|| async {
        let (_, hooks) = admin(&server, "GET", "/webhooks", ns, None).await;
        let d = &hooks["deliveries"][0];
        (d["status"] == "delivered").then(|| d["id"].as_str().unwrap().to_string())
    })
    .await;
    let (status, body) = admin(
        &server,
        "POST",
        &format!("/webhooks/{id}/redeliver"),
        ns,
        None,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let again = sink.next().await;
    assert_eq!(again.body, first.body, "the same bytes again");
    let (status, _) = admin(&server, "POST", "/webhooks/whd_999999/redeliver", ns, None).await;
    assert_eq!(status, 404);
    let (status, body) = admin(
        &server,
        "PUT",
        "/webhook-targets",
        ns,
        Some(json!({"stripe": null})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Only what the sandbox can deliver to: plain http (it has no TLS), with a host.
    for url in [
        "ftp://x",
        "https://127.0.0.1:9/hook",
        "http:///nohost",
        "http://a b/",
    ] {
        let (status, body) = admin(
            &server,
            "PUT",
            "/webhook-targets",
            ns,
            Some(json!({"persona": {"url": url}})),
        )
        .await;
        assert_eq!(status, 400, "{url}: {body}");
    }
}

/// `POST /__admin/webhooks/check` runs the receiver check the CLI runs: a sink that answers 200
/// to everything accepts forged deliveries, so the report is not ok and names the wrong cases.
#[tokio::test]
async fn the_admin_api_checks_a_webhook_receiver() {
    let server = TestServer::start().await;
    let sink = WebhookSink::start().await;
    let checked = server
        .post("/__admin/webhooks/check")
        .json(&json!({"vendor": "persona", "url": sink.url("/hooks"), "secret": "wbhsec_admin"}))
        .send()
        .await;
    assert_eq!(checked.status, 200, "{}", checked.text());
    let report = checked.json();
    assert_eq!(report["ok"], false, "{report}");
    let wrong: Vec<&str> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["ok"] == false && c["required"] == true)
        .filter_map(|c| c["name"].as_str())
        .collect();
    for case in [
        "body-modified",
        "wrong-secret",
        "stale-timestamp",
        "signature-missing",
    ] {
        assert!(wrong.contains(&case), "{case} not caught: {wrong:?}");
    }
    let valid = report["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["name"] == "valid"))
        .expect("the valid case");
    assert_eq!(valid["ok"], true);

    for (body, fragment) in [
        (
            json!({"vendor": "stripe", "url": sink.url("/"), "secret": "s"}),
            "Unknown vendor",
        ),
        (
            json!({"vendor": "persona", "url": "ftp://x", "secret": "s"}),
            "http://",
        ),
        (
            json!({"vendor": "persona", "url": sink.url("/"), "secret": ""}),
            "secret",
        ),
    ] {
        let refused = server
            .post("/__admin/webhooks/check")
            .json(&body)
            .send()
            .await;
        assert_eq!(refused.status, 400, "{body}");
        assert!(refused.text().contains(fragment), "{}", refused.text());
    }
}

/// A Persona webhook made through the API takes the events while it is enabled, and the
/// namespace's own target (set here through the admin API) is still there when it is disabled.
#[tokio::test]
async fn an_api_webhook_does_not_replace_the_namespaces_own_target() {
    let mut sink = WebhookSink::start().await;
    let server = TestServer::start().await;
    let ns = "own-target";
    let own = json!({"persona": {"url": sink.url("/own"), "secret": "own-secret"}});
    let (status, _) = admin(&server, "PUT", "/webhook-targets", ns, Some(own)).await;
    assert_eq!(status, 200);
    let persona = |method: &str, path: &str| {
        server
            .request(method, path)
            .header("authorization", "Bearer k")
            .header("x-sandbox-namespace", ns)
    };
    let created = persona("POST", "/api/v1/webhooks")
        .json(&json!({"data": {"attributes": {"url": sink.url("/api"),
            "enabled-events": ["inquiry.created"]}}}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["data"]["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    server.create_inquiry(ns, json!({})).await;
    assert_eq!(sink.next().await.path, "/api");
    let disabled = persona("POST", &format!("/api/v1/webhooks/{id}/disable"))
        .send()
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text());
    let (_, targets) = admin(&server, "GET", "/webhook-targets", ns, None).await;
    assert!(targets.to_string().contains("/own"), "{targets}");
    server.create_inquiry(ns, json!({})).await;
    assert_eq!(sink.next().await.path, "/own");
}
