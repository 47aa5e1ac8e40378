//! One KYC outcome per decision: a decline in the same step as completion is only `denied`, and
//! an approval is final (a later decline or review leaves the user and its cards alone).

use super::*;

/// A decision that follows completion in the same step (one simulate list, one hosted-page
/// submission) is one KYC outcome: the user is denied, and is never announced approved first.
#[tokio::test]
async fn a_decline_in_the_same_step_as_completion_sends_only_denied() {
    let server = TestServer::start().await;
    let mut sink = WebhookSink::start().await;
    set_webhook(&server, ACME, &sink).await;

    let (service_id, url) = create_user(&server, ACME, brief_body()).await;
    assert_eq!(sink.next().await.json()["event"], "user.kyc.pending");
    simulate(
        &server,
        &inquiry_of(&url),
        &["start_inquiry", "complete_inquiry", "decline_inquiry"],
    )
    .await;
    assert_eq!(sink.next().await.json()["event"], "user.kyc.denied");
    assert_eq!(user_status(&server, ACME, &service_id).await, "denied");
    assert_eq!(
        events_for(&server, &service_id).await,
        ["user.kyc.pending", "user.kyc.denied"]
    );

    let other = body_with(json!({"email": "second@example.com"}));
    let (service_id, url) = create_user(&server, ACME, other).await;
    assert_eq!(sink.next().await.json()["event"], "user.kyc.pending");
    let inquiry_id = inquiry_of(&url);
    let done = server
        .post(&format!("/verify/{inquiry_id}"))
        .form(&[("outcome", "decline")])
        .send()
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(sink.next().await.json()["event"], "user.kyc.denied");
    assert_eq!(user_status(&server, ACME, &service_id).await, "denied");
    assert_eq!(
        events_for(&server, &service_id).await,
        ["user.kyc.pending", "user.kyc.denied"]
    );
}

#[tokio::test]
async fn approval_is_final_a_later_decline_or_review_leaves_the_user_and_cards_alone() {
    let server = TestServer::start().await;
    let sink = WebhookSink::start().await;
    set_webhook(&server, ACME, &sink).await;
    for (email, later) in [
        ("final-decline@example.com", "decline_inquiry"),
        ("final-review@example.com", "mark_for_review_inquiry"),
    ] {
        let (service_id, url) =
            create_user(&server, ACME, body_with(json!({"email": email}))).await;
        let inquiry_id = inquiry_of(&url);
        // `completed` approves the card user; Persona may still decide the inquiry afterwards.
        simulate(&server, &inquiry_id, &["start_inquiry", "complete_inquiry"]).await;
        assert_eq!(user_status(&server, ACME, &service_id).await, "approved");
        let card = create_card(&server, ACME, &service_id).await;
        assert_eq!(card.status, 201, "{}", card.text());
        let card_id = card.json()["data"]["serviceCardId"]
            .as_str()
            .expect("card id")
            .to_string();

        simulate(&server, &inquiry_id, &[later]).await;
        assert_eq!(user_status(&server, ACME, &service_id).await, "approved");
        assert_eq!(
            events_for(&server, &service_id).await,
            ["user.kyc.pending", "user.kyc.approved"]
        );
        // The card still works: it can be funded.
        let fund = post(
            &server,
            ACME,
            "/api/v1/partner/card/fund",
            json!({"serviceCardId": card_id, "amount": 10}),
        )
        .await;
        assert_eq!(fund.status, 200, "{}", fund.text());
    }
}
