//! Accounts: the API (create, list, retrieve, update, redact, tags) and the accounts inquiries
//! find or create by reference id, filled when an inquiry is approved.

use serde_json::{Value, json};

use super::{Persona, details, id_of, is_persona_id, only_error};

fn account_of(inquiry: &Value) -> String {
    inquiry["data"]["relationships"]["account"]["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn accounts_are_created_read_updated_tagged_and_redacted() {
    let persona = Persona::start().await;
    let created = persona
        .post(
            "/api/v1/accounts",
            &json!({"data": {"attributes": {
                "reference-id": "user-1", "name-first": "Jane", "tags": ["vip"],
                "fields": {"birthdate": "1990-01-02"},
            }}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = id_of(&created.json());
    assert!(is_persona_id(&id, "act_"), "{id}");
    let attributes = &created.json()["data"]["attributes"];
    assert_eq!(attributes["reference-id"], "user-1");
    assert_eq!(attributes["name-first"], "Jane");
    assert_eq!(attributes["birthdate"], "1990-01-02");
    assert_eq!(
        attributes["fields"]["name"]["value"]["first"]["value"],
        "Jane"
    );
    assert_eq!(attributes["tags"], json!(["vip"]));

    let path = format!("/api/v1/accounts/{id}");
    let updated = persona
        .patch(
            &path,
            &json!({"data": {"attributes": {"name-last": "Doe"}}}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    assert_eq!(updated.json()["data"]["attributes"]["name-last"], "Doe");
    assert_eq!(updated.json()["data"]["attributes"]["name-first"], "Jane");
    // A birthdate is a date (the spec's `format: date`), refused with its name otherwise.
    for bad in ["notadate", "1990-1-5", "+1990-01-05", "1990-02-30"] {
        let bad_date = json!({"data": {"attributes": {"birthdate": bad}}});
        let refused = details(&persona.patch(&path, &bad_date).await, 400);
        assert!(refused.contains("birthdate"), "{bad}: {refused}");
    }
    assert_eq!(
        persona.get(&path).await.json()["data"]["attributes"]["birthdate"],
        "1990-01-02"
    );
    // The fields the account renders as its typed attributes are text, as an inquiry's are.
    for (name, value) in [("name-first", json!(7)), ("country-code", json!({"a": 1}))] {
        let bad = json!({"data": {"attributes": {"fields": {name: value}}}});
        let refused = details(&persona.patch(&path, &bad).await, 400);
        let named = format!("data.attributes.fields.{name} must be a string");
        assert!(refused.contains(&named), "{refused}");
    }
    let read = persona.get(&path).await.json();
    assert_eq!(read["data"]["attributes"]["name-first"], "Jane");
    assert!(
        read["data"]["attributes"]["country-code"].is_null(),
        "{read}"
    );

    let tag = |action: &'static str, name: Value| {
        let persona = &persona;
        let path = format!("{path}/{action}");
        async move {
            let response = persona
                .post(&path, &json!({"meta": {"tag-name": name}}))
                .await;
            assert_eq!(response.status, 200, "{action}: {}", response.text());
            response.json()["data"]["attributes"]["tags"].clone()
        }
    };
    assert_eq!(tag("add-tag", json!("gold")).await, json!(["vip", "gold"]));
    assert_eq!(tag("remove-tag", json!("vip")).await, json!(["gold"]));
    assert_eq!(tag("set-tags", json!(["a", "b"])).await, json!(["a", "b"]));
    let bad = persona
        .post(
            &format!("{path}/add-tag"),
            &json!({"meta": {"tag-name": 3}}),
        )
        .await;
    assert!(details(&bad, 400).contains("tag-name"));

    let other = persona
        .post(
            "/api/v1/accounts",
            &json!({"data": {"attributes": {"reference-id": "user-2"}}}),
        )
        .await;
    assert_eq!(other.status, 201);
    let listed = persona
        .get("/api/v1/accounts?filter%5Breference-id%5D=user-1")
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let ids: Vec<Value> = listed.json()["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(ids, [json!(id)]);
    let all = persona.get("/api/v1/accounts").await;
    assert_eq!(all.json()["data"].as_array().map(Vec::len), Some(2));
    let unknown = persona.get("/api/v1/accounts?filter%5Bname%5D=x").await;
    assert!(details(&unknown, 400).contains("filter[name]"));

    let redacted = persona.delete(&path).await;
    assert_eq!(redacted.status, 200, "{}", redacted.text());
    let attributes = &redacted.json()["data"]["attributes"];
    assert!(attributes["redacted-at"].is_string());
    assert_eq!(attributes["name-first"], Value::Null);
    let read = persona.get(&path).await;
    assert!(read.json()["data"]["attributes"]["redacted-at"].is_string());
    let again = persona.delete(&path).await;
    assert!(details(&again, 409).contains("already redacted"));
    let events = persona
        .get(&format!("/api/v1/events?filter%5Bobject-id%5D={id}"))
        .await
        .json();
    for event in events["data"].as_array().into_iter().flatten() {
        let account = &event["attributes"]["payload"]["data"]["attributes"];
        assert_eq!(account["name-first"], Value::Null, "{event}");
    }
    for action in ["add-tag", "remove-tag"] {
        let tagged = persona
            .post(
                &format!("{path}/{action}"),
                &json!({"meta": {"tag-name": "z"}}),
            )
            .await;
        assert!(
            details(&tagged, 409).contains("already redacted"),
            "{action}"
        );
    }
    only_error(&persona.get("/api/v1/accounts/act_NotThere").await, 404);
}

#[tokio::test]
async fn inquiries_of_one_reference_id_share_an_auto_created_account() {
    let persona = Persona::start().await;
    let first = persona.create(json!({"reference-id": "user-7"})).await;
    let account = account_of(&first);
    assert!(is_persona_id(&account, "act_"), "{first}");
    let second = persona.create(json!({"reference-id": "user-7"})).await;
    assert_eq!(
        account_of(&second),
        account,
        "reused for the same reference id"
    );
    let other = persona.create(json!({"reference-id": "user-8"})).await;
    assert_ne!(account_of(&other), account);
    let none = persona.create(json!({})).await;
    assert_eq!(
        none["data"]["relationships"]["account"]["data"],
        Value::Null
    );
    let read = persona.get(&format!("/api/v1/accounts/{account}")).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["data"]["attributes"]["reference-id"], "user-7");

    let meta = persona
        .post(
            "/api/v1/inquiries",
            &json!({"data": {"attributes": {"inquiry-template-id": "itmpl_x"}},
                    "meta": {"auto-create-account-reference-id": "user-7"}}),
        )
        .await;
    assert_eq!(meta.status, 201, "{}", meta.text());
    assert_eq!(account_of(&meta.json()), account);

    let filtered = persona
        .get(&format!(
            "/api/v1/inquiries?filter%5Baccount-id%5D={account}"
        ))
        .await;
    assert_eq!(filtered.status, 200, "{}", filtered.text());
    assert_eq!(filtered.json()["data"].as_array().map(Vec::len), Some(3));
    let by_reference = persona
        .get("/api/v1/inquiries?filter%5Breference-id%5D=user-8")
        .await;
    assert_eq!(
        by_reference.json()["data"].as_array().map(Vec::len),
        Some(1)
    );

    let given = persona
        .create(json!({"account-id": account, "reference-id": "someone-else"}))
        .await;
    assert_eq!(account_of(&given), account, "an explicit account-id wins");
    let unknown = persona
        .post(
            "/api/v1/inquiries",
            &json!({"data": {"attributes": {"inquiry-template-id": "itmpl_x", "account-id": "act_Nope"}}}),
        )
        .await;
    assert!(details(&unknown, 422).contains("act_Nope"));
}

#[tokio::test]
async fn an_approved_inquiry_fills_its_account() {
    let persona = Persona::start().await;
    let inquiry = persona
        .create(json!({"reference-id": "user-9", "fields": {
            "name-first": "Ana", "name-last": "Lima", "birthdate": "1991-03-04",
            "address-country-code": "BR",
        }}))
        .await;
    let account = account_of(&inquiry);
    let id = id_of(&inquiry);
    let read = persona.get(&format!("/api/v1/accounts/{account}")).await;
    assert_eq!(read.json()["data"]["attributes"]["name-first"], Value::Null);
    let done = persona
        .simulate(
            &id,
            &["start_inquiry", "complete_inquiry", "approve_inquiry"],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    let read = persona.get(&format!("/api/v1/accounts/{account}")).await;
    let attributes = &read.json()["data"]["attributes"];
    assert_eq!(attributes["name-first"], "Ana");
    assert_eq!(attributes["name-last"], "Lima");
    assert_eq!(attributes["birthdate"], "1991-03-04");
    assert_eq!(attributes["country-code"], "BR");

    let state = persona
        .server
        .get("/__admin/state")
        .header("x-sandbox-namespace", persona.namespace)
        .send()
        .await
        .json();
    assert_eq!(state["persona"]["accounts"][0]["id"], account.as_str());
    assert_eq!(
        state["persona"]["inquiries"][0]["account_id"],
        account.as_str()
    );
    assert_eq!(
        state["persona"]["inquiries"][0]["verifications"][1]["status"],
        "passed"
    );
}

/// An account whose reference id was changed is found by its new one, not its old one (the
/// reference index follows PATCH).
#[tokio::test]
async fn a_changed_reference_id_moves_the_account() {
    let persona = Persona::start().await;
    let first = persona.create(json!({"reference-id": "old-ref"})).await;
    let account = account_of(&first);
    let patched = persona
        .patch(
            &format!("/api/v1/accounts/{account}"),
            &json!({"data": {"attributes": {"reference-id": "new-ref"}}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let by_new = persona.create(json!({"reference-id": "new-ref"})).await;
    assert_eq!(
        account_of(&by_new),
        account,
        "found by its new reference id"
    );
    let by_old = persona.create(json!({"reference-id": "old-ref"})).await;
    assert_ne!(account_of(&by_old), account, "no longer by its old one");
}

/// `account.tag-added` / `account.tag-removed` are recorded (and sent) whichever route changes
/// an account's tags: PATCH `tags` as `set-tags`; a PATCH that leaves them as they were
/// records none.
#[tokio::test]
async fn account_tag_events_are_the_same_whichever_route_changes_the_tags() {
    let persona = Persona::start().await;
    let created = persona
        .post(
            "/api/v1/accounts",
            &json!({"data": {"attributes": {"tags": ["t0"]}}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = id_of(&created.json());
    let path = format!("/api/v1/accounts/{id}");
    let events = || async {
        let listed = persona
            .get(&format!("/api/v1/events?filter%5Bobject-id%5D={id}"))
            .await
            .json();
        let mut events: Vec<(String, Value)> = (listed["data"].as_array().into_iter().flatten())
            .map(|e| {
                let name = e["attributes"]["name"].as_str().unwrap_or_default();
                let tags = &e["attributes"]["payload"]["data"]["attributes"]["tags"];
                (name.to_string(), tags.clone())
            })
            .collect();
        events.reverse(); // the list is newest first
        events
    };
    let patch_tags = |tags: Value| {
        let (persona, path) = (&persona, &path);
        async move {
            let body = json!({"data": {"attributes": {"tags": tags}}});
            let patched = persona.patch(path, &body).await;
            assert_eq!(patched.status, 200, "{}", patched.text());
        }
    };
    patch_tags(json!(["t1", "t2"])).await;
    patch_tags(json!(["t1", "t2"])).await;
    let by_patch = events().await;
    assert_eq!(
        by_patch,
        [
            ("account.created".to_string(), json!(["t0"])),
            ("account.tag-added".to_string(), json!(["t1", "t2"])),
            ("account.tag-removed".to_string(), json!(["t1", "t2"])),
        ]
    );
    let set = persona
        .post(
            &format!("{path}/set-tags"),
            &json!({"meta": {"tag-name": ["t2", "t3"]}}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(
        events().await[by_patch.len()..],
        [
            ("account.tag-added".to_string(), json!(["t2", "t3"])),
            ("account.tag-removed".to_string(), json!(["t2", "t3"])),
        ]
    );
}
