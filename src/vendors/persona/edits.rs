//! Changing an inquiry besides its status: `PATCH /inquiries/{id}` (fields, note, tags),
//! `DELETE /inquiries/{id}` (redact) and the tag actions.
//!
//! Events: `inquiry.redacted` when redacted, `inquiry.tags-updated` when its tags change
//! (vendors.md 1.5 lists both; Persona has no event for other updates).

use serde_json::{Map, Value};

use super::events::{self, Delivery};
use super::inquiries::retrieve;
use super::lifecycle;
use super::model::Tags;
use super::request::{Refusal, only_keys, refuse, string_at, update_attributes};
use super::tags::{self, TagAction};
use super::{Ctx, Replies};
use crate::http::ApiResponse;
use crate::store::World;

/// What a PATCH sets.
struct Update {
    note: Option<Option<String>>,
    fields: Map<String, Value>,
    tags: Option<Vec<String>>,
}

fn parse_update(ctx: &Ctx) -> Result<Update, Refusal> {
    let attrs = update_attributes(ctx)?;
    let at = "data.attributes";
    only_keys(&attrs, &["note", "fields", "tags"], at)?;
    let note = match attrs.get("note") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => Some(string_at(&attrs, "note", at)?),
    };
    let fields = super::fields::given(&attrs, at)?;
    let tags = tags::given(&attrs, at)?;
    Ok(Update { note, fields, tags })
}

/// Refuses changes to a redacted inquiry (Persona's 409).
pub(super) fn redacted(ctx: &Ctx, world: &World, id: &str) -> Option<ApiResponse> {
    let inquiry = world.persona.inquiry(id)?;
    (inquiry.rare().redacted_at).map(|_| ctx.error(409, lifecycle::REDACTED))
}

/// Records `name` with the inquiry as it is now.
fn record(world: &mut World, id: &str, name: &'static str) {
    let now = world.clock.now_ms();
    if let Some(snapshot) = world.persona.inquiry_snapshot(id) {
        events::record(world, name, snapshot, now, Delivery::Outbox);
    }
}

/// `PATCH /api/v1/inquiries/{id}`.
pub(super) fn update(ctx: &Ctx, world: &mut World, id: &str) -> ApiResponse {
    if world.persona.inquiry(id).is_none() {
        return ctx.not_found();
    }
    let update = match parse_update(ctx) {
        Ok(u) => u,
        Err(refusal) => return refuse(ctx, refusal),
    };
    if let Some(refused) = redacted(ctx, world, id) {
        return refused;
    }
    let now = world.clock.now_ms();
    let Some(inquiry) = world.persona.inquiry_mut(id) else {
        return ctx.not_found();
    };
    let tags_changed = update
        .tags
        .as_ref()
        .is_some_and(|t| t[..] != *inquiry.tags.as_slice());
    // `updated-at` moves only when something did (a PATCH that repeats what is there, or an
    // empty one, changes nothing), as a record's update time does.
    let changed = tags_changed
        || update
            .note
            .as_ref()
            .is_some_and(|note| *note != inquiry.note)
        || (update.fields.iter()).any(|(name, value)| inquiry.fields.get(name) != Some(value));
    if let Some(note) = update.note {
        inquiry.note = note;
    }
    inquiry.fields.extend(update.fields);
    if let Some(tags) = update.tags {
        inquiry.tags = Tags::from(tags);
    }
    if changed {
        inquiry.updated_at = now;
    }
    if tags_changed {
        record(world, id, "inquiry.tags-updated");
    }
    retrieve(ctx, world, id)
}

/// `DELETE /api/v1/inquiries/{id}`: redacts it. Its fields (and what its verifications
/// extracted) are gone, `redacted-at` is set, and later changes are refused. Other vendors are
/// told, as after a move.
pub(super) fn redact(ctx: &Ctx, world: &mut World, id: &str) -> ApiResponse {
    if world.persona.inquiry(id).is_none() {
        return ctx.not_found();
    }
    if let Some(refused) = redacted(ctx, world, id) {
        return refused;
    }
    let now = world.clock.now_ms();
    let Some(inquiry) = world.persona.inquiry_mut(id) else {
        return ctx.not_found();
    };
    inquiry.scrub();
    inquiry.rare_mut().redacted_at = Some(now);
    inquiry.updated_at = now;
    world.persona.redact_events_of(id);
    record(world, id, "inquiry.redacted");
    // Its flow is closed for good: a vendor waiting on it (a Bitmama card user) must know.
    crate::vendors::links::changed(
        ctx.app,
        world,
        crate::vendors::Change::InquiryChanged { inquiry_id: id },
    );
    retrieve(ctx, world, id)
}

/// `POST /api/v1/inquiries/{id}/add-tag`, `remove-tag`, `set-tags`.
pub(super) fn tag(ctx: &Ctx, world: &mut World, id: &str, action: TagAction) -> ApiResponse {
    if world.persona.inquiry(id).is_none() {
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
    let Some(inquiry) = world.persona.inquiry_mut(id) else {
        return ctx.not_found();
    };
    let mut tags = inquiry.tags.as_slice().to_vec();
    change.apply(&mut tags);
    let changed = tags != inquiry.tags.as_slice();
    if changed {
        inquiry.tags = Tags::from(tags);
    }
    if changed {
        inquiry.updated_at = now;
        record(world, id, "inquiry.tags-updated");
    }
    retrieve(ctx, world, id)
}
