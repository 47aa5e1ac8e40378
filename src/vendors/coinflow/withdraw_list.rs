//! `GET /api/merchant/withdraws` (the spec's `get-all-withdraws`): the merchant's payouts as a
//! bare array, filtered, sorted and paged by its query.
//!
//! The spec gives only the parameters' names and types; what they mean here *(choice)*:
//! `since`/`until` bound `createdAt`, both inclusive, as an ISO 8601 date-time or date;
//! `sortBy` is `createdAt` (default) or `amount`; `sortDirection` is `1` (ascending) or `-1`
//! (descending, the default), Mongo's convention (Coinflow is a NestJS service on MongoDB);
//! `page` counts from 1 and pages by `limit` (without `limit` the one page is everything);
//! `status`, `speed`, `provider` equal the payout's (`status` and `speed` one of the spec's
//! `WithdrawStatusWithReview` and `WithdrawSpeed`); `merchantId` is the payout's merchant, by
//! its id or its `_id` (the list's `merchant`); `search` is a user id, transfer id or
//! transaction. Equal sort keys keep the order payouts were made in (reversed when
//! descending), so pages never overlap nor skip. A value that is not one of these is refused,
//! 400 naming it, as is a parameter the spec does not name here or one given twice.

use serde_json::{Value, json};

use super::auth::merchant_object_id;
use super::error;
use super::payout_model::{PROVIDER, Payout};
use super::payouts::{ALL_SPEEDS, merchant};
use crate::clock::{DayEnd, Millis, parse_instant};
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::vendors::Ctx;
use crate::vendors::table::Param;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortBy {
    CreatedAt,
    Amount,
}

/// What the query asks for, checked.
#[derive(Debug, Clone, PartialEq)]
struct ListQuery<'q> {
    status: Option<&'q str>,
    speed: Option<&'q str>,
    provider: Option<&'q str>,
    merchant_id: Option<&'q str>,
    search: Option<&'q str>,
    since: Option<Millis>,
    until: Option<Millis>,
    sort_by: SortBy,
    ascending: bool,
    /// 1-based.
    page: u64,
    /// `None`: no limit.
    limit: Option<u64>,
}

/// Get Withdraws' filters, order and page, as the spec's get-all-withdraws names them.
pub static PARAMS: &[Param] = &[
    Param::query(
        "status",
        || json!({"enum": STATUSES, "examples": ["pending"]}),
    ),
    Param::query(
        "speed",
        || json!({"enum": ALL_SPEEDS, "examples": ["standard"]}),
    ),
    Param::query(
        "provider",
        || json!({"type": "string", "examples": [PROVIDER]}),
    ),
    Param::query(
        "merchantId",
        || json!({"type": "string", "description": "The merchant's id or its `_id`", "examples": ["sandbox-0a1b2c3d"]}),
    ),
    Param::query(
        "search",
        || json!({"type": "string", "examples": ["user-1"]}),
    ),
    Param::query(
        "since",
        || json!({"type": "string", "examples": ["2026-01-01"]}),
    ),
    Param::query(
        "until",
        || json!({"type": "string", "examples": ["2126-01-01T00:00:00Z"]}),
    ),
    Param::query(
        "sortBy",
        || json!({"enum": ["createdAt", "amount"], "examples": ["amount"]}),
    ),
    Param::query(
        "sortDirection",
        || json!({"enum": [1, -1], "examples": [1]}),
    ),
    super::routes::PAGE,
    super::routes::LIMIT,
];

/// A payout's statuses, the spec's `WithdrawStatusWithReview` (the sandbox reviews none, so
/// `in_review` lists nothing).
pub const STATUSES: [&str; 4] = ["completed", "failed", "pending", "in_review"];

/// The largest `page` or `limit` taken: beyond any list a namespace holds, and small enough
/// that `page × limit` cannot overflow.
const MAX_COUNT: f64 = 1e9;

/// `name` as a whole number, 1 or more (the spec types it a number: `2.0` is 2).
pub(super) fn count(req: &ApiRequest, name: &str) -> Result<Option<u64>, String> {
    let Some(text) = req.query_param(name) else {
        return Ok(None);
    };
    match text.trim().parse::<f64>() {
        Ok(n) if n.fract() == 0.0 && (1.0..=MAX_COUNT).contains(&n) => Ok(Some(n as u64)),
        _ => Err(format!(
            "{name} must be a whole number from 1 to {MAX_COUNT:.0}, got {text:?}"
        )),
    }
}

/// `name` as an ISO 8601 date-time (`2024-05-01T12:00:00Z`) or date (`2024-05-01`: from its
/// first millisecond for `since`, to its last for `until`, so both bounds take the day in).
pub(super) fn time(req: &ApiRequest, name: &str, end: DayEnd) -> Result<Option<Millis>, String> {
    let Some(text) = req.query_param(name) else {
        return Ok(None);
    };
    match parse_instant(text, end) {
        Some(t) => Ok(Some(t)),
        None => Err(format!(
            "{name} must be an ISO 8601 date-time (2024-05-01T12:00:00.000Z) or date (2024-05-01), got {text:?}"
        )),
    }
}

/// `name` when it is one of `allowed`.
pub(super) fn one_of<'q>(
    req: &'q ApiRequest,
    name: &str,
    allowed: &[&str],
) -> Result<Option<&'q str>, String> {
    match req.query_param(name) {
        None => Ok(None),
        Some(value) if allowed.contains(&value) => Ok(Some(value)),
        Some(other) => Err(format!(
            "{name} must be one of the following values: {}; got {other:?}",
            allowed.join(", ")
        )),
    }
}

/// Refuses a query parameter the route does not declare in `params`, or one given twice, 400
/// naming it: Coinflow's NestJS validation pipe (`forbidNonWhitelisted`, class-validator's
/// wording) *(choice: Coinflow documents no answer)*, so a misspelt filter (`userId` for
/// `search`) is not a list of everything.
pub(super) fn only_declared(req: &ApiRequest, params: &[Param]) -> Result<(), String> {
    for (at, (name, _)) in req.query.iter().enumerate() {
        if !params.iter().any(|p| p.place == "query" && p.name == name) {
            let takes: Vec<&str> = params.iter().map(|p| p.name).collect();
            return Err(if takes.is_empty() {
                format!("property {name} should not exist: this route takes no query parameter")
            } else {
                format!(
                    "property {name} should not exist: this route takes {}",
                    takes.join(", ")
                )
            });
        }
        if req.query[..at].iter().any(|(earlier, _)| earlier == name) {
            return Err(format!(
                "{name} was given more than once: give it one value"
            ));
        }
    }
    Ok(())
}

fn parse(req: &ApiRequest) -> Result<ListQuery<'_>, String> {
    let sort_by = match req.query_param("sortBy") {
        None | Some("createdAt") => SortBy::CreatedAt,
        Some("amount") => SortBy::Amount,
        Some(other) => {
            return Err(format!(
                "sortBy must be one of the following values: createdAt, amount; got {other:?}"
            ));
        }
    };
    let ascending = match req.query_param("sortDirection").map(str::trim) {
        None => false,
        Some(text) => match text.parse::<f64>() {
            Ok(1.0) => true,
            Ok(-1.0) => false,
            _ => {
                return Err(format!(
                    "sortDirection must be 1 (ascending) or -1 (descending), got {text:?}"
                ));
            }
        },
    };
    let (since, until) = (
        time(req, "since", DayEnd::Start)?,
        time(req, "until", DayEnd::End)?,
    );
    if let (Some(from), Some(to)) = (since, until)
        && from > to
    {
        return Err("since must not be later than until".into());
    }
    Ok(ListQuery {
        status: one_of(req, "status", &STATUSES)?,
        speed: one_of(req, "speed", &ALL_SPEEDS)?,
        provider: req.query_param("provider"),
        merchant_id: req.query_param("merchantId"),
        search: req.query_param("search"),
        since,
        until,
        sort_by,
        ascending,
        page: count(req, "page")?.unwrap_or(1),
        limit: count(req, "limit")?,
    })
}

impl ListQuery<'_> {
    fn keeps(&self, p: &Payout) -> bool {
        self.status.is_none_or(|s| s == p.status.as_str())
            && self.speed.is_none_or(|s| s == p.speed.as_str())
            && self.provider.is_none_or(|s| s == PROVIDER)
            && self.merchant_id.is_none_or(|m| m == p.merchant_id)
            && self
                .search
                .is_none_or(|s| p.user_id == s || p.id == s || p.signature == s)
            && self.since.is_none_or(|t| p.created_ms >= t)
            && self.until.is_none_or(|t| p.created_ms <= t)
    }

    /// The payouts of this page, from `payouts` in the order they were made.
    fn page<'p>(&self, payouts: impl Iterator<Item = &'p Payout>) -> Vec<&'p Payout> {
        let mut kept: Vec<&Payout> = payouts.filter(|p| self.keeps(p)).collect();
        // Stable: equal keys stay in the order made.
        kept.sort_by(|a, b| match self.sort_by {
            SortBy::CreatedAt => a.created_ms.cmp(&b.created_ms),
            SortBy::Amount => a.amount_cents.cmp(&b.amount_cents),
        });
        if !self.ascending {
            kept.reverse();
        }
        paged(kept, self.page, self.limit)
    }
}

/// Page `page` (from 1) of `items` by `limit`; without a limit, page 1 is everything.
pub(super) fn paged<T>(items: Vec<T>, page: u64, limit: Option<u64>) -> Vec<T> {
    let Some(limit) = limit else {
        return if page == 1 { items } else { Vec::new() };
    };
    let skip = usize::try_from(page.saturating_sub(1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    items.into_iter().skip(skip).take(take).collect()
}

/// `GET /api/merchant/withdraws`.
pub fn withdraws(cx: &Ctx, world: &mut World) -> ApiResponse {
    let req = cx.req;
    let m = match merchant(req) {
        Ok(m) => m,
        Err(refused) => return refused,
    };
    let mut query = match only_declared(req, PARAMS).and_then(|()| parse(req)) {
        Ok(q) => q,
        Err(message) => return error(400, &message, req),
    };
    // The merchant's `_id`, as the list's `merchant` shows it, names it too.
    let oid = merchant_object_id(&m.id);
    if query.merchant_id == Some(oid.as_str()) {
        query.merchant_id = Some(&m.id);
    }
    let mine = world
        .coinflow
        .payouts
        .iter()
        .filter(|p| p.merchant_key == m.key);
    let list: Vec<Value> = query.page(mine).into_iter().map(Payout::to_json).collect();
    ApiResponse::json(200, Value::Array(list))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse_query;

    fn req(query: &str) -> ApiRequest {
        ApiRequest {
            query: parse_query(query),
            ..ApiRequest::default()
        }
    }

    fn refused(query: &str) -> String {
        parse(&req(query)).expect_err(query)
    }

    #[test]
    fn defaults_are_newest_first_one_page_of_everything() {
        let empty = req("");
        let q = parse(&empty).expect("empty query");
        assert_eq!(
            (q.sort_by, q.ascending, q.page, q.limit),
            (SortBy::CreatedAt, false, 1, None)
        );
    }

    #[test]
    fn numbers_are_whole_and_positive_and_dates_iso() {
        let full = req(
            "page=2.0&limit=1e1&sortDirection=1&since=2024-05-01&until=2024-05-01T12:00:00%2B02:00",
        );
        let q = parse(&full).expect("valid query");
        assert_eq!((q.page, q.limit, q.ascending), (2, Some(10), true));
        assert_eq!(q.since, Some(1_714_521_600_000));
        assert_eq!(q.until, Some(1_714_557_600_000));
        // `+` unencoded in a query is a space.
        let plus = req("until=2024-05-01T12:00:00+02:00");
        assert_eq!(parse(&plus).map(|q| q.until), Ok(Some(1_714_557_600_000)));
        for (query, names) in [
            ("page=0", "page"),
            ("page=1.5", "page"),
            ("page=-1", "page"),
            ("page=", "page"),
            ("limit=0", "limit"),
            ("limit=many", "limit"),
            ("limit=1e12", "limit"),
            ("sortBy=status", "sortBy"),
            ("sortDirection=0", "sortDirection"),
            ("sortDirection=asc", "sortDirection"),
            ("since=yesterday", "since"),
            ("until=2024-13-01", "until"),
            ("since=2024-05-02&until=2024-05-01", "since"),
        ] {
            let message = refused(query);
            assert!(message.starts_with(names), "{query}: {message}");
        }
    }
}
