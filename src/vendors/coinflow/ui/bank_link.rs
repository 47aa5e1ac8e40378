//! CoinflowBankLink's page, `/{blockchain}/checkout-link/{merchantId}` (`bankLinkOnly=true`),
//! and the bank-account form it shares with the withdraw page: linking goes through
//! `accounts::insert_bank_account`, as `POST /api/withdraw/account` does, and the page posts
//! `accountLinked {type: "bank", tokens}`, or `accountNotLinked {type: "bank", reason}` when the
//! user cancels (`canceled`) or the bank refuses the account (`failed`), or `inputError
//! {field, message}` for a field the API would answer 400 for.

use serde_json::{Map, Value, json};

use super::super::accounts::{self, BANK_REFUSED};
use super::{Sdk, field, message, respond, verified_session};
use crate::html::escape;
use crate::http::ApiResponse;
use crate::store::World;
use crate::vendors::Ctx;

const ROUTE: &str = "checkout-link";

/// What linking a bank account from the form came to.
pub(super) enum Linked {
    Yes(String),
    /// The bank refused it (the scenario's `validation_error`).
    Refused(String),
    /// A field the API would refuse with 400 (or 412 for the address).
    Invalid {
        field: String,
        message: String,
    },
}

impl Linked {
    /// The message for the SDK.
    pub fn message(&self) -> Value {
        match self {
            Linked::Yes(token) => {
                message("accountLinked", json!({"type": "bank", "tokens": [token]}))
            }
            Linked::Refused(_) => message(
                "accountNotLinked",
                json!({"type": "bank", "reason": "failed"}),
            ),
            Linked::Invalid {
                field,
                message: text,
            } => message("inputError", json!({"field": field, "message": text})),
        }
    }
}

/// The SDK's message when the user cancels linking.
pub(super) fn canceled() -> Value {
    message(
        "accountNotLinked",
        json!({"type": "bank", "reason": "canceled"}),
    )
}

/// The form fields, as the API's JSON body.
const TEXT_FIELDS: [&str; 4] = ["alias", "routingNumber", "accountNumber", "name"];
const ADDRESS_FIELDS: [(&str, &str); 4] = [
    ("address1", "Street address"),
    ("city", "City"),
    ("state", "State (2 letters)"),
    ("zip", "ZIP code"),
];

/// Links the bank account of the submitted form to withdrawer `index`.
pub(super) fn link(cx: &Ctx, world: &mut World, index: usize) -> Linked {
    let form = cx.req.form();
    let mut body = Map::new();
    for name in TEXT_FIELDS.iter().chain(&["type"]) {
        let value = field(&form, name);
        if !value.is_empty() {
            body.insert(name.to_string(), Value::String(value));
        }
    }
    if !field(&form, "address1").is_empty() {
        let address: Map<String, Value> = ADDRESS_FIELDS
            .iter()
            .map(|(name, _)| (name.to_string(), Value::String(field(&form, name))))
            .collect();
        body.insert("address".into(), Value::Object(address));
    }
    let body = Value::Object(body);
    match accounts::insert_bank_account(world, index, &body, accounts::refused_by_bank(cx)) {
        Ok(token) => Linked::Yes(token),
        Err((_, message)) if message == BANK_REFUSED => Linked::Refused(message),
        Err((status, message)) => Linked::Invalid {
            // API messages start with the field they are about (`routingNumber "1" is …`).
            field: if status == 412 {
                "address".to_string()
            } else {
                message
                    .split([' ', '.'])
                    .next()
                    .unwrap_or_default()
                    .to_string()
            },
            message,
        },
    }
}

/// The bank-account form posting to `action`; `problem` is shown above it, `values` refill it.
pub(super) fn form(
    sdk: &Sdk,
    action: &str,
    cancel: &str,
    needs_address: bool,
    problem: Option<&str>,
    values: &[(String, String)],
) -> String {
    let value = |name: &str| escape(&field(values, name));
    let mut html = String::new();
    if let Some(problem) = problem {
        html.push_str(&format!(
            "<p class=\"errors\" id=\"bank-error\">{}</p>",
            escape(problem)
        ));
    }
    html.push_str(&format!(
        "<form method=\"post\" action=\"{}\" id=\"bank-form\">{}",
        escape(action),
        sdk.hidden()
    ));
    for (name, label) in [
        ("alias", "Account nickname"),
        ("name", "Account holder"),
        ("routingNumber", "Routing number (9 digits)"),
        ("accountNumber", "Account number"),
    ] {
        html.push_str(&format!(
            "<label>{label}<input name=\"{name}\" value=\"{}\"></label>",
            value(name)
        ));
    }
    let savings = field(values, "type") == "savings";
    html.push_str(&format!(
        "<label>Account type<select name=\"type\"><option value=\"checking\">Checking</option>\
         <option value=\"savings\"{}>Savings</option></select></label>",
        if savings { " selected" } else { "" }
    ));
    if needs_address {
        html.push_str("<fieldset><legend>Your address</legend>");
        for (name, label) in ADDRESS_FIELDS {
            html.push_str(&format!(
                "<label>{label}<input name=\"{name}\" value=\"{}\"></label>",
                value(name)
            ));
        }
        html.push_str("</fieldset>");
    }
    html.push_str(&format!(
        "<button type=\"submit\" class=\"primary\" id=\"link-bank\">Link bank account</button>\
         <a class=\"button secondary\" id=\"cancel-link\" href=\"{}\">Cancel</a></form>",
        escape(cancel)
    ));
    html
}

/// Whether withdrawer `index` has no street address yet (the API answers 412 without one).
pub(super) fn needs_address(world: &World, index: usize) -> bool {
    world
        .coinflow
        .get(index)
        .is_none_or(|w| !w.details.contains_key("physicalAddress"))
}

/// `GET /{blockchain}/checkout-link/{merchantId}`: the user's bank accounts and the form
/// (`?linkCanceled=1`: the user cancelled).
pub fn page(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (sdk, index, _) = match verified_session(cx, world, ROUTE) {
        Ok(s) => s,
        Err(page) => return page,
    };
    let messages = if cx.req.query_param("linkCanceled").is_some() {
        vec![canceled()]
    } else {
        Vec::new()
    };
    render(&sdk, world, index, None, &[], &messages, 200)
}

/// `POST /{blockchain}/checkout-link/{merchantId}`: links the account of the form.
pub fn link_submit(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (sdk, index, _) = match verified_session(cx, world, ROUTE) {
        Ok(s) => s,
        Err(page) => return page,
    };
    let linked = link(cx, world, index);
    let messages = [linked.message()];
    match &linked {
        Linked::Yes(_) => {
            let mut body = String::from(
                "<p id=\"status\" data-status=\"linked\">Your bank account is linked.</p>",
            );
            body.push_str(&accounts_list(world, index));
            respond(200, &sdk, "Bank account linked", &body, &messages)
        }
        Linked::Refused(problem)
        | Linked::Invalid {
            message: problem, ..
        } => render(
            &sdk,
            world,
            index,
            Some(problem),
            &cx.req.form(),
            &messages,
            400,
        ),
    }
}

fn render(
    sdk: &Sdk,
    world: &World,
    index: usize,
    problem: Option<&str>,
    values: &[(String, String)],
    messages: &[Value],
    status: u16,
) -> ApiResponse {
    let mut body = accounts_list(world, index);
    body.push_str(&form(
        sdk,
        &sdk.path(ROUTE, ""),
        &sdk.link(ROUTE, "&linkCanceled=1"),
        needs_address(world, index),
        problem,
        values,
    ));
    respond(status, sdk, "Link a bank account", &body, messages)
}

/// The withdrawer's live bank accounts.
fn accounts_list(world: &World, index: usize) -> String {
    let Some(w) = world.coinflow.get(index) else {
        return String::new();
    };
    let live: Vec<_> = w.bank_accounts.iter().filter(|a| !a.deleted).collect();
    if live.is_empty() {
        return "<p class=\"muted\" id=\"accounts\">No bank account linked yet.</p>".into();
    }
    let mut html = String::from("<ul id=\"accounts\">");
    for a in live {
        html.push_str(&format!(
            "<li data-token=\"{}\">{} ••••{}</li>",
            escape(&a.token),
            escape(&a.alias),
            escape(&a.last4)
        ));
    }
    html.push_str("</ul>");
    html
}
