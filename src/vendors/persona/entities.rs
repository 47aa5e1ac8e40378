//! Persona's records besides inquiries and events: verifications (kept on their inquiry) and
//! accounts, and the lookups of those and of share tokens.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::model::{Inquiry, ShareToken, State};
use crate::clock::Millis;
use crate::ids::Id;

/// A verification's kind: its JSON:API type is `verification/<kind>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationKind {
    #[default]
    GovernmentId,
    Selfie,
    Database,
}

impl VerificationKind {
    /// The kinds an inquiry template runs, in the order the flow runs them.
    pub const FLOW: [VerificationKind; 3] = [
        VerificationKind::GovernmentId,
        VerificationKind::Selfie,
        VerificationKind::Database,
    ];

    /// The JSON:API type (`verification/government-id`).
    pub fn type_name(self) -> &'static str {
        match self {
            VerificationKind::GovernmentId => "verification/government-id",
            VerificationKind::Selfie => "verification/selfie",
            VerificationKind::Database => "verification/database",
        }
    }
}

/// A verification's status (the spec's `verification-shared-attributes.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    Initiated,
    Submitted,
    Passed,
    Failed,
}

impl VerificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::Initiated => "initiated",
            VerificationStatus::Submitted => "submitted",
            VerificationStatus::Passed => "passed",
            VerificationStatus::Failed => "failed",
        }
    }
}

/// One check a verification ran (`{name, status, reasons}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    /// `passed`, `failed` or `not_applicable`.
    pub status: String,
    pub reasons: Vec<String>,
}

/// A verification of an inquiry: made by the flow (one per kind of [`VerificationKind::FLOW`]
/// when the inquiry starts, passed or failed when it ends) or by a simulate action.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verification {
    pub id: String,
    pub status: VerificationStatus,
    /// The `vtmpl_` a simulate action named.
    pub template_id: Option<String>,
    #[serde(default)]
    pub kind: VerificationKind,
    #[serde(default)]
    pub inquiry_id: String,
    /// Made by the inquiry's flow (not a simulate action).
    #[serde(default)]
    pub from_flow: bool,
    #[serde(default)]
    pub checks: Vec<Check>,
    #[serde(default)]
    pub created_at: Millis,
    #[serde(default)]
    pub submitted_at: Option<Millis>,
    #[serde(default)]
    pub completed_at: Option<Millis>,
    /// What it extracted, as attributes (`name-first`, `birthdate`, ...), kebab-case.
    #[serde(default)]
    pub extracted: Map<String, Value>,
}

impl Verification {
    /// A finished verification with nothing extracted (a simulate action's).
    pub fn simple(id: String, passed: bool, template_id: Option<String>, at: Millis) -> Self {
        Verification {
            id,
            status: if passed {
                VerificationStatus::Passed
            } else {
                VerificationStatus::Failed
            },
            template_id,
            kind: VerificationKind::GovernmentId,
            inquiry_id: String::new(),
            from_flow: false,
            checks: Vec::new(),
            created_at: at,
            submitted_at: Some(at),
            completed_at: Some(at),
            extracted: Map::new(),
        }
    }
}

/// An account (`act_…`): the person behind inquiries with the same reference id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: Id,
    pub reference_id: Option<String>,
    /// Plain values keyed by the account's attribute names (`name-first`, `birthdate`,
    /// `country-code`, ...).
    pub fields: Map<String, Value>,
    pub tags: Vec<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub redacted_at: Option<Millis>,
}

impl Account {
    /// Removes what redaction removes: its fields.
    pub(super) fn scrub(&mut self) {
        self.fields.clear();
    }
}

/// A one-time link's code (`/verify?code=…`): opens its inquiry's hosted flow once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneTimeLink {
    pub inquiry_id: String,
    pub expires_at: Millis,
    pub used: bool,
}

/// Lookups of accounts and verifications (the rest of [`State`] is in `model.rs`).
impl State {
    /// The position of account `id` in `accounts`.
    pub(super) fn account_position(&self, id: &str) -> Option<usize> {
        let accounts = &self.accounts;
        (self.account_index).get(id, |p| &*accounts[p].id)
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.account_position(id).map(|i| &*self.accounts[i])
    }

    /// The account to change: copied first if an event still shares this version of it.
    pub(super) fn account_mut(&mut self, id: &str) -> Option<&mut Account> {
        (self.account_position(id)).map(|i| Arc::make_mut(&mut self.accounts[i]))
    }

    /// The account as it is now, shared (what an event keeps).
    pub(super) fn account_snapshot(&self, id: &str) -> Option<Arc<Account>> {
        (self.account_position(id)).map(|i| Arc::clone(&self.accounts[i]))
    }

    /// Every account, oldest first.
    pub fn accounts(&self) -> &[Arc<Account>] {
        &self.accounts
    }

    /// The newest unredacted account with `reference_id`.
    pub fn account_by_reference(&self, reference_id: &str) -> Option<&Account> {
        let (notes, accounts) = (&self.account_reference_notes, &self.accounts);
        let account_at = |note: usize| noted_account(notes, accounts, note);
        // The account noted last among those that have it now and are not redacted.
        (self.account_reference_index)
            .get_all(Some(reference_id), |note| {
                noted_reference(notes, accounts, note)
            })
            .filter(|&note| account_at(note).is_some_and(|a| a.redacted_at.is_none()))
            .max()
            .and_then(account_at)
    }

    pub(super) fn insert_account(&mut self, account: Arc<Account>) {
        let position = self.accounts.len();
        if let Some(reference) = &account.reference_id {
            // A new account: no older note of its own to replace.
            self.file_account_reference(reference, position);
        }
        self.accounts.push(account);
        let accounts = &self.accounts;
        let id = &*accounts[position].id;
        (self.account_index).insert(id, position, |p| &*accounts[p].id);
    }

    /// Account `position` has (now) `reference` as its reference id.
    pub(super) fn note_account_reference(&mut self, reference: &str, position: usize) {
        let position = u32::try_from(position).expect("fewer than 2^32 accounts");
        let (notes, accounts) = (&self.account_reference_notes, &self.accounts);
        let newest = (self.account_reference_index)
            .get_all(Some(reference), |note| {
                noted_reference(notes, accounts, note)
            })
            .max();
        if newest.is_some_and(|note| notes.get(note) == Some(&position)) {
            // Already the account noted last for it: one more note would change no lookup, and
            // each PATCH repeating an account's reference id would add one.
            return;
        }
        // This account's older notes filed with `reference` go: the new one supersedes them (and
        // any other reference's that shares the hash is stale, the account has this one now), so
        // a reference's notes stay one an account however often PATCHes move it back and forth.
        let older: Vec<usize> = (self.account_reference_index)
            .filed(Some(reference))
            .filter(|&note| notes.get(note) == Some(&position))
            .collect();
        for note in older {
            (self.account_reference_index).remove_filed(Some(reference), note);
        }
        self.file_account_reference(reference, position as usize);
    }

    /// Notes account `position` under `reference`, as the newest, without looking for notes
    /// it replaces ([`State::note_account_reference`] does).
    pub(super) fn file_account_reference(&mut self, reference: &str, position: usize) {
        let position = u32::try_from(position).expect("fewer than 2^32 accounts");
        let note = self.account_reference_notes.len();
        self.account_reference_notes.push(position);
        (self.account_reference_index).insert_another(Some(reference), note);
    }

    /// Verification `id` and the inquiry it belongs to.
    pub fn verification(&self, id: &str) -> Option<(&Verification, &Inquiry)> {
        let inquiry = self.inquiries.get(*self.verification_index.get(id)?)?;
        let verification = inquiry.verifications.iter().find(|v| v.id == id)?;
        Some((verification, inquiry))
    }

    /// Adds `verification` to inquiry `inquiry_id` (nothing if there is no such inquiry).
    pub(super) fn add_verification(&mut self, inquiry_id: &str, mut verification: Verification) {
        let Some(position) = self.inquiry_position(inquiry_id) else {
            return;
        };
        verification.inquiry_id = inquiry_id.to_string();
        self.verification_index
            .insert(verification.id.clone(), position);
        Arc::make_mut(&mut self.inquiries[position])
            .verifications
            .push(verification);
    }
}

/// The account note `note` is about.
fn noted_account<'a>(
    notes: &[u32],
    accounts: &'a [Arc<Account>],
    note: usize,
) -> Option<&'a Account> {
    Some(&**accounts.get(*notes.get(note)? as usize)?)
}

/// That account's reference id now (a note made stale by a later PATCH no longer matches it).
fn noted_reference<'a>(
    notes: &[u32],
    accounts: &'a [Arc<Account>],
    note: usize,
) -> Option<&'a str> {
    noted_account(notes, accounts, note)?
        .reference_id
        .as_deref()
}

/// Lookups of share tokens and their due queue.
impl State {
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
        let position = self.share_tokens.len();
        self.share_token_index.insert(token.id.clone(), position);
        self.share_token_due.insert((token.expires_at, position));
        self.share_tokens.push(token);
    }

    /// Something happens to share token `id` at `at` (its redemption finishes).
    pub(super) fn note_share_token_due(&mut self, id: &str, at: Millis) {
        if let Some(&position) = self.share_token_index.get(id) {
            self.share_token_due.insert((at, position));
        }
    }

    /// When the first share token change due at or before `now` falls due, if one does.
    pub(super) fn next_share_token_due(&self, now: Millis) -> Option<Millis> {
        (self.share_token_due.first())
            .map(|&(at, _)| at)
            .filter(|&at| at <= now)
    }

    /// Share tokens with something due at `now`, taken off the queue (a position may repeat).
    pub(super) fn take_due_share_tokens(&mut self, now: Millis) -> Vec<usize> {
        let mut due = Vec::new();
        while let Some(&(at, position)) = self.share_token_due.first()
            && at <= now
        {
            self.share_token_due.pop_first();
            due.push(position);
        }
        due
    }

    pub(super) fn share_token_at_mut(&mut self, position: usize) -> Option<&mut ShareToken> {
        self.share_tokens.get_mut(position)
    }
}
