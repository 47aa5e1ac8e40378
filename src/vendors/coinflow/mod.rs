//! Coinflow: withdrawers registered from Persona share tokens, Get Withdrawer, KYC routes, the
//! routes Coinflow's SDK calls, signed webhooks.
//!
//! Errors are NestJS-shaped: `{statusCode, timestamp, path, method, message}` (451 adds
//! `verificationLink`).

mod accounts;
mod admin;
pub mod auth;
mod kyc;
mod kyc_doc;
pub mod model;
mod pages;
mod payout_model;
mod payouts;
mod persona_link;
mod routes;
mod scenario;
mod sdk;
pub mod ui;
mod validate;
mod verification;
mod webhook_logs;
mod webhooks;
mod withdraw_list;
mod withdrawer_list;
mod withdrawers;

pub use model::State;
pub use routes::Coinflow;

use serde_json::{Value, json};

use crate::app::App;
use crate::clock::{Millis, iso8601, real_now_ms};
use crate::config::Config;
use crate::http::{ApiRequest, ApiResponse, ResponseBody};
use crate::store::World;
use model::Withdrawer;
use verification::Check;

impl State {
    pub fn new(config: &Config) -> Self {
        let mut state = Self::default();
        state.starting_balance_cents = config.coinflow.payout_balance_cents;
        state
    }
}

/// NestJS's error shape, as Coinflow answers it.
pub fn error(status: u16, message: &str, req: &ApiRequest) -> ApiResponse {
    ApiResponse::json(status, error_body(status, message, req))
}

/// NestJS stamps an error with the moment it happened: the namespace's sandbox time, set on the
/// way out ([`VendorApi::finish`](crate::vendors::VendorApi::finish)) since the handlers that
/// build errors have no clock at hand.
fn stamp_error(mut response: ApiResponse, now_ms: Millis) -> ApiResponse {
    if response.status >= 400
        && let ResponseBody::Json(body) = &mut response.body
        && let Some(timestamp) = body.get_mut("timestamp")
    {
        *timestamp = Value::String(iso8601(now_ms));
    }
    response
}

/// NestJS's error body.
fn error_body(status: u16, message: &str, req: &ApiRequest) -> Value {
    json!({
        "statusCode": status,
        "timestamp": iso8601(real_now_ms()),
        "path": req.raw_path(),
        "method": req.method,
        "message": message,
    })
}

/// The 451 of a verification that is not finished (or was rejected): NestJS's envelope plus the
/// spec's `WithdrawerVerificationRequiredResponse` (`verification`, `withdrawer`,
/// `verificationLink`, `redirectLink`, `rejectionReasons`, `additionalVerificationLinks`). The
/// withdrawer's `redirectLink` (the last the merchant gave) is where the page sends the user
/// when done; it is kept on the withdrawer, never carried in the link, so no one else can make
/// the page redirect elsewhere.
fn verification_response(
    app: &App,
    req: &ApiRequest,
    withdrawer: &Withdrawer,
    check: &Check,
) -> ApiResponse {
    let message = match check {
        Check::Pending(message) | Check::Action(message) => message.clone(),
        Check::Missing(fields) => format!(
            "Verification needs more information: missing {}; fill them in at the verificationLink",
            fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
        ),
        Check::Final(status) => format!("Verification is {}", status.as_str()),
    };
    let link = app.url(&req.namespace, &pages::path(withdrawer));
    let redirect = withdrawer.redirect_link.clone();
    let mut body = error_body(451, &message, req);
    if let Value::Object(map) = &mut body {
        map.insert("verificationLink".into(), Value::String(link.clone()));
        map.insert("verification".into(), withdrawer.verification_json());
        map.insert("withdrawer".into(), withdrawer.base_json());
        if let Some(redirect) = redirect {
            map.insert("redirectLink".into(), Value::String(redirect));
        }
        if let Some(reason) = &withdrawer.rejection_reason {
            map.insert("rejectionReasons".into(), json!([reason]));
        }
        if let Check::Missing(fields) = check {
            map.insert(
                "additionalVerificationLinks".into(),
                json!([{
                    "name": format!("Missing information: {}", fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")),
                    "link": link,
                    "reference": format!("kyc_{}", withdrawer.id),
                    "vendor": "persona",
                }]),
            );
        }
    }
    ApiResponse::json(451, body)
}

/// Moves every pending withdrawer as far as its source allows now (a redemption that finished,
/// a scenario hold that fell due), firing its webhooks: what Get Withdrawer would do for each.
/// The admin API calls it after moving the clock.
pub fn settle(app: &App, world: &mut World) {
    let pending: Vec<usize> = world
        .coinflow
        .all()
        .iter()
        .enumerate()
        .filter(|(_, w)| w.status == model::VerificationStatus::Pending)
        .map(|(i, _)| i)
        .collect();
    for index in pending {
        verification::advance(app, world, index);
    }
    payouts::settle(world);
    let now = world.clock.now_ms();
    world.coinflow.refresh_due(now);
}

/// Why a withdrawer could not be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    NotFound,
    /// Already decided: its status.
    NotPending(&'static str),
}

/// What a reviewer's decision did to a withdrawer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    /// Decided for good: its status.
    Final(&'static str),
    /// Approved by the reviewer, but still pending until these required fields are submitted
    /// on its verification page (then `approved` and `KYC Success`).
    AwaitingFields(Vec<&'static str>),
}

/// The admin triggers "verify" and "reject a withdrawer" (a reviewer's decision) on a pending
/// withdrawer (by `_id`): `rejected` (`KYC Failure`), or approved: `approved` (`KYC Success`)
/// once it has every required field. The approval is kept on the withdrawer as an approved
/// hold, which ends the review and, while fields are missing, has Get Withdrawer and the
/// verification page ask for them, as any approval does.
pub fn decide_withdrawer(
    world: &mut World,
    withdrawer_id: &str,
    approve: bool,
) -> Result<Decided, VerifyError> {
    let index = world
        .coinflow
        .all()
        .iter()
        .position(|w| w.id == withdrawer_id)
        .ok_or(VerifyError::NotFound)?;
    let w = world.coinflow.get_mut(index).ok_or(VerifyError::NotFound)?;
    if w.status != model::VerificationStatus::Pending {
        return Err(VerifyError::NotPending(w.status.as_str()));
    }
    let check = if approve {
        w.scenario = Some(scenario::ScenarioHold::reviewer_approved());
        verification::approve(world, index)
    } else {
        let reason = "Rejected by a reviewer (sandbox admin)".to_string();
        verification::reject(world, index, reason)
    };
    Ok(match check {
        Check::Missing(fields) => Decided::AwaitingFields(fields.iter().map(|f| f.name).collect()),
        Check::Final(status) => Decided::Final(status.as_str()),
        // `approve` answers so only for a withdrawer it cannot find.
        Check::Pending(_) | Check::Action(_) => return Err(VerifyError::NotFound),
    })
}

/// After inquiry `inquiry_id` changed status: withdrawers verified through it move on (and
/// their `KYC Success`/`KYC Failure` webhooks go out) without waiting for the next Get
/// Withdrawer.
fn on_inquiry_changed(app: &App, world: &mut World, inquiry_id: &str) {
    for index in world.coinflow.backed_by_inquiry(inquiry_id) {
        verification::advance(app, world, index);
    }
}
