//! Verifications: the flow's government id, selfie and database verifications, created when an
//! inquiry starts and passed or failed with its outcome; `GET /api/v1/verifications/{id}`.

use serde_json::{Value, json};

use super::{Persona, id_of, is_persona_id};

/// `(type, id)` of the inquiry's `relationships.verifications`.
async fn verifications_of(persona: &Persona, id: &str) -> Vec<(String, String)> {
    let response = persona.get(&format!("/api/v1/inquiries/{id}")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["data"]["relationships"]["verifications"]["data"]
        .as_array()
        .expect("verifications")
        .iter()
        .map(|v| {
            (
                v["type"].as_str().unwrap_or_default().to_string(),
                v["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn verification(persona: &Persona, id: &str) -> Value {
    let response = persona.get(&format!("/api/v1/verifications/{id}")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["data"].clone()
}

fn check_names(verification: &Value) -> Vec<(String, String)> {
    verification["attributes"]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn starting_creates_the_flows_verifications_and_completing_passes_them() {
    let persona = Persona::start().await;
    let id = id_of(
        &persona
            .create(json!({"fields": {"name-first": "Jane", "name-last": "Doe", "birthdate": "1990-01-02"}}))
            .await,
    );
    assert!(verifications_of(&persona, &id).await.is_empty());
    assert_eq!(persona.simulate(&id, &["start_inquiry"]).await.status, 200);
    let started = verifications_of(&persona, &id).await;
    let types: Vec<&str> = started.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "verification/government-id",
            "verification/selfie",
            "verification/database"
        ]
    );
    for (kind, vid) in &started {
        assert!(is_persona_id(vid, "ver_"), "{vid}");
        let v = verification(&persona, vid).await;
        assert_eq!(v["type"], kind.as_str());
        assert_eq!(v["attributes"]["status"], "initiated");
        assert_eq!(v["attributes"]["completed-at"], Value::Null);
        assert_eq!(v["relationships"]["inquiry"]["data"]["id"], id.as_str());
    }

    assert_eq!(
        persona.simulate(&id, &["complete_inquiry"]).await.status,
        200
    );
    let finished = verifications_of(&persona, &id).await;
    assert_eq!(finished, started, "the same verifications, not new ones");
    let government_id = verification(&persona, &started[0].1).await;
    assert_eq!(government_id["attributes"]["status"], "passed");
    assert_eq!(government_id["attributes"]["name-first"], "Jane");
    assert_eq!(government_id["attributes"]["birthdate"], "1990-01-02");
    let checks = check_names(&government_id);
    assert!(checks.contains(&("id_inquiry_comparison".into(), "passed".into())));
    assert!(checks.iter().all(|(_, status)| status == "passed"));
    let selfie = verification(&persona, &started[1].1).await;
    assert_eq!(selfie["attributes"]["status"], "passed");
    assert!(check_names(&selfie).contains(&("selfie_id_comparison".into(), "passed".into())));
    let database = verification(&persona, &started[2].1).await;
    assert_eq!(database["attributes"]["name-last"], "Doe");
    assert!(database["attributes"]["completed-at"].is_string());
}

#[tokio::test]
async fn a_failed_inquiry_fails_its_verifications_with_a_failed_check() {
    let persona = Persona::start().await;
    let id = persona.create_id().await;
    let response = persona
        .simulate(&id, &["start_inquiry", "fail_inquiry"])
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let all = verifications_of(&persona, &id).await;
    assert_eq!(all.len(), 3);
    for (_, vid) in all {
        let v = verification(&persona, &vid).await;
        assert_eq!(v["attributes"]["status"], "failed", "{v}");
        let failed: Vec<_> = check_names(&v)
            .into_iter()
            .filter(|(_, s)| s == "failed")
            .collect();
        assert_eq!(failed.len(), 1, "{v}");
    }
}

#[tokio::test]
async fn typed_paths_answer_their_kind_only() {
    let persona = Persona::start().await;
    let id = persona.completed_inquiry().await;
    let all = verifications_of(&persona, &id).await;
    let government_id = &all[0].1;
    let typed = persona
        .get(&format!(
            "/api/v1/verification/government-ids/{government_id}"
        ))
        .await;
    assert_eq!(typed.status, 200, "{}", typed.text());
    assert_eq!(typed.json()["data"]["id"], government_id.as_str());
    let wrong = persona
        .get(&format!("/api/v1/verification/selfies/{government_id}"))
        .await;
    super::only_error(&wrong, 404);
    let missing = persona.get("/api/v1/verifications/ver_NotThere").await;
    super::only_error(&missing, 404);
}

#[tokio::test]
async fn simulated_verifications_are_listed_and_readable() {
    let persona = Persona::start().await;
    let id = persona.create_id().await;
    let response = persona
        .post(
            &format!("/api/v1/inquiries/{id}/perform-simulate-actions"),
            &json!({"meta": {"simulate-actions": [
                {"type": "create_failed_verification", "data": {"verification-template-id": "vtmpl_Sim1"}},
            ]}}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let all = verifications_of(&persona, &id).await;
    assert_eq!(all.len(), 1);
    let v = verification(&persona, &all[0].1).await;
    assert_eq!(v["attributes"]["status"], "failed");
    assert_eq!(
        v["relationships"]["verification-template"]["data"]["id"],
        "vtmpl_Sim1"
    );
}

/// The statuses of the inquiry's government id, selfie and database verifications, and the
/// failed checks.
async fn outcome_of(persona: &Persona, id: &str) -> (Vec<String>, Vec<String>) {
    let mut statuses = Vec::new();
    let mut failed = Vec::new();
    for (_, vid) in verifications_of(persona, id).await {
        let v = verification(persona, &vid).await;
        statuses.push(
            v["attributes"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
        failed.extend(
            check_names(&v)
                .into_iter()
                .filter(|(_, s)| s == "failed")
                .map(|(n, _)| n),
        );
    }
    (statuses, failed)
}

#[tokio::test]
async fn the_selfie_mismatch_scenario_fails_one_check_and_needs_review() {
    let persona = Persona::start().await;
    let selected = persona
        .server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", persona.namespace)
        .json(&json!({"name": "selfie-mismatch"}))
        .send()
        .await;
    assert_eq!(selected.status, 200, "{}", selected.text());
    let id = persona.create_id().await;
    let done = persona
        .simulate(&id, &["start_inquiry", "complete_inquiry"])
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(persona.status(&id).await, "needs_review");
    let (statuses, failed) = outcome_of(&persona, &id).await;
    assert_eq!(statuses, ["passed", "failed", "passed"]);
    assert_eq!(failed, ["selfie_id_comparison"]);
    let names = persona.event_names().await;
    assert!(names.ends_with(&[
        "inquiry.completed".to_string(),
        "inquiry.marked-for-review".to_string()
    ]));
    // A reviewer may still approve it.
    let approved = persona
        .post_empty(&format!("/api/v1/inquiries/{id}/approve"))
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text());
}

#[tokio::test]
async fn the_selfie_magic_word_does_the_same_without_a_scenario() {
    let persona = Persona::start().await;
    let id = id_of(
        &persona
            .create(json!({"fields": {"email-address": "jo+selfie@example.com"}}))
            .await,
    );
    persona
        .simulate(&id, &["start_inquiry", "complete_inquiry"])
        .await;
    assert_eq!(persona.status(&id).await, "needs_review");
    let (statuses, failed) = outcome_of(&persona, &id).await;
    assert_eq!(statuses, ["passed", "failed", "passed"]);
    assert_eq!(failed, ["selfie_id_comparison"]);
}

#[tokio::test]
async fn the_hosted_flow_and_the_admin_triggers_run_the_verifications_too() {
    let persona = Persona::start().await;
    let hosted = persona.create_id().await;
    let submitted = persona
        .server
        .post(&format!("/verify/{hosted}"))
        .header("x-sandbox-namespace", persona.namespace)
        .form(&[("outcome", "fail")])
        .send()
        .await;
    assert!(
        submitted.status < 400,
        "{} {}",
        submitted.status,
        submitted.text()
    );
    assert_eq!(persona.status(&hosted).await, "failed");
    let (statuses, _) = outcome_of(&persona, &hosted).await;
    assert_eq!(statuses, ["failed", "failed", "failed"]);

    let triggered = persona.create_id().await;
    let approved = persona
        .server
        .post(&format!("/__admin/inquiries/{triggered}/approve"))
        .header("x-sandbox-namespace", persona.namespace)
        .send()
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    let (statuses, failed) = outcome_of(&persona, &triggered).await;
    assert_eq!(statuses, ["passed", "passed", "passed"]);
    assert!(failed.is_empty());
}
