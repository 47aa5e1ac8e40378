//! The admin API (issue 7): request counts, state, webhook targets, redeliver and flush, the
//! clock running what falls due, triggers, the OpenAPI document, and library mode.

use serde_json::{Value, json};

use crate::harness::{TestServer, eventually};

const PERSONA_KEY: &str = "Bearer persona_sandbox_key";
const COINFLOW_KEY: &str = "coinflow_sandbox_merchant_key";

async fn create_inquiry(server: &TestServer, ns: &str) -> String {
    let attributes = json!({"reference-id": "ref-admin", "fields": {"name-first": "Ada"}});
    server.create_inquiry(ns, attributes).await
}

async fn admin(
    server: &TestServer,
    method: &str,
    path: &str,
    ns: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = server
        .request(method, &format!("/__admin{path}"))
        .header("x-sandbox-namespace", ns);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await;
    (response.status, response.json())
}

/// An advance is from 0 to a century, and the clock runs at most a thousand years ahead: one
/// past that is refused and moves nothing (it used to stop silently at the limit).
#[tokio::test]
async fn the_clock_refuses_advances_past_its_limits() {
    let server = TestServer::start().await;
    let ns = "clock-limits";
    for bad in [json!(-1), json!("10"), json!(3_162_240_001_u64)] {
        let (status, body) = admin(
            &server,
            "POST",
            "/clock/advance",
            ns,
            Some(json!({"seconds": bad})),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // A body is an object: serde alone would read `[5]` as `{"seconds": 5}`.
    let (status, body) = admin(&server, "POST", "/clock/advance", ns, Some(json!([5]))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("JSON object"), "{body}");
    let century = json!({"seconds": 3_162_240_000_u64});
    for _ in 0..10 {
        let (status, body) =
            admin(&server, "POST", "/clock/advance", ns, Some(century.clone())).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = admin(
        &server,
        "POST",
        "/clock/advance",
        ns,
        Some(json!({"seconds": 1})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("nothing moved"), "{body}");
    let (_, clock) = admin(&server, "GET", "/clock", ns, None).await;
    assert_eq!(clock["offset_seconds"], 31_622_400_000.0_f64, "{clock}");
}

#[tokio::test]
async fn requests_count_matches_vendor_method_path_status_and_body() {
    let server = TestServer::start().await;
    let ns = "count";
    create_inquiry(&server, ns).await;
    create_inquiry(&server, ns).await;
    let unauthorized = server
        .get("/api/v1/inquiries")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(unauthorized.status, 401);
    // Another namespace's requests never count.
    create_inquiry(&server, "count-other").await;

    let count = |matcher: Value| {
        let server = &server;
        async move { admin(server, "POST", "/requests/count", ns, Some(matcher)).await }
    };
    assert_eq!(count(json!({})).await, (200, json!({"count": 3})));
    assert_eq!(
        count(json!({"vendor": "persona", "method": "POST"}))
            .await
            .1,
        json!({"count": 2})
    );
    assert_eq!(
        count(json!({"path": "/api/v1/inquiries", "status": 401}))
            .await
            .1,
        json!({"count": 1})
    );
    assert_eq!(
        count(json!({"path": "/api/v1/*"})).await.1,
        json!({"count": 3})
    );
    assert_eq!(
        count(json!({"vendor": "bitmama"})).await.1,
        json!({"count": 0})
    );
    let partial =
        json!({"body_partial": {"data": {"attributes": {"fields": {"name-first": "Ada"}}}}});
    assert_eq!(count(partial).await.1, json!({"count": 2}));
    let wrong = json!({"body_partial": {"data": {"attributes": {"reference-id": "nope"}}}});
    assert_eq!(count(wrong).await.1, json!({"count": 0}));
    // A misspelt vendor is an error, not a count of 0 that a CI check would take for a pass.
    let (status, body) = count(json!({"vendor": "persna"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("persna"), "{body}");
    let listed = server.get("/__admin/requests?vendor=persna").send().await;
    assert_eq!(listed.status, 400);
    let (status, body) = count(json!({"verb": "GET"})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("verb"),
        "{body}"
    );
}

#[tokio::test]
async fn state_shows_every_vendors_entities() {
    let server = TestServer::start().await;
    let ns = "state";
    let user = server
        .post("/api/v2/partner/card/users")
        .header("authorization", "Bearer sk_staging_acme")
        .header("idempotency-key", "550e8400-e29b-41d4-a716-446655440000")
        .header("x-sandbox-namespace", ns)
        .json(
            &json!({"firstName":"Jane","lastName":"Doe","email":"jane@example.com",
            "phoneNumber":"+14155555555","accountPurpose":"personal use","ipAddress":"203.0.113.42",
            "isTermsOfServiceAccepted":true,"program":"custodial"}),
        )
        .send()
        .await;
    assert_eq!(user.status, 201, "{}", user.text());
    let service_id = user.json()["data"]["serviceId"]
        .as_str()
        .unwrap()
        .to_string();
    let doc = server
        .post("/api/withdraw/kyc")
        .header("authorization", COINFLOW_KEY)
        .header("x-coinflow-auth-user-id", "doc-user")
        .header("x-sandbox-namespace", ns)
        .json(&json!({"email": "doc@x.io", "country": "DE"}))
        .send()
        .await;
    assert_eq!(doc.status, 451, "{}", doc.text());

    let (status, state) = admin(&server, "GET", "/state", ns, None).await;
    assert_eq!(status, 200);
    assert_eq!(state["namespace"], ns);
    let inquiries = state["persona"]["inquiries"].as_array().unwrap();
    assert_eq!(inquiries.len(), 1, "{state}");
    assert_eq!(inquiries[0]["reference_id"], service_id.as_str());
    assert_eq!(inquiries[0]["status"], "created");
    let partner = &state["bitmama"]["partners"][0];
    assert_eq!(partner["partner"], "acme");
    assert_eq!(partner["users"][0]["serviceId"], service_id.as_str());
    assert_eq!(partner["users"][0]["status"], "pending_kyc");
    let withdrawer = &state["coinflow"]["withdrawers"][0];
    assert_eq!(withdrawer["email"], "doc@x.io");
    assert_eq!(withdrawer["status"], "pending");
}

#[tokio::test]
async fn triggers_move_inquiries_and_verify_withdrawers_without_vendor_auth() {
    let server = TestServer::start().await;
    let ns = "triggers";
    let id = create_inquiry(&server, ns).await;
    let (status, body) = admin(
        &server,
        "POST",
        &format!("/inquiries/{id}/approve"),
        ns,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "approved");
    assert_eq!(body["path"], json!(["pending", "completed", "approved"]));
    let events = server
        .get("/api/v1/events")
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .send()
        .await
        .json();
    let names: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["attributes"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"inquiry.approved") && names.contains(&"inquiry.completed"),
        "{names:?}"
    );

    let (status, body) = admin(
        &server,
        "POST",
        &format!("/inquiries/{id}/decline"),
        ns,
        None,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("approved")
    );
    let (status, _) = admin(
        &server,
        "POST",
        &format!("/inquiries/{id}/explode"),
        ns,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = admin(&server, "POST", "/inquiries/inq_missing/fail", ns, None).await;
    assert_eq!(status, 404);
    let other = create_inquiry(&server, ns).await;
    let (_, body) = admin(
        &server,
        "POST",
        &format!("/inquiries/{other}/fail"),
        ns,
        None,
    )
    .await;
    assert_eq!(body["path"], json!(["pending", "failed"]));

    // Every required field given, held for a review by the magic email.
    let held = server
        .post("/api/withdraw/kyc")
        .header("authorization", COINFLOW_KEY)
        .header("x-coinflow-auth-user-id", "doc-user")
        .header("x-sandbox-namespace", ns)
        .json(&crate::vendors::coinflow::us_info("doc+pending@x.io"))
        .send()
        .await;
    assert_eq!(
        held.json()["withdrawer"]["verification"]["status"],
        "pending",
        "{}",
        held.text()
    );
    // Verifying through the admin API is a real verification: KYC Success goes out.
    let mut sink = crate::harness::WebhookSink::start().await;
    let set = server
        .request("PUT", "/__admin/webhook-targets")
        .header("x-sandbox-namespace", ns)
        .json(&json!({"coinflow": {"url": sink.url("/coinflow"), "secret": "validation-key"}}))
        .send()
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let (_, state) = admin(&server, "GET", "/state", ns, None).await;
    let withdrawer = state["coinflow"]["withdrawers"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = admin(
        &server,
        "POST",
        &format!("/withdrawers/{withdrawer}/verify"),
        ns,
        None,
    )
    .await;
    assert_eq!(
        (status, body["status"].clone()),
        (200, json!("approved")),
        "{body}"
    );
    let success = sink
        .next_matching(|hook| hook.json()["eventType"] == "KYC Success")
        .await;
    assert_eq!(success.json()["data"]["email"], "doc+pending@x.io");
    assert_eq!(success.header("authorization"), Some("validation-key"));
    let got = server
        .get("/api/withdraw")
        .header("authorization", COINFLOW_KEY)
        .header("x-coinflow-auth-user-id", "doc-user")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(
        got.json()["withdrawer"]["verification"]["status"],
        "approved"
    );
    let (status, _) = admin(
        &server,
        "POST",
        &format!("/withdrawers/{withdrawer}/verify"),
        ns,
        None,
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn scenarios_can_be_read_one_by_one_and_namespaces_show_their_selection() {
    let server = TestServer::start().await;
    let (status, one) = admin(&server, "GET", "/scenarios/happy-path", "default", None).await;
    assert_eq!(status, 200);
    assert_eq!(one["name"], "happy-path");
    assert!(one["description"].is_string());
    assert_eq!(
        admin(&server, "GET", "/scenarios/nope", "default", None)
            .await
            .0,
        404
    );
    admin(
        &server,
        "PUT",
        "/scenario",
        "picky",
        Some(json!({"name": "needs-review"})),
    )
    .await;
    // `{}` names nothing: refused, the selection kept (`null` or "none" clears it).
    let (status, body) = admin(&server, "PUT", "/scenario", "picky", Some(json!({}))).await;
    assert_eq!(status, 400, "{body}");
    let (_, namespaces) = admin(&server, "GET", "/namespaces", "default", None).await;
    assert_eq!(
        namespaces["scenarios"]["picky"], "needs-review",
        "{namespaces}"
    );
    let (status, _) = admin(
        &server,
        "PUT",
        "/scenario",
        "picky",
        Some(json!({"name": null})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, namespaces) = admin(&server, "GET", "/namespaces", "default", None).await;
    assert!(namespaces["scenarios"]["picky"].is_null(), "{namespaces}");
}

#[tokio::test]
async fn library_mode_starts_on_an_ephemeral_port_and_stops() {
    let sandbox = vendor_sandbox::Sandbox::builder()
        .seed(7)
        .scenario("happy-path")
        .start()
        .await
        .expect("starts");
    assert_eq!(sandbox.seed(), 7);
    assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(
        sandbox.admin_url("/state"),
        format!("{}/__admin/state", sandbox.base_url())
    );
    let addr = sandbox.addr();
    let selected = get_json(&sandbox.admin_url("/scenario")).await;
    assert_eq!(selected["scenario"], "happy-path");
    sandbox.shutdown().await.expect("clean shutdown");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "stopped listening"
    );

    // Dropped: it shuts down by itself.
    let dropped = vendor_sandbox::Sandbox::start().await.expect("starts");
    let addr = dropped.addr();
    drop(dropped);
    eventually(|| async {
        tokio::net::TcpStream::connect(addr)
            .await
            .is_err()
            .then_some(())
    })
    .await;

    let unknown = vendor_sandbox::Sandbox::builder()
        .scenario("no-such")
        .start()
        .await;
    assert!(unknown.unwrap_err().to_string().contains("no-such"));

    // A state file that could never be saved fails the start, not the shutdown.
    let file = std::env::temp_dir().join(format!("vendor-sandbox-file-{}", std::process::id()));
    std::fs::write(&file, "a file, not a folder").expect("write");
    let path = file.join("state.json");
    let unwritable = vendor_sandbox::Sandbox::builder()
        .state_file(&path)
        .start()
        .await;
    let _ = std::fs::remove_file(&file);
    assert!(
        unwritable
            .unwrap_err()
            .to_string()
            .contains(&path.display().to_string())
    );
}

/// GET over a fresh connection (the harness client is tied to a `TestServer`).
async fn get_json(url: &str) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let body = response.split_once("\r\n\r\n").expect("head and body").1;
    serde_json::from_str(body).expect("JSON body")
}

mod dashboard;
mod namespaces;
mod openapi;
mod webhooks;

/// A method an admin path does not take is 405 naming the ones it does (`Allow`), not 404.
#[tokio::test]
async fn a_wrong_method_on_an_admin_path_is_405_with_allow() {
    let server = TestServer::start().await;
    let (status, body) = admin(&server, "DELETE", "/clock", "default", None).await;
    assert_eq!(status, 405, "{body}");
    let response = server.request("PATCH", "/__admin/scenario").send().await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("GET, PUT"));
    let (status, _) = admin(&server, "GET", "/nothing-here", "default", None).await;
    assert_eq!(status, 404);
}
