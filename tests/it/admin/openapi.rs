//! `GET /__admin/openapi.json` covers every route: each admin route (`admin::ROUTES`) and each row
//! of every vendor's route table is in it, and each route in it is one the server answers (not its
//! "no route" 404).

use serde_json::{Value, json};

use crate::harness::{TestServer, card_user_body, encode};

/// `path` with each parameter filled in (`x1`; an admin inquiry action is `approve`).
fn concrete(path: &str) -> String {
    path.replace("{action}", "approve")
        .split('/')
        .map(|s| if s.starts_with('{') { "x1" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_the_server_answers() {
    let server = TestServer::start().await;
    let doc = server.get("/__admin/openapi.json").send().await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], server.url("").as_str());
    let paths = doc["paths"].as_object().expect("paths");

    let vendor_routes =
        vendor_sandbox::vendors::all_routes().map(|(_, route)| (route.method, route.path));
    let admin_routes = vendor_sandbox::admin::ROUTES
        .iter()
        .map(|route| (route.method, route.path));
    for (method, path) in admin_routes.chain(vendor_routes) {
        let item = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} documented"));
        assert!(
            item[method.to_ascii_lowercase()].is_object(),
            "{method} {path} documented"
        );
    }

    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            operations += 1;
            assert!(
                operation["responses"]["default"].is_object(),
                "{method} {path}: error envelope"
            );
            let concrete = concrete(path);
            let (auth, user) = match operation["tags"][0].as_str() {
                Some("coinflow") => ("coinflow_key", Some("user-1")),
                _ => ("Bearer sk_staging_acme", None),
            };
            let mut request = server
                .request(&method.to_ascii_uppercase(), &concrete)
                .header("authorization", auth)
                .header("x-sandbox-namespace", "openapi-walk");
            if let Some(user) = user {
                request = request.header("x-coinflow-auth-user-id", user);
            }
            let response = request.send().await;
            let text = response.text();
            let unrouted = response.status == 404
                && ["No route for", "No admin route", "Cannot "]
                    .iter()
                    .any(|m| text.contains(m));
            assert!(
                !unrouted,
                "{method} {path} is documented but not routed: {text}"
            );
            assert!(
                response.status < 500,
                "{method} {path}: {}",
                response.status
            );
            let documented = &operation["responses"]["2XX"]["content"]["application/json"];
            if documented.is_object() && response.status < 300 {
                let body: Value = response.json();
                // An object unless the documented schema says otherwise (Coinflow's Get
                // Withdraws is a bare array, its Create Debit Card a bare string).
                let shape_ok = match documented["schema"]["type"].as_str() {
                    Some("array") => body.is_array(),
                    Some("string") => body.is_string(),
                    _ => body.is_object(),
                };
                assert!(shape_ok, "{method} {path}: JSON of the documented type");
            }
        }
    }
    assert!(operations >= 70, "{operations} operations");
}

/// A header a call is refused without is a required parameter in the document, and a required
/// header is one the server refuses a call without: Bitmama's `idempotency-key` on each of its
/// mutating calls (a client generated from the document sends it).
#[tokio::test]
async fn required_headers_are_documented_as_required() {
    let server = TestServer::start().await;
    let doc = server.get("/__admin/openapi.json").send().await.json();
    let mut keyed = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if operation["tags"][0] != "bitmama" {
                continue;
            }
            let documented = operation["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .any(|p| {
                    p["in"] == "header" && p["name"] == "idempotency-key" && p["required"] == true
                });
            let response = server
                .request(&method.to_ascii_uppercase(), &concrete(path))
                .header("authorization", "Bearer sk_staging_acme")
                .header("x-sandbox-namespace", "openapi-headers")
                .json(&json!({}))
                .send()
                .await;
            let refused =
                response.status == 400 && response.json()["message"] == "IDEMPOTENCY_KEY_REQUIRED";
            assert_eq!(
                documented, refused,
                "{method} {path}: documented as required {documented}, refused without it {refused}"
            );
            keyed += usize::from(documented);
        }
    }
    // Create and delete a user, retry KYC, create a card, fund, withdraw, terminate, and the
    // two profile calls.
    assert_eq!(keyed, 9);
}

/// The documented create-card-user body says what the server checks: a body it accepts is
/// valid against the document's schema, and one it refuses for its shape is not.
#[tokio::test]
async fn the_documented_card_user_body_agrees_with_the_server() {
    let server = TestServer::start().await;
    let doc = server.get("/__admin/openapi.json").send().await.json();
    let schema = &doc["paths"]["/api/v2/partner/card/users"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the request schema compiles");
    let with = |i: usize, field: &str, value: Value| {
        let mut body = card_user_body(&format!("doc{i}@example.com"));
        body[field] = value;
        body
    };
    let cases = [
        (card_user_body("doc-plain@example.com"), true),
        (with(1, "ipAddress", json!("2001:db8::42")), true),
        (
            with(
                2,
                "walletAddress",
                json!(format!("0x{}", "aB3".repeat(13) + "c")),
            ),
            true,
        ),
        (
            with(3, "redirectUrl", json!("https://app.example.com/kyc/done")),
            true,
        ),
        (with(4, "phoneNumber", json!("14155555555")), false),
        (with(5, "walletAddress", json!("0x1234")), false),
        (
            with(6, "redirectUrl", json!("http://app.example.com/kyc/done")),
            false,
        ),
        (with(7, "firstName", json!("   ")), false),
        (with(8, "ipAddress", json!("203.0.113")), false),
        (with(9, "program", json!("non_custodial")), false),
        (with(10, "email", json!("jane@localhost")), false),
        (
            with(11, "redirectUrl", json!("https://app.example.com:99999/x")),
            false,
        ),
        (with(12, "redirectUrl", json!("https:///x")), false),
        (with(13, "lastName", json!("\u{85}")), false),
        (
            with(14, "email", json!("jane.o'neil+card@mail.example.co")),
            true,
        ),
        (
            with(
                15,
                "redirectUrl",
                json!("https://[2001:db8::1]:8443/done?x=1"),
            ),
            true,
        ),
    ];
    for (i, (body, valid)) in cases.into_iter().enumerate() {
        assert_eq!(validator.is_valid(&body), valid, "schema on {body}");
        let created = server
            .post("/api/v2/partner/card/users")
            .header("authorization", "Bearer sk_staging_acme")
            .header("idempotency-key", &format!("doc-body-{i}"))
            .header("x-sandbox-namespace", "openapi-body")
            .json(&body)
            .send()
            .await;
        assert_eq!(
            created.status == 201,
            valid,
            "server on {body}: {}",
            created.text()
        );
    }
}

/// The documented email rule is the server's, also for a tool that ignores `format: email` (the
/// pattern alone must refuse what the server refuses): consecutive dots, a dot first or last in
/// the local part, a local part over 64.
#[tokio::test]
async fn the_documented_email_pattern_agrees_with_the_server() {
    let server = TestServer::start().await;
    let doc = server.get("/__admin/openapi.json").send().await.json();
    let schema = &doc["paths"]["/api/v2/partner/card/users"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    let email = &schema["properties"]["email"];
    let pattern_only = jsonschema::options()
        .should_validate_formats(false)
        .build(email)
        .expect("the email schema compiles");
    let long_local = "a".repeat(65);
    let cases = [
        ("a.b.c@example.com", true),
        ("o'neil+card@mail.example.co", true),
        ("a..b@example.com", false),
        (".ab@example.com", false),
        ("ab.@example.com", false),
        ("a@b..com", false),
        (&format!("{long_local}@example.com"), false),
        (&format!("{}@example.com", &long_local[1..]), true),
    ];
    for (i, (address, valid)) in cases.into_iter().enumerate() {
        assert_eq!(
            pattern_only.is_valid(&json!(address)),
            valid,
            "pattern on {address}"
        );
        let created = server
            .post("/api/v2/partner/card/users")
            .header("authorization", "Bearer sk_staging_acme")
            .header("idempotency-key", &format!("doc-email-{i}"))
            .header("x-sandbox-namespace", "openapi-email")
            .json(&card_user_body(address))
            .send()
            .await;
        assert_eq!(
            created.status == 201,
            valid,
            "server on {address}: {}",
            created.text()
        );
    }
}

/// The names `schema` requires: its own `required`, and the first alternative's of an `anyOf`
/// or `oneOf`.
fn required_of(schema: &Value) -> impl Iterator<Item = &Value> {
    let own = schema["required"].as_array().into_iter().flatten();
    let first = |of: &str| schema[of][0]["required"].as_array().into_iter().flatten();
    own.chain(first("anyOf")).chain(first("oneOf"))
}

/// Whether `schema`, or an object inside it, requires `name` (any alternative counts).
fn requires_anywhere(schema: &Value, name: &str) -> bool {
    let alternatives = ["anyOf", "oneOf"]
        .iter()
        .flat_map(|of| schema[*of].as_array().into_iter().flatten());
    schema["required"]
        .as_array()
        .is_some_and(|r| r.iter().any(|n| n == name))
        || alternatives.into_iter().any(|s| requires_anywhere(s, name))
        || schema["properties"]
            .as_object()
            .is_some_and(|p| p.values().any(|s| requires_anywhere(s, name)))
}

/// A body of exactly the fields the document calls required: a value of the documented type
/// for each (the first of an enum), nested objects filled the same way.
fn required_only(schema: &Value) -> Value {
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match schema["type"].as_str() {
        Some("object") => {
            let mut body = serde_json::Map::new();
            for name in required_of(schema) {
                let name = name.as_str().unwrap_or_default();
                body.insert(name.into(), required_only(&schema["properties"][name]));
            }
            Value::Object(body)
        }
        Some("number" | "integer") => json!(5),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ => json!("x1"),
    }
}

/// Each name the server calls missing (`X is required`, `X should not be empty`) in its answer.
fn called_missing(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for marker in [" is required", " should not be empty"] {
        for (at, _) in text.match_indices(marker) {
            let before = &text[..at];
            let start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
                .map_or(0, |i| i + 1);
            let name = before[start..].rsplit('.').next().unwrap_or_default();
            if !name.is_empty() {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// The document's required body fields are the ones the server requires: a body of just those
/// is never refused for missing another one (a client built from the document would send it).
#[tokio::test]
async fn documented_required_body_fields_are_all_the_server_requires() {
    let server = TestServer::start().await;
    let doc = server.get("/__admin/openapi.json").send().await.json();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            if !schema.is_object() || path.starts_with("/__admin") {
                continue;
            }
            let body = required_only(schema);
            let (auth, user) = match operation["tags"][0].as_str() {
                Some("coinflow") => ("coinflow_key", Some("user-1")),
                Some("persona") => ("Bearer persona_key", None),
                _ => ("Bearer sk_staging_acme", None),
            };
            let mut request = server
                .request(&method.to_ascii_uppercase(), &concrete(path))
                .header("authorization", auth)
                .header("idempotency-key", &format!("required-{checked}"))
                .header("x-sandbox-namespace", "openapi-required")
                .json(&body);
            if let Some(user) = user {
                request = request.header("x-coinflow-auth-user-id", user);
            }
            let text = request.send().await.text();
            for name in called_missing(&text) {
                assert!(
                    requires_anywhere(schema, &name),
                    "{method} {path}: the server requires {name}, the document does not ({body} -> {text})"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} bodies");
}

/// Every query parameter a vendor route documents has an example, and the server takes it: a
/// request with it is not refused for it (Bitmama's and Persona's lists refuse parameters they
/// do not take, so a documented one they do not would show).
#[tokio::test]
async fn documented_query_parameters_are_taken() {
    let server = TestServer::start().await;
    let doc = server.get("/__admin/openapi.json").send().await.json();
    // A verified withdrawer, so the user's own Coinflow routes read their query.
    let registered = server
        .post("/api/withdraw/kyc")
        .header("authorization", "coinflow_key")
        .header("x-coinflow-auth-user-id", "user-1")
        .header("x-sandbox-namespace", "openapi-query")
        .json(
            &json!({"info": {"email": "user-1@example.com", "firstName": "Jane",
            "surName": "Doe", "physicalAddress": "1 Main St", "city": "Austin", "state": "TX",
            "zip": "78701", "country": "US", "dob": "19900131", "ssn": "1234"}}),
        )
        .send()
        .await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if path.starts_with("/__admin") {
            continue;
        }
        for (method, operation) in item.as_object().expect("path item") {
            // Name, example and whether it is required.
            let query: Vec<(String, String, bool)> = (operation["parameters"].as_array())
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| {
                    let name = p["name"].as_str().expect("name").to_string();
                    let example = &p["schema"]["examples"][0];
                    let value = match example {
                        Value::String(s) => s.clone(),
                        Value::Null => panic!("{method} {path}: {name} has no example"),
                        other => other.to_string(),
                    };
                    (name, value, p["required"] == true)
                })
                .collect();
            let pair = |(name, value, _): &(String, String, bool)| {
                format!("{}={}", encode(name), encode(value))
            };
            let required: Vec<String> = query.iter().filter(|q| q.2).map(pair).collect();
            if query.is_empty() {
                continue;
            }
            let (auth, user) = match operation["tags"][0].as_str() {
                Some("coinflow") => ("coinflow_key", Some("user-1")),
                Some("persona") => ("Bearer persona_key", None),
                _ => ("Bearer sk_staging_acme", None),
            };
            // One at a time (with those required): some are taken only alone (Persona's
            // filter[note]).
            for given in &query {
                let (name, value) = (&given.0, &given.1);
                let mut sent = required.clone();
                if !given.2 {
                    sent.push(pair(given));
                }
                let mut request = server
                    .request(
                        &method.to_ascii_uppercase(),
                        &format!("{}?{}", concrete(path), sent.join("&")),
                    )
                    .header("authorization", auth)
                    .header("x-sandbox-namespace", "openapi-query");
                if let Some(user) = user {
                    request = request.header("x-coinflow-auth-user-id", user);
                }
                let answer = request.send().await;
                let text = answer.text();
                // Answered, or a record it names is not there (a card id): never refused for it.
                assert!(
                    answer.status == 200 || answer.status == 404 && !text.contains(name.as_str()),
                    "{method} {path}: {name}={value}: {text}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} routes with query parameters");
}
