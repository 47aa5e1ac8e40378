//! Request bodies as the vendors' servers read them: only a JSON `Content-Type` is read, and a
//! byte order mark is skipped by the Express vendors (Coinflow, Bitmama) and refused by Rails
//! (Persona).

use serde_json::json;

use super::{envelope_message, vendor_posts, vendor_posts_as};
use crate::harness::TestServer;

/// JSON sent as a form (`curl -d`), as text (`fetch` without headers) or untyped is not read by
/// the vendors: each refuses it in its envelope naming the Content-Type, and nothing is made.
#[tokio::test]
async fn a_body_that_is_not_typed_json_is_refused_naming_its_content_type() {
    let server = TestServer::start().await;
    let body = json!({"data": {"attributes": {"inquiry-template-id": "itmpl_typed"}}}).to_string();
    for (content_type, named) in [
        (
            Some("application/x-www-form-urlencoded"),
            "its Content-Type is \"application/x-www-form-urlencoded\"",
        ),
        (
            Some("text/plain;charset=UTF-8"),
            "its Content-Type is \"text/plain;charset=UTF-8\"",
        ),
        (None, "it has no Content-Type"),
    ] {
        for (vendor, request) in vendor_posts_as(&server, body.as_bytes(), content_type) {
            let response = request.send().await;
            assert_eq!(response.status, 400, "{vendor}: {}", response.text());
            let message = envelope_message(vendor, 400, &response.json());
            assert!(
                message.contains(named) && message.contains("Content-Type: application/json"),
                "{vendor}: {message}"
            );
        }
    }
    let state = server.admin_state("default").await;
    assert_eq!(state["persona"]["inquiries"], json!([]), "{state}");

    // JSON types are read: with parameters, and a `+json` type (JSON:API's).
    for content_type in [
        "application/json; charset=utf-8",
        "application/vnd.api+json",
    ] {
        let (_, persona) = vendor_posts_as(&server, body.as_bytes(), Some(content_type)).remove(0);
        let created = persona.send().await;
        assert_eq!(created.status, 201, "{content_type}: {}", created.text());
    }
}

/// A UTF-8 byte order mark before the JSON: Express's body-parser drops it, Rails refuses it.
#[tokio::test]
async fn a_byte_order_mark_is_skipped_by_express_and_refused_by_rails() {
    let server = TestServer::start().await;
    for (vendor, request) in vendor_posts(&server, b"\xEF\xBB\xBF{}") {
        let response = request.send().await;
        let message = envelope_message(vendor, response.status, &response.json());
        if vendor == "persona" {
            assert_eq!(response.status, 400, "{message}");
            assert!(message.contains("byte order mark"), "{message}");
        } else {
            // Read: what is missing is its fields.
            assert!(
                !message.contains("not valid JSON") && !message.contains("byte order mark"),
                "{vendor}: {message}"
            );
        }
    }
    let mut user = b"\xEF\xBB\xBF".to_vec();
    user.extend(
        crate::harness::card_user_body("bom@example.com")
            .to_string()
            .as_bytes(),
    );
    let (_, created) = vendor_posts(&server, &user).remove(2);
    let created = created.send().await;
    assert_eq!(created.status, 201, "{}", created.text());
}
