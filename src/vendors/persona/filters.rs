//! List filters (`filter[name]=value`, the name in any casing: `filter[reference_id]` is
//! `filter[reference-id]`): unknown names and bad values are refused with a 400 that names them.
//! A filter that takes a list takes it comma-separated or as an array, the way Rails and `qs`
//! send one (`filter[account-id][]=a&filter[account-id][]=b`, or `[0]`, `[1]`).

use super::Ctx;
use crate::clock::{DayEnd, Millis, parse_instant};
use crate::http::ApiResponse;

/// A `filter[...]` parameter: its name in kebab-case (`""`: malformed), and whether it is one
/// element of an array (`filter[name][]`, `filter[name][0]`).
struct Filter {
    name: String,
    element: bool,
}

/// `None`: not a filter.
fn filter_of(key: &str) -> Option<Filter> {
    let rest = key.strip_prefix("filter")?;
    let parsed = rest
        .strip_prefix('[')
        .and_then(|n| n.split_once(']'))
        .and_then(|(name, after)| {
            let element = match after.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
                _ if after.is_empty() => false,
                Some(index) if index.bytes().all(|b| b.is_ascii_digit()) => true,
                _ => return None,
            };
            let name = super::inflection::to_kebab(name);
            Some(Filter { name, element })
        });
    Some(parsed.unwrap_or(Filter {
        name: String::new(),
        element: false,
    }))
}

/// The value of `filter[name]` (`name` in kebab-case; the request may use any casing), a
/// filter that takes one value: given as an array it is refused.
pub(super) fn value<'r>(ctx: &'r Ctx, name: &str) -> Result<Option<&'r str>, ApiResponse> {
    let mut found = None;
    for (key, value) in &ctx.req.query {
        match filter_of(key) {
            Some(f) if f.name == name && f.element => {
                return Err(ctx.error(
                    400,
                    &format!("{key}: filter[{name}] takes one value, not a list"),
                ));
            }
            Some(f) if f.name == name => found = found.or(Some(value.as_str())),
            _ => {}
        }
    }
    Ok(found)
}

/// Refuses any `filter[...]` parameter whose name is not in `allowed`.
pub(super) fn only(ctx: &Ctx, allowed: &[&str]) -> Result<(), ApiResponse> {
    for (key, _) in &ctx.req.query {
        let Some(Filter { name, .. }) = filter_of(key) else {
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

/// `filter[name]` as a list, comma-separated or an array, or both (`None`: not given).
pub(super) fn list<'r>(ctx: &'r Ctx, name: &str) -> Option<Vec<&'r str>> {
    let mut given = None;
    for (key, value) in &ctx.req.query {
        if filter_of(key).is_some_and(|f| f.name == name) {
            let items: &mut Vec<&str> = given.get_or_insert_with(Vec::new);
            items.extend(value.split(',').map(str::trim).filter(|s| !s.is_empty()));
        }
    }
    given
}

/// `filter[name]` as an ISO-8601 date-time, or a date (from its first millisecond, or with
/// `DayEnd::End` to its last: `created-at-end` takes its day in), in epoch milliseconds.
pub(super) fn time(ctx: &Ctx, name: &str, end: DayEnd) -> Result<Option<Millis>, ApiResponse> {
    let Some(value) = value(ctx, name)? else {
        return Ok(None);
    };
    parse_instant(value, end).map(Some).ok_or_else(|| {
        ctx.error(
            400,
            &format!(
                "filter[{name}] must be an ISO 8601 date-time (2023-10-11T04:59:21.764Z), got {value:?}"
            ),
        )
    })
}
