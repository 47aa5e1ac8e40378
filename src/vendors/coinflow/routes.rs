//! Coinflow's route table and its side of the vendor seam.

use serde_json::{Value, json};

use super::{
    accounts, auth, kyc, kyc_doc, pages, payouts, scenario, sdk, ui, webhook_logs, webhooks,
    withdraw_list, withdrawer_list, withdrawers,
};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::scenario::Outcome;
use crate::store::{Namespace, World};
use crate::vendors::table::{Param, Route, any_object, object};
use crate::vendors::{Change, Ctx, ScenarioHooks, Vendor, VendorApi, VendorDoc};
use crate::webhooks::AttemptInfo;

pub struct Coinflow;

/// What a verification outcome may be, on registration and on Get Withdrawer.
const VERIFICATION: &[Outcome] = &[
    Outcome::Pending,
    Outcome::Approved,
    Outcome::Rejected,
    Outcome::MissingFields,
];

/// Get Withdrawer's: where the verification page sends the user when done.
static REDIRECT_LINK: &[Param] = &[Param::query(
    "redirectLink",
    || json!({"type": "string", "examples": ["https://app.example/done"]}),
)];

/// The user's own quote.
static USER_QUOTE: &[Param] = &[
    Param {
        name: "token",
        place: "query",
        required: true,
        schema: || json!({"type": "string", "minLength": 1, "examples": ["USDC"]}),
    },
    Param {
        name: "amount",
        place: "query",
        required: true,
        schema: || json!({"type": "number", "minimum": 0.005, "description": "Quoted in cents: at least one cent once rounded", "examples": [25]}),
    },
    Param {
        name: "merchantId",
        place: "query",
        required: true,
        schema: || json!({"type": "string", "minLength": 1, "examples": ["merchant"]}),
    },
    Param::query(
        "accountToken",
        || json!({"type": "string", "description": "One of the user's bank account or card tokens: only its speeds are priced", "examples": ["411111TOKEN1111"]}),
    ),
    Param::query(
        "usePermit",
        || json!({"type": "boolean", "examples": [true]}),
    ),
];

/// Paging, the same on every Coinflow list that pages.
pub(super) const PAGE: Param = Param::query(
    "page",
    || json!({"type": "integer", "minimum": 1, "examples": [1]}),
);
pub(super) const LIMIT: Param = Param::query(
    "limit",
    || json!({"type": "integer", "minimum": 1, "examples": [10]}),
);

/// A payout method the bank may refuse.
const REFUSABLE: &[Outcome] = &[Outcome::ValidationError];

/// What a delegated payout may be made to do: refused 402 or 451, fail (the bank returns it,
/// `after_seconds` after it was made, or when its speed settles), or stay pending.
const PAYOUT: &[Outcome] = &[
    Outcome::InsufficientBalance,
    Outcome::UserNotApproved,
    Outcome::Failed,
    Outcome::Pending,
];

/// Every Coinflow route (the paths Coinflow serves under `/api`, as its SDK calls them).
#[rustfmt::skip]
static ROUTES: &[Route] = &[
    Route::new("POST", "/api/withdraw/kyc/share-token", "register_withdrawer", kyc::share_token, "Register a withdrawer from a Persona share token").outcomes(VERIFICATION).request(share_token_body).answers(withdrawer),
    Route::new("POST", "/api/withdraw/kyc", "register_withdrawer", kyc::register, "Register a withdrawer (US info or document verification)").outcomes(VERIFICATION).request(kyc_body).answers(withdrawer),
    Route::new("POST", "/api/withdraw/kyc/attested", "register_withdrawer", kyc::attested, "Register an attested withdrawer").outcomes(VERIFICATION).request(attested_body).answers(withdrawer),
    Route::new("POST", "/api/withdraw/kyc-doc", "register_withdrawer", kyc_doc::register, "Register a withdrawer via an identity document (pending a reviewer's decision)").outcomes(VERIFICATION).multipart(kyc_doc_body).answers(withdrawer),
    Route::new("GET", "/api/withdraw", "get_withdrawer", withdrawers::get, "Get Withdrawer").outcomes(VERIFICATION).params(REDIRECT_LINK).answers(withdrawer),
    Route::new("POST", "/api/withdraw/account", "add_payout_method", accounts::add_bank_account, "Create Bank Account").outcomes(REFUSABLE).request(bank_account_body).answers(withdrawer),
    Route::new("POST", "/api/withdraw/account/v2", "add_payout_method", accounts::add_bank_account, "Create Bank Account (v2)").outcomes(REFUSABLE).request(bank_account_body).answers(withdrawer),
    Route::new("POST", "/api/withdraw/debit-card", "add_payout_method", accounts::add_debit_card, "Create Debit Card").outcomes(REFUSABLE).request(debit_card_body).answers(string),
    Route::new("DELETE", "/api/withdraw/account/{token}", "delete_payout_method", accounts::delete_account, "Delete Bank Account").answers(withdrawer),
    Route::new("DELETE", "/api/withdraw/card/{token}", "delete_payout_method", accounts::delete_card, "Delete Debit Card").answers(withdrawer),
    Route::new("GET", "/api/withdraw/quote", "get_quote", payouts::user_quote, "Get Quote (the user's own withdraw)").params(USER_QUOTE).answers(quote),
    Route::new("GET", "/api/withdraw/history", "withdraw_history", payouts::history, "Get Withdrawer History").answers(history),
    Route::new("POST", "/api/merchant/withdraws/payout/delegated/quote", "get_quote", payouts::delegated_quote, "Get Delegated Payout Quote").request(quote_body).answers(quote),
    Route::new("POST", "/api/merchant/withdraws/payout/delegated", "create_payout", payouts::delegated_payout, "Payout via Coinflow Wallet (delegated)").outcomes(PAYOUT).request(payout_body).answers(payout_answer),
    Route::new("GET", "/api/merchant/withdraws/payout/balance", "payout_balance", payouts::balance, "Get Coinflow Wallet Balance").answers(balance),
    Route::new("GET", "/api/merchant/withdraws/{withdrawalId}", "get_withdrawal", payouts::withdrawal, "Get Withdrawal (by transfer id or transaction)").answers(withdrawal),
    Route::new("GET", "/api/merchant/withdraws", "list_withdrawals", withdraw_list::withdraws, "Get Withdraws").params(withdraw_list::PARAMS).answers(withdraw_list),
    Route::read_only("GET", "/api/merchant/withdrawers", "list_withdrawers", withdrawer_list::withdrawers, "Gets merchant withdrawers").params(withdrawer_list::PARAMS).answers(withdrawer_list),
    Route::read_only("GET", "/api/merchant/webhooks", "list_webhook_logs", webhook_logs::list, "Get Payment Webhook Activity (the merchant's webhook logs)").params(webhook_logs::PARAMS).answers(webhook_logs::list_schema),
    Route::new("POST", "/api/merchant/webhooks/{webhookLogId}", "resend_webhook", |cx, w| webhook_logs::resend(cx, w, cx.param("webhookLogId")), "Resend Payment Webhook").answers(webhook_logs::resend_schema),
    Route::new("GET", "/api/auth/session-key", "session_key", auth::session_key, "Get a session key").answers(session_key),
    Route::new("GET", "/merchant/view/{merchantId}", "merchant_view", |cx, _| sdk::merchant_view(cx.param("merchantId")), "Merchant settings the SDK reads"),
    Route::new("POST", "/api/telemetry/frontend-error", "frontend_error", |cx, _| sdk::frontend_error(cx.req), "SDK error telemetry").request(any_object),
    Route::new("POST", "/api/tokenize/iframe/config", "iframe_config", sdk::iframe_config, "Card tokenization iframe configuration").request(iframe_config_body),
    Route::new("GET", "/coinflow/verify/{token}", "verification_page", |cx, w| pages::page(cx, w, cx.param("token")), "Withdrawer verification page").html(),
    Route::new("POST", "/coinflow/verify/{token}", "verification_submit", |cx, w| pages::submit(cx, w, cx.param("token")), "Submit the withdrawer verification page").html(),
];

/// The pages of Coinflow's web app that its React SDK frames (`env="local"`:
/// `http://localhost:3000`), served only on the `--coinflow-ui-port` listener. Their forms
/// act as the API does, under the API's operations, so scenarios steer them alike.
#[rustfmt::skip]
static UI_ROUTES: &[Route] = &[
    Route::new("GET", "/{blockchain}/withdraw/{merchantId}", "withdraw_page", ui::withdraw_page, "CoinflowWithdraw's page").html(),
    Route::new("POST", "/{blockchain}/withdraw/{merchantId}/account", "add_payout_method", ui::withdraw_add_account, "Link a bank account from the withdraw page").outcomes(REFUSABLE).html(),
    Route::new("POST", "/{blockchain}/withdraw/{merchantId}/quote", "get_quote", ui::withdraw_review, "Review a withdrawal: each speed with its fee").html(),
    Route::new("POST", "/{blockchain}/withdraw/{merchantId}", "create_payout", ui::withdraw_confirm, "Confirm a withdrawal: a delegated payout").outcomes(PAYOUT).html(),
    Route::new("GET", "/{blockchain}/history/withdraw/{merchantId}", "withdraw_history_page", ui::withdraw_history_page, "CoinflowWithdrawHistory's page").html(),
    Route::new("GET", "/{blockchain}/checkout-link/{merchantId}", "bank_link_page", ui::bank_link_page, "CoinflowBankLink's page").html(),
    Route::new("POST", "/{blockchain}/checkout-link/{merchantId}", "add_payout_method", ui::bank_link_submit, "Link a bank account from the bank-link page").outcomes(REFUSABLE).html(),
];

impl VendorApi for Coinflow {
    fn vendor(&self) -> Vendor {
        Vendor::Coinflow
    }

    /// Its API server is `https://api-sandbox.coinflow.cash/api`: every `/api` path is Coinflow's
    /// (a path it does not route gets its NestJS 404) but for Persona's `/api/v1` and Bitmama's
    /// partner paths, which [`REGISTRY`](crate::vendors::REGISTRY) matches first.
    fn prefixes(&self) -> &'static [&'static str] {
        &["/api", "/merchant", "/coinflow"]
    }

    fn routes(&self) -> &'static [Route] {
        ROUTES
    }

    fn ui_routes(&self) -> &'static [Route] {
        UI_ROUTES
    }

    fn ui_namespace(&self, req: &ApiRequest) -> Option<String> {
        ui::namespace_of(req)
    }

    fn error(&self, status: u16, message: &str, req: &ApiRequest) -> ApiResponse {
        super::error(status, message, req)
    }

    /// Coinflow is a NestJS service: `Cannot GET /path`.
    fn no_route(&self, req: &ApiRequest) -> ApiResponse {
        super::error(404, &format!("Cannot {} {}", req.method, req.path), req)
    }

    fn finish(&self, _cx: &Ctx, world: &World, response: ApiResponse) -> ApiResponse {
        super::stamp_error(response, world.clock.now_ms())
    }

    fn finish_unrouted(
        &self,
        _app: &App,
        namespace: Option<&Namespace>,
        response: ApiResponse,
    ) -> ApiResponse {
        match namespace {
            Some(namespace) => super::stamp_error(response, namespace.read().clock.now_ms()),
            None => response,
        }
    }

    fn settle(&self, app: &App, world: &mut World) {
        super::settle(app, world);
    }

    fn react(&self, app: &App, world: &mut World, change: &Change) {
        match change {
            Change::InquiryChanged { inquiry_id } => {
                super::on_inquiry_changed(app, world, inquiry_id)
            }
        }
    }

    fn webhook_headers(
        &self,
        secrets: &[String],
        attempt: &AttemptInfo,
        body: &[u8],
    ) -> Vec<(String, String)> {
        webhooks::webhook_headers(secrets, attempt, body)
    }

    fn admin_state(&self, world: &World) -> Value {
        super::admin::state(world)
    }

    fn scenario(&self) -> ScenarioHooks {
        ScenarioHooks::seeded_by::<scenario::CoinflowSeed>(&[], scenario::magic)
            .asking_for(&scenario::MISSING_FIELDS)
    }

    fn doc(&self) -> VendorDoc {
        VendorDoc {
            description: "Coinflow: withdrawers, KYC, payout methods and delegated payouts",
            security: || json!([{"coinflowKey": [], "coinflowUser": []}]),
            schemes: || {
                json!({
                    "coinflowKey": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "the raw merchant key, no Bearer"},
                    "coinflowUser": {"type": "apiKey", "in": "header", "name": "x-coinflow-auth-user-id"},
                })
            },
            error_schema: || {
                object(
                    &["statusCode", "message"],
                    json!({"statusCode": {"type": "integer"}, "message": {}, "path": {"type": "string"}}),
                )
            },
        }
    }
}

// OpenAPI schemas of Coinflow's bodies.

fn share_token_body() -> Value {
    let s = json!({"type": "string"});
    object(
        &["vendor", "shareToken", "email"],
        json!({"vendor": {"const": "persona"}, "shareToken": s, "email": s, "country": s}),
    )
}

fn withdrawer() -> Value {
    object(
        &["withdrawer"],
        json!({"withdrawer": object(&["_id", "email", "verification"], json!({
            "_id": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
            "email": {"type": "string"},
            "verification": object(&["status"], json!({"status": {"enum": ["pending", "approved", "rejected", "attested"]}})),
        }))}),
    )
}

fn withdrawer_list() -> Value {
    let s = json!({"type": "string"});
    json!({"type": "array", "items": object(
        &["_id", "email", "verification", "isBlocked"],
        json!({"_id": s, "email": s, "verification": any_object(), "isBlocked": {"type": "boolean"}}),
    )})
}

fn session_key() -> Value {
    object(&["key"], json!({"key": {"type": "string"}}))
}

fn string() -> Value {
    json!({"type": "string"})
}

/// The person Coinflow's US KYC takes (`info` of KycUsRequestBody, and the attested body):
/// `dob` as YYYYMMDD or YYYY-MM-DD, `ssn` the last 4 digits.
fn person(ssn_required: bool) -> Value {
    let s = json!({"type": "string"});
    let mut required = vec![
        "email",
        "firstName",
        "surName",
        "physicalAddress",
        "city",
        "state",
        "zip",
        "country",
        "dob",
    ];
    if ssn_required {
        required.push("ssn");
    }
    object(
        &required,
        json!({"email": s, "firstName": s, "surName": s, "physicalAddress": s, "city": s,
            "state": {"type": "string", "minLength": 2}, "zip": s,
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "dob": {"type": "string", "pattern": "^[0-9]{4}-?[0-9]{2}-?[0-9]{2}$"},
            "ssn": {"type": "string", "pattern": "^[0-9]{4}$"}}),
    )
}

/// KycUsRequestBody `{info}` (checked at once) or KycDocVRequestBody `{email, country}`
/// (document verification); either may add `redirectLink`.
fn kyc_body() -> Value {
    let s = json!({"type": "string"});
    let mut body = object(
        &[],
        json!({"info": person(true), "email": s, "country": s, "merchantId": s,
            "redirectLink": s}),
    );
    body["anyOf"] = json!([{"required": ["info"]}, {"required": ["email", "country"]}]);
    body
}

/// The spec's multipart form of `create-kyc-document`.
fn kyc_doc_body() -> Value {
    let s = json!({"type": "string"});
    let file = json!({"type": "string", "format": "binary"});
    object(
        &["email", "country", "idType", "merchantId", "idFront"],
        json!({"email": s, "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "idType": {"enum": kyc_doc::ID_TYPES}, "merchantId": s, "idFront": file,
            "idBack": file}),
    )
}

fn attested_body() -> Value {
    person(false)
}

fn bank_account_body() -> Value {
    let s = json!({"type": "string"});
    object(
        &["alias", "routingNumber", "accountNumber", "type"],
        json!({"alias": s, "routingNumber": s, "accountNumber": s,
            "type": {"enum": ["checking", "savings"]}, "wireRoutingNumber": s,
            "name": s, "firstName": s, "lastName": s, "address": any_object()}),
    )
}

fn debit_card_body() -> Value {
    let s = json!({"type": "string"});
    object(
        &["cardToken", "expMonth", "expYear"],
        json!({"cardToken": s, "expMonth": s, "expYear": s, "address": any_object(), "merchantId": s}),
    )
}

/// A payout's fields; `idempotencyKey` is required of a payout (`PayoutDelegatedArgs`), not of
/// its quote.
fn payout_fields(required: &[&str]) -> Value {
    let s = json!({"type": "string"});
    object(
        required,
        json!({"speed": {"enum": ["standard", "same_day", "asap", "card"]}, "account": s,
            "userId": s, "idempotencyKey": s, "waitForConfirmation": {"type": "boolean"},
            "amount": object(&["cents"], json!({"cents": {"type": "integer"}, "currency": s}))}),
    )
}

/// The merchant is named by `merchantId` or by a `checkoutJwt`.
fn iframe_config_body() -> Value {
    let s = json!({"type": "string"});
    let mut body = object(
        &["origins"],
        json!({"origins": {"type": "array", "minItems": 1, "items": s}, "merchantId": s,
            "checkoutJwt": s, "token": s}),
    );
    body["anyOf"] = json!([{"required": ["merchantId"]}, {"required": ["checkoutJwt"]}]);
    body
}

fn quote_body() -> Value {
    payout_fields(&["speed", "account", "userId", "amount"])
}

fn payout_body() -> Value {
    payout_fields(&["speed", "account", "userId", "amount", "idempotencyKey"])
}

fn quote() -> Value {
    object(
        &["quote", "standard"],
        json!({"quote": any_object(), "standard": any_object()}),
    )
}

fn payout_answer() -> Value {
    let s = json!({"type": "string"});
    object(
        &["signature", "effectiveSpeed"],
        json!({"signature": s, "effectiveSpeed": s}),
    )
}

fn balance() -> Value {
    object(
        &["balance"],
        json!({"balance": object(&["cents"], json!({"cents": {"type": "integer"}}))}),
    )
}

fn withdraw() -> Value {
    let s = json!({"type": "string"});
    object(
        &["transferId", "transaction", "status", "amount", "speed"],
        json!({"transferId": s, "transaction": s, "amount": any_object(), "speed": s,
            "status": {"enum": ["pending", "completed", "failed"]}}),
    )
}

fn withdrawal() -> Value {
    object(&["withdrawal"], json!({"withdrawal": withdraw()}))
}

fn withdraw_list() -> Value {
    json!({"type": "array", "items": withdraw()})
}

fn history() -> Value {
    object(&["withdraws"], json!({"withdraws": withdraw_list()}))
}
