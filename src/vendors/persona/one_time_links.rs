//! `POST /inquiries/{id}/generate-one-time-link`: a link to this server's hosted flow,
//! `/verify?code=…`, that opens the inquiry once (then its `?inquiry-id=` page) until it expires
//! (`meta.expires-in-seconds`, else the inquiry's `meta.one-time-link-expiration-seconds`, else
//! 24 hours).

use serde_json::{Value, json};

use super::entities::OneTimeLink;
use super::model::InquiryStatus;
use super::request::{BODY, body_object, object_at, only_keys, refuse};
use super::{Ctx, Replies, render};
use crate::http::{ApiResponse, percent_encode};
use crate::store::World;
use crate::vendors::numbers::whole_number;

/// How long a link lives unless the request says.
const DEFAULT_SECONDS: i64 = 24 * 60 * 60;
/// The longest a link may live: the spec's `expires-in-seconds` is an `int32`.
const MAX_SECONDS: i64 = i32::MAX as i64;

/// `meta.expires-in-seconds`, if the request gave it.
fn expires_in(ctx: &Ctx) -> Result<Option<i64>, ApiResponse> {
    let body = body_object(ctx, true).map_err(|r| refuse(ctx, r))?;
    only_keys(&body, &["meta"], BODY).map_err(|r| refuse(ctx, r))?;
    let meta = object_at(&body, "meta", BODY).map_err(|r| refuse(ctx, r))?;
    only_keys(&meta, &["expires-in-seconds"], "meta").map_err(|r| refuse(ctx, r))?;
    match meta.get("expires-in-seconds") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match whole_number(v) {
            Some(s) if s > 0 && s <= MAX_SECONDS => Ok(Some(s)),
            // A positive integer above the bound is told the bound, not that it is not positive.
            Some(s) if s > 0 => Err(ctx.error(
                400,
                &format!("meta.expires-in-seconds must be at most {MAX_SECONDS}, got {s}"),
            )),
            _ if v.as_u64().is_some() => Err(ctx.error(
                400,
                &format!("meta.expires-in-seconds must be at most {MAX_SECONDS}, got {v}"),
            )),
            _ => Err(ctx.error(
                400,
                &format!(
                    "meta.expires-in-seconds must be an integer from 1 to {MAX_SECONDS}, got {v}"
                ),
            )),
        },
    }
}

/// `POST /api/v1/inquiries/{id}/generate-one-time-link`.
pub(super) fn generate(ctx: &Ctx, world: &mut World, id: &str) -> ApiResponse {
    let Some(inquiry) = world.persona.inquiry(id) else {
        return ctx.not_found();
    };
    let (status, redacted) = (inquiry.status, inquiry.rare().redacted_at.is_some());
    // The request's, else what the inquiry's creation set, else a day.
    let by_inquiry = inquiry.rare().intervals.and_then(|i| i.one_time_link);
    let seconds = match expires_in(ctx) {
        Ok(s) => s.or(by_inquiry).unwrap_or(DEFAULT_SECONDS),
        Err(refused) => return refused,
    };
    if redacted {
        return ctx.error(409, super::lifecycle::REDACTED);
    }
    if !matches!(
        status,
        InquiryStatus::Created | InquiryStatus::Pending | InquiryStatus::Expired
    ) {
        return ctx.unprocessable(
            &format!(
                "A one-time link cannot be generated because the inquiry's status is {status}; only a created, pending or expired inquiry can be continued"
            ),
            "/",
        );
    }
    let code = format!("sb1-{}", world.ids.alphanumeric(24));
    let expires_at = world
        .clock
        .now_ms()
        .saturating_add(seconds.saturating_mul(1000));
    world.persona.one_time_links.insert(
        code.clone(),
        OneTimeLink {
            inquiry_id: id.to_string(),
            expires_at,
            used: false,
        },
    );
    let link = ctx.app.url(
        &ctx.req.namespace,
        &format!("/verify?code={}", percent_encode(&code)),
    );
    let Some(inquiry) = world.persona.inquiry(id) else {
        return ctx.not_found();
    };
    let mut document = render::inquiry_document(inquiry);
    document.meta = Some(json!({"one-time-link": link, "one-time-link-short": link}));
    ctx.document(200, &document)
}

/// The inquiry one-time link `code` opens, using it up; `Err` says why it does not.
pub(super) fn redeem(world: &mut World, code: &str) -> Result<String, String> {
    let now = world.clock.now_ms();
    let Some(link) = world.persona.one_time_links.get_mut(code) else {
        return Err("This link is not a one-time link of this sandbox.".into());
    };
    if link.used {
        return Err("This one-time link was already used.".into());
    }
    if link.expires_at <= now {
        return Err("This one-time link has expired.".into());
    }
    link.used = true;
    Ok(link.inquiry_id.clone())
}
