//! Persona's data in one namespace: inquiries, events and Connect share tokens.
//!
//! Lookups go through an id index; the vectors keep creation order, which is the order the list
//! endpoints page through.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use super::entities::{
    Account, Check, OneTimeLink, Verification, VerificationKind, VerificationStatus,
};
pub use super::fields::Fields;
use super::rare::NO_RARE;
pub use super::rare::Rare;
pub use super::shared::Tags;
pub use super::status::InquiryStatus;
use super::webhooks;
use crate::clock::Millis;
use crate::collections::{PositionIndex, ShardedMap};
use crate::config::Config;
use crate::ids::Id;

mod events;

/// What creates an inquiry: the API's create call, the hosted page, or another vendor in-process.
#[derive(Debug, Clone, Default)]
pub struct NewInquiry {
    /// `itmpl_…`, `tmpl_…` or `itmplv_…`: whichever template id the caller gave.
    pub template_id: Option<String>,
    pub reference_id: Option<String>,
    pub redirect_uri: Option<String>,
    /// Plain values keyed by field name (`"name-first": "Jane"`); rendered as `{type, value}`.
    pub fields: Fields,
    pub note: Option<String>,
    pub tags: Vec<String>,
    /// `meta.auto-create-account-reference-id`: the reference id of the account to find or
    /// create when no account id is given (the inquiry's own reference id otherwise).
    pub account_reference_id: Option<String>,
    /// `meta.auto-create-account: false`: no account is found or created for it.
    pub without_account: bool,
    /// `meta`'s other intervals, kept with the inquiry.
    pub intervals: Intervals,
}

/// How long an inquiry lives after it starts or is resumed, and a one-time link of it by
/// default, in seconds, when its creation said (`meta.expiration-after-start-interval-seconds`,
/// `…-resume-…`, `meta.one-time-link-expiration-seconds`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intervals {
    pub after_start: Option<i64>,
    pub after_resume: Option<i64>,
    pub one_time_link: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inquiry {
    pub id: Id,
    pub status: InquiryStatus,
    pub reference_id: Option<String>,
    /// Shared with the inquiry created before it when the same (`shared.rs`): every
    /// Bitmama inquiry of a namespace has the same.
    pub redirect_uri: Option<Arc<str>>,
    /// Plain values keyed by field name; see [`NewInquiry::fields`].
    pub fields: Fields,
    pub note: Option<String>,
    /// Shared with the inquiry created before it when the same (`shared.rs`).
    pub tags: Tags,
    /// The template id as given (`itmpl_…`, `tmpl_…` or `itmplv_…`).
    pub template_id: Option<String>,
    pub account_id: Option<Id>,
    pub verifications: Vec<Verification>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub started_at: Option<Millis>,
    /// When a `created` or `pending` inquiry expires on its own (lazily, see `inquiries::settle`).
    pub expires_at: Option<Millis>,
    /// What a new inquiry does not have yet (`Rare`), boxed once one is set: about 170 bytes
    /// less in every inquiry that never gets them. Saved as the same flat fields (`null` if
    /// unset), so the state file keeps its keys.
    #[serde(flatten, with = "super::rare::saved")]
    pub rare: Option<Box<Rare>>,
}

impl Inquiry {
    /// Removes what redaction removes: its fields and what its verifications extracted.
    pub(super) fn scrub(&mut self) {
        self.fields.clear();
        for verification in &mut self.verifications {
            verification.extracted.clear();
        }
    }

    /// Completed (or held pending) with the active scenario's decision still to come: other
    /// vendors should treat it as undecided until then.
    pub fn awaiting_decision(&self) -> bool {
        self.rare().scheduled_decision.is_some()
    }

    /// Its rare fields (all unset unless one was set).
    pub fn rare(&self) -> &Rare {
        self.rare.as_deref().unwrap_or(&NO_RARE)
    }

    /// Its rare fields to set (boxed on first use: set `None`s through [`Inquiry::rare_if_any`]).
    pub fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Its rare fields to clear, if it has any.
    pub fn rare_if_any(&mut self) -> Option<&mut Rare> {
        self.rare.as_deref_mut()
    }
}

/// A decision a scenario took for later (see `Rare::scheduled_decision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledDecision {
    pub to: InquiryStatus,
    pub due_at: Millis,
}

/// One recorded event: the inquiry as it was when it happened. The snapshot is shared with the
/// inquiry (and other events) until one of them changes: an inquiry is changed through
/// `Arc::make_mut`, which copies it only while an event still holds the old version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub id: Id,
    /// Persona's event names are fixed; a loaded state file's are owned.
    pub name: Cow<'static, str>,
    /// The inquiry at that moment. Events are kept for good, so they keep this snapshot (about
    /// 1.5 KB unless shared) and render the payload (`{"data": <inquiry>, "included": []}`)
    /// when asked: a rendered `serde_json::Value` tree of it takes about 22 KB. A state file
    /// keeps a copy per event (sharing is not saved). `None` for an account event.
    pub inquiry: Option<Arc<Inquiry>>,
    /// The account at that moment, for an account event (`account.created`...).
    #[serde(default)]
    pub account: Option<Arc<Account>>,
    pub created_at: Millis,
}

impl Event {
    /// The id of the object it is about (`filter[object-id]`).
    pub fn object_id(&self) -> &str {
        match (&self.inquiry, &self.account) {
            (Some(inquiry), _) => &inquiry.id,
            (None, Some(account)) => &account.id,
            (None, None) => "",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// What falls due for an inquiry at a moment. At one moment an inquiry's scheduled decision comes
/// before its expiry (the derived order), and inquiries go oldest first (the key's position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Due {
    Decision,
    Expiry,
}

/// Persona's data in one namespace. The state file keeps the entities; the indexes and due
/// queues are derived ([`State::rebuild_indexes`] after a load).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub webhooks: webhooks::Subscriptions,
    pub(super) inquiries: Vec<Arc<Inquiry>>,
    /// Positions in `inquiries` by id (read from the inquiries), as for events and accounts.
    #[serde(skip)]
    pub(super) inquiry_index: PositionIndex,
    pub(super) events: Vec<Event>,
    #[serde(skip)]
    pub(super) event_index: PositionIndex,
    pub(super) share_tokens: Vec<ShareToken>,
    #[serde(skip)]
    pub(super) share_token_index: ShardedMap<String, usize>,
    #[serde(default)]
    pub(super) accounts: Vec<Arc<Account>>,
    /// Answers kept under their `Idempotency-Key` (a file without them has none).
    #[serde(default)]
    pub(super) idempotency: super::idempotency::Keys,
    /// One-time link codes (`/verify?code=…`).
    #[serde(default)]
    pub(super) one_time_links: ShardedMap<String, OneTimeLink>,
    #[serde(skip)]
    pub(super) account_index: PositionIndex,
    /// Reference id → notes (in `account_reference_notes`) of the accounts that were given it, so
    /// finding the account of an inquiry's reference id does not scan every account. 12 bytes an
    /// account, no copy of the reference: a note is read through its account, so one made stale
    /// by a PATCH of the reference is not found under the old one.
    #[serde(skip)]
    pub(super) account_reference_index: PositionIndex,
    /// The position of the account each note is about, in the order they were made (an account
    /// noted again, by a PATCH, is the newest for that reference). Saved, so a restart keeps
    /// which account is the newest (a file without it gives creation order).
    #[serde(default)]
    pub(super) account_reference_notes: Vec<u32>,
    /// Verification id → position of its inquiry (verifications live on their inquiry, so an
    /// event's snapshot carries them as they were).
    #[serde(skip)]
    pub(super) verification_index: ShardedMap<String, usize>,
    /// `api_…` id standing for the API key in this namespace (share-token `creator`).
    pub(super) api_key_id: Option<String>,
    /// `(due at, inquiry position, what)`: every pending expiry and scheduled decision, so
    /// `settle` takes only what is due instead of scanning every inquiry. An entry is stale once
    /// the inquiry moved on (checked when it is taken); it is then dropped.
    #[serde(skip)]
    inquiry_due: BTreeSet<(Millis, usize, Due)>,
    /// `(due at, share token position)`: redemptions to finish and expiries.
    #[serde(skip)]
    pub(super) share_token_due: BTreeSet<(Millis, usize)>,
    /// The last redirect URI and tags, shared by the inquiries created with the same.
    #[serde(skip)]
    pub(super) shared: super::shared::Shared,
}

impl State {
    pub fn new(_config: &Config) -> Self {
        Self::default()
    }

    /// The position of inquiry `id` in `inquiries`.
    pub(super) fn inquiry_position(&self, id: &str) -> Option<usize> {
        let inquiries = &self.inquiries;
        (self.inquiry_index).get(id, |p| &*inquiries[p].id)
    }

    pub fn inquiry(&self, id: &str) -> Option<&Inquiry> {
        self.inquiry_position(id).map(|i| &*self.inquiries[i])
    }

    /// The inquiry to change: copied first if an event still shares this version of it.
    pub(super) fn inquiry_mut(&mut self, id: &str) -> Option<&mut Inquiry> {
        (self.inquiry_position(id)).map(|i| Arc::make_mut(&mut self.inquiries[i]))
    }

    /// The inquiry as it is now, shared (what an event keeps).
    pub(super) fn inquiry_snapshot(&self, id: &str) -> Option<Arc<Inquiry>> {
        (self.inquiry_position(id)).map(|i| Arc::clone(&self.inquiries[i]))
    }

    /// Every inquiry, oldest first.
    /// Gives each inquiry the redirect URI `rewrite` answers for it, if any: a loaded state's
    /// URIs that named the server that saved them.
    pub fn rewrite_redirects(&mut self, rewrite: impl Fn(&Inquiry) -> Option<String>) {
        for inquiry in &mut self.inquiries {
            if let Some(uri) = rewrite(inquiry) {
                Arc::make_mut(inquiry).redirect_uri = Some(self.shared.redirect(&uri));
            }
        }
    }

    pub fn inquiries(&self) -> &[Arc<Inquiry>] {
        &self.inquiries
    }

    pub(super) fn insert_inquiry(&mut self, inquiry: Arc<Inquiry>) {
        let position = self.inquiries.len();
        self.inquiries.push(inquiry);
        let inquiries = &self.inquiries;
        let id = &*inquiries[position].id;
        (self.inquiry_index).insert(id, position, |p| &*inquiries[p].id);
        self.note_inquiry_due_at(position);
    }

    /// Rebuilds every lookup derived from the inquiries, events and share tokens: the id indexes
    /// and the queues of due changes (after a load from a saved state, which need not keep them).
    pub fn rebuild_indexes(&mut self) {
        self.idempotency.rebuild_order();
        self.inquiry_index.clear();
        let inquiries = &self.inquiries;
        for (position, inquiry) in inquiries.iter().enumerate() {
            (self.inquiry_index).insert(&*inquiry.id, position, |p| &*inquiries[p].id);
        }
        self.event_index.clear();
        let events = &self.events;
        for (position, event) in events.iter().enumerate() {
            (self.event_index).insert(&*event.id, position, |p| &*events[p].id);
        }
        self.account_index.clear();
        let accounts = &self.accounts;
        for (position, account) in accounts.iter().enumerate() {
            (self.account_index).insert(&*account.id, position, |p| &*accounts[p].id);
        }
        // Noted again, each account once, in the order of its last note: the newest for each
        // reference stays the newest, and stale notes are dropped.
        self.account_reference_index.clear();
        let saved = std::mem::take(&mut self.account_reference_notes);
        let mut last_note = vec![None; self.accounts.len()];
        for (note, &position) in saved.iter().enumerate() {
            if let Some(last) = last_note.get_mut(position as usize) {
                *last = Some(note);
            }
        }
        let mut order: Vec<usize> = (0..self.accounts.len()).collect();
        order.sort_by_key(|&position| last_note[position]); // stable: never noted, by creation
        for position in order {
            let accounts = &self.accounts;
            if let Some(reference) = accounts[position].reference_id.clone() {
                self.file_account_reference(&reference, position);
            }
        }
        self.verification_index.clear();
        for (position, inquiry) in self.inquiries.iter_mut().enumerate() {
            let inquiry = Arc::make_mut(inquiry);
            inquiry.redirect_uri =
                (inquiry.redirect_uri.as_deref()).map(|u| self.shared.redirect(u));
            inquiry.tags = self.shared.tags(inquiry.tags.as_slice());
            for verification in &mut inquiry.verifications {
                if verification.inquiry_id.is_empty() {
                    verification.inquiry_id = inquiry.id.to_string();
                }
                self.verification_index
                    .insert(verification.id.clone(), position);
            }
        }
        self.share_token_index = (self.share_tokens.iter().enumerate())
            .map(|(i, token)| (token.id.clone(), i))
            .collect();
        self.inquiry_due.clear();
        for position in 0..self.inquiries.len() {
            self.note_inquiry_due_at(position);
        }
        let redemption_ms = super::share_tokens::REDEMPTION_SECONDS * 1000;
        self.share_token_due = (self.share_tokens.iter().enumerate())
            .filter_map(|(position, token)| match token.status {
                ShareTokenStatus::Created => Some((token.expires_at, position)),
                ShareTokenStatus::Pending => token
                    .pending_at
                    .map(|at| (at.saturating_add(redemption_ms), position)),
                ShareTokenStatus::Redeemed | ShareTokenStatus::Expired => None,
            })
            .collect();
    }

    /// Keeps `schedule` on the inquiry: [`State::next_due_inquiry`] applies it when it is due.
    pub(super) fn schedule_decision(&mut self, id: &str, schedule: ScheduledDecision) {
        if let Some(inquiry) = self.inquiry_mut(id) {
            inquiry.rare_mut().scheduled_decision = Some(schedule);
        }
        self.note_inquiry_due(id);
    }

    /// Queues what the inquiry has pending (its expiry while `created` or `pending`, its
    /// scheduled decision). Called after every change of `expires_at` or `scheduled_decision`.
    pub(super) fn note_inquiry_due(&mut self, id: &str) {
        if let Some(position) = self.inquiry_position(id) {
            self.note_inquiry_due_at(position);
        }
    }

    /// [`State::note_inquiry_due`] of the inquiry at `position`.
    fn note_inquiry_due_at(&mut self, position: usize) {
        let Some(inquiry) = self.inquiries.get(position) else {
            return;
        };
        if let Some(decision) = inquiry.rare().scheduled_decision {
            self.inquiry_due
                .insert((decision.due_at, position, Due::Decision));
        }
        if let (Some(at), InquiryStatus::Created | InquiryStatus::Pending) =
            (inquiry.expires_at, inquiry.status)
        {
            self.inquiry_due.insert((at, position, Due::Expiry));
        }
    }

    /// Whether an inquiry or share token has something queued at or before `now` (maybe stale:
    /// then settling finds nothing to do).
    pub(super) fn has_due(&self, now: Millis) -> bool {
        let queued = |first: Option<Millis>| first.is_some_and(|at| at <= now);
        queued(self.inquiry_due.first().map(|d| d.0))
            || queued(self.share_token_due.first().map(|d| d.0))
    }

    /// When an inquiry or share token next has something queued (maybe stale: then settling
    /// finds nothing to do). Two lookups of a first entry: cheap enough for every change.
    pub fn next_due(&self) -> Option<Millis> {
        let inquiry = self.inquiry_due.first().map(|d| d.0);
        let token = self.share_token_due.first().map(|d| d.0);
        inquiry.into_iter().chain(token).min()
    }

    /// The earliest change due at `now` that still holds: `(due at, inquiry id, new status)`,
    /// taken off the queue. Stale entries on the way are dropped.
    pub(super) fn next_due_inquiry(
        &mut self,
        now: Millis,
    ) -> Option<(Millis, String, InquiryStatus)> {
        while let Some(&(at, position, due)) = self.inquiry_due.first()
            && at <= now
        {
            self.inquiry_due.pop_first();
            let Some(inquiry) = self.inquiries.get(position) else {
                continue;
            };
            let to = match due {
                Due::Decision => (inquiry.rare().scheduled_decision)
                    .filter(|d| d.due_at == at)
                    .map(|d| d.to),
                Due::Expiry => (matches!(
                    inquiry.status,
                    InquiryStatus::Created | InquiryStatus::Pending
                ) && inquiry.expires_at == Some(at))
                .then_some(InquiryStatus::Expired),
            };
            if let Some(to) = to {
                return Some((at, inquiry.id.to_string(), to));
            }
        }
        None
    }
}
