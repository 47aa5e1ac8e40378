//! Inquiries: create (shape, template kinds, refusals), list (cursor pages, filters, links).

use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn create_answers_the_spec_shape_and_keeps_what_was_sent() {
    let p = Persona::start().await;
    let body = p
        .create(json!({
            "reference-id": "user-42",
            "note": "from the test",
            "tags": ["vip", "test"],
            "redirect-uri": "https://app.example/done",
            "fields": {"name-first": "Jane", "birthdate": "1995-09-08", "address-country-code": "US"},
        }))
        .await;
    let data = &body["data"];
    assert_eq!(data["type"], "inquiry");
    assert!(
        is_persona_id(data["id"].as_str().unwrap_or(""), "inq_"),
        "{data}"
    );
    let attrs = &data["attributes"];
    assert_eq!(attrs["status"], "created");
    assert_eq!(attrs["reference-id"], "user-42");
    assert_eq!(attrs["note"], "from the test");
    assert_eq!(attrs["tags"], json!(["vip", "test"]));
    assert_eq!(attrs["name-first"], "Jane");
    assert_eq!(
        attrs["fields"]["name-first"],
        json!({"type": "string", "value": "Jane"})
    );
    assert_eq!(
        attrs["fields"]["birthdate"],
        json!({"type": "date", "value": "1995-09-08"})
    );
    assert!(
        is_iso_ms(&attrs["created-at"]) && is_iso_ms(&attrs["updated-at"]),
        "{attrs}"
    );
    // Every attribute of the spec's inquiry schema is present, null where unknown.
    for key in [
        "status",
        "reference-id",
        "note",
        "behaviors",
        "tags",
        "creator",
        "reviewer-comment",
        "created-at",
        "updated-at",
        "started-at",
        "completed-at",
        "failed-at",
        "marked-for-review-at",
        "decisioned-at",
        "expired-at",
        "redacted-at",
        "previous-step-name",
        "next-step-name",
        "name-first",
        "name-middle",
        "name-last",
        "birthdate",
        "address-street-1",
        "address-street-2",
        "address-city",
        "address-subdivision",
        "address-subdivision-abbr",
        "address-postal-code",
        "address-postal-code-abbr",
        "social-security-number",
        "identification-number",
        "email-address",
        "phone-number",
        "fields",
    ] {
        assert!(attrs.get(key).is_some(), "attribute {key} missing: {attrs}");
    }
    assert!(attrs["started-at"].is_null() && attrs["redacted-at"].is_null());
    let rels = &data["relationships"];
    for key in [
        "account",
        "template",
        "inquiry-template",
        "inquiry-template-version",
        "transaction",
        "reviewer",
        "reports",
        "verifications",
        "sessions",
        "documents",
        "selfies",
    ] {
        assert!(
            rels[key].get("data").is_some(),
            "relationship {key} missing: {rels}"
        );
    }
    assert_eq!(
        rels["inquiry-template"]["data"],
        json!({"type": "inquiry-template", "id": "itmpl_sandbox"})
    );
    assert_eq!(rels["verifications"]["data"], json!([]));
    assert_eq!(body["included"], json!([]));

    let retrieved = p.get(&format!("/api/v1/inquiries/{}", id_of(&body))).await;
    assert_eq!(retrieved.status, 200);
    assert_eq!(retrieved.json()["data"], body["data"]);
}

#[tokio::test]
async fn create_takes_any_one_template_kind() {
    let p = Persona::start().await;
    for (key, id, rel) in [
        ("template-id", "tmpl_legacy", "template"),
        (
            "inquiry-template-version-id",
            "itmplv_v1",
            "inquiry-template-version",
        ),
    ] {
        let response = p
            .post(
                "/api/v1/inquiries",
                &json!({"data": {"attributes": {key: id}}}),
            )
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        assert_eq!(
            response.json()["data"]["relationships"][rel]["data"]["id"],
            id
        );
    }
}

#[tokio::test]
async fn create_refuses_bad_bodies_naming_the_field() {
    let p = Persona::start().await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"data": {"attributes": {"reference-id": "x"}}}),
            422,
            "inquiry-template-id",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a", "template-id": "tmpl_b"}}}),
            422,
            "only one",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "tmpl_a"}}}),
            422,
            "itmpl_",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a"}}, "extra": 1}),
            400,
            "\"extra\"",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a"}, "id": "x"}}),
            400,
            "\"id\"",
        ),
        (json!({"data": {}}), 400, "data.attributes"),
        (json!({"meta": {}}), 400, "data is required"),
        // A birthdate is a date (the spec's `format: date`), whichever route brings it.
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a",
                "fields": {"birthdate": "1990-13-45"}}}}),
            400,
            "fields.birthdate must be a date",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a", "note": 5}}}),
            400,
            "note",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a", "tags": [1]}}}),
            400,
            "tags",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a", "fields": "x"}}}),
            400,
            "fields",
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a"}}, "meta": {"bogus": 1}}),
            400,
            "bogus",
        ),
        (json!([1]), 400, "JSON object"),
        // The same key in two casings: which to keep would be a guess, so both are named.
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a",
                "inquiryTemplateId": "itmpl_b"}}}),
            400,
            r#"data.attributes has both "inquiry-template-id" and "inquiryTemplateId""#,
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a",
                "fields": {"name_first": "A", "nameFirst": "B"}}}}),
            400,
            r#"data.attributes.fields has both "nameFirst" and "name_first""#,
        ),
        (
            json!({"data": {"attributes": {"inquiry-template-id": "itmpl_a"}},
                "meta": {"autoCreateAccount": true, "auto_create_account": false}}),
            400,
            r#"meta has both "autoCreateAccount" and "auto_create_account""#,
        ),
        (
            json!({"Data": {}, "data": {"attributes": {"inquiry-template-id": "itmpl_a"}}}),
            400,
            r#"The request body has both "Data" and "data""#,
        ),
    ];
    for (body, status, needle) in cases {
        let response = p.post("/api/v1/inquiries", &body).await;
        let message = details(&response, status);
        assert!(message.contains(needle), "{body} -> {message}");
    }
    let invalid = p
        .authed(p.server.post("/api/v1/inquiries"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await;
    assert!(details(&invalid, 400).contains("not valid JSON"));
    // Nothing was created by any of them.
    let list = p.get("/api/v1/inquiries").await;
    assert_eq!(list.json()["data"], json!([]));
    assert_eq!(p.event_names().await, Vec::<String>::new());
}

#[tokio::test]
async fn list_pages_by_cursor_and_filters() {
    let p = Persona::start().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let reference = if n % 2 == 0 { "even" } else { "odd" };
        ids.push(id_of(&p.create(json!({"reference-id": reference})).await));
    }
    ids.reverse(); // newest first, as the list answers
    let first = p.get("/api/v1/inquiries?page%5Bsize%5D=2").await.json();
    let page_ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|i| i["id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(page_ids(&first), ids[0..2]);
    assert!(first["links"]["prev"].is_null());
    let next = first["links"]["next"]
        .as_str()
        .expect("next link")
        .to_string();
    assert_eq!(
        next,
        format!(
            "/api/v1/inquiries?page%5Bafter%5D={}&page%5Bsize%5D=2",
            ids[1]
        )
    );
    let second = p.get(&next).await.json();
    assert_eq!(page_ids(&second), ids[2..4]);
    let third = p
        .get(second["links"]["next"].as_str().expect("next"))
        .await
        .json();
    assert_eq!(page_ids(&third), ids[4..5]);
    assert!(third["links"]["next"].is_null());
    let back = p
        .get(third["links"]["prev"].as_str().expect("prev"))
        .await
        .json();
    assert_eq!(page_ids(&back), ids[2..4]);

    let odd = p
        .get("/api/v1/inquiries?filter%5Breference-id%5D=odd")
        .await
        .json();
    assert_eq!(page_ids(&odd), vec![ids[1].clone(), ids[3].clone()]);
    // A list filter also comes as an array, the way Rails and `qs` send one.
    for array in [
        "filter%5Binquiry-template-id%5D%5B%5D=itmpl_sandbox",
        "filter%5Binquiry-template-id%5D%5B0%5D=itmpl_other&filter%5Binquiry-template-id%5D%5B1%5D=itmpl_sandbox",
    ] {
        let listed = p.get(&format!("/api/v1/inquiries?{array}")).await;
        assert_eq!(listed.status, 200, "{array}: {}", listed.text());
        assert_eq!(page_ids(&listed.json()), ids, "{array}");
    }
    let none = "/api/v1/inquiries?filter%5Binquiry-template-id%5D%5B%5D=itmpl_other";
    assert_eq!(page_ids(&p.get(none).await.json()), Vec::<String>::new());
    // A filter of one value does not take a list.
    let one = p
        .get("/api/v1/inquiries?filter%5Breference-id%5D%5B%5D=odd")
        .await;
    assert!(details(&one, 400).contains("takes one value"));

    p.simulate(&ids[0], &["start_inquiry"]).await;
    p.simulate(&ids[1], &["start_inquiry", "complete_inquiry"])
        .await;
    let by_status = p
        .get("/api/v1/inquiries?filter%5Bstatus%5D=pending,completed")
        .await
        .json();
    assert_eq!(page_ids(&by_status), ids[0..2]);

    // A cursor whose inquiry left the filter (started while the client paged through the
    // created ones) still places the page: the cursor is an object id, not a list position.
    let created = "/api/v1/inquiries?filter%5Bstatus%5D=created&page%5Bsize%5D=1";
    let first_created = p.get(created).await.json();
    assert_eq!(page_ids(&first_created), ids[2..3]);
    p.simulate(&ids[2], &["start_inquiry"]).await;
    let next = first_created["links"]["next"].as_str().expect("next");
    let after_started = p.get(next).await;
    assert_eq!(after_started.status, 200, "{}", after_started.text());
    let after_started = after_started.json();
    assert_eq!(page_ids(&after_started), ids[3..4]);
    let before = format!(
        "/api/v1/inquiries?filter%5Bstatus%5D=created&page%5Bbefore%5D={}",
        ids[2]
    );
    assert_eq!(page_ids(&p.get(&before).await.json()), Vec::<String>::new());
    let before = format!(
        "/api/v1/inquiries?filter%5Bstatus%5D=created&page%5Bbefore%5D={}",
        ids[4]
    );
    assert_eq!(page_ids(&p.get(&before).await.json()), ids[3..4]);

    for bad in [
        "/api/v1/inquiries?filter%5Bstatus%5D=aproved",
        "/api/v1/inquiries?page%5Bsize%5D=0",
        "/api/v1/inquiries?page%5Bsize%5D=abc",
        "/api/v1/inquiries?page%5Bafter%5D=inq_unknown",
    ] {
        only_error(&p.get(bad).await, 400);
    }
}

#[tokio::test]
async fn create_meta_says_whether_an_account_is_made_and_how_long_things_live() {
    let p = Persona::start().await;
    let create = |meta: Value| {
        json!({"data": {"attributes": {"inquiry-template-id": "itmpl_sandbox",
            "reference-id": "meta-user"}}, "meta": meta})
    };
    // `auto-create-account: false`: the reference id makes no account.
    let created = p
        .post(
            "/api/v1/inquiries",
            &create(json!({"auto-create-account": false})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    assert!(
        created["data"]["relationships"]["account"]["data"].is_null(),
        "{created}"
    );
    assert_eq!(p.get("/api/v1/accounts").await.json()["data"], json!([]));
    assert!(
        !p.event_names()
            .await
            .contains(&"account.created".to_string())
    );
    for (meta, named) in [
        (json!({"auto-create-account": "yes"}), "auto-create-account"),
        (
            json!({"auto-create-account": false, "auto-create-account-reference-id": "r"}),
            "auto-create-account-reference-id",
        ),
        (
            json!({"expiration-after-start-interval-seconds": 0}),
            "expiration-after-start-interval-seconds",
        ),
        (
            json!({"one-time-link-expiration-seconds": "soon"}),
            "one-time-link-expiration-seconds",
        ),
    ] {
        let refused = p.post("/api/v1/inquiries", &create(meta.clone())).await;
        assert!(details(&refused, 400).contains(named), "{meta}");
    }

    // The intervals: 60 s after the start, 30 s after a resume, a one-time link 120 s.
    let meta = json!({"expiration-after-start-interval-seconds": 60,
        "expiration-after-resume-interval-seconds": 30, "one-time-link-expiration-seconds": 120});
    let id = id_of(&p.post("/api/v1/inquiries", &create(meta)).await.json());
    let path = format!("/api/v1/inquiries/{id}");
    let link = p
        .post(&format!("{path}/generate-one-time-link"), &json!({}))
        .await
        .json();
    let link = link["meta"]["one-time-link"]
        .as_str()
        .expect("link")
        .to_string();
    p.simulate(&id, &["start_inquiry"]).await;
    p.advance_clock(59).await;
    assert_eq!(p.status(&id).await, "pending");
    p.advance_clock(2).await;
    assert_eq!(p.status(&id).await, "expired");
    let resumed = p.post(&format!("{path}/resume"), &json!({})).await;
    assert_eq!(resumed.status, 200, "{}", resumed.text());
    p.advance_clock(31).await;
    assert_eq!(p.status(&id).await, "expired");
    // 121 s after the link was made.
    p.advance_clock(30).await;
    let code_path = link
        .split_once("/verify")
        .map(|(_, rest)| rest)
        .expect("path");
    let opened = p
        .server
        .get(&format!("/ns/{}/verify{code_path}", p.namespace))
        .send()
        .await;
    assert_eq!(opened.status, 410, "{}", opened.text());
}

#[tokio::test]
async fn the_expiry_interval_is_bounded() {
    let p = Persona::start().await;
    let create = |seconds: Value| {
        json!({"data": {"attributes": {"inquiry-template-id": "itmpl_sandbox"}},
            "meta": {"expiration-after-create-interval-seconds": seconds}})
    };
    for seconds in [json!(i64::MAX), json!(315_360_001_i64)] {
        let response = p.post("/api/v1/inquiries", &create(seconds)).await;
        assert!(
            details(&response, 422).contains("expiration-after-create-interval-seconds"),
            "{}",
            response.text()
        );
    }
    let ten_years = p
        .post("/api/v1/inquiries", &create(json!(315_360_000_i64)))
        .await;
    assert_eq!(ten_years.status, 201, "{}", ten_years.text());
    // A whole number written as a float is an integer (JSON Schema's view, and Rails's); a
    // fraction is not, nor is a whole float past ten years.
    let hour = p.post("/api/v1/inquiries", &create(json!(3600.0))).await;
    assert_eq!(hour.status, 201, "{}", hour.text());
    let fraction = p.post("/api/v1/inquiries", &create(json!(3600.5))).await;
    assert!(
        details(&fraction, 400).contains("expiration-after-create-interval-seconds"),
        "{}",
        fraction.text()
    );
    let far = p.post("/api/v1/inquiries", &create(json!(4e9))).await;
    assert!(
        details(&far, 422).contains("expiration-after-create-interval-seconds"),
        "{}",
        far.text()
    );
}

#[tokio::test]
async fn list_links_keep_the_namespace_prefix() {
    let p = Persona::start().await;
    let auth = format!("Bearer {KEY}");
    for _ in 0..2 {
        let created = p
            .server
            .post("/ns/pfx/api/v1/inquiries")
            .header("authorization", &auth)
            .json(&json!({"data": {"attributes": {"inquiry-template-id": "itmpl_sandbox"}}}))
            .send()
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
    }
    let page = |path: String| p.server.get(&path).header("authorization", &auth).send();
    let first = page("/ns/pfx/api/v1/inquiries?page%5Bsize%5D=1".into()).await;
    let next = first.json()["links"]["next"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(next.starts_with("/ns/pfx/api/v1/inquiries?"), "{next}");
    let second = page(next).await;
    assert_eq!(second.status, 200, "{}", second.text());
    let (a, b) = (first.json(), second.json());
    assert_eq!(b["data"].as_array().map(Vec::len), Some(1), "{b}");
    assert_ne!(a["data"][0]["id"], b["data"][0]["id"]);
    let prev = b["links"]["prev"].as_str().unwrap_or_default();
    assert!(prev.starts_with("/ns/pfx/"), "{prev}");
}
