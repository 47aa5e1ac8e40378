//! The magic email values (`+duplicate`, `+declined`, `+pending-1`, ...) picking a card user's
//! outcome without a scenario, and a scenario rule winning over them.

use serde_json::json;

use super::{ACME, CARD, Story, USERS, assert_error};
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

/// A 402 a scenario forces (its header, a magic email) on a wallet that could pay says the
/// scenario refused it, never that the balance is insufficient.
#[tokio::test]
async fn a_forced_refusal_does_not_call_a_sufficient_balance_insufficient() {
    let server = TestServer::start().await;
    let story = Story::new(&server, "forced-402", None).await;
    let steered = |path: &str, body| {
        story
            .posting(ACME, path, body)
            .header("x-sandbox-scenario", "insufficient-balance")
    };
    let user = steered(USERS, card_user_body("forced@example.com"))
        .send()
        .await;
    let magic = story
        .post(ACME, USERS, card_user_body("jo+insufficient@example.com"))
        .await;
    let card = steered(
        CARD,
        json!({"serviceId": "acme-rain-user-nobody", "amount": 1}),
    )
    .send()
    .await;
    for res in [user, magic, card] {
        let text = assert_error(&res, 402, "INSUFFICIENT_WALLET_BALANCE");
        assert!(
            text.contains("scenario") && !text.contains("insufficient"),
            "{text}"
        );
    }
}
