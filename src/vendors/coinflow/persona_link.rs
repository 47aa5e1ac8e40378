//! What Coinflow asks of the Persona part of the same namespace: redeem a share token, and read
//! the token and its source inquiry. The only file here that knows Persona's types.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::REQUIRED_FIELDS;
use crate::app::App;
use crate::store::World;
use crate::vendors::persona::{self, Inquiry, InquiryStatus, RedeemError, ShareTokenStatus};

/// Why a share token could not be redeemed: the HTTP status Coinflow answers, and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

/// Whether `token_id` can still be redeemed for a new withdrawer, checked before anything is
/// drawn or stored, so a refused registration leaves the namespace (and its ids) as it was.
pub fn check_redeemable(app: &App, world: &mut World, token_id: &str) -> Result<(), Refusal> {
    // A token pending or redeemed is bound to another withdrawer's inquiry already.
    persona::check_redeemable(app, world, token_id).map_err(refusal)?;
    // Coinflow's spec answers 400 for an applicant "not approved, verification was either
    // incomplete or failed". A source still undecided (in review) registers as pending, and a
    // decline after registration rejects the withdrawer (`verification::advance`).
    let source = (world.persona.share_token(token_id))
        .and_then(|token| world.persona.inquiry(&token.source_inquiry_id));
    match source {
        Some(inquiry) if source_state(inquiry) == SourceState::Failed => Err(Refusal {
            status: 400,
            message: format!(
                "The applicant linked to share token {token_id} is not approved: Persona inquiry {} was {}",
                inquiry.id,
                inquiry.status.as_str()
            ),
        }),
        _ => Ok(()),
    }
}

/// Redeems `token_id` into Coinflow's receiving inquiry `destination`; returns the source
/// inquiry's id.
pub fn redeem(
    app: &App,
    world: &mut World,
    token_id: &str,
    destination: &str,
) -> Result<String, Refusal> {
    persona::redeem_share_token(app, world, token_id, destination)
        .map(|token| token.source_inquiry_id)
        .map_err(refusal)
}

fn refusal(e: RedeemError) -> Refusal {
    let status = match e {
        RedeemError::NotFound(_) => 404,
        RedeemError::Expired(_) => 400,
        RedeemError::AlreadyRedeemed(_) => 409,
        // Nothing left to share, as an expired token.
        RedeemError::SourceRedacted { .. } => 400,
    };
    let message = match e {
        RedeemError::AlreadyRedeemed(id) => {
            format!("Share token {id} has already been redeemed for another withdrawer")
        }
        other => other.to_string(),
    };
    Refusal { status, message }
}

/// A share token's status, as Coinflow cares about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// Not redeemed yet, or redemption still running.
    Redeeming,
    Redeemed,
    Expired,
    /// Expired because its source inquiry was redacted while it was being redeemed.
    SourceRedacted,
}

/// The source inquiry's status, as Coinflow cares about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    /// Completed or approved: verified.
    Passed,
    /// Declined or failed.
    Failed,
    /// Anything else; the status is named in messages.
    Undecided(&'static str),
}

/// Where a withdrawer's Persona source stands, as of now (sandbox time).
#[derive(Debug, Clone)]
pub struct SourceView {
    pub token: Option<TokenState>,
    pub inquiry: Option<SourceState>,
}

/// Reads the token as of now (Persona settles its time-based changes first).
pub fn source(app: &App, world: &mut World, token_id: &str, inquiry_id: &str) -> SourceView {
    let token = persona::share_token_now(app, world, token_id).map(|t| match t.status {
        ShareTokenStatus::Created | ShareTokenStatus::Pending => TokenState::Redeeming,
        ShareTokenStatus::Redeemed => TokenState::Redeemed,
        // Persona expires a redemption whose source was redacted meanwhile.
        ShareTokenStatus::Expired
            if t.pending_at.is_some()
                && (world.persona.inquiry(&t.source_inquiry_id))
                    .is_some_and(|source| source.rare().redacted_at.is_some()) =>
        {
            TokenState::SourceRedacted
        }
        ShareTokenStatus::Expired => TokenState::Expired,
    });
    SourceView {
        token,
        inquiry: world.persona.inquiry(inquiry_id).map(source_state),
    }
}

/// Inquiry `inquiry_id`'s values for Coinflow's required fields, by Coinflow field name (none
/// when it is gone).
pub fn source_details(world: &World, inquiry_id: &str) -> BTreeMap<String, String> {
    let now = world.clock.now_ms();
    let mut details = BTreeMap::new();
    let Some(inquiry) = world.persona.inquiry(inquiry_id) else {
        return details;
    };
    for field in REQUIRED_FIELDS {
        let value = (inquiry.fields.get(field.persona_field)).and_then(plain_value);
        // A birthdate Coinflow's own KYC body would refuse counts as missing: the form asks
        // for it, instead of approving a withdrawer with no date of birth.
        let value = match (field.name, value) {
            ("dob", Some(dob)) => super::validate::normalize_dob(&dob, now).ok(),
            (_, value) => value,
        };
        if let Some(value) = value {
            details.insert(field.name.to_string(), value);
        }
    }
    details
}

fn source_state(inquiry: &Inquiry) -> SourceState {
    match inquiry.status {
        // A scenario's decision still to come: not verified yet.
        InquiryStatus::Completed if inquiry.awaiting_decision() => {
            SourceState::Undecided("completed, awaiting its decision")
        }
        InquiryStatus::Completed | InquiryStatus::Approved => SourceState::Passed,
        InquiryStatus::Failed | InquiryStatus::Declined => SourceState::Failed,
        other => SourceState::Undecided(other.as_str()),
    }
}

/// A field's value, stored plain (`"Jane"`) or as Persona renders it (`{"type","value"}`).
fn plain_value(value: &Value) -> Option<String> {
    let value = match value {
        Value::Object(map) => map.get("value")?,
        other => other,
    };
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
