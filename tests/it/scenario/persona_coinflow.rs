//! The Persona and Coinflow parts of the shipped stories, end to end through the HTTP API: the
//! inquiry decision (hosted page, simulate actions, `after_seconds`), Get Withdrawer under
//! `after_polls`, missing fields, rejections with their webhooks, and initial state.

use serde_json::{Value, json};
use vendor_sandbox::vendors::Vendor;

use crate::harness::{RequestBuilder, TestResponse, TestServer, WebhookSink};

mod approvals;
mod custom_scenarios;

const PERSONA: &str = "Bearer persona_sandbox_key";
const MERCHANT: &str = "coinflow_merchant_key";

/// One namespace of a test server.
struct Ns<'a> {
    server: &'a TestServer,
    name: &'static str,
}

impl<'a> Ns<'a> {
    /// Namespace `name` with `scenario` selected through the admin API.
    async fn with(server: &'a TestServer, name: &'static str, scenario: &str) -> Ns<'a> {
        let res = server
            .request("PUT", "/__admin/scenario")
            .header("x-sandbox-namespace", name)
            .json(&json!({ "name": scenario }))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        Ns { server, name }
    }

    fn req(&self, method: &str, path: &str) -> RequestBuilder {
        self.server
            .request(method, path)
            .header("x-sandbox-namespace", self.name)
    }

    fn persona(&self, method: &str, path: &str) -> RequestBuilder {
        self.req(method, path).header("authorization", PERSONA)
    }

    async fn create_inquiry(&self, fields: Value) -> String {
        let res = self
            .persona("POST", "/api/v1/inquiries")
            .json(&json!({"data": {"attributes": {
                "inquiry-template-id": "itmpl_sandbox", "fields": fields}}}))
            .send()
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        res.json()["data"]["id"].as_str().unwrap().to_string()
    }

    async fn simulate(&self, id: &str, actions: &[&str]) -> TestResponse {
        let actions: Vec<Value> = actions.iter().map(|t| json!({"type": t})).collect();
        self.persona(
            "POST",
            &format!("/api/v1/inquiries/{id}/perform-simulate-actions"),
        )
        .json(&json!({"meta": {"simulate-actions": actions}}))
        .send()
        .await
    }

    async fn inquiry_status(&self, id: &str) -> String {
        let res = self
            .persona("GET", &format!("/api/v1/inquiries/{id}"))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()["data"]["attributes"]["status"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn hosted_page(&self, id: &str) -> String {
        let res = self
            .req("GET", &format!("/verify?inquiry-id={id}"))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.text()
    }

    async fn hosted_submit(&self, id: &str, outcome: &str) -> TestResponse {
        self.req("POST", &format!("/verify/{id}"))
            .form(&[("outcome", outcome)])
            .send()
            .await
    }

    async fn share_token(&self, inquiry: &str) -> String {
        let res = self
            .persona("POST", "/api/v1/connect/share-tokens")
            .json(&json!({"data": {"attributes": {
                "connection-id": "cxn_coinflow", "source-id": inquiry}}}))
            .send()
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        res.json()["data"]["id"].as_str().unwrap().to_string()
    }

    async fn advance(&self, seconds: f64) {
        let res = self
            .req("POST", "/__admin/clock/advance")
            .json(&json!({ "seconds": seconds }))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    fn coinflow(&self, method: &str, path: &str, user: &str) -> RequestBuilder {
        self.req(method, path)
            .header("authorization", MERCHANT)
            .header("x-coinflow-auth-user-id", user)
    }

    async fn register_us(&self, user: &str, email: &str) -> TestResponse {
        self.coinflow("POST", "/api/withdraw/kyc", user)
            .json(&us_info(email))
            .send()
            .await
    }

    async fn get_withdrawer(&self, user: &str) -> TestResponse {
        self.coinflow("GET", "/api/withdraw", user).send().await
    }

    /// The Coinflow KYC events queued in the namespace so far, oldest first.
    async fn kyc_events(&self) -> Vec<String> {
        let listing = self.req("GET", "/__admin/webhooks").send().await.json();
        let mut events: Vec<String> = listing["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .filter_map(|d| serde_json::from_str::<Value>(d["body"].as_str()?).ok())
            .filter_map(|body| body["eventType"].as_str().map(str::to_string))
            .collect();
        events.reverse();
        events
    }
}

fn us_info(email: &str) -> Value {
    json!({"info": {"email": email, "firstName": "Jane", "surName": "Doe",
        "physicalAddress": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701",
        "country": "US", "dob": "19900131", "ssn": "1234"}})
}

fn full_fields() -> Value {
    json!({"name-first": "Jane", "name-last": "Doe", "birthdate": "1990-01-31",
        "address-street-1": "1 Main St", "address-city": "Austin",
        "address-subdivision": "TX", "address-postal-code": "78701",
        "address-country-code": "US"})
}

fn message(res: &TestResponse) -> String {
    res.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn withdrawer_status(res: &TestResponse) -> String {
    res.json()["withdrawer"]["verification"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The outcome buttons a hosted page offers, in order.
fn offered(page: &str) -> Vec<String> {
    page.split("name=\"outcome\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn needs_review_inquiries_wait_for_a_decision_through_personas_api() {
    let server = TestServer::start().await;
    let plain = Ns::with(&server, "pc-review-plain", "happy-path").await;
    let id = plain.create_inquiry(json!({})).await;
    assert_eq!(
        offered(&plain.hosted_page(&id).await),
        ["pass", "fail", "approve", "decline", "review"],
        "without a deciding scenario the page offers the decisions"
    );

    let ns = Ns::with(&server, "pc-review", "needs-review").await;
    let id = ns.create_inquiry(json!({})).await;
    assert_eq!(offered(&ns.hosted_page(&id).await), ["pass", "fail"]);
    let done = ns.hosted_submit(&id, "pass").await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(ns.inquiry_status(&id).await, "needs_review");
    let page = ns.hosted_page(&id).await;
    assert!(offered(&page).is_empty(), "{page}");
    assert!(
        page.contains("/approve"),
        "the page says how to decide: {page}"
    );
    // A decision posted from an older page counts as a pass: the scenario still decides.
    let other = ns.create_inquiry(json!({})).await;
    ns.hosted_submit(&other, "approve").await;
    assert_eq!(ns.inquiry_status(&other).await, "needs_review");
    // Simulate actions complete through the scenario too.
    let simulated = ns.create_inquiry(json!({})).await;
    let res = ns
        .simulate(&simulated, &["start_inquiry", "complete_inquiry"])
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["data"]["attributes"]["status"], "needs_review");
    // Approved through Persona's API, and the events tell the story.
    let res = ns
        .persona("POST", &format!("/api/v1/inquiries/{id}/approve"))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(ns.inquiry_status(&id).await, "approved");
    let events = ns
        .persona("GET", &format!("/api/v1/events?filter[object-id]={id}"))
        .send()
        .await
        .json();
    let names: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| e["attributes"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "inquiry.created",
            "inquiry.started",
            "inquiry.completed",
            "inquiry.marked-for-review",
            "inquiry.approved"
        ]
    );
    crate::vendors::coinflow::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn the_scenario_header_steers_one_request() {
    let server = TestServer::start().await;
    let ns = Ns::with(&server, "pc-header", "happy-path").await;
    let id = ns.create_inquiry(json!({})).await;
    let res = ns
        .persona(
            "POST",
            &format!("/api/v1/inquiries/{id}/perform-simulate-actions"),
        )
        .header("x-sandbox-scenario", "verification-declined")
        .json(&json!({"meta": {"simulate-actions": [
            {"type": "start_inquiry"}, {"type": "complete_inquiry"}]}}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["data"]["attributes"]["status"], "declined");
    // The next request, without the header, gets the namespace's (built-in) behaviour.
    let plain = ns.create_inquiry(json!({})).await;
    ns.simulate(&plain, &["start_inquiry", "complete_inquiry"])
        .await;
    assert_eq!(ns.inquiry_status(&plain).await, "completed");
    crate::vendors::coinflow::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn pending_verification_polls_451_then_approves_and_decides_inquiries_later() {
    let server = TestServer::start().await;
    let ns = Ns::with(&server, "pc-pending", "pending-verification").await;
    let id = ns.create_inquiry(full_fields()).await;
    let done = ns.hosted_submit(&id, "pass").await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(ns.inquiry_status(&id).await, "completed");
    ns.advance(299.0).await;
    assert_eq!(ns.inquiry_status(&id).await, "completed", "not due yet");
    ns.advance(1.0).await;
    assert_eq!(ns.inquiry_status(&id).await, "approved", "due after 300 s");

    let token = ns.share_token(&id).await;
    let res = ns
        .coinflow("POST", "/api/withdraw/kyc/share-token", "pending-user")
        .json(&json!({"vendor": "persona", "shareToken": token,
            "email": "pending@example.com"}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    // Redeemed and verified by now: the built-in answer would be 200 at once.
    ns.advance(5.0).await;
    for poll in 1..=2 {
        let res = ns.get_withdrawer("pending-user").await;
        assert_eq!(res.status, 451, "poll {poll}: {}", res.text());
        assert!(message(&res).contains("pending"), "{}", res.text());
        assert!(res.json()["verificationLink"].is_string());
    }
    let res = ns.get_withdrawer("pending-user").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(withdrawer_status(&res), "approved");
    crate::vendors::coinflow::schema::assert_bodies_valid(&server).await;
}

/// A withdrawer registered under `pending-verification` is pending from its registration on:
/// every answer and webhook agrees (no `KYC Success`, no `approved`) until the third poll.
#[tokio::test]
async fn pending_verification_holds_a_registration_pending_in_every_answer_and_webhook() {
    let mut sink = WebhookSink::start().await;
    let coinflow_url = sink.url("/coinflow");
    let server =
        TestServer::start_with(|c| c.webhooks.targets.push((Vendor::Coinflow, coinflow_url))).await;
    let ns = Ns::with(&server, "pc-pending-us", "pending-verification").await;
    let res = ns.register_us("held-user", "held@example.com").await;
    assert_eq!(withdrawer_status(&res), "pending", "{}", res.text());
    for poll in 1..=2 {
        let res = ns.get_withdrawer("held-user").await;
        assert_eq!(res.status, 451, "poll {poll}: {}", res.text());
        assert_eq!(withdrawer_status(&res), "pending", "poll {poll}");
        assert_eq!(ns.kyc_events().await, ["KYC Created"], "poll {poll}");
    }
    let res = ns.get_withdrawer("held-user").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(withdrawer_status(&res), "approved");
    assert_eq!(ns.kyc_events().await, ["KYC Created", "KYC Success"]);
    let success = sink
        .next_matching(|h| h.json()["eventType"] == "KYC Success")
        .await;
    assert_eq!(success.json()["data"]["email"], "held@example.com");
    crate::vendors::coinflow::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn missing_fields_are_asked_for_until_the_form_is_submitted() {
    let server = TestServer::start().await;
    let ns = Ns::with(&server, "pc-missing", "missing-fields").await;
    let res = ns.register_us("missing-user", "missing@example.com").await;
    assert_eq!(res.status, 451, "{}", res.text());
    let text = message(&res);
    for field in ["dob", "physicalAddress", "zip"] {
        assert!(text.contains(field), "{text}");
    }
    assert!(!text.contains("firstName"), "only the named fields: {text}");
    let res = ns.get_withdrawer("missing-user").await;
    assert_eq!(res.status, 451, "{}", res.text());
    assert_eq!(message(&res), text);
    let link = res.json()["verificationLink"].as_str().unwrap().to_string();
    let path = link.split_once("/coinflow/").map(|(_, p)| p).unwrap();
    let path = format!("/coinflow/{path}");
    let page = ns.req("GET", &path).send().await;
    assert_eq!(page.status, 200);
    for field in ["dob", "physicalAddress", "zip"] {
        assert!(
            page.text().contains(&format!("name=\"{field}\"")),
            "{}",
            page.text()
        );
    }
    let submitted = ns
        .req("POST", &path)
        .form(&[
            ("dob", "1990-01-31"),
            ("physicalAddress", "2 Side St"),
            ("zip", "78702"),
        ])
        .send()
        .await;
    assert_eq!(submitted.status, 303, "{}", submitted.text());
    let res = ns.get_withdrawer("missing-user").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(withdrawer_status(&res), "approved");
    crate::vendors::coinflow::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn verification_declined_declines_rejects_and_sends_the_webhooks() {
    let mut sink = WebhookSink::start().await;
    let (persona_url, coinflow_url) = (sink.url("/persona"), sink.url("/coinflow"));
    let server = TestServer::start_with(|c| {
        c.webhooks.targets.push((Vendor::Persona, persona_url));
        c.webhooks.targets.push((Vendor::Coinflow, coinflow_url));
    })
    .await;
    let ns = Ns::with(&server, "pc-declined", "verification-declined").await;
    let id = ns.create_inquiry(full_fields()).await;
    assert_eq!(offered(&ns.hosted_page(&id).await), ["pass", "fail"]);
    ns.hosted_submit(&id, "pass").await;
    assert_eq!(ns.inquiry_status(&id).await, "declined");
    let hook = sink
        .next_matching(|h| {
            h.path == "/persona" && h.json()["data"]["attributes"]["name"] == "inquiry.declined"
        })
        .await;
    assert_eq!(
        hook.json()["data"]["attributes"]["payload"]["data"]["id"],
        json!(id)
    );

    let res = ns
        .register_us("declined-user", "declined@example.com")
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(withdrawer_status(&res), "rejected");
    let hook = sink
        .next_matching(|h| h.path == "/coinflow" && h.json()["eventType"] == "KYC Failure")
        .await;
    assert_eq!(hook.json()["data"]["email"], "declined@example.com");
    let res = ns.get_withdrawer("declined-user").await;
    assert_eq!(res.status, 451, "{}", res.text());
    assert_eq!(withdrawer_status(&res), "rejected");
    crate::vendors::coinflow::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn happy_path_is_the_built_in_behaviour() {
    let server = TestServer::start().await;
    let ns = Ns::with(&server, "pc-happy", "happy-path").await;
    let id = ns.create_inquiry(full_fields()).await;
    let res = ns.hosted_submit(&id, "approve").await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(ns.inquiry_status(&id).await, "approved");
    let token = ns.share_token(&id).await;
    let res = ns
        .coinflow("POST", "/api/withdraw/kyc/share-token", "happy-user")
        .json(&json!({"vendor": "persona", "shareToken": token,
            "email": "happy@example.com"}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(withdrawer_status(&res), "pending");
    ns.advance(5.0).await;
    let res = ns.get_withdrawer("happy-user").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(withdrawer_status(&res), "approved");
    crate::vendors::coinflow::schema::assert_bodies_valid(&server).await;
}
