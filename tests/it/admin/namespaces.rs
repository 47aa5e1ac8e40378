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
