//! Browsers: vendor routes answer pages of other origins (an SDK on localhost:3000 calling the
//! API on port 5000); state-changing admin requests from other sites are refused.

use serde_json::json;

use crate::harness::TestServer;

const SDK_PAGE: &str = "http://localhost:3000";

#[tokio::test]
async fn vendor_routes_answer_preflights_and_name_the_calling_origin() {
    let server = TestServer::start().await;
    let preflight = server
        .request("OPTIONS", "/api/withdraw")
        .header("origin", SDK_PAGE)
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "authorization, x-coinflow-auth-user-id",
        )
        .send()
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(SDK_PAGE)
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("authorization, x-coinflow-auth-user-id")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("GET"))
    );

    let merchant = server
        .get("/merchant/view/merchant-1")
        .header("origin", SDK_PAGE)
        .send()
        .await;
    assert_eq!(merchant.status, 200, "{}", merchant.text());
    assert_eq!(
        merchant.header("access-control-allow-origin"),
        Some(SDK_PAGE)
    );
    // Errors too: the page must be able to read why a call failed.
    let refused = server
        .get("/api/withdraw")
        .header("origin", SDK_PAGE)
        .send()
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some(SDK_PAGE)
    );

    // Without an Origin (server-side clients) nothing changes.
    let plain = server.get("/merchant/view/merchant-1").send().await;
    assert_eq!(plain.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn cross_site_admin_changes_are_refused() {
    let server = TestServer::start().await;
    let evil = server
        .post("/__admin/reset")
        .header("origin", "http://evil.example")
        .send()
        .await;
    assert_eq!(evil.status, 403);
    assert!(
        evil.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("http://evil.example"))
    );
    let advance = server
        .post("/__admin/clock/advance")
        .header("origin", SDK_PAGE)
        .json(&json!({"seconds": 60}))
        .send()
        .await;
    assert_eq!(advance.status, 403);
    let clock = server.get("/__admin/clock").send().await.json();
    assert_eq!(clock["offset_seconds"], 0.0, "nothing changed");

    // The dashboard's own page (same origin) and tools without an Origin are served.
    let own = server
        .post("/__admin/clock/advance")
        .header("origin", &server.url(""))
        .json(&json!({"seconds": 60}))
        .send()
        .await;
    assert_eq!(own.status, 200, "{}", own.text());
    let tool = server.post("/__admin/reset").send().await;
    assert_eq!(tool.status, 200);
    // Reading is harmless and allowed from anywhere.
    let read = server
        .get("/__admin/health")
        .header("origin", "http://evil.example")
        .send()
        .await;
    assert_eq!(read.status, 200);
}
