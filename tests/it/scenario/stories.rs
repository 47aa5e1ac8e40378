//! Each shipped scenario's story, end to end through the HTTP API, from the Bitmama side (card
//! users, their KYC through the Persona part, cards), plus the magic email values. Coinflow- and
//! Persona-only parts of the stories are in `persona_coinflow.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::harness::{RequestBuilder, TestResponse, TestServer, WebhookSink, card_user_body};

mod magic_emails;
mod outages;

const ACME: &str = "Bearer sk_staging_acme";
const GLOBEX: &str = "Bearer sk_staging_globex";
const PERSONA: &str = "Bearer persona_sandbox_key";
const USERS: &str = "/api/v2/partner/card/users";
const USERS_V1: &str = "/api/v1/partner/card/users";
const CARD: &str = "/api/v1/partner/card";
const WALLET: &str = "/api/v1/partner/wallet";

/// One namespace of a test server, with the scenario it selected.
struct Story<'a> {
    server: &'a TestServer,
    ns: String,
}

impl<'a> Story<'a> {
    /// Namespace `ns`, with `scenario` selected (`None`: no scenario).
    async fn new(server: &'a TestServer, ns: &str, scenario: Option<&str>) -> Story<'a> {
        let res = server
            .request("PUT", "/__admin/scenario")
            .header("x-sandbox-namespace", ns)
            .json(&json!({ "name": scenario }))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["scenario"], json!(scenario));
        Story {
            server,
            ns: ns.to_string(),
        }
    }

    fn path(&self, path: &str) -> String {
        format!("/ns/{}{path}", self.ns)
    }

    async fn post(&self, auth: &str, path: &str, body: Value) -> TestResponse {
        self.posting(auth, path, body).send().await
    }

    /// The request [`Self::post`] sends, for more headers.
    fn posting(&self, auth: &str, path: &str, body: Value) -> RequestBuilder {
        self.server
            .post(&self.path(path))
            .header("authorization", auth)
            .header("idempotency-key", &key())
            .json(&body)
    }

    async fn get(&self, auth: &str, path: &str) -> Value {
        let res = self
            .server
            .get(&self.path(path))
            .header("authorization", auth)
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }

    /// Creates a card user; returns `(serviceId, inquiry id)`.
    async fn create_user(&self, email: &str) -> (String, String) {
        let res = self.post(ACME, USERS, card_user_body(email)).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let data = &res.json()["data"];
        let url = data["verificationUrl"].as_str().expect("url");
        let inquiry = url.split_once("inquiry-id=").expect("inquiry id").1;
        (
            data["serviceId"].as_str().expect("serviceId").to_string(),
            inquiry.to_string(),
        )
    }

    /// The person passes the hosted Persona page; Persona then decides (the scenario may say).
    async fn pass_hosted_page(&self, inquiry_id: &str) {
        let res = self
            .server
            .post(&self.path(&format!("/verify/{inquiry_id}")))
            .form(&[("outcome", "pass")])
            .send()
            .await;
        assert!(matches!(res.status, 200 | 303), "{}", res.text());
    }

    async fn user_status(&self, service_id: &str) -> String {
        let list = self.get(ACME, USERS_V1).await;
        list["data"]["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["serviceId"] == service_id)
            .and_then(|u| u["status"].as_str())
            .expect("user listed")
            .to_string()
    }

    async fn users(&self, auth: &str) -> Vec<Value> {
        let list = self.get(auth, USERS_V1).await;
        list["data"]["users"].as_array().expect("users").clone()
    }

    async fn balance(&self, auth: &str) -> Value {
        self.get(auth, WALLET).await["data"]["balance"].clone()
    }

    async fn advance(&self, seconds: f64) {
        let res = self
            .server
            .post("/__admin/clock/advance")
            .header("x-sandbox-namespace", &self.ns)
            .json(&json!({ "seconds": seconds }))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    /// Points ACME's Bitmama webhooks at `sink`.
    async fn hook_to(&self, sink: &WebhookSink) {
        let res = self
            .post(
                ACME,
                "/api/v1/partner/profile/webhook",
                json!({"webhookUrl": sink.url("/bitmama")}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    async fn create_card(&self, service_id: &str, amount: i64) -> TestResponse {
        self.post(
            ACME,
            CARD,
            json!({"serviceId": service_id, "amount": amount}),
        )
        .await
    }
}

fn key() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "9a1c2e44-0000-4000-8000-{:012}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn assert_error(res: &TestResponse, status: u16, code: &str) -> String {
    assert_eq!(res.status, status, "{}", res.text());
    let body = res.json();
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["message"], code, "{body}");
    body["data"]["error"].as_str().expect("text").to_string()
}

/// The next Bitmama KYC webhook for `service_id`: its event name.
async fn next_event(sink: &mut WebhookSink, service_id: &str) -> String {
    let hook = sink
        .next_matching(|h| h.json()["data"]["serviceId"] == service_id)
        .await;
    hook.json()["event"].as_str().expect("event").to_string()
}

#[tokio::test]
async fn happy_path_user_verifies_gets_a_card_and_every_webhook() {
    let server = TestServer::start().await;
    let story = Story::new(&server, "happy", Some("happy-path")).await;
    let mut sink = WebhookSink::start().await;
    story.hook_to(&sink).await;
    assert_eq!(story.balance(ACME).await, 5000);
    let (service_id, inquiry) = story.create_user("happy@example.com").await;
    assert_eq!(next_event(&mut sink, &service_id).await, "user.kyc.pending");
    assert_eq!(story.balance(ACME).await, 4998, "the KYC fee was paid");
    story.pass_hosted_page(&inquiry).await;
    assert_eq!(story.user_status(&service_id).await, "approved");
    assert_eq!(
        next_event(&mut sink, &service_id).await,
        "user.kyc.approved"
    );
    let card = story.create_card(&service_id, 25).await;
    assert_eq!(card.status, 201, "{}", card.text());
    assert_eq!(story.balance(ACME).await, 4973);
}

#[tokio::test]
async fn duplicate_user_refuses_even_a_new_email_after_validating_the_body() {
    let server = TestServer::start().await;
    let story = Story::new(&server, "dup", Some("duplicate-user")).await;
    let res = story
        .post(ACME, USERS, card_user_body("never-seen@example.com"))
        .await;
    let text = assert_error(&res, 400, "DUP_USER");
    assert!(text.contains("never-seen@example.com"), "{text}");
    // An invalid body is still a validation error, not a duplicate.
    let res = story
        .post(ACME, USERS, card_user_body("not-an-email"))
        .await;
    assert_error(&res, 422, "VALIDATION_ERROR");
    assert!(story.users(ACME).await.is_empty(), "nothing was created");
    assert_eq!(story.balance(ACME).await, 5000, "no fee was taken");

    // The header picks the scenario for one request in a namespace without one.
    let plain = Story::new(&server, "dup-header", None).await;
    let res = server
        .post(&plain.path(USERS))
        .header("authorization", ACME)
        .header("idempotency-key", &key())
        .header("x-sandbox-scenario", "duplicate-user")
        .json(&card_user_body("header@example.com"))
        .send()
        .await;
    assert_error(&res, 400, "DUP_USER");
    plain.create_user("header@example.com").await;
}

#[tokio::test]
async fn insufficient_balance_seeds_the_wallets_and_refuses_users_and_cards() {
    let server = TestServer::start().await;
    let story = Story::new(&server, "broke", Some("insufficient-balance")).await;
    // Every partner, even one that appears only now, starts with the scenario's $1.
    assert_eq!(story.balance(ACME).await, 1);
    assert_eq!(story.balance(GLOBEX).await, 1);
    let res = story
        .post(ACME, USERS, card_user_body("broke@example.com"))
        .await;
    let text = assert_error(&res, 402, "INSUFFICIENT_WALLET_BALANCE");
    assert!(text.contains("$1.00") && text.contains("$2.00"), "{text}");

    // The scenario's pre-existing approved user cannot get a card either.
    let users = story.users(ACME).await;
    let seeded = users
        .iter()
        .find(|u| u["email"] == "approved@example.com")
        .unwrap_or_else(|| panic!("seeded user listed: {users:?}"));
    assert_eq!(seeded["status"], "approved");
    let service_id = seeded["serviceId"].as_str().expect("serviceId");
    assert!(service_id.starts_with("acme-rain-user-"), "{service_id}");
    let res = story.create_card(service_id, 1).await;
    assert_error(&res, 402, "INSUFFICIENT_WALLET_BALANCE");
    // A card for nobody is refused the same way: the story needs no user.
    let res = story.create_card("acme-rain-user-nobody", 1).await;
    assert_error(&res, 402, "INSUFFICIENT_WALLET_BALANCE");
    assert_eq!(story.balance(ACME).await, 1, "nothing was charged");

    // A reset keeps the selection and applies the initial state again.
    let res = server
        .post("/__admin/reset")
        .header("x-sandbox-namespace", "broke")
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(story.balance(ACME).await, 1);
    assert_eq!(story.users(ACME).await.len(), 1);
}

#[tokio::test]
async fn pending_verification_keeps_the_user_pending_kyc_for_five_sandbox_minutes() {
    let server = TestServer::start().await;
    let story = Story::new(&server, "slowkyc", Some("pending-verification")).await;
    let mut sink = WebhookSink::start().await;
    story.hook_to(&sink).await;
    let (service_id, inquiry) = story.create_user("waiting@example.com").await;
    assert_eq!(next_event(&mut sink, &service_id).await, "user.kyc.pending");
    story.pass_hosted_page(&inquiry).await;
    assert_eq!(story.user_status(&service_id).await, "pending_kyc");
    let res = story.create_card(&service_id, 10).await;
    assert_error(&res, 400, "USER_NOT_APPROVED");
    story.advance(299.0).await;
    assert_eq!(story.user_status(&service_id).await, "pending_kyc");
    story.advance(1.0).await;
    assert_eq!(story.user_status(&service_id).await, "approved");
    assert_eq!(
        next_event(&mut sink, &service_id).await,
        "user.kyc.approved"
    );
    let card = story.create_card(&service_id, 10).await;
    assert_eq!(card.status, 201, "{}", card.text());
}

#[tokio::test]
async fn verification_declined_denies_the_card_user_with_its_webhook() {
    let server = TestServer::start().await;
    let story = Story::new(&server, "declined", Some("verification-declined")).await;
    let mut sink = WebhookSink::start().await;
    story.hook_to(&sink).await;
    let (service_id, inquiry) = story.create_user("declined@example.com").await;
    assert_eq!(next_event(&mut sink, &service_id).await, "user.kyc.pending");
    story.pass_hosted_page(&inquiry).await;
    assert_eq!(story.user_status(&service_id).await, "denied");
    let hook = sink
        .next_matching(|h| h.json()["data"]["serviceId"] == service_id.as_str())
        .await;
    assert_eq!(
        hook.json()["event"],
        "user.kyc.denied",
        "no approval first: {}",
        hook.json()
    );
    let inquiry_now = server
        .get(&story.path(&format!("/api/v1/inquiries/{inquiry}")))
        .header("authorization", PERSONA)
        .send()
        .await;
    assert_eq!(
        inquiry_now.json()["data"]["attributes"]["status"],
        "declined"
    );
    let res = story.create_card(&service_id, 10).await;
    assert_error(&res, 400, "USER_NOT_APPROVED");
}

#[tokio::test]
async fn needs_review_holds_the_user_until_persona_approves() {
    let server = TestServer::start().await;
    let story = Story::new(&server, "review", Some("needs-review")).await;
    let mut sink = WebhookSink::start().await;
    story.hook_to(&sink).await;
    let (service_id, inquiry) = story.create_user("review@example.com").await;
    assert_eq!(next_event(&mut sink, &service_id).await, "user.kyc.pending");
    story.pass_hosted_page(&inquiry).await;
    assert_eq!(story.user_status(&service_id).await, "pending_kyc");
    assert_eq!(
        next_event(&mut sink, &service_id).await,
        "user.kyc.manualReview"
    );
    let res = server
        .post(&story.path(&format!("/api/v1/inquiries/{inquiry}/approve")))
        .header("authorization", PERSONA)
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(story.user_status(&service_id).await, "approved");
    assert_eq!(
        next_event(&mut sink, &service_id).await,
        "user.kyc.approved"
    );
}

#[tokio::test]
async fn every_shipped_scenario_can_be_selected() {
    let server = TestServer::start().await;
    for (file, _) in vendor_sandbox::scenario::catalog::SHIPPED {
        let name = file.trim_end_matches(".json");
        let story = Story::new(&server, &format!("pick-{name}"), Some(name)).await;
        let now = server
            .get("/__admin/scenario")
            .header("x-sandbox-namespace", &story.ns)
            .send()
            .await
            .json();
        assert_eq!(now["scenario"], name);
    }
}

#[tokio::test]
async fn initial_state_seeds_every_vendor_of_a_custom_scenario() {
    let dir = super::TempDir::new("seeds");
    let text = json!({
        "name": "seeded",
        "description": "seeds",
        "initial_state": {
            "bitmama": {
                "wallets": {"sk_staging_acme": {"balance_cents": 70000}, "*": {"balance_cents": 300}},
                "users": [{"partner": "sk_staging_acme", "email": "seeded@example.com", "status": "denied"}]
            },
            "persona": {"inquiries": [{"reference_id": "seed-ref-1", "status": "approved"}]},
            "coinflow": {"withdrawers": [{"email": "w@example.com", "user_id": "u-1", "status": "approved"}]}
        },
        "rules": []
    });
    dir.write("seeded.json", &text.to_string());
    let path = dir.0.clone();
    let server = TestServer::start_with(move |c| c.scenarios_dir = Some(path)).await;
    let story = Story::new(&server, "seeded", Some("seeded")).await;
    assert_eq!(story.balance(ACME).await, 700);
    assert_eq!(
        story.balance(GLOBEX).await,
        3,
        "`*` for a partner seen later"
    );
    let users = story.users(ACME).await;
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0]["status"], "denied");
    assert!(story.users(GLOBEX).await.is_empty(), "named partner only");
    // A seeded user is a real user: its email is taken.
    let res = story
        .post(ACME, USERS, card_user_body("seeded@example.com"))
        .await;
    assert_error(&res, 400, "DUP_USER");
    let inquiries = server
        .get(&story.path("/api/v1/inquiries"))
        .header("authorization", PERSONA)
        .send()
        .await
        .json();
    let seeded = inquiries["data"]
        .as_array()
        .expect("inquiries")
        .iter()
        .find(|i| i["attributes"]["reference-id"] == "seed-ref-1")
        .unwrap_or_else(|| panic!("seeded inquiry listed: {inquiries}"))
        .clone();
    assert_eq!(seeded["attributes"]["status"], "approved");
}

/// Users seeded for every partner (`"partner": "*"`) draw their ids in one order, whatever order
/// the partners sit in the map (keyed at random per map): a reset seeds the same ids again.
#[tokio::test]
async fn users_seeded_for_every_partner_get_the_same_ids_after_a_reset() {
    let dir = super::TempDir::new("seeds-every");
    let partners = ["sk_a", "sk_b", "sk_c", "sk_d"];
    let wallets: serde_json::Map<String, Value> = partners
        .iter()
        .map(|key| (key.to_string(), json!({"balance_cents": 1000})))
        .collect();
    let text = json!({
        "name": "every", "description": "one user for every partner",
        "initial_state": {"bitmama": {
            "wallets": wallets,
            "users": [{"partner": "*", "email": "all@example.com", "status": "approved"}]
        }},
        "rules": []
    });
    dir.write("every.json", &text.to_string());
    let path = dir.0.clone();
    let server = TestServer::start_with(move |c| c.scenarios_dir = Some(path)).await;
    let seeded_ids = || async {
        let story = Story::new(&server, "every", Some("every")).await;
        let mut ids = Vec::new();
        for key in partners {
            let users = story.users(&format!("Bearer {key}")).await;
            assert_eq!(users.len(), 1, "{key}: {users:?}");
            ids.push(users[0]["serviceId"].clone());
        }
        ids
    };
    let first = seeded_ids().await;
    let reset = server.post("/__admin/reset?namespace=every").send().await;
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert_eq!(seeded_ids().await, first);
}
