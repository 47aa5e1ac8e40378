//! The inquiry state machine (vendors.md 1.5) and the in-process API other parts of the sandbox
//! use: create an inquiry, move it, and let time-based changes happen lazily.
//!
//! Time-based changes (an inquiry's 24-hour expiry, a share token's redemption and 14-day
//! expiry) are not timers: [`settle`] applies whatever is due against the namespace's sandbox
//! clock, and runs before every Persona request and in-process call reads or changes state.

use std::sync::Arc;

use super::events::{self, Delivery};
use super::model::{Inquiry, InquiryStatus, Intervals, NewInquiry, ScheduledDecision};
use super::rare::Rare;
use super::{accounts, share_tokens, verifications};
use crate::app::App;
use crate::clock::Millis;
use crate::http::percent_encode_into;
use crate::ids::Id;
use crate::store::World;
use crate::vendors;

/// How long a `created` or `pending` inquiry lives before it expires, by default (Persona: 24 h).
pub const INQUIRY_EXPIRY_SECONDS: i64 = 24 * 60 * 60;

/// Persona's answer to a change of a redacted inquiry.
pub const REDACTED: &str = "Inquiry already redacted";

/// Why an inquiry could not move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionError {
    NotFound(String),
    /// Redaction is final: the inquiry's flow is closed to every caller (Persona's 409).
    Redacted,
    Illegal {
        from: InquiryStatus,
        to: InquiryStatus,
    },
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransitionError::NotFound(id) => write!(f, "Inquiry {id} not found"),
            TransitionError::Redacted => f.write_str(REDACTED),
            TransitionError::Illegal { from, to } => {
                let allowed: Vec<&str> = InquiryStatus::ALL
                    .into_iter()
                    .filter(|s| s.can_move_to(*to))
                    .map(InquiryStatus::as_str)
                    .collect();
                write!(
                    f,
                    "Inquiry cannot be {} because its status is {from}; only an inquiry that is {} can be",
                    to.verb(),
                    allowed.join(" or "),
                )
            }
        }
    }
}

impl std::error::Error for TransitionError {}

/// Creates an inquiry in status `created`, records `inquiry.created`, and returns its `inq_` id.
pub fn create_inquiry(app: &App, world: &mut World, new: NewInquiry) -> Id {
    create_inquiry_with(app, world, new, None, None)
}

/// [`create_inquiry`] for a caller that has brought the world up to date already, or that runs
/// inside [`settle`] (another vendor's reaction to an inquiry's move): settling again there
/// would nest one settle in another for each inquiry due.
pub fn create_inquiry_settled(world: &mut World, new: NewInquiry) -> Id {
    insert_created(world, new, None, None, Delivery::Outbox)
}

/// [`create_inquiry`] with an account id and a custom expiry (seconds after creation).
pub(super) fn create_inquiry_with(
    app: &App,
    world: &mut World,
    new: NewInquiry,
    account_id: Option<String>,
    expire_after_create: Option<i64>,
) -> Id {
    settle(app, world);
    insert_created(
        world,
        new,
        account_id,
        expire_after_create,
        Delivery::Outbox,
    )
}

/// Stores a new `created` inquiry and records `inquiry.created` (no settling, no other vendor
/// told: what the in-process and seed paths share).
pub(super) fn insert_created(
    world: &mut World,
    new: NewInquiry,
    account_id: Option<String>,
    expire_after_create: Option<i64>,
    delivery: Delivery,
) -> Id {
    let now = world.clock.now_ms();
    let id = world.ids.persona("inq_");
    // Persona finds or creates the account of the reference id.
    let account_id = account_id.map(Id::from).or_else(|| {
        if new.without_account {
            return None;
        }
        let reference = new
            .account_reference_id
            .as_ref()
            .or(new.reference_id.as_ref())?;
        Some(accounts::find_or_create(world, reference, now, delivery))
    });
    let intervals = new.intervals;
    let redirect_uri = (new.redirect_uri).map(|uri| world.persona.shared.redirect(&uri));
    let inquiry = Inquiry {
        id: id.clone(),
        status: InquiryStatus::Created,
        reference_id: new.reference_id,
        redirect_uri,
        fields: new.fields,
        note: new.note,
        tags: world.persona.shared.tags(&new.tags),
        template_id: new.template_id,
        account_id,
        verifications: Vec::new(),
        created_at: now,
        updated_at: now,
        started_at: None,
        expires_at: Some(
            now.saturating_add(
                expire_after_create
                    .unwrap_or(INQUIRY_EXPIRY_SECONDS)
                    .saturating_mul(1000),
            ),
        ),
        rare: Rare {
            intervals: (intervals != Intervals::default()).then_some(intervals),
            ..Rare::default()
        }
        .boxed(),
    };
    let inquiry = Arc::new(inquiry);
    events::record(
        world,
        InquiryStatus::Created.event_name(),
        Arc::clone(&inquiry),
        now,
        delivery,
    );
    world.persona.insert_inquiry(inquiry);
    id
}

/// Moves an inquiry to `to` if the state machine allows it: stamps it, records the event, hands
/// it to the webhook outbox, and lets other vendors react ([`crate::vendors::links`]).
pub fn transition(
    app: &App,
    world: &mut World,
    inquiry_id: &str,
    to: InquiryStatus,
) -> Result<(), TransitionError> {
    transition_through(app, world, inquiry_id, &[to])
}

/// Several moves as one step of the flow (a hosted-page submission): each move is stamped and
/// records its event, but other vendors react once, to where the inquiry ends up, so a card user
/// is not approved on `completed` and then denied by the `declined` that follows in the same
/// step. The whole path is checked first: an illegal step changes nothing.
pub fn transition_through(
    app: &App,
    world: &mut World,
    inquiry_id: &str,
    steps: &[InquiryStatus],
) -> Result<(), TransitionError> {
    complete_through(app, world, inquiry_id, steps, None)
}

/// [`transition_through`], then keeps `schedule` (a scenario's later decision) on the inquiry.
/// While a decision is scheduled other vendors are not told: to them the inquiry is undecided
/// until [`settle`] applies the decision.
pub(super) fn complete_through(
    app: &App,
    world: &mut World,
    inquiry_id: &str,
    steps: &[InquiryStatus],
    schedule: Option<ScheduledDecision>,
) -> Result<(), TransitionError> {
    settle(app, world);
    check_path(world, inquiry_id, steps)?;
    let now = world.clock.now_ms();
    for &step in steps {
        record_move(world, inquiry_id, step, now, Delivery::Outbox)?;
    }
    if let Some(schedule) = schedule {
        world.persona.schedule_decision(inquiry_id, schedule);
        return Ok(());
    }
    crate::vendors::links::changed(
        app,
        world,
        crate::vendors::Change::InquiryChanged { inquiry_id },
    );
    Ok(())
}

/// Whether every move of `steps`, in order, is legal from the inquiry's current status.
pub fn check_path(
    world: &World,
    inquiry_id: &str,
    steps: &[InquiryStatus],
) -> Result<(), TransitionError> {
    let inquiry = world
        .persona
        .inquiry(inquiry_id)
        .ok_or_else(|| TransitionError::NotFound(inquiry_id.to_string()))?;
    if inquiry.rare().redacted_at.is_some() {
        return Err(TransitionError::Redacted);
    }
    let mut from = inquiry.status;
    for &to in steps {
        if !from.can_move_to(to) {
            return Err(TransitionError::Illegal { from, to });
        }
        from = to;
    }
    Ok(())
}

/// Whether `transition(.., to)` would succeed now, without changing anything.
pub fn check_transition(
    world: &World,
    inquiry_id: &str,
    to: InquiryStatus,
) -> Result<(), TransitionError> {
    check_path(world, inquiry_id, &[to])
}

/// [`transition`] for another vendor reacting to an inquiry's move (so possibly inside
/// [`settle`], which must not nest), with the world up to date already.
pub fn transition_settled(
    app: &App,
    world: &mut World,
    inquiry_id: &str,
    to: InquiryStatus,
) -> Result<(), TransitionError> {
    let now = world.clock.now_ms();
    apply_path(app, world, inquiry_id, &[to], now)
}

/// The moves of `steps` at sandbox time `at` (for a lazy change, the moment it was due), the
/// whole path checked first, other vendors told once at the end.
pub(super) fn apply_path(
    app: &App,
    world: &mut World,
    inquiry_id: &str,
    steps: &[InquiryStatus],
    at: Millis,
) -> Result<(), TransitionError> {
    check_path(world, inquiry_id, steps)?;
    for &step in steps {
        record_move(world, inquiry_id, step, at, Delivery::Outbox)?;
    }
    crate::vendors::links::changed(
        app,
        world,
        crate::vendors::Change::InquiryChanged { inquiry_id },
    );
    Ok(())
}

/// The move itself: status, timestamps and the event (which also goes to the outbox). Other
/// vendors are not told; the caller does that once its step is complete.
pub(super) fn record_move(
    world: &mut World,
    inquiry_id: &str,
    to: InquiryStatus,
    at: Millis,
    delivery: Delivery,
) -> Result<(), TransitionError> {
    check_transition(world, inquiry_id, to)?;
    let Some(inquiry) = world.persona.inquiry_mut(inquiry_id) else {
        return Err(TransitionError::NotFound(inquiry_id.to_string()));
    };
    let resumed = inquiry.status == InquiryStatus::Expired;
    inquiry.status = to;
    if let Some(rare) = inquiry.rare_if_any() {
        rare.scheduled_decision = None;
    }
    inquiry.updated_at = at;
    match to {
        InquiryStatus::Created => {}
        InquiryStatus::Pending => {
            if resumed {
                if let Some(rare) = inquiry.rare_if_any() {
                    rare.expired_at = None;
                }
            } else {
                inquiry.started_at = Some(at);
            }
            let intervals = inquiry.rare().intervals.unwrap_or_default();
            let seconds = if resumed {
                intervals.after_resume
            } else {
                intervals.after_start
            };
            let seconds = seconds.unwrap_or(INQUIRY_EXPIRY_SECONDS);
            inquiry.expires_at = Some(at.saturating_add(seconds.saturating_mul(1000)));
        }
        InquiryStatus::Completed => inquiry.rare_mut().completed_at = Some(at),
        InquiryStatus::Failed => inquiry.rare_mut().failed_at = Some(at),
        InquiryStatus::Expired => inquiry.rare_mut().expired_at = Some(at),
        InquiryStatus::NeedsReview => inquiry.rare_mut().marked_for_review_at = Some(at),
        InquiryStatus::Approved | InquiryStatus::Declined => {
            inquiry.rare_mut().decisioned_at = Some(at)
        }
    }
    if !matches!(to, InquiryStatus::Pending) {
        inquiry.expires_at = None;
    }
    match to {
        InquiryStatus::Pending => verifications::start(world, inquiry_id, at),
        InquiryStatus::Completed => verifications::finish(world, inquiry_id, at, true),
        InquiryStatus::Failed => verifications::finish(world, inquiry_id, at, false),
        InquiryStatus::Approved => accounts::absorb(world, inquiry_id, at),
        _ => {}
    }
    let Some(snapshot) = world.persona.inquiry_snapshot(inquiry_id) else {
        return Err(TransitionError::NotFound(inquiry_id.to_string()));
    };
    world.persona.note_inquiry_due(inquiry_id);
    events::record(world, to.event_name(), snapshot, at, delivery);
    Ok(())
}

/// Applies every time-based change that is due in this namespace, in the order it fell due:
/// decisions a scenario scheduled, inquiries past their expiry (with their events), share tokens
/// finishing redeeming (their destination inquiries run then) or expiring.
pub fn settle(app: &App, world: &mut World) {
    let now = world.clock.now_ms();
    loop {
        // Inquiries' changes due up to the next share token's, which may run an inquiry.
        let token_due = world.persona.next_share_token_due(now);
        // Due time order; at one moment, oldest inquiry first and a decision before an expiry.
        while let Some((at, id, to)) = world.persona.next_due_inquiry(token_due.unwrap_or(now)) {
            // A change applied just before may have made this one illegal (expired after
            // failing): then it no longer happens.
            // The other vendors' reactions are stamped when it happened.
            let _ = vendors::as_of(world, Some(at), |world| {
                apply_path(app, world, &id, &[to], at)
            });
        }
        let Some(at) = token_due else {
            break;
        };
        vendors::as_of(world, Some(at), |world| {
            share_tokens::settle(app, world, at)
        });
    }
}

/// The hosted verification page for an inquiry, in its namespace.
pub fn hosted_url(app: &App, namespace: &str, inquiry_id: &str) -> String {
    // One allocation: an id is encoded to at most three bytes a byte.
    let mut url = app.url_with(namespace, "/verify?inquiry-id=", inquiry_id.len() * 3);
    percent_encode_into(&mut url, inquiry_id);
    url
}
