//! Each vendor's `ROUTES` list (used for the OpenAPI description) names only routes its route
//! table really answers: none of them gets the vendor's "no route" 404.

use vendor_sandbox::vendors::{Vendor, routes};

use crate::harness::TestServer;

#[tokio::test]
async fn every_listed_route_is_routed() {
    let server = TestServer::start().await;
    for vendor in Vendor::ALL {
        for (method, template) in routes(vendor) {
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
}

#[test]
fn routes_are_listed_once_and_owned_by_their_vendor() {
    for vendor in Vendor::ALL {
        let list = routes(vendor);
        for (i, (method, template)) in list.iter().enumerate() {
            assert_eq!(
                Vendor::owning(template),
                Some(vendor),
                "{method} {template} belongs to another owner"
            );
            assert!(
                !list[i + 1..].contains(&(method, template)),
                "{method} {template} listed twice"
            );
        }
    }
}
