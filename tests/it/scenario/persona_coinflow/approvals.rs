//! Withdrawers a scenario or a reviewer decides: the KYC data they are approved with, the call
//! at which an `after_polls` hold falls due, and the missing fields every view names.

use serde_json::{Value, json};

use super::{Ns, full_fields, message, withdrawer_status};
use vendor_sandbox::vendors::Vendor;

use crate::harness::{TestResponse, TestServer, WebhookSink};
use crate::vendors::coinflow::accounts::bank;
use crate::vendors::coinflow::{fields_asked, filled_in};

impl Ns<'_> {
    /// The withdrawer registered with `email`, as `GET /__admin/state` shows it.
    async fn withdrawer_state(&self, email: &str) -> Value {
        let state = self.req("GET", "/__admin/state").send().await.json();
        state["coinflow"]["withdrawers"]
            .as_array()
            .and_then(|all| all.iter().find(|w| w["email"] == email))
            .cloned()
            .unwrap_or_else(|| panic!("no withdrawer {email} in {state}"))
    }

    async fn add_bank(&self, user: &str) -> TestResponse {
        self.coinflow("POST", "/api/withdraw/account", user)
            .json(&bank("021000021"))
            .send()
            .await
    }

    /// A share token of an inquiry with `fields`, approved through Persona's API (as a
    /// reviewer would, whatever the scenario decides).
    async fn approved_share_token(&self, fields: Value) -> String {
        let id = self.create_inquiry(fields).await;
        let done = self
            .simulate(&id, &["start_inquiry", "complete_inquiry"])
            .await;
        assert_eq!(done.status, 200, "{}", done.text());
        let approved = self
            .persona("POST", &format!("/api/v1/inquiries/{id}/approve"))
            .send()
            .await;
        assert_eq!(approved.status, 200, "{}", approved.text());
        self.share_token(&id).await
    }

    /// Registers `user` with a share token of an approved inquiry with every field Coinflow
    /// needs and lets the redemption finish; returns the withdrawer's id.
    async fn register_shared(&self, user: &str, email: &str) -> String {
        self.register_shared_with(user, email, full_fields()).await
    }

    /// [`Self::register_shared`] with a source inquiry holding `fields`.
    async fn register_shared_with(&self, user: &str, email: &str, fields: Value) -> String {
        let token = self.approved_share_token(fields).await;
        let res = self
            .coinflow("POST", "/api/withdraw/kyc/share-token", user)
            .json(&json!({"vendor": "persona", "shareToken": token, "email": email}))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        self.advance(3.0).await;
        res.json()["withdrawer"]["_id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Approved by `after_polls`, a share-token withdrawer has the source inquiry's KYC data, as
/// one approved without a scenario: a bank account needs no address in its body.
#[tokio::test]
async fn a_withdrawer_a_scenario_approves_has_the_source_inquirys_details() {
    let server = TestServer::start().await;
    let ns = Ns::with(&server, "pc-approved-details", "pending-verification").await;
    ns.register_shared("pv-user", "pv@example.com").await;
    for poll in 1..=2 {
        let res = ns.get_withdrawer("pv-user").await;
        assert_eq!(res.status, 451, "poll {poll}: {}", res.text());
    }
    let res = ns.get_withdrawer("pv-user").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let account = ns.add_bank("pv-user").await;
    assert_eq!(account.status, 200, "{}", account.text());
    let state = ns.withdrawer_state("pv@example.com").await;
    assert_eq!(
        (state["status"].clone(), state["missing_fields"].clone()),
        (json!("approved"), json!([])),
        "{state}"
    );
}

/// Approved by `after_polls`, a withdrawer whose source inquiry lacks Coinflow's required
/// fields is asked for them (451 with the form) and approved, with `KYC Success`, only once
/// they are submitted; at every step the admin state names the fields Get Withdrawer asks for.
#[tokio::test]
async fn a_scenario_approval_asks_for_the_fields_the_source_inquiry_lacks() {
    let sink = WebhookSink::start().await;
    let coinflow_url = sink.url("/coinflow");
    let server =
        TestServer::start_with(|c| c.webhooks.targets.push((Vendor::Coinflow, coinflow_url))).await;
    let ns = Ns::with(&server, "pc-approved-missing", "pending-verification").await;
    let email = "partial@example.com";
    let name_only = json!({"name-first": "Jane", "name-last": "Doe", "address-country-code": "US"});
    ns.register_shared_with("partial-user", email, name_only)
        .await;
    let asks_as = |res: &TestResponse, state: &Value| {
        assert_eq!(
            state["missing_fields"],
            json!(fields_asked(&res.json())),
            "{}\n{state}",
            res.text()
        );
    };
    for poll in 1..=2 {
        let res = ns.get_withdrawer("partial-user").await;
        assert_eq!(res.status, 451, "poll {poll}: {}", res.text());
        asks_as(&res, &ns.withdrawer_state(email).await);
    }
    let lacking = ["dob", "physicalAddress", "city", "state", "zip"];
    let res = ns.get_withdrawer("partial-user").await;
    assert_eq!(res.status, 451, "poll 3 asks: {}", res.text());
    assert_eq!(fields_asked(&res.json()), lacking, "{}", res.text());
    let state = ns.withdrawer_state(email).await;
    assert_eq!(state["status"], "pending", "{state}");
    asks_as(&res, &state);
    assert_eq!(ns.kyc_events().await, ["KYC Created"]);
    assert_eq!(ns.add_bank("partial-user").await.status, 451);

    let link = res.json()["verificationLink"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let page = link
        .split_once("/coinflow/")
        .map(|(_, p)| p)
        .unwrap_or_default();
    let page = format!("/coinflow/{page}");
    let wanted = fields_asked(&res.json());
    let submitted = ns.req("POST", &page).form(&filled_in(&wanted)).send().await;
    assert_eq!(submitted.status, 303, "{}", submitted.text());
    let res = ns.get_withdrawer("partial-user").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let state = ns.withdrawer_state(email).await;
    assert_eq!(state["status"], "approved", "{state}");
    asks_as(&res, &state);
    assert_eq!(ns.kyc_events().await, ["KYC Created", "KYC Success"]);
    assert_eq!(ns.add_bank("partial-user").await.status, 200);
}

/// A `+pending@` withdrawer a reviewer approves has the source inquiry's KYC data too.
#[tokio::test]
async fn a_withdrawer_a_reviewer_approves_has_the_source_inquirys_details() {
    let server = TestServer::start().await;
    let ns = Ns {
        server: &server,
        name: "pc-reviewed-details",
    };
    let id = ns
        .register_shared("review-user", "jane+pending@example.com")
        .await;
    let res = ns.get_withdrawer("review-user").await;
    assert_eq!(res.status, 451, "under review: {}", res.text());
    let verified = ns
        .req("POST", &format!("/__admin/withdrawers/{id}/verify"))
        .send()
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text());
    let account = ns.add_bank("review-user").await;
    assert_eq!(account.status, 200, "{}", account.text());
    let state = ns.withdrawer_state("jane+pending@example.com").await;
    assert_eq!(state["missing_fields"], json!([]), "{state}");
}

/// `after_polls: 2`: the first two Get Withdrawer calls see the pending state, and so does
/// everything else meanwhile (the admin state, adding an account, webhooks); the third call
/// approves, answers 200 and sends `KYC Success`, all at once.
#[tokio::test]
async fn an_after_polls_hold_falls_due_at_the_call_after_the_last_pending_one() {
    // A target, so the outbox lists the KYC events.
    let sink = WebhookSink::start().await;
    let coinflow_url = sink.url("/coinflow");
    let server =
        TestServer::start_with(|c| c.webhooks.targets.push((Vendor::Coinflow, coinflow_url))).await;
    let ns = Ns::with(&server, "pc-polls-due", "pending-verification").await;
    let res = ns.register_us("polls-user", "polls@example.com").await;
    assert_eq!(withdrawer_status(&res), "pending", "{}", res.text());
    for poll in 1..=2 {
        let res = ns.get_withdrawer("polls-user").await;
        assert_eq!(res.status, 451, "poll {poll}: {}", res.text());
        let state = ns.withdrawer_state("polls@example.com").await;
        assert_eq!(state["status"], "pending", "poll {poll}: {state}");
        assert_eq!(ns.kyc_events().await, ["KYC Created"], "poll {poll}");
    }
    let early = ns.add_bank("polls-user").await;
    assert_eq!(early.status, 451, "not verified yet: {}", early.text());
    let res = ns.get_withdrawer("polls-user").await;
    assert_eq!(res.status, 200, "poll 3: {}", res.text());
    let state = ns.withdrawer_state("polls@example.com").await;
    assert_eq!(state["status"], "approved", "{state}");
    assert_eq!(ns.kyc_events().await, ["KYC Created", "KYC Success"]);
    let account = ns.add_bank("polls-user").await;
    assert_eq!(account.status, 200, "{}", account.text());
}

/// Under `missing-fields`, the admin state names the fields Get Withdrawer asks for, however
/// the withdrawer registered.
#[tokio::test]
async fn the_admin_state_names_the_fields_get_withdrawer_asks_for() {
    let server = TestServer::start().await;
    let ns = Ns::with(&server, "pc-missing-views", "missing-fields").await;
    ns.register_shared("shared-user", "shared@example.com")
        .await;
    ns.register_us("us-user", "us@example.com").await;
    for (user, email) in [
        ("shared-user", "shared@example.com"),
        ("us-user", "us@example.com"),
    ] {
        let res = ns.get_withdrawer(user).await;
        assert_eq!(res.status, 451, "{user}: {}", res.text());
        assert!(
            message(&res).contains("missing dob, physicalAddress, zip;"),
            "{user}: {}",
            res.text()
        );
        let state = ns.withdrawer_state(email).await;
        assert_eq!(
            state["missing_fields"],
            json!(["dob", "physicalAddress", "zip"]),
            "{user}: {state}"
        );
    }
}
