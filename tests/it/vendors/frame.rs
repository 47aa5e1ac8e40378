//! The handler frame's read path: a read-only row shares the namespace's lock with other reads,
//! settles first when the clock has something due, and may answer with the bytes kept since
//! the world last changed; Persona's request ids have a stream of their own.

use std::sync::mpsc;

use serde_json::{Value, json};
use vendor_sandbox::app::App;
use vendor_sandbox::server;

use crate::harness::{WAIT, api_request, in_process_app};

fn persona(app: &App, method: &str, target: &str, body: Option<Value>) -> (u16, String, Value) {
    let (status, request_id, bytes) = persona_bytes(app, method, target, body);
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, request_id, json)
}

/// The status, the `Request-Id` and the body's bytes as they would go out.
fn persona_bytes(
    app: &App,
    method: &str,
    target: &str,
    body: Option<Value>,
) -> (u16, String, hyper::body::Bytes) {
    let mut headers = vec![("authorization".to_string(), "Bearer k".to_string())];
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    if !bytes.is_empty() {
        headers.push(("content-type".to_string(), "application/json".to_string()));
    }
    let req = api_request(method, target, &headers, bytes.as_bytes());
    let Some((response, body)) = server::serve_in_process(app, req, Ok(())) else {
        panic!("{method} {target}: no answer");
    };
    let request_id = response
        .header("request-id")
        .unwrap_or_default()
        .to_string();
    (response.status, request_id, body)
}

fn create_inquiry(app: &App) -> String {
    let body = json!({"data": {"attributes": {"inquiry-template-id": "itmpl_frame"}}});
    let (status, _, json) = persona(app, "POST", "/api/v1/inquiries", Some(body));
    assert_eq!(status, 201, "{json}");
    json["data"]["id"].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_read_is_answered_while_another_reader_holds_the_namespace() {
    let app = in_process_app();
    let id = create_inquiry(&app);
    let namespace = app.store.namespace("default");
    let held = namespace.read();
    let (sent, answered) = mpsc::channel();
    std::thread::scope(|scope| {
        let app = &app;
        let path = format!("/api/v1/inquiries/{id}");
        scope.spawn(move || {
            let _ = sent.send(persona(app, "GET", &path, None).0);
        });
        // With the exclusive lock, the read would wait for `held` and this would time out.
        let status = answered.recv_timeout(WAIT);
        drop(held);
        assert_eq!(status, Ok(200));
    });
}

#[test]
fn a_read_settles_what_fell_due_before_answering() {
    let app = in_process_app();
    let id = create_inquiry(&app);
    // Past the inquiry's expiry, without settling (the admin clock would settle at once).
    app.store
        .namespace("default")
        .lock()
        .clock
        .advance(25 * 60 * 60 * 1000);
    let (status, _, json) = persona(&app, "GET", &format!("/api/v1/inquiries/{id}"), None);
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["data"]["attributes"]["status"], "expired", "{json}");
}

#[test]
fn a_kept_answer_lasts_only_until_the_world_changes() {
    let app = in_process_app();
    let id = create_inquiry(&app);
    let path = format!("/api/v1/inquiries/{id}");
    let (_, first_id, first) = persona_bytes(&app, "GET", &path, None);
    let (_, second_id, second) = persona_bytes(&app, "GET", &path, None);
    assert_eq!(
        first.as_ptr(),
        second.as_ptr(),
        "the second read sends the first's bytes"
    );
    assert_ne!(first_id, second_id, "each answer has its own request id");

    let tag = json!({"meta": {"tag-name": "kept"}});
    let (status, _, _) = persona(&app, "POST", &format!("{path}/add-tag"), Some(tag));
    assert_eq!(status, 200);
    let (_, _, tagged) = persona(&app, "GET", &path, None);
    assert_eq!(tagged["data"]["attributes"]["tags"], json!(["kept"]));

    // A list page is kept the same way, and a new inquiry shows in the next one.
    let list = "/api/v1/inquiries?page[size]=100";
    let count = |app: &App| {
        persona(app, "GET", list, None).2["data"]
            .as_array()
            .map(Vec::len)
    };
    assert_eq!(count(&app), Some(1));
    assert_eq!(count(&app), Some(1));
    create_inquiry(&app);
    assert_eq!(count(&app), Some(2));

    // More inquiries read than a namespace keeps answers for: each still gets its own.
    let ids: Vec<String> = (0..80).map(|_| create_inquiry(&app)).collect();
    for _ in 0..2 {
        for id in &ids {
            let (_, _, json) = persona(&app, "GET", &format!("/api/v1/inquiries/{id}"), None);
            assert_eq!(json["data"]["id"], id.as_str());
        }
    }
}

#[test]
fn request_ids_do_not_move_the_ids_of_what_is_created() {
    let quiet = in_process_app();
    let busy = in_process_app();
    let first = create_inquiry(&quiet);
    assert_eq!(create_inquiry(&busy), first);
    let mut request_ids = std::collections::HashSet::new();
    for _ in 0..5 {
        let (status, request_id, _) =
            persona(&busy, "GET", &format!("/api/v1/inquiries/{first}"), None);
        assert_eq!(status, 200);
        assert!(request_id.starts_with("req_") && request_id.len() == 28);
        request_ids.insert(request_id);
    }
    assert_eq!(request_ids.len(), 5);
    assert_eq!(create_inquiry(&busy), create_inquiry(&quiet));
}

/// `method target` with `headers` and `body`, served in process: the status and the answer.
fn served(
    app: &App,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Value) {
    let headers: Vec<(String, String)> = (headers.iter())
        .map(|&(name, value)| (name.to_string(), value.to_string()))
        .collect();
    let req = api_request(method, target, &headers, body);
    let Some((response, body)) = server::serve_in_process(app, req, Ok(())) else {
        panic!("{method} {target}: no answer");
    };
    (
        response.status,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// A route that reads no body (a delete) still refuses one that says it is JSON and is not, in
/// its vendor's envelope, before anything is deleted; a body of another type is ignored, as the
/// vendors' servers ignore it.
#[test]
fn a_malformed_json_body_stops_a_route_that_reads_none() {
    const JSON: (&str, &str) = ("content-type", "application/json");
    const TEXT: (&str, &str) = ("content-type", "text/plain");
    let malformed = b"{\"a\":";
    let app = in_process_app();

    let inquiry = format!("/api/v1/inquiries/{}", create_inquiry(&app));
    let persona_key = ("authorization", "Bearer k");
    let (status, json) = served(&app, "DELETE", &inquiry, &[persona_key, JSON], malformed);
    assert_eq!(status, 400, "{json}");
    let details = json["errors"][0]["details"].as_str().unwrap_or_default();
    assert!(
        details.starts_with("Request body is not valid JSON"),
        "{json}"
    );
    let (_, json) = served(
        &app,
        "DELETE",
        &inquiry,
        &[persona_key, JSON],
        b"\xEF\xBB\xBF{}",
    );
    assert!(
        json["errors"][0]["details"]
            .to_string()
            .contains("byte order mark"),
        "{json}"
    );
    let (_, _, kept) = persona(&app, "GET", &inquiry, None);
    assert_eq!(
        kept["data"]["attributes"]["redacted-at"],
        Value::Null,
        "{kept}"
    );
    let (status, json) = served(&app, "DELETE", &inquiry, &[persona_key, TEXT], malformed);
    assert_eq!(status, 200, "{json}");

    let bitmama_key = ("authorization", "Bearer sk_staging_acme");
    let user = crate::harness::card_user_body("frame@example.com").to_string();
    let create = [bitmama_key, JSON, ("idempotency-key", "frame-1")];
    let (status, json) = served(
        &app,
        "POST",
        "/api/v2/partner/card/users",
        &create,
        user.as_bytes(),
    );
    assert_eq!(status, 201, "{json}");
    let user = format!(
        "/api/v1/partner/card/users/{}",
        json["data"]["serviceId"].as_str().unwrap_or_default()
    );
    let delete = [bitmama_key, JSON, ("idempotency-key", "frame-2")];
    let (status, json) = served(&app, "DELETE", &user, &delete, malformed);
    assert_eq!(status, 400, "{json}");
    assert_eq!(json["message"], "INVALID_REQUEST_BODY", "{json}");
    let list = [bitmama_key];
    let (_, listed) = served(&app, "GET", "/api/v2/partner/card/users", &list, b"");
    assert_eq!(
        listed["data"]["users"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );

    let coinflow = [
        ("authorization", "merchant-key"),
        ("x-coinflow-auth-user-id", "u1"),
        JSON,
    ];
    for path in ["/api/withdraw/account/tok_1", "/api/withdraw/card/tok_1"] {
        let (status, json) = served(&app, "DELETE", path, &coinflow, malformed);
        assert_eq!((status, &json["statusCode"]), (400, &json!(400)), "{json}");
        assert!(
            json["message"].to_string().contains("not valid JSON"),
            "{json}"
        );
    }
}
