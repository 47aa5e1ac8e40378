use serde_json::json;

use super::*;

/// The brief's flow end to end: inquiry approved in Persona, share token, registration, and
/// Get Withdrawer answering 451 while Persona redeems and 200 `approved` once it has.
#[tokio::test]
async fn share_token_flow_end_to_end() {
    let server = TestServer::start().await;
    let ns = "cf-flow";
    let inquiry = persona_inquiry(&server, ns, full_fields(), &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;

    let registered =
        register_share_token(&server, ns, "user123", &token, "testuser@test.com").await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    let body = registered.json();
    let id = body["withdrawer"]["_id"].as_str().unwrap().to_string();
    assert!(
        id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    let w = &body["withdrawer"];
    assert_eq!(w["currency"], "USD");
    assert_eq!(w["email"], "testuser@test.com");
    assert_eq!(w["verification"]["status"], "pending");
    assert_eq!(w["verification"]["vendor"], "persona");
    assert_eq!(w["verification"]["shareToken"], token.as_str());
    assert_eq!(w["user"], true);
    assert_eq!(persona_token_status(&server, ns, &token).await, "pending");

    // Redemption still running: 451 with a link to this server's verification page.
    let pending = as_user(&server, "GET", "/api/withdraw", ns, "user123")
        .send()
        .await;
    assert_eq!(pending.status, 451, "{}", pending.text());
    let pending = pending.json();
    assert_nest_error(&pending, 451, "/api/withdraw", "GET");
    assert!(message(&pending).contains("redeemed"), "{pending}");
    let link = pending["verificationLink"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("http://{}/ns/{ns}/coinflow/verify/", server.addr)),
        "{link}"
    );

    // The page says it waits on Persona, and asks nothing: the shared data will fill it.
    let page = server
        .get(
            link.strip_prefix(&format!("http://{}", server.addr))
                .unwrap(),
        )
        .send()
        .await
        .text();
    assert!(
        page.contains("data-status=\"pending\"") && page.contains("redeemed"),
        "{page}"
    );
    assert!(!page.contains("<input"), "{page}");

    advance(&server, ns, 2.0).await;
    assert_eq!(persona_token_status(&server, ns, &token).await, "redeemed");
    let approved = as_user(&server, "GET", "/api/withdraw/", ns, "user123")
        .send()
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    let w = &approved.json()["withdrawer"];
    assert_eq!(w["_id"], id.as_str());
    assert_eq!(w["verification"]["status"], "approved");
    assert_eq!(w["verification"]["vendor"], "persona");
    assert_eq!(w["currency"], "USD");
    assert_eq!(w["user"], true);
    assert_eq!(w["wallets"][0]["blockchain"], "user");
    assert!(
        w["wallets"][0]["wallet"]
            .as_str()
            .unwrap()
            .ends_with("ʬuser123")
    );
    assert_eq!(w["merchant"].as_str().unwrap().len(), 24);
    for list in ["bankAccounts", "cards", "ibans", "pixes", "efts"] {
        assert_eq!(w[list], json!([]), "{list}");
    }

    // Registering again answers the same withdrawer.
    let again = register_share_token(&server, ns, "user123", &token, "testuser@test.com").await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["withdrawer"]["_id"], id.as_str());
    assert_eq!(
        again.json()["withdrawer"]["verification"]["status"],
        "approved"
    );
    super::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn share_token_registration_errors() {
    let server = TestServer::start().await;
    let ns = "cf-errors";
    let inquiry = persona_inquiry(&server, ns, full_fields(), &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    let post = |user: &str, body: Value| {
        as_user(&server, "POST", "/api/withdraw/kyc/share-token", ns, user).json(&body)
    };

    let sumsub = post(
        "u1",
        json!({"vendor": "sumsub", "shareToken": token, "email": "a@b.co"}),
    )
    .send()
    .await;
    assert_eq!(sumsub.status, 400);
    assert!(
        message(&sumsub.json()).contains("persona"),
        "{}",
        sumsub.text()
    );
    for (body, needle) in [
        (
            json!({"vendor": "persona", "email": "a@b.co"}),
            "shareToken",
        ),
        (json!({"vendor": "persona", "shareToken": token}), "email"),
        (
            json!({"vendor": "persona", "shareToken": token, "email": "nope"}),
            "email",
        ),
        (
            json!({"vendor": "persona", "shareToken": token, "email": "a@b.co", "country": "usa"}),
            "country",
        ),
        (json!([1, 2]), "object"),
    ] {
        let r = post("u1", body.clone()).send().await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(
            message(&r.json()).contains(needle),
            "{needle}: {}",
            r.text()
        );
    }
    let unknown = register_share_token(&server, ns, "u1", "cnst_doesnotexist", "a@b.co").await;
    assert_eq!(unknown.status, 404, "{}", unknown.text());
    assert!(message(&unknown.json()).contains("cnst_doesnotexist"));

    // A token whose redemption went to one withdrawer cannot serve another.
    assert_eq!(
        register_share_token(&server, ns, "u1", &token, "one@b.co")
            .await
            .status,
        200
    );
    let reused = register_share_token(&server, ns, "u2", &token, "two@b.co").await;
    assert_eq!(reused.status, 409, "{}", reused.text());
    assert!(
        message(&reused.json()).to_lowercase().contains("redeemed"),
        "{}",
        reused.text()
    );

    // Another user with an email already taken.
    let token2 = share_token(&server, ns, &inquiry).await;
    let taken = register_share_token(&server, ns, "u3", &token2, "ONE@b.co").await;
    assert_eq!(taken.status, 409, "{}", taken.text());
    assert!(
        message(&taken.json()).contains("already used"),
        "{}",
        taken.text()
    );
    // ...and that refusal did not consume the token.
    assert_eq!(persona_token_status(&server, ns, &token2).await, "created");

    // An expired token.
    let expire = server
        .post(&format!("/api/v1/connect/share-tokens/{token2}/expire"))
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert!(expire.status < 300, "{}", expire.text());
    let expired = register_share_token(&server, ns, "u3", &token2, "three@b.co").await;
    assert!((400..500).contains(&expired.status), "{}", expired.text());
    assert!(
        message(&expired.json()).contains("expired"),
        "{}",
        expired.text()
    );

    // The same user id under another merchant key, or in another namespace, is someone else.
    let other_key = server
        .get("/api/withdraw")
        .header("authorization", "another_merchant_key")
        .header("x-coinflow-auth-user-id", "u1")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(other_key.status, 401);
    let other_ns = as_user(&server, "GET", "/api/withdraw", "cf-elsewhere", "u1")
        .send()
        .await;
    assert_eq!(other_ns.status, 401);
    super::schema::assert_bodies_valid(&server).await;
}

/// Source inquiry lacking address and birthdate: Get Withdrawer names the missing fields and
/// links to a form; submitting it completes the verification.
#[tokio::test]
async fn missing_fields_form_completes_the_verification() {
    let server = TestServer::start().await;
    let ns = "cf-missing";
    let fields = json!({"name-first": "Jane", "name-last": "Doe", "address-country-code": "US"});
    let inquiry = persona_inquiry(&server, ns, fields, &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    assert_eq!(
        register_share_token(&server, ns, "u1", &token, "jane@x.io")
            .await
            .status,
        200
    );
    advance(&server, ns, 2.0).await;

    let missing = as_user(
        &server,
        "GET",
        "/api/withdraw?redirectLink=https%3A%2F%2Fapp.example%2Fdone",
        ns,
        "u1",
    )
    .send()
    .await;
    assert_eq!(missing.status, 451, "{}", missing.text());
    let body = missing.json();
    let msg = message(&body);
    for name in ["dob", "physicalAddress", "city", "state", "zip"] {
        assert!(msg.contains(name), "{name}: {msg}");
    }
    assert!(!msg.contains("firstName"), "{msg}");
    assert_eq!(body["redirectLink"], "https://app.example/done");
    let link = body["verificationLink"].as_str().unwrap().to_string();
    assert!(
        !link.contains('?'),
        "the redirect stays on the server: {link}"
    );
    let path = link
        .strip_prefix(&format!("http://{}", server.addr))
        .unwrap();

    let page = server.get(path).send().await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text();
    assert!(
        html.contains("name=\"dob\"") && html.contains("name=\"zip\""),
        "{html}"
    );
    assert!(!html.contains("name=\"firstName\""), "{html}");
    let form_path = path;

    // Invalid input changes nothing and says what is wrong.
    let bad = server
        .post(form_path)
        .form(&[
            ("dob", "31/01/1990"),
            ("physicalAddress", "1 Main St"),
            ("city", "Austin"),
            ("state", "TX"),
            ("zip", "78701"),
        ])
        .send()
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("Date of birth"), "{}", bad.text());
    assert_eq!(
        as_user(&server, "GET", "/api/withdraw", ns, "u1")
            .send()
            .await
            .status,
        451
    );

    let good = server
        .post(form_path)
        .form(&[
            ("dob", "19900131"),
            ("physicalAddress", "1 Main St"),
            ("city", "Austin"),
            ("state", "TX"),
            ("zip", "78701"),
            // A form cannot choose where it goes: the merchant's redirectLink wins.
            ("redirectLink", "https://evil.test/phish"),
        ])
        .send()
        .await;
    assert_eq!(good.status, 303, "{}", good.text());
    assert_eq!(good.header("location"), Some("https://app.example/done"));
    let done = as_user(&server, "GET", "/api/withdraw", ns, "u1")
        .send()
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(
        done.json()["withdrawer"]["verification"]["status"],
        "approved"
    );
    assert!(
        server
            .get(form_path)
            .send()
            .await
            .text()
            .contains("data-status=\"approved\"")
    );
    super::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn unknown_verification_page_is_404() {
    let server = TestServer::start().await;
    let r = server.get("/coinflow/verify/nope").send().await;
    assert_eq!(r.status, 404);
    assert!(r.text().contains("not found"));
    super::schema::assert_bodies_valid(&server).await;
}

/// A source inquiry's birthdate that Coinflow's own KYC body would refuse (here one Persona
/// takes, a date, but after today) counts as missing: Get Withdrawer asks for it (451) instead
/// of approving a withdrawer without a date of birth.
#[tokio::test]
async fn an_invalid_birthdate_in_the_source_is_asked_for_again() {
    let server = TestServer::start().await;
    let ns = "cf-bad-dob";
    let mut fields = full_fields();
    fields["birthdate"] = json!("2099-01-01");
    let inquiry = persona_inquiry(&server, ns, fields, &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    let registered = register_share_token(&server, ns, "u1", &token, "dob@x.io").await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    advance(&server, ns, 2.0).await;
    let got = as_user(&server, "GET", "/api/withdraw", ns, "u1")
        .send()
        .await;
    assert_eq!(got.status, 451, "{}", got.text());
    let msg = message(&got.json());
    assert!(msg.contains("dob") && !msg.contains("city"), "{msg}");
}

/// A token whose source inquiry was redacted has nothing left to share: registration is refused
/// (400, as an expired token's) before anything is made, and the token stays unredeemed.
#[tokio::test]
async fn a_token_of_a_redacted_source_is_refused() {
    let server = TestServer::start().await;
    let ns = "cf-redacted-source";
    let inquiry = persona_inquiry(&server, ns, full_fields(), &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    let redacted = server
        .request("DELETE", &format!("/api/v1/inquiries/{inquiry}"))
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(redacted.status, 200, "{}", redacted.text());
    let refused = register_share_token(&server, ns, "u1", &token, "gone@x.io").await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(
        message(&refused.json()).contains("redacted"),
        "{}",
        refused.text()
    );
    assert_eq!(persona_token_status(&server, ns, &token).await, "created");
}

/// A token whose source inquiry was declined after it was shared names an applicant who is not
/// approved: registration is refused with the spec's 400 before anything is made (no withdrawer,
/// so no `KYC Created`; the token unredeemed). A source still in review is not decided yet, and
/// registers as pending, as before.
#[tokio::test]
async fn a_token_of_a_declined_source_is_refused() {
    let server = TestServer::start().await;
    let ns = "cf-declined-source";
    let completed = ["start_inquiry", "complete_inquiry"];
    let inquiry = persona_inquiry(&server, ns, full_fields(), &completed).await;
    let token = share_token(&server, ns, &inquiry).await;
    let declined = (server)
        .persona(
            ns,
            "POST",
            &format!("/api/v1/inquiries/{inquiry}/decline"),
            None,
        )
        .await;
    assert_eq!(declined.status, 200, "{}", declined.text());
    let refused = register_share_token(&server, ns, "u1", &token, "u1@test.com").await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_nest_error(
        &refused.json(),
        400,
        "/api/withdraw/kyc/share-token",
        "POST",
    );
    let msg = message(&refused.json());
    assert!(
        msg.contains("not approved") && msg.contains("declined") && msg.contains(&inquiry),
        "{msg}"
    );
    assert_eq!(persona_token_status(&server, ns, &token).await, "created");
    let none = as_user(&server, "GET", "/api/withdraw", ns, "u1")
        .send()
        .await;
    assert_eq!(none.status, 401, "{}", none.text());

    let reviewed = persona_inquiry(&server, ns, full_fields(), &completed).await;
    let token = share_token(&server, ns, &reviewed).await;
    let review = server
        .post(&format!(
            "/api/v1/inquiries/{reviewed}/perform-simulate-actions"
        ))
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .json(&json!({"meta": {"simulate-actions": [{"type": "mark_for_review_inquiry"}]}}))
        .send()
        .await;
    assert_eq!(review.status, 200, "{}", review.text());
    let pending = register_share_token(&server, ns, "u2", &token, "u2@test.com").await;
    assert_eq!(pending.status, 200, "{}", pending.text());
    assert_eq!(
        pending.json()["withdrawer"]["verification"]["status"],
        "pending"
    );
    super::schema::assert_bodies_valid(&server).await;
}

/// A source redacted while its token is being redeemed leaves nothing to share: the token ends
/// `expired`, never `redeemed`, and the withdrawer stays pending with Get Withdrawer naming the
/// redaction, not asking for every field.
#[tokio::test]
async fn a_source_redacted_during_redemption_leaves_the_token_unredeemed() {
    let server = TestServer::start().await;
    let ns = "cf-redacted-midway";
    let inquiry = persona_inquiry(&server, ns, full_fields(), &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    let registered = register_share_token(&server, ns, "u1", &token, "u1@test.com").await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    assert_eq!(persona_token_status(&server, ns, &token).await, "pending");
    let redacted = server
        .request("DELETE", &format!("/api/v1/inquiries/{inquiry}"))
        .header("authorization", PERSONA_KEY)
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(redacted.status, 200, "{}", redacted.text());
    advance(&server, ns, 3.0).await;

    let got = (server)
        .persona(
            ns,
            "GET",
            &format!("/api/v1/connect/share-tokens/{token}"),
            None,
        )
        .await
        .json();
    let attributes = &got["data"]["attributes"];
    assert_eq!(attributes["status"], "expired", "{got}");
    assert!(attributes["redeemed-at"].is_null(), "{got}");
    let pending = as_user(&server, "GET", "/api/withdraw", ns, "u1")
        .send()
        .await;
    assert_eq!(pending.status, 451, "{}", pending.text());
    let msg = message(&pending.json());
    assert!(
        msg.contains("redacted") && msg.contains(&inquiry) && !msg.contains("firstName"),
        "{msg}"
    );
}

/// A withdrawer a share token verifies is approved when the redemption finished, however far
/// past it the clock was moved: its `updatedAt` and its `KYC Success` say when.
#[tokio::test]
async fn a_share_token_approval_is_stamped_when_the_redemption_finished() {
    let (mut sink, server) = super::hooked_server("/hook").await;
    let ns = "cf-token-time";
    let inquiry = persona_inquiry(&server, ns, full_fields(), &APPROVE).await;
    let token = share_token(&server, ns, &inquiry).await;
    let registered = register_share_token(&server, ns, "stamped", &token, "st@test.com").await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    advance(&server, ns, 86_400.0).await;
    let success = sink
        .next_matching(|h| h.json()["eventType"] == "KYC Success")
        .await
        .json();
    let got = persona_share_token(&server, ns, &token).await;
    let redeemed_at = got["data"]["attributes"]["redeemed-at"].clone();
    assert!(redeemed_at.is_string(), "{got}");
    assert_eq!(success["created"], redeemed_at, "{success}");
    let approved = as_user(&server, "GET", "/api/withdraw", ns, "stamped")
        .send()
        .await;
    assert_eq!(approved.json()["withdrawer"]["updatedAt"], redeemed_at);
}
