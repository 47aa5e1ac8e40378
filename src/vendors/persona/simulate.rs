//! `POST /api/v1/inquiries/{id}/perform-simulate-actions` (vendors.md 1.9): the actions in
//! order, all or none.

use serde_json::Value;

use super::events::Delivery;
use super::inquiries::{retrieve, transition_refusal};
use super::lifecycle::{self, TransitionError};
use super::model::{InquiryStatus, Verification};
use super::request::{
    BODY, Refusal, body_object, kebab_keys, object_at, only_keys, refuse, string_at,
};
use super::{Ctx, Replies, scenario};
use crate::http::ApiResponse;
use crate::store::World;

/// One parsed simulate action.
enum Action {
    Move(InquiryStatus),
    Verification { passed: bool, template_id: String },
}

/// Every simulate action type of vendors.md 1.9.
const ACTION_TYPES: [&str; 9] = [
    "start_inquiry",
    "complete_inquiry",
    "fail_inquiry",
    "expire_inquiry",
    "mark_for_review_inquiry",
    "approve_inquiry",
    "decline_inquiry",
    "create_passed_verification",
    "create_failed_verification",
];

fn parse_actions(ctx: &Ctx) -> Result<Vec<Action>, Refusal> {
    let body = body_object(ctx, false)?;
    only_keys(&body, &["meta"], BODY)?;
    let meta = match body.get("meta") {
        Some(Value::Object(m)) => kebab_keys(m.clone(), "meta")?,
        _ => return Err((400, "meta.simulate-actions is required".into(), "/meta")),
    };
    only_keys(&meta, &["simulate-actions"], "meta")?;
    let Some(Value::Array(items)) = meta.get("simulate-actions") else {
        return Err((
            400,
            "meta.simulate-actions must be an array of actions".into(),
            "/meta/simulate-actions",
        ));
    };
    let mut actions = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let at = format!("meta.simulate-actions[{n}]");
        let Some(action) = item.as_object() else {
            return Err((
                400,
                format!("{at} must be an object"),
                "/meta/simulate-actions",
            ));
        };
        let action = kebab_keys(action.clone(), &at)?;
        let kind = action.get("type").and_then(Value::as_str).unwrap_or("");
        let status = match kind {
            "start_inquiry" => Some(InquiryStatus::Pending),
            "complete_inquiry" => Some(InquiryStatus::Completed),
            "fail_inquiry" => Some(InquiryStatus::Failed),
            "expire_inquiry" => Some(InquiryStatus::Expired),
            "mark_for_review_inquiry" => Some(InquiryStatus::NeedsReview),
            "approve_inquiry" => Some(InquiryStatus::Approved),
            "decline_inquiry" => Some(InquiryStatus::Declined),
            "create_passed_verification" | "create_failed_verification" => None,
            other => {
                return Err((
                    422,
                    format!(
                        "{at}.type {other:?} is not a simulate action; valid types are {}",
                        ACTION_TYPES.join(", ")
                    ),
                    "/meta/simulate-actions",
                ));
            }
        };
        if let Some(status) = status {
            only_keys(&action, &["type"], &at)?;
            actions.push(Action::Move(status));
            continue;
        }
        only_keys(&action, &["type", "data"], &at)?;
        let data = object_at(&action, "data", &at)?;
        let template_id = match string_at(&data, "verification-template-id", &at)? {
            Some(t) if !t.is_empty() => t,
            _ => {
                return Err((
                    422,
                    format!("{at}.data.verification-template-id is required"),
                    "/meta/simulate-actions",
                ));
            }
        };
        actions.push(Action::Verification {
            passed: kind == "create_passed_verification",
            template_id,
        });
    }
    Ok(actions)
}

/// `POST /api/v1/inquiries/{id}/perform-simulate-actions`: the actions in order, all or none.
pub(super) fn simulate(ctx: &Ctx, world: &mut World, id: &str) -> ApiResponse {
    let Some(mut status) = world.persona.inquiry(id).map(|i| i.status) else {
        return ctx.not_found();
    };
    let mut actions = match parse_actions(ctx) {
        Ok(a) => a,
        Err(refusal) => return refuse(ctx, refusal),
    };
    if let Some(refused) = super::edits::redacted(ctx, world, id) {
        return refused;
    }
    // Walk the state machine first, so an illegal step refuses the whole list unchanged.
    let mut moved = false;
    for (n, action) in actions.iter().enumerate() {
        if let Action::Move(to) = action {
            if !status.can_move_to(*to) {
                let error = TransitionError::Illegal {
                    from: status,
                    to: *to,
                };
                return ctx.unprocessable(
                    &format!("meta.simulate-actions[{n}]: {error}"),
                    "/meta/simulate-actions",
                );
            }
            status = *to;
            moved = true;
        }
    }
    // Completing as the last move is a completion the active scenario decides.
    let last_move = actions.iter().rposition(|a| matches!(a, Action::Move(_)));
    let mut schedule = None;
    if let Some(n) = last_move
        && matches!(actions[n], Action::Move(InquiryStatus::Completed))
    {
        let steer = scenario::ask(ctx.app, world, Some(ctx.req), id);
        let completion = scenario::plan(
            &[InquiryStatus::Completed],
            steer.as_ref(),
            world.clock.now_ms(),
        );
        schedule = completion.schedule;
        let moves = completion.steps.into_iter().map(Action::Move);
        actions.splice(n..=n, moves);
    }
    for action in actions {
        match action {
            Action::Move(to) => {
                let now = world.clock.now_ms();
                if let Err(e) = lifecycle::record_move(world, id, to, now, Delivery::Outbox) {
                    return transition_refusal(ctx, &e);
                }
            }
            Action::Verification {
                passed,
                template_id,
            } => {
                let now = world.clock.now_ms();
                let verification = Verification::simple(
                    world.ids.persona("ver_").into(),
                    passed,
                    Some(template_id),
                    now,
                );
                world.persona.add_verification(id, verification);
                if let Some(inquiry) = world.persona.inquiry_mut(id) {
                    inquiry.updated_at = now;
                }
            }
        }
    }
    if let Some(schedule) = schedule {
        // Decided later (settle): other vendors hear of it then.
        world.persona.schedule_decision(id, schedule);
    } else if moved {
        // Other vendors react once, to where the list left the inquiry.
        crate::vendors::links::changed(
            ctx.app,
            world,
            crate::vendors::Change::InquiryChanged { inquiry_id: id },
        );
    }
    retrieve(ctx, world, id)
}
