//! Persona webhooks: the `--webhook persona=URL` target, the `/api/v1/webhooks` API (enabled
//! events, secret rotation, enable/disable), signatures checked with an HMAC computed here
//! (not by the sandbox's signing code), and delivery to a receiver that comes up late.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::harness::{ReceivedWebhook, TestServer, WebhookSink, eventually, free_port};
use vendor_sandbox::vendors::Vendor;

pub(super) async fn create_inquiry(server: &TestServer, ns: &str) -> String {
    server.create_inquiry(ns, json!({})).await
}

pub(super) async fn simulate(server: &TestServer, ns: &str, id: &str, actions: &[&str]) {
    let actions: Vec<Value> = actions.iter().map(|a| json!({"type": a})).collect();
    let done = server
        .persona(
            ns,
            "POST",
            &format!("/api/v1/inquiries/{id}/perform-simulate-actions"),
            Some(json!({"meta": {"simulate-actions": actions}})),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
}

pub(super) async fn create_webhook(
    server: &TestServer,
    ns: &str,
    url: &str,
    events: &[&str],
) -> Value {
    let created = server
        .persona(
            ns,
            "POST",
            "/api/v1/webhooks",
            Some(json!({"data": {"attributes": {"url": url, "enabled-events": events}}})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()
}

/// The `(t, v1)` pairs of a `Persona-Signature` header.
fn signature_sets(header: &str) -> Vec<(String, String)> {
    header
        .split(' ')
        .map(|set| {
            let mut t = None;
            let mut v1 = None;
            for part in set.split(',') {
                match part.split_once('=') {
                    Some(("t", value)) => t = Some(value.to_string()),
                    Some(("v1", value)) => v1 = Some(value.to_string()),
                    _ => panic!("unexpected signature part {part:?} in {header:?}"),
                }
            }
            (t.expect("t="), v1.expect("v1="))
        })
        .collect()
}

/// hex(HMAC-SHA256(secret, "<t>.<body>")), computed independently of the sandbox.
fn expected_signature(secret: &str, t: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The signature sets of `hook`, each checked against the secret at the same position.
pub(super) fn assert_signed_by(hook: &ReceivedWebhook, secrets: &[&str]) {
    let header = hook
        .header("persona-signature")
        .expect("Persona-Signature header");
    let sets = signature_sets(header);
    assert_eq!(sets.len(), secrets.len(), "signature sets in {header:?}");
    for ((t, v1), secret) in sets.iter().zip(secrets) {
        assert_eq!(
            v1,
            &expected_signature(secret, t, &hook.body),
            "signed by {secret}"
        );
        let t: i64 = t.parse().expect("t is unix seconds");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        assert!((now - t).abs() < 60, "t={t} is about now ({now})");
    }
}

pub(super) fn event_name(hook: &ReceivedWebhook) -> String {
    hook.json()["data"]["attributes"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn command_line_target_gets_every_event_signed() {
    let mut sink = WebhookSink::start().await;
    let url = sink.url("/persona");
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Persona, url));
        c.webhooks
            .secrets
            .push((Vendor::Persona, "wbhsec_from_cli".into()));
    })
    .await;
    let id = create_inquiry(&server, "cli").await;
    let hook = sink.next().await;
    assert_eq!(hook.path, "/persona");
    assert_signed_by(&hook, &["wbhsec_from_cli"]);
    let body = hook.json();
    assert_eq!(body["data"]["type"], "event");
    assert!(
        body["data"]["id"]
            .as_str()
            .is_some_and(|e| e.starts_with("evt_"))
    );
    assert_eq!(body["data"]["attributes"]["name"], "inquiry.created");
    assert_eq!(
        body["data"]["attributes"]["payload"]["data"]["id"],
        id.as_str()
    );
    assert_eq!(hook.header("persona-webhook-attempts-made"), Some("1"));
    assert_eq!(hook.header("persona-webhook-attempts-left"), Some("7"));
    let (t, _) = signature_sets(hook.header("persona-signature").unwrap_or_default()).remove(0);
    assert_eq!(
        hook.header("persona-webhook-first-attempted-at"),
        Some(t.as_str())
    );

    // No webhook configured through the API: every event goes to the command-line target.
    simulate(&server, "cli", &id, &["start_inquiry", "complete_inquiry"]).await;
    assert_eq!(event_name(&sink.next().await), "inquiry.started");
    assert_eq!(event_name(&sink.next().await), "inquiry.completed");
}

#[tokio::test]
async fn api_webhook_gets_only_its_enabled_events() {
    let mut sink = WebhookSink::start().await;
    let server = TestServer::start().await;
    let ns = "hooks-api";
    let webhook = create_webhook(&server, ns, &sink.url("/api-hook"), &["inquiry.completed"]).await;
    let attributes = &webhook["data"]["attributes"];
    assert!(
        webhook["data"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("wbh_"))
    );
    let secret = attributes["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("wbhsec_"), "{secret}");
    assert_eq!(attributes["secrets"][0]["value"], secret.as_str());
    assert_eq!(attributes["status"], "enabled");
    assert_eq!(attributes["enabled-events"], json!(["inquiry.completed"]));

    let id = create_inquiry(&server, ns).await;
    simulate(&server, ns, &id, &["start_inquiry", "complete_inquiry"]).await;
    // inquiry.created and inquiry.started were never queued: the first delivery is the one asked for.
    let hook = sink.next().await;
    assert_eq!(hook.path, "/api-hook");
    assert_eq!(event_name(&hook), "inquiry.completed");
    assert_signed_by(&hook, &[&secret]);
    let admin = server
        .get("/__admin/webhooks")
        .header("x-sandbox-namespace", ns)
        .send()
        .await
        .json();
    let events: Vec<&str> = admin["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter_map(|d| d["event"].as_str())
        .collect();
    assert_eq!(events, ["inquiry.completed"]);

    // Listing hides the secret; retrieving shows it.
    let listed = server
        .persona(ns, "GET", "/api/v1/webhooks", None)
        .await
        .json();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert!(listed["data"][0]["attributes"].get("secret").is_none());
    let wbh = webhook["data"]["id"].as_str().unwrap_or_default();
    let one = server
        .persona(ns, "GET", &format!("/api/v1/webhooks/{wbh}"), None)
        .await;
    assert_eq!(one.json()["data"]["attributes"]["secret"], secret.as_str());
}

#[tokio::test]
async fn rotation_signs_with_both_secrets_until_the_old_one_expires() {
    let mut sink = WebhookSink::start().await;
    let server = TestServer::start().await;
    let ns = "hooks-rotate";
    let webhook = create_webhook(&server, ns, &sink.url("/rotate"), &["inquiry.created"]).await;
    let wbh = webhook["data"]["id"].as_str().expect("id").to_string();
    let old = webhook["data"]["attributes"]["secret"]
        .as_str()
        .expect("secret")
        .to_string();

    let rotated = server
        .persona(
            ns,
            "POST",
            &format!("/api/v1/webhooks/{wbh}/rotate-secret"),
            Some(json!({"meta": {"expires-in-seconds": 3600}})),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let attributes = &rotated.json()["data"]["attributes"];
    let new = attributes["secret"]
        .as_str()
        .expect("new secret")
        .to_string();
    assert_ne!(new, old);
    assert_eq!(attributes["secrets"][0]["value"], new.as_str());
    assert_eq!(attributes["secrets"][0]["expires-at"], Value::Null);
    assert_eq!(attributes["secrets"][1]["value"], old.as_str());
    assert!(attributes["secrets"][1]["expires-at"].is_string());

    create_inquiry(&server, ns).await;
    assert_signed_by(&sink.next().await, &[&new, &old]);

    // An hour later in sandbox time the old secret has expired: one signature again.
    let advanced = server
        .post("/__admin/clock/advance")
        .header("x-sandbox-namespace", ns)
        .json(&json!({"seconds": 3601}))
        .send()
        .await;
    assert_eq!(advanced.status, 200, "{}", advanced.text());
    create_inquiry(&server, ns).await;
    assert_signed_by(&sink.next().await, &[&new]);
}

#[tokio::test]
async fn a_receiver_that_comes_up_late_still_gets_the_delivery() {
    let addr = free_port().await;
    let url = format!("http://{addr}/late");
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Persona, url));
        c.webhooks
            .secrets
            .push((Vendor::Persona, "wbhsec_late".into()));
        c.webhooks.max_attempts = 50;
    })
    .await;
    let id = create_inquiry(&server, "late").await;
    let admin = || async {
        server
            .get("/__admin/webhooks")
            .header("x-sandbox-namespace", "late")
            .send()
            .await
            .json()
    };
    // Nobody listens yet: attempts fail with a connection error and are recorded.
    eventually(|| async {
        let deliveries = admin().await;
        let attempts = deliveries["deliveries"][0]["attempts"].as_array()?.clone();
        (!attempts.is_empty() && attempts.iter().all(|a| a["error"].is_string())).then_some(())
    })
    .await;

    let mut sink = WebhookSink::start_on(addr, 200).await;
    let hook = sink.next().await;
    assert_eq!(event_name(&hook), "inquiry.created");
    assert_eq!(
        hook.json()["data"]["attributes"]["payload"]["data"]["id"],
        id.as_str()
    );
    assert_signed_by(&hook, &["wbhsec_late"]);
    let made: u32 = hook
        .header("persona-webhook-attempts-made")
        .and_then(|m| m.parse().ok())
        .expect("attempts made");
    assert!(made >= 2, "the delivery was retried: {made}");

    let delivery = eventually(|| async {
        let deliveries = admin().await;
        let delivery = deliveries["deliveries"][0].clone();
        (delivery["status"] == "delivered").then_some(delivery)
    })
    .await;
    let attempts = delivery["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len() as u32, made, "every attempt is listed");
    assert_eq!(
        attempts.last().map(|a| a["status"].clone()),
        Some(json!(200))
    );
    assert!(
        attempts[..attempts.len() - 1]
            .iter()
            .all(|a| a["error"].is_string())
    );
}

#[tokio::test]
async fn disabling_the_api_webhook_falls_back_to_the_command_line_target() {
    let mut cli_sink = WebhookSink::start().await;
    let mut api_sink = WebhookSink::start().await;
    let cli_url = cli_sink.url("/cli");
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Persona, cli_url));
        c.webhooks
            .secrets
            .push((Vendor::Persona, "wbhsec_cli".into()));
    })
    .await;
    let ns = "hooks-fallback";
    let webhook = create_webhook(&server, ns, &api_sink.url("/api"), &["*"]).await;
    let wbh = webhook["data"]["id"].as_str().expect("id").to_string();
    create_inquiry(&server, ns).await;
    assert_eq!(api_sink.next().await.path, "/api");

    let disabled = server
        .persona(ns, "POST", &format!("/api/v1/webhooks/{wbh}/disable"), None)
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text());
    assert_eq!(disabled.json()["data"]["attributes"]["status"], "disabled");
    create_inquiry(&server, ns).await;
    let hook = cli_sink.next().await;
    assert_eq!(hook.path, "/cli");
    assert_signed_by(&hook, &["wbhsec_cli"]);

    let enabled = server
        .persona(ns, "POST", &format!("/api/v1/webhooks/{wbh}/enable"), None)
        .await;
    assert_eq!(enabled.status, 200);
    create_inquiry(&server, ns).await;
    assert_eq!(api_sink.next().await.path, "/api");
}

#[tokio::test]
async fn api_webhook_bodies_follow_its_key_inflection() {
    let mut sink = WebhookSink::start().await;
    let server = TestServer::start().await;
    let ns = "hooks-camel";
    let created = server
        .persona(
            ns,
            "POST",
            "/api/v1/webhooks",
            Some(json!({"data": {"attributes": {
                "url": sink.url("/camel"),
                "enabled-events": ["*"],
                "api-key-inflection": "camel",
            }}})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    create_inquiry(&server, ns).await;
    let body = sink.next().await.json();
    assert!(
        body["data"]["attributes"]["createdAt"].is_string(),
        "{body}"
    );
    assert!(body["data"]["attributes"]["payload"]["data"]["attributes"]["referenceId"].is_null());
}

#[tokio::test]
async fn webhook_api_refuses_bad_requests_in_personas_envelope() {
    let server = TestServer::start().await;
    let ns = "hooks-errors";
    let post = |body: Value| server.persona(ns, "POST", "/api/v1/webhooks", Some(body));
    let cases = [
        (
            json!({"data": {"attributes": {"enabled-events": ["*"]}}}),
            400,
            "url",
        ),
        (
            json!({"data": {"attributes": {"url": "http://x.test/h"}}}),
            400,
            "enabled-events",
        ),
        (
            json!({"data": {"attributes": {"url": "http://x.test/h", "enabled-events": ["inquiry.nope"]}}}),
            422,
            "inquiry.nope",
        ),
        (
            json!({"data": {"attributes": {"url": "not a url", "enabled-events": ["*"]}}}),
            422,
            "url",
        ),
        (
            json!({"data": {"attributes": {"url": "http://x.test/h", "enabled-events": ["*"], "colour": 1}}}),
            400,
            "colour",
        ),
        (
            json!({"data": {"attributes": {"url": "http://x.test/h", "enabled-events": "*"}}}),
            400,
            "enabled-events",
        ),
    ];
    for (body, status, named) in cases {
        let answer = post(body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text());
        let details = answer.json()["errors"][0]["details"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(details.contains(named), "{body}: {details:?} names {named}");
    }
    let listed = server.persona(ns, "GET", "/api/v1/webhooks", None).await;
    assert_eq!(listed.json()["data"], json!([]), "nothing was created");

    let missing = server
        .persona(
            ns,
            "POST",
            "/api/v1/webhooks/wbh_Missing/rotate-secret",
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["errors"][0]["title"], "Record not found");

    let unauthenticated = server.get("/api/v1/webhooks").send().await;
    assert_eq!(unauthenticated.status, 401);

    let webhook = create_webhook(&server, ns, "http://127.0.0.1:9/h", &["*"]).await;
    let wbh = webhook["data"]["id"].as_str().expect("id").to_string();
    let negative = server
        .persona(
            ns,
            "POST",
            &format!("/api/v1/webhooks/{wbh}/rotate-secret"),
            Some(json!({"meta": {"expires-in-seconds": -5}})),
        )
        .await;
    assert_eq!(negative.status, 400, "{}", negative.text());
    let archived = server
        .persona(ns, "POST", &format!("/api/v1/webhooks/{wbh}/archive"), None)
        .await;
    assert_eq!(archived.json()["data"]["attributes"]["status"], "archived");
    let enable = server
        .persona(ns, "POST", &format!("/api/v1/webhooks/{wbh}/enable"), None)
        .await;
    assert_eq!(enable.status, 422, "{}", enable.text());
    let after = server
        .persona(ns, "GET", &format!("/api/v1/webhooks/{wbh}"), None)
        .await;
    assert_eq!(after.json()["data"]["attributes"]["status"], "archived");
}
