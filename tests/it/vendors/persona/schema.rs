//! Persona bodies checked against the schemas of Persona's own OpenAPI spec: inquiry, event and
//! webhook API responses, error envelopes, and the bodies of the webhooks the sandbox sends.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::harness::{TestServer, WebhookSink};
use crate::openapi::{
    assert_valid, assert_valid_webhook, error_response, is_valid, request, response,
    with_unknown_attribute,
};
use vendor_sandbox::vendors::Vendor;

pub(super) async fn create_inquiry(server: &TestServer, reference: &str) -> String {
    let attributes = json!({"reference-id": reference});
    server.create_inquiry("default", attributes).await
}

pub(super) async fn simulate(server: &TestServer, id: &str, actions: &[&str]) {
    let actions: Vec<Value> = actions.iter().map(|a| json!({"type": a})).collect();
    let done = server
        .persona(
            "default",
            "POST",
            &format!("/api/v1/inquiries/{id}/perform-simulate-actions"),
            Some(json!({"meta": {"simulate-actions": actions}})),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
}

#[tokio::test]
async fn inquiry_and_event_responses_match_the_spec() {
    let server = TestServer::start().await;
    let created = server.persona("default", "POST",
        "/api/v1/inquiries",
        Some(json!({"data": {"attributes": {
            "inquiry-template-id": "itmpl_SchemaTemplate1",
            "reference-id": "schema-user-1",
            "redirect-uri": "https://app.example/done",
            "note": "schema check",
            "tags": ["vip"],
            "fields": {"name-first": "Jane", "birthdate": "1995-09-08", "address-country-code": "US"},
        }}})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let body = created.json();
    let create_schema = response("post", "/inquiries", 201);
    assert_valid(&create_schema, &body);
    // The check is not vacuous: an attribute the spec does not know is refused.
    assert!(!is_valid(
        &create_schema,
        &with_unknown_attribute(&body, "/data/attributes")
    ));
    let id = body["data"]["id"].as_str().expect("id").to_string();

    simulate(
        &server,
        &id,
        &["start_inquiry", "complete_inquiry", "approve_inquiry"],
    )
    .await;
    let retrieved = server
        .persona("default", "GET", &format!("/api/v1/inquiries/{id}"), None)
        .await;
    assert_eq!(retrieved.status, 200);
    assert_eq!(retrieved.json()["data"]["attributes"]["status"], "approved");
    assert_valid(
        &response("get", "/inquiries/{inquiry-id}", 200),
        &retrieved.json(),
    );

    let other = create_inquiry(&server, "schema-user-2").await;
    simulate(&server, &other, &["start_inquiry", "complete_inquiry"]).await;
    let declined = server
        .persona(
            "default",
            "POST",
            &format!("/api/v1/inquiries/{other}/decline"),
            None,
        )
        .await;
    assert_eq!(declined.status, 200, "{}", declined.text());
    assert_valid(
        &response("post", "/inquiries/{inquiry-id}/decline", 200),
        &declined.json(),
    );

    let listed = server
        .persona(
            "default",
            "GET",
            "/api/v1/inquiries?filter%5Breference-id%5D=schema-user-1&page%5Bsize%5D=1",
            None,
        )
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["data"][0]["id"], id.as_str());
    assert_valid(&response("get", "/inquiries", 200), &listed.json());

    let events = server
        .persona("default", "GET", "/api/v1/events", None)
        .await;
    assert_eq!(events.status, 200);
    assert_valid(&response("get", "/events", 200), &events.json());
    let event_id = events.json()["data"][0]["id"]
        .as_str()
        .expect("an event")
        .to_string();
    let event = server
        .persona(
            "default",
            "GET",
            &format!("/api/v1/events/{event_id}"),
            None,
        )
        .await;
    assert_eq!(event.status, 200);
    assert_valid(&response("get", "/events/{event-id}", 200), &event.json());

    let missing = server
        .persona("default", "GET", "/api/v1/inquiries/inq_NotThere", None)
        .await;
    assert_eq!(missing.status, 404);
    assert_valid(&error_response("not-found"), &missing.json());
}

#[tokio::test]
async fn webhook_bodies_match_the_spec() {
    let mut sink = WebhookSink::start().await;
    let url = sink.url("/persona");
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Persona, url));
        c.webhooks
            .secrets
            .push((Vendor::Persona, "wbhsec_schema".into()));
    })
    .await;
    let approved = create_inquiry(&server, "hook-1").await;
    simulate(
        &server,
        &approved,
        &["start_inquiry", "complete_inquiry", "approve_inquiry"],
    )
    .await;
    let failed = create_inquiry(&server, "hook-2").await;
    simulate(&server, &failed, &["start_inquiry", "fail_inquiry"]).await;
    let declined = create_inquiry(&server, "hook-3").await;
    simulate(
        &server,
        &declined,
        &[
            "start_inquiry",
            "complete_inquiry",
            "mark_for_review_inquiry",
            "decline_inquiry",
        ],
    )
    .await;
    let expired = create_inquiry(&server, "hook-4").await;
    simulate(&server, &expired, &["expire_inquiry"]).await;

    let mut expected: BTreeSet<&str> = [
        "inquiry.created",
        "inquiry.started",
        "inquiry.completed",
        "inquiry.approved",
        "inquiry.failed",
        "inquiry.marked-for-review",
        "inquiry.declined",
        "inquiry.expired",
        "account.created",
    ]
    .into();
    // 4 accounts and 4 inquiries created, 3 started, 2 completed, and one of each of the rest.
    for _ in 0..18 {
        let hook = sink.next().await;
        let body = hook.json();
        assert_valid_webhook(&body);
        let name = body["data"]["attributes"]["name"]
            .as_str()
            .unwrap_or_default();
        if name.starts_with("inquiry.") {
            // Every inquiry hook includes its account (each has a reference id).
            let included = &body["data"]["attributes"]["payload"]["included"];
            assert_eq!(included[0]["type"], "account", "{body}");
        }
        let name = body["data"]["attributes"]["name"]
            .as_str()
            .unwrap_or_default();
        expected.remove(name);
    }
    assert!(expected.is_empty(), "never received: {expected:?}");
}

#[tokio::test]
async fn webhook_api_responses_match_the_spec() {
    let server = TestServer::start().await;
    let created = server
        .persona(
            "default",
            "POST",
            "/api/v1/webhooks",
            Some(json!({"data": {"attributes": {
                "url": "http://127.0.0.1:9/persona",
                "enabled-events": ["inquiry.completed", "inquiry.approved"],
            }}})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_valid(&response("post", "/webhooks", 201), &created.json());
    let id = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();

    let retrieved = server
        .persona("default", "GET", &format!("/api/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(retrieved.status, 200);
    assert_valid(
        &response("get", "/webhooks/{webhook-id}", 200),
        &retrieved.json(),
    );

    let rotated = server
        .persona(
            "default",
            "POST",
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(json!({"meta": {"expires-in-seconds": 600}})),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    assert_valid(
        &response("post", "/webhooks/{webhook-id}/rotate-secret", 200),
        &rotated.json(),
    );

    let listed = server
        .persona("default", "GET", "/api/v1/webhooks", None)
        .await;
    assert_eq!(listed.status, 200);
    assert_valid(&response("get", "/webhooks", 200), &listed.json());

    for action in ["disable", "enable", "archive"] {
        let changed = server
            .persona(
                "default",
                "POST",
                &format!("/api/v1/webhooks/{id}/{action}"),
                None,
            )
            .await;
        assert_eq!(changed.status, 200, "{action}: {}", changed.text());
        assert_valid(
            &response("post", &format!("/webhooks/{{webhook-id}}/{action}"), 200),
            &changed.json(),
        );
    }

    let missing = server
        .persona("default", "GET", "/api/v1/webhooks/wbh_NotThere", None)
        .await;
    assert_eq!(missing.status, 404);
    assert_valid(&error_response("not-found"), &missing.json());
    let refused = server
        .persona(
            "default",
            "POST",
            "/api/v1/webhooks",
            Some(json!({"data": {"attributes": {"url": "ftp://x", "enabled-events": ["*"]}}})),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_valid(&error_response("unprocessable-entity"), &refused.json());
}

/// A field Persona defines holds text (the spec types `name-first`, `birthdate`… as a string or
/// null, and the inquiry renders them as such); a custom field holds any JSON value. What the
/// spec's request schema refuses is refused (400 naming the field, nothing changed), whether
/// created or patched; what it allows is kept and rendered as the spec's inquiry.
#[tokio::test]
async fn inquiry_field_values_are_what_the_spec_allows() {
    let server = TestServer::start().await;
    let call = |method: &'static str, path: String, body: Value| {
        let server = &server;
        async move { server.persona("default", method, &path, Some(body)).await }
    };
    let create = |fields: Value| {
        json!({"data": {"attributes": {
            "inquiry-template-id": "itmpl_Fields", "reference-id": "fields-1", "fields": fields,
        }}})
    };
    let custom = json!({"name-first": "Jane", "birthdate": "1990-01-02",
        "age": 34, "vip": true, "address": {"city": "Paris"}, "aliases": ["J"], "note": null});
    assert_valid(&request("post", "/inquiries"), &create(custom.clone()));
    let created = call("POST", "/api/v1/inquiries".into(), create(custom)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_valid(&response("post", "/inquiries", 201), &created.json());
    let fields = &created.json()["data"]["attributes"]["fields"];
    assert_eq!(fields["age"], json!({"type": "number", "value": 34}));
    // A hash's entries and an array's items are typed too, as Persona renders them.
    assert_eq!(
        fields["address"],
        json!({"type": "hash", "value": {"city": {"type": "string", "value": "Paris"}}})
    );
    assert_eq!(
        fields["aliases"],
        json!({"type": "array", "value": [{"type": "string", "value": "J"}]})
    );
    let id = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/api/v1/inquiries/{id}");

    let refused = [
        ("name-first", json!(123)),
        ("birthdate", json!(19900101)),
        ("email-address", json!(true)),
        ("address-city", json!({"name": "Paris"})),
        ("phone-number", json!(["1"])),
        ("address-country-code", Value::Null),
        ("identification-number", json!(5)),
    ];
    for (name, value) in refused {
        let fields = json!({ name: value });
        let body = create(fields.clone());
        if name != "identification-number" {
            assert!(!is_valid(&request("post", "/inquiries"), &body), "{name}");
        }
        let answer = call("POST", "/api/v1/inquiries".into(), body).await;
        assert_eq!(answer.status, 400, "{name}: {}", answer.text());
        assert_valid(&error_response("bad-request"), &answer.json());
        let named = format!("data.attributes.fields.{name} must be a string");
        assert!(answer.text().contains(&named), "{name}: {}", answer.text());
        // The same value in Persona's own `{type, value}` form, by PATCH.
        let typed = json!({"data": {"attributes": {"fields": {
            name: {"type": "string", "value": value},
        }}}});
        let answer = call("PATCH", path.clone(), typed).await;
        assert_eq!(answer.status, 400, "{name}: {}", answer.text());
        assert!(answer.text().contains(&named), "{name}: {}", answer.text());
    }
    // Sent back as rendered, typed all the way down, a field is the same plain value again.
    let rendered = fields["address"].clone();
    let patched = call(
        "PATCH",
        path.clone(),
        json!({"data": {"attributes": {"fields": {"address": rendered}}}}),
    )
    .await;
    assert_eq!(
        patched.json()["data"]["attributes"]["fields"]["address"],
        fields["address"],
        "{}",
        patched.text()
    );
    let read = server.persona("default", "GET", &path, None).await;
    assert_valid(
        &response("get", "/inquiries/{inquiry-id}", 200),
        &read.json(),
    );
    assert_eq!(read.json()["data"]["attributes"]["name-first"], "Jane");
    let listed = server
        .persona("default", "GET", "/api/v1/inquiries", None)
        .await;
    assert_eq!(listed.json()["data"].as_array().map(Vec::len), Some(1));

    // Approval copies the (text) fields into the account, which stays the spec's too.
    simulate(
        &server,
        &id,
        &["start_inquiry", "complete_inquiry", "approve_inquiry"],
    )
    .await;
    let account = server
        .persona("default", "GET", &format!("{path}?include=account"), None)
        .await;
    let account = &account.json()["included"][0];
    assert_eq!(account["attributes"]["name-first"], "Jane", "{account}");
    assert_valid(
        &response("get", "/accounts/{account-id}", 200),
        &json!({"data": account}),
    );
}
