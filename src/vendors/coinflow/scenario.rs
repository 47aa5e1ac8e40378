//! Coinflow's part of the scenario vocabulary: magic words, seeds, and what the active scenario
//! says about a withdrawer's verification (`register_withdrawer`,
//! `get_withdrawer`: `pending`, `approved`, `rejected`, `missing_fields`), and a scenario's
//! pre-existing withdrawers (`initial_state.coinflow`).
//!
//! - A registration's outcome (a rule's, or a magic email's such as `jo+pending@`: the engine
//!   hands both in `cx.steer`) is kept on the new withdrawer ([`ScenarioHold`]);
//!   `verification::advance` applies it once due. `after_seconds` counts from the
//!   registration; `after_polls: N` holds the withdrawer pending for its next N Get Withdrawer
//!   calls (the registration itself answers as pending) and falls due with the call after
//!   them, never before: nothing else a client or the admin API does in between (the admin
//!   state, a payout method, moving the clock) sees it decided, so that call's answer, the
//!   status and the KYC webhook all change together.
//! - A Get Withdrawer outcome applies to that call while the withdrawer is pending (a decided
//!   one stays decided): not due (`after_polls`, or `after_seconds` counted from the
//!   withdrawer's first Get Withdrawer under the rule) is a 451 pending; due, `rejected`
//!   decides it for good, `approved` too once the required fields are in (until then 451
//!   naming them, as `verification::approve` asks), and `missing_fields` answers 451 naming
//!   the fields until the page is submitted; then the built-in verification goes on.
//! - A due `pending` (either operation) is a manual review: 451 until a reviewer decides
//!   (`POST /__admin/withdrawers/{id}/verify`, the dashboard's button, or `/reject`). The end user
//!   cannot end it: the verification page shows the review with nothing to submit, and a POST
//!   to it changes nothing (anyone holding the link could otherwise approve themselves).
//!
//! A due outcome changes only a pending withdrawer: a decided one stays decided.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{Method, REQUIRED_FIELDS, RequiredField, VerificationStatus, Withdrawer};
use super::verification::{self, Check};
use crate::app::App;
use crate::clock::Millis;
use crate::scenario::{Operation, Outcome, SeedProblem, Steer, Timing};
use crate::store::World;

/// The fields `+missing@` asks for: all of Get Withdrawer's required fields.
pub const MISSING_FIELDS: [&str; 8] = [
    "firstName",
    "surName",
    "dob",
    "physicalAddress",
    "city",
    "state",
    "zip",
    "country",
];

/// Magic words on a registration: `+declined@`/`+rejected@` reject, `+review@`/`+selfie@`/
/// `+pending@` hold it pending, `+missing@` asks for every required field.
pub(super) fn magic(operation: Operation, word: &str) -> Option<Steer> {
    if operation.name != "register_withdrawer" {
        return None;
    }
    let now = Steer::now;
    Some(match word {
        "declined" | "rejected" => now(Outcome::Rejected),
        // A failed selfie is a review too, as the Persona inquiry behind it would be.
        "review" | "selfie" | "pending" => now(Outcome::Pending),
        "missing" => Steer {
            fields: MISSING_FIELDS.iter().map(|f| f.to_string()).collect(),
            ..now(Outcome::MissingFields)
        },
        _ => return None,
    })
}

/// `initial_state.coinflow`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoinflowSeed {
    #[serde(default)]
    pub withdrawers: Vec<WithdrawerSeed>,
    /// The payout balance every merchant starts with, in cents (instead of
    /// `--coinflow-payout-balance-cents`).
    #[serde(default)]
    pub payout_balance_cents: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawerSeed {
    pub email: String,
    /// The `x-coinflow-auth-user-id` the withdrawer is found by.
    pub user_id: Option<String>,
    pub status: SeedWithdrawerStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedWithdrawerStatus {
    Pending,
    Approved,
    Rejected,
}

impl crate::vendors::Seed for CoinflowSeed {
    fn apply(&self, world: &mut World) {
        apply_initial_state(world, self);
    }

    /// Refuses what the API would never hold: a negative payout balance, a withdrawer email
    /// registration would refuse.
    fn check(&self) -> Vec<SeedProblem> {
        let mut problems = Vec::new();
        if let Some(cents) = self.payout_balance_cents.filter(|&c| c < 0) {
            problems.push(SeedProblem::at(&["payout_balance_cents"], format!(
                "payout_balance_cents is {cents}: a payout balance is never negative, use 0 or more"
            )));
        }
        for (i, w) in self.withdrawers.iter().enumerate() {
            if let Err(e) = super::validate::check_email(&w.email) {
                problems.push(SeedProblem::at(
                    &["withdrawers", &i.to_string(), "email"],
                    format!("withdrawers[{i}].email {:?} {e}", w.email),
                ));
            }
        }
        problems
    }
}

/// The 451 message while a scenario holds a verification.
pub const HELD_MESSAGE: &str = "Verification is pending: it is still being reviewed";

/// The 451 message (and the verification page's) of a `pending` outcome for withdrawer `id`:
/// a manual review no end user can end.
pub fn review_message(id: &str) -> String {
    format!(
        "Verification is under manual review: there is nothing to submit; it ends when a reviewer decides (in this sandbox, POST /__admin/withdrawers/{id}/verify approves it, /reject rejects it)"
    )
}

/// A registration's scenario outcome, kept on the withdrawer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioHold {
    pub outcome: Outcome,
    /// Coinflow field names (`missing_fields`).
    pub fields: Vec<String>,
    pub until: Until,
}

/// When a [`ScenarioHold`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Until {
    Now,
    /// Sandbox time.
    Time(Millis),
    /// This many more Get Withdrawer calls see the pending state; the call after them makes
    /// it due ([`count_read`]).
    Reads(u32),
}

impl ScenarioHold {
    /// The hold a registration's `steer` asks for, decided at sandbox time `now`.
    pub fn from_steer(steer: &Steer, now: Millis) -> Self {
        let until = match steer.timing {
            Timing::Now => Until::Now,
            Timing::AfterSeconds(_) => Until::Time(steer.due_at_ms(now).unwrap_or(now)),
            Timing::PollsLeft(n) => Until::Reads(n),
        };
        Self {
            outcome: steer.outcome,
            fields: steer.fields.clone(),
            until,
        }
    }

    /// A reviewer's approval (`POST /__admin/withdrawers/{id}/verify`), due now: it ends the
    /// review, and approves the withdrawer once its required fields are in.
    pub fn reviewer_approved() -> Self {
        Self {
            outcome: Outcome::Approved,
            fields: Vec::new(),
            until: Until::Now,
        }
    }

    pub fn is_due(&self, now: Millis) -> bool {
        match self.until {
            Until::Now => true,
            Until::Time(at) => at <= now,
            // Only a Get Withdrawer call ends it, by making it `Now`.
            Until::Reads(_) => false,
        }
    }
}

/// The required fields a `missing_fields` outcome names, in the form's order. Names that are
/// not Coinflow KYC fields are left out; when none is left, every field is asked for. Any
/// capitalisation: scenario files are held to Coinflow's spelling, but a hold in a state file
/// saved before that may not be.
pub fn named_fields(names: &[String]) -> Vec<&'static RequiredField> {
    let named: Vec<&'static RequiredField> = REQUIRED_FIELDS
        .iter()
        .filter(|f| names.iter().any(|n| n.eq_ignore_ascii_case(f.name)))
        .collect();
    if named.is_empty() {
        REQUIRED_FIELDS.iter().collect()
    } else {
        named
    }
}

/// Applies a due outcome to pending withdrawer `index`. `Some`: the answer it decides; `None`:
/// the built-in verification goes on (`missing_fields` once the page was submitted).
pub fn apply_outcome(
    world: &mut World,
    index: usize,
    outcome: Outcome,
    fields: &[String],
) -> Option<Check> {
    let w = world.coinflow.get(index)?;
    if w.status != VerificationStatus::Pending {
        return Some(Check::Final(w.status));
    }
    match outcome {
        // Approved once the required fields are there: until then it asks for them.
        Outcome::Approved => Some(verification::approve(world, index)),
        Outcome::Rejected => {
            let reason = "Verification was rejected (scenario or magic email outcome)".to_string();
            Some(verification::reject(world, index, reason))
        }
        Outcome::MissingFields if !w.details_submitted => {
            Some(Check::Missing(named_fields(fields)))
        }
        // Out of the user's hands: only a reviewer ends it (the admin trigger approves the
        // withdrawer; the status check above then answers).
        Outcome::Pending => Some(Check::Pending(review_message(&w.id))),
        // Once the page was submitted the built-in verification goes on.
        Outcome::MissingFields => None,
        _ => Some(Check::Pending(HELD_MESSAGE.into())),
    }
}

/// Get Withdrawer under a scenario outcome (`cx.steer`) for withdrawer `index`.
pub fn get_withdrawer(app: &App, world: &mut World, index: usize, steer: &Steer) -> Check {
    let now = world.clock.now_ms();
    let Some(w) = world.coinflow.get_mut(index) else {
        return Check::Pending("Withdrawer not found".into());
    };
    // A decided withdrawer stays decided: a hold would answer 451 pending beside an approval
    // and its KYC Success (hold a registration instead, `register_withdrawer`).
    if w.status != VerificationStatus::Pending {
        return verification::advance(app, world, index);
    }
    let due = match steer.timing {
        Timing::Now => true,
        Timing::PollsLeft(_) => false,
        Timing::AfterSeconds(_) => {
            let at = *w
                .steer_due_ms
                .get_or_insert_with(|| steer.due_at_ms(now).unwrap_or(now));
            at <= now
        }
    };
    if !due {
        return Check::Pending(HELD_MESSAGE.into());
    }
    apply_outcome(world, index, steer.outcome, &steer.fields)
        .unwrap_or_else(|| verification::advance(app, world, index))
}

/// A Get Withdrawer call, before it is answered: a registration hold counting reads takes one
/// more pending answer, or, none left, falls due now, for this call to apply.
pub fn count_read(world: &mut World, index: usize) {
    if let Some(hold) = world
        .coinflow
        .get_mut(index)
        .and_then(|w| w.scenario.as_mut())
        && let Until::Reads(n) = hold.until
    {
        hold.until = match n.checked_sub(1) {
            Some(left) => Until::Reads(left),
            None => Until::Now,
        };
    }
}

/// Seeds a scenario's pre-existing withdrawers (through the vocabulary's `seed`, world
/// locked). A seed belongs to no merchant until claimed ([`super::model::State::find_or_claim`]): by
/// the first caller whose `x-coinflow-auth-user-id` is its `user_id` (any API key), or, without
/// `user_id`, by the first registration with its email. No webhooks: they existed before.
fn apply_initial_state(world: &mut World, seed: &CoinflowSeed) {
    if let Some(cents) = seed.payout_balance_cents {
        world.coinflow.starting_balance_cents = cents;
    }
    let now = world.clock.now_ms();
    for s in &seed.withdrawers {
        let status = match s.status {
            SeedWithdrawerStatus::Pending => VerificationStatus::Pending,
            SeedWithdrawerStatus::Approved => VerificationStatus::Approved,
            SeedWithdrawerStatus::Rejected => VerificationStatus::Rejected,
        };
        let withdrawer = Withdrawer {
            id: world.ids.hex(24),
            // Empty until claimed.
            merchant_key: String::new(),
            merchant_id: String::new(),
            user_id: s.user_id.clone(),
            wallet: String::new(),
            blockchain: String::new(),
            email: s.email.clone(),
            status,
            // A pending seed finishes on its verification page, like document verification.
            method: Method::Document,
            details: BTreeMap::new(),
            details_submitted: false,
            rejection_reason: (status == VerificationStatus::Rejected)
                .then(|| "Rejected before the scenario started".to_string()),
            page_token: world.ids.alphanumeric(32),
            created_ms: now,
            updated_ms: now,
            scenario: None,
            steer_due_ms: None,
            redirect_link: None,
            bank_accounts: Vec::new(),
            cards: Vec::new(),
            documents: None,
        };
        world.coinflow.insert(withdrawer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_fields_keep_form_order_and_fall_back_to_all() {
        let names: Vec<&str> = named_fields(&["zip".into(), "DOB".into(), "nope".into()])
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["dob", "zip"]);
        assert_eq!(named_fields(&["nope".into()]).len(), REQUIRED_FIELDS.len());
    }

    #[test]
    fn holds_fall_due() {
        let steer = Steer {
            outcome: Outcome::Approved,
            fields: Vec::new(),
            timing: Timing::AfterSeconds(2.0),
        };
        let hold = ScenarioHold::from_steer(&steer, 1_000);
        assert!(!hold.is_due(2_999));
        assert!(hold.is_due(3_000));
        let polls = ScenarioHold {
            until: Until::Reads(0),
            ..hold
        };
        assert!(!polls.is_due(i64::MAX), "only a read makes it due");
    }

    #[test]
    fn magic_words_steer_registrations_only() {
        let register = Operation::request("register_withdrawer");
        assert_eq!(
            magic(register, "declined").map(|s| s.outcome),
            Some(Outcome::Rejected)
        );
        assert_eq!(
            magic(register, "review").map(|s| s.outcome),
            Some(Outcome::Pending)
        );
        let missing = magic(register, "missing").expect("steered");
        assert_eq!(missing.fields.len(), MISSING_FIELDS.len());
        assert!(magic(Operation::request("get_withdrawer"), "declined").is_none());
        assert!(magic(register, "duplicate").is_none());
    }
}
