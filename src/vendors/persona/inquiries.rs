//! `/api/v1/inquiries`: create, retrieve, list, the status actions and simulate actions.
//!
//! Every handler validates the whole request before it changes anything, so a refused request
//! leaves the namespace as it was.

use serde_json::{Map, Value, json};

use super::lifecycle::{self, TransitionError};
use super::model::{Inquiry, InquiryStatus, Intervals, NewInquiry};
use super::request::{
    BODY, Refusal, body_object, kebab_keys, object_at, only_keys, refuse, string_at, web_redirect,
};
use super::{Ctx, Replies, filters, render};
use crate::clock::DayEnd;
use crate::http::ApiResponse;
use crate::store::World;
use crate::vendors::numbers::whole_number;

/// The longest interval `meta` may set (`expiration-after-create-interval-seconds`…): 10 years.
const MAX_EXPIRY_SECONDS: i64 = 10 * 365 * 24 * 60 * 60;

/// The three ways to name the template; exactly one is required.
const TEMPLATE_KEYS: [&str; 3] = [
    "inquiry-template-id",
    "template-id",
    "inquiry-template-version-id",
];

/// `POST /api/v1/inquiries`.
pub(super) fn create(ctx: &Ctx, world: &mut World) -> ApiResponse {
    match parse_create(ctx) {
        Ok((new, account_id, expire_after)) => {
            if let Some(account) = &account_id
                && world.persona.account(account).is_none()
            {
                return ctx.unprocessable(
                    &format!("data.attributes.account-id {account:?} is not an account"),
                    "/data/attributes/account-id",
                );
            }
            let id = lifecycle::create_inquiry_with(ctx.app, world, new, account_id, expire_after);
            match world.persona.inquiry(&id) {
                Some(inquiry) => ctx.document(201, &render::inquiry_document(inquiry)),
                None => ctx.error(500, "The inquiry just created could not be read back"),
            }
        }
        Err(refusal) => refuse(ctx, refusal),
    }
}

type CreateRequest = (NewInquiry, Option<String>, Option<i64>);

fn parse_create(ctx: &Ctx) -> Result<CreateRequest, Refusal> {
    let body = body_object(ctx, false)?;
    only_keys(&body, &["data", "meta"], BODY)?;
    let data = match body.get("data") {
        Some(Value::Object(d)) => kebab_keys(d.clone(), "data")?,
        Some(_) => return Err((400, "data must be an object".into(), "/data")),
        None => return Err((400, "data is required".into(), "/data")),
    };
    only_keys(&data, &["attributes"], "data")?;
    if !data.contains_key("attributes") {
        return Err((
            400,
            "data.attributes is required".into(),
            "/data/attributes",
        ));
    }
    let attrs = object_at(&data, "attributes", "data")?;
    let at = "data.attributes";
    let mut templates = Vec::new();
    for key in TEMPLATE_KEYS {
        if let Some(id) = string_at(&attrs, key, at)? {
            templates.push((key, id));
        }
    }
    let template_id = match templates.as_slice() {
        [] => {
            return Err((
                422,
                "data.attributes.inquiry-template-id is required (or template-id, or inquiry-template-version-id)".to_string(),
                "/data/attributes/inquiry-template-id",
            ));
        }
        [(key, id)] => {
            let prefix = match *key {
                "inquiry-template-id" => "itmpl_",
                "template-id" => "tmpl_",
                _ => "itmplv_",
            };
            if !id.starts_with(prefix) || id.len() <= prefix.len() {
                return Err((
                    422,
                    format!(
                        "data.attributes.{key} must be an id starting with {prefix}, got {id:?}"
                    ),
                    "/data/attributes",
                ));
            }
            id.clone()
        }
        several => {
            let keys: Vec<&str> = several.iter().map(|(k, _)| *k).collect();
            return Err((
                422,
                format!(
                    "Send only one of data.attributes.inquiry-template-id, template-id, inquiry-template-version-id; got {}",
                    keys.join(" and ")
                ),
                "/data/attributes",
            ));
        }
    };
    let fields = super::fields::given(&attrs, at)?;
    let tags = super::tags::given(&attrs, at)?.unwrap_or_default();
    let redirect_uri = string_at(&attrs, "redirect-uri", at)?;
    if let Some(uri) = &redirect_uri {
        web_redirect(uri).map_err(|message| (400, message, "/data/attributes/redirect-uri"))?;
    }
    let account_id = string_at(&attrs, "account-id", at)?;
    let meta = object_at(&body, "meta", BODY)?;
    only_keys(
        &meta,
        &[
            "auto-create-account",
            "auto-create-account-type-id",
            "auto-create-account-reference-id",
            "expiration-after-create-interval-seconds",
            "expiration-after-start-interval-seconds",
            "expiration-after-resume-interval-seconds",
            "one-time-link-expiration-seconds",
        ],
        "meta",
    )?;
    let without_account = match meta.get("auto-create-account") {
        None | Some(Value::Null) | Some(Value::Bool(true)) => false,
        Some(Value::Bool(false)) => true,
        Some(_) => {
            return Err((
                400,
                "meta.auto-create-account must be a boolean".into(),
                "/meta/auto-create-account",
            ));
        }
    };
    let account_reference_id = string_at(&meta, "auto-create-account-reference-id", "meta")?;
    if without_account && account_reference_id.is_some() {
        return Err((
            400,
            "meta.auto-create-account-reference-id cannot be given when meta.auto-create-account is false".into(),
            "/meta/auto-create-account-reference-id",
        ));
    }
    let seconds = |key: &str| interval(&meta, key);
    let expire_after = seconds("expiration-after-create-interval-seconds")?;
    let intervals = Intervals {
        after_start: seconds("expiration-after-start-interval-seconds")?,
        after_resume: seconds("expiration-after-resume-interval-seconds")?,
        one_time_link: seconds("one-time-link-expiration-seconds")?,
    };
    let new = NewInquiry {
        template_id: Some(template_id),
        reference_id: string_at(&attrs, "reference-id", at)?,
        redirect_uri,
        fields: fields.into(),
        note: string_at(&attrs, "note", at)?,
        tags,
        account_reference_id,
        without_account,
        intervals,
    };
    Ok((new, account_id, expire_after))
}

/// `meta.<key>`, a number of seconds from 1 to 10 years.
fn interval(meta: &Map<String, Value>, key: &str) -> Result<Option<i64>, Refusal> {
    match meta.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match whole_number(v) {
            Some(s) if s > MAX_EXPIRY_SECONDS => Err((
                422,
                format!("meta.{key} must be at most {MAX_EXPIRY_SECONDS} (10 years), got {s}"),
                "/meta",
            )),
            Some(s) if s > 0 => Ok(Some(s)),
            _ => Err((
                400,
                format!("meta.{key} must be a positive integer"),
                "/meta",
            )),
        },
    }
}

/// `GET /api/v1/inquiries/{id}`.
pub(super) fn retrieve(ctx: &Ctx, world: &World, id: &str) -> ApiResponse {
    match world.persona.inquiry(id) {
        Some(inquiry) => ctx.document(200, &render::inquiry_document(inquiry)),
        None => ctx.not_found(),
    }
}

/// The filters of `GET /api/v1/inquiries` (the spec's `filter` parameter).
const LIST_FILTERS: [&str; 8] = [
    "account-id",
    "note",
    "reference-id",
    "inquiry-template-id",
    "template-id",
    "status",
    "created-at-start",
    "created-at-end",
];

/// `GET /api/v1/inquiries`: newest first; filters, then cursor pagination.
pub(super) fn list(ctx: &Ctx, world: &World) -> ApiResponse {
    if let Err(response) = filters::only(ctx, &LIST_FILTERS) {
        return response;
    }
    let statuses = match filters::list(ctx, "status") {
        None => None,
        Some(names) => {
            let mut statuses = Vec::new();
            for name in names {
                match InquiryStatus::parse(name) {
                    Some(s) => statuses.push(s),
                    None => {
                        let known: Vec<&str> =
                            InquiryStatus::ALL.iter().map(|s| s.as_str()).collect();
                        return ctx.error(
                            400,
                            &format!(
                                "filter[status] has an unknown status {name:?}; statuses are {}",
                                known.join(", ")
                            ),
                        );
                    }
                }
            }
            Some(statuses)
        }
    };
    let (start, end) = match (
        filters::time(ctx, "created-at-start", DayEnd::Start),
        filters::time(ctx, "created-at-end", DayEnd::End),
    ) {
        (Ok(start), Ok(end)) => (start, end),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    let (note, reference_id) = match (
        filters::value(ctx, "note"),
        filters::value(ctx, "reference-id"),
    ) {
        (Ok(note), Ok(reference_id)) => (note, reference_id),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    if note.is_some()
        && ctx
            .req
            .query
            .iter()
            .filter(|(k, _)| k.starts_with("filter["))
            .count()
            > 1
    {
        return ctx.error(400, "filter[note] must be the only filter");
    }
    let templates = filters::list(ctx, "inquiry-template-id");
    let legacy_templates = filters::list(ctx, "template-id");
    let accounts = filters::list(ctx, "account-id");
    let among = |list: &Option<Vec<&str>>, value: Option<&str>| {
        list.as_ref()
            .is_none_or(|l| value.is_some_and(|v| l.contains(&v)))
    };
    let matching: Vec<&Inquiry> = world
        .persona
        .inquiries()
        .iter()
        .map(|i| &**i)
        .rev()
        .filter(|i| statuses.as_ref().is_none_or(|s| s.contains(&i.status)))
        .filter(|i| reference_id.is_none_or(|r| i.reference_id.as_deref() == Some(r)))
        .filter(|i| note.is_none_or(|n| i.note.as_deref() == Some(n)))
        .filter(|i| {
            among(&templates, i.template_id.as_deref())
                && among(&legacy_templates, i.template_id.as_deref())
        })
        .filter(|i| among(&accounts, i.account_id.as_deref()))
        .filter(|i| start.is_none_or(|t| i.created_at >= t))
        .filter(|i| end.is_none_or(|t| i.created_at <= t))
        .collect();
    let all = || world.persona.inquiries().iter().map(|i| &**i).rev();
    let place = |cursor: &str| super::cursor_place(all(), &matching, cursor, |i| i.id.as_str());
    match super::page(
        ctx,
        &matching,
        |i| i.id.as_str(),
        place,
        "/api/v1/inquiries",
    ) {
        Ok((items, links)) => ctx.document(200, &render::inquiry_list(items, &links)),
        Err(response) => response,
    }
}

pub(super) fn transition_refusal(ctx: &Ctx, error: &TransitionError) -> ApiResponse {
    match error {
        TransitionError::NotFound(_) => ctx.not_found(),
        TransitionError::Redacted => ctx.error(409, lifecycle::REDACTED),
        TransitionError::Illegal { .. } => ctx.unprocessable(&error.to_string(), "/"),
    }
}

/// `approve`, `decline`, `expire`: body `{"meta": {"comment": "…"}}`, optional.
pub(super) fn decide(ctx: &Ctx, world: &mut World, id: &str, to: InquiryStatus) -> ApiResponse {
    if world.persona.inquiry(id).is_none() {
        return ctx.not_found();
    }
    let comment = match parse_decision(ctx) {
        Ok(c) => c,
        Err(refusal) => return refuse(ctx, refusal),
    };
    if let Err(e) = lifecycle::check_transition(world, id, to) {
        return transition_refusal(ctx, &e);
    }
    if let (Some(comment), Some(inquiry)) = (comment, world.persona.inquiry_mut(id)) {
        inquiry.rare_mut().reviewer_comment = Some(comment);
    }
    if let Err(e) = lifecycle::transition(ctx.app, world, id, to) {
        return transition_refusal(ctx, &e);
    }
    retrieve(ctx, world, id)
}

fn parse_decision(ctx: &Ctx) -> Result<Option<String>, Refusal> {
    let body = body_object(ctx, true)?;
    only_keys(&body, &["meta"], BODY)?;
    let meta = object_at(&body, "meta", BODY)?;
    only_keys(&meta, &["comment"], "meta")?;
    string_at(&meta, "comment", "meta")
}

/// A resume body: none, or an object whose `meta.session-token`, if sent, is a string (the spec
/// gives the request no body; the token is the answer's, so one sent is only checked).
fn parse_resume(ctx: &Ctx) -> Result<(), Refusal> {
    let body = body_object(ctx, true)?;
    let meta = object_at(&body, "meta", BODY)?;
    string_at(&meta, "session-token", "meta").map(drop)
}

/// `POST /api/v1/inquiries/{id}/resume`: a session token for the hosted flow; an expired
/// inquiry goes back to `pending`.
pub(super) fn resume(ctx: &Ctx, world: &mut World, id: &str) -> ApiResponse {
    let Some(status) = world.persona.inquiry(id).map(|i| i.status) else {
        return ctx.not_found();
    };
    if let Err(refusal) = parse_resume(ctx) {
        return refuse(ctx, refusal);
    }
    if let Some(refused) = super::edits::redacted(ctx, world, id) {
        return refused;
    }
    // Persona first reuses a session still valid: a created or pending inquiry's token (the
    // hosted page may have issued one) stays the one the flow loads with. An expired inquiry's
    // sessions ended with it.
    let reused = match status {
        InquiryStatus::Created | InquiryStatus::Pending => world
            .persona
            .inquiry(id)
            .and_then(|i| i.rare().session_token.clone()),
        _ => None,
    };
    // Created, pending or expired inquiries are resumed; completed, failed and decisioned ones
    // are a 409, as Persona's reference says (vendors.md 1.3).
    match status {
        InquiryStatus::Created | InquiryStatus::Pending => {}
        InquiryStatus::Expired => {
            if let Err(e) = lifecycle::transition(ctx.app, world, id, InquiryStatus::Pending) {
                return transition_refusal(ctx, &e);
            }
        }
        other => {
            return ctx.error(
                409,
                &format!(
                    "Inquiry cannot be resumed because its status is {other}; only a created, pending or expired inquiry can be"
                ),
            );
        }
    }
    let token = reused.unwrap_or_else(|| super::hosted::new_session_token(world));
    let Some(inquiry) = world.persona.inquiry_mut(id) else {
        return ctx.not_found();
    };
    inquiry.rare_mut().session_token = Some(token.clone());
    let mut document = render::inquiry_document(inquiry);
    document.meta = Some(json!({"session-token": token}));
    ctx.document(200, &document)
}
