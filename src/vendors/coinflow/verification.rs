//! How a pending withdrawer's verification moves on. Evaluated when it is read (Get Withdrawer,
//! the verification page) and when its Persona source inquiry changes, so sandbox time and
//! Persona's asynchronous redemption need no timers here.

use std::collections::BTreeMap;

use super::model::{Method, RequiredField, VerificationStatus, Withdrawer};
use super::persona_link::{self, SourceState, TokenState};
use super::scenario;
use super::webhooks::{self, KycEvent};
use crate::app::App;
use crate::scenario::Outcome;
use crate::store::World;

/// Where a withdrawer's verification stands after [`advance`].
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// `approved`, `attested` or `rejected`: nothing more will happen.
    Final(VerificationStatus),
    /// Still pending on something outside the user's hands (Persona, a manual review); the
    /// message says what.
    Pending(String),
    /// Pending until the user confirms on the verification page (document verification); the
    /// message says so.
    Action(String),
    /// Pending until these fields are filled in on the verification page.
    Missing(Vec<&'static RequiredField>),
}

/// Moves withdrawer `index` as far as its source allows, firing `KYC Success` or `KYC Failure`
/// when it reaches a final status.
pub fn advance(app: &App, world: &mut World, index: usize) -> Check {
    let Some(w) = world.coinflow.get(index) else {
        return Check::Pending("Withdrawer not found".into());
    };
    if w.status != VerificationStatus::Pending {
        return Check::Final(w.status);
    }
    let submitted = w.details_submitted;
    let under_review = w.documents.is_some();
    let id = w.id.clone();
    let method = w.method.clone();
    // A registration's scenario outcome comes before the built-in verification.
    if let Some(hold) = w.scenario.clone() {
        if !hold.is_due(world.clock.now_ms()) {
            return Check::Pending(scenario::HELD_MESSAGE.into());
        }
        if let Some(check) = scenario::apply_outcome(world, index, hold.outcome, &hold.fields) {
            return check;
        }
    }
    let decision = match method {
        Method::ShareToken {
            token_id,
            source_inquiry_id,
            ..
        } => {
            let view = persona_link::source(app, world, &token_id, &source_inquiry_id);
            match (view.token, view.inquiry) {
                (None, _) => Decision::Wait(format!(
                    "Verification is pending: Persona share token {token_id} no longer exists"
                )),
                (Some(TokenState::Redeeming), _) => Decision::Wait(format!(
                    "Verification is pending: Persona share token {token_id} is still being redeemed"
                )),
                (Some(TokenState::Expired), _) => Decision::Wait(format!(
                    "Verification is pending: Persona share token {token_id} expired before it was redeemed; register again with a new share token"
                )),
                (Some(TokenState::SourceRedacted), _) => Decision::Wait(format!(
                    "Verification is pending: Persona share token {token_id} was not redeemed, as its source inquiry {source_inquiry_id} was redacted; register again with a share token of another inquiry"
                )),
                (Some(TokenState::Redeemed), None) => Decision::Wait(format!(
                    "Verification is pending: source inquiry {source_inquiry_id} not found"
                )),
                (Some(TokenState::Redeemed), Some(SourceState::Failed)) => Decision::Reject(
                    format!("Persona inquiry {source_inquiry_id} was declined or failed"),
                ),
                (Some(TokenState::Redeemed), Some(SourceState::Undecided(status))) => {
                    Decision::Wait(format!(
                        "Verification is pending: source inquiry {source_inquiry_id} is {status}"
                    ))
                }
                // The approval takes the shared data.
                (Some(TokenState::Redeemed), Some(SourceState::Passed)) => Decision::Complete,
            }
        }
        // Uploaded documents are a reviewer's to judge, as a scenario's review is.
        Method::Document if under_review => Decision::Wait(scenario::review_message(&id)),
        Method::Document if !submitted => Decision::AskUser(
            "Document verification is required: complete it at the verificationLink, or upload the identity document to POST /api/withdraw/kyc-doc".into(),
        ),
        Method::Document | Method::UsInfo | Method::Attested => Decision::Complete,
    };
    match decision {
        Decision::Wait(message) => Check::Pending(message),
        Decision::AskUser(message) => Check::Action(message),
        Decision::Complete => approve(world, index),
        Decision::Reject(reason) => reject(world, index, reason),
    }
}

enum Decision {
    Wait(String),
    AskUser(String),
    Complete,
    Reject(String),
}

/// The fields Coinflow asks withdrawer `w` for, as Get Withdrawer names them: a due
/// `missing_fields` hold's until the page is submitted; none while it is under review (the 451
/// then says there is nothing to submit); otherwise the required fields neither the withdrawer
/// nor, while a share token's verification is pending, its source inquiry has (an approval
/// takes them from there). The admin state shows this, so it never disagrees with the 451.
pub fn fields_asked(world: &World, w: &Withdrawer) -> Vec<&'static RequiredField> {
    let pending = w.status == VerificationStatus::Pending;
    if pending
        && !w.details_submitted
        && let Some(hold) = &w.scenario
        && hold.outcome == Outcome::MissingFields
        && hold.is_due(world.clock.now_ms())
    {
        return scenario::named_fields(&hold.fields);
    }
    if pending && under_review(world, w) {
        return Vec::new();
    }
    let mut missing = w.missing_fields();
    if pending
        && let Method::ShareToken {
            source_inquiry_id, ..
        } = &w.method
    {
        let shared = persona_link::source_details(world, source_inquiry_id);
        missing.retain(|f| !shared.contains_key(f.name));
    }
    missing
}

/// Pending withdrawer `w` waits on a review (a scenario's hold not due yet, a due `pending`
/// outcome, uploaded documents no reviewer has decided on), as [`advance`] answers it.
fn under_review(world: &World, w: &Withdrawer) -> bool {
    if let Some(hold) = &w.scenario {
        if !hold.is_due(world.clock.now_ms()) {
            return true;
        }
        match hold.outcome {
            // An approval asks for the missing fields; a rejection asks for nothing either way.
            Outcome::Approved | Outcome::Rejected => return false,
            // Submitted (the unsubmitted one is asked for above): the built-in check goes on.
            Outcome::MissingFields => {}
            _ => return true,
        }
    }
    w.method == Method::Document && w.documents.is_some()
}

/// The shared data fills what withdrawer `index` does not have yet; what was typed on the
/// verification page wins.
fn fill_in(world: &mut World, index: usize, details: BTreeMap<String, String>) {
    if let Some(w) = world.coinflow.get_mut(index) {
        for (name, value) in details {
            w.details.entry(name).or_insert(value);
        }
    }
}

/// Approves withdrawer `index` (`attested` when the merchant vouched for it), firing `KYC
/// Success`, once it has every required field, whoever decided (the built-in check, a scenario,
/// a reviewer): a share token's data is taken from its source inquiry first. With fields still
/// missing it stays pending, asking for them on its verification page, so an approved
/// withdrawer always has the KYC data its payout methods need.
pub fn approve(world: &mut World, index: usize) -> Check {
    if let Some(Method::ShareToken {
        source_inquiry_id, ..
    }) = world.coinflow.get(index).map(|w| &w.method)
    {
        let details = persona_link::source_details(world, source_inquiry_id);
        fill_in(world, index, details);
    }
    let Some(w) = world.coinflow.get(index) else {
        return Check::Pending("Withdrawer not found".into());
    };
    let missing = w.missing_fields();
    if !missing.is_empty() {
        return Check::Missing(missing);
    }
    let status = if w.method == Method::Attested {
        VerificationStatus::Attested
    } else {
        VerificationStatus::Approved
    };
    finish(world, index, status, None);
    Check::Final(status)
}

/// Rejects withdrawer `index` for `reason`, firing `KYC Failure`.
pub fn reject(world: &mut World, index: usize, reason: String) -> Check {
    finish(world, index, VerificationStatus::Rejected, Some(reason));
    Check::Final(VerificationStatus::Rejected)
}

/// Ends withdrawer `index`'s verification with `status`, firing `KYC Success` or `KYC Failure`.
fn finish(world: &mut World, index: usize, status: VerificationStatus, reason: Option<String>) {
    let now = world.clock.now_ms();
    let Some(w) = world.coinflow.get_mut(index) else {
        return;
    };
    w.status = status;
    w.rejection_reason = reason;
    w.updated_ms = now;
    let snapshot = w.clone();
    let event = if status == VerificationStatus::Rejected {
        KycEvent::Failure
    } else {
        KycEvent::Success
    };
    webhooks::emit(world, event, &snapshot);
}
