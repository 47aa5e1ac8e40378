//! Where the hosted flow sends the browser: the inquiry's own redirect URI, never one a link
//! to an existing inquiry or a posted form gives; a new inquiry's from its link only on an
//! allowed domain; and only web URLs with a usable host.

use serde_json::json;

use super::{assert_html, create_inquiry, submit};
use crate::harness::{TestServer, encode};

/// The redirect is the inquiry's own: a `redirect-uri` on the page's link or in a form posted
/// by another site cannot send the browser elsewhere (an open redirect).
#[tokio::test]
async fn the_redirect_is_the_inquirys_own_never_the_links_or_the_forms() {
    let server = TestServer::start().await;
    let id = create_inquiry(
        &server,
        "default",
        json!({"redirect-uri": "https://stored.example/é"}),
    )
    .await;
    let page = server
        .get(&format!(
            "/verify?inquiry-id={id}&redirect-uri={}",
            encode("https://link.example/")
        ))
        .send()
        .await
        .text();
    assert!(!page.contains("link.example"), "{page}");
    assert!(!page.contains("name=\"redirect-uri\""), "{page}");
    let answer = server
        .post(&format!("/verify/{id}"))
        .form(&[
            ("outcome", "fail"),
            ("redirect-uri", "https://evil.example/"),
        ])
        .send()
        .await;
    assert_eq!(answer.status, 303);
    assert_eq!(
        answer.header("location"),
        Some(format!("https://stored.example/%C3%A9?inquiry-id={id}&status=failed").as_str()),
        "bytes a Location header cannot carry are percent-encoded"
    );

    // Without a redirect of its own, a posted one is not used either: the done page is shown.
    let plain = create_inquiry(&server, "default", json!({})).await;
    let answer = server
        .post(&format!("/verify/{plain}"))
        .form(&[("outcome", "pass"), ("redirect-uri", "javascript:alert(1)")])
        .send()
        .await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    assert_eq!(
        answer.header("location"),
        Some(
            server
                .url(&format!("/verify?inquiry-id={plain}&done=1"))
                .as_str()
        )
    );
}

/// Only http(s) URLs can become a redirect: `javascript:` or `data:` would run in the page's
/// "Continue" link or land in the Location header.
#[tokio::test]
async fn redirect_uris_that_are_not_http_are_refused_where_they_enter() {
    let server = TestServer::start().await;
    for uri in [
        "javascript:alert(document.domain)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "myapp://kyc",
        "https:evil.example",
        "//evil.example",
        "https://",
        "https://@",
        "https://:443/x",
        "https://[/",
        "http://a b/",
    ] {
        let created = server
            .persona(
                "default",
                "POST",
                "/api/v1/inquiries",
                Some(json!({"data": {"attributes": {
                    "inquiry-template-id": "itmpl_HostedTemplate1", "redirect-uri": uri,
                }}})),
            )
            .await;
        assert_eq!(created.status, 400, "{uri}: {}", created.text());
        let error = &created.json()["errors"][0];
        assert!(error["title"].is_string(), "{}", created.text());
        assert!(
            error["details"]
                .as_str()
                .is_some_and(|d| d.contains("redirect-uri")),
            "{}",
            created.text()
        );

        let linked = server
            .get(&format!(
                "/verify?inquiry-template-id=itmpl_Hosted3&redirect-uri={}",
                encode(uri)
            ))
            .send()
            .await;
        assert_eq!(linked.status, 400, "{uri}: {}", linked.text());
        assert_html(&linked);
    }
    let id = create_inquiry(&server, "default", json!({})).await;
    let page = server
        .get(&format!(
            "/verify?inquiry-id={id}&redirect-uri={}",
            encode("javascript:alert(1)")
        ))
        .send()
        .await;
    assert_eq!(page.status, 400);
    assert!(!page.text().contains("javascript:"), "{}", page.text());
    let listed = server
        .persona("default", "GET", "/api/v1/inquiries", None)
        .await;
    assert_eq!(
        listed.json()["data"].as_array().map(Vec::len),
        Some(1),
        "nothing was created by a refused request"
    );
}

/// A scheme is case-insensitive (RFC 3986 3.1): `HTTPS://…` is a web URL like `https://…`.
#[tokio::test]
async fn a_redirect_uri_scheme_in_capitals_is_a_web_url() {
    let server = TestServer::start().await;
    let id = create_inquiry(
        &server,
        "default",
        json!({"redirect-uri": "HTTPS://EXAMPLE.COM/"}),
    )
    .await;
    let answer = submit(&server, &format!("/verify/{id}"), "pass").await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    assert_eq!(
        answer.header("location"),
        Some(format!("HTTPS://EXAMPLE.COM/?inquiry-id={id}&status=completed").as_str())
    );
}

/// A link that creates an inquiry can be built by any site, so its `redirect-uri` must be on an
/// allowed domain, as Persona's dashboard's Allowed Domains restrict it: a loopback host, the
/// public URL's host, or an origin given by `--cors-origin`. Another is refused (on the page,
/// and to the Web SDK as its `invalid_config` error) and nothing is created.
#[tokio::test]
async fn a_new_inquirys_link_redirects_only_to_an_allowed_domain() {
    let server = TestServer::start_with(|config| {
        config.public_url = Some("https://sandbox.test".into());
        config.cors_origins = vec!["https://app.example.com/".into()];
    })
    .await;
    let ns = "hosted-allowed";
    let link = |root: &str, uri: &str| {
        format!(
            "/ns/{ns}/{root}?inquiry-template-id=itmpl_Allowed&redirect-uri={}",
            encode(uri)
        )
    };
    for allowed in [
        "http://localhost:3000/back",
        "http://127.0.0.1:9/x",
        "http://[::1]/x",
        "https://sandbox.test:8443/back",
        "https://APP.example.com/done?x=1",
        "https://app.example.com:443/done",
    ] {
        let created = server.get(&link("verify", allowed)).send().await;
        assert_eq!(created.status, 303, "{allowed}: {}", created.text());
    }
    for refused in [
        "https://evil.example/phish",
        "http://app.example.com/done",
        "https://app.example.com:8443/done",
        "https://evil.example\\@localhost/",
        "https://sandbox.test.evil.example/",
    ] {
        let page = server.get(&link("verify", refused)).send().await;
        assert_eq!(page.status, 400, "{refused}: {}", page.text());
        assert_html(&page);
        assert!(
            page.text().contains("not on an allowed domain"),
            "{}",
            page.text()
        );
        let embedded = server
            .get(&format!(
                "{}&iframe-origin=http%3A%2F%2Flocalhost%3A5001",
                link("widget", refused)
            ))
            .send()
            .await;
        assert_eq!(embedded.status, 400, "{refused}: {}", embedded.text());
        let html = embedded.text();
        assert!(
            html.contains("data-error-status=\"400\"")
                && html.contains("data-error-code=\"invalid_config\""),
            "{html}"
        );
    }
    let listed = server
        .persona(ns, "GET", "/api/v1/inquiries?page%5Bsize%5D=100", None)
        .await;
    assert_eq!(listed.json()["data"].as_array().map(Vec::len), Some(6));

    // An inquiry created through the API (an authenticated caller) keeps the one it gave.
    let id = server
        .create_inquiry(ns, json!({"redirect-uri": "https://partner.example/done"}))
        .await;
    let answer = submit(&server, &format!("/ns/{ns}/verify/{id}"), "pass").await;
    assert_eq!(
        answer.header("location"),
        Some(format!("https://partner.example/done?inquiry-id={id}&status=completed").as_str())
    );
}
