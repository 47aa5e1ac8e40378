//! Persona's part of the scenario vocabulary: the active scenario's say in how an inquiry ends
//! (`inquiry_decision`, an event operation), its magic words, and a scenario's pre-existing
//! inquiries (`initial_state.persona`).
//!
//! A completion (hosted-page pass, the simulate action `complete_inquiry`) asks the scenario
//! once. Its outcome becomes the inquiry's final status: `approved`, `declined` and
//! `needs_review` follow `completed` (`selfie_mismatch`: `needs_review` with the selfie verification
//! failed); `failed` and `expired` take the place of `completed` (the
//! state machine allows them only from `pending`). With `after_seconds` the inquiry stops where
//! it waits (`completed`, or `pending` for failed/expired) and keeps the decision
//! ([`ScheduledDecision`]); `lifecycle::settle` applies it when due, and only then are Bitmama
//! and Coinflow told. With `after_polls` the first completions get the built-in behaviour (no
//! decision: the inquiry stays `completed`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::events::Delivery;
use super::lifecycle::{INQUIRY_EXPIRY_SECONDS, insert_created, record_move};
use super::model::{InquiryStatus, NewInquiry, ScheduledDecision, VerificationKind};
use super::render;
use super::routes::INQUIRY_DECISION;
use crate::app::App;
use crate::clock::Millis;
use crate::http::ApiRequest;
use crate::scenario::{Operation, Outcome, Steer, Subject, Timing};
use crate::store::World;
use crate::vendors::Vendor;

/// How long `+pending@` holds a decision: the `pending-verification` scenario's delay.
pub const PENDING_SECONDS: f64 = 300.0;

/// Magic words: `+declined@`/`+rejected@` decline, `+review@` needs review, `+selfie@` fails
/// the selfie verification and needs review, `+pending@` approves
/// after [`PENDING_SECONDS`] of sandbox time.
pub(super) fn magic(operation: Operation, word: &str) -> Option<Steer> {
    if operation != INQUIRY_DECISION {
        return None;
    }
    let now = Steer::now;
    Some(match word {
        "declined" | "rejected" => now(Outcome::Declined),
        "review" => now(Outcome::NeedsReview),
        "selfie" => now(Outcome::SelfieMismatch),
        "pending" => Steer {
            timing: Timing::AfterSeconds(PENDING_SECONDS),
            ..now(Outcome::Approved)
        },
        _ => return None,
    })
}

/// `initial_state.persona`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PersonaSeed {
    #[serde(default)]
    pub inquiries: Vec<InquirySeed>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InquirySeed {
    pub reference_id: Option<String>,
    pub email_address: Option<String>,
    pub name_first: Option<String>,
    pub name_last: Option<String>,
    pub status: SeedInquiryStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedInquiryStatus {
    Created,
    Pending,
    Completed,
    Approved,
    Declined,
    NeedsReview,
    Failed,
    Expired,
}

impl crate::vendors::Seed for PersonaSeed {
    fn apply(&self, world: &mut World) {
        apply_initial_state(world, self);
    }
}

/// What the rule's `when.body` sees: the inquiry's attributes, kebab-case as on the wire.
fn subject(world: &World, inquiry_id: &str) -> Option<Subject> {
    let inquiry = world.persona.inquiry(inquiry_id)?;
    let attributes = render::inquiry(inquiry)
        .get("attributes")
        .cloned()
        .unwrap_or(Value::Null);
    Some(Subject::from_json(attributes))
}

/// Asks the active scenario how inquiry `inquiry_id` ends; the call counts toward the rule's
/// `nth`/`times`/`after_polls`. `None`: no rule decides (built-in behaviour).
pub(super) fn ask(
    app: &App,
    world: &mut World,
    req: Option<&ApiRequest>,
    inquiry_id: &str,
) -> Option<Steer> {
    let subject = subject(world, inquiry_id)?;
    let steer = app
        .scenarios
        .decide(world, req, Vendor::Persona, INQUIRY_DECISION, &subject)
        .steer;
    // A selfie mismatch shows in the verifications the completion is about to finish.
    if let Some(s) = &steer
        && s.outcome == Outcome::SelfieMismatch
        && !matches!(s.timing, Timing::PollsLeft(_))
        && let Some(inquiry) = world.persona.inquiry_mut(inquiry_id)
    {
        inquiry.rare_mut().failing_verification = Some(VerificationKind::Selfie);
    }
    steer
}

/// Whether the active scenario (or a magic email) would decide inquiry `inquiry_id` if it
/// completed now, without counting the call (what the hosted page shows its buttons by).
pub(super) fn scenario_decides(
    app: &App,
    world: &mut World,
    req: &ApiRequest,
    inquiry_id: &str,
) -> bool {
    let Some(subject) = subject(world, inquiry_id) else {
        return false;
    };
    app.scenarios
        .peek(
            world,
            Some(req),
            Vendor::Persona,
            INQUIRY_DECISION,
            &subject,
        )
        .steer
        .is_some()
}

/// The status a decision outcome ends an inquiry in (`None`: not an inquiry decision).
fn final_status(outcome: Outcome) -> Option<InquiryStatus> {
    match outcome {
        Outcome::Approved => Some(InquiryStatus::Approved),
        Outcome::Declined => Some(InquiryStatus::Declined),
        Outcome::NeedsReview | Outcome::SelfieMismatch => Some(InquiryStatus::NeedsReview),
        Outcome::Failed => Some(InquiryStatus::Failed),
        Outcome::Expired => Some(InquiryStatus::Expired),
        _ => None,
    }
}

/// How a completion goes: the moves to make now and the decision kept for later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Completion {
    pub steps: Vec<InquiryStatus>,
    pub schedule: Option<ScheduledDecision>,
}

/// Turns `steps`, a path that ends in `completed`, into what the scenario's `steer` says, at
/// sandbox time `now`. Without a decision the path stays as it is.
pub(super) fn plan(steps: &[InquiryStatus], steer: Option<&Steer>, now: Millis) -> Completion {
    let unchanged = Completion {
        steps: steps.to_vec(),
        schedule: None,
    };
    let (Some(steer), Some(InquiryStatus::Completed)) = (steer, steps.last()) else {
        return unchanged;
    };
    let Some(to) = final_status(steer.outcome) else {
        return unchanged;
    };
    // failed / expired happen instead of completing.
    let instead = matches!(to, InquiryStatus::Failed | InquiryStatus::Expired);
    let mut moves = steps.to_vec();
    if instead {
        moves.pop();
    }
    match steer.timing {
        Timing::PollsLeft(_) => unchanged,
        Timing::Now => {
            moves.push(to);
            Completion {
                steps: moves,
                schedule: None,
            }
        }
        Timing::AfterSeconds(_) => Completion {
            steps: moves,
            schedule: steer
                .due_at_ms(now)
                .map(|due_at| ScheduledDecision { to, due_at }),
        },
    }
}

/// The moves from `created` to `status`, as the API would have made them.
fn seed_path(status: SeedInquiryStatus) -> &'static [InquiryStatus] {
    use InquiryStatus::*;
    match status {
        SeedInquiryStatus::Created => &[],
        SeedInquiryStatus::Pending => &[Pending],
        SeedInquiryStatus::Completed => &[Pending, Completed],
        SeedInquiryStatus::Approved => &[Pending, Completed, Approved],
        SeedInquiryStatus::Declined => &[Pending, Completed, Declined],
        SeedInquiryStatus::NeedsReview => &[Pending, Completed, NeedsReview],
        SeedInquiryStatus::Failed => &[Pending, Failed],
        SeedInquiryStatus::Expired => &[Expired],
    }
}

/// Seeds a scenario's pre-existing inquiries (through the vocabulary's `seed`, with the
/// world locked): each is created and walked to its status through the state machine, ids from
/// the world's generator, events recorded (`GET /api/v1/events`) but no webhooks sent and no
/// other vendor told: they existed before.
fn apply_initial_state(world: &mut World, seed: &PersonaSeed) {
    for inquiry in &seed.inquiries {
        seed_inquiry(world, inquiry);
    }
}

fn seed_inquiry(world: &mut World, seed: &InquirySeed) {
    let mut fields = serde_json::Map::new();
    for (name, value) in [
        ("email-address", &seed.email_address),
        ("name-first", &seed.name_first),
        ("name-last", &seed.name_last),
    ] {
        if let Some(value) = value {
            fields.insert(name.to_string(), Value::String(value.clone()));
        }
    }
    let new = NewInquiry {
        template_id: Some(world.ids.persona("itmpl_").into()),
        reference_id: seed.reference_id.clone(),
        fields: fields.into(),
        ..NewInquiry::default()
    };
    let id = insert_created(
        world,
        new,
        None,
        Some(INQUIRY_EXPIRY_SECONDS),
        Delivery::Quiet,
    );
    let now = world.clock.now_ms();
    for &step in seed_path(seed.status) {
        // Cannot fail: the path is legal from `created`.
        let _ = record_move(world, &id, step, now, Delivery::Quiet);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InquiryStatus::*;

    fn steer(outcome: Outcome, timing: Timing) -> Steer {
        Steer {
            outcome,
            fields: Vec::new(),
            timing,
        }
    }

    #[test]
    fn decisions_follow_or_replace_completion() {
        let pass = [Pending, Completed];
        let now = plan(&pass, Some(&steer(Outcome::NeedsReview, Timing::Now)), 0);
        assert_eq!(now.steps, vec![Pending, Completed, NeedsReview]);
        let failed = plan(&pass, Some(&steer(Outcome::Failed, Timing::Now)), 0);
        assert_eq!(failed.steps, vec![Pending, Failed]);
        let later = plan(
            &pass,
            Some(&steer(Outcome::Approved, Timing::AfterSeconds(300.0))),
            1_000,
        );
        assert_eq!(later.steps, vec![Pending, Completed]);
        assert_eq!(
            later.schedule,
            Some(ScheduledDecision {
                to: Approved,
                due_at: 301_000
            })
        );
        let expired_later = plan(
            &[Completed],
            Some(&steer(Outcome::Expired, Timing::AfterSeconds(1.0))),
            0,
        );
        assert!(expired_later.steps.is_empty());
        let polls = plan(
            &pass,
            Some(&steer(Outcome::Declined, Timing::PollsLeft(1))),
            0,
        );
        assert_eq!(polls.steps, pass.to_vec());
        assert_eq!(plan(&pass, None, 0).steps, pass.to_vec());
    }

    #[test]
    fn seed_paths_are_legal() {
        use SeedInquiryStatus as S;
        for status in [
            S::Created,
            S::Pending,
            S::Completed,
            S::Approved,
            S::Declined,
            S::NeedsReview,
            S::Failed,
            S::Expired,
        ] {
            let mut at = Created;
            for &step in seed_path(status) {
                assert!(at.can_move_to(step), "{status:?}: {at} -> {step}");
                at = step;
            }
        }
    }

    #[test]
    fn magic_words_decide_inquiries_only() {
        let decided = |word: &str| magic(INQUIRY_DECISION, word).map(|s| s.outcome);
        assert_eq!(decided("review"), Some(Outcome::NeedsReview));
        assert_eq!(decided("declined"), Some(Outcome::Declined));
        assert_eq!(decided("rejected"), Some(Outcome::Declined));
        assert_eq!(decided("duplicate"), None);
        let pending = magic(INQUIRY_DECISION, "pending").expect("steered");
        assert_eq!(pending.outcome, Outcome::Approved);
        assert_eq!(pending.due_at_ms(0), Some(300_000));
        assert!(magic(Operation::request("create_inquiry"), "declined").is_none());
    }
}
