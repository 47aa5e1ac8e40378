//! Card users: create (v2, KYC through Persona), list, delete, retry KYC.

use serde_json::{Value, json};

use super::body::Body;
use super::kyc::{self, KycEvent};
use super::model::{CardStatus, CardUser, CardUserFields, Program, UserStatus};
use super::validation::{self, Fields};
use super::{Reply, auth, error_code, idempotency, rendered_success, scenario, success};
use crate::http::ApiRequest;
use crate::scenario::{Outcome, Timing};
use crate::store::World;
use crate::vendors::money::usd;
use crate::vendors::{Ctx, persona};

/// Denied users may retry KYC this many times.
const MAX_KYC_RETRIES: u32 = 3;
const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 100;

/// A validated `POST /v2/partner/card/users` body, its texts borrowed from the body (the card
/// user copies them into its one text).
struct NewUser<'a> {
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
    phone_number: &'a str,
    account_purpose: &'a str,
    ip_address: &'a str,
    program: Program,
    wallet_address: Option<&'a str>,
    redirect_url: Option<&'a str>,
}

impl<'a> NewUser<'a> {
    /// Checks every documented rule and reports all broken ones together.
    fn parse(body: &'a Body<'a>) -> Result<NewUser<'a>, super::ApiResponse> {
        let mut f = Fields::new(body);
        let first_name = f.text("firstName", true, 1, 100);
        let last_name = f.text("lastName", true, 1, 100);
        let email = f.text_matching("email", true, "a valid email address", validation::is_email);
        let phone_number = f.text_matching(
            "phoneNumber",
            true,
            "an international phone number: + and country code, e.g. +14155555555",
            validation::is_e164,
        );
        let account_purpose = f.text("accountPurpose", true, 1, 200);
        let ip_address = f.text_matching(
            "ipAddress",
            true,
            "a valid IPv4 or IPv6 address",
            validation::is_ip_address,
        );
        if f.bool("isTermsOfServiceAccepted") == Some(false) {
            f.problem("isTermsOfServiceAccepted", "must be true");
        }
        let program = f
            .text_matching("program", true, "custodial or non_custodial", |s| {
                Program::parse(s).is_some()
            })
            .and_then(Program::parse);
        let wallet_given = body.present("walletAddress").is_some();
        let wallet_address = f.text_matching(
            "walletAddress",
            false,
            "an Ethereum address: 0x followed by 40 hex digits",
            validation::is_eth_address,
        );
        if program == Some(Program::NonCustodial) && !wallet_given {
            f.problem("walletAddress", "is required when program is non_custodial");
        }
        let redirect_url = f.text_matching(
            "redirectUrl",
            false,
            "an https URL of at most 2048 characters",
            validation::is_https_url,
        );
        f.finish()?;
        let (
            Some(first_name),
            Some(last_name),
            Some(email),
            Some(phone_number),
            Some(account_purpose),
            Some(ip_address),
            Some(program),
        ) = (
            first_name,
            last_name,
            email,
            phone_number,
            account_purpose,
            ip_address,
            program,
        )
        else {
            return Err(error_code(422, "VALIDATION_ERROR", "Validation failed"));
        };
        Ok(NewUser {
            first_name,
            last_name,
            email,
            phone_number,
            account_purpose,
            ip_address,
            program,
            wallet_address,
            redirect_url,
        })
    }

    /// What the Persona inquiry is prefilled with.
    fn inquiry_fields(&self) -> persona::Fields {
        inquiry_fields(
            self.first_name,
            self.last_name,
            self.email,
            self.phone_number,
        )
    }
}

/// What a card user's Persona inquiry is prefilled with.
pub(super) fn inquiry_fields(
    first_name: &str,
    last_name: &str,
    email: &str,
    phone: &str,
) -> persona::Fields {
    let text = |s: &str| Value::String(s.to_string());
    persona::Fields::of_known([
        ("name-first", text(first_name)),
        ("name-last", text(last_name)),
        ("email-address", text(email)),
        ("phone-number", text(phone)),
    ])
}

/// `POST /api/v2/partner/card/users`.
pub fn create(cx: &Ctx, world: &mut World) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    let body = validation::json_object(req)?;
    let input = NewUser::parse(&body)?;

    idempotency::keyed_call(cx, world, api_key, idempotency_key, |world, now| {
        kyc::settle(app, world);
        let config = &app.config.bitmama;
        let forms = world.bitmama.id_forms;
        let partner = world
            .bitmama
            .partner(api_key, config.starting_balance_cents);
        // Only a deleted user that had not passed KYC is re-created free: most partners have no
        // such email to look up (nor one to lowercase).
        let email_key = (!partner.fee_waived_emails.is_empty()).then(|| input.email.to_lowercase());
        let fee = if (email_key.as_ref()).is_some_and(|key| partner.fee_waived_emails.contains(key))
        {
            0
        } else {
            config.kyc_fee_cents
        };
        // The refusals are built only when one is given (a create that passes pays nothing).
        let balance = partner.balance_cents;
        let duplicate = || {
            error_code(
                400,
                "DUP_USER",
                &format!(
                    "A user with email {} already exists for this partner",
                    input.email
                ),
            )
        };
        let insufficient = |steered: bool| {
            let message = if steered {
                forced_shortfall(balance, config.kyc_fee_cents, "pay the KYC fee")
            } else {
                format!(
                    "Partner wallet balance ({}) is insufficient to pay the KYC fee ({}); fund the wallet and try again",
                    usd(balance),
                    usd(config.kyc_fee_cents)
                )
            };
            error_code(402, "INSUFFICIENT_WALLET_BALANCE", &message)
        };
        // A scenario (or magic email) answers as Bitmama would; the body was valid all the same.
        match steered(cx) {
            Some(Outcome::DuplicateUser) => return Err(duplicate()),
            Some(Outcome::InsufficientBalance) => return Err(insufficient(true)),
            Some(Outcome::ValidationError) => return Err(rejected_email(input.email)),
            _ => {}
        }
        if partner.has_email(input.email) {
            return Err(duplicate());
        }
        if partner.balance_cents < fee {
            return Err(insufficient(false));
        }
        // Joined, not `format!`ed: the formatting machinery was a fortieth of a create.
        let service_id = [&partner.slug, forms.user, &world.ids.alphanumeric(15)].concat();

        // Every check passed: from here on nothing fails.
        let (inquiry_id, verification_url) = kyc::start_inquiry(
            app,
            world,
            &req.namespace,
            &service_id,
            input.inquiry_fields(),
        );
        let partner = world
            .bitmama
            .partner(api_key, config.starting_balance_cents);
        partner.balance_cents -= fee;
        if let Some(key) = &email_key {
            partner.fee_waived_emails.remove(key);
        }
        partner.add_user(CardUser::from(CardUserFields {
            service_id: service_id.as_str(),
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            phone_number: input.phone_number,
            account_purpose: input.account_purpose,
            ip_address: input.ip_address,
            program: input.program,
            wallet_address: input.wallet_address,
            redirect_url: input.redirect_url,
            status: UserStatus::PendingKyc,
            inquiry_id: &inquiry_id,
            verification_url: &verification_url,
            retry_count: 0,
            created_at: now,
            last_card_created_at: None,
        }));
        (world.bitmama).link_inquiry(&inquiry_id, api_key, &service_id);
        kyc::emit(
            app,
            world,
            api_key,
            &service_id,
            KycEvent::Pending,
            |_| json!({"inquiryId": inquiry_id}),
        );
        Ok(rendered_success(
            201,
            "User created successfully",
            &[
                ("serviceId", &service_id),
                ("verificationUrl", &verification_url),
            ],
        ))
    })
}

/// `GET /api/v1/partner/card/users?skip=0&limit=50`: oldest first.
pub fn list(cx: &Ctx, world: &mut World) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let (skip, limit) = page_params(req, &[])?;
    scenario::ensure_partner(app, world, api_key);
    kyc::settle(app, world);
    let partner = world
        .bitmama
        .partner(api_key, app.config.bitmama.starting_balance_cents);
    let users: Vec<Value> = partner
        .users()
        .iter()
        .skip(skip)
        .take(limit)
        .map(CardUser::summary)
        .collect();
    Ok(success(
        200,
        "Users retrieved successfully",
        json!({
            "users": users,
            "pagination": {"skip": skip, "limit": limit, "total": partner.users().len()},
        }),
    ))
}

/// `skip` (0 or more, default 0) and `limit` (1 to 100, default 50) of a list call, whose
/// other query parameters are `filters`: any other is refused, so a misspelt or unsupported
/// filter is not taken for an empty or unfiltered answer.
pub fn page_params(
    req: &ApiRequest,
    filters: &[&str],
) -> Result<(usize, usize), super::ApiResponse> {
    let empty = Body::default();
    let mut f = Fields::new(&empty);
    for (key, _) in &req.query {
        if !["skip", "limit"].contains(&key.as_str()) && !filters.contains(&key.as_str()) {
            let taken: Vec<&str> = ["skip", "limit"].iter().chain(filters).copied().collect();
            f.problem(
                "query",
                format!(
                    "{key} is not a parameter of this list; it takes {}",
                    taken.join(", ")
                ),
            );
        }
    }
    let skip = match req.query_param("skip") {
        None => Some(0),
        Some(s) => s.parse::<usize>().ok().or_else(|| {
            f.problem("skip", "must be a whole number, 0 or more");
            None
        }),
    };
    let limit = match req.query_param("limit") {
        None => Some(DEFAULT_PAGE_SIZE),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_PAGE_SIZE).contains(l))
            .or_else(|| {
                f.problem(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                );
                None
            }),
    };
    f.finish()?;
    Ok((skip.unwrap_or(0), limit.unwrap_or(DEFAULT_PAGE_SIZE)))
}

/// `DELETE /api/v1/partner/card/users/{serviceId}`: only once all its cards are terminated.
pub fn delete(cx: &Ctx, world: &mut World, service_id: &str) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    idempotency::keyed_call(cx, world, api_key, idempotency_key, |world, _| {
        kyc::settle(app, world);
        let partner = world
            .bitmama
            .partner(api_key, app.config.bitmama.starting_balance_cents);
        if partner.user(service_id).is_none() {
            return Err(user_not_found(service_id));
        }
        let active_cards: Vec<&str> = partner
            .cards()
            .iter()
            .filter(|c| c.service_id == service_id && c.status != CardStatus::Terminated)
            .map(|c| c.service_card_id.as_str())
            .collect();
        if !active_cards.is_empty() {
            return Err(super::ApiResponse::json(
                409,
                json!({
                    "status": "error",
                    "message": "ACTIVE_CARDS_EXIST",
                    "data": {
                        "error": format!("User {service_id} still has {} card(s) that are not terminated; terminate them first", active_cards.len()),
                        "activeCards": active_cards,
                    },
                }),
            ));
        }
        let Some(user) = partner.remove_user(service_id) else {
            return Err(user_not_found(service_id));
        };
        // Re-creating a user is free unless the deleted one had passed KYC (vendor docs).
        if user.status != UserStatus::Approved {
            partner
                .fee_waived_emails
                .insert(user.email().to_lowercase());
        }
        // A user is linked to its current inquiry only: that link is the one to drop.
        (world.bitmama).unlink_inquiry(user.inquiry_id(), api_key, service_id);
        Ok(success(
            200,
            "User deleted successfully",
            json!({"serviceId": service_id, "deleted": true}),
        ))
    })
}

/// `POST /api/v2/partner/card/users/{serviceId}/retry-kyc`: denied users only, at most three
/// times; starts a new Persona inquiry (no fee) and moves the user to `pending`.
pub fn retry_kyc(cx: &Ctx, world: &mut World, service_id: &str) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    idempotency::keyed_call(cx, world, api_key, idempotency_key, |world, _| {
        kyc::settle(app, world);
        let starting = app.config.bitmama.starting_balance_cents;
        let partner = world.bitmama.partner(api_key, starting);
        let Some(user) = partner.user(service_id) else {
            return Err(user_not_found(service_id));
        };
        if user.status != UserStatus::Denied {
            return Err(error_code(
                400,
                "KYC_RETRY_NOT_ALLOWED",
                &format!(
                    "KYC can be retried only for denied users; user {service_id} is {}",
                    user.status.as_str()
                ),
            ));
        }
        if user.retry_count >= MAX_KYC_RETRIES {
            return Err(error_code(
                400,
                "KYC_RETRY_LIMIT_EXCEEDED",
                &format!("User {service_id} has already retried KYC {MAX_KYC_RETRIES} times"),
            ));
        }
        let Some((inquiry_id, verification_url)) =
            kyc::restart_inquiry(app, world, &req.namespace, api_key, service_id)
        else {
            return Err(user_not_found(service_id));
        };
        let partner = world.bitmama.partner(api_key, starting);
        let Some(user) = partner.user_mut(service_id) else {
            return Err(user_not_found(service_id));
        };
        user.status = UserStatus::Pending;
        user.retry_count += 1;
        let retry_count = user.retry_count;
        kyc::emit(
            app,
            world,
            api_key,
            service_id,
            KycEvent::Pending,
            |_| json!({"inquiryId": inquiry_id}),
        );
        Ok(success(
            200,
            "KYC retry initiated successfully",
            json!({
                "serviceId": service_id,
                "applicationStatus": "pending",
                "verificationUrl": verification_url,
                "retryCount": retry_count,
            }),
        ))
    })
}

pub fn user_not_found(service_id: &str) -> super::ApiResponse {
    error_code(
        404,
        "USER_NOT_FOUND",
        &format!("No user {service_id} exists for this partner"),
    )
}

/// The message of a 402 the active scenario (or a magic value) forces for a charge of
/// `charge_cents` (`what`: "pay the KYC fee"). It names the balance, and calls it insufficient
/// only when it is: a wallet that could pay was refused by the scenario, and says so.
pub fn forced_shortfall(balance_cents: i64, charge_cents: i64, what: &str) -> String {
    let (balance, charge) = (usd(balance_cents), usd(charge_cents));
    if balance_cents < charge_cents {
        format!(
            "Partner wallet balance ({balance}) is insufficient to {what} ({charge}) (as the active scenario or a magic value says)"
        )
    } else {
        format!(
            "Refused by the active scenario or a magic value as if the partner wallet could not {what} ({charge}); the wallet holds {balance}"
        )
    }
}

/// The outcome `cx.steer` names when it is due. `after_polls` calls before that get the built-in
/// behaviour; `after_seconds` means nothing for an answer given at once, so it applies at once.
pub fn steered(cx: &Ctx) -> Option<Outcome> {
    cx.steer
        .as_ref()
        .filter(|s| !matches!(s.timing, Timing::PollsLeft(_)))
        .map(|s| s.outcome)
}

/// The `validation_error` outcome: a 422 in the shape of a failed validation, on the email.
fn rejected_email(email: &str) -> super::ApiResponse {
    super::ApiResponse::json(
        422,
        json!({
            "status": "error",
            "message": "VALIDATION_ERROR",
            "data": {
                "error": format!("Validation failed: email {email} was not accepted; use another email address"),
                "errors": [{"field": "email", "message": "was not accepted; use another email address"}],
            },
        }),
    )
}
