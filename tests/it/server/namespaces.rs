//! Namespaces: isolation by header and by prefix, invalid names, reset of one or all.

use serde_json::{Value, json};

use super::{envelope_message, vendor_posts};
use vendor_sandbox::router::{self, Step};

use crate::harness::{PERSONA_KEY, TestServer, api_request, card_user_body, in_process_app};

async fn clock_offset(server: &TestServer, path: &str, namespace: Option<&str>) -> f64 {
    let mut request = server.get(path);
    if let Some(ns) = namespace {
        request = request.header("x-sandbox-namespace", ns);
    }
    let response = request.send().await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["offset_seconds"].as_f64().expect("offset")
}

#[tokio::test]
async fn namespaces_are_isolated_by_header_and_by_prefix() {
    let server = TestServer::start().await;
    let advanced = server
        .post("/__admin/clock/advance")
        .header("x-sandbox-namespace", "team-a")
        .json(&json!({"seconds": 60}))
        .send()
        .await;
    assert_eq!(advanced.status, 200, "{}", advanced.text());
    let prefixed = server
        .post("/ns/team_b/__admin/clock/advance")
        .json(&json!({"seconds": 5}))
        .send()
        .await;
    assert_eq!(prefixed.json()["namespace"], "team_b");

    assert_eq!(
        clock_offset(&server, "/__admin/clock", Some("team-a")).await,
        60.0
    );
    assert_eq!(
        clock_offset(&server, "/ns/team-a/__admin/clock", None).await,
        60.0
    );
    assert_eq!(
        clock_offset(&server, "/__admin/clock?namespace=team-a", None).await,
        60.0
    );
    assert_eq!(
        clock_offset(&server, "/__admin/clock", Some("team_b")).await,
        5.0
    );
    assert_eq!(clock_offset(&server, "/__admin/clock", None).await, 0.0);
    assert_eq!(
        clock_offset(&server, "/__admin/clock", Some("other")).await,
        0.0
    );

    // Vendor requests land in the namespace they name, as the journal shows.
    server
        .get("/ns/team-a/api/v1/nothing")
        .header("authorization", "Bearer k")
        .send()
        .await;
    server
        .get("/api/v1/nothing")
        .header("authorization", "Bearer k")
        .header("x-sandbox-namespace", "team_b")
        .send()
        .await;
    let journal = server.get("/__admin/requests").send().await.json();
    let seen: Vec<(String, String)> = journal["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| {
            (
                r["namespace"].as_str().unwrap_or_default().to_string(),
                r["path"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("team_b".to_string(), "/api/v1/nothing".to_string()),
            ("team-a".to_string(), "/api/v1/nothing".to_string()),
        ]
    );
    // Naming a namespace, in any of the three ways, narrows the journal to it.
    for (path, header) in [
        ("/ns/team-a/__admin/requests", None),
        ("/__admin/requests", Some("team-a")),
        ("/__admin/requests?namespace=team-a", None),
    ] {
        let mut get = server.get(path);
        if let Some(name) = header {
            get = get.header("x-sandbox-namespace", name);
        }
        let journal = get.send().await.json();
        let namespaces: Vec<&str> = journal["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .filter_map(|r| r["namespace"].as_str())
            .collect();
        assert_eq!(namespaces, ["team-a"], "{path} {header:?}");
    }
}

#[tokio::test]
async fn invalid_namespaces_get_400() {
    let server = TestServer::start().await;
    let long = "n".repeat(65);
    let cases = [
        (
            "admin",
            server
                .get("/__admin/clock")
                .header("x-sandbox-namespace", "has space"),
        ),
        ("admin", server.get(&format!("/ns/{long}/__admin/clock"))),
        ("admin", server.get("/ns/bad.dot/__admin/health")),
        (
            "persona",
            server
                .get("/ns/bad!/api/v1/inquiries")
                .header("authorization", "Bearer k"),
        ),
        (
            "bitmama",
            server
                .get("/api/v1/partner/wallet")
                .header("x-sandbox-namespace", "a/b"),
        ),
    ];
    for (area, request) in cases {
        let response = request.send().await;
        assert_eq!(response.status, 400, "{area}: {}", response.text());
        let message = envelope_message(area, 400, &response.json());
        assert!(message.contains("namespace"), "{message}");
    }
    let ok = server
        .get(&format!("/ns/{}/__admin/clock", "n".repeat(64)))
        .send()
        .await;
    assert_eq!(ok.status, 200);

    // A name past the limit is refused naming the limit, not echoed (it may be huge).
    let huge = "n".repeat(20_000);
    for (area, request) in [
        ("admin", server.get(&format!("/ns/{huge}/__admin/clock"))),
        (
            "coinflow",
            server
                .get("/api/withdraw")
                .header("x-sandbox-namespace", &huge),
        ),
    ] {
        let response = request.send().await;
        assert_eq!(response.status, 400, "{area}: {}", response.text());
        let message = envelope_message(area, 400, &response.json());
        assert!(
            message.contains("20000 characters") && message.contains("1 to 64"),
            "{message}"
        );
        assert!(
            response.text().len() < 1_000,
            "{area}: the name is not echoed"
        );
    }
}

/// A header the sandbox reads, sent with a value that is not ASCII text, is refused in the
/// vendor's envelope: not read as absent (the request in `default`, a retry creating twice).
#[tokio::test]
async fn headers_the_sandbox_reads_are_refused_when_not_ascii() {
    let server = TestServer::start().await;
    let moved = server
        .post("/__admin/clock/advance")
        .header("x-sandbox-namespace", "tést")
        .json(&json!({"seconds": 10}))
        .send()
        .await;
    assert_eq!(moved.status, 400, "{}", moved.text());
    let message = envelope_message("admin", 400, &moved.json());
    assert!(message.contains("x-sandbox-namespace"), "{message}");
    let clock = server.get("/__admin/clock").send().await.json();
    assert_eq!(clock["offset_seconds"], 0.0, "default's clock did not move");

    let create = server
        .post("/api/v1/inquiries")
        .header("authorization", "Bearer k")
        .header("idempotency-key", "clé-1")
        .json(&json!({"data": {"attributes": {"inquiry-template-id": "itmpl_x"}}}))
        .send()
        .await;
    assert_eq!(create.status, 400, "{}", create.text());
    let message = envelope_message("persona", 400, &create.json());
    assert!(message.contains("idempotency-key"), "{message}");
    let listed = server
        .get("/api/v1/inquiries")
        .header("authorization", "Bearer k")
        .send()
        .await
        .json();
    assert_eq!(listed["data"], json!([]), "nothing was created");

    // A header the sandbox does not read may say anything.
    let other = server
        .get("/__admin/health")
        .header("x-note", "café")
        .send()
        .await;
    assert_eq!(other.status, 200);
}

#[tokio::test]
async fn reset_clears_one_namespace_or_all() {
    let server = TestServer::start().await;
    for ns in ["a", "b", "c"] {
        server
            .post("/__admin/clock/advance")
            .header("x-sandbox-namespace", ns)
            .json(&json!({"seconds": 10}))
            .send()
            .await;
        server
            .get("/api/v1/x")
            .header("authorization", "Bearer k")
            .header("x-sandbox-namespace", ns)
            .send()
            .await;
    }
    let reset = server.post("/__admin/reset?namespace=a").send().await;
    assert_eq!(reset.status, 200);
    assert_eq!(
        clock_offset(&server, "/__admin/clock", Some("a")).await,
        0.0
    );
    assert_eq!(
        clock_offset(&server, "/__admin/clock", Some("b")).await,
        10.0
    );
    let journal = server.get("/__admin/requests").send().await.json();
    assert_eq!(journal["requests"].as_array().map(Vec::len), Some(2));

    server
        .post("/__admin/reset")
        .header("x-sandbox-namespace", "b")
        .send()
        .await;
    assert_eq!(
        clock_offset(&server, "/__admin/clock", Some("b")).await,
        0.0
    );
    assert_eq!(
        clock_offset(&server, "/__admin/clock", Some("c")).await,
        10.0
    );

    // Anything but true or false is refused, not taken for a reset of the default namespace.
    for all in ["TRUE", "yes", ""] {
        let refused = server
            .post(&format!("/__admin/reset?all={all}&namespace=c"))
            .send()
            .await;
        assert_eq!(refused.status, 400, "all={all}: {}", refused.text());
        assert_eq!(
            clock_offset(&server, "/__admin/clock", Some("c")).await,
            10.0,
            "nothing was reset"
        );
    }
    server.post("/__admin/reset?all=true").send().await;
    assert_eq!(
        clock_offset(&server, "/__admin/clock", Some("c")).await,
        0.0
    );
    let journal = server.get("/__admin/requests").send().await.json();
    assert_eq!(journal["requests"], json!([]));
}

/// Two ways of naming a namespace that name different ones are refused in the owner's envelope
/// naming both: a client whose header names one and whose admin call asks for another has
/// neither read, changed nor reset.
#[tokio::test]
async fn conflicting_namespace_selectors_are_refused_naming_both() {
    let server = TestServer::start().await;
    server.create_inquiry("keepme", json!({})).await;
    let reset = server
        .post("/__admin/reset?namespace=other")
        .header("x-sandbox-namespace", "keepme")
        .send()
        .await;
    assert_eq!(reset.status, 400, "{}", reset.text());
    let message = envelope_message("admin", 400, &reset.json());
    assert!(
        message.contains("\"keepme\"") && message.contains("\"other\""),
        "{message}"
    );
    let state = server.admin_state("keepme").await;
    assert_eq!(
        state["persona"]["inquiries"].as_array().map(Vec::len),
        Some(1)
    );

    let read = server
        .get("/ns/nsy/__admin/state?namespace=nsx")
        .send()
        .await;
    assert_eq!(read.status, 400, "{}", read.text());
    let created = server
        .post("/ns/nsy/api/v1/inquiries")
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", "nsx")
        .json(&json!({"data": {"attributes": {"inquiry-template-id": "itmpl_x"}}}))
        .send()
        .await;
    assert_eq!(created.status, 400, "{}", created.text());
    let message = envelope_message("persona", 400, &created.json());
    assert!(
        message.contains("\"nsy\"") && message.contains("\"nsx\""),
        "{message}"
    );
    // Naming the same namespace twice is that namespace.
    let same = server
        .get("/ns/keepme/__admin/state?namespace=keepme")
        .header("x-sandbox-namespace", "keepme")
        .send()
        .await;
    assert_eq!(same.status, 200, "{}", same.text());
}

async fn listed_namespaces(server: &TestServer) -> Value {
    let listed = server.get("/__admin/namespaces").send().await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    listed.json()["namespaces"].clone()
}

/// A refused request changes nothing, so it does not make the namespace it names: refused for
/// its auth, its body, its path, its scenario header, a missing entity, by the vendor or the
/// admin API, it is answered as from an empty namespace and none is listed. One answered makes
/// it, as does a refusal the namespace keeps something of (a scenario rule's count, Persona's
/// answer to an idempotency key).
#[tokio::test]
async fn a_refused_request_does_not_make_its_namespace() {
    let server = TestServer::start().await;
    let mut refusals = vec![
        server.get("/ns/r-auth/api/v1/inquiries"),
        server
            .get("/api/withdraw")
            .header("x-sandbox-namespace", "r-auth-coinflow"),
        server.get("/ns/r-auth-bitmama/api/v1/partner/wallet"),
        server
            .get("/ns/r-route/api/v1/nothing")
            .header("authorization", PERSONA_KEY),
        server
            .post("/ns/r-valid/api/v1/inquiries")
            .header("authorization", PERSONA_KEY)
            .json(&json!({"data": {"attributes": {}}})),
        server
            .post("/ns/r-valid-bitmama/api/v2/partner/card/users")
            .header("authorization", "Bearer sk_staging_acme")
            .header("idempotency-key", "5b8f3c1e-0000-4000-8000-00000000000a")
            .json(&json!({"firstName": ""})),
        server
            .get("/ns/r-scenario/api/v1/inquiries")
            .header("authorization", PERSONA_KEY)
            .header("x-sandbox-scenario", "nope"),
        server
            .get("/ns/r-inquiry/api/v1/inquiries/inq_nope")
            .header("authorization", PERSONA_KEY),
        server.get("/ns/r-page/verify?inquiry-id=inq_nope"),
        server.post("/ns/r-admin/__admin/inquiries/inq_nope/approve"),
        server.post("/ns/r-admin/__admin/withdrawers/nope/verify"),
        server.post("/ns/r-admin/__admin/webhooks/nope/redeliver"),
    ];
    for (_, post) in vendor_posts(&server, b"{") {
        refusals.push(post.header("x-sandbox-namespace", "r-json"));
    }
    for request in refusals {
        let refused = request.send().await;
        assert!(
            (400..500).contains(&refused.status),
            "{}: {}",
            refused.status,
            refused.text()
        );
    }
    assert_eq!(listed_namespaces(&server).await, json!([]), "none was made");

    // Answered: made. Its namespace is new, as the refusals left it.
    let listed = server
        .get("/ns/answered/api/v1/inquiries")
        .header("authorization", PERSONA_KEY)
        .send()
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["data"], json!([]));
    // A scenario's fault counts its rule: that count is kept, so the next call goes through.
    let create_user = || {
        server
            .post("/ns/counted/api/v2/partner/card/users")
            .header("authorization", "Bearer sk_staging_acme")
            .header("idempotency-key", "5b8f3c1e-0000-4000-8000-00000000000b")
            .header("x-sandbox-scenario", "slow-and-flaky")
            .json(&card_user_body("jane@example.com"))
            .send()
    };
    assert_eq!(create_user().await.status, 503, "the scenario's first call");
    let second = create_user().await;
    assert_eq!(second.status, 201, "{}", second.text());
    // Persona answers a key's refusal again: that answer is kept, and its namespace with it.
    let remembered = server
        .post("/ns/remembered/api/v1/inquiries")
        .header("authorization", PERSONA_KEY)
        .header("idempotency-key", "refused-once")
        .json(&json!({"data": {"attributes": {}}}))
        .send()
        .await;
    assert!(
        (400..500).contains(&remembered.status),
        "{}",
        remembered.text()
    );
    assert_eq!(
        listed_namespaces(&server).await,
        json!(["answered", "counted", "remembered"])
    );
}

/// A request dropped before its answer (its client gone while it waits for its namespace's
/// write turn) ends its use of the namespace it made as a refusal: that namespace does not stay
/// behind, unlisted, holding a place under `--max-namespaces`.
#[test]
fn a_request_dropped_before_its_answer_leaves_no_namespace_behind() {
    let app = in_process_app();
    let auth = [("authorization".to_string(), PERSONA_KEY.to_string())];
    let mut request = api_request("POST", "/ns/dropped/api/v1/inquiries", &auth, b"{}");
    let routed = router::prepare(&app, &mut request, Ok(()));
    assert!(matches!(routed.step, Step::Dispatch(_)));
    assert!(
        app.store.in_use("dropped").is_some(),
        "made for the request"
    );
    assert_eq!(app.store.count(), 0, "not listed while the request runs");
    drop(routed);
    assert!(app.store.in_use("dropped").is_none(), "left behind");
}
