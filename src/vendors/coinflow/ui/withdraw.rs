//! CoinflowWithdraw's page, `/{blockchain}/withdraw/{merchantId}`, in three steps: pick a payout
//! method (or link a bank account in place) and an amount; review the speeds with the quote's
//! fees (the same fees as the quote routes); confirm. Confirming makes a real delegated payout
//! (`payouts::pay`: the merchant's balance is debited, `Withdraw Pending` goes out, it settles on
//! the sandbox clock), steered by the scenario's `create_payout` outcomes and the magic amounts
//! as the API is, and posts `success {paymentId, hash}`. Invalid input posts `inputError`.

use serde_json::{Value, json};

use super::super::payout_model::{AccountKind, Payout, Speed};
use super::super::payouts::{self, Checked};
use super::bank_link::{self, Linked};
use super::{Sdk, dollars, field, gate, message, parse_dollars, respond, verified_session};
use crate::clock::iso8601;
use crate::html::escape;
use crate::http::ApiResponse;
use crate::scenario::Outcome;
use crate::store::World;
use crate::vendors::Ctx;

const ROUTE: &str = "withdraw";

/// `GET /{blockchain}/withdraw/{merchantId}`: step one (`?linkCanceled=1`: the user cancelled
/// linking a bank account; `?addAccount=1` opens that form).
pub fn page(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (sdk, index, _) = match verified_session(cx, world, ROUTE) {
        Ok(s) => s,
        Err(page) => return page,
    };
    let mut messages = Vec::new();
    if cx.req.query_param("linkCanceled").is_some() {
        messages.push(bank_link::canceled());
    }
    let first = Step {
        open_bank: cx.req.query_param("addAccount").is_some(),
        ..Step::default()
    };
    choose(&sdk, world, index, first, &messages, 200)
}

/// `POST /{blockchain}/withdraw/{merchantId}/account`: links a bank account in place and
/// comes back to step one with it selected.
pub fn add_account(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (sdk, index, _) = match verified_session(cx, world, ROUTE) {
        Ok(s) => s,
        Err(page) => return page,
    };
    let linked = bank_link::link(cx, world, index);
    let messages = [linked.message()];
    match linked {
        Linked::Yes(token) => {
            let step = Step {
                account: token,
                ..Step::default()
            };
            choose(&sdk, world, index, step, &messages, 200)
        }
        Linked::Refused(problem)
        | Linked::Invalid {
            message: problem, ..
        } => {
            let step = Step {
                open_bank: true,
                bank_problem: Some(problem),
                bank_values: cx.req.form(),
                ..Step::default()
            };
            choose(&sdk, world, index, step, &messages, 400)
        }
    }
}

/// `POST /{blockchain}/withdraw/{merchantId}/quote`: step two, the speeds the account can be
/// paid at (and `allowedWithdrawSpeeds` allows) with each one's fee and delivery date.
pub fn review(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (sdk, index, _) = match verified_session(cx, world, ROUTE) {
        Ok(s) => s,
        Err(page) => return page,
    };
    let form = cx.req.form();
    match picked(&sdk, world, index, &form) {
        Err(refused) => refused,
        Ok((account, kind, cents)) => {
            let choice = Choice {
                account: &account,
                kind,
                cents,
            };
            speeds_with_new_key(&sdk, world, index, choice, None, 200)
        }
    }
}

/// `POST /{blockchain}/withdraw/{merchantId}`: step three, the payout.
pub fn confirm(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (sdk, index, caller) = match verified_session(cx, world, ROUTE) {
        Ok(s) => s,
        Err(page) => return page,
    };
    let form = cx.req.form();
    let (account, kind, cents) = match picked(&sdk, world, index, &form) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let key = field(&form, "idempotencyKey");
    let speed_name = field(&form, "speed");
    let user_id = (world.coinflow.get(index))
        .map(|w| w.user_id.clone().unwrap_or_else(|| w.wallet.clone()))
        .unwrap_or_default();
    // The same confirmation sent twice (a reload) is the same payout; another payout under its
    // key (a page gone back to and changed) is refused below, as the API refuses it.
    let done = world.coinflow.payouts.iter().find(|p| {
        !key.is_empty() && p.merchant_key == caller.merchant.key && p.idempotency_key == key
    });
    let reused = match done {
        Some(done) if done.is_same(&user_id, &account, &speed_name, cents) => {
            return result(&sdk, done);
        }
        Some(_) => true,
        None => false,
    };
    let again = |world: &World, field: &str, problem: String, status: u16| {
        let messages = [message(
            "inputError",
            json!({"field": field, "message": problem}),
        )];
        speeds(
            &sdk,
            world,
            index,
            &account,
            kind,
            cents,
            &key,
            Some(&problem),
            &messages,
            status,
        )
    };
    if reused {
        let problem = "This confirmation was already used for another payout: choose the speed again to confirm a new one";
        let choice = Choice {
            account: &account,
            kind,
            cents,
        };
        return speeds_with_new_key(&sdk, world, index, choice, Some(problem), 409);
    }
    let Some(speed) = Speed::parse(&speed_name).filter(|s| s.fits(kind) && sdk.allows(s.as_str()))
    else {
        return again(
            world,
            "speed",
            "Choose a speed for this account".into(),
            400,
        );
    };
    if cents > speed.limit_cents() {
        let problem = format!(
            "The {} limit is {}",
            speed.as_str(),
            dollars(speed.limit_cents())
        );
        return again(world, "amount", problem, 400);
    }
    let steer = cx.steer.as_ref();
    if steer.is_some_and(|s| s.outcome == Outcome::UserNotApproved) {
        let check = super::super::verification::advance(cx.app, world, index);
        if let Some(w) = world.coinflow.get(index) {
            return gate(cx, &sdk, w, &check, ROUTE);
        }
    }
    if world.coinflow.get(index).is_none() {
        return again(world, "account", "Withdrawer was not stored".into(), 500);
    }
    let checked = Checked {
        merchant: caller.merchant.clone(),
        index,
        user_id,
        account,
        kind,
        speed,
        cents,
        idempotency_key: Some(if key.is_empty() {
            world.ids.uuid()
        } else {
            key.clone()
        }),
    };
    match payouts::pay(world, checked, steer) {
        Ok(payout) => result(&sdk, &payout),
        Err((status, problem)) => {
            let (account, kind) = (field(&form, "account"), kind);
            speeds(
                &sdk,
                world,
                index,
                &account,
                kind,
                cents,
                &key,
                Some(&problem),
                &[],
                status,
            )
        }
    }
}

/// The chosen live account and the amount, or step one again saying what is wrong.
fn picked(
    sdk: &Sdk,
    world: &World,
    index: usize,
    form: &[(String, String)],
) -> Result<(String, AccountKind, i64), ApiResponse> {
    let account = field(form, "account");
    let amount = if sdk.lock_amount {
        sdk.amount.clone()
    } else {
        field(form, "amount")
    };
    let kind = world.coinflow.get(index).and_then(|w| w.account(&account));
    let problem = match (kind, parse_dollars(&amount)) {
        (None, _) => (
            "account",
            "Choose a bank account or card to withdraw to".to_string(),
        ),
        (_, None) => (
            "amount",
            format!("Enter an amount in dollars, such as 25.00 (got {amount:?})"),
        ),
        (Some(kind), Some(cents)) => return Ok((account, kind, cents)),
    };
    let step = Step {
        account,
        amount,
        problem: Some(problem.1.clone()),
        ..Step::default()
    };
    let messages = [message(
        "inputError",
        json!({"field": problem.0, "message": problem.1}),
    )];
    Err(choose(sdk, world, index, step, &messages, 400))
}

/// What step one shows besides the state.
#[derive(Default)]
struct Step {
    account: String,
    amount: String,
    problem: Option<String>,
    open_bank: bool,
    bank_problem: Option<String>,
    bank_values: Vec<(String, String)>,
}

fn choose(
    sdk: &Sdk,
    world: &World,
    index: usize,
    step: Step,
    messages: &[Value],
    status: u16,
) -> ApiResponse {
    let Some(w) = world.coinflow.get(index) else {
        return respond(500, sdk, "Error", "<p>Withdrawer was not stored</p>", &[]);
    };
    let mut body = format!("<p class=\"muted\">{}</p>", escape(&w.email));
    if let Some(problem) = &step.problem {
        body.push_str(&format!(
            "<p class=\"errors\" id=\"error\">{}</p>",
            escape(problem)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\" id=\"withdraw-form\">{}<fieldset><legend>Withdraw to</legend>",
        escape(&sdk.path(ROUTE, "/quote")),
        sdk.hidden()
    ));
    let mut methods: Vec<(String, String)> = w
        .bank_accounts
        .iter()
        .filter(|a| !a.deleted)
        .map(|a| {
            (
                a.token.clone(),
                format!("Bank · {} ••••{}", a.alias, a.last4),
            )
        })
        .collect();
    methods.extend(w.cards.iter().filter(|c| !c.deleted).map(|c| {
        (
            c.token.clone(),
            format!("Card · {} ••••{}", c.network, c.last4),
        )
    }));
    if methods.is_empty() {
        body.push_str("<p class=\"muted\" id=\"no-accounts\">No bank account or card yet: link one below.</p>");
    }
    let selected = if step.account.is_empty() {
        methods.first().map(|m| m.0.clone())
    } else {
        Some(step.account.clone())
    };
    for (token, label) in &methods {
        body.push_str(&format!(
            "<label><input type=\"radio\" name=\"account\" value=\"{}\"{}> {}</label>",
            escape(token),
            if selected.as_deref() == Some(token) {
                " checked"
            } else {
                ""
            },
            escape(label)
        ));
    }
    let amount = if step.amount.is_empty() || sdk.lock_amount {
        &sdk.amount
    } else {
        &step.amount
    };
    body.push_str(&format!(
        "</fieldset><label>Amount (USD)<input name=\"amount\" inputmode=\"decimal\" value=\"{}\"{}></label>\
         <button type=\"submit\" class=\"primary\" id=\"continue\">Continue</button></form>",
        escape(amount),
        if sdk.lock_amount { " readonly" } else { "" }
    ));
    body.push_str(&format!(
        "<details id=\"add-bank\"{}><summary>Link a bank account</summary>{}</details>",
        if step.open_bank || methods.is_empty() {
            " open"
        } else {
            ""
        },
        bank_link::form(
            sdk,
            &sdk.path(ROUTE, "/account"),
            &sdk.link(ROUTE, "&linkCanceled=1"),
            bank_link::needs_address(world, index),
            step.bank_problem.as_deref(),
            &step.bank_values,
        )
    ));
    respond(status, sdk, "Withdraw", &body, messages)
}

/// What step one chose: the account, its kind, and the amount.
struct Choice<'a> {
    account: &'a str,
    kind: AccountKind,
    cents: i64,
}

/// Step two's page under a new idempotency key: each rendering of it confirms one payout.
fn speeds_with_new_key(
    sdk: &Sdk,
    world: &mut World,
    index: usize,
    choice: Choice<'_>,
    problem: Option<&str>,
    status: u16,
) -> ApiResponse {
    let key = world.ids.uuid();
    let Choice {
        account,
        kind,
        cents,
    } = choice;
    speeds(
        sdk,
        world,
        index,
        account,
        kind,
        cents,
        &key,
        problem,
        &[],
        status,
    )
}

#[allow(clippy::too_many_arguments)]
fn speeds(
    sdk: &Sdk,
    world: &World,
    index: usize,
    account: &str,
    kind: AccountKind,
    cents: i64,
    key: &str,
    problem: Option<&str>,
    messages: &[Value],
    status: u16,
) -> ApiResponse {
    let now = world.clock.now_ms();
    let label = world
        .coinflow
        .get(index)
        .and_then(|w| {
            w.bank_accounts
                .iter()
                .find(|a| a.token == account)
                .map(|a| format!("Bank · {} ••••{}", a.alias, a.last4))
                .or_else(|| {
                    w.cards
                        .iter()
                        .find(|c| c.token == account)
                        .map(|c| format!("Card · {} ••••{}", c.network, c.last4))
                })
        })
        .unwrap_or_default();
    let mut body = String::new();
    if let Some(problem) = problem {
        body.push_str(&format!(
            "<p class=\"errors\" id=\"error\">{}</p>",
            escape(problem)
        ));
    }
    body.push_str(&format!(
        "<dl><dt>To</dt><dd id=\"to\">{}</dd><dt>Amount</dt><dd id=\"amount\">{}</dd></dl>\
         <form method=\"post\" action=\"{}\" id=\"confirm-form\">{}\
         <input type=\"hidden\" name=\"account\" value=\"{}\">\
         <input type=\"hidden\" name=\"amount\" value=\"{}.{:02}\">\
         <input type=\"hidden\" name=\"idempotencyKey\" value=\"{}\">\
         <fieldset><legend>Speed</legend>",
        escape(&label),
        dollars(cents),
        escape(&sdk.path(ROUTE, "")),
        sdk.hidden(),
        escape(account),
        cents / 100,
        cents % 100,
        escape(key)
    ));
    let mut first = true;
    for speed in Speed::ALL
        .into_iter()
        .filter(|s| s.fits(kind) && sdk.allows(s.as_str()))
    {
        let fee = speed.fee_cents(cents);
        let over = cents > speed.limit_cents();
        body.push_str(&format!(
            "<label><input type=\"radio\" name=\"speed\" value=\"{name}\" data-fee-cents=\"{fee}\"{checked}{disabled}> \
             {name}: fee {fee_text} (paid by the merchant), arrives by {at}{limit}</label>",
            name = speed.as_str(),
            fee_text = dollars(fee),
            checked = if first && !over { " checked" } else { "" },
            disabled = if over { " disabled" } else { "" },
            at = day(now + speed.settles_after_ms()),
            limit = if over { format!(" — over the {} limit", dollars(speed.limit_cents())) } else { String::new() },
        ));
        first &= over;
    }
    body.push_str(&format!(
        "</fieldset><button type=\"submit\" class=\"primary\" id=\"confirm\">Confirm withdrawal</button>\
         <a class=\"button secondary\" id=\"back\" href=\"{}\">Back</a></form>",
        escape(&sdk.link(ROUTE, ""))
    ));
    respond(status, sdk, "Review your withdrawal", &body, messages)
}

/// The payout made, and `success` for the SDK's `onSuccess`.
fn result(sdk: &Sdk, p: &Payout) -> ApiResponse {
    let info = json!({
        "paymentId": p.id,
        "hash": p.signature,
        "amount": {"cents": p.amount_cents, "currency": "USD"},
        "speed": p.speed.as_str(),
        "status": p.status.as_str(),
    });
    let body = format!(
        "<p id=\"status\" data-status=\"{}\">Your withdrawal of {} is on its way.</p>\
         <dl><dt>Transfer</dt><dd id=\"transfer-id\">{}</dd><dt>Transaction</dt><dd>{}</dd>\
         <dt>Speed</dt><dd>{}</dd><dt>Fee</dt><dd>{} (paid by the merchant)</dd>\
         <dt>Expected</dt><dd>{}</dd></dl>\
         <p><a class=\"button secondary\" id=\"again\" href=\"{}\">New withdrawal</a></p>",
        p.status.as_str(),
        dollars(p.amount_cents),
        escape(&p.id),
        escape(&p.signature),
        p.speed.as_str(),
        dollars(p.fee_cents),
        day(p.expected_delivery_ms),
        escape(&sdk.link(ROUTE, "")),
    );
    respond(
        200,
        sdk,
        "Withdrawal submitted",
        &body,
        &[message("success", info)],
    )
}

/// `2026-12-05 12:03 UTC`: a delivery time as a person reads it.
fn day(ms: crate::clock::Millis) -> String {
    let iso = iso8601(ms);
    format!("{} UTC", iso.get(..16).unwrap_or(&iso).replace('T', " "))
}
