//! The headers every page gets: a page not meant to be embedded refuses every frame, so no other
//! site can overlay its buttons (an inquiry's "Pass and approve", with seeded, guessable ids).
//! Pages made to be framed (the Persona SDK's `/widget`, Coinflow's) are tested with them.

use serde_json::json;

use crate::harness::TestServer;

#[tokio::test]
async fn hosted_pages_refuse_to_be_framed() {
    let server = TestServer::start().await;
    let id = server.create_inquiry("framing", json!({})).await;
    for path in [
        format!("/ns/framing/verify?inquiry-id={id}"),
        "/ns/framing/verify?inquiry-id=inq_unknown".to_string(),
        "/ns/framing/bitmama/kyc/return".to_string(),
    ] {
        let page = server.get(&path).send().await;
        assert!(
            page.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path}: {}",
            page.text()
        );
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}
