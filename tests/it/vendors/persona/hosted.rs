//! The hosted verification flow: `GET /verify` (and `/widget`) pages, the form posts that finish
//! an inquiry, the redirect back to the app, and the pages for finished and unknown inquiries.

use serde_json::{Value, json};

use crate::harness::{TestResponse, TestServer, encode};

mod redirect;
mod submit;

/// Creates an inquiry through the API with `attributes` added to the template id.
async fn create_inquiry(server: &TestServer, ns: &str, attributes: Value) -> String {
    server.create_inquiry(ns, attributes).await
}

async fn status_of(server: &TestServer, ns: &str, id: &str) -> String {
    let inquiry = server
        .persona(ns, "GET", &format!("/api/v1/inquiries/{id}"), None)
        .await;
    assert_eq!(inquiry.status, 200, "{}", inquiry.text());
    inquiry.json()["data"]["attributes"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn event_names(server: &TestServer, ns: &str, id: &str) -> Vec<String> {
    let events = server
        .persona(
            ns,
            "GET",
            &format!("/api/v1/events?filter%5Bobject-id%5D={id}&page%5Bsize%5D=100"),
            None,
        )
        .await;
    let mut names: Vec<String> = events.json()["data"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["attributes"]["name"].as_str().map(str::to_string))
        .collect();
    names.reverse(); // the list is newest first
    names
}

async fn submit(server: &TestServer, path: &str, outcome: &str) -> TestResponse {
    server.post(path).form(&[("outcome", outcome)]).send().await
}

fn assert_html(page: &TestResponse) {
    assert!(
        page.header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html")),
        "{:?}",
        page.headers
    );
    assert!(page.text().starts_with("<!doctype html>"));
}

#[tokio::test]
async fn the_page_shows_the_inquiry_escaped_with_every_choice() {
    let server = TestServer::start().await;
    let ns = "default";
    let id = create_inquiry(
        &server,
        ns,
        json!({"reference-id": "<b>ref & \"quotes\"</b>", "fields": {"name-first": "<script>alert(1)</script>"}}),
    )
    .await;
    let page = server.get(&format!("/verify?inquiry-id={id}")).send().await;
    assert_eq!(page.status, 200);
    assert_html(&page);
    let html = page.text();
    assert!(html.contains(&id));
    assert!(html.contains("<span class=\"status\" id=\"status\">created</span>"));
    assert!(
        html.contains("&lt;b&gt;ref &amp; &quot;quotes&quot;&lt;/b&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !html.contains("<script"),
        "nothing interpolated is left unescaped"
    );
    assert!(html.contains(&format!(
        "action=\"{}\"",
        server.url(&format!("/verify/{id}"))
    )));
    for (value, label) in [
        ("pass", "Pass verification"),
        ("fail", "Fail verification"),
        ("approve", "Pass and approve"),
        ("decline", "Pass and decline"),
        ("review", "Pass and mark for review"),
    ] {
        assert!(
            html.contains(&format!("name=\"outcome\" value=\"{value}\"")) && html.contains(label),
            "{value} is offered"
        );
    }
}

/// The result goes in the query, before the fragment (which never reaches the server), once: a
/// `status` the redirect URI already had is replaced, not repeated.
#[tokio::test]
async fn pass_redirects_to_the_redirect_uri_with_the_result() {
    let server = TestServer::start().await;
    let ns = "hosted-pass";
    let id = create_inquiry(
        &server,
        ns,
        json!({"reference-id": "user 42", "redirect-uri": "https://app.example/done?status=old&from=persona#top"}),
    )
    .await;
    let answer = submit(&server, &format!("/ns/{ns}/verify/{id}"), "pass").await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    assert_eq!(
        answer.header("location"),
        Some(format!("https://app.example/done?from=persona&inquiry-id={id}&reference-id=user%2042&status=completed#top").as_str())
    );
    assert_eq!(status_of(&server, ns, &id).await, "completed");
    assert_eq!(
        event_names(&server, ns, &id).await,
        ["inquiry.created", "inquiry.started", "inquiry.completed"]
    );
}

#[tokio::test]
async fn fail_and_every_decision_end_in_their_status() {
    let server = TestServer::start().await;
    let ns = "hosted-outcomes";
    let cases = [
        ("fail", "failed", "inquiry.failed"),
        ("approve", "approved", "inquiry.approved"),
        ("decline", "declined", "inquiry.declined"),
        ("review", "needs_review", "inquiry.marked-for-review"),
    ];
    for (outcome, status, event) in cases {
        let id = create_inquiry(
            &server,
            ns,
            json!({"redirect-uri": "https://app.example/kyc"}),
        )
        .await;
        let answer = submit(&server, &format!("/ns/{ns}/verify/{id}"), outcome).await;
        assert_eq!(answer.status, 303, "{outcome}: {}", answer.text());
        assert_eq!(
            answer.header("location"),
            Some(format!("https://app.example/kyc?inquiry-id={id}&status={status}").as_str()),
            "no reference id: the parameter is left out"
        );
        assert_eq!(status_of(&server, ns, &id).await, status);
        assert_eq!(
            event_names(&server, ns, &id)
                .await
                .last()
                .map(String::as_str),
            Some(event)
        );
    }
}

/// Post/Redirect/Get: without a redirect URI a submit sends the browser (303) to the done page,
/// a GET that reloading repeats without submitting again; the form's action opened with GET
/// (a reload of an older answer, a bookmark) is 303 to the inquiry's page, in its namespace.
#[tokio::test]
async fn without_a_redirect_uri_a_done_page_is_shown() {
    let server = TestServer::start().await;
    let ns = "hosted-done";
    let id = create_inquiry(&server, ns, json!({})).await;
    let done = submit(&server, &format!("/ns/{ns}/verify/{id}"), "pass").await;
    assert_eq!(done.status, 303, "{}", done.text());
    let location = done.header("location").expect("location").to_string();
    assert_eq!(
        location,
        server.url(&format!("/ns/{ns}/verify?inquiry-id={id}&done=1"))
    );
    for _reload in 0..2 {
        let page = server
            .get(&location.replace(&server.url(""), ""))
            .send()
            .await;
        assert_eq!(page.status, 200);
        assert_html(&page);
        let html = page.text();
        assert!(html.contains("Verification complete"), "{html}");
        assert!(html.contains("<strong>completed</strong>"));
        assert!(html.contains(&format!(
            "href=\"{}\"",
            server.url(&format!("/ns/{ns}/verify?inquiry-id={id}"))
        )));
    }
    assert_eq!(
        event_names(&server, ns, &id).await,
        ["inquiry.created", "inquiry.started", "inquiry.completed"]
    );

    for root in ["verify", "widget"] {
        let opened = server.get(&format!("/ns/{ns}/{root}/{id}")).send().await;
        assert_eq!(opened.status, 303, "{root}: {}", opened.text());
        let expected = match root {
            "verify" => server.url(&format!("/ns/{ns}/verify?inquiry-id={id}")),
            // On the origin the SDK loaded, as the embedded page's own links are.
            _ => format!("/ns/{ns}/widget?inquiry-id={id}"),
        };
        assert_eq!(opened.header("location"), Some(expected.as_str()));
    }
    let page = server.get(&format!("/ns/{ns}/verify/{id}")).send().await;
    let page = server
        .get(
            &page
                .header("location")
                .unwrap_or_default()
                .replace(&server.url(""), ""),
        )
        .send()
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("value=\"approve\""),
        "the page itself, not the done page"
    );
}

#[tokio::test]
async fn a_finished_inquiry_shows_its_final_state_and_refuses_a_second_submit() {
    let server = TestServer::start().await;
    let ns = "hosted-twice";
    let id = create_inquiry(&server, ns, json!({})).await;
    let page_path = format!("/ns/{ns}/verify?inquiry-id={id}");
    let post_path = format!("/ns/{ns}/verify/{id}");
    assert_eq!(submit(&server, &post_path, "pass").await.status, 303);

    // Completed: only the decisions are left.
    let page = server.get(&page_path).send().await.text();
    assert!(!page.contains("value=\"pass\"") && !page.contains("value=\"fail\""));
    assert!(page.contains("value=\"approve\"") && page.contains("value=\"review\""));

    assert_eq!(submit(&server, &post_path, "approve").await.status, 303);
    let again = submit(&server, &post_path, "decline").await;
    assert_eq!(again.status, 409);
    assert_html(&again);
    assert!(again.text().contains("Nothing was changed"));
    assert_eq!(status_of(&server, ns, &id).await, "approved");

    let page = server.get(&page_path).send().await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        !html.contains("<form"),
        "a finished inquiry offers nothing to submit"
    );
    assert!(html.contains("Verification approved"));

    // Expired inquiries are final too.
    let expired = create_inquiry(&server, ns, json!({})).await;
    let expire = server
        .persona(
            ns,
            "POST",
            &format!("/api/v1/inquiries/{expired}/expire"),
            None,
        )
        .await;
    assert_eq!(expire.status, 200, "{}", expire.text());
    let refused = submit(&server, &format!("/ns/{ns}/verify/{expired}"), "pass").await;
    assert_eq!(refused.status, 409);
    assert_eq!(status_of(&server, ns, &expired).await, "expired");
}

/// The Web SDK's `accountId` (`account-id` on the link) makes the inquiry that account's, as
/// the API's `account-id` does; an unknown one is refused and makes nothing.
#[tokio::test]
async fn a_link_with_an_account_id_makes_that_accounts_inquiry() {
    let server = TestServer::start().await;
    let ns = "hosted-account";
    let account = server
        .persona(
            ns,
            "POST",
            "/api/v1/accounts",
            Some(json!({"data": {"attributes": {"reference-id": "acct-ref"}}})),
        )
        .await;
    assert_eq!(account.status, 201, "{}", account.text());
    let account = account.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let created = server
        .get(&format!(
            "/ns/{ns}/verify?inquiry-template-id=itmpl_Acct&account-id={account}"
        ))
        .send()
        .await;
    assert_eq!(created.status, 303, "{}", created.text());
    let listed = server
        .persona(ns, "GET", "/api/v1/inquiries", None)
        .await
        .json();
    assert_eq!(
        listed["data"][0]["relationships"]["account"]["data"]["id"],
        account.as_str()
    );
    let unknown = server
        .get(&format!(
            "/ns/{ns}/verify?inquiry-template-id=itmpl_Acct&account-id=act_Nope"
        ))
        .send()
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text());
    let listed = server
        .persona(ns, "GET", "/api/v1/inquiries", None)
        .await
        .json();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn template_parameters_create_an_inquiry_in_the_namespace_of_the_url() {
    let server = TestServer::start().await;
    let ns = "hosted-create";
    let query = format!(
        "inquiry-template-id=itmpl_Hosted2&reference-id=user-7&redirect-uri={}&fields%5Bname-first%5D=Jane&environment-id=env_x",
        encode("http://localhost:3000/back")
    );
    let created = server.get(&format!("/ns/{ns}/verify?{query}")).send().await;
    assert_eq!(created.status, 303, "{}", created.text());
    let location = created.header("location").expect("location").to_string();
    let prefix = server.url(&format!("/ns/{ns}/verify?inquiry-id="));
    let id = location
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{location} keeps the /ns/ prefix"))
        .to_string();
    assert!(id.starts_with("inq_"), "{id}");

    let page = server
        .get(location.trim_start_matches(&server.url("")))
        .send()
        .await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("user-7") && html.contains("Jane") && html.contains("itmpl_Hosted2"));
    assert!(html.contains(&format!(
        "action=\"{}\"",
        server.url(&format!("/ns/{ns}/verify/{id}"))
    )));

    let inquiry = server
        .persona(ns, "GET", &format!("/api/v1/inquiries/{id}"), None)
        .await
        .json();
    let attributes = &inquiry["data"]["attributes"];
    assert_eq!(attributes["reference-id"], "user-7");
    assert_eq!(attributes["fields"]["name-first"]["value"], "Jane");
    // It lives in the URL's namespace only.
    let elsewhere = server
        .persona("default", "GET", &format!("/api/v1/inquiries/{id}"), None)
        .await;
    assert_eq!(elsewhere.status, 404);

    let answer = submit(&server, &format!("/ns/{ns}/verify/{id}"), "pass").await;
    assert_eq!(
        answer.header("location"),
        Some(
            format!(
                "http://localhost:3000/back?inquiry-id={id}&reference-id=user-7&status=completed"
            )
            .as_str()
        )
    );

    // The widget path (Persona's embedded SDK) works the same and keeps its own path.
    let widget = server
        .get(&format!("/ns/{ns}/widget?template-id=tmpl_Legacy1"))
        .send()
        .await;
    assert_eq!(widget.status, 303);
    let location = widget.header("location").unwrap_or_default();
    assert!(
        location.starts_with(&server.url(&format!("/ns/{ns}/widget?inquiry-id=inq_"))),
        "{location}"
    );
}

#[tokio::test]
async fn unknown_inquiries_and_bad_links_get_html_errors() {
    let server = TestServer::start().await;
    let missing = server
        .get("/verify?inquiry-id=inq_DoesNotExist")
        .send()
        .await;
    assert_eq!(missing.status, 404);
    assert_html(&missing);
    assert!(missing.text().contains("Inquiry not found"));

    let posted = submit(&server, "/verify/inq_DoesNotExist", "pass").await;
    assert_eq!(posted.status, 404);
    assert_html(&posted);

    let bare = server.get("/widget").send().await;
    assert_eq!(bare.status, 400);
    assert!(bare.text().contains("inquiry-template-id"));

    let bad_template = server.get("/verify?inquiry-template-id=nope").send().await;
    assert_eq!(bad_template.status, 400);
    assert!(bad_template.text().contains("itmpl_"));

    // A link's birthdate is a date, as the API's: no inquiry is made from another.
    let bad_birthdate = server
        .get("/verify?inquiry-template-id=itmpl_Bad&fields%5Bbirthdate%5D=1990-13-45")
        .send()
        .await;
    assert_eq!(bad_birthdate.status, 400, "{}", bad_birthdate.text());
    assert!(bad_birthdate.text().contains("YYYY-MM-DD"));
    let nested = server
        .get("/verify?inquiry-template-id=itmpl_Bad&fields%5Bname-last%5D%5Ba%5D=Doe")
        .send()
        .await;
    assert_eq!(nested.status, 400, "{}", nested.text());
    assert!(
        nested
            .text()
            .contains("fields[name-last] of this link must be a string")
    );
    let listed = server
        .persona("default", "GET", "/api/v1/inquiries", None)
        .await
        .json();
    assert_eq!(listed["data"], json!([]), "nothing was created");

    let id = create_inquiry(&server, "default", json!({})).await;
    let no_outcome = server
        .post(&format!("/verify/{id}"))
        .form(&[("outcome", "maybe")])
        .send()
        .await;
    assert_eq!(no_outcome.status, 400);
    assert_eq!(status_of(&server, "default", &id).await, "created");
}
