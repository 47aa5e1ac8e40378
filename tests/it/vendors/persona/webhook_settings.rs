//! Webhook settings the sandbox does not apply are refused rather than echoed, and a rotation's
//! overlap is bounded.

use serde_json::{Value, json};

use super::*;

fn webhook_body(extra: Value) -> Value {
    let mut attributes = json!({"url": "http://127.0.0.1:9/h", "enabled-events": ["*"]});
    if let (Some(attributes), Some(extra)) = (attributes.as_object_mut(), extra.as_object()) {
        attributes.extend(extra.clone());
    }
    json!({"data": {"attributes": attributes}})
}

#[tokio::test]
async fn settings_that_are_not_emulated_are_refused() {
    let p = Persona::start().await;
    let cases = [
        (
            json!({"api-attributes-blocklist": ["name-first"]}),
            "api-attributes-blocklist",
        ),
        (json!({"payload-filter": {"data": {}}}), "payload-filter"),
        (json!({"api-version": "2022-09-01"}), "api-version"),
    ];
    for (extra, named) in cases {
        let response = p.post("/api/v1/webhooks", &webhook_body(extra)).await;
        let details = details(&response, 422);
        assert!(
            details.contains(named) && details.contains("not emulated"),
            "{details}"
        );
    }
    let listed = p.get("/api/v1/webhooks").await;
    assert_eq!(listed.json()["data"], json!([]), "nothing was created");
    // What the sandbox does render is accepted.
    let created = p
        .post(
            "/api/v1/webhooks",
            &webhook_body(json!({"api-version": "2023-01-05", "api-attributes-blocklist": []})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
}

#[tokio::test]
async fn rotation_overlap_is_bounded() {
    let p = Persona::start().await;
    let created = p.post("/api/v1/webhooks", &webhook_body(json!({}))).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = id_of(&created.json());
    let rotate = format!("/api/v1/webhooks/{id}/rotate-secret");
    let huge = p
        .post(&rotate, &json!({"meta": {"expires-in-seconds": i64::MAX}}))
        .await;
    assert!(details(&huge, 422).contains("expires-in-seconds"));
    let hour = p
        .post(&rotate, &json!({"meta": {"expires-in-seconds": 3600}}))
        .await;
    assert_eq!(hour.status, 200, "{}", hour.text());
}
