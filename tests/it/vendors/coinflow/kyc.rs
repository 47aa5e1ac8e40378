use serde_json::json;

use super::*;

#[tokio::test]
async fn auth_is_required_and_checked() {
    let server = TestServer::start().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("x-coinflow-auth-user-id", "u1")], "Authorization"),
        (
            vec![
                ("authorization", "Bearer k"),
                ("x-coinflow-auth-user-id", "u1"),
            ],
            "Bearer",
        ),
        (vec![("authorization", KEY)], "x-coinflow-auth-user-id"),
        (
            vec![("authorization", KEY), ("x-coinflow-auth-wallet", "0xabc")],
            "x-coinflow-auth-blockchain",
        ),
        (
            vec![
                ("authorization", KEY),
                ("x-coinflow-auth-wallet", "0xabc"),
                ("x-coinflow-auth-blockchain", "dogecoin"),
            ],
            "dogecoin",
        ),
    ];
    for (path, method) in [
        ("/api/withdraw", "GET"),
        ("/api/withdraw/kyc/share-token", "POST"),
        ("/api/withdraw/kyc", "POST"),
        ("/api/withdraw/kyc/attested", "POST"),
    ] {
        for (headers, needle) in &cases {
            let mut request = server.request(method, path);
            for (n, v) in headers {
                request = request.header(n, v);
            }
            let response = request.json(&json!({})).send().await;
            assert_eq!(
                response.status,
                401,
                "{path} {headers:?}: {}",
                response.text()
            );
            let body = response.json();
            assert_nest_error(&body, 401, path, method);
            assert!(message(&body).contains(needle), "{needle}: {body}");
        }
    }
    // Credentials without a withdrawer.
    let none = as_user(&server, "GET", "/api/withdraw", "cf-auth", "nobody")
        .send()
        .await;
    assert_eq!(none.status, 401);
    assert!(
        message(&none.json()).starts_with("No withdrawer associated with"),
        "{}",
        none.text()
    );
    // Unknown Coinflow route: NestJS's 404 in the same envelope.
    let unknown = server.get("/api/withdraw/nothing-here").send().await;
    assert_eq!(unknown.status, 404);
    assert_nest_error(&unknown.json(), 404, "/api/withdraw/nothing-here", "GET");
    super::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn kyc_us_info_document_and_attested() {
    let server = TestServer::start().await;
    let ns = "cf-kyc";
    let us = as_user(&server, "POST", "/api/withdraw/kyc", ns, "us-user")
        .json(&us_info("us@x.io"))
        .send()
        .await;
    assert_eq!(us.status, 200, "{}", us.text());
    assert_eq!(
        us.json()["withdrawer"]["verification"]["status"],
        "approved"
    );
    let again = as_user(&server, "POST", "/api/withdraw/kyc", ns, "us-user")
        .json(&us_info("us@x.io"))
        .send()
        .await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_nest_error(&again.json(), 409, "/api/withdraw/kyc", "POST");

    // Each validation failure names the field.
    for (field, value) in [
        ("dob", json!("1990-13-45")),
        ("dob", json!("20990101")),
        ("country", json!("usa")),
        ("ssn", json!("12")),
        ("state", json!("T")),
        ("email", json!("not-an-email")),
        ("firstName", json!("")),
        ("zip", json!(78701)),
    ] {
        let mut body = us_info("v@x.io");
        body["info"][field] = value;
        let r = as_user(&server, "POST", "/api/withdraw/kyc", ns, "v-user")
            .json(&body)
            .send()
            .await;
        assert_eq!(r.status, 400, "{field}: {}", r.text());
        assert!(
            message(&r.json()).contains(&format!("info.{field}")),
            "{field}: {}",
            r.text()
        );
    }
    assert_eq!(
        as_user(&server, "GET", "/api/withdraw", ns, "v-user")
            .send()
            .await
            .status,
        401
    );

    // Document verification: 451 with the link; the page finishes it.
    let doc = as_user(&server, "POST", "/api/withdraw/kyc", ns, "doc-user")
        .json(&json!({"email": "doc@x.io", "country": "DE"}))
        .send()
        .await;
    assert_eq!(doc.status, 451, "{}", doc.text());
    let link = doc.json()["verificationLink"].as_str().unwrap().to_string();
    assert_eq!(
        as_user(&server, "GET", "/api/withdraw", ns, "doc-user")
            .send()
            .await
            .status,
        451
    );
    let path = link
        .strip_prefix(&format!("http://{}", server.addr))
        .unwrap()
        .to_string();
    let html = server.get(&path).send().await.text();
    assert!(
        html.contains("name=\"firstName\"") && !html.contains("name=\"country\""),
        "{html}"
    );
    let submitted = server
        .post(&path)
        .form(&[
            ("firstName", "Max"),
            ("surName", "M"),
            ("dob", "1980-02-02"),
            ("physicalAddress", "Hauptstr. 1"),
            ("city", "Berlin"),
            ("state", "BE"),
            ("zip", "10115"),
        ])
        .send()
        .await;
    assert_eq!(submitted.status, 303, "{}", submitted.text());
    let done = as_user(&server, "GET", "/api/withdraw", ns, "doc-user")
        .send()
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(done.json()["withdrawer"]["country"], "DE");

    // Attested.
    let attested_body = json!({"email": "att@x.io", "firstName": "A", "surName": "T",
        "physicalAddress": "2 Side St", "city": "Reno", "state": "NV", "zip": "89501",
        "country": "US", "dob": "19700101"});
    let mut bad = attested_body.clone();
    bad["country"] = json!("U1");
    let r = as_user(
        &server,
        "POST",
        "/api/withdraw/kyc/attested",
        ns,
        "att-user",
    )
    .json(&bad)
    .send()
    .await;
    assert_eq!(r.status, 400);
    assert!(message(&r.json()).starts_with("country"), "{}", r.text());
    let att = as_user(
        &server,
        "POST",
        "/api/withdraw/kyc/attested",
        ns,
        "att-user",
    )
    .json(&attested_body)
    .send()
    .await;
    assert_eq!(att.status, 200, "{}", att.text());
    // The spec's status enum has no `attested`: approved, with `attested: true`.
    assert_eq!(
        att.json()["withdrawer"]["verification"]["status"],
        "approved"
    );
    assert_eq!(att.json()["withdrawer"]["verification"]["attested"], true);
    let got = as_user(&server, "GET", "/api/withdraw", ns, "att-user")
        .send()
        .await
        .json();
    assert_eq!(got["withdrawer"]["verification"]["attested"], true);
    let dup = as_user(
        &server,
        "POST",
        "/api/withdraw/kyc/attested",
        ns,
        "att-user",
    )
    .json(&attested_body)
    .send()
    .await;
    assert_eq!(dup.status, 409);

    // Wallet + blockchain identity works the same way.
    let wallet = server
        .post("/api/withdraw/kyc")
        .header("authorization", KEY)
        .header("x-coinflow-auth-wallet", "So1anaWa11et")
        .header("x-coinflow-auth-blockchain", "solana")
        .header("x-sandbox-namespace", ns)
        .json(&us_info("wallet@x.io"))
        .send()
        .await;
    assert_eq!(wallet.status, 200, "{}", wallet.text());
    super::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn magic_review_and_pending_emails_are_a_review_only_a_reviewer_ends() {
    let server = TestServer::start().await;
    let ns = "cf-magic";
    for (user, email) in [
        ("m1", "hold+pending@x.io"),
        ("m3", "look+review@x.io"),
        ("m5", "face+selfie@x.io"),
    ] {
        let r = as_user(&server, "POST", "/api/withdraw/kyc", ns, user)
            .json(&us_info(email))
            .send()
            .await;
        assert_eq!(r.status, 451, "{}", r.text());
        assert!(message(&r.json()).contains("manual review"), "{}", r.text());
        let id = r.json()["withdrawer"]["_id"].as_str().unwrap().to_string();
        let link = r.json()["verificationLink"].as_str().unwrap().to_string();
        let path = link
            .strip_prefix(&format!("http://{}", server.addr))
            .unwrap()
            .to_string();
        // The page says so and offers nothing to confirm.
        let page = server.get(&path).send().await.text();
        assert!(page.contains("data-status=\"pending\""), "{page}");
        assert!(page.contains("manual review"), "{page}");
        assert!(!page.contains("<form"), "{page}");
        // Posting to it anyway, empty or with every field, changes nothing.
        let every_field = [
            ("firstName", "A"),
            ("surName", "B"),
            ("dob", "1990-01-01"),
            ("physicalAddress", "1 Main"),
            ("city", "NYC"),
            ("state", "NY"),
            ("zip", "10001"),
            ("country", "US"),
        ];
        for form in [&[][..], &every_field[..]] {
            assert_eq!(server.post(&path).form(form).send().await.status, 303);
            let got = as_user(&server, "GET", "/api/withdraw", ns, user)
                .send()
                .await;
            assert_eq!(got.status, 451, "{}", got.text());
        }
        // The reviewer approves it.
        let verified = server
            .post(&format!("/__admin/withdrawers/{id}/verify"))
            .header("x-sandbox-namespace", ns)
            .send()
            .await;
        assert_eq!(verified.status, 200, "{}", verified.text());
        let got = as_user(&server, "GET", "/api/withdraw", ns, user)
            .send()
            .await;
        assert_eq!(got.status, 200, "{}", got.text());
    }

    // Or rejects it: a 451 with the reason from then on, and it stays decided.
    let held = as_user(&server, "POST", "/api/withdraw/kyc", ns, "m4")
        .json(&us_info("doubt+review@x.io"))
        .send()
        .await;
    let id = held.json()["withdrawer"]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let decide = |action: &'static str| {
        server
            .post(&format!("/__admin/withdrawers/{id}/{action}"))
            .header("x-sandbox-namespace", ns)
            .send()
    };
    let refused = decide("reject").await;
    assert_eq!(refused.status, 200, "{}", refused.text());
    assert_eq!(refused.json()["status"], "rejected");
    let got = as_user(&server, "GET", "/api/withdraw", ns, "m4")
        .send()
        .await;
    assert_eq!(got.status, 451, "{}", got.text());
    assert_eq!(got.json()["verification"]["status"], "rejected");
    assert!(
        got.json()["rejectionReasons"][0]
            .as_str()
            .is_some_and(|r| r.contains("reviewer")),
        "{}",
        got.text()
    );
    assert_eq!(decide("verify").await.status, 409, "decided already");

    let rejected = as_user(&server, "POST", "/api/withdraw/kyc", ns, "m2")
        .json(&us_info("no+rejected@x.io"))
        .send()
        .await;
    assert_eq!(
        rejected.json()["withdrawer"]["verification"]["status"],
        "rejected"
    );
    super::schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn session_key_authenticates_alone_for_24_hours() {
    let server = TestServer::start().await;
    let ns = "cf-session";
    let registered = as_user(&server, "POST", "/api/withdraw/kyc", ns, "s1")
        .json(&us_info("s1@x.io"))
        .send()
        .await;
    assert_eq!(registered.status, 200);
    let issued = as_user(&server, "GET", "/api/auth/session-key", ns, "s1")
        .send()
        .await;
    assert_eq!(issued.status, 200, "{}", issued.text());
    let key = issued.json()["key"].as_str().unwrap().to_string();
    let with_session = |key: &str| {
        server
            .get("/api/withdraw")
            .header("x-coinflow-auth-session-key", key)
            .header("x-sandbox-namespace", ns)
    };
    let got = with_session(&key).send().await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json()["withdrawer"]["email"], "s1@x.io");
    let bogus = with_session("cfsk_bogus").send().await;
    assert_eq!(bogus.status, 401);
    assert!(message(&bogus.json()).contains("Invalid session key"));
    advance(&server, ns, 24.0 * 3600.0).await;
    let expired = with_session(&key).send().await;
    assert_eq!(expired.status, 401);
    assert!(
        message(&expired.json()).contains("expired"),
        "{}",
        expired.text()
    );
    // Issuing one needs the merchant credentials.
    let refused = server
        .get("/api/auth/session-key")
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(refused.status, 401);
    super::schema::assert_bodies_valid(&server).await;
}

/// The age check reads the namespace's sandbox clock, as card expiry does: someone 18 in ten
/// days is refused, and accepted once the clock has moved eleven days on.
#[tokio::test]
async fn a_minor_becomes_an_adult_on_the_sandbox_clock() {
    let server = TestServer::start().await;
    let ns = "cf-dob-clock";
    let clock = server
        .get("/__admin/clock")
        .header("x-sandbox-namespace", ns)
        .send()
        .await
        .json();
    let now = chrono::DateTime::parse_from_rfc3339(clock["now"].as_str().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{clock}: {e}"));
    let birthday = (now.date_naive() + chrono::Days::new(10))
        .checked_sub_months(chrono::Months::new(18 * 12))
        .expect("a date 18 years back");
    let mut body = us_info("teen@x.io");
    body["info"]["dob"] = json!(birthday.format("%Y%m%d").to_string());
    let register = || {
        as_user(&server, "POST", "/api/withdraw/kyc", ns, "teen")
            .json(&body)
            .send()
    };
    let minor = register().await;
    assert_eq!(minor.status, 400, "{}", minor.text());
    assert!(
        message(&minor.json())
            .contains("info.dob must be the date of birth of someone 18 or older"),
        "{}",
        minor.text()
    );
    advance(&server, ns, 11.0 * 86_400.0).await;
    let adult = register().await;
    assert_eq!(adult.status, 200, "{}", adult.text());
    assert_eq!(
        adult.json()["withdrawer"]["verification"]["status"],
        "approved"
    );
    super::schema::assert_bodies_valid(&server).await;
}
