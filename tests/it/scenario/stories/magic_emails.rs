//! The magic email values (`+duplicate`, `+declined`, `+pending-1`, ...) picking a card user's
//! outcome without a scenario, and a scenario rule winning over them.

use super::{ACME, Story, USERS, assert_error};
use crate::harness::{TestServer, WebhookSink, card_user_body};

#[tokio::test]
async fn magic_emails_pick_outcomes_without_a_scenario() {
    let server = TestServer::start().await;
    let story = Story::new(&server, "magic", None).await;
    let mut sink = WebhookSink::start().await;
    story.hook_to(&sink).await;

    let res = story
        .post(ACME, USERS, card_user_body("jo+duplicate@example.com"))
        .await;
    assert_error(&res, 400, "DUP_USER");
    let res = story
        .post(ACME, USERS, card_user_body("jo+insufficient@example.com"))
        .await;
    let text = assert_error(&res, 402, "INSUFFICIENT_WALLET_BALANCE");
    // The wallet holds the fee: the message says who refused.
    assert!(text.contains("scenario"), "{text}");
    assert_eq!(story.balance(ACME).await, 5000);

    let (declined, inquiry) = story.create_user("jo+declined@example.com").await;
    story.pass_hosted_page(&inquiry).await;
    assert_eq!(story.user_status(&declined).await, "denied");

    let (review, inquiry) = story.create_user("jo+review@example.com").await;
    story.pass_hosted_page(&inquiry).await;
    assert_eq!(story.user_status(&review).await, "pending_kyc");

    let (pending, inquiry) = story.create_user("jo+pending-1@example.com").await;
    story.pass_hosted_page(&inquiry).await;
    assert_eq!(story.user_status(&pending).await, "pending_kyc");
    story.advance(300.0).await;
    assert_eq!(story.user_status(&pending).await, "approved");

    let (plain, inquiry) = story.create_user("jo+work@example.com").await;
    story.pass_hosted_page(&inquiry).await;
    assert_eq!(story.user_status(&plain).await, "approved");

    let mut events = Vec::new();
    for _ in 0..8 {
        let hook = sink.next().await.json();
        events.push((
            hook["data"]["serviceId"].as_str().unwrap_or("").to_string(),
            hook["event"].as_str().unwrap_or("").to_string(),
        ));
    }
    for (user, event) in [
        (&declined, "user.kyc.denied"),
        (&review, "user.kyc.manualReview"),
        (&pending, "user.kyc.approved"),
        (&plain, "user.kyc.approved"),
    ] {
        assert!(
            events.contains(&(user.clone(), event.to_string())),
            "{user} {event}: {events:?}"
        );
    }

    // A scenario rule that decides wins over the magic value.
    let ruled = Story::new(&server, "magic-ruled", Some("insufficient-balance")).await;
    let res = ruled
        .post(ACME, USERS, card_user_body("jo+duplicate@example.com"))
        .await;
    assert_error(&res, 402, "INSUFFICIENT_WALLET_BALANCE");
}
