//! Browsers and other hosts: vendor routes answer pages of loopback and named origins (an SDK on
//! localhost:3000 calling the API on port 5000); state-changing admin requests from other sites are
//! refused; a Host the sandbox does not know (DNS rebinding) is refused everywhere.

use serde_json::json;

use crate::harness::{TestServer, WAIT};

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
    let varies: Vec<_> = preflight
        .headers
        .iter()
        .filter(|(n, _)| n == "vary")
        .collect();
    assert_eq!(varies.len(), 1, "{varies:?}");

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
    // A browser that sends no Origin still says the request comes from another page.
    for site in ["cross-site", "same-site"] {
        let fetched = server
            .post("/__admin/clock/advance")
            .header("sec-fetch-site", site)
            .json(&json!({"seconds": 60}))
            .send()
            .await;
        assert_eq!(fetched.status, 403, "{site}: {}", fetched.text());
    }
    let clock = server.get("/__admin/clock").send().await.json();
    assert_eq!(clock["offset_seconds"], 0.0, "nothing changed");

    // The dashboard's own page (same origin) and tools without an Origin are served.
    let own = server
        .post("/__admin/clock/advance")
        .header("origin", &server.url(""))
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"seconds": 60}))
        .send()
        .await;
    assert_eq!(own.status, 200, "{}", own.text());
    // Only its scheme: the sandbox speaks plain HTTP.
    for other in [
        server.url("").replacen("http://", "https://", 1),
        server.url("").replacen("http://", "chrome-extension://", 1),
        server.addr.to_string(),
    ] {
        let refused = server
            .post("/__admin/clock/advance")
            .header("origin", &other)
            .json(&json!({"seconds": 60}))
            .send()
            .await;
        assert_eq!(refused.status, 403, "{other}: {}", refused.text());
    }
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

/// Behind a proxy that terminates TLS and sends its own Host (nginx's default), the dashboard's
/// origin is the public URL's, not `http://` + Host.
#[tokio::test]
async fn the_public_urls_origin_is_the_dashboards_own() {
    let server =
        TestServer::start_with(|c| c.public_url = Some("https://sandbox.test/base/".into())).await;
    for own in ["https://sandbox.test", "HTTPS://Sandbox.Test:443"] {
        let reset = server
            .post("/__admin/reset")
            .header("origin", own)
            .header("sec-fetch-site", "same-origin")
            .send()
            .await;
        assert_eq!(reset.status, 200, "{own}: {}", reset.text());
    }
    for other in [
        "http://sandbox.test",
        "https://sandbox.test:8443",
        "https://sandbox.test.evil.example",
    ] {
        let refused = server
            .post("/__admin/reset")
            .header("origin", other)
            .send()
            .await;
        assert_eq!(refused.status, 403, "{other}: {}", refused.text());
        assert!(
            refused.text().contains("--public-url"),
            "{}",
            refused.text()
        );
    }
}

/// A page on a domain made to resolve to 127.0.0.1 (DNS rebinding) sends its own name as `Host`
/// and as `Origin`; the sandbox must not answer it, whoever owns the path.
#[tokio::test]
async fn a_rebound_host_is_refused_in_the_owners_envelope() {
    let server = TestServer::start().await;
    let rebound = format!("rebind.evil.example:{}", server.addr.port());
    let origin = format!("http://{rebound}");
    let reset = server
        .post("/__admin/reset")
        .header("host", &rebound)
        .header("origin", &origin)
        .send()
        .await;
    assert_eq!(reset.status, 403, "{}", reset.text());
    let message = reset.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("--allowed-host"), "{message}");
    for path in ["/__admin/state", "/__admin/", "/no/such/path"] {
        let read = server.get(path).header("host", &rebound).send().await;
        assert_eq!(read.status, 403, "{path}: {}", read.text());
        assert!(read.json()["error"]["message"].is_string(), "{path}");
    }
    let persona = server
        .get("/api/v1/inquiries")
        .header("host", &rebound)
        .header("authorization", "Bearer persona_sandbox_key")
        .send()
        .await;
    assert_eq!(persona.status, 403, "{}", persona.text());
    assert!(
        persona.json()["errors"][0]["details"]
            .as_str()
            .is_some_and(|d| d.contains("--allowed-host")),
        "Persona's envelope: {}",
        persona.text()
    );
    let coinflow = server
        .get("/api/withdraw")
        .header("host", &rebound)
        .send()
        .await;
    assert_eq!(coinflow.status, 403);
    assert_eq!(coinflow.json()["statusCode"], 403);
}

#[tokio::test]
async fn loopback_hosts_named_hosts_and_no_host_from_http_1_0_are_answered() {
    let server = TestServer::start_with(|c| {
        c.allowed_hosts = vec!["sandbox.test".into()];
        c.public_url = Some("http://public.test:8080/".into());
    })
    .await;
    let port = server.addr.port();
    for host in [
        format!("localhost:{port}"),
        "LOCALHOST".to_string(),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "sandbox.test:5000".to_string(),
        "public.test:8080".to_string(),
    ] {
        let res = server
            .get("/__admin/health")
            .header("host", &host)
            .send()
            .await;
        assert_eq!(res.status, 200, "{host}: {}", res.text());
    }
    let other = server
        .get("/__admin/health")
        .header("host", "other.test")
        .send()
        .await;
    assert_eq!(other.status, 403);

    // HTTP/1.0 tools may send no Host at all.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /__admin/health HTTP/1.0\r\n\r\n")
        .await
        .expect("write");
    let mut answer = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut answer))
        .await
        .expect("answered within the wait")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");

    // HTTP/1.1 requires one; a target in absolute form names the host that is checked.
    for (request, status) in [
        (&b"GET /__admin/health HTTP/1.1\r\nConnection: close\r\n\r\n"[..], "400"),
        (
            b"GET http://rebind.evil.example/__admin/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            "403",
        ),
        (
            b"GET http://localhost/__admin/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            "200",
        ),
        // Two Hosts: a proxy may have read the other one (RFC 9112 3.2), whichever comes first.
        (
            b"GET /__admin/health HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
            "400",
        ),
        (
            b"GET /__admin/health HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            "400",
        ),
    ] {
        let mut stream = tokio::net::TcpStream::connect(server.addr)
            .await
            .expect("connect");
        stream.write_all(request).await.expect("write");
        let mut answer = String::new();
        tokio::time::timeout(WAIT, stream.read_to_string(&mut answer))
            .await
            .expect("answered within the wait")
            .expect("read");
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{}: {answer}",
            String::from_utf8_lossy(request)
        );
    }
}

#[tokio::test]
async fn only_loopback_and_named_origins_may_call_vendor_routes() {
    let server = TestServer::start_with(|c| {
        c.cors_origins = vec!["https://app.example.com".into()];
    })
    .await;
    let preflight = |origin: &str| {
        server
            .request("OPTIONS", "/api/withdraw")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    for allowed in [
        "http://127.0.0.1:8080",
        "http://[::1]:3000",
        "https://localhost",
        "https://app.example.com",
    ] {
        let answer = preflight(allowed).await;
        assert_eq!(answer.status, 204, "{allowed}");
        assert_eq!(answer.header("access-control-allow-origin"), Some(allowed));
    }
    for refused in ["http://evil.example", "https://app.example.com.evil.net"] {
        let answer = preflight(refused).await;
        assert_eq!(answer.status, 403, "{refused}");
        assert_eq!(answer.header("access-control-allow-origin"), None);
        assert!(
            answer.json()["message"]
                .as_str()
                .is_some_and(|m| m.contains("--cors-origin")),
            "Coinflow's envelope names the option: {}",
            answer.text()
        );
        // The request itself is answered, but the browser is not told the page may read it.
        let read = server
            .get("/merchant/view/merchant-1")
            .header("origin", refused)
            .send()
            .await;
        assert_eq!(read.status, 200);
        assert_eq!(
            read.header("access-control-allow-origin"),
            None,
            "{refused}"
        );
    }

    let any = TestServer::start_with(|c| c.cors_origins = vec!["*".into()]).await;
    let answer = any
        .get("/merchant/view/merchant-1")
        .header("origin", "https://anywhere.example")
        .send()
        .await;
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://anywhere.example")
    );
}

mod fetch_metadata;
