//! `include=` puts related objects in `included`; `fields[type]=` keeps only some attributes.

use serde_json::{Value, json};

use super::{Persona, details, id_of};

fn included_types(body: &Value) -> Vec<String> {
    body["included"]
        .as_array()
        .expect("included")
        .iter()
        .map(|o| o["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn inquiry_reads_include_the_account_and_verifications_asked_for() {
    let persona = Persona::start().await;
    let inquiry = persona.create(json!({"reference-id": "inc-1"})).await;
    let id = id_of(&inquiry);
    assert_eq!(inquiry["included"], json!([]), "nothing unless asked");
    persona
        .simulate(&id, &["start_inquiry", "complete_inquiry"])
        .await;

    let both = persona
        .get(&format!(
            "/api/v1/inquiries/{id}?include=account,verifications"
        ))
        .await;
    assert_eq!(both.status, 200, "{}", both.text());
    let body = both.json();
    assert_eq!(
        included_types(&body),
        [
            "account",
            "verification/government-id",
            "verification/selfie",
            "verification/database"
        ]
    );
    assert_eq!(
        body["included"][0]["id"],
        body["data"]["relationships"]["account"]["data"]["id"]
    );
    assert_eq!(body["included"][1]["attributes"]["status"], "passed");

    let account_only = persona
        .get(&format!("/api/v1/inquiries/{id}?include=account"))
        .await;
    assert_eq!(included_types(&account_only.json()), ["account"]);

    // Lists include nothing (the spec's list operations take no `include`).
    let listed = persona.get("/api/v1/inquiries?include=account").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert!(listed.json().get("included").is_none());
}

#[tokio::test]
async fn unknown_include_names_are_refused_before_anything_happens() {
    let persona = Persona::start().await;
    let id = persona.create_id().await;
    let read = persona
        .get(&format!("/api/v1/inquiries/{id}?include=account,bogus"))
        .await;
    assert!(details(&read, 400).contains("\"bogus\""));
    let create = persona
        .authed(persona.server.post("/api/v1/inquiries?include=nope"))
        .json(&json!({"data": {"attributes": {"inquiry-template-id": "itmpl_x"}}}))
        .send()
        .await;
    assert!(details(&create, 400).contains("nope"));
    // A list refuses a name its objects do not have as a read of one does.
    for list in [
        "inquiries",
        "accounts",
        "events",
        "webhooks",
        "connect/share-tokens",
    ] {
        let refused = persona.get(&format!("/api/v1/{list}?include=bogus")).await;
        assert!(details(&refused, 400).contains("\"bogus\""), "{list}");
    }
    let event = persona.get("/api/v1/events").await.json()["data"][0]["id"]
        .as_str()
        .map(str::to_string)
        .expect("the create's event");
    let read = persona
        .get(&format!("/api/v1/events/{event}?include=inquiry"))
        .await;
    assert!(details(&read, 400).contains("no relationships"));
    let webhook = persona
        .post(
            "/api/v1/webhooks",
            &json!({"data": {"attributes": {"url": "http://127.0.0.1:9/h", "enabled-events": ["*"]}}}),
        )
        .await;
    assert_eq!(webhook.status, 201, "{}", webhook.text());
    let read = persona
        .get(&format!(
            "/api/v1/webhooks/{}?include=bogus",
            id_of(&webhook.json())
        ))
        .await;
    assert!(details(&read, 400).contains("\"bogus\""));
    let listed = persona.get("/api/v1/inquiries").await;
    assert_eq!(
        listed.json()["data"].as_array().map(Vec::len),
        Some(1),
        "the refused create made nothing"
    );
}

#[tokio::test]
async fn account_and_verification_reads_include_their_relations() {
    let persona = Persona::start().await;
    let inquiry = persona.create(json!({"reference-id": "inc-2"})).await;
    let id = id_of(&inquiry);
    let account = inquiry["data"]["relationships"]["account"]["data"]["id"]
        .as_str()
        .expect("account")
        .to_string();
    let read = persona
        .get(&format!("/api/v1/accounts/{account}?include=account-type"))
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(included_types(&read.json()), ["account-type"]);
    let plain = persona.get(&format!("/api/v1/accounts/{account}")).await;
    assert!(plain.json().get("included").is_none());
    let bad = persona
        .get(&format!("/api/v1/accounts/{account}?include=inquiries"))
        .await;
    details(&bad, 400);

    persona.simulate(&id, &["start_inquiry"]).await;
    let started = persona.get(&format!("/api/v1/inquiries/{id}")).await;
    let verification = started.json()["data"]["relationships"]["verifications"]["data"][0]["id"]
        .as_str()
        .expect("a verification")
        .to_string();
    let read = persona
        .get(&format!(
            "/api/v1/verifications/{verification}?include=inquiry"
        ))
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(included_types(&read.json()), ["inquiry"]);
    assert_eq!(read.json()["included"][0]["id"], id.as_str());
}

#[tokio::test]
async fn sparse_fieldsets_keep_only_the_named_attributes() {
    let persona = Persona::start().await;
    let id = id_of(
        &persona
            .create(json!({"reference-id": "sparse-1", "note": "n"}))
            .await,
    );
    let read = persona
        .get(&format!(
            "/api/v1/inquiries/{id}?fields%5Binquiry%5D=status,reference-id"
        ))
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(
        read.json()["data"]["attributes"],
        json!({"status": "created", "reference-id": "sparse-1"})
    );
    assert!(read.json()["data"]["relationships"].is_object());
    let plain = persona
        .get(&format!("/api/v1/inquiries/{id}?fields=note"))
        .await;
    assert_eq!(plain.json()["data"]["attributes"], json!({"note": "n"}));

    let listed = persona
        .authed(persona.server.get(
            "/api/v1/inquiries?fields%5Binquiry%5D=referenceId&fields%5Baccount%5D=reference-id",
        ))
        .header("key-inflection", "camel")
        .send()
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let body = listed.json();
    assert_eq!(
        body["data"][0]["attributes"],
        json!({"referenceId": "sparse-1"})
    );
    let account = body["data"][0]["relationships"]["account"]["data"]["id"]
        .as_str()
        .expect("account")
        .to_string();
    let read = persona
        .get(&format!(
            "/api/v1/inquiries/{id}?include=account&fields%5Baccount%5D=reference-id"
        ))
        .await;
    assert_eq!(read.json()["included"][0]["id"], account.as_str());
    assert_eq!(
        read.json()["included"][0]["attributes"],
        json!({"reference-id": "sparse-1"})
    );
}

#[tokio::test]
async fn a_share_token_read_includes_its_source_inquiry() {
    let persona = Persona::start().await;
    let source = persona.completed_inquiry().await;
    let token = persona
        .post(
            "/api/v1/connect/share-tokens",
            &json!({"data": {"attributes": {"connection-id": "cxn_partner", "source-id": source}}}),
        )
        .await;
    assert_eq!(token.status, 201, "{}", token.text());
    let path = format!("/api/v1/connect/share-tokens/{}", id_of(&token.json()));
    let read = persona.get(&format!("{path}?include=source")).await;
    assert_eq!(read.status, 200, "{}", read.text());
    let body = read.json();
    assert_eq!(included_types(&body), ["inquiry"]);
    assert_eq!(body["included"][0]["id"], source.as_str());
    let bad = persona.get(&format!("{path}?include=bogus")).await;
    assert!(details(&bad, 400).contains("source"));
}
