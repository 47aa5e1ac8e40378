//! Review fixes: a refused registration draws no ids; the verification page links only to web
//! URLs and is sent with the sandbox's page headers (no caching, no script), frameable.

use serde_json::json;

use super::*;

/// Inquiry, share token, registration, Get Withdrawer: the withdrawer's id and its receiving
/// Persona inquiry.
async fn register_through_persona(server: &TestServer, ns: &str) -> (Value, Value) {
    let inquiry = persona_inquiry(server, ns, full_fields(), &APPROVE).await;
    let token = share_token(server, ns, &inquiry).await;
    let r = register_share_token(server, ns, "ids-user", &token, "ids@example.com").await;
    assert_eq!(r.status, 200, "{}", r.text());
    advance(server, ns, 5.0).await;
    let got = as_user(server, "GET", "/api/withdraw", ns, "ids-user")
        .send()
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    let w = got.json()["withdrawer"].clone();
    (w["_id"].clone(), w["verification"]["reference"].clone())
}

#[tokio::test]
async fn a_refused_registration_draws_no_ids() {
    let server = TestServer::start().await;
    let ns = "cf-ids";
    let first = register_through_persona(&server, ns).await;
    let reset = server
        .post("/__admin/reset")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text());
    let refused = register_share_token(&server, ns, "other", "cnst_Unknown", "o@example.com").await;
    assert_eq!(refused.status, 404, "{}", refused.text());
    assert_eq!(register_through_persona(&server, ns).await, first);
    super::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn the_verification_page_links_only_to_web_urls() {
    let server = TestServer::start().await;
    let ns = "cf-links";
    let registered = as_user(&server, "POST", "/api/withdraw/kyc", ns, "page-user")
        .json(&json!({"email": "page@example.com", "country": "US"}))
        .send()
        .await;
    assert_eq!(registered.status, 451, "{}", registered.text());
    let hostile = "javascript:alert(1)";
    let got = as_user(
        &server,
        "GET",
        &format!(
            "/api/withdraw?redirectLink={}",
            crate::harness::encode(hostile)
        ),
        ns,
        "page-user",
    )
    .send()
    .await;
    let link = got.json()["verificationLink"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!link.contains("redirectLink"), "{link}");
    let path = link
        .strip_prefix(&format!("http://{}", server.addr))
        .unwrap_or_default()
        .to_string();
    let page = server
        .get(&format!(
            "{path}?redirectLink={}",
            crate::harness::encode(hostile)
        ))
        .send()
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    // Merchants may frame it, as they frame Coinflow's web app.
    assert_eq!(
        page.header("content-security-policy"),
        Some("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *"),
        "{:?}",
        page.headers
    );
    assert!(!page.text().contains("javascript:"), "{}", page.text());
    let fields = [
        ("firstName", "Jane"),
        ("surName", "Doe"),
        ("dob", "1990-01-31"),
        ("physicalAddress", "1 Main St"),
        ("city", "Austin"),
        ("state", "TX"),
        ("zip", "78701"),
        ("redirectLink", hostile),
    ];
    let submitted = server.post(&path).form(&fields).send().await;
    assert_eq!(submitted.status, 303, "{}", submitted.text());
    let location = submitted.header("location").unwrap_or_default();
    assert!(location.starts_with("http://"), "{location}");
    assert!(!location.contains("javascript"), "{location}");
    let done = server
        .get(&format!(
            "{path}?redirectLink={}",
            crate::harness::encode(hostile)
        ))
        .send()
        .await;
    assert!(
        done.text().contains("data-status=\"approved\""),
        "{}",
        done.text()
    );
    assert!(!done.text().contains("javascript:"), "{}", done.text());
    // A web link in the page's query is not followed either: only the merchant says where the
    // page sends the user (no open redirect).
    let back = "https://shop.test/back";
    let elsewhere = server
        .get(&format!(
            "{path}?redirectLink={}",
            crate::harness::encode("https://evil.test/phish")
        ))
        .send()
        .await;
    assert!(
        !elsewhere.text().contains("evil.test"),
        "{}",
        elsewhere.text()
    );
    // A link with a line break is not kept: it could not be a Location.
    let broken = as_user(
        &server,
        "GET",
        &format!(
            "/api/withdraw?redirectLink={}",
            crate::harness::encode("https://shop.test/back\nevil")
        ),
        ns,
        "page-user",
    )
    .send()
    .await;
    assert_eq!(broken.status, 200, "{}", broken.text());
    let page = server.get(&path).send().await.text();
    assert!(!page.contains("shop.test"), "{page}");
    let told = as_user(
        &server,
        "GET",
        &format!(
            "/api/withdraw?redirectLink={}",
            crate::harness::encode(back)
        ),
        ns,
        "page-user",
    )
    .send()
    .await;
    assert_eq!(told.status, 200, "{}", told.text());
    let done = server.get(&path).send().await;
    assert!(
        done.text().contains(&format!("href=\"{back}\"")),
        "{}",
        done.text()
    );
    super::schema::assert_bodies_valid(&server).await;
}

/// An error is stamped with the namespace's sandbox time, the clock its entities are stamped
/// with, not the machine's.
#[tokio::test]
async fn errors_are_stamped_in_sandbox_time() {
    let server = TestServer::start_with(|c| c.max_body_bytes = 1024).await;
    let ns = "cf-error-time";
    // Made first, so the namespace's clock can be moved.
    let first = as_user(&server, "GET", "/api/withdraw", ns, "nobody")
        .send()
        .await;
    assert_eq!(first.status, 401, "{}", first.text());
    advance(&server, ns, 3600.0).await;
    let refused = as_user(&server, "GET", "/api/withdraw", ns, "nobody")
        .send()
        .await;
    let body = refused.json();
    assert_nest_error(&body, 401, "/api/withdraw", "GET");
    let stamped = |body: &Value| {
        chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap_or_default())
            .map(|t| t.timestamp_millis())
            .unwrap_or_default()
    };
    let ahead = stamped(&body) - stamped(&first.json());
    assert!(ahead >= 3_600_000, "{ahead} ms: {body}");
    // One the router gives before any route runs, too.
    let large = as_user(&server, "POST", "/api/withdraw/kyc", ns, "nobody")
        .json(&json!({"info": {"city": "x".repeat(2048)}}))
        .send()
        .await;
    let body = large.json();
    assert_nest_error(&body, 413, "/api/withdraw/kyc", "POST");
    let ahead = stamped(&body) - stamped(&first.json());
    assert!(ahead >= 3_600_000, "{ahead} ms: {body}");
}
