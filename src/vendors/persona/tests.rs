//! Unit tests of the in-process API (what the other vendors and the hosted page call).

use serde_json::json;

use super::*;
use crate::app::{App, test_app};
use crate::config::Config;
use crate::http::{ApiRequest, Headers, ResponseBody};
use crate::store::World;
use crate::vendors::{VendorApi, frame, table};

fn app() -> App {
    test_app(Config::default())
}

/// `req` through Persona's route table and the vendor frame, as the router sends it.
fn handle(app: &App, req: &ApiRequest) -> ApiResponse {
    let found = table::find(Persona.routes(), &req.method, &req.path);
    let (route, params) = found.map_or((None, Default::default()), |(r, p)| (Some(r), p));
    let namespace = app.store.namespace(&req.namespace);
    frame::run(app, &namespace, &Persona, route, params, req, None)
}

fn completed_inquiry(app: &App, world: &mut World) -> String {
    let id = create_inquiry(app, world, NewInquiry::default());
    for to in [InquiryStatus::Pending, InquiryStatus::Completed] {
        transition(app, world, &id, to).expect("legal move");
    }
    id.into()
}

#[test]
fn create_and_move_through_the_state_machine() {
    let app = app();
    let ns = app.store.namespace("default");
    let mut world = ns.lock();
    let id = create_inquiry(
        &app,
        &mut world,
        NewInquiry {
            reference_id: Some("user-1".into()),
            redirect_uri: Some("https://app.test/done".into()),
            ..NewInquiry::default()
        },
    );
    assert!(id.starts_with("inq_") && id.len() == 28);
    let inquiry = world.persona.inquiry(&id).expect("stored");
    assert_eq!(inquiry.status, InquiryStatus::Created);
    assert_eq!(
        inquiry.redirect_uri.as_deref(),
        Some("https://app.test/done")
    );

    let illegal = transition(&app, &mut world, &id, InquiryStatus::Approved).unwrap_err();
    assert_eq!(
        illegal,
        TransitionError::Illegal {
            from: InquiryStatus::Created,
            to: InquiryStatus::Approved
        }
    );
    assert!(
        illegal.to_string().contains("cannot be approved"),
        "{illegal}"
    );
    // `account.created` (its reference id's account) and `inquiry.created`.
    assert_eq!(
        world.persona.events().len(),
        2,
        "no event for a refused move"
    );

    for to in [
        InquiryStatus::Pending,
        InquiryStatus::Completed,
        InquiryStatus::NeedsReview,
        InquiryStatus::Approved,
    ] {
        transition(&app, &mut world, &id, to).expect("legal move");
    }
    let names: Vec<&str> = world.persona.events().iter().map(|e| &*e.name).collect();
    assert_eq!(
        names,
        [
            "account.created",
            "inquiry.created",
            "inquiry.started",
            "inquiry.completed",
            "inquiry.marked-for-review",
            "inquiry.approved"
        ]
    );
    assert!(matches!(
        transition(&app, &mut world, "inq_missing", InquiryStatus::Pending),
        Err(TransitionError::NotFound(_))
    ));
}

#[test]
fn hosted_url_keeps_the_namespace() {
    let app = app();
    assert_eq!(
        hosted_url(&app, "default", "inq_1"),
        "http://sandbox.test/verify?inquiry-id=inq_1"
    );
    assert_eq!(
        hosted_url(&app, "t1", "inq_1"),
        "http://sandbox.test/ns/t1/verify?inquiry-id=inq_1"
    );
}

#[test]
fn share_token_redemption_is_idempotent_per_destination_and_settles_with_time() {
    let app = app();
    let ns = app.store.namespace("default");
    let mut world = ns.lock();
    let source = completed_inquiry(&app, &mut world);
    let token = create_share_token(&app, &mut world, "cxn_1", &source).expect("created");
    assert_eq!(token.status, ShareTokenStatus::Created);

    let pending = redeem_share_token(&app, &mut world, &token.id, "dest-1").expect("redeemed");
    assert_eq!(pending.status, ShareTokenStatus::Pending);
    assert_eq!(pending.redeemed_for.as_deref(), Some("dest-1"));
    let again = redeem_share_token(&app, &mut world, &token.id, "dest-1").expect("idempotent");
    assert_eq!(again.status, ShareTokenStatus::Pending);
    assert_eq!(
        redeem_share_token(&app, &mut world, &token.id, "dest-2"),
        Err(RedeemError::AlreadyRedeemed(token.id.clone()))
    );

    world.clock.advance(REDEMPTION_SECONDS * 1000);
    let now = share_token_now(&app, &mut world, &token.id).expect("exists");
    assert_eq!(now.status, ShareTokenStatus::Redeemed);
    assert!(now.redeemed_at.is_some());
    assert!(redeem_share_token(&app, &mut world, &token.id, "dest-1").is_ok());

    assert_eq!(
        redeem_share_token(&app, &mut world, "cnst_missing", "dest-1"),
        Err(RedeemError::NotFound("cnst_missing".into()))
    );
}

#[test]
fn share_tokens_expire_after_their_ttl_and_need_a_finished_source() {
    let app = app();
    let ns = app.store.namespace("default");
    let mut world = ns.lock();
    let fresh = create_inquiry(&app, &mut world, NewInquiry::default());
    let refused = create_share_token(&app, &mut world, "cxn_1", &fresh).unwrap_err();
    assert!(refused.contains("completed or approved"), "{refused}");

    let source = completed_inquiry(&app, &mut world);
    let token = create_share_token(&app, &mut world, "cxn_1", &source).expect("created");
    world.clock.advance(SHARE_TOKEN_TTL_SECONDS * 1000);
    let err = redeem_share_token(&app, &mut world, &token.id, "dest").unwrap_err();
    assert_eq!(err, RedeemError::Expired(token.id.clone()));
    assert!(err.to_string().contains("expired"));
}

#[test]
fn inquiries_expire_lazily_after_a_day() {
    let app = app();
    let ns = app.store.namespace("default");
    let mut world = ns.lock();
    let id = create_inquiry(&app, &mut world, NewInquiry::default());
    // A minute short of the expiry (real time moves on too), then past it.
    world.clock.advance(INQUIRY_EXPIRY_SECONDS * 1000 - 60_000);
    settle(&app, &mut world);
    assert_eq!(
        world.persona.inquiry(&id).map(|i| i.status),
        Some(InquiryStatus::Created)
    );
    world.clock.advance(60_000);
    settle(&app, &mut world);
    assert_eq!(
        world.persona.inquiry(&id).map(|i| i.status),
        Some(InquiryStatus::Expired)
    );
    assert_eq!(
        world.persona.events().last().map(|e| &*e.name),
        Some("inquiry.expired")
    );
}

#[test]
fn create_over_http_keeps_what_the_response_does_not_show() {
    let app = app();
    let req = ApiRequest {
        method: "POST".into(),
        path: "/api/v1/inquiries".into(),
        namespace: "default".into(),
        headers: Headers::from([
            ("authorization", "Bearer k"),
            ("content-type", "application/json"),
        ]),
        body: serde_json::to_vec(&json!({"data": {"attributes": {
            "inquiry-template-id": "itmpl_x",
            "redirectUri": "https://app.test/back",
        }}}))
        .expect("json")
        .into(),
        ..ApiRequest::default()
    };
    let response = handle(&app, &req);
    assert_eq!(response.status, 201);
    let ns = app.store.namespace("default");
    let world = ns.lock();
    let inquiry = &world.persona.inquiries()[0];
    assert_eq!(
        inquiry.redirect_uri.as_deref(),
        Some("https://app.test/back")
    );
    assert_eq!(inquiry.template_id.as_deref(), Some("itmpl_x"));
}

#[test]
fn events_keep_the_inquiry_as_it_was_and_render_it_on_read() {
    let app = app();
    let ns = app.store.namespace("default");
    let mut world = ns.lock();
    let id = create_inquiry(&app, &mut world, NewInquiry::default());
    let created = world.persona.inquiry(&id).cloned().expect("inquiry");
    transition(&app, &mut world, &id, InquiryStatus::Pending).expect("legal move");
    let event = &world.persona.events()[0];
    assert_eq!(
        render::event(event)["attributes"]["payload"],
        json!({"data": render::inquiry(&created)})
    );
    assert_eq!(
        render::webhook_envelope(event)["data"]["attributes"]["payload"],
        serde_json::to_value(render::inquiry_document(&created)).expect("a JSON document")
    );
    assert_eq!(
        render::inquiry(event.inquiry.as_deref().expect("an inquiry event"))["attributes"]["status"],
        "created"
    );
}

#[test]
fn due_changes_come_in_due_order_decision_before_expiry_and_stale_ones_are_skipped() {
    let app = app();
    let ns = app.store.namespace("default");
    let mut world = ns.lock();
    let older = create_inquiry(&app, &mut world, NewInquiry::default());
    let newer = create_inquiry(&app, &mut world, NewInquiry::default());
    let at = 5_000;
    for id in [&newer, &older] {
        if let Some(inquiry) = world.persona.inquiry_mut(id) {
            inquiry.expires_at = Some(at);
        }
        world.persona.note_inquiry_due(id);
        world.persona.schedule_decision(
            id,
            ScheduledDecision {
                to: InquiryStatus::Failed,
                due_at: at,
            },
        );
    }
    // Stale: a decision replaced by a later one.
    world.persona.schedule_decision(
        &newer,
        ScheduledDecision {
            to: InquiryStatus::Failed,
            due_at: at + 1,
        },
    );
    assert_eq!(world.persona.next_due_inquiry(at - 1), None);
    let taken: Vec<(crate::clock::Millis, String, InquiryStatus)> =
        std::iter::from_fn(|| world.persona.next_due_inquiry(at + 1)).collect();
    assert_eq!(
        taken,
        [
            (at, older.to_string(), InquiryStatus::Failed),
            (at, older.to_string(), InquiryStatus::Expired),
            (at, newer.to_string(), InquiryStatus::Expired),
            (at + 1, newer.to_string(), InquiryStatus::Failed),
        ]
    );
    assert_eq!(world.persona.next_due_inquiry(i64::MAX), None);

    // Rebuilt from the inquiries alone (as after loading a saved state): the same queue.
    world.persona.rebuild_indexes();
    let rebuilt: Vec<(crate::clock::Millis, String, InquiryStatus)> =
        std::iter::from_fn(|| world.persona.next_due_inquiry(at + 1)).collect();
    assert_eq!(rebuilt, taken);
}

/// A PATCH repeating an account's reference id notes nothing new (the notes would grow with each
/// one); one that makes another account the newest for the reference does, and replaces that
/// account's older note, so PATCHes moving a reference back and forth keep one note an account
/// in the index; a refused PATCH of a redacted account notes nothing.
#[test]
fn account_reference_notes_grow_only_when_a_lookup_changes() {
    let app = app();
    let call = |method: &str, path: &str, body: serde_json::Value| {
        let req = ApiRequest {
            method: method.to_string().into(),
            path: path.into(),
            namespace: "default".into(),
            headers: Headers::from([
                ("authorization", "Bearer k"),
                ("content-type", "application/json"),
            ]),
            body: serde_json::to_vec(&body).expect("json").into(),
            ..ApiRequest::default()
        };
        let mut response = handle(&app, &req);
        response.body.to_json();
        match response.body {
            ResponseBody::Json(body) => (response.status, body),
            _ => (response.status, json!(null)),
        }
    };
    let reference = json!({"data": {"attributes": {"reference-id": "r1"}}});
    let create = |call: &dyn Fn(&str, &str, serde_json::Value) -> (u16, serde_json::Value)| {
        let (status, body) = call("POST", "/api/v1/accounts", reference.clone());
        assert_eq!(status, 201, "{body}");
        format!(
            "/api/v1/accounts/{}",
            body["data"]["id"].as_str().expect("id")
        )
    };
    let notes = || {
        app.store
            .namespace("default")
            .lock()
            .persona
            .account_reference_notes
            .len()
    };
    let newest = || {
        let ns = app.store.namespace("default");
        let world = ns.lock();
        world
            .persona
            .account_by_reference("r1")
            .map(|a| a.id.to_string())
    };
    let first = create(&call);
    for _ in 0..20 {
        assert_eq!(call("PATCH", &first, reference.clone()).0, 200);
    }
    assert_eq!(notes(), 1);
    let second = create(&call);
    assert_eq!(notes(), 2);
    assert!(second.ends_with(&newest().expect("found")));
    assert_eq!(call("PATCH", &first, reference.clone()).0, 200);
    assert_eq!(notes(), 3, "the first is the newest for r1 again");
    assert!(first.ends_with(&newest().expect("found")));
    assert_eq!(call("PATCH", &first, reference.clone()).0, 200);
    assert_eq!(notes(), 3);
    let filed = || {
        let ns = app.store.namespace("default");
        let world = ns.lock();
        world
            .persona
            .account_reference_index
            .filed(Some("r1"))
            .count()
    };
    let other = json!({"data": {"attributes": {"reference-id": "r2"}}});
    for _ in 0..10 {
        for (path, body) in [
            (&second, &reference),
            (&first, &other),
            (&first, &reference),
        ] {
            assert_eq!(call("PATCH", path, body.clone()).0, 200);
        }
        assert!(first.ends_with(&newest().expect("found")));
    }
    assert_eq!(filed(), 2, "one note for each account with r1");
    assert_eq!(call("DELETE", &first, json!({})).0, 200);
    let before = notes();
    assert_eq!(call("PATCH", &first, reference.clone()).0, 409);
    assert_eq!(notes(), before);
    assert!(second.ends_with(&newest().expect("found")));
}
