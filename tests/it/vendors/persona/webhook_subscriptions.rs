//! Several API webhooks in one namespace: each event goes to every enabled one that enables it,
//! each delivery signed with its own webhook's secrets and keyed in its own inflection.

use serde_json::json;

use super::webhooks::{assert_signed_by, create_inquiry, create_webhook, event_name, simulate};
use crate::harness::{TestServer, WebhookSink};

#[tokio::test]
async fn every_enabled_webhook_gets_the_events_it_enables() {
    let mut sink_a = WebhookSink::start().await;
    let mut sink_b = WebhookSink::start().await;
    let server = TestServer::start().await;
    let ns = "hooks-several";
    let a = create_webhook(
        &server,
        ns,
        &sink_a.url("/a"),
        &["inquiry.created", "inquiry.approved"],
    )
    .await;
    let a_id = a["data"]["id"].as_str().expect("id").to_string();
    let a_old = a["data"]["attributes"]["secret"].as_str().expect("secret");
    let b = server
        .persona(
            ns,
            "POST",
            "/api/v1/webhooks",
            Some(json!({"data": {"attributes": {
                "url": sink_b.url("/b"),
                "enabled-events": ["inquiry.approved"],
                "api-key-inflection": "camel",
            }}})),
        )
        .await;
    assert_eq!(b.status, 201, "{}", b.text());
    let b_secret = b.json()["data"]["attributes"]["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    // A's rotation is its own: B keeps signing with its one secret.
    let rotated = server
        .persona(
            ns,
            "POST",
            &format!("/api/v1/webhooks/{a_id}/rotate-secret"),
            Some(json!({"meta": {"expires-in-seconds": 3600}})),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let a_new = rotated.json()["data"]["attributes"]["secret"]
        .as_str()
        .expect("secret")
        .to_string();

    let id = create_inquiry(&server, ns).await;
    let created = sink_a.next().await;
    assert_eq!(event_name(&created), "inquiry.created");
    assert_signed_by(&created, &[&a_new, a_old]);

    simulate(
        &server,
        ns,
        &id,
        &["start_inquiry", "complete_inquiry", "approve_inquiry"],
    )
    .await;
    let approved_a = sink_a.next().await;
    assert_eq!(event_name(&approved_a), "inquiry.approved");
    assert_signed_by(&approved_a, &[&a_new, a_old]);
    assert!(approved_a.json()["data"]["attributes"]["created-at"].is_string());
    let approved_b = sink_b.next().await;
    assert_eq!(approved_b.path, "/b");
    assert_signed_by(&approved_b, &[&b_secret]);
    let body_b = approved_b.json();
    assert_eq!(body_b["data"]["attributes"]["name"], "inquiry.approved");
    assert!(
        body_b["data"]["attributes"]["createdAt"].is_string(),
        "{body_b}"
    );

    // Nothing else was queued: no event went to a webhook that does not enable it.
    let admin = server
        .get("/__admin/webhooks")
        .header("x-sandbox-namespace", ns)
        .send()
        .await
        .json();
    let mut sent: Vec<(String, String)> = admin["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| {
            let url = d["url"].as_str().unwrap_or_default();
            let path = url.rsplit('/').next().unwrap_or_default();
            (
                path.to_string(),
                d["event"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        [
            ("a".to_string(), "inquiry.approved".to_string()),
            ("a".to_string(), "inquiry.created".to_string()),
            ("b".to_string(), "inquiry.approved".to_string()),
        ]
    );
}
