//! List filters (`filter[name]=value`, the name in any casing: `filter[reference_id]` is
//! `filter[reference-id]`): unknown names and bad values are refused with a 400 that names them.

use super::Ctx;
use crate::clock::Millis;
use crate::http::ApiResponse;

/// The kebab-case name of a `filter[name]` parameter (`None`: not a filter; `Some("")`: a
/// malformed one).
fn name_of(key: &str) -> Option<String> {
    let rest = key.strip_prefix("filter")?;
    Some(
        rest.strip_prefix('[')
            .and_then(|n| n.split_once(']'))
            .filter(|(_, after)| after.is_empty())
            .map(|(n, _)| super::inflection::to_kebab(n))
            .unwrap_or_default(),
    )
}

/// The value of `filter[name]` (`name` in kebab-case; the request may use any casing).
pub(super) fn value<'r>(ctx: &'r Ctx, name: &str) -> Option<&'r str> {
    ctx.req
        .query
        .iter()
        .find(|(key, _)| name_of(key).is_some_and(|n| n == name))
        .map(|(_, v)| v.as_str())
}

/// Refuses any `filter[...]` parameter whose name is not in `allowed`.
pub(super) fn only(ctx: &Ctx, allowed: &[&str]) -> Result<(), ApiResponse> {
    for (key, _) in &ctx.req.query {
        let Some(name) = name_of(key) else {
            continue;
        };
        match name {
            n if allowed.contains(&n.as_str()) => {}
            _ if allowed.is_empty() => {
                return Err(ctx.error(400, &format!("{key}: this list takes no filters")));
            }
            _ => {
                return Err(ctx.error(
                    400,
                    &format!(
                        "{key} is not a filter of this list; filters are {}",
                        allowed
                            .iter()
                            .map(|a| format!("filter[{a}]"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `filter[name]` as a comma-separated list (`None`: not given).
pub(super) fn list<'r>(ctx: &'r Ctx, name: &str) -> Option<Vec<&'r str>> {
    value(ctx, name).map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// `filter[name]` as an ISO-8601 date-time (or a date), in epoch milliseconds.
pub(super) fn time(ctx: &Ctx, name: &str) -> Result<Option<Millis>, ApiResponse> {
    let Some(value) = value(ctx, name) else {
        return Ok(None);
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(Some(t.timestamp_millis()));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Some(t.and_utc().timestamp_millis()));
    }
    Err(ctx.error(
        400,
        &format!(
            "filter[{name}] must be an ISO 8601 date-time (2023-10-11T04:59:21.764Z), got {value:?}"
        ),
    ))
}
