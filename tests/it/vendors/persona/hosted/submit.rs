//! What a submit of the hosted flow reads: its fields, checked as the API checks them (names in
//! any casing, one in two casings refused), and a session token in its query or its form.

use serde_json::json;

use super::{assert_html, create_inquiry, status_of, submit};
use crate::harness::{TestServer, encode};

/// The form's fields are checked as the API's: a birthdate is a date, a field Persona defines
/// is text (not `fields[name-first][x]`); another is refused, nothing changes, and the page says
/// what is wrong.
#[tokio::test]
async fn the_form_refuses_fields_the_api_refuses() {
    let server = TestServer::start().await;
    let ns = "hosted-birthdate";
    let id = create_inquiry(&server, ns, json!({})).await;
    let post_path = format!("/ns/{ns}/verify/{id}");
    let refused = server
        .post(&post_path)
        .form(&[("outcome", "pass"), ("fields[birthdate]", "1990-13-45")])
        .send()
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_html(&refused);
    assert!(refused.text().contains("YYYY-MM-DD"));
    assert_eq!(status_of(&server, ns, &id).await, "created");
    let nested = server
        .post(&post_path)
        .form(&[("outcome", "pass"), ("fields[name-first][given]", "Jane")])
        .send()
        .await;
    assert_eq!(nested.status, 400, "{}", nested.text());
    assert!(
        nested
            .text()
            .contains("fields[name-first] must be a string")
    );
    assert_eq!(status_of(&server, ns, &id).await, "created");
    let taken = server
        .post(&post_path)
        .form(&[("outcome", "pass"), ("fields[birthdate]", "1990-12-31")])
        .send()
        .await;
    assert_eq!(taken.status, 303, "{}", taken.text());
}

/// A session token given to `/verify` is checked, as `/widget` checks it: a wrong one gets 409
/// `Session expired` on the page and on its submit, and nothing moves. Without one the page
/// opens *(choice)*; the inquiry's own token works.
#[tokio::test]
async fn verify_refuses_a_session_token_that_is_not_the_inquirys() {
    let server = TestServer::start().await;
    let ns = "default";
    let id = create_inquiry(&server, ns, json!({})).await;
    let path = format!("/api/v1/inquiries/{id}/perform-simulate-actions");
    let actions = json!({"meta": {"simulate-actions": [{"type": "start_inquiry"}]}});
    server.persona(ns, "POST", &path, Some(actions)).await;
    let resumed =
        (server.persona(ns, "POST", &format!("/api/v1/inquiries/{id}/resume"), None)).await;
    assert_eq!(resumed.status, 200, "{}", resumed.text());
    let token = resumed.json()["meta"]["session-token"]
        .as_str()
        .expect("a session token")
        .to_string();
    let page = server
        .get(&format!("/verify?inquiry-id={id}&session-token=wrong"))
        .send()
        .await;
    assert_eq!(page.status, 409, "{}", page.text());
    assert_html(&page);
    assert!(page.text().contains("Session expired"));
    let posted = submit(
        &server,
        &format!("/verify/{id}?session-token=wrong"),
        "approve",
    )
    .await;
    assert_eq!(posted.status, 409, "{}", posted.text());
    assert!(posted.text().contains("Session expired"));
    assert_eq!(status_of(&server, ns, &id).await, "pending");

    let right = format!("session-token={}", encode(&token));
    for path in [
        format!("/verify?inquiry-id={id}&{right}"),
        format!("/verify?inquiry-id={id}"),
    ] {
        let page = server.get(&path).send().await;
        assert_eq!(page.status, 200, "{path}: {}", page.text());
    }
    let posted = submit(&server, &format!("/verify/{id}?{right}"), "pass").await;
    assert_eq!(posted.status, 303, "{}", posted.text());
    assert_eq!(status_of(&server, ns, &id).await, "completed");
}

/// Field names in any casing are the API's kebab-case ones; one given in two casings
/// (`fields[name-first]` and `fields[nameFirst]`) is refused naming both, on a link as through
/// the API, and on a submit; nothing is created or changed.
#[tokio::test]
async fn a_field_in_two_casings_is_refused_as_the_api_refuses_it() {
    let server = TestServer::start().await;
    let ns = "hosted-casings";
    let link = server
        .get(&format!(
            "/ns/{ns}/verify?inquiry-template-id=itmpl_Casings&fields%5Bname-first%5D=Alice&fields%5BnameFirst%5D=Mallory"
        ))
        .send()
        .await;
    assert_eq!(link.status, 400, "{}", link.text());
    assert_html(&link);
    let text = link.text();
    assert!(
        text.contains("the same key in two casings")
            && text.contains("name-first")
            && text.contains("nameFirst"),
        "{text}"
    );
    let listed = server.persona(ns, "GET", "/api/v1/inquiries", None).await;
    assert_eq!(listed.json()["data"], json!([]), "nothing was created");

    let id = create_inquiry(&server, ns, json!({})).await;
    let post_path = format!("/ns/{ns}/verify/{id}");
    let posted = server
        .post(&post_path)
        .form(&[
            ("outcome", "pass"),
            ("fields[name-last]", "Doe"),
            ("fields[nameLast]", "Roe"),
        ])
        .send()
        .await;
    assert_eq!(posted.status, 400, "{}", posted.text());
    assert!(posted.text().contains("the same key in two casings"));
    let embedded = server
        .post(&post_path)
        .header("accept", "application/json")
        .form(&[
            ("outcome", "pass"),
            ("fields[name-last]", "Doe"),
            ("fields[nameLast]", "Roe"),
        ])
        .send()
        .await;
    assert_eq!(embedded.status, 400, "{}", embedded.text());
    assert_eq!(embedded.json()["error"]["code"], "invalid_config");
    assert_eq!(status_of(&server, ns, &id).await, "created");

    // One casing alone is the field Persona defines, read the same under any Key-Inflection.
    let taken = server
        .post(&post_path)
        .form(&[("outcome", "pass"), ("fields[nameLast]", "Roe")])
        .send()
        .await;
    assert!(taken.status < 400, "{}", taken.text());
    let inquiry = server
        .persona(ns, "GET", &format!("/api/v1/inquiries/{id}"), None)
        .await
        .json();
    let attributes = &inquiry["data"]["attributes"];
    assert_eq!(attributes["fields"]["name-last"]["value"], "Roe");
    assert_eq!(attributes["fields"].get("nameLast"), None);
}

/// A `session-token` posted in the form is checked as one in the query is, and the page opened
/// with one carries it in its form, so its submit is checked too.
#[tokio::test]
async fn a_session_token_in_the_form_is_checked_too() {
    let server = TestServer::start().await;
    let ns = "hosted-form-token";
    let id = create_inquiry(&server, ns, json!({})).await;
    let resumed = server
        .persona(ns, "POST", &format!("/api/v1/inquiries/{id}/resume"), None)
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.text());
    let token = resumed.json()["meta"]["session-token"]
        .as_str()
        .expect("a session token")
        .to_string();
    let post_path = format!("/ns/{ns}/verify/{id}");
    let wrong = server
        .post(&post_path)
        .form(&[("outcome", "pass"), ("session-token", "WRONG")])
        .send()
        .await;
    assert_eq!(wrong.status, 409, "{}", wrong.text());
    assert!(wrong.text().contains("Session expired"));
    assert_eq!(status_of(&server, ns, &id).await, "created");

    let page = server
        .get(&format!(
            "/ns/{ns}/verify?inquiry-id={id}&session-token={}",
            encode(&token)
        ))
        .send()
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.text().contains(&format!(
            "<input type=\"hidden\" name=\"session-token\" value=\"{token}\">"
        )),
        "{}",
        page.text()
    );
    let right = server
        .post(&post_path)
        .form(&[("outcome", "pass"), ("session-token", &token)])
        .send()
        .await;
    assert!(right.status < 400, "{}", right.text());
    assert_eq!(status_of(&server, ns, &id).await, "completed");
}
