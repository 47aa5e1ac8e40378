//! What falls due on the clock, across the vendors (`vendors::settle_all`).

use vendor_sandbox::Vendor;

use super::coinflow::accounts::{add_bank, verified_user};
use super::coinflow::payouts::{payout, payout_body};
use crate::harness::{ReceivedWebhook, TestServer, WebhookSink};

/// A clock moved past several vendors' due moments settles them in the order they fell due:
/// a payout due 10 s in goes out before an inquiry that expired a day in, though Persona is
/// settled first at any one moment.
#[tokio::test]
async fn a_clock_advance_sends_what_fell_due_in_the_order_it_did() {
    let mut sink = WebhookSink::start().await;
    let (persona, coinflow) = (sink.url("/persona"), sink.url("/coinflow"));
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Persona, persona));
        c.webhooks.targets.push((Vendor::Coinflow, coinflow));
    })
    .await;
    let ns = "settle-order";
    verified_user(&server, ns, "ordered").await;
    let account = add_bank(&server, ns, "ordered").await;
    server.create_inquiry(ns, serde_json::json!({})).await;
    let made = payout(
        &server,
        ns,
        &payout_body("ordered", &account, "asap", 500, "o"),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.text());
    server.advance_clock(ns, 2.0 * 86_400.0).await;
    let timed = |h: &ReceivedWebhook| {
        let body = h.json();
        body["eventType"] == "Withdraw Success"
            || body["data"]["attributes"]["name"] == "inquiry.expired"
    };
    let first = sink.next_matching(timed).await.json();
    assert_eq!(first["eventType"], "Withdraw Success", "{first}");
    let second = sink.next_matching(timed).await.json();
    assert_eq!(
        second["data"]["attributes"]["name"], "inquiry.expired",
        "{second}"
    );
}
