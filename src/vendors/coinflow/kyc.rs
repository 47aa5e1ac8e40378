//! The registration routes: `POST /api/withdraw/kyc/share-token` (a Persona share token),
//! `POST /api/withdraw/kyc` (US `info` body, or document verification) and
//! `POST /api/withdraw/kyc/attested`.
//!
//! Order of checks, so bad input never changes state: auth (401), body (400), an existing
//! withdrawer (409, or the same withdrawer again for share tokens), email taken (409), then
//! the Persona redemption, and only then the withdrawer is created.

use std::collections::BTreeMap;

use serde_json::Value;

use super::auth::{self, Caller};
use super::model::{Method, VerificationStatus, Withdrawer};
use super::persona_link;
use super::scenario::ScenarioHold;
use super::validate::{Fields, check_country};
use super::verification::{self, Check};
use super::webhooks::{self, KycEvent};
use super::{error, verification_response};
use crate::clock::Millis;
use crate::http::{ApiRequest, ApiResponse};
use crate::scenario::Steer;
use crate::store::World;
use crate::vendors::Ctx;

/// The share-token vendors Coinflow documents; only Persona is emulated.
const SHARE_TOKEN_VENDOR: &str = "persona";

pub fn share_token(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    let caller = match auth::authenticate(req, &world.coinflow, world.clock.now_ms()) {
        Ok(c) => c,
        Err(message) => return error(401, &message, req),
    };
    let (token_id, email, country) = match parse_share_token(req) {
        Ok(body) => body,
        Err(message) => return error(400, &message, req),
    };
    if let Some(index) = world.coinflow.find_or_claim(&caller, Some(&email))
        && let Some(existing) = world.coinflow.get(index)
    {
        // Registering again is how clients make sure the record exists before rendering the
        // withdraw UI: the same user gets the same withdrawer back.
        return ApiResponse::json(200, existing.summary_json());
    }
    if world.coinflow.email_taken(&caller, &email) {
        return email_conflict(&email, req);
    }
    if let Err(refusal) = persona_link::check_redeemable(app, world, &token_id) {
        return error(refusal.status, &refusal.message, req);
    }
    // Only now draw the receiving inquiry's id: a refused request must not move the ids.
    let destination = world.ids.persona("inq_");
    let source_inquiry_id = match persona_link::redeem(app, world, &token_id, &destination) {
        Ok(id) => id,
        Err(refusal) => return error(refusal.status, &refusal.message, req),
    };
    let mut details = BTreeMap::new();
    if let Some(country) = country {
        details.insert("country".to_string(), country);
    }
    let method = Method::ShareToken {
        token_id,
        source_inquiry_id,
        destination: destination.into(),
    };
    let index = create(world, cx.steer.as_ref(), &caller, email, method, details);
    if cx.steer.is_some() {
        // A scenario outcome due now (rejected, say) decides at once, webhook included.
        verification::advance(app, world, index);
    }
    // Otherwise redemption is asynchronous: the answer is `pending` even when the token
    // redeems at once.
    match world.coinflow.get(index) {
        Some(w) => ApiResponse::json(200, w.summary_json()),
        None => error(500, "Withdrawer was not stored", req),
    }
}

fn parse_share_token(req: &ApiRequest) -> Result<(String, String, Option<String>), String> {
    let body = req.json_value().map_err(|e| e.0)?;
    let fields = Fields::new(&body, "")?;
    let vendor = fields.required("vendor")?;
    if vendor != SHARE_TOKEN_VENDOR {
        return Err(format!(
            "vendor must be one of the following values: {SHARE_TOKEN_VENDOR} (got {vendor:?}; only Persona share tokens are emulated)"
        ));
    }
    let token = fields.required("shareToken")?;
    let email = fields.email("email")?;
    let country = match fields.optional("country")? {
        Some(c) => {
            check_country(&c).map_err(|e| format!("country {e}"))?;
            Some(c)
        }
        None => None,
    };
    Ok((token, email, country))
}

/// `POST /api/withdraw/kyc`: `{info: {...}}` is checked at once (US); `{email, country}` needs
/// document verification, answered 451 with the `verificationLink`.
pub fn register(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (_app, req) = (cx.app, cx.req);
    let caller = match auth::authenticate(req, &world.coinflow, world.clock.now_ms()) {
        Ok(c) => c,
        Err(message) => return error(401, &message, req),
    };
    let body = match req.json_value() {
        Ok(b) => b,
        Err(e) => return error(400, &e.0, req),
    };
    let parsed = match Fields::new(&body, "") {
        Ok(fields) if fields.has("info") => parse_us_info(&body, world.clock.now_ms()).map(|(email, details)| {
            (email, details, Method::UsInfo)
        }),
        Ok(fields) if fields.has("email") => parse_document(&fields)
            .map(|(email, details)| (email, details, Method::Document)),
        Ok(_) => Err(
            "Request body must be either {info: {email, firstName, surName, physicalAddress, city, state, zip, country, dob, ssn}} (US KYC) or {email, country} (document verification)"
                .into(),
        ),
        Err(message) => Err(message),
    };
    let (email, details, method) = match parsed {
        Ok(p) => p,
        Err(message) => return error(400, &message, req),
    };
    let redirect = match redirect_link(&body) {
        Ok(r) => r,
        Err(message) => return error(400, &message, req),
    };
    register_checked(cx, world, &caller, email, details, method, redirect)
}

/// The body's optional `redirectLink`: where the user goes once verified (a web URL).
fn redirect_link(body: &Value) -> Result<Option<String>, String> {
    match body.get("redirectLink") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(link)) if crate::http::is_web_url(link) => Ok(Some(link.clone())),
        Some(_) => Err("redirectLink must be an http(s) URL with a host".into()),
    }
}

fn parse_us_info(body: &Value, now: Millis) -> Result<(String, BTreeMap<String, String>), String> {
    let info = Fields::new(body.get("info").unwrap_or(&Value::Null), "info.")?;
    let email = info.email("email")?;
    let details = personal_details(&info, true, now)?;
    Ok((email, details))
}

fn parse_document(fields: &Fields) -> Result<(String, BTreeMap<String, String>), String> {
    let email = fields.email("email")?;
    let country = fields.country("country")?;
    fields.optional("merchantId")?;
    Ok((email, BTreeMap::from([("country".to_string(), country)])))
}

/// The US KYC / attestation fields: names, address, dob (an adult's at sandbox time `now`),
/// ssn (last 4).
fn personal_details(
    fields: &Fields,
    ssn_required: bool,
    now: Millis,
) -> Result<BTreeMap<String, String>, String> {
    let mut details = BTreeMap::new();
    for name in ["firstName", "surName", "physicalAddress", "city"] {
        details.insert(name.to_string(), fields.required(name)?);
    }
    details.insert("state".into(), fields.state("state")?);
    details.insert("zip".into(), fields.required("zip")?);
    details.insert("country".into(), fields.country("country")?);
    details.insert("dob".into(), fields.dob("dob", now)?);
    if let Some(ssn) = fields.ssn("ssn", ssn_required)? {
        details.insert("ssn".into(), ssn);
    }
    Ok(details)
}

/// `POST /api/withdraw/kyc/attested`: the merchant attests the user's identity.
pub fn attested(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (_app, req) = (cx.app, cx.req);
    let caller = match auth::authenticate(req, &world.coinflow, world.clock.now_ms()) {
        Ok(c) => c,
        Err(message) => return error(401, &message, req),
    };
    let parsed = req.json_value().map_err(|e| e.0).and_then(|body| {
        let fields = Fields::new(&body, "")?;
        let email = fields.email("email")?;
        Ok((
            email,
            personal_details(&fields, false, world.clock.now_ms())?,
        ))
    });
    match parsed {
        Ok((email, details)) => {
            register_checked(cx, world, &caller, email, details, Method::Attested, None)
        }
        Err(message) => error(400, &message, req),
    }
}

/// Creates a withdrawer from a validated body and answers as far as its verification goes.
fn register_checked(
    cx: &Ctx,
    world: &mut World,
    caller: &Caller,
    email: String,
    details: BTreeMap<String, String>,
    method: Method,
    redirect: Option<String>,
) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    if world.coinflow.find_or_claim(caller, Some(&email)).is_some() {
        return error(
            409,
            &format!("A withdrawer already exists for {}", caller.describe()),
            req,
        );
    }
    if world.coinflow.email_taken(caller, &email) {
        return email_conflict(&email, req);
    }
    let index = create(world, cx.steer.as_ref(), caller, email, method, details);
    if let Some(w) = world.coinflow.get_mut(index) {
        w.redirect_link = redirect;
    }
    let check = verification::advance(app, world, index);
    let Some(w) = world.coinflow.get(index) else {
        return error(500, "Withdrawer was not stored", req);
    };
    match check {
        Check::Final(_) => ApiResponse::json(200, w.summary_json()),
        pending => verification_response(app, req, w, &pending),
    }
}

pub(super) fn email_conflict(email: &str, req: &ApiRequest) -> ApiResponse {
    error(
        409,
        &format!("Email {email} is already used by another withdrawer of this merchant"),
        req,
    )
}

/// Stores a new pending withdrawer, with the scenario's outcome for it (`steer`), and fires
/// `KYC Created`.
pub(super) fn create(
    world: &mut World,
    steer: Option<&Steer>,
    caller: &Caller,
    email: String,
    method: Method,
    details: BTreeMap<String, String>,
) -> usize {
    let now = world.clock.now_ms();
    let withdrawer = Withdrawer {
        id: world.ids.hex(24),
        merchant_key: caller.merchant.key.clone(),
        merchant_id: caller.merchant.id.clone(),
        user_id: caller.user_id.clone(),
        wallet: caller.wallet.clone(),
        blockchain: caller.blockchain.clone(),
        email,
        status: VerificationStatus::Pending,
        method,
        details,
        details_submitted: false,
        rejection_reason: None,
        page_token: world.ids.alphanumeric(32),
        created_ms: now,
        updated_ms: now,
        scenario: steer.map(|s| ScenarioHold::from_steer(s, now)),
        steer_due_ms: None,
        redirect_link: None,
        bank_accounts: Vec::new(),
        cards: Vec::new(),
        documents: None,
    };
    webhooks::emit(world, KycEvent::Created, &withdrawer);
    world.coinflow.insert(withdrawer)
}
