//! A verified withdrawer's payout methods: `POST /api/withdraw/account` (and `/v2`), `POST
//! /api/withdraw/debit-card`, `DELETE /api/withdraw/account/{token}`, `DELETE
//! /api/withdraw/card/{token}`. Checks come before any change: auth (401), no withdrawer (401),
//! not verified (451 with the verificationLink), body (400), no address known (412).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::payout_model::{BankAccount, Card, aba_valid, card_network};
use super::validate::Fields;
use super::verification;
use super::{auth, error, verification_response};
use crate::http::ApiResponse;
use crate::scenario::Outcome;
use crate::store::World;
use crate::vendors::Ctx;

/// The caller's withdrawer, moved on as far as its verification goes; with `verified`, only a
/// verified one (451 otherwise, as Get Withdrawer answers).
pub fn caller_withdrawer(
    cx: &Ctx,
    world: &mut World,
    verified: bool,
) -> Result<usize, ApiResponse> {
    let (app, req) = (cx.app, cx.req);
    let caller = auth::authenticate(req, &world.coinflow, world.clock.now_ms())
        .map_err(|message| error(401, &message, req))?;
    let Some(index) = world.coinflow.find_or_claim(&caller, None) else {
        return Err(error(
            401,
            &format!("No withdrawer associated with {}", caller.describe()),
            req,
        ));
    };
    let check = verification::advance(app, world, index);
    let Some(w) = world.coinflow.get(index) else {
        return Err(error(500, "Withdrawer was not stored", req));
    };
    if verified && !w.verified() {
        return Err(verification_response(app, req, w, &check));
    }
    Ok(index)
}

fn full(world: &World, index: usize) -> ApiResponse {
    match world.coinflow.get(index) {
        Some(w) => ApiResponse::json(200, w.full_json()),
        None => ApiResponse::json(500, json!({"message": "Withdrawer was not stored"})),
    }
}

/// The body's `address` (`IAccountAddress`) filling in what the KYC data lacks; 412 when
/// neither has a street address, as Coinflow asks for it.
fn address(world: &mut World, index: usize, body: &Value) -> Result<(), (u16, String)> {
    let known = world
        .coinflow
        .get(index)
        .is_some_and(|w| w.details.contains_key("physicalAddress"));
    match body.get("address") {
        None | Some(Value::Null) if known => Ok(()),
        None | Some(Value::Null) => Err((
            412,
            "User Address Info Required - Please provide address info in body.address parameters"
                .into(),
        )),
        Some(value) => {
            let fields = Fields::new(value, "address.").map_err(|e| (400, e))?;
            let mut parsed = Vec::new();
            for (name, detail) in [
                ("address1", "physicalAddress"),
                ("city", "city"),
                ("state", "state"),
                ("zip", "zip"),
            ] {
                parsed.push((detail, fields.required(name).map_err(|e| (400, e))?));
            }
            if let Some(w) = world.coinflow.get_mut(index) {
                for (detail, value) in parsed {
                    w.details.entry(detail.to_string()).or_insert(value);
                }
            }
            Ok(())
        }
    }
}

struct BankBody {
    alias: String,
    routing: String,
    account_number: String,
    account_type: String,
    holder: Option<String>,
}

fn parse_bank(body: &Value) -> Result<BankBody, String> {
    let fields = Fields::new(body, "")?;
    let alias = fields.required("alias")?;
    let routing = fields.required("routingNumber")?;
    if !aba_valid(&routing) {
        return Err(format!(
            "routingNumber {routing:?} is not a valid ABA routing number (9 digits with a valid checksum)"
        ));
    }
    let account_number = fields.required("accountNumber")?;
    if !(4..=17).contains(&account_number.len())
        || !account_number.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("accountNumber must be 4 to 17 digits".into());
    }
    let account_type = fields.required("type")?;
    if account_type != "checking" && account_type != "savings" {
        return Err("type must be one of the following values: checking, savings".into());
    }
    fields.optional("wireRoutingNumber")?;
    let holder = match fields.optional("name")? {
        Some(name) => Some(name),
        None => match (fields.optional("firstName")?, fields.optional("lastName")?) {
            (Some(first), Some(last)) => Some(format!("{first} {last}")),
            (first, last) => first.or(last),
        },
    };
    Ok(BankBody {
        alias,
        routing,
        account_number,
        account_type,
        holder,
    })
}

/// `POST /api/withdraw/account` and `/v2`: the withdrawer with the new account.
pub fn add_bank_account(cx: &Ctx, world: &mut World) -> ApiResponse {
    let req = cx.req;
    let index = match caller_withdrawer(cx, world, true) {
        Ok(i) => i,
        Err(refused) => return refused,
    };
    let body = match req.json_value() {
        Ok(b) => b,
        Err(e) => return error(400, &e.0, req),
    };
    match insert_bank_account(world, index, &body, refused_by_bank(cx)) {
        Ok(_) => full(world, index),
        Err((status, message)) => error(status, &message, req),
    }
}

/// The scenario's `validation_error`: the bank refuses the method.
pub fn refused_by_bank(cx: &Ctx) -> bool {
    cx.steer
        .as_ref()
        .is_some_and(|s| s.outcome == Outcome::ValidationError)
}

/// The bank-account message when the bank refuses it (the scenario's `validation_error`).
pub const BANK_REFUSED: &str = "Bank account was refused by the bank (scenario outcome)";

/// Adds the bank account `body` describes (the API's JSON body; the withdraw page builds the
/// same) to withdrawer `index` and answers its token; checks everything first. A 400's message
/// starts with the field it is about. An account the withdrawer already has live (the same
/// routing and account number) is not added again: its token is the answer.
pub fn insert_bank_account(
    world: &mut World,
    index: usize,
    body: &Value,
    refused: bool,
) -> Result<String, (u16, String)> {
    let bank = parse_bank(body).map_err(|message| (400, message))?;
    if refused {
        return Err((400, BANK_REFUSED.into()));
    }
    let account_hash = hex::encode(Sha256::digest(format!(
        "{}:{}",
        bank.routing, bank.account_number
    )));
    // Checked for the same account again too: a body is refused or taken whole.
    address(world, index, body)?;
    // The same account again is the one already there, unchanged *(choice)*: two tokens for one
    // account would list it twice, here and on the withdraw page.
    if let Some(known) = world.coinflow.get(index).and_then(|w| {
        w.bank_accounts
            .iter()
            .find(|a| !a.deleted && a.account_hash == account_hash)
    }) {
        return Ok(known.token.clone());
    }
    let token = world.ids.uuid();
    let reference = world.ids.hex(24);
    let now = world.clock.now_ms();
    let digits = bank.account_number.len();
    let account = BankAccount {
        account_hash,
        last4: bank.account_number[digits.saturating_sub(4)..].to_string(),
        token: token.clone(),
        alias: bank.alias,
        routing_number: bank.routing,
        account_type: bank.account_type,
        reference,
        holder: bank.holder,
        deleted: false,
        created_ms: now,
    };
    if let Some(w) = world.coinflow.get_mut(index) {
        w.bank_accounts.push(account);
        w.updated_ms = now;
    }
    Ok(token)
}

/// `POST /api/withdraw/debit-card`: a card by its tokenization token (`sixTOKENfour`, from the
/// card iframe: the first six and last four digits are the card's). Answers the card's token,
/// as the spec's bare-string 200 says; adding the same live card again answers it again, with
/// the expiry now given. An expired card is refused (400).
pub fn add_debit_card(cx: &Ctx, world: &mut World) -> ApiResponse {
    let req = cx.req;
    let index = match caller_withdrawer(cx, world, true) {
        Ok(i) => i,
        Err(refused) => return refused,
    };
    let body = match req.json_value() {
        Ok(b) => b,
        Err(e) => return error(400, &e.0, req),
    };
    let parsed = Fields::new(&body, "").and_then(|fields| {
        let token = fields.required("cardToken")?;
        let network = card_network(&token)
            .filter(|_| (13..=19).contains(&token.len()))
            .filter(|_| {
                token
                    .get(token.len() - 4..)
                    .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
            })
            .ok_or_else(|| {
                format!("cardToken {token:?} is not a card token from the card iframe")
            })?;
        let month = fields.required("expMonth")?;
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(&month) || !matches!(month.parse::<u32>(), Ok(1..=12)) {
            return Err(format!(
                "expMonth must be two digits, 01 to 12, got {month:?}"
            ));
        }
        let year = fields.required("expYear")?;
        if !two_digits(&year) {
            return Err(format!(
                "expYear must be two digits (2026 is \"26\"), got {year:?}"
            ));
        }
        fields.optional("merchantId")?;
        Ok((token, network, month, year))
    });
    let (token, network, month, year) = match parsed {
        Ok(p) => p,
        Err(message) => return error(400, &message, req),
    };
    let now = world.clock.now_ms();
    let card = Card {
        last4: token[token.len() - 4..].to_string(),
        token: token.clone(),
        network: network.to_string(),
        exp_month: month,
        exp_year: year,
        deleted: false,
        created_ms: now,
    };
    // The spec: the route "will check the card to see if its eligible to receive funds".
    if card.expired(now) {
        return error(
            400,
            &format!(
                "Card is expired (expMonth {}, expYear {}): it is not eligible to receive funds",
                card.exp_month, card.exp_year
            ),
            req,
        );
    }
    if refused_by_bank(cx) {
        return error(
            400,
            "Card is not eligible to receive funds (scenario outcome)",
            req,
        );
    }
    if let Err((status, message)) = address(world, index, &body) {
        return error(status, &message, req);
    }
    if let Some(w) = world.coinflow.get_mut(index) {
        // The same live card again (a renewed card keeps its number, so its token) takes the
        // expiry given now *(choice)*.
        match w.cards.iter_mut().find(|c| !c.deleted && c.token == token) {
            Some(known) => {
                known.exp_month = card.exp_month;
                known.exp_year = card.exp_year;
            }
            None => w.cards.push(card),
        }
        w.updated_ms = now;
    }
    ApiResponse::json(200, Value::String(token))
}

/// `DELETE /api/withdraw/account/{token}`: the account stays (marked deleted) for old payouts
/// but no longer shows nor can be paid to.
pub fn delete_account(cx: &Ctx, world: &mut World) -> ApiResponse {
    delete(cx, world, false)
}

/// `DELETE /api/withdraw/card/{token}`.
pub fn delete_card(cx: &Ctx, world: &mut World) -> ApiResponse {
    delete(cx, world, true)
}

fn delete(cx: &Ctx, world: &mut World, card: bool) -> ApiResponse {
    let req = cx.req;
    let index = match caller_withdrawer(cx, world, false) {
        Ok(i) => i,
        Err(refused) => return refused,
    };
    let token = cx.param("token");
    let now = world.clock.now_ms();
    let found = world.coinflow.get_mut(index).is_some_and(|w| {
        let flag = if card {
            w.cards
                .iter_mut()
                .find(|c| !c.deleted && c.token == token)
                .map(|c| &mut c.deleted)
        } else {
            w.bank_accounts
                .iter_mut()
                .find(|a| !a.deleted && a.token == token)
                .map(|a| &mut a.deleted)
        };
        match flag {
            Some(deleted) => {
                *deleted = true;
                w.updated_ms = now;
                true
            }
            None => false,
        }
    });
    if !found {
        let what = if card { "Card" } else { "Bank account" };
        return error(404, &format!("{what} {token} not found"), req);
    }
    full(world, index)
}
