//! The Persona API as a whole: auth, Request-Id, Key-Inflection, record-not-found, namespaces.

use serde_json::json;

use super::*;
use crate::harness::TestServer;
use crate::openapi::{assert_valid, error_response};

#[tokio::test]
async fn auth_is_required_and_every_response_has_a_request_id() {
    let p = Persona::start().await;
    let missing = p.server.get("/api/v1/inquiries").send().await;
    let error = only_error(&missing, 401);
    assert_eq!(
        error["title"],
        "Must be authenticated to access this endpoint"
    );
    // The spec's 401 items hold a title and nothing else (`additionalProperties: false`).
    assert_valid(&error_response("unauthorized"), &missing.json());
    assert!(is_persona_id(
        missing.header("request-id").unwrap_or(""),
        "req_"
    ));

    let basic = p
        .server
        .get("/api/v1/inquiries")
        .header("authorization", "Basic abc")
        .send()
        .await;
    only_error(&basic, 401);
    let empty = p
        .server
        .get("/api/v1/inquiries")
        .header("authorization", "Bearer ")
        .send()
        .await;
    only_error(&empty, 401);
    let schemeless = p
        .server
        .get("/api/v1/inquiries")
        .header("authorization", "x")
        .send()
        .await;
    only_error(&schemeless, 401);
    // Authentication comes before routing, as Persona's API answers.
    let unknown = p.server.get("/api/v1/no-such-resource").send().await;
    only_error(&unknown, 401);
    for refused in [&basic, &empty, &schemeless, &unknown] {
        assert_valid(&error_response("unauthorized"), &refused.json());
    }

    let any_key = p
        .server
        .get("/api/v1/inquiries")
        .header("authorization", "Bearer anything")
        .send()
        .await;
    assert_eq!(any_key.status, 200);
    assert!(is_persona_id(
        any_key.header("request-id").unwrap_or(""),
        "req_"
    ));
    assert_ne!(any_key.header("request-id"), missing.header("request-id"));
}

/// Answers given before any route runs carry one too: a bad Host, a body over the limit, a
/// refused preflight, a scenario's answer.
#[tokio::test]
async fn answers_refused_before_routing_have_a_request_id() {
    let server = TestServer::start_with(|c| c.max_body_bytes = 1024).await;
    let rebound = format!("rebind.evil.example:{}", server.addr.port());
    let host = server
        .get("/api/v1/inquiries")
        .header("host", &rebound)
        .send()
        .await;
    let large = server
        .post("/api/v1/inquiries")
        .header("authorization", &format!("Bearer {KEY}"))
        .json(&json!({"data": {"attributes": {"note": "x".repeat(2048)}}}))
        .send()
        .await;
    let preflight = server
        .request("OPTIONS", "/api/v1/inquiries")
        .header("origin", "https://elsewhere.example")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    let mut ids = Vec::new();
    for (what, response, status) in [
        ("host", host, 403),
        ("large", large, 413),
        ("preflight", preflight, 403),
    ] {
        assert_eq!(response.status, status, "{what}: {}", response.text());
        let id = response.header("request-id").unwrap_or("").to_string();
        assert!(is_persona_id(&id, "req_"), "{what}: {:?}", response.headers);
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "each its own");
}

#[tokio::test]
async fn configured_api_keys_are_the_only_ones_accepted() {
    let server = TestServer::start_with(|cfg| {
        cfg.persona.api_keys = vec!["persona_sandbox_a".into(), "persona_sandbox_b".into()];
    })
    .await;
    let with = |key: &str| {
        server
            .get("/api/v1/inquiries")
            .header("authorization", &format!("Bearer {key}"))
    };
    assert_eq!(with("persona_sandbox_b").send().await.status, 200);
    let wrong = with("persona_sandbox_c").send().await;
    assert_eq!(only_error(&wrong, 401)["title"], "Token is invalid");
    assert_valid(&error_response("unauthorized"), &wrong.json());
    assert!(wrong.header("request-id").is_some());
}

#[tokio::test]
async fn unknown_inquiry_is_record_not_found() {
    let p = Persona::start().await;
    for response in [
        p.get("/api/v1/inquiries/inq_doesnotexist").await,
        p.post_empty("/api/v1/inquiries/inq_doesnotexist/approve")
            .await,
        p.post_empty("/api/v1/inquiries/inq_doesnotexist/resume")
            .await,
        p.simulate("inq_doesnotexist", &["start_inquiry"]).await,
        p.get("/api/v1/events/evt_doesnotexist").await,
        p.get("/api/v1/connect/share-tokens/cnst_doesnotexist")
            .await,
    ] {
        assert_eq!(only_error(&response, 404)["title"], "Record not found");
    }
}

/// A field nested as deep as a request body may be (the JSON parser's limit) is answered whole
/// when the answer is recased: the answer is built as a `Value`, not parsed back from its bytes,
/// in which the field sits one level deeper than the parser accepts.
#[tokio::test]
async fn a_field_nested_to_the_parsers_limit_survives_key_inflection() {
    let p = Persona::start().await;
    let nested = |n: usize| (0..n).fold(json!("bottom"), |v, _| json!([v]));
    let body = |n: usize| {
        json!({"data": {"attributes": {
            "inquiry-template-id": "itmpl_sandbox",
            "fields": {"name-first": "Ann", "deep": nested(n)},
        }}})
    };
    // The deepest body the server's parser (serde_json with its default limit) accepts.
    let n = (0..200)
        .rev()
        .find(|&n| serde_json::from_str::<Value>(&body(n).to_string()).is_ok())
        .expect("a depth the parser accepts");
    let created = p.post("/api/v1/inquiries", &body(n)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let text = created.text();
    let at = text.find("\"id\":\"inq_").expect("an inquiry id") + "\"id\":\"".len();
    let id = &text[at..at + "inq_".len() + 24];
    let as_snake = p
        .authed(p.server.get(&format!("/api/v1/inquiries/{id}")))
        .header("key-inflection", "snake")
        .send()
        .await;
    assert_eq!(as_snake.status, 200);
    let text = as_snake.text();
    assert!(
        text.contains(id) && text.contains("\"name_first\":\"Ann\""),
        "{}",
        &text[..text.len().min(300)]
    );
}

#[tokio::test]
async fn key_inflection_recases_response_keys() {
    let p = Persona::start().await;
    let id = id_of(
        &p.create(json!({"reference-id": "r1", "fields": {"name-first": "Ann", "address-street-1": "1 Road"}}))
            .await,
    );
    let as_camel = p
        .authed(p.server.get(&format!("/api/v1/inquiries/{id}")))
        .header("key-inflection", "camel")
        .send()
        .await
        .json();
    let attrs = &as_camel["data"]["attributes"];
    assert_eq!(attrs["referenceId"], "r1");
    assert!(attrs.get("reference-id").is_none());
    assert!(is_iso_ms(&attrs["createdAt"]));
    assert_eq!(attrs["fields"]["nameFirst"]["value"], "Ann");
    assert_eq!(attrs["fields"]["addressStreet1"]["value"], "1 Road");
    assert!(as_camel["data"]["relationships"]["inquiryTemplate"].is_object());

    let as_snake = p
        .authed(p.server.get("/api/v1/inquiries"))
        .header("key-inflection", "snake")
        .send()
        .await
        .json();
    assert_eq!(as_snake["data"][0]["attributes"]["reference_id"], "r1");
    assert_eq!(
        as_snake["data"][0]["attributes"]["fields"]["name_first"]["value"],
        "Ann"
    );

    let as_kebab = p
        .authed(p.server.get(&format!("/api/v1/inquiries/{id}")))
        .header("key-inflection", "kebab")
        .send()
        .await
        .json();
    assert_eq!(as_kebab["data"]["attributes"]["reference-id"], "r1");

    let bad = p
        .authed(p.server.get("/api/v1/inquiries"))
        .header("key-inflection", "pascal")
        .send()
        .await;
    assert!(details(&bad, 400).contains("Key-Inflection"));

    // Request keys are read in any casing.
    let camel_request = p
        .post(
            "/api/v1/inquiries",
            &json!({"data": {"attributes": {"inquiryTemplateId": "itmpl_c", "referenceId": "r2"}}}),
        )
        .await;
    assert_eq!(camel_request.status, 201, "{}", camel_request.text());
    assert_eq!(
        camel_request.json()["data"]["attributes"]["reference-id"],
        "r2"
    );
}

#[tokio::test]
async fn persona_version_is_one_persona_has() {
    let p = Persona::start().await;
    let id = p.create_id().await;
    let path = format!("/api/v1/inquiries/{id}");
    for version in ["2023-01-05", "2022-09-01", "2025-12-08"] {
        let read = (p.authed(p.server.get(&path)))
            .header("persona-version", version)
            .send()
            .await;
        assert_eq!(read.status, 200, "{version}: {}", read.text());
    }
    for version in ["1999-01-01", "2023-1-5", "latest"] {
        let refused = (p.authed(p.server.get(&path)))
            .header("persona-version", version)
            .send()
            .await;
        let details = details(&refused, 400);
        assert!(
            details.contains("Persona-Version") && details.contains("2023-01-05"),
            "{version}: {details}"
        );
    }
    // Refused before anything happens.
    let create = (p.authed(p.server.post("/api/v1/inquiries")))
        .header("persona-version", "2023-01-06")
        .json(&json!({"data": {"attributes": {"inquiry-template-id": "itmpl_x"}}}))
        .send()
        .await;
    details(&create, 400);
    let listed = p.get("/api/v1/inquiries").await.json();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn namespaces_keep_persona_state_apart() {
    let p = Persona::start().await;
    let id = p.create_id().await;
    let elsewhere = p
        .server
        .get(&format!("/ns/other/api/v1/inquiries/{id}"))
        .header("authorization", "Bearer k")
        .send()
        .await;
    only_error(&elsewhere, 404);
    let unknown_route = p.get("/api/v1/nothing-here").await;
    only_error(&unknown_route, 404);
}

/// Every list refuses a filter it does not have (400 naming it) and takes the ones the spec
/// gives it in any casing: events by `name`, `object-id` and `id`, each a comma list. Webhooks
/// and share tokens take none; webhooks are paged like the other lists.
#[tokio::test]
async fn lists_refuse_unknown_filters_and_page_webhooks() {
    let persona = Persona::start().await;
    let first = persona.create_id().await;
    let second = persona.create_id().await;
    let ids = |response: &crate::harness::TestResponse| -> Vec<String> {
        assert_eq!(response.status, 200, "{}", response.text());
        (response.json()["data"].as_array().expect("data").iter())
            .map(|item| item["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let of_first = persona
        .get(&format!("/api/v1/events?filter[object_id]={first}"))
        .await;
    let events = ids(&of_first);
    assert_eq!(
        events.len(),
        1,
        "inquiry.created of the first only: {events:?}"
    );
    let both = (persona.get(&format!(
        "/api/v1/events?filter[object-id]={first},{second}"
    )))
    .await;
    assert_eq!(ids(&both).len(), 2);
    let by_id = persona
        .get(&format!("/api/v1/events?filter[id]={}", events[0]))
        .await;
    assert_eq!(ids(&by_id), events);
    for path in [
        "/api/v1/events?filter[created-at-start]=2099-01-01",
        "/api/v1/connect/share-tokens?filter[status]=bogus",
        "/api/v1/webhooks?filter[x]=1",
    ] {
        let refused = details(&persona.get(path).await, 400);
        assert!(refused.contains("filter["), "{path}: {refused}");
    }

    for n in 0..3 {
        let hook = json!({"data": {"attributes": {
            "url": format!("https://hooks.example/{n}"), "enabled-events": ["inquiry.completed"],
        }}});
        let created = persona.post("/api/v1/webhooks", &hook).await;
        assert_eq!(created.status, 201, "{}", created.text());
    }
    let page = persona.get("/api/v1/webhooks?page[size]=2").await;
    let first_page = ids(&page);
    assert_eq!(first_page.len(), 2);
    let next = page.json()["links"]["next"]
        .as_str()
        .expect("a next page")
        .to_string();
    let rest = ids(&persona.get(&next).await);
    assert_eq!(rest.len(), 1);
    assert!(!first_page.contains(&rest[0]));
    details(&persona.get("/api/v1/webhooks?page[size]=0").await, 400);
}

/// An action needs no body, but a malformed one is refused (400), not acted on.
#[tokio::test]
async fn an_action_refuses_a_malformed_body_and_changes_nothing() {
    let persona = Persona::start().await;
    let hook = json!({"data": {"attributes": {
        "url": "https://hooks.example/a", "enabled-events": ["inquiry.completed"],
    }}});
    let created = persona.post("/api/v1/webhooks", &hook).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = id_of(&created.json());
    let disable = format!("/api/v1/webhooks/{id}/disable");
    let malformed = (persona.authed(persona.server.post(&disable)))
        .header("content-type", "application/json")
        .body("{x")
        .send()
        .await;
    details(&malformed, 400);
    let hook = persona.get(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(hook.json()["data"]["attributes"]["status"], "enabled");
    assert_eq!(persona.post_empty(&disable).await.status, 200);

    // A member of the body is named as the client wrote it.
    let inquiry = persona.create_id().await;
    let expire = format!("/api/v1/inquiries/{inquiry}/expire");
    let refused = details(&persona.post(&expire, &json!({"meta": 5})).await, 400);
    assert_eq!(refused, "meta must be an object");
}
