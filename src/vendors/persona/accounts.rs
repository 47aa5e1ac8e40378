//! `/api/v1/accounts`: create, list (`filter[reference-id]`), retrieve, update, redact, tags.
//!
//! An inquiry created with a reference id (or `meta.auto-create-account-reference-id`) and no
//! account id gets the account with that reference id, created if there is none, as Persona
//! does; an approved inquiry fills its account's fields. Creating, tagging and redacting record
//! `account.created`, `account.tag-added`, `account.tag-removed`, `account.redacted`.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::entities::Account;
use super::events::{self, Delivery};
use super::request::{Refusal, only_keys, refuse, string_at, update_attributes};
use super::tags::{self, TagAction};
use super::{Ctx, Replies};
use crate::clock::{Millis, iso8601};
use crate::http::ApiResponse;
use crate::ids::Id;
use crate::store::World;

/// The one account type of the sandbox (`User`).
pub(super) const ACCOUNT_TYPE_ID: &str = "acttp_SandboxUserAccountType12";

/// The account attributes a request may set and an approved inquiry fills.
const ATTRIBUTES: [&str; 13] = [
    "name-first",
    "name-middle",
    "name-last",
    "birthdate",
    "phone-number",
    "email-address",
    "address-street-1",
    "address-street-2",
    "address-city",
    "address-subdivision",
    "address-postal-code",
    "country-code",
    "social-security-number",
];

fn time(ms: Option<Millis>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(iso8601(ms)))
}

/// The account resource object (the spec's `account`).
pub(super) fn render(account: &Account) -> Value {
    let get = |name: &str| account.fields.get(name).cloned().unwrap_or(Value::Null);
    let string = |name: &str| json!({"type": "string", "value": get(name)});
    let mut attributes = json!({
        "reference-id": account.reference_id,
        "account-type-name": "User",
        "created-at": iso8601(account.created_at),
        "updated-at": iso8601(account.updated_at),
        "redacted-at": time(account.redacted_at),
        "fields": {
            "name": {"type": "hash", "value": {
                "first": string("name-first"),
                "middle": string("name-middle"),
                "last": string("name-last"),
            }},
            "address": {"type": "hash", "value": {
                "street_1": string("address-street-1"),
                "street_2": string("address-street-2"),
                "subdivision": string("address-subdivision"),
                "city": string("address-city"),
                "postal_code": string("address-postal-code"),
                "country_code": string("country-code"),
            }},
            "birthdate": {"type": "date", "value": get("birthdate")},
            "phone_number": string("phone-number"),
            "email_address": string("email-address"),
        },
        "tags": account.tags,
        "identification-numbers": {},
    });
    for name in ATTRIBUTES {
        attributes[name] = get(name);
    }
    json!({
        "type": "account",
        "id": account.id,
        "attributes": attributes,
        "relationships": {
            "account-type": {"data": {"type": "account-type", "id": ACCOUNT_TYPE_ID}},
        },
    })
}

/// The `account-type` object an `include=account-type` adds.
pub(super) fn account_type(created_at: Millis) -> Value {
    json!({
        "type": "account-type",
        "id": ACCOUNT_TYPE_ID,
        "attributes": {"name": "User", "created-at": iso8601(created_at), "updated-at": null},
    })
}

/// The account with `reference_id`, created if there is none (`account.created`); its id.
pub(super) fn find_or_create(
    world: &mut World,
    reference_id: &str,
    at: Millis,
    delivery: Delivery,
) -> Id {
    if let Some(account) = world.persona.account_by_reference(reference_id) {
        return account.id.clone();
    }
    let account = Account {
        id: world.ids.persona("act_"),
        reference_id: Some(reference_id.to_string()),
        fields: Map::new(),
        tags: Vec::new(),
        created_at: at,
        updated_at: at,
        redacted_at: None,
    };
    let id = account.id.clone();
    let account = Arc::new(account);
    events::record_account(world, "account.created", Arc::clone(&account), at, delivery);
    world.persona.insert_account(account);
    id
}

/// Fills the account of inquiry `inquiry_id` from the inquiry's fields (it was approved).
pub(super) fn absorb(world: &mut World, inquiry_id: &str, at: Millis) {
    let Some(inquiry) = world.persona.inquiry(inquiry_id) else {
        return;
    };
    let Some(account_id) = inquiry.account_id.clone() else {
        return;
    };
    let mut taken = Map::new();
    for name in ATTRIBUTES {
        let from = if name == "country-code" {
            "address-country-code"
        } else {
            name
        };
        if let Some(value) = inquiry.fields.get(from).filter(|v| !v.is_null()) {
            taken.insert(name.to_string(), value.clone());
        }
    }
    if let Some(account) = world.persona.account_mut(&account_id)
        && account.redacted_at.is_none()
        && !taken.is_empty()
    {
        account.fields.extend(taken);
        account.updated_at = at;
    }
}

/// What a create or update body sets.
struct Changes {
    reference_id: Option<String>,
    fields: Map<String, Value>,
    tags: Option<Vec<String>>,
}

fn parse(ctx: &Ctx) -> Result<Changes, Refusal> {
    let attrs = update_attributes(ctx)?;
    let at = "data.attributes";
    let mut allowed: Vec<&str> = ATTRIBUTES.to_vec();
    allowed.extend([
        "reference-id",
        "tags",
        "fields",
        "account-status",
        "selfie-photo",
    ]);
    only_keys(&attrs, &allowed, at)?;
    let mut fields = super::fields::given(&attrs, at)?;
    for name in ATTRIBUTES {
        if let Some(value) = string_at(&attrs, name, at)? {
            fields.insert(name.to_string(), Value::String(value));
        }
    }
    // Rendered as the account's typed attributes, and a birthdate other vendors read as a date
    // (Coinflow's date of birth): checked as an inquiry's are.
    if let Some(bad) = super::fields::refusal_among(&fields, &ATTRIBUTES) {
        let field = if attrs.contains_key(bad.name) {
            format!("{at}.{}", bad.name)
        } else {
            format!("{at}.fields.{}", bad.name)
        };
        return Err((400, bad.describe(&field), "/"));
    }
    let tags = super::tags::given(&attrs, at)?;
    Ok(Changes {
        reference_id: string_at(&attrs, "reference-id", at)?,
        fields,
        tags,
    })
}

/// `POST /api/v1/accounts`.
pub(super) fn create(ctx: &Ctx, world: &mut World) -> ApiResponse {
    let changes = match parse(ctx) {
        Ok(c) => c,
        Err(refusal) => return refuse(ctx, refusal),
    };
    let now = world.clock.now_ms();
    let account = Account {
        id: world.ids.persona("act_"),
        reference_id: changes.reference_id,
        fields: changes.fields,
        tags: changes.tags.unwrap_or_default(),
        created_at: now,
        updated_at: now,
        redacted_at: None,
    };
    let body = json!({"data": render(&account)});
    let account = Arc::new(account);
    events::record_account(
        world,
        "account.created",
        Arc::clone(&account),
        now,
        Delivery::Outbox,
    );
    world.persona.insert_account(account);
    ctx.ok(201, body)
}

/// `GET /api/v1/accounts/{id}`.
pub(super) fn retrieve(ctx: &Ctx, world: &World, id: &str) -> ApiResponse {
    match world.persona.account(id) {
        Some(account) => ctx.ok(200, json!({"data": render(account)})),
        None => ctx.not_found(),
    }
}

/// `GET /api/v1/accounts`: newest first, `filter[reference-id]`, cursor pagination.
pub(super) fn list(ctx: &Ctx, world: &World) -> ApiResponse {
    if let Err(response) = super::filters::only(ctx, &["reference-id"]) {
        return response;
    }
    let reference_id = match super::filters::value(ctx, "reference-id") {
        Ok(reference_id) => reference_id,
        Err(response) => return response,
    };
    let matching: Vec<&Account> = world
        .persona
        .accounts()
        .iter()
        .map(|a| &**a)
        .rev()
        .filter(|a| reference_id.is_none_or(|r| a.reference_id.as_deref() == Some(r)))
        .collect();
    let all = || world.persona.accounts().iter().map(|a| &**a).rev();
    let place = |cursor: &str| super::cursor_place(all(), &matching, cursor, |a| a.id.as_str());
    match super::page(ctx, &matching, |a| a.id.as_str(), place, "/api/v1/accounts") {
        Ok((items, links)) => ctx.ok(
            200,
            json!({
                "data": items.iter().map(|a| render(a)).collect::<Vec<_>>(),
                "links": links,
            }),
        ),
        Err(response) => response,
    }
}

/// `PATCH /api/v1/accounts/{id}`.
pub(super) fn update(ctx: &Ctx, world: &mut World, id: &str) -> ApiResponse {
    if world.persona.account(id).is_none() {
        return ctx.not_found();
    }
    let changes = match parse(ctx) {
        Ok(c) => c,
        Err(refusal) => return refuse(ctx, refusal),
    };
    let now = world.clock.now_ms();
    // Refused before anything changes (the reference's note included).
    if let Some(refused) = redacted(ctx, world, id) {
        return refused;
    }
    let Some(position) = world.persona.account_position(id) else {
        return ctx.not_found();
    };
    if let Some(reference_id) = &changes.reference_id {
        world.persona.note_account_reference(reference_id, position);
    }
    let Some(account) = world.persona.account_mut(id) else {
        return ctx.not_found();
    };
    if let Some(reference_id) = changes.reference_id {
        account.reference_id = Some(reference_id);
    }
    account.fields.extend(changes.fields);
    let before = changes
        .tags
        .map(|tags| std::mem::replace(&mut account.tags, tags));
    account.updated_at = now;
    if let Some(before) = before {
        record_tag_changes(world, id, &before, now);
    }
    match world.persona.account(id) {
        Some(account) => ctx.ok(200, json!({"data": render(account)})),
        None => ctx.not_found(),
    }
}

/// Records `account.tag-added` and `account.tag-removed` for what the account's tags gained
/// and lost since `before` (and moves its `updated-at`), with the account as it is now:
/// whichever route changed them.
fn record_tag_changes(world: &mut World, id: &str, before: &[String], now: Millis) {
    let Some(account) = world.persona.account_mut(id) else {
        return;
    };
    let added = account.tags.iter().any(|t| !before.contains(t));
    let removed = before.iter().any(|t| !account.tags.contains(t));
    if !(added || removed) {
        return;
    }
    account.updated_at = now;
    let Some(snapshot) = world.persona.account_snapshot(id) else {
        return;
    };
    for (happened, name) in [
        (added, "account.tag-added"),
        (removed, "account.tag-removed"),
    ] {
        if happened {
            events::record_account(world, name, Arc::clone(&snapshot), now, Delivery::Outbox);
        }
    }
}

const ACCOUNT_REDACTED: &str = "Account already redacted";

/// Refuses changes to a redacted account (Persona's 409), as [`super::edits::redacted`] does
/// for an inquiry.
fn redacted(ctx: &Ctx, world: &World, id: &str) -> Option<ApiResponse> {
    let account = world.persona.account(id)?;
    account
        .redacted_at
        .map(|_| ctx.error(409, ACCOUNT_REDACTED))
}

/// `DELETE /api/v1/accounts/{id}`: redacts it (its fields are gone, `redacted-at` set).
pub(super) fn redact(ctx: &Ctx, world: &mut World, id: &str) -> ApiResponse {
    let now = world.clock.now_ms();
    let Some(account) = world.persona.account_mut(id) else {
        return ctx.not_found();
    };
    if account.redacted_at.is_some() {
        return ctx.error(409, ACCOUNT_REDACTED);
    }
    account.scrub();
    account.redacted_at = Some(now);
    account.updated_at = now;
    world.persona.redact_events_of(id);
    let Some(snapshot) = world.persona.account_snapshot(id) else {
        return ctx.not_found();
    };
    let body = json!({"data": render(&snapshot)});
    events::record_account(world, "account.redacted", snapshot, now, Delivery::Outbox);
    ctx.ok(200, body)
}

/// `POST /api/v1/accounts/{id}/add-tag`, `remove-tag`, `set-tags`.
pub(super) fn tag(ctx: &Ctx, world: &mut World, id: &str, action: TagAction) -> ApiResponse {
    if world.persona.account(id).is_none() {
        return ctx.not_found();
    }
    let change = match tags::parse(ctx, action) {
        Ok(c) => c,
        Err(refusal) => return refuse(ctx, refusal),
    };
    if let Some(refused) = redacted(ctx, world, id) {
        return refused;
    }
    let now = world.clock.now_ms();
    let Some(account) = world.persona.account_mut(id) else {
        return ctx.not_found();
    };
    let before = account.tags.clone();
    change.apply(&mut account.tags);
    record_tag_changes(world, id, &before, now);
    match world.persona.account(id) {
        Some(account) => ctx.ok(200, json!({"data": render(account)})),
        None => ctx.not_found(),
    }
}
