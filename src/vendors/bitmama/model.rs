//! Bitmama's data in one namespace: partners (one per API key), their card users, cards,
//! transactions and wallet. Money is kept in integer cents; the API shows dollars.

mod card_user;
mod id_forms;
mod links;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

pub use card_user::{CardUser, CardUserFields};
pub use id_forms::IdForms;
use links::Links;

use super::idempotency::IdempotencyKeys;
use crate::clock::Millis;
use crate::collections::{KeyedHash, Lowercase, PositionIndex, ShardedMap, ShardedSet};

/// Bitmama's data in one namespace. Saved with the links as `inquiries` (`links.rs`).
#[derive(Debug, Default, Deserialize)]
pub struct State {
    /// Partners by API key: everything a partner owns is only reachable with its key. Added
    /// through [`State::partner`] only (it numbers them for the links); never removed.
    /// hashbrown's map for `entry_ref`, which finds a partner by `&str` with one hash and copies
    /// the key only for a new one (every partner call looks its partner up).
    pub partners: hashbrown::HashMap<String, Partner, KeyedHash>,
    /// Persona inquiry id to the card user it verifies, derived from the users' own inquiry
    /// ids ([`State::inquiry_link`]). A saved `inquiries` map is rebuilt from the users.
    #[serde(skip)]
    links: Links,
    /// The partners' slugs, so a new partner's is unique (derived from `partners`).
    #[serde(skip)]
    slugs: std::collections::HashSet<String>,
    /// A new partner's wallet balance when no scenario seeds it (`--bitmama-balance`).
    pub starting_balance_cents: i64,
    /// The forms of the ids it issues: the configuration's, also for a world loaded from the
    /// state file ([`State::configure`]).
    #[serde(skip)]
    pub id_forms: IdForms,
}

impl State {
    /// Partners are created on first use ([`super::scenario::ensure_partner`]).
    pub fn new(config: &crate::config::Config) -> Self {
        let mut state = Self {
            starting_balance_cents: config.bitmama.starting_balance_cents,
            ..Self::default()
        };
        state.configure(config);
        state
    }

    /// What the running configuration decides of a new or loaded world: the forms of its ids.
    pub fn configure(&mut self, config: &crate::config::Config) {
        self.id_forms = IdForms::of(config.bitmama.webhook_style);
    }

    /// Rebuilds every partner's derived lookups (after a load from the state file).
    pub fn rebuild_indexes(&mut self) {
        self.links = Links::default();
        self.slugs = self.partners.values().map(|p| p.slug.clone()).collect();
        for (api_key, partner) in &mut self.partners {
            partner.number = self.links.add_partner(api_key);
            partner.rebuild_indexes();
            self.links.file_partner(partner);
        }
    }

    /// The partner behind `api_key`, created on first use with the configured wallet balance.
    pub fn partner(&mut self, api_key: &str, starting_balance_cents: i64) -> &mut Partner {
        let (links, slugs) = (&mut self.links, &mut self.slugs);
        self.partners.entry_ref(api_key).or_insert_with(|| {
            let slug = unused_slug(slugs, super::auth::partner_slug(api_key));
            slugs.insert(slug.clone());
            let mut partner = Partner::new(slug, starting_balance_cents);
            partner.number = links.add_partner(api_key);
            partner
        })
    }
}

/// `slug`, or `slug` with the first number from 2 that makes it unique: `partnerId` names one
/// partner, and `sk_staging_acme` and `sk_live_acme` are two.
fn unused_slug(taken: &std::collections::HashSet<String>, slug: String) -> String {
    if !taken.contains(&slug) {
        return slug;
    }
    (2u32..)
        .map(|n| format!("{slug}{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(slug)
}

/// The state file keeps the entities; the lookups are derived ([`Partner::rebuild_indexes`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct Partner {
    /// Shown as `partnerId` and used in every service id (`{slug}-rain-user-…`, [`IdForms`]).
    pub slug: String,
    pub balance_cents: i64,
    /// In creation order. Private: the indexes below follow every change ([`Partner::add_user`],
    /// [`Partner::remove_user`]).
    users: Vec<CardUser>,
    /// `serviceId` to its position in `users` (the ids are read from `users`).
    #[serde(skip)]
    user_index: PositionIndex,
    /// Emails of `users`, lowercased, to their position: one email is one user per partner,
    /// whatever its case.
    #[serde(skip)]
    emails: PositionIndex,
    /// The users' current Persona inquiry ids (seeded users have none) to their position.
    #[serde(skip)]
    inquiry_index: PositionIndex,
    /// Where this partner's API key is in the links' list ([`State::partner`]).
    #[serde(skip)]
    number: u32,
    /// In creation order; cards are terminated, never removed.
    cards: Vec<Card>,
    /// `serviceCardId` to its position in `cards`.
    #[serde(skip)]
    card_index: ShardedMap<String, usize>,
    /// In creation order.
    pub transactions: Vec<Transaction>,
    pub idempotency: IdempotencyKeys,
    /// Set by `POST /v1/partner/profile/webhook`.
    pub webhook: Option<PartnerWebhook>,
    /// Set by `POST /v1/partner/profile/redirect-url`.
    pub redirect_url: Option<String>,
    /// Lowercased emails of deleted users that were not approved: re-creating them is free.
    pub fee_waived_emails: ShardedSet<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerWebhook {
    pub url: String,
    pub secret: String,
}

impl Partner {
    fn new(slug: String, balance_cents: i64) -> Self {
        Self {
            slug,
            balance_cents,
            users: Vec::new(),
            user_index: PositionIndex::default(),
            emails: PositionIndex::default(),
            inquiry_index: PositionIndex::default(),
            number: 0,
            cards: Vec::new(),
            card_index: ShardedMap::default(),
            transactions: Vec::new(),
            idempotency: IdempotencyKeys::default(),
            webhook: None,
            redirect_url: None,
            fee_waived_emails: ShardedSet::default(),
        }
    }

    /// Rebuilds the lookups derived from `users`, `cards` and the idempotency keys (after the
    /// partner was loaded from a saved state, which need not keep them).
    pub fn rebuild_indexes(&mut self) {
        self.user_index.clear();
        self.emails.clear();
        self.inquiry_index.clear();
        for (position, user) in self.users.iter().enumerate() {
            let users = &self.users;
            (self.user_index).insert(user.service_id(), position, |p| users[p].service_id());
            (self.emails).insert(Lowercase(user.email()), position, |p| {
                Lowercase(users[p].email())
            });
        }
        for position in 0..self.users.len() {
            self.file_inquiry(position);
        }
        self.card_index = (self.cards.iter().enumerate())
            .map(|(i, c)| (c.service_card_id.clone(), i))
            .collect();
        self.idempotency.rebuild_order();
    }

    /// Every card user, oldest first.
    pub fn users(&self) -> &[CardUser] {
        &self.users
    }

    /// The position of user `service_id` in `users`.
    fn user_position(&self, service_id: &str) -> Option<usize> {
        let users = &self.users;
        (self.user_index).get(service_id, |p| users[p].service_id())
    }

    pub fn user(&self, service_id: &str) -> Option<&CardUser> {
        self.user_position(service_id).map(|i| &self.users[i])
    }

    /// The user to change. Its `service_id` and `email` are keys of the indexes: leave them.
    pub fn user_mut(&mut self, service_id: &str) -> Option<&mut CardUser> {
        self.user_position(service_id).map(|i| &mut self.users[i])
    }

    pub fn has_email(&self, email: &str) -> bool {
        let users = &self.users;
        (self.emails)
            .get(Lowercase(email), |p| Lowercase(users[p].email()))
            .is_some()
    }

    /// Adds a user the caller has checked ([`Partner::has_email`] is false for its email).
    pub fn add_user(&mut self, user: CardUser) {
        let position = self.users.len();
        self.users.push(user);
        let (users, user) = (&self.users, &self.users[position]);
        (self.user_index).insert(user.service_id(), position, |p| users[p].service_id());
        (self.emails).insert(Lowercase(user.email()), position, |p| {
            Lowercase(users[p].email())
        });
    }

    /// Removes a user, keeping creation order for the others.
    pub fn remove_user(&mut self, service_id: &str) -> Option<CardUser> {
        let index = self.user_position(service_id)?;
        let users = &self.users;
        (self.user_index).remove(service_id, |p| users[p].service_id());
        let email = Lowercase(users[index].email());
        (self.emails).remove(email, |p| Lowercase(users[p].email()));
        (self.inquiry_index).remove_filed(users[index].inquiry_id(), index);
        // Everyone after it moves down by one.
        for (later, user) in users.iter().enumerate().skip(index + 1) {
            self.user_index.moved(user.service_id(), later, later - 1);
            self.emails.moved(Lowercase(user.email()), later, later - 1);
            self.inquiry_index
                .moved(user.inquiry_id(), later, later - 1);
        }
        Some(self.users.remove(index))
    }

    /// Every card, oldest first.
    pub fn cards(&self) -> &[Card] {
        &self.cards
    }

    /// The position of a card in [`Partner::cards`].
    pub fn card_position(&self, service_card_id: &str) -> Option<usize> {
        self.card_index.get(service_card_id).copied()
    }

    pub fn card(&self, service_card_id: &str) -> Option<&Card> {
        self.card_position(service_card_id).map(|i| &self.cards[i])
    }

    /// The card to change. Its `service_card_id` is the index key: leave it.
    pub fn card_mut(&mut self, service_card_id: &str) -> Option<&mut Card> {
        self.card_position(service_card_id)
            .map(|i| &mut self.cards[i])
    }

    /// Every card, to change in place (by a position from [`Partner::card_position`]). Their
    /// `service_card_id`s are the index keys: leave them.
    pub fn cards_mut(&mut self) -> &mut [Card] {
        &mut self.cards
    }

    pub fn add_card(&mut self, card: Card) {
        self.card_index
            .insert(card.service_card_id.clone(), self.cards.len());
        self.cards.push(card);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatus {
    /// Created, the Persona inquiry not decided yet.
    PendingKyc,
    /// KYC retried after a denial, not decided yet.
    Pending,
    Approved,
    Denied,
    NeedsVerification,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::PendingKyc => "pending_kyc",
            UserStatus::Pending => "pending",
            UserStatus::Approved => "approved",
            UserStatus::Denied => "denied",
            UserStatus::NeedsVerification => "needsVerification",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Program {
    Custodial,
    NonCustodial,
}

impl Program {
    pub fn parse(s: &str) -> Option<Program> {
        match s {
            "custodial" => Some(Program::Custodial),
            "non_custodial" => Some(Program::NonCustodial),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Program::Custodial => "custodial",
            Program::NonCustodial => "non_custodial",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FundingType {
    Float,
    Crypto,
}

impl FundingType {
    pub fn as_str(self) -> &'static str {
        match self {
            FundingType::Float => "float",
            FundingType::Crypto => "crypto",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardStatus {
    Active,
    Frozen,
    Terminated,
}

impl CardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CardStatus::Active => "active",
            CardStatus::Frozen => "frozen",
            CardStatus::Terminated => "terminated",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    pub service_card_id: String,
    pub service_id: String,
    pub funding_type: FundingType,
    pub status: CardStatus,
    pub balance_cents: i64,
    pub created_at: Millis,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transaction {
    pub service_transaction_id: String,
    pub service_card_id: String,
    pub amount_cents: i64,
    /// `funding`, `withdrawal` or `liquidation` (the sandbox has no card purchases).
    #[serde(deserialize_with = "transaction_type")]
    pub transaction_type: StaticText,
    pub description: String,
    pub reference: Option<String>,
    pub created_at: Millis,
}

/// A fixed word kept as `'static` text. Spelled as an alias so serde does not take the field
/// for text borrowed from the input: the words are read back by a function that maps them.
type StaticText = &'static str;

/// A transaction type as saved, kept as the `'static` text.
fn transaction_type<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    const TYPES: [&str; 3] = ["funding", "withdrawal", "liquidation"];
    let saved = String::deserialize(d)?;
    TYPES
        .into_iter()
        .find(|t| *t == saved)
        .ok_or_else(|| serde::de::Error::unknown_variant(&saved, &TYPES))
}

impl Transaction {
    pub fn to_json(&self) -> Value {
        json!({
            "serviceTransactionId": self.service_transaction_id,
            "serviceCardId": self.service_card_id,
            "amount": dollars(self.amount_cents),
            "currency": "USD",
            "status": "settled",
            "transactionType": self.transaction_type,
            "description": self.description,
            "merchantName": "Bitmama",
            "merchantCountry": "US",
            "reference": self.reference,
            "createdAt": crate::clock::iso8601(self.created_at),
        })
    }
}

/// Cents as the dollar number Bitmama shows (`5000`, `49.5`): whole amounts without a fraction.
pub fn dollars(cents: i64) -> Value {
    if cents % 100 == 0 {
        json!(cents / 100)
    } else {
        json!(cents as f64 / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(service_id: &str, email: &str) -> CardUser {
        CardUser::from(CardUserFields::<String> {
            service_id: service_id.into(),
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            email: email.into(),
            phone_number: "+14155555555".into(),
            account_purpose: "test".into(),
            ip_address: "203.0.113.1".into(),
            program: Program::Custodial,
            wallet_address: None,
            redirect_url: None,
            status: UserStatus::PendingKyc,
            inquiry_id: String::new(),
            verification_url: String::new(),
            retry_count: 0,
            created_at: 0,
            last_card_created_at: None,
        })
    }

    #[test]
    fn indexes_follow_adds_and_removes() {
        let mut partner = Partner::new("unit".into(), 0);
        for (id, email) in [("a", "A@x.com"), ("b", "b@x.com"), ("c", "C@X.com")] {
            partner.add_user(user(id, email));
        }
        assert!(partner.has_email("a@X.COM") && partner.has_email("c@x.com"));
        let removed = partner.remove_user("a").map(|u| u.service_id().to_string());
        assert_eq!(removed.as_deref(), Some("a"));
        assert!(partner.remove_user("a").is_none());
        assert!(!partner.has_email("a@x.com"));
        assert!(partner.has_email("B@x.com"));
        // The later users moved down one place and are still found.
        assert_eq!(partner.user("b").map(|u| u.email()), Some("b@x.com"));
        assert_eq!(partner.user("c").map(|u| u.email()), Some("C@X.com"));
        let ids: Vec<&str> = partner.users().iter().map(|u| u.service_id()).collect();
        assert_eq!(ids, ["b", "c"]);

        partner.add_card(Card {
            service_card_id: "card".into(),
            service_id: "b".into(),
            funding_type: FundingType::Float,
            status: CardStatus::Active,
            balance_cents: 5,
            created_at: 0,
        });
        assert_eq!(partner.card_position("card"), Some(0));
        if let Some(card) = partner.card_mut("card") {
            card.balance_cents = 7;
        }
        assert_eq!(partner.card("card").map(|c| c.balance_cents), Some(7));
        assert!(partner.card("other").is_none());

        partner.user_index.clear();
        partner.emails.clear();
        partner.card_index.clear();
        partner.rebuild_indexes();
        assert!(partner.user("c").is_some() && partner.has_email("C@x.com"));
        assert_eq!(partner.card_position("card"), Some(0));
    }

    #[test]
    fn dollars_are_whole_when_possible() {
        assert_eq!(dollars(500_000).to_string(), "5000");
        assert_eq!(dollars(4_950).to_string(), "49.5");
        assert_eq!(dollars(1).to_string(), "0.01");
    }
}
