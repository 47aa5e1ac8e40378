//! Persona's data in one namespace: inquiries, events and Connect share tokens.
//!
//! Lookups go through an id index; the vectors keep creation order, which is the order the list
//! endpoints page through.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::webhooks;
use crate::clock::Millis;
use crate::config::Config;

/// An inquiry's status (vendors.md 1.5). `as_str` is the wire form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InquiryStatus {
    Created,
    Pending,
    Completed,
    Failed,
    Expired,
    NeedsReview,
    Approved,
    Declined,
}

impl InquiryStatus {
    pub const ALL: [InquiryStatus; 8] = [
        InquiryStatus::Created,
        InquiryStatus::Pending,
        InquiryStatus::Completed,
        InquiryStatus::Failed,
        InquiryStatus::Expired,
        InquiryStatus::NeedsReview,
        InquiryStatus::Approved,
        InquiryStatus::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InquiryStatus::Created => "created",
            InquiryStatus::Pending => "pending",
            InquiryStatus::Completed => "completed",
            InquiryStatus::Failed => "failed",
            InquiryStatus::Expired => "expired",
            InquiryStatus::NeedsReview => "needs_review",
            InquiryStatus::Approved => "approved",
            InquiryStatus::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<InquiryStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The event Persona fires when an inquiry enters this status.
    pub fn event_name(self) -> &'static str {
        match self {
            InquiryStatus::Created => "inquiry.created",
            InquiryStatus::Pending => "inquiry.started",
            InquiryStatus::Completed => "inquiry.completed",
            InquiryStatus::Failed => "inquiry.failed",
            InquiryStatus::Expired => "inquiry.expired",
            InquiryStatus::NeedsReview => "inquiry.marked-for-review",
            InquiryStatus::Approved => "inquiry.approved",
            InquiryStatus::Declined => "inquiry.declined",
        }
    }

    /// Whether the state machine allows `self → to` (vendors.md 1.5; `expired → pending` is
    /// what `resume` does).
    pub fn can_move_to(self, to: InquiryStatus) -> bool {
        use InquiryStatus::*;
        matches!(
            (self, to),
            (Created, Pending)
                | (Pending, Completed | Failed)
                | (Completed, Approved | Declined | NeedsReview)
                | (NeedsReview, Approved | Declined)
                | (Created | Pending, Expired)
                | (Expired, Pending)
        )
    }

    /// The verb of the action that leads here, for error messages ("cannot be approved").
    pub fn verb(self) -> &'static str {
        match self {
            InquiryStatus::Created => "created",
            InquiryStatus::Pending => "started",
            InquiryStatus::Completed => "completed",
            InquiryStatus::Failed => "failed",
            InquiryStatus::Expired => "expired",
            InquiryStatus::NeedsReview => "marked for review",
            InquiryStatus::Approved => "approved",
            InquiryStatus::Declined => "declined",
        }
    }
}

impl std::fmt::Display for InquiryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What creates an inquiry: the API's create call, the hosted page, or another vendor in-process.
#[derive(Debug, Clone, Default)]
pub struct NewInquiry {
    /// `itmpl_…`, `tmpl_…` or `itmplv_…`: whichever template id the caller gave.
    pub template_id: Option<String>,
    pub reference_id: Option<String>,
    pub redirect_uri: Option<String>,
    /// Plain values keyed by field name (`"name-first": "Jane"`); rendered as `{type, value}`.
    pub fields: Map<String, Value>,
    pub note: Option<String>,
    pub tags: Vec<String>,
}

/// A verification attached by a simulate action.
#[derive(Debug, Clone)]
pub struct Verification {
    pub id: String,
    /// `passed` or `failed`.
    pub status: &'static str,
    pub template_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Inquiry {
    pub id: String,
    pub status: InquiryStatus,
    pub reference_id: Option<String>,
    pub redirect_uri: Option<String>,
    /// Plain values keyed by field name; see [`NewInquiry::fields`].
    pub fields: Map<String, Value>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    /// The template id as given (`itmpl_…`, `tmpl_…` or `itmplv_…`).
    pub template_id: Option<String>,
    pub account_id: Option<String>,
    pub reviewer_comment: Option<String>,
    pub verifications: Vec<Verification>,
    /// The last session token `resume` handed out.
    pub session_token: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub started_at: Option<Millis>,
    pub completed_at: Option<Millis>,
    pub failed_at: Option<Millis>,
    pub marked_for_review_at: Option<Millis>,
    pub decisioned_at: Option<Millis>,
    pub expired_at: Option<Millis>,
    /// When a `created` or `pending` inquiry expires on its own (lazily, see `inquiries::settle`).
    pub expires_at: Option<Millis>,
    /// A scenario's `inquiry_decision` with `after_seconds`: the status the inquiry moves to
    /// when it is due (applied lazily by `settle`). Any other move clears it.
    pub scheduled_decision: Option<ScheduledDecision>,
}

impl Inquiry {
    /// Completed (or held pending) with the active scenario's decision still to come: other
    /// vendors should treat it as undecided until then.
    pub fn awaiting_decision(&self) -> bool {
        self.scheduled_decision.is_some()
    }
}

/// A decision a scenario took for later (see [`Inquiry::scheduled_decision`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledDecision {
    pub to: InquiryStatus,
    pub due_at: Millis,
}

/// One recorded event: the inquiry as it was when it happened.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub name: String,
    /// `{"data": <inquiry>, "included": []}`, kebab-case.
    pub payload: Value,
    pub created_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareTokenStatus {
    Created,
    Pending,
    Redeemed,
    Expired,
}

impl ShareTokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareTokenStatus::Created => "created",
            ShareTokenStatus::Pending => "pending",
            ShareTokenStatus::Redeemed => "redeemed",
            ShareTokenStatus::Expired => "expired",
        }
    }
}

impl std::fmt::Display for ShareTokenStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Connect share token (`cnst_…`): lets another organisation copy a finished inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareToken {
    pub id: String,
    pub status: ShareTokenStatus,
    pub source_inquiry_id: String,
    pub connection_id: String,
    /// The destination a redemption was asked for (empty string: clone, no destination given).
    pub redeemed_for: Option<String>,
    /// `api_…`: the API key that created it.
    pub creator_id: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub pending_at: Option<Millis>,
    pub redeemed_at: Option<Millis>,
    pub expires_at: Millis,
    pub expired_at: Option<Millis>,
}

/// Persona's data in one namespace.
#[derive(Debug, Default)]
pub struct State {
    pub webhooks: webhooks::Subscriptions,
    pub(super) inquiries: Vec<Inquiry>,
    pub(super) inquiry_index: HashMap<String, usize>,
    pub(super) events: Vec<Event>,
    pub(super) event_index: HashMap<String, usize>,
    pub(super) share_tokens: Vec<ShareToken>,
    pub(super) share_token_index: HashMap<String, usize>,
    /// `api_…` id standing for the API key in this namespace (share-token `creator`).
    pub(super) api_key_id: Option<String>,
}

impl State {
    pub fn new(_config: &Config) -> Self {
        Self::default()
    }

    pub fn inquiry(&self, id: &str) -> Option<&Inquiry> {
        self.inquiry_index.get(id).map(|&i| &self.inquiries[i])
    }

    pub(super) fn inquiry_mut(&mut self, id: &str) -> Option<&mut Inquiry> {
        self.inquiry_index.get(id).map(|&i| &mut self.inquiries[i])
    }

    /// Every inquiry, oldest first.
    pub fn inquiries(&self) -> &[Inquiry] {
        &self.inquiries
    }

    pub(super) fn insert_inquiry(&mut self, inquiry: Inquiry) {
        self.inquiry_index
            .insert(inquiry.id.clone(), self.inquiries.len());
        self.inquiries.push(inquiry);
    }

    /// The share token as of the last settle; `share_tokens::share_token_now` settles first.
    pub fn share_token(&self, id: &str) -> Option<&ShareToken> {
        self.share_token_index
            .get(id)
            .map(|&i| &self.share_tokens[i])
    }

    /// Every share token as of the last settle, oldest first.
    pub fn share_tokens(&self) -> &[ShareToken] {
        &self.share_tokens
    }

    pub(super) fn share_token_mut(&mut self, id: &str) -> Option<&mut ShareToken> {
        self.share_token_index
            .get(id)
            .map(|&i| &mut self.share_tokens[i])
    }

    pub(super) fn insert_share_token(&mut self, token: ShareToken) {
        self.share_token_index
            .insert(token.id.clone(), self.share_tokens.len());
        self.share_tokens.push(token);
    }

    pub fn event(&self, id: &str) -> Option<&Event> {
        self.event_index.get(id).map(|&i| &self.events[i])
    }

    /// Every event, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub(super) fn push_event(&mut self, event: Event) {
        self.event_index.insert(event.id.clone(), self.events.len());
        self.events.push(event);
    }
}
