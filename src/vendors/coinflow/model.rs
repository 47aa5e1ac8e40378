//! Coinflow's data in one namespace: withdrawers, their verification, and how they render.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::{Caller, merchant_object_id};
use super::payout_model::{AccountKind, BankAccount, Card, Payout, PayoutEnd, PayoutStatus};
use super::scenario::{ScenarioHold, Until};
use crate::clock::{Millis, iso8601};

/// The personal details Coinflow needs before a withdrawer can be paid out, by the names of
/// its KYC bodies, with the Persona inquiry field each one is taken from and a form label.
/// (The docs do not list what "missing fields" means; this is the US KYC `info` body minus
/// `email`, which registration already has, and the optional `ssn`.)
pub const REQUIRED_FIELDS: [RequiredField; 8] = [
    RequiredField::new("firstName", "name-first", "First name"),
    RequiredField::new("surName", "name-last", "Last name"),
    RequiredField::new("dob", "birthdate", "Date of birth (YYYY-MM-DD)"),
    RequiredField::new("physicalAddress", "address-street-1", "Street address"),
    RequiredField::new("city", "address-city", "City"),
    RequiredField::new("state", "address-subdivision", "State / region"),
    RequiredField::new("zip", "address-postal-code", "Postal code"),
    RequiredField::new("country", "address-country-code", "Country (2-letter code)"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequiredField {
    pub name: &'static str,
    pub persona_field: &'static str,
    pub label: &'static str,
}

impl RequiredField {
    const fn new(name: &'static str, persona_field: &'static str, label: &'static str) -> Self {
        Self {
            name,
            persona_field,
            label,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VerificationStatus {
    Pending,
    Approved,
    Rejected,
    Attested,
}

impl VerificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Attested => "attested",
        }
    }
}

/// How a withdrawer was registered, which decides how its verification finishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// `/kyc/share-token`: Coinflow's own inquiry (`destination`) receives the source inquiry's
    /// data through the redeemed share token.
    ShareToken {
        token_id: String,
        source_inquiry_id: String,
        destination: String,
    },
    /// `/kyc` with the US `info` body: checked at once.
    UsInfo,
    /// `/kyc` with the document-verification body: finished on the verification page.
    Document,
    /// `/kyc/attested`: the merchant vouches for the data.
    Attested,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Withdrawer {
    /// 24 hex digits, like Coinflow's Mongo ObjectIds.
    pub id: String,
    pub merchant_key: String,
    pub merchant_id: String,
    pub user_id: Option<String>,
    pub wallet: String,
    pub blockchain: String,
    pub email: String,
    pub status: VerificationStatus,
    pub method: Method,
    /// Personal details known so far, by [`REQUIRED_FIELDS`] name (plus `ssn` when given).
    pub details: BTreeMap<String, String>,
    /// The details were completed on the verification page.
    pub details_submitted: bool,
    /// Why the verification ended `rejected`.
    pub rejection_reason: Option<String>,
    /// Unguessable part of the verification page URL.
    pub page_token: String,
    pub created_ms: Millis,
    pub updated_ms: Millis,
    /// The outcome the active scenario gave the registration (see `scenario`), or a reviewer's
    /// approval waiting for the required fields.
    pub scenario: Option<ScenarioHold>,
    /// When a Get Withdrawer rule's `after_seconds` falls due for this withdrawer.
    pub steer_due_ms: Option<Millis>,
    /// Where the user goes after verifying (`redirectLink` of the registration body).
    #[serde(default)]
    pub redirect_link: Option<String>,
    /// Payout methods, deleted ones kept (marked) so old payouts still name them.
    #[serde(default)]
    pub bank_accounts: Vec<BankAccount>,
    #[serde(default)]
    pub cards: Vec<Card>,
    /// The identity document uploaded to `POST /api/withdraw/kyc-doc`: its verification is then
    /// a reviewer's to decide.
    #[serde(default)]
    pub documents: Option<IdDocument>,
}

/// An identity document as `kyc-doc` received it. The images are not kept (only what shows
/// they arrived): nothing in the sandbox reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdDocument {
    /// `ID_CARD`, `PASSPORT`, `DRIVERS` or `RESIDENCE_PERMIT`.
    pub id_type: String,
    /// The country the body named, the document's.
    pub country: String,
    pub front: DocumentFile,
    pub back: Option<DocumentFile>,
    pub uploaded_ms: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFile {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: usize,
    /// Hex SHA-256 of the file, so a test can tell which file arrived.
    pub sha256: String,
}

impl Withdrawer {
    pub fn owned_by(&self, caller: &Caller) -> bool {
        self.merchant_key == caller.merchant.key
            && self.wallet == caller.wallet
            && self.blockchain == caller.blockchain
    }

    /// The required fields not known yet.
    pub fn missing_fields(&self) -> Vec<&'static RequiredField> {
        REQUIRED_FIELDS
            .iter()
            .filter(|f| self.details.get(f.name).is_none_or(|v| v.trim().is_empty()))
            .collect()
    }

    /// Coinflow's `reference` of the verification: the receiving inquiry of a share token,
    /// otherwise a reference derived from the withdrawer.
    fn reference(&self) -> String {
        match &self.method {
            Method::ShareToken { destination, .. } => destination.clone(),
            _ => format!("kyc_{}", self.id),
        }
    }

    /// The spec's `Verification`. Its status enum has no `attested`: an attested withdrawer is
    /// `approved` with `attested: true`.
    pub fn verification_json(&self) -> Value {
        let status = match self.status {
            VerificationStatus::Attested => "approved",
            other => other.as_str(),
        };
        let mut v = json!({
            "reference": self.reference(),
            "status": status,
            "vendor": "persona",
            "attested": self.status == VerificationStatus::Attested,
        });
        if let (Method::ShareToken { token_id, .. }, Value::Object(map)) = (&self.method, &mut v) {
            map.insert("shareToken".into(), json!(token_id));
        }
        v
    }

    /// The spec's `IWithdrawer`: what every withdrawer body has.
    pub fn base_json(&self) -> Value {
        json!({
            "_id": self.id,
            "wallet": self.wallet,
            "blockchain": self.blockchain,
            "wallets": [{"wallet": self.wallet, "blockchain": self.blockchain}],
            "email": self.email,
            "availability": {
                "status": "Functional",
                "reason": "",
                "editor": "",
                "updatedAt": iso8601(self.created_ms),
            },
            "currency": "USD",
            "originalCurrency": "USD",
            "merchant": merchant_object_id(&self.merchant_id),
            "verification": self.verification_json(),
            "riskScoreOverride": false,
            // Unknown until the KYC data says: Coinflow's default market.
            "country": self.details.get("country").map_or("US", String::as_str),
            "createdAt": iso8601(self.created_ms),
            "updatedAt": iso8601(self.updated_ms),
        })
    }

    /// What the registration routes answer: `{withdrawer: IBackwardUser}`.
    pub fn summary_json(&self) -> Value {
        let mut w = self.base_json();
        if let Value::Object(map) = &mut w {
            map.insert("user".into(), json!(true));
            map.insert("watchlistExempt".into(), json!("Unknown"));
        }
        json!({ "withdrawer": w })
    }

    /// The full withdrawer of Get Withdrawer and the payout-method routes:
    /// `{withdrawer: IWithdrawerWithAccounts}`.
    pub fn full_json(&self) -> Value {
        let mut w = self.base_json();
        if let Value::Object(map) = &mut w {
            let extra = json!({
                "user": true,
                "bankAccounts": self.bank_accounts_json(),
                "cards": self.cards_json(),
                "ibans": [],
                "pixes": [],
                "efts": [],
                "p2cAvailable": true,
                "applePayAvailable": false,
                "bankCurrencyOptions": ["USD"],
                "freeWithdrawSpeeds": [],
            });
            if let Value::Object(extra) = extra {
                map.extend(extra);
            }
        }
        json!({ "withdrawer": w })
    }

    fn bank_accounts_json(&self) -> Value {
        self.bank_accounts
            .iter()
            .filter(|a| !a.deleted)
            .map(BankAccount::to_json)
            .collect()
    }

    fn cards_json(&self) -> Value {
        self.cards
            .iter()
            .filter(|c| !c.deleted)
            .map(Card::to_json)
            .collect()
    }

    /// Verified: payouts may go to it (`approved` or `attested`).
    pub fn verified(&self) -> bool {
        matches!(
            self.status,
            VerificationStatus::Approved | VerificationStatus::Attested
        )
    }

    /// The live payout method with `token`.
    pub fn account(&self, token: &str) -> Option<AccountKind> {
        if self
            .bank_accounts
            .iter()
            .any(|a| !a.deleted && a.token == token)
        {
            Some(AccountKind::Bank)
        } else if self.cards.iter().any(|c| !c.deleted && c.token == token) {
            Some(AccountKind::Card)
        } else {
            None
        }
    }
}

pub use crate::config::DEFAULT_PAYOUT_BALANCE_CENTS;

fn default_balance() -> i64 {
    DEFAULT_PAYOUT_BALANCE_CENTS
}

/// Coinflow's data in one namespace.
#[derive(Debug, Serialize, Deserialize)]
pub struct State {
    withdrawers: Vec<Withdrawer>,
    /// Session keys: the caller each was issued to, and when it expires.
    sessions: HashMap<String, (Caller, Millis)>,
    /// Payout balance per merchant key, in cents; a merchant not here has
    /// `starting_balance_cents`.
    #[serde(default)]
    balances: BTreeMap<String, i64>,
    /// The balance a merchant starts with (`--coinflow-payout-balance-cents`, or a scenario's
    /// `initial_state.coinflow.payout_balance_cents`).
    #[serde(default = "default_balance")]
    pub starting_balance_cents: i64,
    #[serde(default)]
    pub payouts: Vec<Payout>,
    /// No later than the next moment a payout or a registration's scenario hold falls due
    /// (`Millis::MAX`: none), so the server's settler knows without scanning. Lowered as they
    /// are made, made exact by [`State::refresh_due`] when settling and after a load.
    #[serde(skip, default = "no_due")]
    due_bound: Millis,
}

fn no_due() -> Millis {
    Millis::MAX
}

impl Default for State {
    fn default() -> Self {
        Self {
            withdrawers: Vec::new(),
            sessions: HashMap::new(),
            balances: BTreeMap::new(),
            starting_balance_cents: DEFAULT_PAYOUT_BALANCE_CENTS,
            payouts: Vec::new(),
            due_bound: Millis::MAX,
        }
    }
}

impl State {
    /// Merchant `key`'s payout balance in cents.
    pub fn balance(&self, key: &str) -> i64 {
        self.balances
            .get(key)
            .copied()
            .unwrap_or(self.starting_balance_cents)
    }

    /// Every merchant balance that moved, by merchant key.
    pub fn balances(&self) -> &BTreeMap<String, i64> {
        &self.balances
    }

    /// Adds `cents` (negative: debits) to merchant `key`'s balance.
    pub fn credit(&mut self, key: &str, cents: i64) {
        let balance = self.balance(key) + cents;
        self.balances.insert(key.to_string(), balance);
    }

    /// The withdrawer of merchant `key` whose user id is `user_id`.
    pub fn by_user(&self, key: &str, user_id: &str) -> Option<usize> {
        self.withdrawers
            .iter()
            .position(|w| w.merchant_key == key && w.user_id.as_deref() == Some(user_id))
    }

    pub fn session(&self, key: &str) -> Option<&(Caller, Millis)> {
        self.sessions.get(key)
    }

    pub fn add_session(&mut self, key: String, caller: Caller, expires: Millis) {
        self.sessions.insert(key, (caller, expires));
    }

    pub fn find(&self, caller: &Caller) -> Option<usize> {
        self.withdrawers.iter().position(|w| w.owned_by(caller))
    }

    /// The caller's withdrawer, claiming a scenario's pre-existing one on first contact: the
    /// seed with the caller's user id, or (`email` given, a registration) a seed without user
    /// id that has this email.
    pub fn find_or_claim(&mut self, caller: &Caller, email: Option<&str>) -> Option<usize> {
        if let Some(index) = self.find(caller) {
            return Some(index);
        }
        let index = self.withdrawers.iter().position(|w| {
            w.merchant_key.is_empty()
                && match (&w.user_id, &caller.user_id, email) {
                    (Some(seed), Some(user), _) => seed == user,
                    (None, _, Some(email)) => w.email.eq_ignore_ascii_case(email),
                    _ => false,
                }
        })?;
        let w = &mut self.withdrawers[index];
        w.merchant_key = caller.merchant.key.clone();
        w.merchant_id = caller.merchant.id.clone();
        w.user_id = caller.user_id.clone();
        w.wallet = caller.wallet.clone();
        w.blockchain = caller.blockchain.clone();
        Some(index)
    }

    pub fn by_page_token(&self, token: &str) -> Option<usize> {
        self.withdrawers.iter().position(|w| w.page_token == token)
    }

    /// Another withdrawer of the same merchant already uses `email` (compared case-insensitively).
    pub fn email_taken(&self, caller: &Caller, email: &str) -> bool {
        self.withdrawers.iter().any(|w| {
            w.merchant_key == caller.merchant.key
                && !w.owned_by(caller)
                && w.email.eq_ignore_ascii_case(email)
        })
    }

    /// Withdrawers whose share token came from `inquiry_id`.
    pub fn backed_by_inquiry(&self, inquiry_id: &str) -> Vec<usize> {
        (0..self.withdrawers.len())
            .filter(|&i| {
                matches!(&self.withdrawers[i].method,
                    Method::ShareToken { source_inquiry_id, .. } if source_inquiry_id == inquiry_id)
            })
            .collect()
    }

    pub fn get(&self, index: usize) -> Option<&Withdrawer> {
        self.withdrawers.get(index)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut Withdrawer> {
        self.withdrawers.get_mut(index)
    }

    pub fn insert(&mut self, withdrawer: Withdrawer) -> usize {
        if let Some(at) = hold_due(&withdrawer) {
            self.due_bound = self.due_bound.min(at);
        }
        self.withdrawers.push(withdrawer);
        self.withdrawers.len() - 1
    }

    pub fn all(&self) -> &[Withdrawer] {
        &self.withdrawers
    }

    /// Keeps a new payout; its settlement is due at `due_ms` unless it stays pending.
    pub fn add_payout(&mut self, payout: Payout) {
        if payout.end != PayoutEnd::StayPending {
            self.due_bound = self.due_bound.min(payout.due_ms);
        }
        self.payouts.push(payout);
    }

    /// No later than the next moment a payout or a scenario hold falls due (see the field).
    pub fn next_due(&self) -> Option<Millis> {
        (self.due_bound != Millis::MAX).then_some(self.due_bound)
    }

    /// The next moment a pending payout or a pending withdrawer's timed hold falls due, after a
    /// settle at `now` or a load. A hold already due that keeps its withdrawer pending (a review,
    /// missing fields) has nothing more to do on the clock.
    pub fn refresh_due(&mut self, now: Millis) {
        let payouts = (self.payouts.iter())
            .filter(|p| p.status == PayoutStatus::Pending && p.end != PayoutEnd::StayPending)
            .map(|p| p.due_ms);
        let holds = (self.withdrawers.iter().filter_map(hold_due)).filter(|&at| at > now);
        self.due_bound = payouts.chain(holds).min().unwrap_or(Millis::MAX);
    }
}

/// When a pending withdrawer's registration hold falls due on the clock, if it waits for a time.
fn hold_due(w: &Withdrawer) -> Option<Millis> {
    match w.scenario.as_ref()?.until {
        Until::Time(at) if w.status == VerificationStatus::Pending => Some(at),
        _ => None,
    }
}
