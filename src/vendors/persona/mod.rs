//! Persona: inquiries, the hosted verification flow, Connect share tokens, signed webhooks.
//!
//! JSON:API bodies with kebab-case keys (`Key-Inflection` recases them); errors
//! `{"errors":[{"title","details"}]}`. The route table, authentication and the vendor seam are
//! in `routes`; this file has the envelope and pagination; the state machine is in `lifecycle`,
//! the resources in their own files.

mod accounts;
mod admin;
mod edits;
mod entities;
mod events;
mod fields;
mod filters;
mod hosted;
mod idempotency;
mod include;
mod inflection;
mod inquiries;
mod lifecycle;
pub(crate) mod model;
mod one_time_links;
mod rare;
mod render;
mod request;
mod routes;
mod scenario;
mod share_tokens;
mod shared;
mod simulate;
mod status;
mod tags;
#[cfg(test)]
mod tests;
mod verifications;
pub mod webhooks;

pub use lifecycle::{
    INQUIRY_EXPIRY_SECONDS, TransitionError, check_transition, create_inquiry,
    create_inquiry_settled, hosted_url, settle, transition, transition_settled, transition_through,
};
pub use model::{
    Account, Event, Fields, Inquiry, InquiryStatus, NewInquiry, ScheduledDecision, ShareToken,
    ShareTokenStatus, State, Verification, VerificationKind, VerificationStatus,
};
pub use render::webhook_envelope;
pub use share_tokens::{
    REDEMPTION_SECONDS, RedeemError, SHARE_TOKEN_TTL_SECONDS, check_redeemable, create_share_token,
    redeem_share_token, share_token_now,
};
pub use webhooks::{restore_own_target, webhook_headers};

use serde_json::{Value, json};

use crate::http::{ApiRequest, ApiResponse, percent_encode};
pub use crate::vendors::Ctx;
pub use routes::Persona;

/// Persona's answers, on the frame's context.
pub(crate) trait Replies {
    fn ok(&self, status: u16, body: Value) -> ApiResponse;
    /// A typed document: serialized straight to bytes, or built as a `Value` when the request
    /// asks for the answer to be rewritten on the way out (`include`, `fields[type]`, a
    /// `Key-Inflection` other than kebab), so that nothing is parsed back from bytes.
    fn document(&self, status: u16, body: &impl serde::Serialize) -> ApiResponse;
    fn not_found(&self) -> ApiResponse;
    fn unprocessable(&self, message: &str, pointer: &str) -> ApiResponse;
}

impl Replies for Ctx<'_> {
    fn ok(&self, status: u16, body: Value) -> ApiResponse {
        ApiResponse::json(status, body)
    }

    fn document(&self, status: u16, body: &impl serde::Serialize) -> ApiResponse {
        if routes::rewrites_answer(self.req) {
            ApiResponse::json(status, serde_json::to_value(body).unwrap_or(Value::Null))
        } else {
            ApiResponse::rendered(status, body)
        }
    }

    /// Persona's 404: `{"errors":[{"title":"Record not found"}]}`, details saying which path.
    fn not_found(&self) -> ApiResponse {
        errors(
            404,
            "Record not found",
            &format!("No record matches {}", self.req.path),
        )
    }

    /// A 422 whose `source.pointer` names the offending part of the body.
    fn unprocessable(&self, message: &str, pointer: &str) -> ApiResponse {
        ApiResponse::json(
            422,
            json!({"errors": [{
                "title": "Unprocessable entity",
                "details": message,
                "source": {"pointer": pointer},
            }]}),
        )
    }
}

/// Default and largest `page[size]`.
const PAGE_SIZE_DEFAULT: usize = 10;
const PAGE_SIZE_MAX: usize = 100;

/// One page of `items` (already filtered and in list order) by Persona's cursor parameters,
/// and its `links` with `prev`/`next` (null at either end). Cursors are object ids. The links
/// are paths (as Persona's are), with the request's `/ns/NAME` prefix when it had one.
/// `place` finds a cursor `items` no longer holds ([`cursor_place`]).
fn page<'i, T>(
    ctx: &Ctx,
    items: &'i [T],
    id_of: impl Fn(&T) -> &str,
    place: impl Fn(&str) -> Option<usize>,
    path: &str,
) -> Result<(&'i [T], Value), ApiResponse> {
    // The spec's `page` is a deepObject of these three only (`additionalProperties: false`): a
    // typo such as `page[limit]` would otherwise silently give the default page.
    let stray = (ctx.req.query.iter()).find(|(key, _)| {
        (key == "page" || key.starts_with("page["))
            && !matches!(key.as_str(), "page[after]" | "page[before]" | "page[size]")
    });
    if let Some((key, _)) = stray {
        return Err(ctx.error(
            400,
            &format!("{key} is not a page parameter; a page is chosen with page[after], page[before] and page[size]"),
        ));
    }
    let size = match ctx.req.query_param("page[size]") {
        None => PAGE_SIZE_DEFAULT,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=PAGE_SIZE_MAX).contains(&n) => n,
            _ => {
                return Err(ctx.error(
                    400,
                    &format!("page[size] must be an integer from 1 to {PAGE_SIZE_MAX}, got {s:?}"),
                ));
            }
        },
    };
    // Where the cursor's object is: how many listed items come before it, and whether it is
    // listed itself.
    let position = |param: &str| -> Result<Option<(usize, bool)>, ApiResponse> {
        match ctx.req.query_param(param) {
            None | Some("") => Ok(None),
            Some(cursor) => items
                .iter()
                .position(|item| id_of(item) == cursor)
                .map(|at| (at, true))
                .or_else(|| place(cursor).map(|at| (at, false)))
                .map(Some)
                .ok_or_else(|| {
                    ctx.error(
                        400,
                        &format!("{param} {cursor:?} is not an id in this list"),
                    )
                }),
        }
    };
    let (start, end) = match (position("page[after]")?, position("page[before]")?) {
        (Some(_), Some(_)) => {
            return Err(ctx.error(400, "Send page[after] or page[before], not both"));
        }
        (Some((after, listed)), None) => {
            let start = after + usize::from(listed);
            (start, (start + size).min(items.len()))
        }
        (None, Some((before, _))) => (before.saturating_sub(size), before),
        (None, None) => (0, size.min(items.len())),
    };
    let slice = &items[start..end];
    // Other parameters (filters, page size) carry over into the links.
    let rest: String = ctx
        .req
        .query
        .iter()
        .filter(|(k, _)| k != "page[after]" && k != "page[before]")
        .map(|(k, v)| format!("&{}={}", percent_encode(k), percent_encode(v)))
        .collect();
    // A client isolated by the `/ns/NAME` prefix keeps it when it follows the link.
    let prefix = ctx
        .req
        .raw_path()
        .strip_prefix("/ns/")
        .and_then(|r| r.split('/').next())
        .map(|name| format!("/ns/{name}"))
        .unwrap_or_default();
    let link = |param: &str, id: &str| {
        json!(format!(
            "{prefix}{path}?{}={}{rest}",
            percent_encode(param),
            percent_encode(id)
        ))
    };
    let next = match slice.last() {
        Some(last) if end < items.len() => link("page[after]", id_of(last)),
        _ => Value::Null,
    };
    let prev = match slice.first() {
        Some(first) if start > 0 => link("page[before]", id_of(first)),
        _ => Value::Null,
    };
    Ok((slice, json!({"prev": prev, "next": next})))
}

/// Where object `cursor` falls in `listed` (a filtered `all`, in the same order) when it is not
/// listed itself: how many listed items come before it. Persona's cursors are object ids, so a
/// page goes on from where its last object is even after that object left the filter (a client
/// paging through `created` inquiries and starting each one). `None` when `all` has no such id.
fn cursor_place<'a, T: 'a>(
    all: impl Iterator<Item = &'a T>,
    listed: &[&'a T],
    cursor: &str,
    id_of: impl Fn(&T) -> &str,
) -> Option<usize> {
    let mut before = 0;
    for item in all {
        if id_of(item) == cursor {
            return Some(before);
        }
        if listed.get(before).is_some_and(|l| std::ptr::eq(*l, item)) {
            before += 1;
        }
    }
    None
}

/// Persona's error envelope. Note the key is `details`, not JSON:API's `detail`.
pub fn error(status: u16, message: &str, _req: &ApiRequest) -> ApiResponse {
    let title = match status {
        400 => "Bad Request",
        401 => return unauthorized("Must be authenticated to access this endpoint"),
        403 => "Forbidden",
        404 => "Record not found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable entity",
        429 => "Rate limit exceeded",
        507 => "Insufficient Storage",
        _ => "Internal Server Error",
    };
    errors(status, title, message)
}

/// A 401: Persona's spec allows its items a `title` and nothing else (vendors.md 1.6), and the
/// title says what is wrong.
pub(crate) fn unauthorized(title: &str) -> ApiResponse {
    ApiResponse::json(401, json!({"errors": [{"title": title}]}))
}

fn errors(status: u16, title: &str, details: &str) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({"errors": [{"title": title, "details": details}]}),
    )
}
