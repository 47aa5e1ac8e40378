//! The inquiry lifecycle: events, transitions and refusals, resume, simulate actions, expiry,
//! events handed to the webhook outbox.

use serde_json::json;

use super::*;
use crate::harness::{TestServer, WebhookSink};

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
    // Created, pending or expired inquiries may be resumed (vendors.md 1.3): a created one
    // keeps its status and gets the token its flow loads with, the one it keeps once started.
    let response = p
        .post_empty(&format!("/api/v1/inquiries/{id}/resume"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["data"]["attributes"]["status"], "created");
    let token = response.json()["meta"]["session-token"].clone();
    assert!(token.as_str().is_some_and(|t| t.len() > 20));
    let flow = format!(
        "/ns/{}/verify?inquiry-id={id}&session-token={}",
        p.namespace,
        token.as_str().unwrap_or_default()
    );
    assert_eq!(p.server.get(&flow).send().await.status, 200);
    let started = p.simulate(&id, &["start_inquiry"]).await;
    assert_eq!(started.status, 200, "{}", started.text());
    let response = p
        .post_empty(&format!("/api/v1/inquiries/{id}/resume"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["meta"]["session-token"], token);
    // A valid session is reused (the spec: "first tries to reuse any existing valid unused
    // sessions"), so a flow loaded with the first token goes on working.
    let again = p
        .post_empty(&format!("/api/v1/inquiries/{id}/resume"))
        .await;
    assert_eq!(again.json()["meta"]["session-token"], token);

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
    assert_ne!(
        body["meta"]["session-token"], token,
        "the expired session ended"
    );
    assert_eq!(
        p.event_names().await,
        [
            "inquiry.created",
            "inquiry.started",
            "inquiry.expired",
            "inquiry.started"
        ]
    );
    // A finished inquiry is a 409 (Persona's reference: completed, failed, decisioned or
    // redacted), nothing changed.
    let completed = p.completed_inquiry().await;
    let approved = p.completed_inquiry().await;
    p.post_empty(&format!("/api/v1/inquiries/{approved}/approve"))
        .await;
    for (finished, status) in [(&completed, "completed"), (&approved, "approved")] {
        let response = p
            .post_empty(&format!("/api/v1/inquiries/{finished}/resume"))
            .await;
        let error = only_error(&response, 409);
        assert_eq!(error["title"], "Conflict");
        let message = error["details"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("status is {status}")),
            "{message}"
        );
        assert_eq!(p.status(finished).await, status);
    }

    // A session token sent in the body is typed like every other meta value.
    let expired = p.create_id().await;
    p.post_empty(&format!("/api/v1/inquiries/{expired}/expire"))
        .await;
    let resume = format!("/api/v1/inquiries/{expired}/resume");
    let refused = p
        .post(&resume, &json!({"meta": {"session-token": 5}}))
        .await;
    assert_eq!(
        details(&refused, 400),
        "meta.session-token must be a string"
    );
    assert_eq!(p.status(&expired).await, "expired", "nothing changed");
    let given = p
        .post(&resume, &json!({"meta": {"session-token": "t"}}))
        .await;
    assert_eq!(given.status, 200, "{}", given.text());
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
    // The flow's three (started by `start_inquiry`) and the two simulated ones.
    assert_eq!(verifications.len(), 5);
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
