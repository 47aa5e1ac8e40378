//! Events: every inquiry transition records one (`evt_…`), and so do accounts being created,
//! tagged and redacted; shown by `GET /api/v1/events[/{id}]` and handed to the webhook outbox.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::json;

use super::model::{Account, Event, Inquiry};
use super::{Ctx, Replies, filters, include, render, webhooks};
use crate::http::ApiResponse;
use crate::store::World;

/// Whether a recorded event also goes to the webhook outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivery {
    Outbox,
    /// History only: a scenario's pre-existing inquiries did not just happen.
    Quiet,
}

/// Records event `name` with the inquiry as it is now (`inquiry`, a snapshot), at sandbox time
/// `at`, and hands its envelope to the outbox unless `delivery` is quiet.
pub(super) fn record(
    world: &mut World,
    name: &'static str,
    inquiry: Arc<Inquiry>,
    at: i64,
    delivery: Delivery,
) {
    let event = Event {
        id: world.ids.persona("evt_"),
        name: Cow::Borrowed(name),
        inquiry: Some(inquiry),
        account: None,
        created_at: at,
    };
    push(world, event, delivery);
}

/// Records account event `name` (`account.created`...) with the account as it is now.
pub(super) fn record_account(
    world: &mut World,
    name: &'static str,
    account: Arc<Account>,
    at: i64,
    delivery: Delivery,
) {
    let event = Event {
        id: world.ids.persona("evt_"),
        name: Cow::Borrowed(name),
        inquiry: None,
        account: Some(account),
        created_at: at,
    };
    push(world, event, delivery);
}

fn push(world: &mut World, event: Event, delivery: Delivery) {
    let name = event.name.clone();
    // The envelope is built only when someone may receive it.
    let envelope = (delivery == Delivery::Outbox && webhooks::may_deliver(world))
        .then(|| render::webhook_envelope_with(&event, include::for_webhook(world, &event)));
    world.persona.push_event(event);
    if let Some(envelope) = envelope {
        webhooks::deliver_event(world, &name, &envelope);
    }
}

/// `GET /api/v1/events`: newest first, cursor pagination, and the spec's filters, each a comma
/// list: `filter[name]`, `filter[object-id]`, `filter[id]` (any other is refused, as on the
/// inquiry list).
pub(super) fn list(ctx: &Ctx, world: &World) -> ApiResponse {
    if let Err(response) = filters::only(ctx, &["name", "object-id", "id"]) {
        return response;
    }
    let names = filters::list(ctx, "name");
    let object_ids = filters::list(ctx, "object-id");
    let ids = filters::list(ctx, "id");
    let given =
        |list: &Option<Vec<&str>>, value: &str| list.as_ref().is_none_or(|l| l.contains(&value));
    let matching: Vec<&Event> = world
        .persona
        .events()
        .iter()
        .rev()
        .filter(|e| {
            given(&names, &e.name) && given(&object_ids, e.object_id()) && given(&ids, &e.id)
        })
        .collect();
    let all = || world.persona.events().iter().rev();
    let place = |cursor: &str| super::cursor_place(all(), &matching, cursor, |e| e.id.as_str());
    match super::page(ctx, &matching, |e| e.id.as_str(), place, "/api/v1/events") {
        Ok((items, links)) => ctx.ok(
            200,
            json!({
                "data": items.iter().map(|e| render::event(e)).collect::<Vec<_>>(),
                "links": links,
            }),
        ),
        Err(response) => response,
    }
}

/// `GET /api/v1/events/{id}`.
pub(super) fn retrieve(ctx: &Ctx, world: &World, id: &str) -> ApiResponse {
    match world.persona.event(id) {
        Some(event) => ctx.ok(200, render::event_document(event)),
        None => ctx.not_found(),
    }
}
