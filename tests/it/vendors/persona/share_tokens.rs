//! Connect share tokens: create, list, retrieve, expire, asynchronous redemption.

use serde_json::json;

use super::*;
use crate::harness::TestResponse;

async fn create_token(p: &Persona, source: &str) -> TestResponse {
    p.post(
        "/api/v1/connect/share-tokens",
        &json!({"data": {"attributes": {"connection-id": "cxn_partner", "source-id": source}}}),
    )
    .await
}

#[tokio::test]
async fn share_tokens_are_created_listed_and_retrieved() {
    let p = Persona::start().await;
    let source = p.completed_inquiry().await;
    let response = create_token(&p, &source).await;
    assert_eq!(response.status, 201, "{}", response.text());
    let token = response.json();
    let data = &token["data"];
    assert_eq!(data["type"], "connect/share-token");
    let token_id = data["id"].as_str().unwrap_or("").to_string();
    assert!(is_persona_id(&token_id, "cnst_"), "{data}");
    let attrs = &data["attributes"];
    assert_eq!(attrs["status"], "created");
    assert!(attrs["pending-at"].is_null() && attrs["redeemed-at"].is_null());
    let created = chrono::DateTime::parse_from_rfc3339(attrs["created-at"].as_str().unwrap_or(""))
        .expect("created-at");
    let expires = chrono::DateTime::parse_from_rfc3339(attrs["expires-at"].as_str().unwrap_or(""))
        .expect("expires-at");
    assert_eq!((expires - created).num_days(), 14);
    assert_eq!(
        data["relationships"]["connection"]["data"],
        json!({"type": "connect/connection", "id": "cxn_partner"})
    );
    assert_eq!(
        data["relationships"]["source"]["data"],
        json!({"type": "inquiry", "id": source})
    );
    assert!(data["relationships"]["creator"]["data"]["id"].is_string());

    let one = p
        .get(&format!("/api/v1/connect/share-tokens/{token_id}"))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["data"], token["data"]);
    let list = p.get("/api/v1/connect/share-tokens").await.json();
    assert_eq!(list["data"][0]["id"], token_id.as_str());
    assert!(list["links"]["next"].is_null());
}

#[tokio::test]
async fn share_token_create_refuses_missing_or_unfinished_sources() {
    let p = Persona::start().await;
    let unfinished = p.create_id().await;
    let missing_connection = p
        .post(
            "/api/v1/connect/share-tokens",
            &json!({"data": {"attributes": {"source-id": unfinished}}}),
        )
        .await;
    assert!(details(&missing_connection, 400).contains("connection-id"));
    let missing_source = p
        .post(
            "/api/v1/connect/share-tokens",
            &json!({"data": {"attributes": {"connection-id": "cxn_a"}}}),
        )
        .await;
    assert!(details(&missing_source, 400).contains("source-id"));
    let not_a_connection = p
        .post(
            "/api/v1/connect/share-tokens",
            &json!({"data": {"attributes": {"connection-id": "abc", "source-id": unfinished}}}),
        )
        .await;
    assert!(details(&not_a_connection, 422).contains("cxn_"));
    let unknown_key = p
        .post(
            "/api/v1/connect/share-tokens",
            &json!({"data": {"attributes": {
                "connection-id": "cxn_a", "source-id": unfinished, "destination-id": 5,
            }}}),
        )
        .await;
    assert!(details(&unknown_key, 400).contains("\"destination-id\""));
    assert!(details(&create_token(&p, &unfinished).await, 422).contains("completed or approved"));
    assert!(details(&create_token(&p, "inq_unknown").await, 422).contains("inq_unknown"));
    let list = p.get("/api/v1/connect/share-tokens").await.json();
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn share_token_redemption_is_pending_then_redeemed_after_two_seconds() {
    let p = Persona::start().await;
    let source = p.completed_inquiry().await;
    let token_id = id_of(&create_token(&p, &source).await.json());
    let redeem_path = format!("/api/v1/connect/share-tokens/{token_id}/redeem");
    let destination_id = p.create_id().await;
    let destination = json!({"data": {"attributes": {"destination-id": destination_id}}});

    let pending = p.post(&redeem_path, &destination).await;
    assert_eq!(pending.status, 200, "{}", pending.text());
    let attrs = &pending.json()["data"]["attributes"];
    assert_eq!(attrs["status"], "pending");
    assert!(is_iso_ms(&attrs["pending-at"]) && attrs["redeemed-at"].is_null());

    // Still pending until two seconds of sandbox time have passed.
    let path = format!("/api/v1/connect/share-tokens/{token_id}");
    assert_eq!(
        p.get(&path).await.json()["data"]["attributes"]["status"],
        "pending"
    );
    p.advance_clock(2).await;
    let redeemed = p.get(&path).await.json();
    assert_eq!(redeemed["data"]["attributes"]["status"], "redeemed");
    assert!(is_iso_ms(&redeemed["data"]["attributes"]["redeemed-at"]));

    // Same destination again: the token as it is; another destination: refused.
    let again = p.post(&redeem_path, &destination).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["data"]["attributes"]["status"], "redeemed");
    let elsewhere = p
        .post(
            &redeem_path,
            &json!({"data": {"attributes": {"destination-id": "inq_other"}}}),
        )
        .await;
    assert!(details(&elsewhere, 422).contains("already been redeemed"));
    let no_destination = p.post_empty(&redeem_path).await;
    only_error(&no_destination, 422);
    // A redeemed token cannot be expired.
    only_error(
        &p.post_empty(&format!("/api/v1/connect/share-tokens/{token_id}/expire"))
            .await,
        422,
    );
    assert_eq!(
        p.get(&path).await.json()["data"]["attributes"]["status"],
        "redeemed"
    );
}

#[tokio::test]
async fn expired_share_tokens_cannot_be_redeemed() {
    let p = Persona::start().await;
    let source = p.completed_inquiry().await;
    let by_endpoint = id_of(&create_token(&p, &source).await.json());
    let expired = p
        .post_empty(&format!(
            "/api/v1/connect/share-tokens/{by_endpoint}/expire"
        ))
        .await;
    assert_eq!(expired.status, 200, "{}", expired.text());
    assert_eq!(expired.json()["data"]["attributes"]["status"], "expired");
    let refused = p
        .post_empty(&format!(
            "/api/v1/connect/share-tokens/{by_endpoint}/redeem"
        ))
        .await;
    assert!(details(&refused, 422).contains("expired"));

    let by_time = id_of(&create_token(&p, &source).await.json());
    p.advance_clock(14 * 24 * 60 * 60).await;
    let token = p
        .get(&format!("/api/v1/connect/share-tokens/{by_time}"))
        .await
        .json();
    assert_eq!(token["data"]["attributes"]["status"], "expired");
    let refused = p
        .post_empty(&format!("/api/v1/connect/share-tokens/{by_time}/redeem"))
        .await;
    assert!(details(&refused, 422).contains("expired"));
    let bad_body = p
        .post(
            &format!("/api/v1/connect/share-tokens/{by_time}/redeem"),
            &json!({"data": {"attributes": {"destination": "x"}}}),
        )
        .await;
    only_error(&bad_body, 400);
}

/// A destination is an inquiry of this namespace that can still run, as a source is one that
/// exists: an unknown one is refused as an unknown `source-id` is (422), a redacted one as
/// every change to it is (409), a finished one 422. A token whose source was redacted has
/// nothing left to share (409). Nothing is redeemed by a refusal.
#[tokio::test]
async fn redemption_refuses_unknown_or_finished_destinations_and_redacted_sources() {
    let p = Persona::start().await;
    let source = p.completed_inquiry().await;
    let token_id = id_of(&create_token(&p, &source).await.json());
    let redeem_path = format!("/api/v1/connect/share-tokens/{token_id}/redeem");
    let into = |destination: &str| json!({"data": {"attributes": {"destination-id": destination}}});

    let unknown = p.post(&redeem_path, &into("inq_doesnotexist")).await;
    let error = only_error(&unknown, 422);
    assert!(
        error["details"]
            .as_str()
            .is_some_and(|d| d.contains("inq_doesnotexist")),
        "{error}"
    );
    assert_eq!(
        error["source"]["pointer"],
        "/data/attributes/destination-id"
    );
    let finished = p.completed_inquiry().await;
    let refused = details(&p.post(&redeem_path, &into(&finished)).await, 422);
    assert!(refused.contains("status is completed"), "{refused}");
    let redacted = p.create_id().await;
    assert_eq!(
        p.delete(&format!("/api/v1/inquiries/{redacted}"))
            .await
            .status,
        200
    );
    let refused = details(&p.post(&redeem_path, &into(&redacted)).await, 409);
    assert_eq!(refused, "Inquiry already redacted");
    let token_path = format!("/api/v1/connect/share-tokens/{token_id}");
    let token = p.get(&token_path).await.json();
    assert_eq!(token["data"]["attributes"]["status"], "created", "{token}");

    // A created or pending destination takes it.
    let pending = p.create_id().await;
    p.simulate(&pending, &["start_inquiry"]).await;
    let redeemed = p.post(&redeem_path, &into(&pending)).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.text());

    // The source redacted: a token not redeemed yet cannot be, into anything.
    let other = id_of(&create_token(&p, &source).await.json());
    assert_eq!(
        p.delete(&format!("/api/v1/inquiries/{source}"))
            .await
            .status,
        200
    );
    let other_path = format!("/api/v1/connect/share-tokens/{other}/redeem");
    for body in [into(&p.create_id().await), json!({})] {
        let refused = details(&p.post(&other_path, &body).await, 409);
        assert!(
            refused.contains(&source) && refused.contains("redacted"),
            "{refused}"
        );
    }
    let token = p
        .get(&format!("/api/v1/connect/share-tokens/{other}"))
        .await
        .json();
    assert_eq!(token["data"]["attributes"]["status"], "created", "{token}");
}

/// When the token is redeemed the destination inquiry takes the source's fields and runs to
/// `completed` (vendors.md 1.8: it reaches a terminal status; the sandbox's template requires
/// no field), every event on the way, at the moment of redemption: before a later expiry that
/// the same clock advance passes.
#[tokio::test]
async fn a_redeemed_token_hydrates_and_runs_its_destination() {
    let p = Persona::start().await;
    let source = id_of(
        &p.create(json!({"fields": {"name-first": "Jane", "birthdate": "1990-01-02", "age": 34}}))
            .await,
    );
    p.simulate(&source, &["start_inquiry", "complete_inquiry"])
        .await;
    let token_id = id_of(&create_token(&p, &source).await.json());
    // Expires 5 s after creation unless it runs first (redemption takes 2 s).
    let created = p
        .post(
            "/api/v1/inquiries",
            &json!({"data": {"attributes": {"inquiry-template-id": "itmpl_dest",
                "fields": {"name-first": "J", "note-to-self": "kept"}}},
                "meta": {"expiration-after-create-interval-seconds": 5}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let destination = id_of(&created.json());
    let redeemed = p
        .post(
            &format!("/api/v1/connect/share-tokens/{token_id}/redeem"),
            &json!({"data": {"attributes": {"destination-id": destination}}}),
        )
        .await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.text());
    assert_eq!(
        p.status(&destination).await,
        "created",
        "not before redemption"
    );

    p.advance_clock(10).await;
    let read = p
        .get(&format!("/api/v1/inquiries/{destination}"))
        .await
        .json();
    let attrs = &read["data"]["attributes"];
    assert_eq!(attrs["status"], "completed", "{read}");
    assert_eq!(attrs["name-first"], "Jane");
    assert_eq!(attrs["fields"]["age"]["value"], 34);
    assert_eq!(attrs["fields"]["note-to-self"]["value"], "kept");
    let token = p
        .get(&format!("/api/v1/connect/share-tokens/{token_id}"))
        .await
        .json();
    assert_eq!(
        token["data"]["attributes"]["redeemed-at"],
        attrs["completed-at"]
    );
    let events = p
        .get(&format!(
            "/api/v1/events?filter%5Bobject-id%5D={destination}"
        ))
        .await
        .json();
    let names: Vec<&str> = (events["data"].as_array().into_iter().flatten())
        .filter_map(|e| e["attributes"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["inquiry.completed", "inquiry.started", "inquiry.created"]
    );
}

/// A source redacted while its token is being redeemed: the redemption ends `expired` when it
/// was due, and the destination takes nothing and does not run.
#[tokio::test]
async fn a_source_redacted_during_redemption_shares_nothing() {
    let p = Persona::start().await;
    let source = p.completed_inquiry().await;
    let token_id = id_of(&create_token(&p, &source).await.json());
    let destination = p.create_id().await;
    let redeem = p
        .post(
            &format!("/api/v1/connect/share-tokens/{token_id}/redeem"),
            &json!({"data": {"attributes": {"destination-id": destination}}}),
        )
        .await;
    assert_eq!(redeem.status, 200, "{}", redeem.text());
    assert_eq!(
        p.delete(&format!("/api/v1/inquiries/{source}"))
            .await
            .status,
        200
    );
    p.advance_clock(3).await;
    let token = p
        .get(&format!("/api/v1/connect/share-tokens/{token_id}"))
        .await
        .json();
    let attributes = &token["data"]["attributes"];
    assert_eq!(attributes["status"], "expired", "{token}");
    assert!(attributes["redeemed-at"].is_null(), "{token}");
    assert_eq!(p.status(&destination).await, "created");
}
