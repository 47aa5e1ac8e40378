//! Persona's deeper bodies checked against its OpenAPI spec: verifications of each kind,
//! accounts, answers with `included` and sparse fieldsets, inquiry edits and account webhooks.

use serde_json::json;

use super::schema::{create_inquiry, simulate};
use crate::harness::{TestServer, WebhookSink};
use crate::openapi::{
    assert_valid, assert_valid_webhook, error_response, is_valid, response, with_unknown_attribute,
};
use std::collections::BTreeSet;
use vendor_sandbox::vendors::Vendor;

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
        let read = server
            .persona(
                "default",
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
            let body = server
                .persona(
                    "default",
                    "GET",
                    &format!("/api/v1/verifications/{id}"),
                    None,
                )
                .await;
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
            let typed = server
                .persona(
                    "default",
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
    let created = server
        .persona(
            "default",
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
    let read = server.persona("default", "GET", &path, None).await;
    assert_valid(
        &response("get", "/accounts/{account-id}", 200),
        &read.json(),
    );
    let patched = server
        .persona(
            "default",
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
        let tagged = server
            .persona(
                "default",
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
    let listed = server
        .persona("default", "GET", "/api/v1/accounts", None)
        .await;
    assert_eq!(listed.json()["data"].as_array().map(Vec::len), Some(2));
    assert_valid(&response("get", "/accounts", 200), &listed.json());
    let redacted = server.persona("default", "DELETE", &path, None).await;
    assert_valid(
        &response("delete", "/accounts/{account-id}", 200),
        &redacted.json(),
    );
    let again = server.persona("default", "DELETE", &path, None).await;
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
    let read = server
        .persona(
            "default",
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
    let listed = server
        .persona("default", "GET", "/api/v1/inquiries?include=account", None)
        .await;
    assert_valid(&response("get", "/inquiries", 200), &listed.json());
    let sparse = server
        .persona(
            "default",
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
    let with_type = server
        .persona(
            "default",
            "GET",
            &format!("/api/v1/accounts/{account}?include=account-type"),
            None,
        )
        .await;
    assert_valid(
        &response("get", "/accounts/{account-id}", 200),
        &with_type.json(),
    );
    let refused = server
        .persona(
            "default",
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
    let patched = server.persona("default", "PATCH",
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
        let tagged = server
            .persona(
                "default",
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
    let link = server
        .persona(
            "default",
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
    let redacted = server.persona("default", "DELETE", &path, None).await;
    assert_eq!(redacted.status, 200, "{}", redacted.text());
    assert_valid(
        &response("delete", "/inquiries/{inquiry-id}", 200),
        &redacted.json(),
    );
    let again = server.persona("default", "DELETE", &path, None).await;
    assert_eq!(again.status, 409);
    assert_valid(&error_response("conflict"), &again.json());
    let unknown = server
        .persona("default", "GET", "/api/v1/inquiries?filter%5Bx%5D=1", None)
        .await;
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
    let created = server
        .persona(
            "default",
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
        let tagged = server
            .persona(
                "default",
                "POST",
                &format!("{path}/{action}"),
                Some(json!({"meta": {"tag-name": name}})),
            )
            .await;
        assert_eq!(tagged.status, 200, "{}", tagged.text());
    }
    server.persona("default", "DELETE", &path, None).await;
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
    let events = server
        .persona(
            "default",
            "GET",
            &format!("/api/v1/events?filter%5Bobject-id%5D={id}"),
            None,
        )
        .await;
    assert_eq!(events.json()["data"].as_array().map(Vec::len), Some(4));
    assert_valid(&response("get", "/events", 200), &events.json());
}
