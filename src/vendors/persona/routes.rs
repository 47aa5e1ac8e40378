//! Persona's route table, authentication, and its side of the vendor seam.

use serde_json::{Value, json};

use super::model::{InquiryStatus, VerificationKind};
use super::tags::TagAction;
use super::webhooks::{self, WebhookStatus};
use super::{
    accounts, edits, events, hosted, idempotency, include, inflection::Inflection, inquiries,
    lifecycle, one_time_links, request, share_tokens, simulate, verifications,
};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse, Bom, ResponseBody};
use crate::scenario::Outcome;
use crate::store::{Namespace, World};
use crate::vendors::table::{Route, object};

mod doc;
use crate::vendors::{Ctx, ScenarioHooks, Vendor, VendorApi, VendorDoc};
use crate::webhooks::AttemptInfo;
use doc::*;

pub struct Persona;

/// Every Persona route. Path parameters are named as Persona's OpenAPI names them.
#[rustfmt::skip]
static ROUTES: &[Route] = &[
    Route::new("POST", "/api/v1/inquiries", "create_inquiry", inquiries::create, "Create an inquiry").request(create_inquiry_body).answers(one),
    Route::read_only("GET", "/api/v1/inquiries", "list_inquiries", inquiries::list, "List inquiries").params(INQUIRY_LIST).answers(list).memoized(),
    Route::read_only("GET", "/api/v1/inquiries/{inquiry-id}", "retrieve_inquiry", |cx, w| inquiries::retrieve(cx, w, cx.param("inquiry-id")), "Retrieve an inquiry").answers(one).memoized(),
    Route::new("PATCH", "/api/v1/inquiries/{inquiry-id}", "update_inquiry", |cx, w| edits::update(cx, w, cx.param("inquiry-id")), "Update an inquiry").request(update_inquiry_body).answers(one),
    Route::new("DELETE", "/api/v1/inquiries/{inquiry-id}", "redact_inquiry", |cx, w| edits::redact(cx, w, cx.param("inquiry-id")), "Redact an inquiry").answers(one),
    Route::new("POST", "/api/v1/inquiries/{inquiry-id}/add-tag", "tag_inquiry", |cx, w| edits::tag(cx, w, cx.param("inquiry-id"), TagAction::Add), "Add a tag to an inquiry").request(tag_body).answers(one),
    Route::new("POST", "/api/v1/inquiries/{inquiry-id}/remove-tag", "tag_inquiry", |cx, w| edits::tag(cx, w, cx.param("inquiry-id"), TagAction::Remove), "Remove a tag from an inquiry").request(tag_body).answers(one),
    Route::new("POST", "/api/v1/inquiries/{inquiry-id}/set-tags", "tag_inquiry", |cx, w| edits::tag(cx, w, cx.param("inquiry-id"), TagAction::Set), "Set an inquiry's tags").request(tags_body).answers(one),
    Route::new("POST", "/api/v1/inquiries/{inquiry-id}/generate-one-time-link", "generate_one_time_link", |cx, w| one_time_links::generate(cx, w, cx.param("inquiry-id")), "Generate a one-time link to an inquiry's hosted flow").answers(one),
    Route::new("POST", "/api/v1/inquiries/{inquiry-id}/approve", "approve_inquiry", |cx, w| inquiries::decide(cx, w, cx.param("inquiry-id"), InquiryStatus::Approved), "Approve an inquiry").answers(one),
    Route::new("POST", "/api/v1/inquiries/{inquiry-id}/decline", "decline_inquiry", |cx, w| inquiries::decide(cx, w, cx.param("inquiry-id"), InquiryStatus::Declined), "Decline an inquiry").answers(one),
    Route::new("POST", "/api/v1/inquiries/{inquiry-id}/expire", "expire_inquiry", |cx, w| inquiries::decide(cx, w, cx.param("inquiry-id"), InquiryStatus::Expired), "Expire an inquiry").answers(one),
    Route::new("POST", "/api/v1/inquiries/{inquiry-id}/resume", "resume_inquiry", |cx, w| inquiries::resume(cx, w, cx.param("inquiry-id")), "Resume an inquiry").answers(one),
    Route::new("POST", "/api/v1/inquiries/{inquiry-id}/perform-simulate-actions", "simulate_inquiry_actions", |cx, w| simulate::simulate(cx, w, cx.param("inquiry-id")), "Simulate actions on a sandbox inquiry").request(simulate_body).answers(one),
    Route::new("POST", "/api/v1/accounts", "create_account", accounts::create, "Create an account").request(account_body).answers(one),
    Route::read_only("GET", "/api/v1/accounts", "list_accounts", accounts::list, "List accounts").params(ACCOUNT_LIST).answers(list),
    Route::read_only("GET", "/api/v1/accounts/{account-id}", "retrieve_account", |cx, w| accounts::retrieve(cx, w, cx.param("account-id")), "Retrieve an account").answers(one),
    Route::new("PATCH", "/api/v1/accounts/{account-id}", "update_account", |cx, w| accounts::update(cx, w, cx.param("account-id")), "Update an account").request(account_body).answers(one),
    Route::new("DELETE", "/api/v1/accounts/{account-id}", "redact_account", |cx, w| accounts::redact(cx, w, cx.param("account-id")), "Redact an account").answers(one),
    Route::new("POST", "/api/v1/accounts/{account-id}/add-tag", "tag_account", |cx, w| accounts::tag(cx, w, cx.param("account-id"), TagAction::Add), "Add a tag to an account").request(tag_body).answers(one),
    Route::new("POST", "/api/v1/accounts/{account-id}/remove-tag", "tag_account", |cx, w| accounts::tag(cx, w, cx.param("account-id"), TagAction::Remove), "Remove a tag from an account").request(tag_body).answers(one),
    Route::new("POST", "/api/v1/accounts/{account-id}/set-tags", "tag_account", |cx, w| accounts::tag(cx, w, cx.param("account-id"), TagAction::Set), "Set an account's tags").request(tags_body).answers(one),
    Route::read_only("GET", "/api/v1/verifications/{verification-id}", "retrieve_verification", |cx, w| verifications::retrieve(cx, w, cx.param("verification-id"), None), "Retrieve a verification").answers(one),
    Route::read_only("GET", "/api/v1/verification/government-ids/{verification-id}", "retrieve_verification", |cx, w| { let kind = Some(VerificationKind::GovernmentId); verifications::retrieve(cx, w, cx.param("verification-id"), kind) }, "Retrieve a government ID verification").answers(one),
    Route::read_only("GET", "/api/v1/verification/selfies/{verification-id}", "retrieve_verification", |cx, w| { let kind = Some(VerificationKind::Selfie); verifications::retrieve(cx, w, cx.param("verification-id"), kind) }, "Retrieve a selfie verification").answers(one),
    Route::read_only("GET", "/api/v1/verification/databases/{verification-id}", "retrieve_verification", |cx, w| { let kind = Some(VerificationKind::Database); verifications::retrieve(cx, w, cx.param("verification-id"), kind) }, "Retrieve a database verification").answers(one),
    Route::read_only("GET", "/api/v1/events", "list_events", events::list, "List events").params(EVENT_LIST).answers(list),
    Route::read_only("GET", "/api/v1/events/{event-id}", "retrieve_event", |cx, w| events::retrieve(cx, w, cx.param("event-id")), "Retrieve an event").answers(one),
    Route::new("POST", "/api/v1/connect/share-tokens", "create_share_token", share_tokens::create, "Create a share token").request(share_token_body).answers(one),
    Route::read_only("GET", "/api/v1/connect/share-tokens", "list_share_tokens", share_tokens::list, "List share tokens").params(PAGE_ONLY).answers(list),
    Route::read_only("GET", "/api/v1/connect/share-tokens/{share-token-id}", "retrieve_share_token", |cx, w| share_tokens::retrieve(cx, w, cx.param("share-token-id")), "Retrieve a share token").answers(one),
    Route::new("POST", "/api/v1/connect/share-tokens/{share-token-id}/expire", "expire_share_token", |cx, w| share_tokens::expire(cx, w, cx.param("share-token-id")), "Expire a share token").answers(one),
    Route::new("POST", "/api/v1/connect/share-tokens/{share-token-id}/redeem", "redeem_share_token", |cx, w| share_tokens::redeem(cx, w, cx.param("share-token-id")), "Redeem a share token").answers(one),
    Route::read_only("GET", "/api/v1/webhooks", "list_webhooks", webhooks::list, "List webhooks").params(PAGE_ONLY).answers(list),
    Route::new("POST", "/api/v1/webhooks", "create_webhook", |cx, w| webhooks::create(w, cx.req), "Create a webhook").request(webhook_body).answers(one),
    Route::read_only("GET", "/api/v1/webhooks/{webhook-id}", "retrieve_webhook", |cx, w| webhooks::retrieve(w, cx.req, cx.param("webhook-id")), "Retrieve a webhook").answers(one),
    Route::new("PATCH", "/api/v1/webhooks/{webhook-id}", "update_webhook", |cx, w| webhooks::update(w, cx.req, cx.param("webhook-id")), "Update a webhook").request(webhook_update_body).answers(one),
    Route::new("POST", "/api/v1/webhooks/{webhook-id}/enable", "enable_webhook", |cx, w| { webhooks::set_status(w, cx.req, cx.param("webhook-id"), WebhookStatus::Enabled) }, "Enable a webhook").answers(one),
    Route::new("POST", "/api/v1/webhooks/{webhook-id}/disable", "disable_webhook", |cx, w| { webhooks::set_status(w, cx.req, cx.param("webhook-id"), WebhookStatus::Disabled) }, "Disable a webhook").answers(one),
    Route::new("POST", "/api/v1/webhooks/{webhook-id}/archive", "archive_webhook", |cx, w| { webhooks::set_status(w, cx.req, cx.param("webhook-id"), WebhookStatus::Archived) }, "Archive a webhook").answers(one),
    Route::new("POST", "/api/v1/webhooks/{webhook-id}/rotate-secret", "rotate_webhook_secret", |cx, w| webhooks::rotate_secret(w, cx.req, cx.param("webhook-id")), "Rotate a webhook's secret").answers(one),
    Route::new("GET", "/verify", "hosted_page", hosted::page, "Hosted verification page").html(),
    Route::new("POST", "/verify/{inquiry-id}", "hosted_submit", hosted::submit, "Submit the hosted verification page").html(),
    Route::read_only("GET", "/verify/{inquiry-id}", "hosted_page", hosted::form_action_page, "The hosted page's form action opened again: 303 to the inquiry's page").html(),
    Route::new("GET", "/widget", "hosted_page", hosted::page, "Hosted verification page (embedded flow)").html(),
    Route::new("POST", "/widget/{inquiry-id}", "hosted_submit", hosted::submit, "Submit the embedded verification page").html(),
    Route::read_only("GET", "/widget/{inquiry-id}", "hosted_page", hosted::form_action_page, "The embedded page's form action opened again: 303 to the inquiry's page").html(),
];

/// The event operation Persona asks the scenario engine about: an inquiry completed and about
/// to be decided.
pub const INQUIRY_DECISION: crate::scenario::Operation =
    crate::scenario::Operation::event("inquiry_decision");

static EVENTS: &[crate::scenario::OperationTerms] = &[crate::scenario::OperationTerms {
    operation: INQUIRY_DECISION,
    outcomes: &[
        Outcome::Approved,
        Outcome::Declined,
        Outcome::NeedsReview,
        Outcome::SelfieMismatch,
        Outcome::Failed,
        Outcome::Expired,
    ],
}];

fn is_api(req: &ApiRequest) -> bool {
    req.path.starts_with("/api/")
}

/// Whether `finish` rewrites the answer's JSON: `include`, `fields[type]`, or a
/// `Key-Inflection` other than kebab.
pub(super) fn rewrites_answer(req: &ApiRequest) -> bool {
    is_api(req)
        && (include::requested(req)
            || matches!(
                Inflection::parse(req.header("key-inflection")),
                Ok(Inflection::Snake | Inflection::Camel)
            ))
}

impl VendorApi for Persona {
    fn vendor(&self) -> Vendor {
        Vendor::Persona
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/api/v1", "/verify", "/widget"]
    }

    fn routes(&self) -> &'static [Route] {
        ROUTES
    }

    fn error(&self, status: u16, message: &str, req: &ApiRequest) -> ApiResponse {
        super::error(status, message, req)
    }

    fn json_bom(&self) -> Bom {
        request::BOM
    }

    /// Persona documents IETF-draft RateLimit-* headers on every response.
    fn fault_headers(&self, status: u16) -> &'static [(&'static str, &'static str)] {
        if status == 429 {
            &[
                ("ratelimit-limit", "300"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "1"),
            ]
        } else {
            &[]
        }
    }

    /// Under `/api/v1`: a valid `Key-Inflection`, the API key, a `Persona-Version` Persona
    /// has, known `include` names; a request repeated with its `Idempotency-Key` gets the kept
    /// answer instead of running again.
    fn admit(&self, cx: &Ctx, world: &World) -> Result<(), ApiResponse> {
        if !is_api(cx.req) {
            return Ok(());
        }
        Inflection::parse(cx.req.header("key-inflection"))
            .map_err(|message| super::error(400, &message, cx.req))?;
        authenticate(cx.app, cx.req)?;
        check_version(cx.req)?;
        include::check(cx.req).map_err(|message| super::error(400, &message, cx.req))?;
        match idempotency::replay(world, cx.req) {
            Some(kept) => Err(kept),
            None => Ok(()),
        }
    }

    fn remembers(&self, req: &ApiRequest) -> bool {
        idempotency::key(req).is_some()
    }

    /// The answer to a request with an `Idempotency-Key`, as the handler gave it (`finish`
    /// applies `include` and `Key-Inflection` again to a replay).
    fn remember(&self, cx: &Ctx, world: &mut World, response: &ApiResponse) {
        idempotency::remember(world, cx.req, response);
    }

    /// Every answer carries a `Request-Id`; API bodies get what `include` and `fields[type]`
    /// ask for, then are recased per `Key-Inflection`.
    fn finish(&self, cx: &Ctx, world: &World, mut response: ApiResponse) -> ApiResponse {
        if is_api(cx.req) && (200..300).contains(&response.status) && include::requested(cx.req) {
            response.body.to_json();
            if let ResponseBody::Json(body) = &mut response.body {
                include::resolve(world, cx.req, body);
                include::sparse(cx.req, body);
            }
        }
        if is_api(cx.req)
            && let Ok(inflection @ (Inflection::Snake | Inflection::Camel)) =
                Inflection::parse(cx.req.header("key-inflection"))
        {
            response.body.to_json();
            if let ResponseBody::Json(body) = &mut response.body {
                *body = inflection.apply(std::mem::take(body));
            }
        }
        // A refusal in a namespace the request made belongs to none yet (it is forgotten with
        // it): its id is the server's own stream's, as a refusal's before routing.
        let ids = if response.is_refusal() && cx.namespace.is_provisional() {
            cx.app.store.request_ids()
        } else {
            &world.request_ids
        };
        let id = ids.next("req_");
        response.with_header("request-id", id)
    }

    /// Every answer carries a `Request-Id`: one of the namespace's when it exists, else the
    /// server's own stream's.
    fn finish_unrouted(
        &self,
        app: &App,
        namespace: Option<&Namespace>,
        response: ApiResponse,
    ) -> ApiResponse {
        let id = match namespace {
            Some(namespace) => namespace.read().request_ids.next("req_"),
            None => app.store.request_ids().next("req_"),
        };
        response.with_header("request-id", id)
    }

    fn settle(&self, app: &App, world: &mut World) {
        lifecycle::settle(app, world);
    }

    fn due(&self, world: &World) -> bool {
        world.persona.has_due(world.clock.now_ms())
    }

    fn webhook_headers(
        &self,
        secrets: &[String],
        attempt: &AttemptInfo,
        body: &[u8],
    ) -> Vec<(String, String)> {
        webhooks::webhook_headers(secrets, attempt, body)
    }

    fn admin_state(&self, world: &World) -> Value {
        super::admin::state(world)
    }

    fn scenario(&self) -> ScenarioHooks {
        ScenarioHooks::seeded_by::<super::scenario::PersonaSeed>(EVENTS, super::scenario::magic)
    }

    fn doc(&self) -> VendorDoc {
        VendorDoc {
            description: "Persona: inquiries, events, share tokens, webhooks, hosted flow",
            security: || json!([{"personaKey": []}]),
            schemes: || json!({"personaKey": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <Persona API key>"}}),
            error_schema: || {
                object(
                    &["errors"],
                    json!({"errors": {"type": "array", "items": object(&["title"], json!({"title": {"type": "string"}}))}}),
                )
            },
        }
    }
}

/// The dated API versions Persona documents (vendors.md, "Persona-Version"). A request may pin
/// any of them; every one is answered in the shapes of `2023-01-05`, the spec's.
const API_VERSIONS: [&str; 8] = [
    "2020-05-18",
    "2021-05-14",
    "2021-07-05",
    "2022-09-01",
    "2023-01-05",
    "2025-10-27",
    "2025-12-08",
    "2026-09-29",
];

/// Refuses a `Persona-Version` that is not one of Persona's versions (a typo, another format):
/// answering it as if it were would hide the mistake. No header is the default version.
fn check_version(req: &ApiRequest) -> Result<(), ApiResponse> {
    let Some(version) = req.header("persona-version") else {
        return Ok(());
    };
    if API_VERSIONS.contains(&version.trim_ascii()) {
        return Ok(());
    }
    let message = format!(
        "Persona-Version {version:?} is not an API version; Persona's are {} (YYYY-MM-DD)",
        API_VERSIONS.join(", ")
    );
    Err(super::error(400, &message, req))
}

/// `Authorization: Bearer <key>`: any non-empty key, or one of `--persona-api-key` when given.
fn authenticate(app: &App, req: &ApiRequest) -> Result<(), ApiResponse> {
    let key = req
        .header("authorization")
        .and_then(|h| {
            // ASCII trims: a header value reaches here as visible ASCII, and `trim` decodes
            // characters to look for Unicode spaces.
            let (scheme, key) = h.trim_ascii().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| key.trim_ascii())
        })
        .filter(|key| !key.is_empty());
    let Some(key) = key else {
        return Err(super::unauthorized(
            "Must be authenticated to access this endpoint",
        ));
    };
    let allowed = &app.config.persona.api_keys;
    if !allowed.is_empty() && !allowed.iter().any(|k| k == key) {
        return Err(super::unauthorized("Token is invalid"));
    }
    Ok(())
}
