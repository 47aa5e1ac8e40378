//! A user's earlier inquiry (expired, replaced by a new one, then resumed through Persona's API)
//! still carries the user's serviceId as its reference-id: its approval approves the user, and
//! the newer inquiry is closed; its other outcomes leave the user on the newer inquiry.

use super::*;

/// Creates a user and lets its first inquiry expire. The expired inquiry and the new one.
async fn user_with_an_expired_inquiry(
    server: &TestServer,
    sink: &mut WebhookSink,
    email: &str,
) -> (String, String, String) {
    let (service_id, url) = create_user(server, ACME, body_with(json!({"email": email}))).await;
    assert_eq!(sink.next().await.json()["event"], "user.kyc.pending");
    server.advance_clock("default", 24.0 * 3600.0 + 1.0).await;
    let hook = sink.next().await.json();
    assert_eq!(hook["event"], "user.kyc.needsVerification");
    let newer = hook["data"]["details"]["inquiryId"]
        .as_str()
        .expect("new inquiry")
        .to_string();
    (service_id, inquiry_of(&url), newer)
}

async fn resume(server: &TestServer, inquiry_id: &str) {
    let resumed = server
        .persona(
            "default",
            "POST",
            &format!("/api/v1/inquiries/{inquiry_id}/resume"),
            None,
        )
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.text());
}

async fn inquiry_status(server: &TestServer, inquiry_id: &str) -> Value {
    let read = server
        .persona(
            "default",
            "GET",
            &format!("/api/v1/inquiries/{inquiry_id}"),
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    read.json()["data"]["attributes"]["status"].clone()
}

#[tokio::test]
async fn an_earlier_inquiry_approved_approves_the_user_and_closes_the_newer_one() {
    let server = TestServer::start().await;
    let mut sink = WebhookSink::start().await;
    set_webhook(&server, ACME, &sink).await;
    let (service_id, earlier, newer) =
        user_with_an_expired_inquiry(&server, &mut sink, "earlier@example.com").await;
    assert_eq!(
        user_status(&server, ACME, &service_id).await,
        "needsVerification"
    );

    resume(&server, &earlier).await;
    let done = server
        .post(&format!("/verify/{earlier}"))
        .form(&[("outcome", "approve")])
        .send()
        .await;
    assert_eq!(done.status, 303, "{}", done.text());

    // Bitmama, Persona and the webhooks tell one story: approved on the earlier inquiry.
    assert_eq!(user_status(&server, ACME, &service_id).await, "approved");
    let hook = sink.next().await.json();
    assert_eq!(hook["event"], "user.kyc.approved");
    assert_eq!(hook["data"]["details"]["inquiryId"], earlier.as_str());
    assert_eq!(inquiry_status(&server, &earlier).await, "approved");
    assert_eq!(inquiry_status(&server, &newer).await, "expired");
    assert_eq!(
        events_for(&server, &service_id).await,
        [
            "user.kyc.pending",
            "user.kyc.needsVerification",
            "user.kyc.approved"
        ]
    );
    // The newer inquiry's flow is closed, and its expiry sends the user nowhere.
    let late = server
        .post(&format!("/verify/{newer}"))
        .form(&[("outcome", "decline")])
        .send()
        .await;
    assert_eq!(late.status, 409, "{}", late.text());
    assert_eq!(user_status(&server, ACME, &service_id).await, "approved");
    // Approved for Bitmama too: a card can be issued.
    let card = create_card(&server, ACME, &service_id).await;
    assert_eq!(card.status, 201, "{}", card.text());
}

#[tokio::test]
async fn an_earlier_inquiry_failing_leaves_the_user_on_the_newer_one() {
    let server = TestServer::start().await;
    let mut sink = WebhookSink::start().await;
    set_webhook(&server, ACME, &sink).await;
    let (service_id, earlier, newer) =
        user_with_an_expired_inquiry(&server, &mut sink, "failing@example.com").await;

    resume(&server, &earlier).await;
    simulate(&server, &earlier, &["fail_inquiry"]).await;
    assert_eq!(inquiry_status(&server, &earlier).await, "failed");
    assert_eq!(
        user_status(&server, ACME, &service_id).await,
        "needsVerification"
    );
    assert_eq!(inquiry_status(&server, &newer).await, "created");

    // The newer inquiry still decides: approving it approves the user, with one webhook.
    simulate(
        &server,
        &newer,
        &["start_inquiry", "complete_inquiry", "approve_inquiry"],
    )
    .await;
    let hook = sink.next().await.json();
    assert_eq!(hook["event"], "user.kyc.approved");
    assert_eq!(hook["data"]["details"]["inquiryId"], newer.as_str());
    assert_eq!(
        events_for(&server, &service_id).await,
        [
            "user.kyc.pending",
            "user.kyc.needsVerification",
            "user.kyc.approved"
        ]
    );
}
