//! Connect share tokens (`cnst_…`): `/api/v1/connect/share-tokens`, and redemption as an
//! in-process call (the Coinflow part redeems the tokens its clients hand it).
//!
//! Redemption is asynchronous as Persona documents it: `redeem` answers `pending`, and the token
//! becomes `redeemed` [`REDEMPTION_SECONDS`] of sandbox time later. Tokens expire
//! [`SHARE_TOKEN_TTL_SECONDS`] after creation. Both happen lazily in [`settle`].
//!
//! Redeeming a token again for the same destination is idempotent: 200 with the token as it is
//! (`pending` or `redeemed`), so a client that retries after a lost answer is not refused. Only a
//! different destination is refused (already redeemed), like an expired token.

use serde_json::{Value, json};

use super::lifecycle::{self, TransitionError};
use super::model::{Inquiry, InquiryStatus, ShareToken, ShareTokenStatus};
use super::request::{BODY, Refusal, body_object, object_at, only_keys, refuse, string_at};
use super::{Ctx, Replies, render};
use crate::app::App;
use crate::clock::Millis;
use crate::http::ApiResponse;
use crate::store::World;

/// Sandbox seconds between `redeem` (status `pending`) and status `redeemed`.
pub const REDEMPTION_SECONDS: i64 = 2;
/// A share token's life: 14 days, as in Persona's examples.
pub const SHARE_TOKEN_TTL_SECONDS: i64 = 14 * 24 * 60 * 60;

/// Why a share token could not be redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemError {
    NotFound(String),
    Expired(String),
    /// Already pending or redeemed for another destination.
    AlreadyRedeemed(String),
    /// Its source inquiry was redacted: there is nothing left to share.
    SourceRedacted {
        token: String,
        source: String,
    },
}

impl std::fmt::Display for RedeemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedeemError::NotFound(id) => write!(f, "Share token {id} not found"),
            RedeemError::Expired(id) => {
                write!(
                    f,
                    "Share token {id} has expired and can no longer be redeemed"
                )
            }
            RedeemError::AlreadyRedeemed(id) => write!(
                f,
                "Share token {id} has already been redeemed for another destination"
            ),
            RedeemError::SourceRedacted { token, source } => write!(
                f,
                "Share token {token} cannot be redeemed: its source inquiry {source} was redacted"
            ),
        }
    }
}

impl std::error::Error for RedeemError {}

/// Finishes redemptions and expires tokens that are due at `now`; the destination inquiry of
/// a redemption that finishes takes the source's data and runs.
pub(super) fn settle(app: &App, world: &mut World, now: Millis) {
    // Only tokens with something queued at or before `now` can change; settling one twice
    // changes nothing.
    for position in world.persona.take_due_share_tokens(now) {
        let source_redacted = (world.persona.share_tokens().get(position))
            .and_then(|token| world.persona.inquiry(&token.source_inquiry_id))
            .is_some_and(|source| source.rare().redacted_at.is_some());
        let Some(token) = world.persona.share_token_at_mut(position) else {
            continue;
        };
        if let Some(redeemed) = settle_one(token, now, source_redacted) {
            hydrate(app, world, &redeemed);
        }
    }
}

/// A redemption that finished: where the data went, from where, when.
struct Redeemed {
    destination: String,
    source: String,
    at: Millis,
}

/// Settles `token` at `now`; the redemption it finished, if it did. A redemption whose source
/// was redacted while it ran has nothing left to share: the token expires when it was due
/// instead, unredeemed, as a token of a redacted source cannot be redeemed at all.
fn settle_one(token: &mut ShareToken, now: Millis, source_redacted: bool) -> Option<Redeemed> {
    let mut redeemed = None;
    if token.status == ShareTokenStatus::Pending
        && let Some(pending_at) = token.pending_at
    {
        let done = pending_at + REDEMPTION_SECONDS * 1000;
        if done <= now && source_redacted {
            token.status = ShareTokenStatus::Expired;
            token.expired_at = Some(done);
            token.updated_at = done;
        } else if done <= now {
            token.status = ShareTokenStatus::Redeemed;
            token.redeemed_at = Some(done);
            token.updated_at = done;
            redeemed = Some(Redeemed {
                destination: token.redeemed_for.clone().unwrap_or_default(),
                source: token.source_inquiry_id.clone(),
                at: done,
            });
        }
    }
    if token.status == ShareTokenStatus::Created && token.expires_at <= now {
        token.status = ShareTokenStatus::Expired;
        token.expired_at = Some(token.expires_at);
        token.updated_at = token.expires_at;
    }
    redeemed
}

/// The destination inquiry takes the source's fields and runs to `completed`, every event
/// on the way, as Persona's does when no required field is missing (vendors.md 1.8). A
/// destination that is not an inquiry here (Coinflow's, in its own organization), or that can
/// no longer run (redacted or finished meanwhile), is left as it is.
fn hydrate(app: &App, world: &mut World, redeemed: &Redeemed) {
    let Some(destination) = world.persona.inquiry(&redeemed.destination) else {
        return;
    };
    let run = run_of(destination);
    if lifecycle::check_path(world, &redeemed.destination, run).is_err() {
        return;
    }
    let shared = (world.persona.inquiry(&redeemed.source)).map(|source| source.fields.clone());
    if let Some(shared) = shared
        && let Some(destination) = world.persona.inquiry_mut(&redeemed.destination)
    {
        for (name, value) in &shared {
            destination.fields.insert(name.to_string(), value.clone());
        }
    }
    let _ = lifecycle::apply_path(app, world, &redeemed.destination, run, redeemed.at);
}

/// The share token as it is now (time-based changes applied), cloned.
pub fn share_token_now(app: &App, world: &mut World, token_id: &str) -> Option<ShareToken> {
    lifecycle::settle(app, world);
    world.persona.share_token(token_id).cloned()
}

/// Whether `token_id` could be redeemed now for a destination it is not bound to, without
/// changing anything (what a caller checks before it makes the destination).
pub fn check_redeemable(app: &App, world: &mut World, token_id: &str) -> Result<(), RedeemError> {
    lifecycle::settle(app, world);
    let token = (world.persona.share_token(token_id))
        .ok_or_else(|| RedeemError::NotFound(token_id.to_string()))?;
    refusal(world, token).map_or(Ok(()), Err)
}

/// Why `token` cannot be redeemed for a new destination, if it cannot.
fn refusal(world: &World, token: &ShareToken) -> Option<RedeemError> {
    let id = || token.id.clone();
    match token.status {
        ShareTokenStatus::Expired => Some(RedeemError::Expired(id())),
        ShareTokenStatus::Pending | ShareTokenStatus::Redeemed => {
            Some(RedeemError::AlreadyRedeemed(id()))
        }
        ShareTokenStatus::Created => {
            let source = world.persona.inquiry(&token.source_inquiry_id)?;
            source
                .rare()
                .redacted_at
                .map(|_| RedeemError::SourceRedacted {
                    token: id(),
                    source: source.id.to_string(),
                })
        }
    }
}

/// Redeems a share token for `destination` (an empty string: no destination, Persona's clone
/// mode). The token becomes `pending`, then `redeemed` [`REDEMPTION_SECONDS`] later. Redeeming
/// again for the same destination is not an error: it returns the token as it is.
pub fn redeem_share_token(
    app: &App,
    world: &mut World,
    token_id: &str,
    destination: &str,
) -> Result<ShareToken, RedeemError> {
    lifecycle::settle(app, world);
    let now = world.clock.now_ms();
    let token = (world.persona.share_token(token_id))
        .ok_or_else(|| RedeemError::NotFound(token_id.to_string()))?;
    if token.redeemed_for.as_deref() == Some(destination) {
        return Ok(token.clone());
    }
    if let Some(refused) = refusal(world, token) {
        return Err(refused);
    }
    let token = world
        .persona
        .share_token_mut(token_id)
        .ok_or_else(|| RedeemError::NotFound(token_id.to_string()))?;
    token.status = ShareTokenStatus::Pending;
    token.pending_at = Some(now);
    token.updated_at = now;
    token.redeemed_for = Some(destination.to_string());
    let token = token.clone();
    world
        .persona
        .note_share_token_due(token_id, now + REDEMPTION_SECONDS * 1000);
    Ok(token)
}

/// Creates a share token for a finished inquiry. Errors are the 422 `details`.
pub fn create_share_token(
    app: &App,
    world: &mut World,
    connection_id: &str,
    source_inquiry_id: &str,
) -> Result<ShareToken, String> {
    lifecycle::settle(app, world);
    let Some(source) = world.persona.inquiry(source_inquiry_id) else {
        return Err(format!(
            "source-id {source_inquiry_id} does not match any inquiry"
        ));
    };
    if !matches!(
        source.status,
        InquiryStatus::Completed | InquiryStatus::Approved
    ) {
        return Err(format!(
            "source-id {source_inquiry_id} must be a completed or approved inquiry; its status is {}",
            source.status
        ));
    }
    let now = world.clock.now_ms();
    let creator_id = match &world.persona.api_key_id {
        Some(id) => id.clone(),
        None => {
            let id: String = world.ids.persona("api_").into();
            world.persona.api_key_id = Some(id.clone());
            id
        }
    };
    let token = ShareToken {
        id: world.ids.persona("cnst_").into(),
        status: ShareTokenStatus::Created,
        source_inquiry_id: source_inquiry_id.to_string(),
        connection_id: connection_id.to_string(),
        redeemed_for: None,
        creator_id,
        created_at: now,
        updated_at: now,
        pending_at: None,
        redeemed_at: None,
        expires_at: now + SHARE_TOKEN_TTL_SECONDS * 1000,
        expired_at: None,
    };
    world.persona.insert_share_token(token.clone());
    Ok(token)
}

fn document(token: &ShareToken) -> Value {
    json!({"data": render::share_token(token)})
}

/// `POST /api/v1/connect/share-tokens`: `{"data":{"attributes":{"connection-id","source-id"}}}`.
pub(super) fn create(ctx: &Ctx, world: &mut World) -> ApiResponse {
    let (connection_id, source_id) = match parse_create(ctx) {
        Ok(ids) => ids,
        Err(refusal) => return refuse(ctx, refusal),
    };
    match create_share_token(ctx.app, world, &connection_id, &source_id) {
        Ok(token) => ctx.ok(201, document(&token)),
        Err(message) => ctx.unprocessable(&message, "/data/attributes/source-id"),
    }
}

fn parse_create(ctx: &Ctx) -> Result<(String, String), Refusal> {
    let body = body_object(ctx, false)?;
    only_keys(&body, &["data"], BODY)?;
    let data = object_at(&body, "data", BODY)?;
    only_keys(&data, &["attributes"], "data")?;
    let attrs = object_at(&data, "attributes", "data")?;
    let at = "data.attributes";
    // What creating one takes (vendors.md 1.8); a destination is the redeemer's to give.
    only_keys(&attrs, &["connection-id", "source-id"], at)?;
    let required = |key: &str| -> Result<String, Refusal> {
        match string_at(&attrs, key, at)? {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err((400, format!("{at}.{key} is required"), "/data/attributes")),
        }
    };
    let connection_id = required("connection-id")?;
    let source_id = required("source-id")?;
    if !connection_id.starts_with("cxn_") {
        return Err((
            422,
            format!(
                "{at}.connection-id must be a Connect connection id (cxn_...), got {connection_id:?}"
            ),
            "/data/attributes/connection-id",
        ));
    }
    Ok((connection_id, source_id))
}

/// `GET /api/v1/connect/share-tokens/{id}`.
pub(super) fn retrieve(ctx: &Ctx, world: &World, id: &str) -> ApiResponse {
    match world.persona.share_token(id) {
        Some(token) => ctx.ok(200, document(token)),
        None => ctx.not_found(),
    }
}

/// `GET /api/v1/connect/share-tokens`: newest first, cursor pagination, no filters.
pub(super) fn list(ctx: &Ctx, world: &World) -> ApiResponse {
    if let Err(response) = super::filters::only(ctx, &[]) {
        return response;
    }
    let tokens: Vec<&ShareToken> = world.persona.share_tokens.iter().rev().collect();
    match super::page(
        ctx,
        &tokens,
        |t| t.id.as_str(),
        |_| None,
        "/api/v1/connect/share-tokens",
    ) {
        Ok((items, links)) => ctx.ok(
            200,
            json!({
                "data": items.iter().map(|t| render::share_token(t)).collect::<Vec<_>>(),
                "links": links,
            }),
        ),
        Err(response) => response,
    }
}

/// `POST /api/v1/connect/share-tokens/{id}/expire`: a created token expires now; expiring an
/// expired one changes nothing; a pending or redeemed one is refused.
pub(super) fn expire(ctx: &Ctx, world: &mut World, id: &str) -> ApiResponse {
    // No body is needed; one sent must still be a JSON object (a malformed one is not ignored).
    if let Err(refusal) = body_object(ctx, true) {
        return refuse(ctx, refusal);
    }
    let now = world.clock.now_ms();
    let Some(token) = world.persona.share_token_mut(id) else {
        return ctx.not_found();
    };
    match token.status {
        ShareTokenStatus::Created => {
            token.status = ShareTokenStatus::Expired;
            token.expired_at = Some(now);
            token.expires_at = token.expires_at.min(now);
            token.updated_at = now;
        }
        ShareTokenStatus::Expired => {}
        other => {
            return ctx.unprocessable(
                &format!("Share token {id} cannot be expired because its status is {other}"),
                "/",
            );
        }
    }
    ctx.ok(200, document(token))
}

/// `POST /api/v1/connect/share-tokens/{id}/redeem`, optional
/// `{"data":{"attributes":{"destination-id":"inq_..."}}}`.
pub(super) fn redeem(ctx: &Ctx, world: &mut World, id: &str) -> ApiResponse {
    let Some(token) = world.persona.share_token(id) else {
        return ctx.not_found();
    };
    let destination = match parse_redeem(ctx) {
        Ok(d) => d,
        Err(refusal) => return refuse(ctx, refusal),
    };
    // A new redemption's destination must be able to take the data; a retry for the one the
    // token is bound to gets the token as it is.
    if let Some(destination) = &destination
        && token.redeemed_for.as_deref() != Some(destination.as_str())
        && refusal(world, token).is_none()
        && let Err(refused) = check_destination(ctx, world, destination)
    {
        return refused;
    }
    match redeem_share_token(ctx.app, world, id, destination.as_deref().unwrap_or("")) {
        Ok(token) => ctx.ok(200, document(&token)),
        Err(RedeemError::NotFound(_)) => ctx.not_found(),
        Err(e @ RedeemError::SourceRedacted { .. }) => ctx.error(409, &e.to_string()),
        Err(e) => ctx.unprocessable(&e.to_string(), "/"),
    }
}

/// The statuses a destination inquiry runs through once the data is in it: what it ends as
/// when no field is missing (vendors.md 1.8), and the sandbox's template requires none.
fn run_of(destination: &Inquiry) -> &'static [InquiryStatus] {
    match destination.status {
        InquiryStatus::Created => &[InquiryStatus::Pending, InquiryStatus::Completed],
        _ => &[InquiryStatus::Completed],
    }
}

/// Refuses a destination that is not an inquiry of this namespace that can still run: one
/// unknown (422, as an unknown `source-id` is), redacted (409, as every change to it is), or
/// finished already (422).
fn check_destination(ctx: &Ctx, world: &World, destination: &str) -> Result<(), ApiResponse> {
    const POINTER: &str = "/data/attributes/destination-id";
    let Some(inquiry) = world.persona.inquiry(destination) else {
        return Err(ctx.unprocessable(
            &format!("data.attributes.destination-id {destination} does not match any inquiry"),
            POINTER,
        ));
    };
    match lifecycle::check_path(world, destination, run_of(inquiry)) {
        Ok(()) => Ok(()),
        Err(TransitionError::Redacted) => Err(ctx.error(409, lifecycle::REDACTED)),
        Err(_) => Err(ctx.unprocessable(
            &format!(
                "data.attributes.destination-id {destination} cannot take the shared data: its status is {}; only a created or pending inquiry can",
                inquiry.status
            ),
            POINTER,
        )),
    }
}

fn parse_redeem(ctx: &Ctx) -> Result<Option<String>, Refusal> {
    let body = body_object(ctx, true)?;
    only_keys(&body, &["data"], BODY)?;
    let data = object_at(&body, "data", BODY)?;
    only_keys(&data, &["attributes"], "data")?;
    let attrs = object_at(&data, "attributes", "data")?;
    only_keys(&attrs, &["destination-id"], "data.attributes")?;
    string_at(&attrs, "destination-id", "data.attributes")
}
