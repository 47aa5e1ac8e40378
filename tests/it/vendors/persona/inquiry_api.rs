//! The rest of the inquiry API: list filters and page bounds, PATCH, redaction, tags, one-time
//! links and `Idempotency-Key`.

use serde_json::{Value, json};

use super::{Persona, details, id_of, only_error};

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn every_list_filter_of_the_spec_works_and_bad_ones_are_named() {
    let persona = Persona::start().await;
    let first = persona.create(json!({"note": "first"})).await;
    let first_at = first["data"]["attributes"]["created-at"]
        .as_str()
        .expect("created-at")
        .to_string();
    let first = id_of(&first);
    persona.advance_clock(60).await;
    let second = persona.create(json!({"note": "second"})).await;
    let second_at = second["data"]["attributes"]["created-at"]
        .as_str()
        .expect("created-at")
        .to_string();
    let second = id_of(&second);
    persona.simulate(&second, &["start_inquiry"]).await;
    persona.advance_clock(60).await;
    let other_template = persona
        .post(
            "/api/v1/inquiries",
            &json!({"data": {"attributes": {"inquiry-template-id": "itmpl_other"}}}),
        )
        .await;
    let third = id_of(&other_template.json());

    let list = |query: &'static str| {
        let persona = &persona;
        async move {
            let response = persona.get(&format!("/api/v1/inquiries?{query}")).await;
            assert_eq!(response.status, 200, "{query}: {}", response.text());
            ids(&response.json())
        }
    };
    assert_eq!(list("filter%5Bstatus%5D=pending").await, [second.as_str()]);
    assert_eq!(
        list("filter%5Bstatus%5D=created,pending").await,
        [third.as_str(), second.as_str(), first.as_str()]
    );
    assert_eq!(list("filter%5Bnote%5D=first").await, [first.as_str()]);
    assert_eq!(
        list("filter%5BinquiryTemplateId%5D=itmpl_other").await,
        [third.as_str()],
        "filter names in any casing"
    );
    assert_eq!(
        list("filter%5Binquiry_template_id%5D=itmpl_other").await,
        [third.as_str()]
    );
    assert_eq!(
        list("filter%5Binquiry-template-id%5D=itmpl_other,itmpl_nope").await,
        [third.as_str()]
    );
    assert_eq!(
        list("filter%5Binquiry-template-id%5D=itmpl_sandbox").await,
        [second.as_str(), first.as_str()]
    );
    let start = persona
        .get(&format!(
            "/api/v1/inquiries?filter%5Bcreated-at-start%5D={second_at}"
        ))
        .await;
    assert_eq!(ids(&start.json()), [third.as_str(), second.as_str()]);
    let end = persona
        .get(&format!(
            "/api/v1/inquiries?filter%5Bcreated-at-end%5D={first_at}"
        ))
        .await;
    assert_eq!(ids(&end.json()), [first.as_str()]);

    let refused = |query: &'static str, named: &'static str| {
        let persona = &persona;
        async move {
            let response = persona.get(&format!("/api/v1/inquiries?{query}")).await;
            let message = details(&response, 400);
            assert!(message.contains(named), "{query}: {message}");
        }
    };
    refused("filter%5Bcolour%5D=red", "filter[colour]").await;
    refused("filter%5Bstatus%5D=done", "\"done\"").await;
    refused("filter%5Bcreated-at-start%5D=yesterday", "created-at-start").await;
    refused(
        "filter%5Bnote%5D=first&filter%5Bstatus%5D=created",
        "only filter",
    )
    .await;
    refused("page%5Bsize%5D=0", "page[size]").await;
    refused("page%5Bsize%5D=101", "page[size]").await;
    // The spec's `page` holds after, before and size only: a typo is not the default page.
    refused("page%5Blimit%5D=50", "page[limit]").await;
    refused("page=2", "page").await;
    for list in ["accounts", "events", "webhooks", "connect/share-tokens"] {
        let response = persona
            .get(&format!("/api/v1/{list}?page%5Bfoo%5D=1"))
            .await;
        assert!(details(&response, 400).contains("page[foo]"), "{list}");
    }
    assert_eq!(list("page%5Bsize%5D=100").await.len(), 3);
}

#[tokio::test]
async fn patch_changes_fields_note_and_tags() {
    let persona = Persona::start().await;
    let id = id_of(
        &persona
            .create(json!({"fields": {"name-first": "Jo"}, "tags": ["a"]}))
            .await,
    );
    let path = format!("/api/v1/inquiries/{id}");
    let patched = persona
        .patch(
            &path,
            &json!({"data": {"attributes": {
                "note": "checked", "tags": ["a", "b"],
                "fields": {"name-last": "Ng", "birthdate": {"type": "date", "value": "2000-02-03"}},
            }}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let attributes = &patched.json()["data"]["attributes"];
    assert_eq!(attributes["note"], "checked");
    assert_eq!(attributes["tags"], json!(["a", "b"]));
    assert_eq!(attributes["name-first"], "Jo");
    assert_eq!(attributes["name-last"], "Ng");
    assert_eq!(attributes["fields"]["birthdate"]["value"], "2000-02-03");
    assert!(
        persona
            .event_names()
            .await
            .contains(&"inquiry.tags-updated".to_string())
    );
    let bad = persona
        .patch(
            &path,
            &json!({"data": {"attributes": {"status": "approved"}}}),
        )
        .await;
    assert!(details(&bad, 400).contains("\"status\""));
    let bad_date = persona
        .patch(
            &path,
            &json!({"data": {"attributes": {"fields": {"birthdate": "1990-13-45"}}}}),
        )
        .await;
    assert!(details(&bad_date, 400).contains("fields.birthdate must be a date"));
    // Tags are kept once each, as set-tags keeps them.
    let twice = persona
        .patch(
            &path,
            &json!({"data": {"attributes": {"tags": ["b", "a", "b"]}}}),
        )
        .await;
    assert_eq!(
        twice.json()["data"]["attributes"]["tags"],
        json!(["b", "a"])
    );
    persona
        .patch(
            &path,
            &json!({"data": {"attributes": {"tags": ["a", "b"]}}}),
        )
        .await;
    // `updated-at` moves only when something changed.
    let updated_at = |response: &crate::harness::TestResponse| {
        response.json()["data"]["attributes"]["updated-at"].clone()
    };
    let before = updated_at(&persona.get(&path).await);
    persona.server.advance_clock(persona.namespace, 60.0).await;
    for same in [json!({}), json!({"note": "checked", "tags": ["a", "b"]})] {
        let unchanged = persona
            .patch(&path, &json!({"data": {"attributes": same}}))
            .await;
        assert_eq!(updated_at(&unchanged), before, "{same}");
    }
    let renoted = (persona.patch(&path, &json!({"data": {"attributes": {"note": "again"}}}))).await;
    assert_ne!(updated_at(&renoted), before);
    only_error(
        &persona
            .patch(
                "/api/v1/inquiries/inq_NotThere",
                &json!({"data": {"attributes": {}}}),
            )
            .await,
        404,
    );
}

#[tokio::test]
async fn delete_redacts_the_inquiry_for_good() {
    let persona = Persona::start().await;
    let id = id_of(
        &persona
            .create(json!({"reference-id": "red-1", "fields": {"name-first": "Jo", "email-address": "jo@x.test"}}))
            .await,
    );
    persona
        .simulate(&id, &["start_inquiry", "complete_inquiry"])
        .await;
    let path = format!("/api/v1/inquiries/{id}");
    let redacted = persona.delete(&path).await;
    assert_eq!(redacted.status, 200, "{}", redacted.text());
    let read = persona.get(&path).await.json();
    let attributes = &read["data"]["attributes"];
    assert!(attributes["redacted-at"].is_string(), "{read}");
    assert_eq!(attributes["name-first"], Value::Null);
    assert_eq!(attributes["fields"], json!({}));
    let verification = read["data"]["relationships"]["verifications"]["data"][0]["id"]
        .as_str()
        .expect("a verification")
        .to_string();
    let v = persona
        .get(&format!("/api/v1/verifications/{verification}"))
        .await;
    assert_eq!(v.json()["data"]["attributes"]["name-first"], Value::Null);
    assert!(
        persona
            .event_names()
            .await
            .contains(&"inquiry.redacted".to_string())
    );
    // Nor do the events recorded before it show the data any more.
    let events = persona
        .get(&format!("/api/v1/events?filter%5Bobject-id%5D={id}"))
        .await
        .json();
    let listed = events["data"].as_array().map_or(0, Vec::len);
    assert!(listed >= 4, "{events}");
    assert!(!events.to_string().contains("jo@x.test"), "{events}");
    for event in events["data"].as_array().into_iter().flatten() {
        let inquiry = &event["attributes"]["payload"]["data"]["attributes"];
        assert_eq!(inquiry["name-first"], Value::Null, "{event}");
    }

    assert!(details(&persona.delete(&path).await, 409).contains("already redacted"));
    let patch = persona
        .patch(&path, &json!({"data": {"attributes": {"note": "x"}}}))
        .await;
    details(&patch, 409);
    details(
        &persona
            .post(
                &format!("{path}/add-tag"),
                &json!({"meta": {"tag-name": "x"}}),
            )
            .await,
        409,
    );
}

#[tokio::test]
async fn a_redacted_inquiry_takes_no_decision_move_or_input_from_anyone() {
    let persona = Persona::start().await;
    let ns = persona.namespace;
    let id = persona.create_id().await;
    persona.simulate(&id, &["start_inquiry"]).await;
    let path = format!("/api/v1/inquiries/{id}");
    assert_eq!(persona.delete(&path).await.status, 200);
    let events = persona.event_names().await.len();
    for action in ["approve", "decline", "expire", "resume"] {
        let refused = persona.post(&format!("{path}/{action}"), &json!({})).await;
        assert!(
            details(&refused, 409).contains("already redacted"),
            "{action}"
        );
    }
    let simulated = persona.simulate(&id, &["complete_inquiry"]).await;
    assert!(details(&simulated, 409).contains("already redacted"));
    // The hosted flow: neither shown nor submitted (its form would write fields back).
    let server = &persona.server;
    let page = server
        .get(&format!("/ns/{ns}/verify?inquiry-id={id}"))
        .send()
        .await;
    assert_eq!(page.status, 409, "{}", page.text());
    let submitted = server
        .post(&format!("/ns/{ns}/verify/{id}"))
        .form(&[("outcome", "approve"), ("fields[name-first]", "Again")])
        .send()
        .await;
    assert_eq!(submitted.status, 409, "{}", submitted.text());
    // Nor the admin's triggers.
    let triggered = server
        .post(&format!("/__admin/inquiries/{id}/approve"))
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(triggered.status, 409, "{}", triggered.text());

    let read = persona.get(&path).await.json();
    let attributes = &read["data"]["attributes"];
    assert_eq!(attributes["status"], "pending", "{read}");
    assert_eq!(attributes["name-first"], Value::Null, "{read}");
    assert_eq!(attributes["fields"], json!({}), "{read}");
    assert_eq!(persona.event_names().await.len(), events, "no event");
}

#[tokio::test]
async fn tag_actions_add_remove_and_set() {
    let persona = Persona::start().await;
    let id = persona.create_id().await;
    let tag = |action: &'static str, name: Value| {
        let persona = &persona;
        let path = format!("/api/v1/inquiries/{id}/{action}");
        async move {
            let response = persona
                .post(&path, &json!({"meta": {"tag-name": name}}))
                .await;
            assert_eq!(response.status, 200, "{action}: {}", response.text());
            response.json()["data"]["attributes"]["tags"].clone()
        }
    };
    assert_eq!(tag("add-tag", json!("x")).await, json!(["x"]));
    assert_eq!(tag("add-tag", json!("x")).await, json!(["x"]), "once");
    assert_eq!(tag("set-tags", json!(["y", "z"])).await, json!(["y", "z"]));
    assert_eq!(tag("remove-tag", json!("y")).await, json!(["z"]));
    let bad = persona
        .post(
            &format!("/api/v1/inquiries/{id}/set-tags"),
            &json!({"meta": {"tag-name": "not-a-list"}}),
        )
        .await;
    details(&bad, 400);
}

/// The path (with `/ns/NAME`) of an absolute link to this server.
fn path_of(link: &str) -> String {
    let start = link
        .find("/ns/")
        .or_else(|| link.find("/verify"))
        .expect("a path");
    link[start..].to_string()
}

#[tokio::test]
async fn a_one_time_link_opens_the_hosted_flow_once() {
    let persona = Persona::start().await;
    let id = persona.create_id().await;
    let generated = persona
        .post_empty(&format!("/api/v1/inquiries/{id}/generate-one-time-link"))
        .await;
    assert_eq!(generated.status, 200, "{}", generated.text());
    let body = generated.json();
    assert_eq!(body["data"]["id"], id.as_str());
    let link = body["meta"]["one-time-link"]
        .as_str()
        .expect("link")
        .to_string();
    assert!(link.contains("/verify?code="), "{link}");
    let opened = persona.server.get(&path_of(&link)).send().await;
    assert_eq!(opened.status, 303, "{}", opened.text());
    assert!(
        opened
            .header("location")
            .is_some_and(|l| l.contains(&format!("inquiry-id={id}"))),
        "{:?}",
        opened.header("location")
    );
    let again = persona.server.get(&path_of(&link)).send().await;
    assert_eq!(again.status, 410);

    let short = persona
        .post(
            &format!("/api/v1/inquiries/{id}/generate-one-time-link"),
            &json!({"meta": {"expires-in-seconds": 10}}),
        )
        .await;
    let link = short.json()["meta"]["one-time-link"]
        .as_str()
        .expect("link")
        .to_string();
    persona.advance_clock(11).await;
    assert_eq!(persona.server.get(&path_of(&link)).send().await.status, 410);
    let bad = persona
        .post(
            &format!("/api/v1/inquiries/{id}/generate-one-time-link"),
            &json!({"meta": {"expires-in-seconds": 0}}),
        )
        .await;
    details(&bad, 400);
    // Above the spec's int32 the bound is named, not "greater than 0".
    let long = persona
        .post(
            &format!("/api/v1/inquiries/{id}/generate-one-time-link"),
            &json!({"meta": {"expires-in-seconds": 315_360_000_000_i64}}),
        )
        .await;
    let long = details(&long, 400);
    assert!(long.contains("at most 2147483647"), "{long}");
    let done = persona.completed_inquiry().await;
    let refused = persona
        .post_empty(&format!("/api/v1/inquiries/{done}/generate-one-time-link"))
        .await;
    details(&refused, 422);

    // A link made for an expired inquiry continues it: opened, the inquiry is pending again.
    let expiring = persona.create_id().await;
    persona.advance_clock(90_000).await;
    let status = |body: Value| body["data"]["attributes"]["status"].clone();
    let read = persona.get(&format!("/api/v1/inquiries/{expiring}")).await;
    assert_eq!(status(read.json()), "expired");
    let made = persona
        .post_empty(&format!(
            "/api/v1/inquiries/{expiring}/generate-one-time-link"
        ))
        .await;
    let link = made.json()["meta"]["one-time-link"]
        .as_str()
        .expect("link")
        .to_string();
    let opened = persona.server.get(&path_of(&link)).send().await;
    assert_eq!(opened.status, 303, "{}", opened.text());
    let read = persona.get(&format!("/api/v1/inquiries/{expiring}")).await;
    assert_eq!(status(read.json()), "pending");
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer() {
    let persona = Persona::start().await;
    let create = |key: &'static str, reference: &'static str| {
        let persona = &persona;
        async move {
            persona
                .authed(persona.server.post("/api/v1/inquiries"))
                .header("idempotency-key", key)
                .json(&json!({"data": {"attributes": {
                    "inquiry-template-id": "itmpl_x", "reference-id": reference,
                }}}))
                .send()
                .await
        }
    };
    let first = create("key-1", "idem-1").await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = create("key-1", "idem-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(id_of(&again.json()), id_of(&first.json()));
    let listed = persona.get("/api/v1/inquiries").await;
    assert_eq!(ids(&listed.json()).len(), 1, "created once");
    let other = create("key-1", "idem-2").await;
    assert!(details(&other, 409).contains("key-1"));
    let fresh = create("key-2", "idem-2").await;
    assert_eq!(fresh.status, 201);
    assert_ne!(id_of(&fresh.json()), id_of(&first.json()));

    // An error is kept too: the same refused request gets the same 422.
    let bad = |key: &'static str| {
        let persona = &persona;
        async move {
            persona
                .authed(persona.server.post("/api/v1/accounts"))
                .header("idempotency-key", key)
                .json(&json!({"data": {"attributes": {"reference-id": 5}}}))
                .send()
                .await
        }
    };
    assert_eq!(bad("key-3").await.status, 400);
    assert_eq!(bad("key-3").await.status, 400);

    // A key is kept a day of sandbox time, then free again (a minute's margin each side, as
    // sandbox time also runs with the real clock).
    persona
        .server
        .advance_clock(persona.namespace, 24.0 * 3600.0 - 60.0)
        .await;
    let within = create("key-1", "idem-1").await;
    assert_eq!(id_of(&within.json()), id_of(&first.json()));
    persona.server.advance_clock(persona.namespace, 120.0).await;
    let after = create("key-1", "idem-1").await;
    assert_eq!(after.status, 201, "{}", after.text());
    assert_ne!(id_of(&after.json()), id_of(&first.json()), "a new inquiry");
}
