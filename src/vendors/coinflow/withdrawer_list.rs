//! `GET /api/merchant/withdrawers` (the spec's `get-withdrawers`): the merchant's withdrawers
//! as a bare array of `IWithdrawer`, in the order they registered.
//!
//! The spec's filters *(choice where it says nothing more)*: `blocked` is the string `true` or
//! `false` (the sandbox blocks no withdrawer, so `true` lists none and every one is
//! `isBlocked: false`); `search` keeps withdrawers whose email, user id or `_id` contains it,
//! case-insensitively. Any other `blocked` is refused, 400 naming it, as is a parameter the spec
//! does not name here or one given twice.

use serde_json::{Value, json};

use super::error;
use super::model::Withdrawer;
use super::payouts::merchant;
use super::withdraw_list::only_declared;
use crate::http::ApiResponse;
use crate::store::World;
use crate::vendors::Ctx;
use crate::vendors::table::Param;

/// `blocked`'s values, as the spec describes them ("boolean string").
pub const BLOCKED: [&str; 2] = ["true", "false"];

/// Gets merchant withdrawers' filters, as the spec's get-withdrawers names them.
pub static PARAMS: &[Param] = &[
    Param::query(
        "blocked",
        || json!({"enum": BLOCKED, "description": "The string true or false; the sandbox blocks no withdrawer", "examples": ["false"]}),
    ),
    Param::query(
        "search",
        || json!({"type": "string", "description": "Part of a withdrawer's email, user id or _id", "examples": ["user-1"]}),
    ),
];

pub fn withdrawers(cx: &Ctx, world: &World) -> ApiResponse {
    let req = cx.req;
    let m = match merchant(req) {
        Ok(m) => m,
        Err(refused) => return refused,
    };
    if let Err(message) = only_declared(req, PARAMS) {
        return error(400, &message, req);
    }
    let blocked = match req.query_param("blocked") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return error(
                400,
                &format!("blocked must be 'true' or 'false', got {other:?}"),
                req,
            );
        }
    };
    let search = req
        .query_param("search")
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let list: Vec<Value> = world
        .coinflow
        .all()
        .iter()
        // Nothing blocks a withdrawer here, so asking for blocked ones finds none.
        .filter(|w| w.merchant_key == m.key && blocked != Some(true))
        .filter(|w| search.as_deref().is_none_or(|s| matches(w, s)))
        .map(list_item)
        .collect();
    ApiResponse::json(200, Value::Array(list))
}

/// `search` (lowercased) is in the email, the user id or the `_id`.
fn matches(w: &Withdrawer, search: &str) -> bool {
    w.email.to_lowercase().contains(search)
        || w.user_id
            .as_deref()
            .is_some_and(|u| u.to_lowercase().contains(search))
        || w.id.contains(search)
}

/// `IWithdrawer` plus `isBlocked`, which Coinflow's docs list for this route.
fn list_item(w: &Withdrawer) -> Value {
    let mut item = w.base_json();
    if let Value::Object(map) = &mut item {
        map.insert("isBlocked".into(), Value::Bool(false));
    }
    item
}
