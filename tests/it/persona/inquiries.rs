//! Inquiries: auth, create, retrieve, list, actions, simulate, events, Key-Inflection, expiry.

use serde_json::{Value, json};

use super::*;
use crate::harness::{TestServer, WebhookSink};

#[tokio::test]
async fn auth_is_required_and_every_response_has_a_request_id() {
    let p = Persona::start().await;
    let missing = p.server.get("/api/v1/inquiries").send().await;
    let error = only_error(&missing, 401);
    assert_eq!(
        error["title"],
        "Must be authenticated to access this endpoint"
    );
    assert!(error["details"].as_str().unwrap_or("").contains("Bearer"));
    assert!(is_persona_id(
        missing.header("request-id").unwrap_or(""),
        "req_"
    ));

    let basic = p
        .server
        .get("/api/v1/inquiries")
        .header("authorization", "Basic abc")
        .send()
        .await;
    only_error(&basic, 401);
    let empty = p
        .server
        .get("/api/v1/inquiries")
        .header("authorization", "Bearer ")
        .send()
        .await;
    only_error(&empty, 401);

    let any_key = p
        .server
        .get("/api/v1/inquiries")
        .header("authorization", "Bearer anything")
        .send()
        .await;
    assert_eq!(any_key.status, 200);
    assert!(is_persona_id(
        any_key.header("request-id").unwrap_or(""),
        "req_"
    ));
    assert_ne!(any_key.header("request-id"), missing.header("request-id"));
}

#[tokio::test]
async fn configured_api_keys_are_the_only_ones_accepted() {
    let server = TestServer::start_with(|cfg| {
        cfg.persona.api_keys = vec!["persona_sandbox_a".into(), "persona_sandbox_b".into()];
    })
    .await;
    let with = |key: &str| {
        server
            .get("/api/v1/inquiries")
            .header("authorization", &format!("Bearer {key}"))
    };
    assert_eq!(with("persona_sandbox_b").send().await.status, 200);
    let wrong = with("persona_sandbox_c").send().await;
    assert_eq!(only_error(&wrong, 401)["title"], "Token is invalid");
    assert!(wrong.header("request-id").is_some());
}

#[tokio::test]
async fn create_answers_the_spec_shape_and_keeps_what_was_sent() {
    let p = Persona::start().await;
    let body = p
        .create(json!({
            "reference-id": "user-42",
            "note": "from the test",
            "tags": ["vip", "test"],
            "redirect-uri": "https://app.example/done",
            "fields": {"name-first": "Jane", "birthdate": "1995-09-08", "address-country-code": "US"},
        }))
        .await;
    let data = &body["data"];
    assert_eq!(data["type"], "inquiry");
    assert!(
        is_persona_id(data["id"].as_str().unwrap_or(""), "inq_"),
        "{data}"
    );
    let attrs = &data["attributes"];
    assert_eq!(attrs["status"], "created");
    assert_eq!(attrs["reference-id"], "user-42");
    assert_eq!(attrs["note"], "from the test");
    assert_eq!(attrs["tags"], json!(["vip", "test"]));
    assert_eq!(attrs["name-first"], "Jane");
    assert_eq!(
        attrs["fields"]["name-first"],
        json!({"type": "string", "value": "Jane"})
    );
    assert_eq!(
        attrs["fields"]["birthdate"],
        json!({"type": "date", "value": "1995-09-08"})
    );
    assert!(
        is_iso_ms(&attrs["created-at"]) && is_iso_ms(&attrs["updated-at"]),
        "{attrs}"
    );
    // Every attribute of the spec's inquiry schema is present, null where unknown.
    for key in [
        "status",
        "reference-id",
        "note",
        "behaviors",
        "tags",
        "creator",
        "reviewer-comment",
        "created-at",
        "updated-at",
        "started-at",
        "completed-at",
        "failed-at",
        "marked-for-review-at",
        "decisioned-at",
        "expired-at",
        "redacted-at",
        "previous-step-name",
        "next-step-name",
        "name-first",
        "name-middle",
        "name-last",
        "birthdate",
        "address-street-1",
        "address-street-2",
        "address-city",
        "address-subdivision",
        "address-subdivision-abbr",
        "address-postal-code",
        "address-postal-code-abbr",
        "social-security-number",
        "identification-number",
        "email-address",
        "phone-number",
        "fields",
    ] {
        assert!(attrs.get(key).is_some(), "attribute {key} missing: {attrs}");
    }
    assert!(attrs["started-at"].is_null() && attrs["redacted-at"].is_null());
    let rels = &data["relationships"];
    for key in [
        "account",
        "template",
        "inquiry-template",
        "inquiry-template-version",
        "transaction",
        "reviewer",
        "reports",
        "verifications",
        "sessions",
        "documents",
        "selfies",
    ] {
        assert!(
            rels[key].get("data").is_some(),
            "relationship {key} missing: {rels}"
        );
    }
    assert_eq!(
        rels["inquiry-template"]["data"],
        json!({"type": "inquiry-template", "id": "itmpl_sandbox"})
    );
    assert_eq!(rels["verifications"]["data"], json!([]));
    assert_eq!(body["included"], json!([]));

    let retrieved = p.get(&format!("/api/v1/inquiries/{}", id_of(&body))).await;
    assert_eq!(retrieved.status, 200);
    assert_eq!(retrieved.json()["data"], body["data"]);
}

#[tokio::test]
async fn create_takes_any_one_template_kind() {
    let p = Persona::start().await;
    for (key, id, rel) in [
        ("template-id", "tmpl_legacy", "template"),
        (
            "inquiry-template-version-id",
            "itmplv_v1",
            "inquiry-template-version",
        ),
    ] {
        let response = p
            .post(
                "/api/v1/inquiries",
                &json!({"data": {"attributes": {key: id}}}),
            )
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        assert_eq!(
            response.json()["data"]["relationships"][rel]["data"]["id"],
            id
        );
    }
}

#[tokio::test]
async fn create_refuses_bad_bodies_naming_the_field() {
    let p = Persona::start().await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"data": {"attributes": {"reference-id": "x"}}}),
            422,
            "inquiry-template-id",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a", "template-id": "tmpl_b"}}}),
            422,
            "only one",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "tmpl_a"}}}),
            422,
            "itmpl_",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a"}}, "extra": 1}),
            400,
            "\"extra\"",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a"}, "id": "x"}}),
            400,
            "\"id\"",
        ),
        (json!({"data": {}}), 400, "data.attributes"),
        (json!({"meta": {}}), 400, "data is required"),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a", "note": 5}}}),
            400,
            "note",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a", "tags": [1]}}}),
            400,
            "tags",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a", "fields": "x"}}}),
            400,
            "fields",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a"}}, "meta": {"bogus": 1}}),
            400,
            "bogus",
        ),
        (json!([1]), 400, "JSON object"),
    ];
    for (body, status, needle) in cases {
        let response = p.post("/api/v1/inquiries", &body).await;
        let message = details(&response, status);
        assert!(message.contains(needle), "{body} -> {message}");
    }
    let invalid = p
        .authed(p.server.post("/api/v1/inquiries"))
        .body("{not json")
        .send()
        .await;
    assert!(details(&invalid, 400).contains("not valid JSON"));
    // Nothing was created by any of them.
    let list = p.get("/api/v1/inquiries").await;
    assert_eq!(list.json()["data"], json!([]));
    assert_eq!(p.event_names().await, Vec::<String>::new());
}

#[tokio::test]
async fn unknown_inquiry_is_record_not_found() {
    let p = Persona::start().await;
    for response in [
        p.get("/api/v1/inquiries/inq_doesnotexist").await,
        p.post_empty("/api/v1/inquiries/inq_doesnotexist/approve")
            .await,
        p.post_empty("/api/v1/inquiries/inq_doesnotexist/resume")
            .await,
        p.simulate("inq_doesnotexist", &["start_inquiry"]).await,
        p.get("/api/v1/events/evt_doesnotexist").await,
        p.get("/api/v1/connect/share-tokens/cnst_doesnotexist")
            .await,
    ] {
        assert_eq!(only_error(&response, 404)["title"], "Record not found");
    }
}

#[tokio::test]
async fn list_pages_by_cursor_and_filters() {
    let p = Persona::start().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let reference = if n % 2 == 0 { "even" } else { "odd" };
        ids.push(id_of(&p.create(json!({"reference-id": reference})).await));
    }
    ids.reverse(); // newest first, as the list answers
    let first = p.get("/api/v1/inquiries?page%5Bsize%5D=2").await.json();
    let page_ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|i| i["id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(page_ids(&first), ids[0..2]);
    assert!(first["links"]["prev"].is_null());
    let next = first["links"]["next"]
        .as_str()
        .expect("next link")
        .to_string();
    assert_eq!(
        next,
        format!(
            "/api/v1/inquiries?page%5Bafter%5D={}&page%5Bsize%5D=2",
            ids[1]
        )
    );
    let second = p.get(&next).await.json();
    assert_eq!(page_ids(&second), ids[2..4]);
    let third = p
        .get(second["links"]["next"].as_str().expect("next"))
        .await
        .json();
    assert_eq!(page_ids(&third), ids[4..5]);
    assert!(third["links"]["next"].is_null());
    let back = p
        .get(third["links"]["prev"].as_str().expect("prev"))
        .await
        .json();
    assert_eq!(page_ids(&back), ids[2..4]);

    let odd = p
        .get("/api/v1/inquiries?filter%5Breference-id%5D=odd")
        .await
        .json();
    assert_eq!(page_ids(&odd), vec![ids[1].clone(), ids[3].clone()]);

    p.simulate(&ids[0], &["start_inquiry"]).await;
    p.simulate(&ids[1], &["start_inquiry", "complete_inquiry"])
        .await;
    let by_status = p
        .get("/api/v1/inquiries?filter%5Bstatus%5D=pending,completed")
        .await
        .json();
    assert_eq!(page_ids(&by_status), ids[0..2]);

    for bad in [
        "/api/v1/inquiries?filter%5Bstatus%5D=aproved",
        "/api/v1/inquiries?page%5Bsize%5D=0",
        "/api/v1/inquiries?page%5Bsize%5D=abc",
        "/api/v1/inquiries?page%5Bafter%5D=inq_unknown",
    ] {
        only_error(&p.get(bad).await, 400);
    }
}

#[tokio::test]
async fn lifecycle_records_events_with_the_inquiry_at_that_moment() {
    let p = Persona::start().await;
    let id = p.create_id().await;
    let response = p
        .simulate(
            &id,
            &[
                "start_inquiry",
                "complete_inquiry",
                "mark_for_review_inquiry",
            ],
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let attrs = &response.json()["data"]["attributes"];
    assert_eq!(attrs["status"], "needs_review");
    assert!(is_iso_ms(&attrs["started-at"]) && is_iso_ms(&attrs["completed-at"]));
    assert!(is_iso_ms(&attrs["marked-for-review-at"]));

    let approved = p
        .post(
            &format!("/api/v1/inquiries/{id}/approve"),
            &json!({"meta": {"comment": "looks good"}}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    let attrs = &approved.json()["data"]["attributes"];
    assert_eq!(attrs["status"], "approved");
    assert_eq!(attrs["reviewer-comment"], "looks good");
    assert!(is_iso_ms(&attrs["decisioned-at"]));

    assert_eq!(
        p.event_names().await,
        [
            "inquiry.created",
            "inquiry.started",
            "inquiry.completed",
            "inquiry.marked-for-review",
            "inquiry.approved"
        ]
    );
    let events = p.get("/api/v1/events").await.json();
    let newest = &events["data"][0];
    assert!(is_persona_id(newest["id"].as_str().unwrap_or(""), "evt_"));
    assert_eq!(newest["type"], "event");
    assert!(is_iso_ms(&newest["attributes"]["created-at"]));
    let oldest = &events["data"][4];
    assert_eq!(oldest["attributes"]["payload"]["data"]["id"], id);
    assert_eq!(
        oldest["attributes"]["payload"]["data"]["attributes"]["status"],
        "created"
    );

    let one = p
        .get(&format!(
            "/api/v1/events/{}",
            newest["id"].as_str().unwrap_or("")
        ))
        .await;
    assert_eq!(one.status, 200);
    let one = one.json();
    assert_eq!(one["data"]["attributes"]["name"], "inquiry.approved");
    assert_eq!(
        one["data"]["attributes"]["payload"]["data"]["attributes"]["status"],
        "approved"
    );

    let only_approved = p
        .get("/api/v1/events?filter%5Bname%5D=inquiry.approved")
        .await
        .json();
    assert_eq!(only_approved["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn decline_and_fail_paths() {
    let p = Persona::start().await;
    let declined = p.completed_inquiry().await;
    let response = p
        .post_empty(&format!("/api/v1/inquiries/{declined}/decline"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(p.status(&declined).await, "declined");

    let failed = p.create_id().await;
    let response = p
        .simulate(&failed, &["start_inquiry", "fail_inquiry"])
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(is_iso_ms(
        &response.json()["data"]["attributes"]["failed-at"]
    ));
    assert!(
        p.event_names()
            .await
            .contains(&"inquiry.failed".to_string())
    );
    let simulated_decision = p.completed_inquiry().await;
    let response = p.simulate(&simulated_decision, &["decline_inquiry"]).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(p.status(&simulated_decision).await, "declined");
}

#[tokio::test]
async fn illegal_transitions_are_refused_and_change_nothing() {
    let p = Persona::start().await;
    let created = p.create_id().await;
    let expired = p.create_id().await;
    assert_eq!(
        p.post_empty(&format!("/api/v1/inquiries/{expired}/expire"))
            .await
            .status,
        200
    );
    let approved = p.completed_inquiry().await;
    p.post_empty(&format!("/api/v1/inquiries/{approved}/approve"))
        .await;
    let events_before = p.event_names().await;

    let cases = [
        (
            format!("/api/v1/inquiries/{expired}/approve"),
            "approved",
            "expired",
        ),
        (
            format!("/api/v1/inquiries/{created}/approve"),
            "approved",
            "created",
        ),
        (
            format!("/api/v1/inquiries/{created}/decline"),
            "declined",
            "created",
        ),
        (
            format!("/api/v1/inquiries/{approved}/decline"),
            "declined",
            "approved",
        ),
        (
            format!("/api/v1/inquiries/{approved}/expire"),
            "expired",
            "approved",
        ),
        (
            format!("/api/v1/inquiries/{approved}/resume"),
            "resumed",
            "approved",
        ),
    ];
    for (path, verb, status) in cases {
        let response = p.post_empty(&path).await;
        let error = only_error(&response, 422);
        assert_eq!(error["title"], "Unprocessable entity");
        let message = error["details"].as_str().unwrap_or("");
        assert!(
            message.contains(verb) && message.contains(status),
            "{path}: {message}"
        );
    }
    assert_eq!(p.status(&created).await, "created");
    assert_eq!(p.status(&expired).await, "expired");
    assert_eq!(p.status(&approved).await, "approved");
    assert_eq!(p.event_names().await, events_before);

    // A decision body with an unknown key is refused before anything moves.
    let completed = p.completed_inquiry().await;
    let response = p
        .post(
            &format!("/api/v1/inquiries/{completed}/approve"),
            &json!({"meta": {"comment": "x", "why": 1}}),
        )
        .await;
    assert!(details(&response, 400).contains("why"));
    assert_eq!(p.status(&completed).await, "completed");
}

#[tokio::test]
async fn resume_returns_a_session_token_and_revives_an_expired_inquiry() {
    let p = Persona::start().await;
    let id = p.create_id().await;
    let response = p
        .post_empty(&format!("/api/v1/inquiries/{id}/resume"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        response.json()["meta"]["session-token"]
            .as_str()
            .is_some_and(|t| t.len() > 20)
    );

    p.post_empty(&format!("/api/v1/inquiries/{id}/expire"))
        .await;
    assert_eq!(p.status(&id).await, "expired");
    let response = p
        .post_empty(&format!("/api/v1/inquiries/{id}/resume"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["data"]["attributes"]["status"], "pending");
    assert!(body["data"]["attributes"]["expired-at"].is_null());
    assert!(body["meta"]["session-token"].is_string());
    assert_eq!(
        p.event_names().await,
        ["inquiry.created", "inquiry.expired", "inquiry.started"]
    );
}

#[tokio::test]
async fn simulate_actions_cover_every_type_and_refuse_unknown_ones() {
    let p = Persona::start().await;
    let id = p.create_id().await;
    let response = p
        .post(
            &format!("/api/v1/inquiries/{id}/perform-simulate-actions"),
            &json!({"meta": {"simulate-actions": [
                {"type": "start_inquiry"},
                {"type": "create_failed_verification", "data": {"verification-template-id": "vtmpl_a"}},
                {"type": "create_passed_verification", "data": {"verification-template-id": "vtmpl_a"}},
                {"type": "complete_inquiry"},
                {"type": "approve_inquiry"},
            ]}}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let data = &response.json()["data"];
    assert_eq!(data["attributes"]["status"], "approved");
    let verifications = data["relationships"]["verifications"]["data"]
        .as_array()
        .expect("verifications");
    assert_eq!(verifications.len(), 2);
    assert!(is_persona_id(
        verifications[0]["id"].as_str().unwrap_or(""),
        "ver_"
    ));
    assert!(
        verifications[0]["type"]
            .as_str()
            .unwrap_or("")
            .starts_with("verification/")
    );

    let expiring = p.create_id().await;
    assert_eq!(p.simulate(&expiring, &["expire_inquiry"]).await.status, 200);
    assert_eq!(p.status(&expiring).await, "expired");

    let other = p.create_id().await;
    let events_before = p.event_names().await;
    let unknown = p
        .simulate(&other, &["start_inquiry", "teleport_inquiry"])
        .await;
    let message = details(&unknown, 422);
    assert!(
        message.contains("teleport_inquiry") && message.contains("start_inquiry"),
        "{message}"
    );
    // An illegal step anywhere in the list refuses the whole list.
    let illegal = p
        .simulate(&other, &["start_inquiry", "approve_inquiry"])
        .await;
    assert!(details(&illegal, 422).contains("simulate-actions[1]"));
    let missing_data = p
        .post(
            &format!("/api/v1/inquiries/{other}/perform-simulate-actions"),
            &json!({"meta": {"simulate-actions": [{"type": "create_passed_verification"}]}}),
        )
        .await;
    assert!(details(&missing_data, 422).contains("verification-template-id"));
    let no_meta = p
        .post(
            &format!("/api/v1/inquiries/{other}/perform-simulate-actions"),
            &json!({}),
        )
        .await;
    assert!(details(&no_meta, 400).contains("simulate-actions"));
    assert_eq!(p.status(&other).await, "created");
    assert_eq!(p.event_names().await, events_before);
}

#[tokio::test]
async fn key_inflection_recases_response_keys() {
    let p = Persona::start().await;
    let id = id_of(
        &p.create(json!({"reference-id": "r1", "fields": {"name-first": "Ann", "address-street-1": "1 Road"}}))
            .await,
    );
    let as_camel = p
        .authed(p.server.get(&format!("/api/v1/inquiries/{id}")))
        .header("key-inflection", "camel")
        .send()
        .await
        .json();
    let attrs = &as_camel["data"]["attributes"];
    assert_eq!(attrs["referenceId"], "r1");
    assert!(attrs.get("reference-id").is_none());
    assert!(is_iso_ms(&attrs["createdAt"]));
    assert_eq!(attrs["fields"]["nameFirst"]["value"], "Ann");
    assert_eq!(attrs["fields"]["addressStreet1"]["value"], "1 Road");
    assert!(as_camel["data"]["relationships"]["inquiryTemplate"].is_object());

    let as_snake = p
        .authed(p.server.get("/api/v1/inquiries"))
        .header("key-inflection", "snake")
        .send()
        .await
        .json();
    assert_eq!(as_snake["data"][0]["attributes"]["reference_id"], "r1");
    assert_eq!(
        as_snake["data"][0]["attributes"]["fields"]["name_first"]["value"],
        "Ann"
    );

    let as_kebab = p
        .authed(p.server.get(&format!("/api/v1/inquiries/{id}")))
        .header("key-inflection", "kebab")
        .send()
        .await
        .json();
    assert_eq!(as_kebab["data"]["attributes"]["reference-id"], "r1");

    let bad = p
        .authed(p.server.get("/api/v1/inquiries"))
        .header("key-inflection", "pascal")
        .send()
        .await;
    assert!(details(&bad, 400).contains("Key-Inflection"));

    // Request keys are read in any casing.
    let camel_request = p
        .post(
            "/api/v1/inquiries",
            &json!({"data": {"attributes": {"inquiryTemplateId": "itmpl_c", "referenceId": "r2"}}}),
        )
        .await;
    assert_eq!(camel_request.status, 201, "{}", camel_request.text());
    assert_eq!(
        camel_request.json()["data"]["attributes"]["reference-id"],
        "r2"
    );
}

#[tokio::test]
async fn pending_inquiries_expire_after_a_day_of_sandbox_time() {
    let p = Persona::start().await;
    let id = p.create_id().await;
    p.simulate(&id, &["start_inquiry"]).await;
    p.advance_clock(24 * 60 * 60 - 10).await;
    assert_eq!(p.status(&id).await, "pending");
    p.advance_clock(10).await;
    let response = p.get(&format!("/api/v1/inquiries/{id}")).await.json();
    assert_eq!(response["data"]["attributes"]["status"], "expired");
    assert!(is_iso_ms(&response["data"]["attributes"]["expired-at"]));
    assert_eq!(
        p.event_names().await.last().map(String::as_str),
        Some("inquiry.expired")
    );
}

#[tokio::test]
async fn events_are_handed_to_the_webhook_outbox() {
    let mut sink = WebhookSink::start().await;
    let url = sink.url("/persona");
    let server = TestServer::start_with(|cfg| {
        cfg.webhooks
            .targets
            .push((vendor_sandbox::vendors::Vendor::Persona, url));
    })
    .await;
    let p = Persona {
        server,
        namespace: "default",
    };
    let id = p.completed_inquiry().await;
    for expected in ["inquiry.created", "inquiry.started", "inquiry.completed"] {
        let hook = sink
            .next_matching(|h| h.json()["data"]["attributes"]["name"] == expected)
            .await;
        let body = hook.json();
        assert_eq!(body["data"]["type"], "event");
        assert!(is_persona_id(
            body["data"]["id"].as_str().unwrap_or(""),
            "evt_"
        ));
        assert_eq!(body["data"]["attributes"]["payload"]["data"]["id"], id);
    }
}

#[tokio::test]
async fn namespaces_keep_persona_state_apart() {
    let p = Persona::start().await;
    let id = p.create_id().await;
    let elsewhere = p
        .server
        .get(&format!("/ns/other/api/v1/inquiries/{id}"))
        .header("authorization", "Bearer k")
        .send()
        .await;
    only_error(&elsewhere, 404);
    let unknown_route = p.get("/api/v1/nothing-here").await;
    only_error(&unknown_route, 404);
}
