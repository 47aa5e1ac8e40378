//! A user's inquiry redacted before it decided them: Persona refuses every later move, so the
//! user verifies again on a new inquiry, as after an expiry. A decided user stays as it is.

use super::*;

async fn redact(server: &TestServer, inquiry_id: &str) {
    let redacted = server
        .persona(
            "default",
            "DELETE",
            &format!("/api/v1/inquiries/{inquiry_id}"),
            None,
        )
        .await;
    assert_eq!(redacted.status, 200, "{}", redacted.text());
}

#[tokio::test]
async fn an_undecided_users_redacted_inquiry_is_replaced_by_a_new_one() {
    let server = TestServer::start().await;
    let mut sink = WebhookSink::start().await;
    set_webhook(&server, ACME, &sink).await;
    // Not started, and in manual review: neither can be decided once redacted.
    let (created, created_url) = create_user(&server, ACME, brief_body()).await;
    let reviewed_body = body_with(json!({"email": "reviewed@example.com"}));
    let (reviewed, reviewed_url) = create_user(&server, ACME, reviewed_body).await;
    simulate(
        &server,
        &inquiry_of(&reviewed_url),
        &[
            "start_inquiry",
            "complete_inquiry",
            "mark_for_review_inquiry",
        ],
    )
    .await;
    for _ in 0..3 {
        sink.next().await; // pending, pending, manualReview
    }
    for (service_id, url) in [(&created, &created_url), (&reviewed, &reviewed_url)] {
        redact(&server, &inquiry_of(url)).await;
        assert_eq!(
            user_status(&server, ACME, service_id).await,
            "needsVerification"
        );
        let link = next_verification(&mut sink, service_id, url).await;
        // The new inquiry's flow is open, and it decides the user.
        let done = server
            .post(&format!("/verify/{}", inquiry_of(&link)))
            .form(&[("outcome", "approve")])
            .send()
            .await;
        assert_eq!(done.status, 303, "{}", done.text());
        assert_eq!(user_status(&server, ACME, service_id).await, "approved");
        assert_eq!(sink.next().await.json()["event"], "user.kyc.approved");
    }
}

#[tokio::test]
async fn a_decided_users_redacted_inquiry_changes_nothing() {
    let server = TestServer::start().await;
    let sink = WebhookSink::start().await;
    set_webhook(&server, ACME, &sink).await;
    let (approved, approved_url) = create_user(&server, ACME, brief_body()).await;
    approve(&server, &approved_url).await;
    let denied_body = body_with(json!({"email": "denied@example.com"}));
    let (denied, denied_url) = create_user(&server, ACME, denied_body).await;
    simulate(
        &server,
        &inquiry_of(&denied_url),
        &["start_inquiry", "fail_inquiry"],
    )
    .await;
    redact(&server, &inquiry_of(&approved_url)).await;
    redact(&server, &inquiry_of(&denied_url)).await;
    assert_eq!(user_status(&server, ACME, &approved).await, "approved");
    assert_eq!(user_status(&server, ACME, &denied).await, "denied");
    assert_eq!(
        events_for(&server, &approved).await,
        ["user.kyc.pending", "user.kyc.approved"]
    );
    // A denied user's way forward is still retry-kyc.
    let retried = post(
        &server,
        ACME,
        format!("{USERS}/{denied}/retry-kyc"),
        json!({}),
    )
    .await;
    assert_eq!(retried.status, 200, "{}", retried.text());
}

/// Completed with a scenario's decision still to come (the user still `pending_kyc`): redacted,
/// the decision never comes, so the user verifies again instead of waiting for ever.
#[tokio::test]
async fn a_redacted_inquiry_awaiting_its_decision_is_replaced_too() {
    let server = TestServer::start().await;
    let selected = server
        .request("PUT", "/__admin/scenario")
        .json(&json!({"name": "pending-verification"}))
        .send()
        .await;
    assert_eq!(selected.status, 200, "{}", selected.text());
    let (service_id, url) = create_user(&server, ACME, brief_body()).await;
    let done = server
        .post(&format!("/verify/{}", inquiry_of(&url)))
        .form(&[("outcome", "pass")])
        .send()
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(user_status(&server, ACME, &service_id).await, "pending_kyc");
    redact(&server, &inquiry_of(&url)).await;
    assert_eq!(
        user_status(&server, ACME, &service_id).await,
        "needsVerification"
    );
    // The decision's time passes: nothing moves the user back.
    server.advance_clock("default", 301.0).await;
    assert_eq!(
        user_status(&server, ACME, &service_id).await,
        "needsVerification"
    );
}
