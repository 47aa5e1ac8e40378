//! `GET /__admin/openapi.json` covers every route: each admin route (`admin::ROUTES`) and each row
//! of every vendor's route table is in it, and each route in it is one the server answers (not its
//! "no route" 404).

use serde_json::Value;

use crate::harness::TestServer;

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
            let concrete = path
                .replace("{action}", "approve")
                .split('/')
                .map(|s| if s.starts_with('{') { "x1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
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
