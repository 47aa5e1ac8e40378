//! Where the return page sends the browser: `referenceId` in the redirect URL's query, before
//! its fragment, once.

use super::*;

/// Finishes the hosted flow of `verification_url` and follows it to the return page; its
/// `Location`.
async fn returned_to(server: &TestServer, verification_url: &str) -> String {
    let done = server
        .post(&format!("/verify/{}", inquiry_of(verification_url)))
        .form(&[("outcome", "approve")])
        .send()
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    let back = done.header("location").expect("location").to_string();
    let returned = server.get(&local_path(server, &back)).send().await;
    assert_eq!(returned.status, 303, "{}", returned.text());
    returned.header("location").expect("location").to_string()
}

#[tokio::test]
async fn the_reference_id_goes_before_the_fragment_and_is_never_repeated() {
    let server = TestServer::start().await;
    let cases = [
        (
            "https://app.example.com/kyc/done#result",
            "https://app.example.com/kyc/done?referenceId={}#result",
        ),
        (
            "https://app.example.com/kyc?tab=id#step-2",
            "https://app.example.com/kyc?tab=id&referenceId={}#step-2",
        ),
        (
            "https://app.example.com/kyc?referenceId=placeholder&tab=id",
            "https://app.example.com/kyc?tab=id&referenceId={}",
        ),
    ];
    for (n, (redirect_url, expected)) in cases.into_iter().enumerate() {
        let body = body_with(json!({
            "email": format!("redirect{n}@example.com"),
            "redirectUrl": redirect_url,
        }));
        let (service_id, url) = create_user(&server, ACME, body).await;
        assert_eq!(
            returned_to(&server, &url).await,
            expected.replace("{}", &service_id),
            "{redirect_url}"
        );
    }
    // The partner profile's redirect URL, the same way.
    let res = post(
        &server,
        GLOBEX,
        "/api/v1/partner/profile/redirect-url",
        json!({"redirectUrl": "https://partner.example.com/done#kyc"}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let (service_id, url) = create_user(&server, GLOBEX, brief_body()).await;
    assert_eq!(
        returned_to(&server, &url).await,
        format!("https://partner.example.com/done?referenceId={service_id}#kyc")
    );
}
