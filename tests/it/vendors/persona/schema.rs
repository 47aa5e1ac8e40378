//! Persona bodies checked against the schemas of Persona's own OpenAPI spec: inquiry, event and
//! webhook API responses, error envelopes, and the bodies of the webhooks the sandbox sends.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::harness::{TestResponse, TestServer, WebhookSink};
use crate::openapi::{
    assert_valid, assert_valid_webhook, error_response, is_valid, response, with_unknown_attribute,
};
use vendor_sandbox::vendors::Vendor;

const AUTH: &str = "Bearer persona_sandbox_schema";

async fn call(server: &TestServer, method: &str, path: &str, body: Option<Value>) -> TestResponse {
    let request = server.request(method, path).header("authorization", AUTH);
    request.json_opt(body.as_ref()).send().await
}

async fn create_inquiry(server: &TestServer, reference: &str) -> String {
    let attributes = json!({"reference-id": reference});
    server.create_inquiry("default", attributes).await
}

async fn simulate(server: &TestServer, id: &str, actions: &[&str]) {
    let actions: Vec<Value> = actions.iter().map(|a| json!({"type": a})).collect();
    let done = call(
        server,
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
    let created = call(
        &server,
        "POST",
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
    let retrieved = call(&server, "GET", &format!("/api/v1/inquiries/{id}"), None).await;
    assert_eq!(retrieved.status, 200);
    assert_eq!(retrieved.json()["data"]["attributes"]["status"], "approved");
    assert_valid(
        &response("get", "/inquiries/{inquiry-id}", 200),
        &retrieved.json(),
    );

    let other = create_inquiry(&server, "schema-user-2").await;
    simulate(&server, &other, &["start_inquiry", "complete_inquiry"]).await;
    let declined = call(
        &server,
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

    let listed = call(
        &server,
        "GET",
        "/api/v1/inquiries?filter%5Breference-id%5D=schema-user-1&page%5Bsize%5D=1",
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["data"][0]["id"], id.as_str());
    assert_valid(&response("get", "/inquiries", 200), &listed.json());

    let events = call(&server, "GET", "/api/v1/events", None).await;
    assert_eq!(events.status, 200);
    assert_valid(&response("get", "/events", 200), &events.json());
    let event_id = events.json()["data"][0]["id"]
        .as_str()
        .expect("an event")
        .to_string();
    let event = call(&server, "GET", &format!("/api/v1/events/{event_id}"), None).await;
    assert_eq!(event.status, 200);
    assert_valid(&response("get", "/events/{event-id}", 200), &event.json());

    let missing = call(&server, "GET", "/api/v1/inquiries/inq_NotThere", None).await;
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
    let created = call(
        &server,
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

    let retrieved = call(&server, "GET", &format!("/api/v1/webhooks/{id}"), None).await;
    assert_eq!(retrieved.status, 200);
    assert_valid(
        &response("get", "/webhooks/{webhook-id}", 200),
        &retrieved.json(),
    );

    let rotated = call(
        &server,
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

    let listed = call(&server, "GET", "/api/v1/webhooks", None).await;
    assert_eq!(listed.status, 200);
    assert_valid(&response("get", "/webhooks", 200), &listed.json());

    for action in ["disable", "enable", "archive"] {
        let changed = call(
            &server,
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

    let missing = call(&server, "GET", "/api/v1/webhooks/wbh_NotThere", None).await;
    assert_eq!(missing.status, 404);
    assert_valid(&error_response("not-found"), &missing.json());
    let refused = call(
        &server,
        "POST",
        "/api/v1/webhooks",
        Some(json!({"data": {"attributes": {"url": "ftp://x", "enabled-events": ["*"]}}})),
    )
    .await;
    assert_eq!(refused.status, 422);
    assert_valid(&error_response("unprocessable-entity"), &refused.json());
}

/// Every verification kind, passed and failed, as `GET /verifications/{id}` and its typed path
/// answer it.
#[tokio::test]
async fn verification_responses_match_the_spec() {
    let server = TestServer::start().await;
    let passed = create_inquiry(&server, "ver-1").await;
    simulate(&server, &passed, &["start_inquiry", "complete_inquiry"]).await;
    let failed = create_inquiry(&server, "ver-2").await;
    simulate(&server, &failed, &["start_inquiry", "fail_inquiry"]).await;
    let started = create_inquiry(&server, "ver-3").await;
    simulate(&server, &started, &["start_inquiry"]).await;
    let mut seen = BTreeSet::new();
    for inquiry in [&passed, &failed, &started] {
        let read = call(
            &server,
            "GET",
            &format!("/api/v1/inquiries/{inquiry}"),
            None,
        )
        .await;
        assert_valid(
            &response("get", "/inquiries/{inquiry-id}", 200),
            &read.json(),
        );
        let listed = read.json()["data"]["relationships"]["verifications"]["data"].clone();
        for v in listed.as_array().expect("verifications") {
            let id = v["id"].as_str().expect("id");
            let kind = v["type"].as_str().expect("type");
            let body = call(&server, "GET", &format!("/api/v1/verifications/{id}"), None).await;
            assert_eq!(body.status, 200, "{}", body.text());
            let schema = response("get", "/verifications/{verification-id}", 200);
            assert_valid(&schema, &body.json());
            assert!(!is_valid(
                &schema,
                &with_unknown_attribute(&body.json(), "/data/attributes")
            ));
            let plural = match kind {
                "verification/government-id" => "government-ids",
                "verification/selfie" => "selfies",
                _ => "databases",
            };
            let path = format!("/verification/{plural}/{{verification-id}}");
            let typed = call(
                &server,
                "GET",
                &format!("/api/v1/verification/{plural}/{id}"),
                None,
            )
            .await;
            assert_valid(&response("get", &path, 200), &typed.json());
            seen.insert((
                kind.to_string(),
                body.json()["data"]["attributes"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
    }
    assert_eq!(seen.len(), 9, "{seen:?}");
}

/// Account responses: create, read, update, tags, list, redact and its conflict.
#[tokio::test]
async fn account_responses_match_the_spec() {
    let server = TestServer::start().await;
    let created = call(
        &server,
        "POST",
        "/api/v1/accounts",
        Some(json!({"data": {"attributes": {
            "reference-id": "acct-1", "name-first": "Jane", "birthdate": "1990-01-02",
            "address-city": "Lagos", "country-code": "NG", "tags": ["vip"],
        }}})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let schema = response("post", "/accounts", 201);
    assert_valid(&schema, &created.json());
    assert!(!is_valid(
        &schema,
        &with_unknown_attribute(&created.json(), "/data/attributes")
    ));
    let id = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/api/v1/accounts/{id}");
    let read = call(&server, "GET", &path, None).await;
    assert_valid(
        &response("get", "/accounts/{account-id}", 200),
        &read.json(),
    );
    let patched = call(
        &server,
        "PATCH",
        &path,
        Some(json!({"data": {"attributes": {"name-last": "Doe"}}})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_valid(
        &response("patch", "/accounts/{account-id}", 200),
        &patched.json(),
    );
    for (action, name) in [
        ("add-tag", json!("a")),
        ("remove-tag", json!("a")),
        ("set-tags", json!(["b"])),
    ] {
        let tagged = call(
            &server,
            "POST",
            &format!("{path}/{action}"),
            Some(json!({"meta": {"tag-name": name}})),
        )
        .await;
        assert_eq!(tagged.status, 200, "{}", tagged.text());
        assert_valid(
            &response("post", &format!("/accounts/{{account-id}}/{action}"), 200),
            &tagged.json(),
        );
    }
    // An inquiry's auto-created account too.
    create_inquiry(&server, "acct-2").await;
    let listed = call(&server, "GET", "/api/v1/accounts", None).await;
    assert_eq!(listed.json()["data"].as_array().map(Vec::len), Some(2));
    assert_valid(&response("get", "/accounts", 200), &listed.json());
    let redacted = call(&server, "DELETE", &path, None).await;
    assert_valid(
        &response("delete", "/accounts/{account-id}", 200),
        &redacted.json(),
    );
    let again = call(&server, "DELETE", &path, None).await;
    assert_eq!(again.status, 409);
    assert_valid(
        &response("delete", "/accounts/{account-id}", 409),
        &again.json(),
    );
}

/// Answers with `included` (an inquiry's account and verifications, an account's type) and
/// sparse fieldsets still match the spec.
#[tokio::test]
async fn included_objects_match_the_spec() {
    let server = TestServer::start().await;
    let id = create_inquiry(&server, "inc-schema").await;
    simulate(
        &server,
        &id,
        &["start_inquiry", "complete_inquiry", "approve_inquiry"],
    )
    .await;
    let read = call(
        &server,
        "GET",
        &format!("/api/v1/inquiries/{id}?include=account,verifications,reports"),
        None,
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["included"].as_array().map(Vec::len), Some(4));
    assert_valid(
        &response("get", "/inquiries/{inquiry-id}", 200),
        &read.json(),
    );
    let listed = call(&server, "GET", "/api/v1/inquiries?include=account", None).await;
    assert_valid(&response("get", "/inquiries", 200), &listed.json());
    let sparse = call(
        &server,
        "GET",
        &format!("/api/v1/inquiries/{id}?fields%5Binquiry%5D=status"),
        None,
    )
    .await;
    assert_valid(
        &response("get", "/inquiries/{inquiry-id}", 200),
        &sparse.json(),
    );
    let account = read.json()["included"][0]["id"]
        .as_str()
        .expect("account")
        .to_string();
    let with_type = call(
        &server,
        "GET",
        &format!("/api/v1/accounts/{account}?include=account-type"),
        None,
    )
    .await;
    assert_valid(
        &response("get", "/accounts/{account-id}", 200),
        &with_type.json(),
    );
    let refused = call(
        &server,
        "GET",
        &format!("/api/v1/inquiries/{id}?include=x"),
        None,
    )
    .await;
    assert_eq!(refused.status, 400);
    assert_valid(&error_response("bad-request"), &refused.json());
}

/// PATCH, tags, one-time links and redaction of inquiries, and their conflicts.
#[tokio::test]
async fn inquiry_edit_responses_match_the_spec() {
    let server = TestServer::start().await;
    let id = create_inquiry(&server, "edit-schema").await;
    let path = format!("/api/v1/inquiries/{id}");
    let patched = call(
        &server,
        "PATCH",
        &path,
        Some(json!({"data": {"attributes": {"note": "n", "tags": ["t"], "fields": {"name-first": "A"}}}})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_valid(
        &response("patch", "/inquiries/{inquiry-id}", 200),
        &patched.json(),
    );
    for (action, name) in [
        ("add-tag", json!("a")),
        ("remove-tag", json!("a")),
        ("set-tags", json!(["b"])),
    ] {
        let tagged = call(
            &server,
            "POST",
            &format!("{path}/{action}"),
            Some(json!({"meta": {"tag-name": name}})),
        )
        .await;
        assert_eq!(tagged.status, 200, "{}", tagged.text());
        assert_valid(
            &response("post", &format!("/inquiries/{{inquiry-id}}/{action}"), 200),
            &tagged.json(),
        );
    }
    let link = call(
        &server,
        "POST",
        &format!("{path}/generate-one-time-link"),
        None,
    )
    .await;
    assert_eq!(link.status, 200, "{}", link.text());
    assert_valid(
        &response(
            "post",
            "/inquiries/{inquiry-id}/generate-one-time-link",
            200,
        ),
        &link.json(),
    );
    let redacted = call(&server, "DELETE", &path, None).await;
    assert_eq!(redacted.status, 200, "{}", redacted.text());
    assert_valid(
        &response("delete", "/inquiries/{inquiry-id}", 200),
        &redacted.json(),
    );
    let again = call(&server, "DELETE", &path, None).await;
    assert_eq!(again.status, 409);
    assert_valid(&error_response("conflict"), &again.json());
    let unknown = call(&server, "GET", "/api/v1/inquiries?filter%5Bx%5D=1", None).await;
    assert_valid(&error_response("bad-request"), &unknown.json());
}

/// Account events: `account.created`, `account.tag-added`, `account.tag-removed` and
/// `account.redacted`, as webhooks and in the Events API.
#[tokio::test]
async fn account_webhooks_match_the_spec() {
    let mut sink = WebhookSink::start().await;
    let url = sink.url("/persona");
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Persona, url));
    })
    .await;
    let created = call(
        &server,
        "POST",
        "/api/v1/accounts",
        Some(json!({"data": {"attributes": {"reference-id": "hooked", "name-first": "Jo"}}})),
    )
    .await;
    let id = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/api/v1/accounts/{id}");
    for (action, name) in [("add-tag", "a"), ("remove-tag", "a")] {
        let tagged = call(
            &server,
            "POST",
            &format!("{path}/{action}"),
            Some(json!({"meta": {"tag-name": name}})),
        )
        .await;
        assert_eq!(tagged.status, 200, "{}", tagged.text());
    }
    call(&server, "DELETE", &path, None).await;
    let mut names = Vec::new();
    for _ in 0..4 {
        let body = sink.next().await.json();
        assert_valid_webhook(&body);
        assert_eq!(
            body["data"]["attributes"]["payload"]["data"]["id"],
            id.as_str()
        );
        names.push(
            body["data"]["attributes"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    // Deliveries run concurrently: their order is not the events' order.
    names.sort();
    assert_eq!(
        names,
        [
            "account.created",
            "account.redacted",
            "account.tag-added",
            "account.tag-removed"
        ]
    );
    let events = call(
        &server,
        "GET",
        &format!("/api/v1/events?filter%5Bobject-id%5D={id}"),
        None,
    )
    .await;
    assert_eq!(events.json()["data"].as_array().map(Vec::len), Some(4));
    assert_valid(&response("get", "/events", 200), &events.json());
}
