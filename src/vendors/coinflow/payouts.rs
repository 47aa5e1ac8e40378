//! Delegated payouts, the merchant side: `POST /api/merchant/withdraws/payout/delegated/quote`,
//! `POST /api/merchant/withdraws/payout/delegated`, the payout balance, Get Withdrawal (Get
//! Withdraws is `withdraw_list.rs`); the user side: `GET /api/withdraw/quote`, `GET
//! /api/withdraw/history`; and settlement on the sandbox clock (`settle`), with the
//! `Withdraw *` webhooks.
//!
//! Magic amounts (cents) pick an outcome when no scenario rule does: 40200 ($402.00) is refused
//! 402 as if the balance were short, 66600 ($666.00) is returned by the bank (fails when it
//! would have settled), 77700 ($777.00) stays pending.

use serde_json::{Value, json};

use super::auth::{self, Merchant};
use super::payout_model::{AccountKind, Payout, PayoutEnd, PayoutStatus, Speed};
use super::validate::Fields;
use super::webhooks::{self, WithdrawEvent};
use super::{accounts, error, pages};
use crate::app::App;
use crate::clock::{Millis, iso8601};
use crate::http::{ApiRequest, ApiResponse};
use crate::scenario::{Outcome, Steer};
use crate::store::World;
use crate::vendors::Ctx;
use crate::vendors::numbers::whole_number;

pub const MAGIC_INSUFFICIENT_CENTS: i64 = 40_200;
pub const MAGIC_RETURNED_CENTS: i64 = 66_600;
pub const MAGIC_PENDING_CENTS: i64 = 77_700;

/// Every speed in Coinflow's `WithdrawSpeed`; the ones the sandbox does not pay at quote zero.
pub(super) const ALL_SPEEDS: [&str; 11] = [
    "asap", "same_day", "standard", "card", "iban", "pix", "eft", "venmo", "paypal", "wire",
    "interac",
];

/// Why a payout failed when the bank returned it.
pub const RETURNED: &str = "R01: the receiving bank returned the payout (insufficient funds)";

fn cc(cents: i64) -> Value {
    json!({"cents": cents, "currency": "USD"})
}

pub(super) fn merchant(req: &ApiRequest) -> Result<Merchant, ApiResponse> {
    auth::api_key(req)
        .map(Merchant::for_key)
        .map_err(|message| error(401, &message, req))
}

/// A delegated payout (or quote) request, checked against the state.
pub(super) struct Checked {
    pub merchant: Merchant,
    pub index: usize,
    pub user_id: String,
    pub account: String,
    pub kind: AccountKind,
    pub speed: Speed,
    pub cents: i64,
    pub idempotency_key: Option<String>,
}

/// Auth, body, user (451 when not verified), account, speed and amount, in that order.
fn check(cx: &Ctx, world: &mut World, payout: bool) -> Result<Checked, ApiResponse> {
    let req = cx.req;
    let merchant = merchant(req)?;
    let body = req.json_value().map_err(|e| error(400, &e.0, req))?;
    let bad = |message: String| error(400, &message, req);
    let fields = Fields::new(&body, "").map_err(bad)?;
    let speed_name = fields.required("speed").map_err(bad)?;
    let account = fields.required("account").map_err(bad)?;
    let user_id = fields.required("userId").map_err(bad)?;
    let idempotency_key = if payout {
        Some(fields.required("idempotencyKey").map_err(bad)?)
    } else {
        None
    };
    let amount = Fields::new(body.get("amount").unwrap_or(&Value::Null), "amount.").map_err(bad)?;
    let cents = (body.pointer("/amount/cents"))
        .and_then(whole_number)
        .filter(|c| *c > 0)
        .ok_or_else(|| bad("amount.cents must be a positive integer".into()))?;
    if let Some(currency) = amount.optional("currency").map_err(bad)?
        && currency != "USD"
    {
        return Err(bad(format!(
            "amount.currency {currency:?} is not paid out here: use USD"
        )));
    }
    if let Some(key) = &idempotency_key
        && let Some(existing) = world
            .coinflow
            .payouts
            .iter()
            .find(|p| p.merchant_key == merchant.key && &p.idempotency_key == key)
    {
        // Answered once: the same key gets the same payout back, and another payout is refused.
        if !existing.is_same(&user_id, &account, &speed_name, cents) {
            return Err(error(
                409,
                &format!(
                    "idempotencyKey {key:?} was already used for another payout ({} cents to account {} of userId {} at {}); send a new key for a new payout",
                    existing.amount_cents,
                    existing.account_token,
                    existing.user_id,
                    existing.speed.as_str()
                ),
                req,
            ));
        }
        return Err(ApiResponse::json(200, answer(existing)));
    }
    let Some(index) = world.coinflow.by_user(&merchant.key, &user_id) else {
        return Err(error(
            404,
            &format!("No withdrawer with userId {user_id}"),
            req,
        ));
    };
    super::verification::advance(cx.app, world, index);
    let steer = cx.steer.as_ref().map(|s| s.outcome);
    let w = world
        .coinflow
        .get(index)
        .ok_or_else(|| error(500, "Withdrawer was not stored", req))?;
    if !w.verified() || steer == Some(Outcome::UserNotApproved) {
        return Err(not_verified(cx.app, req, w));
    }
    let kind = w
        .account(&account)
        .ok_or_else(|| bad(format!("Account {account} not found for userId {user_id}")))?;
    if let Some(problem) = expired_card(world, index, &account) {
        return Err(bad(problem));
    }
    let speed = Speed::parse(&speed_name)
        .filter(|s| s.fits(kind))
        .ok_or_else(|| {
            bad(format!(
                "speed {speed_name:?} is not available for this account: use {}",
                match kind {
                    AccountKind::Bank => "standard, same_day or asap",
                    AccountKind::Card => "card",
                }
            ))
        })?;
    if cents > speed.limit_cents() {
        return Err(bad(format!(
            "amount.cents {cents} is over the {} limit of {}",
            speed.as_str(),
            speed.limit_cents()
        )));
    }
    Ok(Checked {
        merchant,
        index,
        user_id,
        account,
        kind,
        speed,
        cents,
        idempotency_key,
    })
}

/// Why card `account` of withdrawer `index` cannot be paid: it expired (maybe since it was
/// added, as the sandbox clock moved on).
fn expired_card(world: &World, index: usize, account: &str) -> Option<String> {
    let now = world.clock.now_ms();
    let w = world.coinflow.get(index)?;
    let card = w.cards.iter().find(|c| !c.deleted && c.token == account)?;
    card.expired(now).then(|| {
        format!(
            "account {account} is a card that expired (expMonth {}, expYear {}): it can no longer receive funds",
            card.exp_month, card.exp_year
        )
    })
}

/// The payout routes' 451: `{verificationLink, message}` in NestJS's envelope.
fn not_verified(app: &App, req: &ApiRequest, w: &super::model::Withdrawer) -> ApiResponse {
    let mut response = error(
        451,
        &format!(
            "User Must Complete Additional Verification (verification is {})",
            w.status.as_str()
        ),
        req,
    );
    if let crate::http::ResponseBody::Json(Value::Object(map)) = &mut response.body {
        map.insert(
            "verificationLink".into(),
            json!(app.url(&req.namespace, &pages::path(w))),
        );
    }
    response
}

/// One speed of a quote (`WithdrawQuoteFeesAndLimit`); speeds not paid here, or not to an
/// account of `kind`, have a zero limit (a payout at them is refused).
fn speed_quote(
    name: &str,
    cents: i64,
    now: Millis,
    user_pays: bool,
    kind: Option<AccountKind>,
) -> Value {
    match Speed::parse(name).filter(|speed| kind.is_none_or(|kind| speed.fits(kind))) {
        Some(speed) => {
            let fee = speed.fee_cents(cents);
            let at = now + speed.settles_after_ms();
            json!({
                "fee": cc(fee),
                "limit": cc(speed.limit_cents()),
                "finalSettlement": cc(if user_pays { (cents - fee).max(0) } else { cents }),
                "expectedDeliveryDate": iso8601(at),
                "expectedDeliveryDateISO": iso8601(at),
            })
        }
        None => json!({"fee": cc(0), "limit": cc(0), "finalSettlement": cc(0),
            "expectedDeliveryDate": ""}),
    }
}

/// Every speed's quote; with `kind`, for an account of that kind.
fn quote_speeds(
    cents: i64,
    now: Millis,
    user_pays: bool,
    kind: Option<AccountKind>,
) -> serde_json::Map<String, Value> {
    ALL_SPEEDS
        .iter()
        .map(|name| {
            let quote = speed_quote(name, cents, now, user_pays, kind);
            (name.to_string(), quote)
        })
        .collect()
}

/// `POST /api/merchant/withdraws/payout/delegated/quote`: the merchant pays the fee.
pub fn delegated_quote(cx: &Ctx, world: &mut World) -> ApiResponse {
    let c = match check(cx, world, false) {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let fee = c.speed.fee_cents(c.cents);
    let mut body = quote_speeds(c.cents, world.clock.now_ms(), false, Some(c.kind));
    body.insert("quote".into(), cc(c.cents));
    body.insert("totalMerchantDebit".into(), cc(c.cents + fee));
    body.insert("userPayout".into(), cc(c.cents));
    body.insert("merchantFees".into(), cc(fee));
    ApiResponse::json(200, Value::Object(body))
}

fn answer(p: &Payout) -> Value {
    json!({"signature": p.signature, "effectiveSpeed": p.speed.as_str()})
}

/// `POST /api/merchant/withdraws/payout/delegated`: debits amount + fee from the merchant's
/// payout balance (402 when short) and creates a `pending` payout that settles by its speed.
pub fn delegated_payout(cx: &Ctx, world: &mut World) -> ApiResponse {
    let c = match check(cx, world, true) {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    match pay(world, c, cx.steer.as_ref()) {
        Ok(payout) => ApiResponse::json(200, answer(&payout)),
        Err((status, message)) => error(status, &message, cx.req),
    }
}

/// Makes the checked payout `c` (the delegated route's, or the withdraw page's): 400 when its
/// card expired, 402 when the
/// merchant's balance is short or the scenario (or magic amount) says so; otherwise debits
/// amount + fee, queues `Withdraw Pending` and answers the new payout.
pub(super) fn pay(
    world: &mut World,
    c: Checked,
    steer: Option<&Steer>,
) -> Result<Payout, (u16, String)> {
    if let Some(problem) = expired_card(world, c.index, &c.account) {
        return Err((400, problem));
    }
    let fee = c.speed.fee_cents(c.cents);
    let short = world.coinflow.balance(&c.merchant.key) < c.cents + fee;
    if short
        || steer.is_some_and(|s| s.outcome == Outcome::InsufficientBalance)
        || (steer.is_none() && c.cents == MAGIC_INSUFFICIENT_CENTS)
    {
        return Err((402, "Insufficient Funds".into()));
    }
    let now = world.clock.now_ms();
    let settles = now + c.speed.settles_after_ms();
    let (end, due) = match steer.map(|s| s.outcome) {
        Some(Outcome::Failed) => (
            PayoutEnd::Fail,
            steer.and_then(|s| s.due_at_ms(now)).unwrap_or(settles),
        ),
        Some(Outcome::Pending) => (PayoutEnd::StayPending, settles),
        None if c.cents == MAGIC_RETURNED_CENTS => (PayoutEnd::Fail, settles),
        None if c.cents == MAGIC_PENDING_CENTS => (PayoutEnd::StayPending, settles),
        _ => (PayoutEnd::Succeed, settles),
    };
    let Some(w) = world.coinflow.get(c.index) else {
        return Err((500, "Withdrawer was not stored".into()));
    };
    let (withdrawer_id, wallet, blockchain) =
        (w.id.clone(), w.wallet.clone(), w.blockchain.clone());
    let payout = Payout {
        id: world.ids.uuid(),
        signature: world.ids.base58(88),
        merchant_key: c.merchant.key.clone(),
        merchant_id: c.merchant.id.clone(),
        withdrawer_id,
        user_id: c.user_id,
        wallet,
        blockchain,
        account_token: c.account,
        kind: c.kind,
        speed: c.speed,
        amount_cents: c.cents,
        fee_cents: fee,
        idempotency_key: c.idempotency_key.unwrap_or_default(),
        status: PayoutStatus::Pending,
        end,
        due_ms: due,
        expected_delivery_ms: settles,
        failure: None,
        created_ms: now,
        updated_ms: now,
    };
    world.coinflow.credit(&c.merchant.key, -(c.cents + fee));
    webhooks::emit_withdraw(world, WithdrawEvent::Pending, &payout);
    world.coinflow.add_payout(payout.clone());
    Ok(payout)
}

/// `GET /api/merchant/withdraws/payout/balance`.
pub fn balance(cx: &Ctx, world: &mut World) -> ApiResponse {
    match merchant(cx.req) {
        Ok(m) => ApiResponse::json(
            200,
            json!({"balance": {"cents": world.coinflow.balance(&m.key)}}),
        ),
        Err(refused) => refused,
    }
}

/// `GET /api/merchant/withdraws/{withdrawalId}`: by transfer id or transaction.
pub fn withdrawal(cx: &Ctx, world: &mut World) -> ApiResponse {
    let m = match merchant(cx.req) {
        Ok(m) => m,
        Err(refused) => return refused,
    };
    let id = cx.param("withdrawalId");
    match world
        .coinflow
        .payouts
        .iter()
        .find(|p| p.merchant_key == m.key && (p.id == id || p.signature == id))
    {
        Some(p) => ApiResponse::json(200, json!({"withdrawal": p.to_json()})),
        None => error(404, "Withdrawal not found", cx.req),
    }
}

/// `GET /api/withdraw/history`: the caller's payouts, newest first.
pub fn history(cx: &Ctx, world: &mut World) -> ApiResponse {
    let index = match accounts::caller_withdrawer(cx, world, false) {
        Ok(i) => i,
        Err(refused) => return refused,
    };
    // The spec gives it no query: no page, no filter.
    if let Err(message) = super::withdraw_list::only_declared(cx.req, &[]) {
        return error(400, &message, cx.req);
    }
    let Some(id) = world.coinflow.get(index).map(|w| w.id.clone()) else {
        return error(500, "Withdrawer was not stored", cx.req);
    };
    let withdraws: Vec<Value> = history_of(world, &id).map(Payout::to_json).collect();
    ApiResponse::json(200, json!({"withdraws": withdraws}))
}

/// A withdrawer's payouts, newest first: the history the API answers and the history page shows.
pub(super) fn history_of<'w>(
    world: &'w World,
    withdrawer_id: &'w str,
) -> impl Iterator<Item = &'w Payout> {
    (world.coinflow.payouts.iter().rev()).filter(move |p| p.withdrawer_id == withdrawer_id)
}

/// `GET /api/withdraw/quote?token=&amount=&merchantId=`: the user's own withdraw of `amount`
/// stablecoin units, the user paying the fee; with `accountToken`, to that account of theirs
/// (only the speeds it is paid at priced; 404 when they have no such account). `usePermit`
/// (a wallet-signing choice) changes nothing here but must be a boolean.
pub fn user_quote(cx: &Ctx, world: &mut World) -> ApiResponse {
    let req = cx.req;
    let index = match accounts::caller_withdrawer(cx, world, false) {
        Ok(index) => index,
        Err(refused) => return refused,
    };
    for name in ["token", "merchantId"] {
        if req.query_param(name).is_none_or(str::is_empty) {
            return error(400, &format!("{name} should not be empty"), req);
        }
    }
    let Some(amount) = req
        .query_param("amount")
        .and_then(|a| a.parse::<f64>().ok())
        .filter(|a| a.is_finite() && *a > 0.0 && *a < 1e12)
    else {
        return error(400, "amount must be a positive number", req);
    };
    // The quote is in cents: an amount under half a cent would quote a withdrawal of nothing.
    let cents = (amount * 100.0).round() as i64;
    if cents < 1 {
        return error(
            400,
            &format!(
                "amount must come to at least one cent once rounded to cents (0.005 or more), got {amount}"
            ),
            req,
        );
    }
    if let Some(text) = req.query_param("usePermit")
        && !matches!(text, "true" | "false")
    {
        return error(
            400,
            &format!("usePermit must be a boolean value (true or false), got {text:?}"),
            req,
        );
    }
    let kind = match req.query_param("accountToken") {
        None => None,
        Some(token) => {
            let Some(kind) = world.coinflow.get(index).and_then(|w| w.account(token)) else {
                return error(404, &format!("Account {token} not found"), req);
            };
            if let Some(problem) = expired_card(world, index, token) {
                return error(400, &problem, req);
            }
            Some(kind)
        }
    };
    let mut body = quote_speeds(cents, world.clock.now_ms(), true, kind);
    body.insert("quote".into(), cc(cents));
    ApiResponse::json(200, Value::Object(body))
}

/// Settles every payout due on the sandbox clock: `completed` (Withdraw Success) or `failed`
/// (Withdraw Failure, the merchant's debit returned). Settlement is lazy, so each one happens
/// at the moment it fell due, in that order (as Persona's time-based changes do): a clock moved
/// days ahead does not make an asap payout complete days late, nor its webhook leave after a
/// slower payout's.
pub fn settle(world: &mut World) {
    let now = world.clock.now_ms();
    let mut due: Vec<(Millis, usize)> = (world.coinflow.payouts.iter().enumerate())
        .filter(|(_, p)| {
            p.status == PayoutStatus::Pending && p.end != PayoutEnd::StayPending && p.due_ms <= now
        })
        .map(|(i, p)| (p.due_ms, i))
        .collect();
    // Equal due times keep the order the payouts were made in.
    due.sort_unstable();
    for (at, i) in due {
        let Some(p) = world.coinflow.payouts.get_mut(i) else {
            continue;
        };
        p.updated_ms = at;
        let event = if p.end == PayoutEnd::Fail {
            p.status = PayoutStatus::Failed;
            p.failure = Some(RETURNED.into());
            WithdrawEvent::Failure
        } else {
            p.status = PayoutStatus::Completed;
            WithdrawEvent::Success
        };
        let snapshot = p.clone();
        if event == WithdrawEvent::Failure {
            world.coinflow.credit(
                &snapshot.merchant_key,
                snapshot.amount_cents + snapshot.fee_cents,
            );
        }
        webhooks::emit_withdraw(world, event, &snapshot);
    }
}
