//! Coinflow's webhook logs: `GET /api/merchant/webhooks` (the spec's `get-all-webhooks`, "Get
//! Payment Webhook Activity") lists what Coinflow sent the merchant, and `POST
//! /api/merchant/webhooks/{webhookLogId}` (`resend-webhook`) sends one again.
//!
//! A log is one of the namespace's Coinflow deliveries in the outbox whose owner (recorded when
//! the event was emitted) is the calling merchant, as the spec's `WebhookDisplay`: `id` the
//! delivery id, `eventType`, `category` and `data` from the body sent, `version` `Version 2`
//! (the only one with KYC and Withdraw events), `url`, `sentAt` its last attempt (when it was
//! queued, before any), `responseCode` the receiver's last HTTP status (0 before an answer,
//! or when none came) and, in `responseData` *(choice: Coinflow's is unspecified)*, the
//! sandbox's record: the delivery's `status`, its `attempts` and the last `error`.
//!
//! The query *(choice where the spec only names it)*: `eventType` one of the spec's
//! `WebhookEventType`; `responseCode` a status, exactly; `search` digits a status starts with
//! (`4` is every 4xx); `merchantId` the merchant's id or `_id` (another lists nothing);
//! `startDate`/`endDate` bound `sentAt`, both inclusive, as an ISO 8601 date-time or date;
//! `transactionId` a Withdraw event's `data.signature`; `page` (from 1) and `limit` as on Get
//! Withdraws. Newest `sentAt` first. A value that is not one of these is refused, 400 naming it,
//! as is a parameter the spec does not name here or one given twice.

use serde_json::{Value, json};

use super::auth::merchant_object_id;
use super::error;
use super::payouts::merchant;
use super::withdraw_list::{count, one_of, only_declared, paged, time};
use crate::clock::{DayEnd, Millis, parse_instant};
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::vendors::table::{Param, object};
use crate::vendors::{Ctx, Vendor};
use crate::webhooks::{Delivery, DeliveryStatus};

/// The spec's `WebhookEventType`: what `eventType` may name (the sandbox sends the KYC and
/// Withdraw ones; the others list nothing).
#[rustfmt::skip]
pub const EVENT_TYPES: &[&str] = &[
    "Card Payment Authorized", "Card Payment Declined", "Card Payment Voided", "Credits Minted",
    "ACH Initiated", "ACH Success", "ACH Returned", "ACH Failed", "ACH Chargeback", "ACH Batched",
    "PIX Failed", "PIX Expiration", "Payment Authorized", "Payment Expiration", "Settled",
    "Wire Initiated", "USDC Payment Received", "Subscription Created", "Subscription Canceled",
    "Subscription Expired", "Subscription Failure", "Subscription Concluded",
    "Card Payment Chargeback Opened", "Card Payment Chargeback Won", "Card Payment Chargeback Lost",
    "Card Payment Suspected Fraud", "Payment Pending Review", "KYC Created", "KYC Success",
    "KYC Failure", "Sub-merchant KYB Created", "Sub-merchant KYB Success",
    "Sub-merchant KYB Failure", "Withdraw Pending", "Withdraw Success", "Withdraw Failure",
    "Seller Blocked", "Refund", "Refund Complete", "Refund Failure", "Refund Returned",
    "Wire Failure", "Iban Failure", "Interac Failure", "CashApp Failure", "PayPal Failure",
    "Venmo Failure", "Reserve Released", "Crypto Overpayment", "Crypto Underpayment",
    "Iban RFI Created", "Iban RFI Submitted", "Crypto Deposit Funds Received",
    "Customer Override Limit Threshold", "Crypto Payin Funds Received",
    "PayPal Payment Authorized", "PayPal Payment Voided", "PayPal Payment Chargeback Opened",
    "PayPal Payment Chargeback Won", "PayPal Payment Chargeback Lost", "Venmo Payment Authorized",
    "Venmo Payment Voided", "Venmo Payment Chargeback Opened", "Venmo Payment Chargeback Won",
    "Venmo Payment Chargeback Lost", "Disbursed Funds",
];

/// The webhook version of every log: Coinflow sends KYC and Withdraw events only in it.
const VERSION: &str = "Version 2";

/// The list's query, as the spec's get-all-webhooks names it.
pub static PARAMS: &[Param] = &[
    super::routes::PAGE,
    super::routes::LIMIT,
    Param::query(
        "responseCode",
        || json!({"type": "integer", "description": "The receiver's last HTTP status (0: none yet)", "examples": [200]}),
    ),
    Param::query(
        "search",
        || json!({"type": "string", "pattern": "^[0-9]+$", "description": "Digits the last HTTP status starts with", "examples": ["2"]}),
    ),
    Param::query(
        "eventType",
        || json!({"enum": EVENT_TYPES, "examples": ["KYC Success"]}),
    ),
    Param::query(
        "merchantId",
        || json!({"type": "string", "description": "The merchant's id or its `_id`", "examples": ["sandbox-0a1b2c3d"]}),
    ),
    Param::query(
        "startDate",
        || json!({"type": "string", "description": "sentAt at or after (ISO 8601)", "examples": ["2026-01-01"]}),
    ),
    Param::query(
        "endDate",
        || json!({"type": "string", "description": "sentAt at or before (ISO 8601)", "examples": ["2126-01-01T00:00:00Z"]}),
    ),
    Param::query(
        "transactionId",
        || json!({"type": "string", "description": "A Withdraw event's transaction (signature)", "examples": ["5VERv8NMvzbJMEkV8xnrLkEa"]}),
    ),
];

/// What the query asks for, checked.
struct LogQuery<'q> {
    event_type: Option<&'q str>,
    response_code: Option<u16>,
    search: Option<&'q str>,
    merchant_id: Option<&'q str>,
    start: Option<Millis>,
    end: Option<Millis>,
    transaction_id: Option<&'q str>,
    page: u64,
    limit: Option<u64>,
}

fn parse(req: &ApiRequest) -> Result<LogQuery<'_>, String> {
    let response_code = match req.query_param("responseCode").map(str::trim) {
        None => None,
        Some(text) => Some(text.parse::<u16>().map_err(|_| {
            format!("responseCode must be an HTTP status code such as 200, got {text:?}")
        })?),
    };
    let search = match req.query_param("search").map(str::trim) {
        Some(text) if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(format!(
                "search must be digits of a numeric responseCode, got {text:?}"
            ));
        }
        other => other,
    };
    let (start, end) = (
        time(req, "startDate", DayEnd::Start)?,
        time(req, "endDate", DayEnd::End)?,
    );
    if let (Some(from), Some(to)) = (start, end)
        && from > to
    {
        return Err("startDate must not be later than endDate".into());
    }
    Ok(LogQuery {
        event_type: one_of(req, "eventType", EVENT_TYPES)?,
        response_code,
        search,
        merchant_id: req.query_param("merchantId"),
        start,
        end,
        transaction_id: req.query_param("transactionId"),
        page: count(req, "page")?.unwrap_or(1),
        limit: count(req, "limit")?,
    })
}

/// A delivery as a log: what the filters read and the display shows.
struct Log<'d> {
    delivery: &'d Delivery,
    body: Value,
    sent_at: &'d str,
    sent_ms: Millis,
    response_code: u16,
}

impl<'d> Log<'d> {
    fn of(delivery: &'d Delivery) -> Self {
        let last = delivery.attempts.last();
        let sent_at = last.map_or(delivery.created_at.as_str(), |a| a.at.as_str());
        Self {
            delivery,
            // Written by the sandbox from a JSON value: it parses.
            body: serde_json::from_str(&delivery.body).unwrap_or(Value::Null),
            sent_at,
            sent_ms: parse_instant(sent_at, DayEnd::Start).unwrap_or_default(),
            response_code: last.and_then(|a| a.status).unwrap_or(0),
        }
    }

    fn display(&self, merchant_id: &str) -> Value {
        let d = self.delivery;
        let attempts: Vec<Value> = (d.attempts.iter())
            .map(|a| json!({"number": a.number, "at": a.at, "status": a.status, "error": a.error}))
            .collect();
        let mut response = json!({"status": d.status.as_str(), "attempts": attempts});
        if let Some(reason) = &d.reason {
            response["reason"] = json!(reason);
        }
        json!({
            "id": d.id,
            "merchantId": merchant_id,
            "eventType": self.body["eventType"],
            "category": self.body["category"],
            "version": VERSION,
            "data": self.body["data"],
            "sentAt": self.sent_at,
            "url": d.url,
            "responseCode": self.response_code,
            "responseData": response,
        })
    }
}

impl LogQuery<'_> {
    fn keeps(&self, log: &Log) -> bool {
        let code = log.response_code.to_string();
        self.event_type.is_none_or(|e| log.body["eventType"] == e)
            && self.response_code.is_none_or(|c| c == log.response_code)
            && self.search.is_none_or(|s| code.starts_with(s))
            && self.start.is_none_or(|t| log.sent_ms >= t)
            && self.end.is_none_or(|t| log.sent_ms <= t)
            && (self.transaction_id).is_none_or(|t| log.body["data"]["signature"] == t)
    }
}

/// The merchant's own Coinflow deliveries.
fn owned_by<'w>(world: &'w World, merchant_id: &'w str) -> impl Iterator<Item = &'w Delivery> {
    (world.webhooks.deliveries())
        .filter(move |d| d.vendor == Vendor::Coinflow && d.owner.as_deref() == Some(merchant_id))
}

/// `GET /api/merchant/webhooks`.
pub fn list(cx: &Ctx, world: &World) -> ApiResponse {
    let req = cx.req;
    let m = match merchant(req) {
        Ok(m) => m,
        Err(refused) => return refused,
    };
    let query = match only_declared(req, PARAMS).and_then(|()| parse(req)) {
        Ok(q) => q,
        Err(message) => return error(400, &message, req),
    };
    let mine = query
        .merchant_id
        .is_none_or(|id| id == m.id || id == merchant_object_id(&m.id));
    let mut logs: Vec<Log> = if mine {
        owned_by(world, &m.id)
            .map(Log::of)
            .filter(|log| query.keeps(log))
            .collect()
    } else {
        Vec::new()
    };
    // Stable, then reversed: newest first, and of equal times the last queued first.
    logs.sort_by_key(|log| log.sent_ms);
    logs.reverse();
    let page: Vec<Value> = paged(logs, query.page, query.limit)
        .iter()
        .map(|log| log.display(&m.id))
        .collect();
    ApiResponse::json(200, Value::Array(page))
}

/// `POST /api/merchant/webhooks/{webhookLogId}`: the log's delivery is sent again, from a
/// first attempt, to the URL it went to. One still pending (waiting out a retry's backoff) is
/// not queued a second time: its next attempt is made due now, the resend asked for, without
/// the receiver getting the event twice at once. Either way the answer names the delivery as
/// the `jobId` that sends it.
pub fn resend(cx: &Ctx, world: &mut World, log_id: &str) -> ApiResponse {
    let req = cx.req;
    let m = match merchant(req) {
        Ok(m) => m,
        Err(refused) => return refused,
    };
    // Another merchant's log is not found either: its id tells nothing.
    let Some(status) = owned_by(world, &m.id)
        .find(|d| d.id == log_id)
        .map(|d| d.status)
    else {
        return error(404, &format!("Webhook log {log_id} not found"), req);
    };
    let now = world.clock.now_ms();
    if status == DeliveryStatus::Pending {
        world.webhooks.bring_forward(log_id, now);
    } else if let Some(reason) = world.webhooks.pending_cap_reason() {
        return error(
            503,
            &format!("Webhook log {log_id} cannot be resent now: {reason}"),
            req,
        );
    } else {
        world.webhooks.redeliver(log_id);
    }
    ApiResponse::json(200, json!({"jobId": log_id}))
}

/// The list's answer, an array of `WebhookDisplay`.
pub fn list_schema() -> Value {
    let s = json!({"type": "string"});
    json!({"type": "array", "items": object(
        &["id", "merchantId", "eventType", "category", "version", "data", "sentAt", "url", "responseCode"],
        json!({"id": s, "merchantId": s, "eventType": {"enum": EVENT_TYPES}, "category": s,
            "version": s, "data": {"type": "object"}, "sentAt": s, "url": s,
            "responseCode": {"type": "integer"}, "responseData": {"type": "object"}}),
    )})
}

pub fn resend_schema() -> Value {
    object(&["jobId"], json!({"jobId": {"type": "string"}}))
}
