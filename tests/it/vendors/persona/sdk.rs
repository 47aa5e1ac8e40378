//! Persona's own Web SDK (`persona` on npm, 5.x) against the sandbox's `/widget`: the page the
//! SDK opens (its query, CSP, relative links, session tokens, the JSON answer its script asks
//! for), and the whole thing in headless Chromium with the real npm package
//! (tests/browser/persona-sdk.mjs).
//!
//! The browser test needs `node`, Chromium (`/usr/bin/chromium` or `$CHROMIUM`) and `npm ci` in
//! tests/browser; `.ci/run` installs them. Without them it prints why and passes, except under
//! `CI=true`, where it fails.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{TestResponse, TestServer, browser, encode};

const NS: &str = "sdk-rs";
const AUTH: &str = "Bearer persona_sandbox_sdk";
const APP: &str = "http://localhost:5001";

/// What the SDK puts in the iframe's URL (persona 5.9.0, captured in Chromium), plus `extra`.
fn sdk_query(extra: &str) -> String {
    format!(
        "client-version=5.9.0&container-id=persona-widget-abc&flow-type=embedded\
         &inquiry-template-id=itmpl_sdk&environment-id=env_x&iframe-origin={}{extra}",
        encode(APP)
    )
}

async fn get(server: &TestServer, path_and_query: &str) -> TestResponse {
    server.get(path_and_query).send().await
}

async fn api(server: &TestServer, method: &str, path: &str, body: Option<Value>) -> TestResponse {
    server
        .request(method, path)
        .header("authorization", AUTH)
        .header("x-sandbox-namespace", NS)
        .json_opt(body.as_ref())
        .send()
        .await
}

/// Follows the SDK page's 303 (a path on the origin the browser loaded).
async fn open_new(server: &TestServer, extra: &str) -> (String, TestResponse) {
    let created = get(server, &format!("/ns/{NS}/widget?{}", sdk_query(extra))).await;
    assert_eq!(created.status, 303, "{}", created.text());
    let location = created.header("location").expect("location").to_string();
    assert!(
        location.starts_with(&format!("/ns/{NS}/widget?inquiry-id=inq_")),
        "{location}"
    );
    let page = get(server, &location).await;
    (location, page)
}

fn inquiry_id(location: &str) -> String {
    location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("inquiry-id="))
        .expect("inquiry-id")
        .to_string()
}

#[tokio::test]
async fn the_sdk_page_keeps_its_origin_and_parameters_and_may_be_framed_by_the_app() {
    let server = TestServer::start().await;
    let extra = format!(
        "&frame-ancestors%5B0%5D={}&frame-ancestors%5B1%5D={}&reference-id=user-1\
         &fields%5Bname-first%5D=Jane&fields%5Bnested%5D%5Bsome-key%5D=1",
        encode(APP),
        encode("https://outer.example")
    );
    let (location, page) = open_new(&server, &extra).await;
    for kept in [
        "client-version=5.9.0",
        "container-id=persona-widget-abc",
        "flow-type=embedded",
        "inquiry-template-id=itmpl_sdk",
        "&session-token=",
    ] {
        assert!(location.contains(kept), "{kept} in {location}");
    }
    assert!(!location.contains("fields"), "{location}");
    assert!(!location.contains("reference-id"), "{location}");

    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.header("x-frame-options"), None);
    let csp = page.header("content-security-policy").expect("csp");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(
        csp.ends_with("frame-ancestors 'self' http://localhost:5001 https://outer.example"),
        "{csp}"
    );
    let html = page.text();
    let id = inquiry_id(&location);
    for expected in [
        "data-container-id=\"persona-widget-abc\"".to_string(),
        "data-target-origin=\"http://localhost:5001\"".to_string(),
        "data-template-id=\"itmpl_sdk\"".to_string(),
        format!("data-inquiry-id=\"{id}\""),
        "data-status=\"created\"".to_string(),
        format!("action=\"/ns/{NS}/widget/{id}\" data-outcomes"),
        "name=\"fields[name-first]\" id=\"field-name-first\" value=\"Jane\"".to_string(),
        "id=\"persona-cancel\"".to_string(),
        "<script>".to_string(),
    ] {
        assert!(html.contains(&expected), "{expected} in {html}");
    }

    let inquiry = api(&server, "GET", &format!("/api/v1/inquiries/{id}"), None).await;
    let attributes = &inquiry.json()["data"]["attributes"];
    assert_eq!(attributes["reference-id"], "user-1");
    assert_eq!(attributes["fields"]["name-first"]["value"], "Jane");
    assert_eq!(
        attributes["fields"]["nested"],
        json!({"type": "hash", "value": {"some-key": {"type": "string", "value": "1"}}})
    );
}

#[tokio::test]
async fn message_target_origin_is_where_messages_go_and_every_echo_is_escaped() {
    let server = TestServer::start().await;
    let id = server
        .create_inquiry(NS, json!({"reference-id": "<b>"}))
        .await;
    let query = format!(
        "inquiry-id={id}&container-id={}&inquiry-template-id={}&iframe-origin={}&message-target-origin={}",
        encode("\"><script>alert(1)</script>"),
        encode("itmpl_'x\""),
        encode(APP),
        encode("https://parent.example:8443"),
    );
    let page = get(&server, &format!("/ns/{NS}/widget?{query}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("data-target-origin=\"https://parent.example:8443\""));
    assert!(html.contains("data-iframe-origin=\"http://localhost:5001\""));
    assert!(html.contains("data-container-id=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert!(html.contains("data-template-id=\"itmpl_&#39;x&quot;\""));
    assert!(!html.contains("<script>alert(1)"));
    let csp = page.header("content-security-policy").expect("csp");
    assert!(
        csp.ends_with("frame-ancestors 'self' http://localhost:5001 https://parent.example:8443"),
        "{csp}"
    );
}

#[tokio::test]
async fn origins_that_are_not_http_origins_are_refused_without_a_script() {
    let server = TestServer::start().await;
    let id = server.create_inquiry(NS, json!({})).await;
    for bad in [
        format!("iframe-origin={}", encode("*")),
        format!("iframe-origin={}", encode("javascript:alert(1)")),
        format!("iframe-origin={}", encode("http://app.example/path")),
        format!(
            "iframe-origin={}&message-target-origin={}",
            encode(APP),
            encode("null")
        ),
        format!(
            "iframe-origin={}&frame-ancestors%5B0%5D={}",
            encode(APP),
            encode("https://a.example https://b.example")
        ),
    ] {
        let page = get(&server, &format!("/ns/{NS}/widget?inquiry-id={id}&{bad}")).await;
        assert_eq!(page.status, 400, "{bad}: {}", page.text());
        assert!(!page.text().contains("<script"), "{bad}");
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(!csp.contains("script-src"), "{bad}: {csp}");
    }
    // Without iframe-origin the page is the plain one: no script at all.
    let plain = get(&server, &format!("/ns/{NS}/widget?inquiry-id={id}")).await;
    assert_eq!(plain.status, 200);
    assert!(!plain.text().contains("<script"));
    assert_eq!(
        plain.header("content-security-policy"),
        Some("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    );
}

#[tokio::test]
async fn resuming_checks_the_session_token_from_the_api() {
    let server = TestServer::start().await;
    let id = server.create_inquiry(NS, json!({})).await;
    let started = api(
        &server,
        "POST",
        &format!("/api/v1/inquiries/{id}/perform-simulate-actions"),
        Some(json!({"meta": {"simulate-actions": [{"type": "start_inquiry"}]}})),
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.text());
    let resumed = api(
        &server,
        "POST",
        &format!("/api/v1/inquiries/{id}/resume"),
        None,
    )
    .await;
    assert_eq!(resumed.status, 200, "{}", resumed.text());
    let token = resumed.json()["meta"]["session-token"]
        .as_str()
        .expect("token")
        .to_string();
    let open = |token: String| {
        let path = format!(
            "/ns/{NS}/widget?client-version=5.9.0&container-id=c1&flow-type=embedded&iframe-origin={}&inquiry-id={id}&session-token={}",
            encode(APP),
            encode(&token)
        );
        let server = &server;
        async move { get(server, &path).await }
    };
    let good = open(token.clone()).await;
    assert_eq!(good.status, 200, "{}", good.text());
    assert!(
        good.text()
            .contains(&format!("data-session-token=\"{token}\""))
    );
    assert!(good.text().contains("data-status=\"pending\""));

    let bad = open("not-the-token".into()).await;
    assert_eq!(bad.status, 409, "{}", bad.text());
    let html = bad.text();
    assert!(
        html.contains("data-error-code=\"unauthenticated\""),
        "{html}"
    );
    assert!(html.contains("data-error-status=\"409\""), "{html}");
    assert!(html.contains("<script>"), "the SDK is told: {html}");

    let unknown = get(
        &server,
        &format!(
            "/ns/{NS}/widget?container-id=c1&iframe-origin={}&inquiry-id=inq_missing",
            encode(APP)
        ),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown
            .text()
            .contains("data-error-code=\"invalid_config\"")
    );
}

#[tokio::test]
async fn the_script_gets_the_outcome_as_json_and_the_inquiry_really_moves() {
    let server = TestServer::start().await;
    let (location, _) = open_new(&server, "&fields%5Bname-first%5D=Jane").await;
    let id = inquiry_id(&location);
    let submit = |fields| submit_widget(&server, &id, fields);
    let missing = submit(vec![]).await;
    assert_eq!(missing.status, 400, "{}", missing.text());
    assert_eq!(missing.json()["error"]["code"], "invalid_config");

    let done = submit(vec![
        ("outcome", "pass"),
        ("fields[name-last]", "Doe"),
        ("fields[birthdate]", ""),
    ])
    .await;
    assert_eq!(done.status, 200, "{}", done.text());
    let answer = done.json();
    assert_eq!(answer["inquiryId"], id.as_str());
    assert_eq!(answer["status"], "completed");
    assert_eq!(
        answer["fields"]["name-first"],
        json!({"type": "string", "value": "Jane"})
    );
    assert_eq!(answer["fields"]["name-last"]["value"], "Doe");
    assert!(answer["fields"].get("birthdate").is_none(), "{answer}");
    assert!(answer["sessionToken"].is_string(), "{answer}");
    assert!(
        answer["html"]
            .as_str()
            .is_some_and(|h| h.contains("id=\"persona-done\"")),
        "{answer}"
    );

    let inquiry = api(&server, "GET", &format!("/api/v1/inquiries/{id}"), None).await;
    let attributes = &inquiry.json()["data"]["attributes"];
    assert_eq!(attributes["status"], "completed");
    assert_eq!(attributes["fields"]["name-last"]["value"], "Doe");

    let again = submit(vec![("outcome", "fail")]).await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.json()["error"]["status"], 409);
}

/// Emptying a prefilled input clears the field (null, a birthdate still typed `date`, as
/// Persona renders a field without a value); an input left blank on a field the inquiry lacks
/// adds nothing; `address-country-code`, which may not be null, is refused and nothing moves.
#[tokio::test]
async fn an_emptied_prefilled_field_is_cleared() {
    let server = TestServer::start().await;
    let prefilled = "&fields%5Bname-first%5D=Jane&fields%5Bname-last%5D=Doe\
                     &fields%5Bbirthdate%5D=1990-01-02&fields%5Baddress-country-code%5D=US";
    let (location, page) = open_new(&server, prefilled).await;
    assert!(
        page.text().contains("value=\"1990-01-02\""),
        "{}",
        page.text()
    );
    let id = inquiry_id(&location);
    let submit = |fields| submit_widget(&server, &id, fields);
    let refused = submit(vec![
        ("outcome", "pass"),
        ("fields[name-first]", ""),
        ("fields[address-country-code]", ""),
    ])
    .await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    let message = refused.json()["error"]["message"].to_string();
    assert!(
        message.contains("fields[address-country-code] must be a string"),
        "{message}"
    );
    let inquiry = api(&server, "GET", &format!("/api/v1/inquiries/{id}"), None).await;
    let attributes = &inquiry.json()["data"]["attributes"];
    assert_eq!(attributes["status"], "created", "nothing moved");
    assert_eq!(attributes["name-first"], "Jane", "nothing changed");

    let done = submit(vec![
        ("outcome", "pass"),
        ("fields[name-first]", ""),
        ("fields[name-last]", "Roe"),
        ("fields[birthdate]", ""),
        ("fields[name-middle]", ""),
    ])
    .await;
    assert_eq!(done.status, 200, "{}", done.text());
    let inquiry = api(&server, "GET", &format!("/api/v1/inquiries/{id}"), None).await;
    let attributes = &inquiry.json()["data"]["attributes"];
    assert_eq!(attributes["status"], "completed");
    assert_eq!(
        (&attributes["name-first"], &attributes["name-last"]),
        (&Value::Null, &json!("Roe"))
    );
    assert_eq!(attributes["birthdate"], Value::Null);
    let fields = &attributes["fields"];
    assert_eq!(
        fields["name-first"],
        json!({"type": "string", "value": null})
    );
    assert_eq!(fields["birthdate"], json!({"type": "date", "value": null}));
    assert_eq!(fields["address-country-code"]["value"], "US");
    assert!(fields.get("name-middle").is_none(), "{fields}");
}

#[tokio::test]
async fn personas_web_sdk_runs_the_embedded_inline_and_resumed_flows_in_a_browser() {
    if !browser::tools_present("Persona SDK browser test", &["persona"]) {
        return;
    }
    let server = TestServer::start().await;
    // The SDK loads http://localhost:PORT; the sandbox listens on 127.0.0.1.
    let url = server.url("");
    let port = url.rsplit(':').next().expect("port");
    let probe = tokio::net::TcpStream::connect(format!("localhost:{port}")).await;
    assert!(probe.is_ok(), "localhost:{port} reaches the sandbox");
    browser::run_script("persona-sdk.mjs", &[url], Duration::from_secs(180), 11).await;
}

/// The widget's script posting its form for inquiry `id`, as JSON.
async fn submit_widget(
    server: &TestServer,
    id: &str,
    fields: Vec<(&'static str, &'static str)>,
) -> TestResponse {
    server
        .post(&format!("/ns/{NS}/widget/{id}"))
        .header("accept", "application/json")
        .form(&fields)
        .send()
        .await
}

/// Whether `(code, status)` is a pair of the SDK's `InquiryError` union (persona 5.9.0
/// `lib/interfaces.d.ts`): an app may branch on either and must not be misled.
fn sdk_error_pair(code: &str, status: i64) -> bool {
    matches!(
        (code, status),
        ("application_error", 0)
            | ("invalid_config", 400)
            | ("inactive_template", 422)
            | ("unauthenticated", 409)
            | ("unknown", _)
    )
}

/// Every error the page reports to the SDK pairs its code and status as the SDK's types do: an
/// unknown inquiry is `invalid_config` 400 (the page itself is a 404), a redacted one and a
/// second submit `unknown` with the answer's 409 (409 alone is `unauthenticated`'s).
#[tokio::test]
async fn errors_reach_the_sdk_as_the_sdks_own_code_and_status_pairs() {
    let server = TestServer::start().await;
    let attribute = |html: &str, name: &str| {
        let start = format!("data-error-{name}=\"");
        let at = html.find(&start).map(|i| i + start.len()).expect(name);
        html[at..].split('"').next().unwrap_or_default().to_string()
    };
    let reported = |page: &TestResponse| {
        let html = page.text();
        let status = attribute(&html, "status").parse::<i64>().expect("a number");
        (attribute(&html, "code"), status)
    };

    let unknown = get(
        &server,
        &format!("/ns/{NS}/widget?{}", sdk_query("&inquiry-id=inq_Nope")),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(reported(&unknown), ("invalid_config".to_string(), 400));

    let (location, _) = open_new(&server, "").await;
    let id = inquiry_id(&location);
    let redacted = api(&server, "DELETE", &format!("/api/v1/inquiries/{id}"), None).await;
    assert_eq!(redacted.status, 200, "{}", redacted.text());
    let page = get(
        &server,
        &format!(
            "/ns/{NS}/widget?{}",
            sdk_query(&format!("&inquiry-id={id}"))
        ),
    )
    .await;
    assert_eq!(page.status, 409);
    let (code, status) = reported(&page);
    assert!(
        sdk_error_pair(&code, status) && code == "unknown",
        "{code} {status}"
    );
    let posted = submit_widget(&server, &id, vec![("outcome", "pass")]).await;
    let error = &posted.json()["error"];
    let pair = (
        error["code"].as_str().unwrap_or_default(),
        error["status"].as_i64().unwrap_or(-1),
    );
    assert!(
        sdk_error_pair(pair.0, pair.1) && pair.0 == "unknown",
        "{error}"
    );

    let (location, _) = open_new(&server, "").await;
    let id = inquiry_id(&location);
    assert_eq!(
        submit_widget(&server, &id, vec![("outcome", "fail")])
            .await
            .status,
        200
    );
    let again = submit_widget(&server, &id, vec![("outcome", "pass")]).await;
    assert_eq!(again.status, 409);
    let error = &again.json()["error"];
    let pair = (
        error["code"].as_str().unwrap_or_default(),
        error["status"].as_i64().unwrap_or(-1),
    );
    assert!(
        sdk_error_pair(pair.0, pair.1) && pair.0 == "unknown",
        "{error}"
    );
    let unknown = submit_widget(&server, "inq_Nope", vec![("outcome", "pass")]).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json()["error"],
        json!({"status": 400, "code": "invalid_config", "message": "There is no inquiry inq_Nope in this sandbox namespace."})
    );
}
