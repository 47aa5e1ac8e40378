//! Bitmama's route table and its side of the vendor seam.

use serde_json::{Value, json};

use super::{Reply, cards, kyc, profile, scenario, users, validation, wallet, webhooks};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse, Bom};
use crate::scenario::Outcome;
use crate::store::World;
use crate::vendors::table::{Param, Route, object};
use crate::vendors::{Change, ScenarioHooks, Vendor, VendorApi, VendorDoc};
use crate::webhooks::AttemptInfo;

pub struct Bitmama;

/// A handler's answer, either side.
fn reply(reply: Reply) -> ApiResponse {
    reply.unwrap_or_else(|refused| refused)
}

/// The header every mutating call must carry (`idempotency.rs`).
static IDEMPOTENCY_KEY: &[Param] = &[Param {
    name: "idempotency-key",
    place: "header",
    required: true,
    schema: || json!({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "\\S"}),
}];

/// A list's page: `skip` entries, then `limit` (1 to 100) of them.
const PAGE: [Param; 2] = [
    Param::query(
        "skip",
        || json!({"type": "integer", "minimum": 0, "examples": [0]}),
    ),
    Param::query(
        "limit",
        || json!({"type": "integer", "minimum": 1, "maximum": 100, "examples": [10]}),
    ),
];
static USER_LIST: &[Param] = &PAGE;
static TRANSACTION_LIST: &[Param] = &[
    PAGE[0],
    PAGE[1],
    Param::query(
        "serviceCardId",
        || json!({"type": "string", "examples": ["card-1"]}),
    ),
];

/// Every Bitmama partner route.
#[rustfmt::skip]
static ROUTES: &[Route] = &[
    Route::new("POST", "/api/v2/partner/card/users", "create_user", |cx, w| reply(users::create(cx, w)), "Create a card user").outcomes(&[Outcome::Created, Outcome::DuplicateUser, Outcome::InsufficientBalance, Outcome::ValidationError,]).request(card_user_body).params(IDEMPOTENCY_KEY).answers(success),
    Route::new("GET", "/api/v1/partner/card/users", "list_users", |cx, w| reply(users::list(cx, w)), "List card users").params(USER_LIST).answers(success),
    Route::new("GET", "/api/v2/partner/card/users", "list_users", |cx, w| reply(users::list(cx, w)), "List card users").params(USER_LIST).answers(success),
    Route::new("DELETE", "/api/v1/partner/card/users/{serviceId}", "delete_user", |cx, w| reply(users::delete(cx, w, cx.param("serviceId"))), "Delete a card user").params(IDEMPOTENCY_KEY).answers(success),
    Route::new("POST", "/api/v2/partner/card/users/{serviceId}/retry-kyc", "retry_kyc", |cx, w| reply(users::retry_kyc(cx, w, cx.param("serviceId"))), "Retry a denied user's KYC").params(IDEMPOTENCY_KEY).answers(success),
    Route::new("POST", "/api/v1/partner/card", "create_card", |cx, w| reply(cards::create(cx, w)), "Create a card").outcomes(&[Outcome::Created, Outcome::InsufficientBalance, Outcome::UserNotApproved,]).request(create_card_body).params(IDEMPOTENCY_KEY).answers(success),
    Route::new("PATCH", "/api/v1/partner/card", "set_card_status", |cx, w| reply(cards::set_status(cx, w)), "Freeze or unfreeze a card").request(card_status_body).answers(success),
    Route::new("POST", "/api/v1/partner/card/fund", "fund_card", |cx, w| reply(cards::fund(cx, w)), "Fund a card").request(card_amount_body).params(IDEMPOTENCY_KEY).answers(success),
    Route::new("POST", "/api/v1/partner/card/withdraw", "withdraw_card", |cx, w| reply(cards::withdraw(cx, w)), "Withdraw from a card").request(card_withdraw_body).params(IDEMPOTENCY_KEY).answers(success),
    Route::new("DELETE", "/api/v1/partner/card/terminate/{serviceCardId}", "terminate_card", |cx, w| reply(cards::terminate(cx, w, cx.param("serviceCardId"))), "Terminate a card").params(IDEMPOTENCY_KEY).answers(success),
    Route::new("GET", "/api/v1/partner/card/transactions", "list_transactions", |cx, w| reply(cards::transactions(cx, w)), "Card transactions").params(TRANSACTION_LIST).answers(success),
    Route::new("GET", "/api/v1/partner/wallet", "get_wallet", |cx, w| reply(wallet::get(cx, w)), "Partner wallet").answers(success),
    Route::new("POST", "/api/v1/partner/profile/webhook", "set_webhook_url", |cx, w| reply(profile::set_webhook(cx, w)), "Set the webhook URL").request(webhook_url_body).params(IDEMPOTENCY_KEY).answers(success),
    Route::new("POST", "/api/v1/partner/profile/redirect-url", "set_redirect_url", |cx, w| reply(profile::set_redirect_url(cx, w)), "Set the redirect URL").request(redirect_url_body).params(IDEMPOTENCY_KEY).answers(success),
    Route::new("GET", "/bitmama/kyc/return", "kyc_return", kyc::return_page, "Where the hosted KYC page returns").html(),
];

impl VendorApi for Bitmama {
    fn vendor(&self) -> Vendor {
        Vendor::Bitmama
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/api/v1/partner", "/api/v2/partner", "/bitmama"]
    }

    fn routes(&self) -> &'static [Route] {
        ROUTES
    }

    fn error(&self, status: u16, message: &str, req: &ApiRequest) -> ApiResponse {
        super::error(status, message, req)
    }

    fn json_bom(&self) -> Bom {
        validation::BOM
    }

    fn bad_body(&self, message: &str, _req: &ApiRequest) -> ApiResponse {
        validation::bad_body(message)
    }

    fn settle(&self, app: &App, world: &mut World) {
        kyc::settle(app, world);
    }

    fn react(&self, app: &App, world: &mut World, change: &Change) {
        match change {
            Change::InquiryChanged { inquiry_id } => {
                kyc::on_inquiry_changed(app, world, inquiry_id)
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
        ScenarioHooks::seeded_by::<scenario::BitmamaSeed>(&[], scenario::magic)
    }

    fn doc(&self) -> VendorDoc {
        VendorDoc {
            description: "Bitmama partner card API",
            security: || json!([{"bitmamaKey": []}]),
            schemes: || json!({"bitmamaKey": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer sk_<partner key>"}}),
            error_schema: || {
                object(
                    &["status", "message"],
                    json!({"status": {"const": "error"}, "message": {"type": "string"}, "data": {"type": "object"}}),
                )
            },
        }
    }
}

// OpenAPI schemas of Bitmama's bodies.

fn success() -> Value {
    object(
        &["status", "message"],
        json!({"status": {"const": "success"}, "message": {"type": "string"}, "data": {}}),
    )
}

fn card_user_body() -> Value {
    // What `users::NewUser::parse` checks, as far as a schema can say it: a body valid here is
    // never refused for its shape (the schema may be the stricter one). Texts are trimmed before
    // their length is checked; the pattern asks for something besides white space (Rust's, which
    // counts U+0085 as space where JavaScript's `\s` does not).
    let text = |max: usize| json!({"type": "string", "pattern": "[^\\s\\u0085]", "maxLength": max});
    // `validation::is_email`: a local part of dot-separated atoms (no dot first, last or twice
    // in a row), labels of letters, digits and inner hyphens, a top-level domain of two letters
    // or more. The local part's 64 is a second pattern (no lookahead, which not every JSON
    // Schema tool's regex engine has).
    let email = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$";
    let email_local = "^[^@]{1,64}@";
    // `validation::is_https_url`: the scheme in any case, a host without the code points a
    // host may not hold (an IPv6 one in brackets: its form here, the address in the code), and
    // a port that fits in 16 bits; the authority ends at `\`, as browsers read it.
    let port = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})";
    let https = format!(
        r"^[Hh][Tt][Tt][Pp][Ss]://([^/?#@\\\s]*@)?(\[[0-9A-Fa-f:.]+\]|[^/?#:\[\]@\\<>^|%\s]+)(:{port})?([/?#\\]|$)"
    );
    let mut schema = object(
        &[
            "firstName",
            "lastName",
            "email",
            "phoneNumber",
            "accountPurpose",
            "ipAddress",
            "isTermsOfServiceAccepted",
            "program",
        ],
        json!({
            "firstName": text(100), "lastName": text(100),
            "email": {"type": "string", "format": "email", "pattern": email, "allOf": [{"pattern": email_local}], "maxLength": 254},
            "phoneNumber": {"type": "string", "pattern": "^\\+[1-9][0-9]{7,14}$", "example": "+14155555555"},
            "accountPurpose": text(200),
            "ipAddress": {"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
            "isTermsOfServiceAccepted": {"const": true},
            "program": {"enum": ["custodial", "non_custodial"]},
            "walletAddress": {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"},
            "redirectUrl": {"type": "string", "format": "uri", "pattern": https, "maxLength": 2048},
        }),
    );
    // A non-custodial card user brings their own wallet.
    schema["if"] =
        json!({"properties": {"program": {"const": "non_custodial"}}, "required": ["program"]});
    schema["then"] = json!({"required": ["walletAddress"]});
    schema
}

/// `amount` is required unless the card is funded in crypto (on chain, not from the wallet).
fn create_card_body() -> Value {
    let mut body = object(
        &["serviceId"],
        json!({"serviceId": {"type": "string"}, "amount": {"type": "number"},
            "fundingType": {"enum": ["float", "crypto"]}}),
    );
    body["anyOf"] = json!([
        {"required": ["amount"]},
        {"required": ["fundingType"], "properties": {"fundingType": {"const": "crypto"}}},
    ]);
    body
}

fn card_status_body() -> Value {
    object(
        &["serviceCardId", "status"],
        json!({"serviceCardId": {"type": "string"}, "status": {"enum": ["freeze", "unfreeze"]}}),
    )
}

/// A move between the wallet and a card; `reference` is required of a withdrawal only.
fn card_move(required: &[&str]) -> Value {
    let s = json!({"type": "string"});
    object(
        required,
        json!({"serviceCardId": s, "amount": {"type": "number"}, "reference": s}),
    )
}

fn card_amount_body() -> Value {
    card_move(&["serviceCardId", "amount"])
}

fn card_withdraw_body() -> Value {
    card_move(&["serviceCardId", "amount", "reference"])
}

fn webhook_url_body() -> Value {
    object(&["webhookUrl"], json!({"webhookUrl": {"type": "string"}}))
}

fn redirect_url_body() -> Value {
    object(&["redirectUrl"], json!({"redirectUrl": {"type": "string"}}))
}
