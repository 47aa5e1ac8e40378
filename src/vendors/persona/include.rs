//! `include=` (related objects in `included`) and `fields[type]=` (sparse fieldsets) on
//! inquiry, account, verification and share-token answers (names checked on events and webhooks
//! too, which have no relationships), and the `included` of webhook payloads.
//!
//! Both work on the answer's JSON, after the handler: [`check`] refuses unknown include names
//! before anything happens (the vendor's `admit`), [`resolve`] and [`sparse`] rewrite the body on
//! the way out (its `finish`).

use serde_json::Value;

use super::model::{Event, Inquiry};
use super::{accounts, render, verifications};
use crate::http::ApiRequest;
use crate::store::World;
use crate::vendors::table::Segments;

/// The relationships a resource's answers may include (the spec's relationship names).
fn relationships(path: &str) -> Option<(&'static str, &'static [&'static str])> {
    let rest = path.strip_prefix("/api/v1/")?;
    match Segments::of(rest).next().unwrap_or_default() {
        "inquiries" => Some((
            "inquiry",
            &[
                "account",
                "template",
                "inquiry-template",
                "inquiry-template-version",
                "transaction",
                "reviewer",
                "reports",
                "verifications",
                "sessions",
                "documents",
                "selfies",
            ],
        )),
        "accounts" => Some(("account", &["account-type"])),
        // An event's relationships are its payload's: it has none of its own.
        "events" => Some(("event", &[])),
        // The spec's `webhook` has none either.
        "webhooks" => Some(("webhook", &[])),
        // `/api/v1/connect/share-tokens`: the relationships a share token renders.
        "connect" => Some(("share token", &["connection", "creator", "source"])),
        "verifications" | "verification" => Some((
            "verification",
            &[
                "inquiry",
                "template",
                "inquiry-template",
                "inquiry-template-version",
                "transaction",
                "verification-template",
                "verification-template-version",
                "document",
            ],
        )),
        _ => None,
    }
}

/// The include names of the request (kebab-case), `None` when there is no `include` or the
/// request lists a resource (the spec's list operations take no `include`: nothing is included
/// there, though [`check`] still refuses a name the resource does not have).
fn names(req: &ApiRequest) -> Option<Vec<String>> {
    // The path is looked at only when there is an `include` (most requests have none).
    req.query_param("include")?;
    if is_list(req) {
        return None;
    }
    asked(req)
}

/// Whether the request lists a resource (`GET /api/v1/inquiries`,
/// `GET /api/v1/connect/share-tokens`).
fn is_list(req: &ApiRequest) -> bool {
    let depth = Segments::of(&req.path).count();
    req.method == "GET" && (depth == 3 || (depth == 4 && req.path.starts_with("/api/v1/connect/")))
}

/// The include names the request asks for (kebab-case), on a list too.
fn asked(req: &ApiRequest) -> Option<Vec<String>> {
    let list = req.query_param("include")?;
    Some(
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(super::inflection::to_kebab)
            .collect(),
    )
}

/// Whether the request asks for `include` or sparse `fields`: the answer's JSON is rewritten.
pub(super) fn requested(req: &ApiRequest) -> bool {
    names(req).is_some()
        || (req.query.iter()).any(|(key, _)| key == "fields" || key.starts_with("fields["))
}

/// Refuses an `include` naming a relationship the resource does not have, on a list as on
/// one object (JSON:API: a relationship path the server cannot identify is a 400).
pub(super) fn check(req: &ApiRequest) -> Result<(), String> {
    // The path is looked at only when there is an `include` (most requests have none).
    let Some(wanted) = asked(req) else {
        return Ok(());
    };
    let Some((kind, known)) = relationships(&req.path) else {
        return Ok(());
    };
    match wanted.iter().find(|n| !known.contains(&n.as_str())) {
        Some(unknown) if known.is_empty() => Err(format!(
            "include has an unknown relationship {unknown:?}; {kind} objects have no relationships to include"
        )),
        Some(unknown) => Err(format!(
            "include has an unknown relationship {unknown:?}; {kind} relationships are {}",
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// Puts the objects the request's `include` names into the answer's `included`.
pub(super) fn resolve(world: &World, req: &ApiRequest, body: &mut Value) {
    let Some(wanted) = names(req) else {
        return;
    };
    if relationships(&req.path).is_none() {
        return;
    }
    let primaries: Vec<Value> = match &body["data"] {
        Value::Object(_) => vec![body["data"].clone()],
        _ => return,
    };
    let mut included: Vec<Value> = Vec::new();
    for primary in &primaries {
        for name in &wanted {
            let linked = match &primary["relationships"][name.as_str()]["data"] {
                Value::Array(items) => items.clone(),
                Value::Object(o) if !o.is_empty() => {
                    vec![primary["relationships"][name.as_str()]["data"].clone()]
                }
                _ => Vec::new(),
            };
            for link in linked {
                let (Some(kind), Some(id)) = (link["type"].as_str(), link["id"].as_str()) else {
                    continue;
                };
                if included.iter().any(|o| o["type"] == kind && o["id"] == id) {
                    continue;
                }
                if let Some(object) = object(world, kind, id) {
                    included.push(object);
                }
            }
        }
    }
    if let Value::Object(map) = body {
        map.insert("included".into(), Value::Array(included));
    }
}

/// The sandbox's object of `kind` and `id`, rendered (`None`: it keeps no such objects).
fn object(world: &World, kind: &str, id: &str) -> Option<Value> {
    match kind {
        "account" => world.persona.account(id).map(accounts::render),
        "account-type" => Some(accounts::account_type(
            world.persona.accounts().first().map_or(0, |a| a.created_at),
        )),
        "inquiry" => world.persona.inquiry(id).map(render::inquiry),
        _ if kind.starts_with("verification/") => world
            .persona
            .verification(id)
            .map(|(v, inquiry)| verifications::render(v, inquiry)),
        _ => None,
    }
}

/// What a webhook payload includes: every object of the inquiry's relationships the sandbox
/// keeps: its account (as it is now) and its verifications (as they were).
pub(super) fn for_webhook(world: &World, event: &Event) -> Vec<Value> {
    let Some(inquiry) = &event.inquiry else {
        return Vec::new();
    };
    let mut included = Vec::new();
    if let Some(account) = (inquiry.account_id.as_deref()).and_then(|id| world.persona.account(id))
    {
        included.push(accounts::render(account));
    }
    included.extend(snapshot_verifications(inquiry));
    included
}

/// The inquiry's verifications as its snapshot has them.
pub(super) fn snapshot_verifications(inquiry: &Inquiry) -> Vec<Value> {
    inquiry
        .verifications
        .iter()
        .map(|v| verifications::render(v, inquiry))
        .collect()
}

/// `fields[type]=a,b`: only those attributes of the answer's objects of that type; plain
/// `fields=a,b` (the spec's `fields` parameter) is the same for the type of the answer's `data`.
pub(super) fn sparse(req: &ApiRequest, body: &mut Value) {
    let primary = match &body["data"] {
        Value::Array(items) => items.first().and_then(|o| o["type"].as_str()),
        object => object["type"].as_str(),
    }
    .unwrap_or_default()
    .to_string();
    let wanted: Vec<(&str, Vec<String>)> = req
        .query
        .iter()
        .filter_map(|(key, value)| {
            let kind = if key == "fields" {
                primary.as_str()
            } else {
                key.strip_prefix("fields[")?.strip_suffix(']')?
            };
            let names = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(super::inflection::to_kebab)
                .collect();
            Some((kind, names))
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    let trim = |object: &mut Value| {
        let Some(kind) = object["type"].as_str().map(str::to_string) else {
            return;
        };
        for (wanted_kind, names) in &wanted {
            if *wanted_kind == kind
                && let Some(attributes) =
                    object.get_mut("attributes").and_then(Value::as_object_mut)
            {
                attributes.retain(|k, _| names.contains(k));
            }
        }
    };
    match body.get_mut("data") {
        Some(Value::Array(items)) => items.iter_mut().for_each(trim),
        Some(object @ Value::Object(_)) => trim(object),
        _ => {}
    }
    if let Some(Value::Array(items)) = body.get_mut("included") {
        items.iter_mut().for_each(trim);
    }
}
