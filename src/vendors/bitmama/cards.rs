//! Cards: create (approved users only), fund, withdraw, freeze/unfreeze, terminate, and the
//! transaction list. Float cards move money between the partner wallet and the card, in cents;
//! neither balance ever goes below zero.

use serde_json::{Value, json};

use super::body::{Body, Member};
use super::model::{
    Card, CardStatus, FundingType, IdForms, Partner, Program, Transaction, UserStatus,
};
use super::users::{page_params, steered};
use super::validation::{self, Fields};
use super::{Reply, auth, error_code, idempotency, kyc, scenario, success};
use crate::clock::Millis;
use crate::http::ApiResponse;
use crate::scenario::Outcome;
use crate::store::World;
use crate::vendors::Ctx;
use crate::vendors::money::usd;

/// One card per user per this long (`CARD_CREATION_LIMIT`), in sandbox time.
const CARD_CREATION_INTERVAL_MS: Millis = 5 * 60 * 1000;
/// Amount bounds in cents: creation `0 < amount <= 10000`, fund/withdraw `5..=10000` dollars.
const MAX_AMOUNT_CENTS: i64 = 1_000_000;
const MIN_MOVE_CENTS: i64 = 500;

/// `POST /api/v1/partner/card` `{serviceId, amount, fundingType}`.
pub fn create(cx: &Ctx, world: &mut World) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    let body = validation::json_object(req)?;
    let mut f = Fields::new(&body);
    let service_id = f.string("serviceId", true, 1, 256);
    let funding_type = match body.present("fundingType") {
        None => Some(FundingType::Float),
        Some(Member::Text(s)) if s == "float" => Some(FundingType::Float),
        Some(Member::Text(s)) if s == "crypto" => Some(FundingType::Crypto),
        Some(_) => {
            f.problem("fundingType", "must be float or crypto");
            None
        }
    };
    let float = funding_type != Some(FundingType::Crypto);
    let amount = f.amount_cents("amount", float, 0, MAX_AMOUNT_CENTS, true);
    f.finish()?;
    let (Some(service_id), Some(funding_type)) = (service_id, funding_type) else {
        return Err(error_code(422, "VALIDATION_ERROR", "Validation failed"));
    };
    let amount = match funding_type {
        FundingType::Float => amount.unwrap_or(0),
        // Crypto cards are funded on chain, not from the wallet.
        FundingType::Crypto => 0,
    };

    idempotency::keyed_call(cx, world, api_key, idempotency_key, |world, now| {
        kyc::settle(app, world);
        let forms = world.bitmama.id_forms;
        let partner = world
            .bitmama
            .partner(api_key, app.config.bitmama.starting_balance_cents);
        // A scenario answers before the user is looked up, so the story works without a user.
        match steered(cx) {
            Some(Outcome::InsufficientBalance) => {
                return Err(error_code(
                    402,
                    "INSUFFICIENT_WALLET_BALANCE",
                    &super::users::forced_shortfall(partner.balance_cents, amount, "fund the card"),
                ));
            }
            Some(Outcome::UserNotApproved) => {
                let status = partner
                    .user(&service_id)
                    .map_or(UserStatus::PendingKyc, |u| u.status);
                return Err(not_approved(&service_id, status));
            }
            _ => {}
        }
        let Some(user) = partner.user(&service_id) else {
            return Err(error_code(
                400,
                "USER_NOT_FOUND",
                &format!("No user {service_id} exists for this partner"),
            ));
        };
        if user.status != UserStatus::Approved {
            return Err(not_approved(&service_id, user.status));
        }
        if funding_type == FundingType::Crypto && user.program != Program::NonCustodial {
            return Err(error_code(
                400,
                "INVALID_PROGRAM",
                "Crypto-funded cards are available only to users of the non_custodial program",
            ));
        }
        if let Some(last) = user.last_card_created_at
            && now - last < CARD_CREATION_INTERVAL_MS
        {
            return Err(error_code(
                400,
                "CARD_CREATION_LIMIT",
                &format!(
                    "User {service_id} got a card {} seconds ago; one card per user can be created every 5 minutes",
                    (now - last) / 1000
                ),
            ));
        }
        ensure_wallet_covers(partner, amount)?;

        let card_id = [&partner.slug, forms.card, &world.ids.alphanumeric(15)].concat();
        let transaction_id = transaction_id(partner, forms, &mut world.ids);
        partner.balance_cents -= amount;
        if let Some(user) = partner.user_mut(&service_id) {
            user.last_card_created_at = Some(now);
        }
        partner.add_card(Card {
            service_card_id: card_id.clone(),
            service_id,
            funding_type,
            status: CardStatus::Active,
            balance_cents: amount,
            created_at: now,
        });
        partner.transactions.push(Transaction {
            service_transaction_id: transaction_id.clone(),
            service_card_id: card_id.clone(),
            amount_cents: amount,
            transaction_type: "funding",
            description: "Initial card funding".into(),
            reference: None,
            created_at: now,
        });
        Ok(success(
            201,
            "Card created successfully",
            json!({
                "serviceCardId": card_id,
                "serviceTransactionId": transaction_id,
                "fundingType": funding_type.as_str(),
            }),
        ))
    })
}

fn not_approved(service_id: &str, status: UserStatus) -> ApiResponse {
    error_code(
        400,
        "USER_NOT_APPROVED",
        &format!(
            "User {service_id} has not passed KYC (status {}); a card can be created once the user is approved",
            status.as_str()
        ),
    )
}

/// A validated fund or withdraw body.
struct Movement {
    card_id: String,
    amount: i64,
    reference: Option<String>,
}

fn movement(body: &Body, reference_required: bool) -> Result<Movement, ApiResponse> {
    let mut f = Fields::new(body);
    let card_id = f.string("serviceCardId", true, 1, 256);
    let amount = f.amount_cents("amount", true, MIN_MOVE_CENTS, MAX_AMOUNT_CENTS, false);
    let reference = f.string("reference", reference_required, 1, 256);
    f.finish()?;
    match (card_id, amount) {
        (Some(card_id), Some(amount)) => Ok(Movement {
            card_id,
            amount,
            reference,
        }),
        _ => Err(error_code(422, "VALIDATION_ERROR", "Validation failed")),
    }
}

/// `POST /api/v1/partner/card/fund` `{serviceCardId, amount, reference?}`: wallet to card.
pub fn fund(cx: &Ctx, world: &mut World) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    let input = movement(&validation::json_object(req)?, false)?;
    idempotency::keyed_call(cx, world, api_key, idempotency_key, |world, now| {
        let forms = world.bitmama.id_forms;
        let partner = world
            .bitmama
            .partner(api_key, app.config.bitmama.starting_balance_cents);
        let index = live_card(partner, &input.card_id)?;
        if partner.cards()[index].funding_type == FundingType::Crypto {
            return Err(error_code(
                400,
                "CRYPTO_CARD_FUND_BLOCKED",
                "A crypto-funded card cannot be funded from the partner wallet",
            ));
        }
        ensure_wallet_covers(partner, input.amount)?;
        let transaction_id = transaction_id(partner, forms, &mut world.ids);
        partner.balance_cents -= input.amount;
        partner.cards_mut()[index].balance_cents += input.amount;
        partner.transactions.push(Transaction {
            service_transaction_id: transaction_id,
            service_card_id: input.card_id,
            amount_cents: input.amount,
            transaction_type: "funding",
            description: "Card funding from partner wallet".into(),
            reference: input.reference,
            created_at: now,
        });
        Ok(success(200, "Card funded successfully", json!({})))
    })
}

/// `POST /api/v1/partner/card/withdraw` `{serviceCardId, amount, reference}`: card to wallet.
pub fn withdraw(cx: &Ctx, world: &mut World) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    let input = movement(&validation::json_object(req)?, true)?;
    idempotency::keyed_call(cx, world, api_key, idempotency_key, |world, now| {
        let forms = world.bitmama.id_forms;
        let partner = world
            .bitmama
            .partner(api_key, app.config.bitmama.starting_balance_cents);
        let index = live_card(partner, &input.card_id)?;
        let card_balance = partner.cards()[index].balance_cents;
        if card_balance < input.amount {
            return Err(error_code(
                400,
                "INSUFFICIENT_FUNDS",
                &format!(
                    "Card balance ({}) is less than the withdrawal amount ({})",
                    usd(card_balance),
                    usd(input.amount)
                ),
            ));
        }
        let transaction_id = transaction_id(partner, forms, &mut world.ids);
        partner.cards_mut()[index].balance_cents -= input.amount;
        partner.balance_cents += input.amount;
        partner.transactions.push(Transaction {
            service_transaction_id: transaction_id,
            service_card_id: input.card_id,
            amount_cents: input.amount,
            transaction_type: "withdrawal",
            description: "Card withdrawal to partner wallet".into(),
            reference: input.reference,
            created_at: now,
        });
        Ok(success(200, "Card withdrawal successful", json!({})))
    })
}

/// `PATCH /api/v1/partner/card` `{serviceCardId, status: "freeze"|"unfreeze"}` (no
/// idempotency key, as documented).
pub fn set_status(cx: &Ctx, world: &mut World) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let body = validation::json_object(req)?;
    let mut f = Fields::new(&body);
    let card_id = f.string("serviceCardId", true, 1, 256);
    let freeze = f
        .string_matching("status", true, "freeze or unfreeze", |s| {
            s == "freeze" || s == "unfreeze"
        })
        .map(|s| s == "freeze");
    f.finish()?;
    let (Some(card_id), Some(freeze)) = (card_id, freeze) else {
        return Err(error_code(422, "VALIDATION_ERROR", "Validation failed"));
    };
    scenario::ensure_partner(app, world, api_key);
    let partner = world
        .bitmama
        .partner(api_key, app.config.bitmama.starting_balance_cents);
    let index = live_card(partner, &card_id)?;
    let card = &mut partner.cards_mut()[index];
    match (card.status, freeze) {
        (CardStatus::Frozen, true) => {
            return Err(error_code(
                400,
                "CARD_ALREADY_FROZEN",
                &format!("Card {card_id} is already frozen"),
            ));
        }
        (CardStatus::Active, false) => {
            return Err(error_code(
                400,
                "CARD_IS_ACTIVE",
                &format!("Card {card_id} is active, not frozen"),
            ));
        }
        _ => {}
    }
    card.status = if freeze {
        CardStatus::Frozen
    } else {
        CardStatus::Active
    };
    Ok(success(
        200,
        "Card status updated",
        json!({"serviceCardId": card_id, "status": card.status.as_str()}),
    ))
}

/// `DELETE /api/v1/partner/card/terminate/{serviceCardId}` (optional `{reference}`): the card
/// is terminated for good and its balance goes back to the partner wallet at once (the answer
/// still says `processing`, as the vendor's does).
pub fn terminate(cx: &Ctx, world: &mut World, card_id: &str) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    let reference = if req.body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let body = validation::json_object(req)?;
        let mut f = Fields::new(&body);
        let reference = f.string("reference", false, 1, 256);
        f.finish()?;
        reference
    };
    idempotency::keyed_call(cx, world, api_key, idempotency_key, |world, now| {
        let forms = world.bitmama.id_forms;
        let partner = world
            .bitmama
            .partner(api_key, app.config.bitmama.starting_balance_cents);
        let index = live_card(partner, card_id)?;
        let transaction_id = transaction_id(partner, forms, &mut world.ids);
        let card = &mut partner.cards_mut()[index];
        let refund = card.balance_cents;
        card.balance_cents = 0;
        card.status = CardStatus::Terminated;
        partner.balance_cents += refund;
        partner.transactions.push(Transaction {
            service_transaction_id: transaction_id,
            service_card_id: card_id.to_string(),
            amount_cents: refund,
            transaction_type: "liquidation",
            description: "Card terminated; balance returned to partner wallet".into(),
            reference,
            created_at: now,
        });
        Ok(success(
            200,
            "Card liquidated successfully",
            json!({"serviceCardId": card_id, "liquidationStatus": "processing"}),
        ))
    })
}

/// `GET /api/v1/partner/card/transactions?skip&limit[&serviceCardId]`: newest first.
pub fn transactions(cx: &Ctx, world: &mut World) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let (skip, limit) = page_params(req, &["serviceCardId"])?;
    let card_filter = req.query_param("serviceCardId").filter(|s| !s.is_empty());
    scenario::ensure_partner(app, world, api_key);
    let partner = world
        .bitmama
        .partner(api_key, app.config.bitmama.starting_balance_cents);
    if let Some(card_id) = card_filter
        && partner.card(card_id).is_none()
    {
        return Err(card_not_found(card_id));
    }
    let matching: Vec<&Transaction> = partner
        .transactions
        .iter()
        .rev()
        .filter(|t| card_filter.is_none_or(|id| t.service_card_id == id))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(limit)
        .map(|t| t.to_json())
        .collect();
    Ok(success(
        200,
        "Transactions retrieved successfully",
        json!({
            "transactions": page,
            "pagination": {"skip": skip, "limit": limit, "total": matching.len()},
        }),
    ))
}

/// The index of a partner's card that is not terminated, or the vendor's 404 / 400.
fn live_card(partner: &Partner, card_id: &str) -> Result<usize, ApiResponse> {
    let Some(index) = partner.card_position(card_id) else {
        return Err(card_not_found(card_id));
    };
    if partner.cards()[index].status == CardStatus::Terminated {
        return Err(error_code(
            400,
            "CARD_ALREADY_TERMINATED",
            &format!("Card {card_id} is terminated"),
        ));
    }
    Ok(index)
}

fn card_not_found(card_id: &str) -> ApiResponse {
    error_code(
        404,
        "CARD_NOT_FOUND",
        &format!("No card {card_id} exists for this partner"),
    )
}

fn ensure_wallet_covers(partner: &Partner, amount: i64) -> Result<(), ApiResponse> {
    if partner.balance_cents < amount {
        return Err(error_code(
            402,
            "INSUFFICIENT_WALLET_BALANCE",
            &format!(
                "Partner wallet balance ({}) is less than the amount ({})",
                usd(partner.balance_cents),
                usd(amount)
            ),
        ));
    }
    Ok(())
}

fn transaction_id(partner: &Partner, forms: IdForms, ids: &mut crate::ids::IdGen) -> String {
    [&partner.slug, forms.transaction, &ids.alphanumeric(15)].concat()
}
