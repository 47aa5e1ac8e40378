//! `--max-namespaces`: a namespace beyond the cap is refused in the owner's envelope and nothing
//! is created; `DELETE /__admin/namespaces/{name}` makes room; the count is in the listing.

use serde_json::{Value, json};

use crate::harness::{TestResponse, TestServer};

const PERSONA_KEY: &str = "Bearer persona_sandbox_key";

async fn list_inquiries(server: &TestServer, prefix: &str) -> TestResponse {
    server
        .get(&format!("{prefix}/api/v1/inquiries"))
        .header("authorization", PERSONA_KEY)
        .send()
        .await
}

async fn namespaces(server: &TestServer) -> Value {
    let listed = server.get("/__admin/namespaces").send().await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    listed.json()
}

#[tokio::test]
async fn namespaces_beyond_the_cap_are_refused_until_one_is_deleted() {
    let server = TestServer::start_with(|c| c.max_namespaces = 2).await;
    for ns in ["a", "b"] {
        assert_eq!(
            list_inquiries(&server, &format!("/ns/{ns}")).await.status,
            200
        );
    }
    let listed = namespaces(&server).await;
    assert_eq!(
        (listed["count"].clone(), listed["max"].clone()),
        (json!(2), json!(2))
    );

    // One more: refused by whoever owns the path, naming the option.
    let persona = list_inquiries(&server, "/ns/c").await;
    assert_eq!(persona.status, 507, "{}", persona.text());
    assert!(
        persona.json()["errors"][0]["details"]
            .as_str()
            .is_some_and(|d| d.contains("--max-namespaces")),
        "{}",
        persona.text()
    );
    let bitmama = server
        .get("/ns/c/api/v1/partner/wallet")
        .header("authorization", "Bearer sk_staging_acme")
        .send()
        .await;
    assert_eq!(bitmama.status, 507);
    assert_eq!(bitmama.json()["status"], "error");
    // An admin read makes no namespace: answered as a new one, at the cap too.
    let read = server
        .get("/__admin/clock")
        .header("x-sandbox-namespace", "c")
        .send()
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    let admin = server
        .request("PUT", "/__admin/scenario")
        .header("x-sandbox-namespace", "c")
        .json(&json!({"name": "happy-path"}))
        .send()
        .await;
    assert_eq!(admin.status, 507);
    assert!(admin.json()["error"]["message"].is_string());
    let listed = namespaces(&server).await;
    assert_eq!(
        listed["namespaces"],
        json!(["a", "b"]),
        "nothing was created"
    );

    // Namespaces in use go on working.
    assert_eq!(list_inquiries(&server, "/ns/a").await.status, 200);

    // Deleting one makes room; an unknown one is 404.
    let deleted = server
        .request("DELETE", "/__admin/namespaces/a")
        .send()
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(deleted.json()["deleted"], "a");
    let again = server
        .request("DELETE", "/__admin/namespaces/a")
        .send()
        .await;
    assert_eq!(again.status, 404);
    assert!(again.json()["error"]["message"].is_string());
    assert_eq!(list_inquiries(&server, "/ns/c").await.status, 200);
    assert_eq!(namespaces(&server).await["namespaces"], json!(["b", "c"]));
}

#[tokio::test]
async fn the_default_namespace_is_always_available_and_deleting_it_resets_it() {
    let server = TestServer::start_with(|c| c.max_namespaces = 1).await;
    assert_eq!(list_inquiries(&server, "/ns/only").await.status, 200);
    // The store is full, yet the default namespace (what tools use when they name none) works.
    let created = server
        .post("/api/v1/inquiries")
        .header("authorization", PERSONA_KEY)
        .json(&json!({"data": {"attributes": {"inquiry-template-id": "itmpl_ns"}}}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(namespaces(&server).await["count"], 2);

    let deleted = server
        .request("DELETE", "/__admin/namespaces/default")
        .send()
        .await;
    assert_eq!(deleted.status, 200);
    let listed = list_inquiries(&server, "").await.json();
    assert_eq!(listed["data"], json!([]), "a fresh default namespace");
}

/// Every admin read of namespace `ns` (and the flush, which finds nothing to send in a new
/// one), half of them naming it by header and half by the `/ns/NAME` prefix: route and answer.
/// After each, `ns` is listed if it was `made` before, and only then.
async fn admin_reads(server: &TestServer, ns: &str, made: bool) -> Vec<(&'static str, Value)> {
    let mut answers = Vec::new();
    for (i, (method, path)) in [
        ("GET", "/__admin/state"),
        ("GET", "/__admin/clock"),
        ("GET", "/__admin/webhooks"),
        ("GET", "/__admin/webhook-targets"),
        ("GET", "/__admin/scenario"),
        ("POST", "/__admin/webhooks/flush"),
    ]
    .into_iter()
    .enumerate()
    {
        let response = if i % 2 == 0 {
            let request = server.request(method, path);
            request.header("x-sandbox-namespace", ns).send().await
        } else {
            server
                .request(method, &format!("/ns/{ns}{path}"))
                .send()
                .await
        };
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        let listed = namespaces(server).await;
        let names = listed["namespaces"].as_array();
        assert_eq!(
            names.is_some_and(|names| names.contains(&json!(ns))),
            made,
            "{method} {path} in {ns}: {listed}"
        );
        answers.push((path, response.json()));
    }
    answers
}

/// `value` with its sandbox times (`now`, `now_ms`, `*_at`) blanked: they move between reads.
fn without_times(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if key == "now" || key == "now_ms" || key.ends_with("_at") || key.ends_with("At") {
                    *field = Value::Null;
                } else {
                    without_times(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_times),
        _ => {}
    }
}

/// Admin reads (state, clock, webhooks, targets, scenario) and the flush answer for a namespace
/// not made yet what a new one answers, `--scenario`'s initial state included for `default`,
/// and make none: a read changes nothing (it used to make the namespace, listed, saved and
/// counted towards `--max-namespaces`).
#[tokio::test]
async fn admin_reads_of_a_new_namespace_answer_as_new_and_make_none() {
    let server = TestServer::start_with(|c| c.scenario = Some("payout-stuck".into())).await;
    for ns in ["default", "unmade"] {
        let mut before = admin_reads(&server, ns, false).await;
        let state = &before[0].1;
        assert_eq!(state["namespace"], ns, "{state}");
        let balance = &state["coinflow"]["starting_payout_balance_cents"];
        let clock = &before[1].1;
        assert_eq!(clock["offset_seconds"], 0.0, "{clock}");
        assert_eq!(before[2].1["deliveries"], json!([]));
        assert_eq!(before[5].1["flushed"], json!([]));
        if ns == "default" {
            assert_eq!(state["scenario"], "payout-stuck", "{state}");
            assert_eq!(balance, 5000, "seeded: {state}");
        } else {
            assert!(state["scenario"].is_null() && balance != 5000, "{state}");
        }

        // Made by a write that changes nothing: its answers now are a new namespace's.
        let made = server
            .post("/__admin/clock/advance")
            .header("x-sandbox-namespace", ns)
            .json(&json!({"seconds": 0}))
            .send()
            .await;
        assert_eq!(made.status, 200, "{}", made.text());
        let mut after = admin_reads(&server, ns, true).await;
        for (_, answer) in before.iter_mut().chain(after.iter_mut()) {
            without_times(answer);
        }
        assert_eq!(before, after, "{ns}");
    }
    assert_eq!(
        namespaces(&server).await["namespaces"],
        json!(["default", "unmade"])
    );
}
