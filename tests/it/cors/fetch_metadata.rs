//! Pages of other sites: a browser says where a request comes from (`Sec-Fetch-Site`) and what it
//! is for (`Sec-Fetch-Mode`, `Sec-Fetch-Dest`). An image or a `no-cors` post on any page the
//! developer visits must not create namespaces, inquiries or webhooks; links, the Persona SDK's
//! iframe and the developer's own app keep working.

use serde_json::json;

use super::SDK_PAGE;
use crate::harness::{TestServer, encode};

const EVIL: &str = "http://evil.example";

/// `(Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest)` as a browser sends them.
type Fetch = (&'static str, &'static str, &'static str);

const IMAGE: Fetch = ("cross-site", "no-cors", "image");
const NAVIGATION: Fetch = ("cross-site", "navigate", "document");

fn fetched(
    server: &TestServer,
    method: &str,
    path: &str,
    (site, mode, dest): Fetch,
) -> crate::harness::RequestBuilder {
    server
        .request(method, path)
        .header("sec-fetch-site", site)
        .header("sec-fetch-mode", mode)
        .header("sec-fetch-dest", dest)
}

fn template_link(ns: &str) -> String {
    format!("/ns/{ns}/verify?inquiry-template-id=itmpl_x&reference-id=victim")
}

async fn namespaces(server: &TestServer) -> serde_json::Value {
    server.get("/__admin/namespaces").send().await.json()["namespaces"].clone()
}

#[tokio::test]
async fn subresources_from_other_sites_make_no_namespace_and_no_inquiry() {
    let server = TestServer::start_with(|c| c.max_namespaces = 2).await;
    for (i, (method, fetch)) in [
        ("GET", IMAGE),
        ("HEAD", IMAGE),
        // Another port of localhost is the same site, not the same origin.
        ("GET", ("same-site", "no-cors", "image")),
        ("GET", ("cross-site", "no-cors", "script")),
        // `<object data=…>` navigates, but is no way to open a page.
        ("GET", ("cross-site", "navigate", "object")),
    ]
    .into_iter()
    .enumerate()
    {
        let answer = fetched(&server, method, &template_link(&format!("evil{i}")), fetch)
            .send()
            .await;
        assert_eq!(answer.status, 403, "{method} {fetch:?}: {}", answer.text());
        if method == "GET" {
            let details = answer.json()["errors"][0]["details"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert!(
                details.contains("--cors-origin"),
                "Persona's envelope: {details}"
            );
        }
    }
    // A text/plain POST needs no preflight; an auto-submitted form is a navigation, but a POST.
    for (i, fetch) in [
        ("cross-site", "no-cors", "empty"),
        ("cross-site", "cors", "empty"),
        ("cross-site", "navigate", "iframe"),
    ]
    .into_iter()
    .enumerate()
    {
        let answer = fetched(
            &server,
            "POST",
            &format!("/ns/posted{i}/api/telemetry/frontend-error"),
            fetch,
        )
        .header("origin", EVIL)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await;
        assert_eq!(answer.status, 403, "{fetch:?}: {}", answer.text());
        assert_eq!(answer.json()["statusCode"], 403, "Coinflow's envelope");
        assert!(
            answer.json()["message"]
                .as_str()
                .is_some_and(|m| m.contains(EVIL)),
            "{}",
            answer.text()
        );
    }
    assert_eq!(namespaces(&server).await, json!([]), "nothing was made");
    // The developer's own tests still have every namespace --max-namespaces allows.
    server.create_inquiry("mine-1", json!({})).await;
    server.create_inquiry("mine-2", json!({})).await;
}

#[tokio::test]
async fn navigations_the_developers_pages_and_other_clients_are_answered() {
    let server = TestServer::start().await;
    // A template link clicked on another site, and the Persona SDK's iframe.
    let clicked = fetched(&server, "GET", &template_link("clicked"), NAVIGATION)
        .send()
        .await;
    assert_eq!(clicked.status, 303, "{}", clicked.text());
    let framed = fetched(
        &server,
        "GET",
        &format!(
            "/ns/framed/widget?inquiry-template-id=itmpl_x&iframe-origin={}",
            encode(SDK_PAGE)
        ),
        ("cross-site", "navigate", "iframe"),
    )
    .send()
    .await;
    assert!(framed.status < 400, "{}", framed.text());
    // The developer's app on another port (same site) or on 127.0.0.1 (another site) calls the
    // API through CORS, and so does an origin named by --cors-origin.
    for (site, origin) in [
        ("same-site", SDK_PAGE),
        ("cross-site", "http://127.0.0.1:8080"),
    ] {
        let called = fetched(
            &server,
            "POST",
            "/ns/app/api/telemetry/frontend-error",
            (site, "cors", "empty"),
        )
        .header("origin", origin)
        .json(&json!({}))
        .send()
        .await;
        assert_eq!(called.status, 201, "{origin}: {}", called.text());
        assert_eq!(called.header("access-control-allow-origin"), Some(origin));
    }
    // The hosted page's own form, a URL typed in the address bar, and clients that are not
    // browsers.
    let id = server.create_inquiry("app", json!({})).await;
    let submitted = fetched(
        &server,
        "POST",
        &format!("/ns/app/verify/{id}"),
        ("same-origin", "navigate", "document"),
    )
    .form(&[("outcome", "pass")])
    .send()
    .await;
    // Post/Redirect/Get: the done page is the redirect's.
    assert_eq!(submitted.status, 303, "{}", submitted.text());
    let typed = fetched(
        &server,
        "GET",
        &template_link("typed"),
        ("none", "navigate", "document"),
    )
    .send()
    .await;
    assert_eq!(typed.status, 303, "{}", typed.text());
    let curl = server.get(&template_link("curl")).send().await;
    assert_eq!(curl.status, 303, "{}", curl.text());
    assert_eq!(namespaces(&server).await.as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn an_origin_named_by_cors_origin_may_post_from_another_site() {
    let app = "https://app.example.com";
    let server = TestServer::start_with(|c| c.cors_origins = vec![app.into()]).await;
    let called = fetched(
        &server,
        "POST",
        "/api/telemetry/frontend-error",
        ("cross-site", "cors", "empty"),
    )
    .header("origin", app)
    .json(&json!({}))
    .send()
    .await;
    assert_eq!(called.status, 201, "{}", called.text());
}
