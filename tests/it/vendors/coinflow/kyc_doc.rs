//! Register User Via Document (`POST /api/withdraw/kyc-doc`): a multipart upload that puts the
//! withdrawer under a reviewer's decision, alone or after `/kyc` asked for the document.

use serde_json::{Value, json};

use super::*;
use crate::harness::TestResponse;

const BOUNDARY: &str = "----sandboxFormBoundary7MA4YWxk";
const FRONT: &[u8] = b"\x89PNG\r\n\x1a\nfront of the card";

/// A `multipart/form-data` body of text `fields` and `files` (name, bytes).
fn form(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.png\"\r\nContent-Type: image/png\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn fields(email: &str) -> Vec<(&str, &str)> {
    vec![
        ("email", email),
        ("country", "GB"),
        ("idType", "PASSPORT"),
        ("merchantId", "my-merchant"),
    ]
}

async fn upload(server: &TestServer, ns: &str, user: &str, body: Vec<u8>) -> TestResponse {
    as_user(server, "POST", "/api/withdraw/kyc-doc", ns, user)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
}

async fn get_withdrawer(server: &TestServer, ns: &str, user: &str) -> TestResponse {
    as_user(server, "GET", "/api/withdraw", ns, user)
        .send()
        .await
}

async fn decide(server: &TestServer, ns: &str, id: &str, action: &str) {
    let r = server
        .post(&format!("/__admin/withdrawers/{id}/{action}"))
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

fn id_of(registered: &TestResponse) -> String {
    registered.json()["withdrawer"]["_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no _id: {}", registered.text()))
        .to_string()
}

#[tokio::test]
async fn an_uploaded_document_is_reviewed_then_decided_with_kyc_webhooks() {
    let (mut sink, server) = super::hooked_server("/hook").await;
    let ns = "cf-kyc-doc";
    let back: &[u8] = b"back";
    let registered = upload(
        &server,
        ns,
        "doc-1",
        form(
            &fields("doc1@x.io"),
            &[("idFront", FRONT), ("idBack", back)],
        ),
    )
    .await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    let body = registered.json();
    assert_eq!(body["withdrawer"]["verification"]["status"], "pending");
    assert_eq!(body["withdrawer"]["country"], "GB");
    let id = id_of(&registered);
    let created = sink.next().await;
    assert_eq!(created.json()["eventType"], "KYC Created");
    assert_eq!(created.json()["data"]["email"], "doc1@x.io");

    // Under review: Get Withdrawer says so, and the page takes nothing.
    let pending = get_withdrawer(&server, ns, "doc-1").await;
    assert_eq!(pending.status, 451, "{}", pending.text());
    assert!(
        message(&pending.json()).contains("manual review"),
        "{}",
        pending.text()
    );
    let link = pending.json()["verificationLink"]
        .as_str()
        .unwrap()
        .to_string();
    let page = server
        .get(&link.replace(&server.url(""), ""))
        .send()
        .await
        .text();
    assert!(!page.contains("<form"), "{page}");
    // The state keeps what arrived (not the images).
    let state = server.admin_state(ns).await;
    let documents = &state["coinflow"]["withdrawers"][0]["documents"];
    assert_eq!(documents["id_type"], "PASSPORT", "{state}");
    assert_eq!(documents["front"]["bytes"], FRONT.len());
    assert_eq!(documents["back"]["filename"], "idBack.png");

    // A reviewer's rejection: KYC Failure, then 451 with the reason.
    decide(&server, ns, &id, "reject").await;
    assert_eq!(sink.next().await.json()["eventType"], "KYC Failure");
    let rejected = get_withdrawer(&server, ns, "doc-1").await;
    assert_eq!(rejected.status, 451);
    assert_eq!(rejected.json()["verification"]["status"], "rejected");
    schema::assert_bodies_valid(&server).await;
}

/// Withdrawer `id`'s `missing_fields` in the admin state are the ones Get Withdrawer's answer
/// `got` asks for.
async fn assert_state_asks_as(server: &TestServer, ns: &str, id: &str, got: &TestResponse) {
    let state = server.admin_state(ns).await;
    let w = (state["coinflow"]["withdrawers"].as_array())
        .and_then(|all| all.iter().find(|w| w["id"] == id))
        .unwrap_or_else(|| panic!("no withdrawer {id} in {state}"));
    assert_eq!(
        w["missing_fields"],
        json!(fields_asked(&got.json())),
        "{}\n{state}",
        got.text()
    );
}

/// A reviewer's approval of uploaded documents ends the review, but Coinflow's required fields
/// still apply: the withdrawer stays pending, Get Withdrawer and the page ask for them, and only
/// once they are submitted is it approved, with `KYC Success`.
#[tokio::test]
async fn a_reviewers_approval_asks_for_the_missing_fields_before_kyc_success() {
    let (mut sink, server) = super::hooked_server("/hook").await;
    let ns = "cf-kyc-doc-approve";
    let registered = upload(
        &server,
        ns,
        "doc-1",
        form(&fields("doc1@x.io"), &[("idFront", FRONT)]),
    )
    .await;
    assert_eq!(registered.status, 200, "{}", registered.text());
    let id = id_of(&registered);
    assert_eq!(sink.next().await.json()["eventType"], "KYC Created");
    // Under review: nothing to submit, and the admin state names nothing either.
    let review = get_withdrawer(&server, ns, "doc-1").await;
    assert_eq!(review.status, 451, "{}", review.text());
    assert!(fields_asked(&review.json()).is_empty(), "{}", review.text());
    assert_state_asks_as(&server, ns, &id, &review).await;

    let verified = server
        .post(&format!("/__admin/withdrawers/{id}/verify"))
        .header("x-sandbox-namespace", ns)
        .send()
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text());
    let everything_but_country = [
        "firstName",
        "surName",
        "dob",
        "physicalAddress",
        "city",
        "state",
        "zip",
    ];
    assert_eq!(verified.json()["status"], "pending", "{}", verified.text());
    assert_eq!(
        verified.json()["missing_fields"],
        json!(everything_but_country)
    );
    let asked = get_withdrawer(&server, ns, "doc-1").await;
    assert_eq!(asked.status, 451, "{}", asked.text());
    assert_eq!(asked.json()["verification"]["status"], "pending");
    assert_eq!(fields_asked(&asked.json()), everything_but_country);
    assert_state_asks_as(&server, ns, &id, &asked).await;
    let early = as_user(&server, "POST", "/api/withdraw/account", ns, "doc-1")
        .json(&super::accounts::bank("021000021"))
        .send()
        .await;
    assert_eq!(early.status, 451, "not approved yet: {}", early.text());
    // No KYC Success yet: the next webhook is another withdrawer's KYC Created (first
    // attempts leave in the order of their events).
    let other = upload(
        &server,
        ns,
        "doc-2",
        form(&fields("doc2@x.io"), &[("idFront", FRONT)]),
    )
    .await;
    assert_eq!(other.status, 200, "{}", other.text());
    let next = sink.next().await.json();
    assert_eq!(
        (&next["eventType"], &next["data"]["email"]),
        (&json!("KYC Created"), &json!("doc2@x.io"))
    );

    let link = asked.json()["verificationLink"]
        .as_str()
        .unwrap_or_default()
        .replace(&server.url(""), "");
    let page = server.get(&link).send().await.text();
    for name in everything_but_country {
        assert!(page.contains(&format!("name=\"{name}\"")), "{page}");
    }
    let wanted = fields_asked(&asked.json());
    let submitted = server.post(&link).form(&filled_in(&wanted)).send().await;
    assert_eq!(submitted.status, 303, "{}", submitted.text());
    let success = sink.next().await.json();
    assert_eq!(
        (&success["eventType"], &success["data"]["email"]),
        (&json!("KYC Success"), &json!("doc1@x.io"))
    );
    let approved = get_withdrawer(&server, ns, "doc-1").await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert_eq!(
        approved.json()["withdrawer"]["verification"]["status"],
        "approved"
    );
    assert_state_asks_as(&server, ns, &id, &approved).await;
    let account = as_user(&server, "POST", "/api/withdraw/account", ns, "doc-1")
        .json(&super::accounts::bank("021000021"))
        .send()
        .await;
    assert_eq!(account.status, 200, "{}", account.text());
    schema::assert_bodies_valid(&server).await;
}

/// `/kyc` with a document body asks for the document (451); `kyc-doc` gives it to the same
/// withdrawer, which then waits on the review; a decided one takes no other document.
#[tokio::test]
async fn kyc_doc_takes_the_document_a_kyc_registration_asked_for() {
    let server = TestServer::start().await;
    let ns = "cf-kyc-doc-after";
    let asked = as_user(&server, "POST", "/api/withdraw/kyc", ns, "later")
        .json(&json!({"email": "later@x.io", "country": "GB"}))
        .send()
        .await;
    assert_eq!(asked.status, 451, "{}", asked.text());
    assert!(
        message(&asked.json()).contains("/api/withdraw/kyc-doc"),
        "{}",
        asked.text()
    );
    let asked_id = asked.json()["withdrawer"]["_id"].clone();
    // Another email than the registration's is refused.
    let other = upload(
        &server,
        ns,
        "later",
        form(&fields("else@x.io"), &[("idFront", FRONT)]),
    )
    .await;
    assert_eq!(other.status, 409, "{}", other.text());
    assert!(
        message(&other.json()).contains("later@x.io"),
        "{}",
        other.text()
    );
    let uploaded = upload(
        &server,
        ns,
        "later",
        form(&fields("later@x.io"), &[("idFront", FRONT)]),
    )
    .await;
    assert_eq!(uploaded.status, 200, "{}", uploaded.text());
    assert_eq!(uploaded.json()["withdrawer"]["_id"], asked_id);
    let pending = get_withdrawer(&server, ns, "later").await;
    assert_eq!(pending.status, 451);
    assert!(
        message(&pending.json()).contains("manual review"),
        "{}",
        pending.text()
    );
    // Once under review (or decided) another upload is a conflict.
    let again = upload(
        &server,
        ns,
        "later",
        form(&fields("later@x.io"), &[("idFront", FRONT)]),
    )
    .await;
    assert_eq!(again.status, 409, "{}", again.text());
    // A US-verified withdrawer takes no document either.
    super::accounts::verified_user(&server, ns, "us").await;
    let us = upload(
        &server,
        ns,
        "us",
        form(&fields("us@x.io"), &[("idFront", FRONT)]),
    )
    .await;
    assert_eq!(us.status, 409, "{}", us.text());
    schema::assert_bodies_valid(&server).await;
}

#[tokio::test]
async fn kyc_doc_refuses_a_bad_form_naming_the_field_and_keeps_nothing() {
    let server = TestServer::start().await;
    let ns = "cf-kyc-doc-bad";
    let json_body = as_user(&server, "POST", "/api/withdraw/kyc-doc", ns, "u")
        .json(&json!({"email": "u@x.io", "country": "GB"}))
        .send()
        .await;
    assert_eq!(json_body.status, 400, "{}", json_body.text());
    assert!(message(&json_body.json()).contains("multipart/form-data"));
    let with = |name: &'static str, value: &'static str| {
        let mut f = fields("u@x.io");
        f.retain(|(n, _)| *n != name);
        if !value.is_empty() {
            f.push((name, value));
        }
        form(&f, &[("idFront", FRONT)])
    };
    // Multer takes a file part only: a text field `idFront`, or a file part with no file chosen
    // (`filename=""`), is no document.
    let mut text_front = fields("u@x.io");
    text_front.push(("idFront", "notafile"));
    let text_front = form(&text_front, &[]);
    let unnamed_front = String::from_utf8(form(&fields("u@x.io"), &[("idFront", b"data")]))
        .expect("a text form")
        .replace("filename=\"idFront.png\"", "filename=\"\"")
        .into_bytes();
    for (body, named) in [
        (text_front, "idFront"),
        (unnamed_front, "idFront"),
        (with("idType", "SELFIE"), "idType"),
        (with("idType", ""), "idType"),
        (with("country", "gb"), "country"),
        (with("email", "nope"), "email"),
        (with("merchantId", ""), "merchantId"),
        (form(&fields("u@x.io"), &[]), "idFront"),
        (form(&fields("u@x.io"), &[("idFront", b"")]), "idFront"),
        (b"--nope\r\n".to_vec(), "multipart"),
    ] {
        let refused = upload(&server, ns, "u", body).await;
        assert_eq!(refused.status, 400, "{}", refused.text());
        assert_nest_error(&refused.json(), 400, "/api/withdraw/kyc-doc", "POST");
        assert!(
            message(&refused.json()).contains(named),
            "{named}: {}",
            refused.text()
        );
    }
    let anon = server
        .post("/api/withdraw/kyc-doc")
        .header("x-sandbox-namespace", ns)
        .body(form(&fields("u@x.io"), &[("idFront", FRONT)]))
        .send()
        .await;
    assert_eq!(anon.status, 401, "{}", anon.text());
    // Nothing was registered by any of them.
    assert_eq!(get_withdrawer(&server, ns, "u").await.status, 401);
    // An email another user of the merchant has is a conflict.
    super::accounts::verified_user(&server, ns, "owner").await;
    let taken = upload(
        &server,
        ns,
        "u",
        form(&fields("owner@x.io"), &[("idFront", FRONT)]),
    )
    .await;
    assert_eq!(taken.status, 409, "{}", taken.text());
    let state: Value = server.admin_state(ns).await;
    assert_eq!(
        state["coinflow"]["withdrawers"].as_array().map(Vec::len),
        Some(1),
        "{state}"
    );
    schema::assert_bodies_valid(&server).await;
}
