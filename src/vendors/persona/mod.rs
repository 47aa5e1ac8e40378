//! Persona: inquiries, the hosted verification flow, Connect share tokens, signed webhooks.
//!
//! JSON:API bodies with kebab-case keys (`Key-Inflection` recases them); errors
//! `{"errors":[{"title","details"}]}`. This file is the route table, authentication and the
//! envelope; the state machine is in `lifecycle`, the resources in their own files.

mod decision;
mod events;
mod hosted;
mod inflection;
mod inquiries;
mod lifecycle;
mod model;
mod render;
mod request;
mod share_tokens;
#[cfg(test)]
mod tests;
pub mod webhooks;

pub use decision::apply_initial_state;
pub use lifecycle::{
    INQUIRY_EXPIRY_SECONDS, TransitionError, check_transition, create_inquiry, hosted_url, settle,
    transition, transition_through,
};
pub use model::{
    Event, Inquiry, InquiryStatus, NewInquiry, ScheduledDecision, ShareToken, ShareTokenStatus,
    State, Verification,
};
pub use share_tokens::{
    REDEMPTION_SECONDS, RedeemError, SHARE_TOKEN_TTL_SECONDS, create_share_token,
    redeem_share_token, share_token_now,
};
pub use webhooks::webhook_headers;

use serde_json::{Value, json};

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse, ResponseBody, percent_encode};
use crate::store::World;
use inflection::Inflection;

/// Every route `handle` answers, as (method, path template): for the OpenAPI description and
/// the test that keeps this list and the `match` below in step.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/inquiries"),
    ("GET", "/api/v1/inquiries"),
    ("GET", "/api/v1/inquiries/{inquiry-id}"),
    ("POST", "/api/v1/inquiries/{inquiry-id}/approve"),
    ("POST", "/api/v1/inquiries/{inquiry-id}/decline"),
    ("POST", "/api/v1/inquiries/{inquiry-id}/expire"),
    ("POST", "/api/v1/inquiries/{inquiry-id}/resume"),
    (
        "POST",
        "/api/v1/inquiries/{inquiry-id}/perform-simulate-actions",
    ),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/events/{event-id}"),
    ("POST", "/api/v1/connect/share-tokens"),
    ("GET", "/api/v1/connect/share-tokens"),
    ("GET", "/api/v1/connect/share-tokens/{share-token-id}"),
    (
        "POST",
        "/api/v1/connect/share-tokens/{share-token-id}/expire",
    ),
    (
        "POST",
        "/api/v1/connect/share-tokens/{share-token-id}/redeem",
    ),
    ("GET", "/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks"),
    ("GET", "/api/v1/webhooks/{webhook-id}"),
    ("PATCH", "/api/v1/webhooks/{webhook-id}"),
    ("POST", "/api/v1/webhooks/{webhook-id}/enable"),
    ("POST", "/api/v1/webhooks/{webhook-id}/disable"),
    ("POST", "/api/v1/webhooks/{webhook-id}/archive"),
    ("POST", "/api/v1/webhooks/{webhook-id}/rotate-secret"),
    ("GET", "/verify"),
    ("GET", "/widget"),
    ("POST", "/verify/{inquiry-id}"),
    ("POST", "/widget/{inquiry-id}"),
];

pub fn handle(app: &App, req: &ApiRequest) -> ApiResponse {
    let ns = app.store.namespace(&req.namespace);
    // One critical section per request: the Request-Id and whatever the request creates are
    // drawn from the namespace's seeded ids together, so concurrent clients cannot interleave.
    let mut world = ns.lock();
    let world = &mut *world;
    let request_id = world.ids.persona("req_");
    let segments = req.segments();
    let response = match (req.method.as_str(), segments.as_slice()) {
        (_, ["api", "v1", rest @ ..]) => api(app, world, req, rest),
        ("GET", ["verify"] | ["widget"]) => hosted::page(app, world, req),
        ("POST", ["verify", ..] | ["widget", ..]) => hosted::submit(app, world, req),
        _ => super::no_route(super::Vendor::Persona, req),
    };
    response.with_header("request-id", request_id)
}

/// Everything under `/api/v1`: authenticated, and recased per `Key-Inflection`.
fn api(app: &App, world: &mut World, req: &ApiRequest, path: &[&str]) -> ApiResponse {
    let inflection = match Inflection::parse(req.header("key-inflection")) {
        Ok(i) => i,
        Err(message) => return error(400, &message, req),
    };
    if let Err(response) = authenticate(app, req) {
        return response;
    }
    let mut response = match path {
        ["webhooks", ..] => webhooks::handle(app, world, req),
        _ => {
            lifecycle::settle(app, world);
            let ctx = Ctx { app, req };
            route(&ctx, world, path)
        }
    };
    if let ResponseBody::Json(body) = &mut response.body {
        *body = inflection.apply(std::mem::take(body));
    }
    response
}

/// The `/api/v1` route table (the path below `/api/v1`).
fn route(ctx: &Ctx, world: &mut World, path: &[&str]) -> ApiResponse {
    match (ctx.req.method.as_str(), path) {
        ("POST", ["inquiries"]) => inquiries::create(ctx, world),
        ("GET", ["inquiries"]) => inquiries::list(ctx, world),
        ("GET", ["inquiries", id]) => inquiries::retrieve(ctx, world, id),
        ("POST", ["inquiries", id, "approve"]) => {
            inquiries::decide(ctx, world, id, InquiryStatus::Approved)
        }
        ("POST", ["inquiries", id, "decline"]) => {
            inquiries::decide(ctx, world, id, InquiryStatus::Declined)
        }
        ("POST", ["inquiries", id, "expire"]) => {
            inquiries::decide(ctx, world, id, InquiryStatus::Expired)
        }
        ("POST", ["inquiries", id, "resume"]) => inquiries::resume(ctx, world, id),
        ("POST", ["inquiries", id, "perform-simulate-actions"]) => {
            inquiries::simulate(ctx, world, id)
        }
        ("GET", ["events"]) => events::list(ctx, world),
        ("GET", ["events", id]) => events::retrieve(ctx, world, id),
        ("POST", ["connect", "share-tokens"]) => share_tokens::create(ctx, world),
        ("GET", ["connect", "share-tokens"]) => share_tokens::list(ctx, world),
        ("GET", ["connect", "share-tokens", id]) => share_tokens::retrieve(ctx, world, id),
        ("POST", ["connect", "share-tokens", id, "expire"]) => share_tokens::expire(ctx, world, id),
        ("POST", ["connect", "share-tokens", id, "redeem"]) => share_tokens::redeem(ctx, world, id),
        _ => super::no_route(super::Vendor::Persona, ctx.req),
    }
}

/// `Authorization: Bearer <key>`: any non-empty key, or one of `--persona-api-key` when given.
fn authenticate(app: &App, req: &ApiRequest) -> Result<(), ApiResponse> {
    let key = req
        .header("authorization")
        .and_then(|h| {
            let (scheme, key) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        })
        .filter(|key| !key.is_empty());
    let Some(key) = key else {
        return Err(error(
            401,
            "Send the API key as `Authorization: Bearer <api key>`",
            req,
        ));
    };
    let allowed = &app.config.persona.api_keys;
    if !allowed.is_empty() && !allowed.iter().any(|k| k == key) {
        return Err(errors(
            401,
            "Token is invalid",
            "The API key is not one of the keys this sandbox accepts (--persona-api-key)",
        ));
    }
    Ok(())
}

/// What a resource handler needs besides the world.
pub(crate) struct Ctx<'a> {
    pub app: &'a App,
    pub req: &'a ApiRequest,
}

impl Ctx<'_> {
    pub fn ok(&self, status: u16, body: Value) -> ApiResponse {
        ApiResponse::json(status, body)
    }

    pub fn error(&self, status: u16, message: &str) -> ApiResponse {
        error(status, message, self.req)
    }

    /// Persona's 404: `{"errors":[{"title":"Record not found"}]}`, details saying which path.
    pub fn not_found(&self) -> ApiResponse {
        errors(
            404,
            "Record not found",
            &format!("No record matches {}", self.req.path),
        )
    }

    /// A 422 whose `source.pointer` names the offending part of the body.
    pub fn unprocessable(&self, message: &str, pointer: &str) -> ApiResponse {
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
fn page<'i, T>(
    ctx: &Ctx,
    items: &'i [T],
    id_of: impl Fn(&T) -> &str,
    path: &str,
) -> Result<(&'i [T], Value), ApiResponse> {
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
    let position = |param: &str| -> Result<Option<usize>, ApiResponse> {
        match ctx.req.query_param(param) {
            None | Some("") => Ok(None),
            Some(cursor) => items
                .iter()
                .position(|item| id_of(item) == cursor)
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
        (Some(after), None) => (after + 1, (after + 1 + size).min(items.len())),
        (None, Some(before)) => (before.saturating_sub(size), before),
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
        .raw_path
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

/// Persona's error envelope. Note the key is `details`, not JSON:API's `detail`.
pub fn error(status: u16, message: &str, _req: &ApiRequest) -> ApiResponse {
    let title = match status {
        400 => "Bad Request",
        401 => "Must be authenticated to access this endpoint",
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

fn errors(status: u16, title: &str, details: &str) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({"errors": [{"title": title, "details": details}]}),
    )
}
