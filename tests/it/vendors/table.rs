//! Every row of every vendor's route table is answered by its handler: none of them gets the
//! vendor's "no route" 404. (That each row is owned by its vendor and written once is a unit test
//! next to the table type.)

use serde_json::json;
use vendor_sandbox::vendors;

use crate::harness::{PERSONA_KEY, TestServer, card_user_body};

#[tokio::test]
async fn every_listed_route_is_routed() {
    let server = TestServer::start().await;
    for (vendor, route) in vendors::all_routes() {
        let (method, template) = (route.method, route.path);
        // Any id will do: an unknown one is the route's own 404, not the route table's.
        let path: String = template
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let response = server
            .request(method, &path)
            .header("authorization", "Bearer sk_staging_routes")
            .header("x-coinflow-auth-user-id", "routes")
            .header("idempotency-key", "b0b0b0b0-0000-4000-8000-000000000000")
            .send()
            .await;
        let text = response.text();
        let no_route = format!("No route for {method} {path}");
        let nest_404 = format!("Cannot {method} {path}");
        assert!(
            !(response.status == 404 && (text.contains(&no_route) || text.contains(&nest_404))),
            "{vendor} lists {method} {template} but does not route it: {text}"
        );
    }
}

/// A HEAD is answered by the route's GET, headers without the body, as the vendors' own
/// servers answer it; a HEAD where there is no GET is still no route.
#[tokio::test]
async fn head_is_the_get_without_its_body() {
    let server = TestServer::start().await;
    for (path, auth) in [
        ("/api/merchant/withdraws/payout/balance", "coinflow_key"),
        ("/api/v1/inquiries", "Bearer persona_key"),
        ("/api/v1/partner/wallet", "Bearer sk_staging_head"),
    ] {
        let get = server.get(path).header("authorization", auth).send().await;
        let head = server
            .request("HEAD", path)
            .header("authorization", auth)
            .send()
            .await;
        assert_eq!(get.status, 200, "{path}: {}", get.text());
        assert_eq!(head.status, 200, "{path}");
        assert!(head.body.is_empty(), "{path}: no body");
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
    }
    let no_get = server
        .request("HEAD", "/api/withdraw/kyc/attested")
        .header("authorization", "coinflow_key")
        .send()
        .await;
    assert_eq!(no_get.status, 404);
}

/// Path parameters are percent-decoded, as Express and Rails decode them (SDKs send ids through
/// `encodeURIComponent`); an escape that is not `%` and two hex digits, or not UTF-8, is 400 in
/// the vendor's envelope naming the parameter, before anything runs.
#[tokio::test]
async fn path_parameters_are_percent_decoded() {
    let server = TestServer::start().await;
    let view = server.get("/merchant/view/my%20merchant").send().await;
    assert_eq!(view.json()["merchantId"], "my merchant", "{}", view.text());

    let inquiry = server.create_inquiry("default", json!({})).await;
    let encoded = inquiry.replacen('_', "%5F", 1);
    let read = server
        .get(&format!("/api/v1/inquiries/{encoded}"))
        .header("authorization", PERSONA_KEY)
        .send()
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["data"]["id"], inquiry.as_str());

    let created = server
        .post("/api/v2/partner/card/users")
        .header("authorization", "Bearer sk_staging_acme")
        .header("idempotency-key", "decode-1")
        .json(&card_user_body("decode@example.com"))
        .send()
        .await;
    let service_id = created.json()["data"]["serviceId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let deleted = server
        .request(
            "DELETE",
            &format!(
                "/api/v1/partner/card/users/{}",
                service_id.replace('-', "%2D")
            ),
        )
        .header("authorization", "Bearer sk_staging_acme")
        .header("idempotency-key", "decode-2")
        .send()
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());

    for (vendor, path) in [
        ("persona", format!("/api/v1/inquiries/{inquiry}%zz")),
        ("coinflow", "/merchant/view/a%FFb".to_string()),
        ("bitmama", "/api/v1/partner/card/users/x%2".to_string()),
    ] {
        let refused = server
            .request(if vendor == "bitmama" { "DELETE" } else { "GET" }, &path)
            .header("authorization", PERSONA_KEY)
            .send()
            .await;
        assert_eq!(refused.status, 400, "{vendor}: {}", refused.text());
        let message = crate::server::envelope_message(vendor, 400, &refused.json());
        assert!(
            message.starts_with("Failed to decode param"),
            "{vendor}: {message}"
        );
    }
}
