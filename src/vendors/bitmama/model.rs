//! Bitmama's data in one namespace: partners (one per API key), their card users, cards,
//! transactions and wallet. Money is kept in integer cents; the API shows dollars.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::idempotency::IdempotencyKeys;
use crate::clock::Millis;

/// Bitmama's data in one namespace.
#[derive(Debug, Default)]
pub struct State {
    /// Partners by API key: everything a partner owns is only reachable with its key.
    pub partners: HashMap<String, Partner>,
    /// Persona inquiry id to the card user it verifies: `(api key, serviceId)`.
    pub inquiries: HashMap<String, (String, String)>,
    /// A new partner's wallet balance when no scenario seeds it (`--bitmama-balance`).
    pub starting_balance_cents: i64,
}

impl State {
    /// Partners are created on first use ([`super::seed::ensure_partner`]).
    pub fn new(config: &crate::config::Config) -> Self {
        Self {
            starting_balance_cents: config.bitmama.starting_balance_cents,
            ..Self::default()
        }
    }

    /// The partner behind `api_key`, created on first use with the configured wallet balance.
    pub fn partner(&mut self, api_key: &str, starting_balance_cents: i64) -> &mut Partner {
        self.partners
            .entry(api_key.to_string())
            .or_insert_with(|| Partner::new(api_key, starting_balance_cents))
    }
}

#[derive(Debug)]
pub struct Partner {
    /// Shown as `partnerId` and used in every service id (`{slug}-rain-user-…`).
    pub slug: String,
    pub balance_cents: i64,
    /// In creation order.
    pub users: Vec<CardUser>,
    /// In creation order.
    pub cards: Vec<Card>,
    /// In creation order.
    pub transactions: Vec<Transaction>,
    pub idempotency: IdempotencyKeys,
    /// Set by `POST /v1/partner/profile/webhook`.
    pub webhook: Option<PartnerWebhook>,
    /// Set by `POST /v1/partner/profile/redirect-url`.
    pub redirect_url: Option<String>,
    /// Lowercased emails of deleted users that were not approved: re-creating them is free.
    pub fee_waived_emails: HashSet<String>,
}

#[derive(Debug, Clone)]
pub struct PartnerWebhook {
    pub url: String,
    pub secret: String,
}

impl Partner {
    fn new(api_key: &str, balance_cents: i64) -> Self {
        Self {
            slug: super::auth::partner_slug(api_key),
            balance_cents,
            users: Vec::new(),
            cards: Vec::new(),
            transactions: Vec::new(),
            idempotency: IdempotencyKeys::default(),
            webhook: None,
            redirect_url: None,
            fee_waived_emails: HashSet::new(),
        }
    }

    pub fn user(&self, service_id: &str) -> Option<&CardUser> {
        self.users.iter().find(|u| u.service_id == service_id)
    }

    pub fn user_mut(&mut self, service_id: &str) -> Option<&mut CardUser> {
        self.users.iter_mut().find(|u| u.service_id == service_id)
    }

    pub fn card_mut(&mut self, service_card_id: &str) -> Option<&mut Card> {
        self.cards
            .iter_mut()
            .find(|c| c.service_card_id == service_card_id)
    }

    pub fn has_email(&self, email: &str) -> bool {
        let email = email.to_lowercase();
        self.users.iter().any(|u| u.email.to_lowercase() == email)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Clone)]
pub struct CardUser {
    pub service_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone_number: String,
    pub account_purpose: String,
    pub ip_address: String,
    pub program: Program,
    pub wallet_address: Option<String>,
    pub redirect_url: Option<String>,
    pub status: UserStatus,
    /// The Persona inquiry currently deciding this user's KYC (a new one on each retry).
    pub inquiry_id: String,
    pub verification_url: String,
    pub retry_count: u32,
    pub created_at: Millis,
    pub last_card_created_at: Option<Millis>,
}

impl CardUser {
    /// The list-users item.
    pub fn summary(&self) -> Value {
        json!({
            "serviceId": self.service_id,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "status": self.status.as_str(),
            "program": self.program.as_str(),
            "createdAt": crate::clock::iso8601(self.created_at),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Clone)]
pub struct Card {
    pub service_card_id: String,
    pub service_id: String,
    pub funding_type: FundingType,
    pub status: CardStatus,
    pub balance_cents: i64,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub service_transaction_id: String,
    pub service_card_id: String,
    pub amount_cents: i64,
    /// `funding`, `withdrawal` or `liquidation` (the sandbox has no card purchases).
    pub transaction_type: &'static str,
    pub description: String,
    pub reference: Option<String>,
    pub created_at: Millis,
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

    #[test]
    fn dollars_are_whole_when_possible() {
        assert_eq!(dollars(500_000).to_string(), "5000");
        assert_eq!(dollars(4_950).to_string(), "49.5");
        assert_eq!(dollars(1).to_string(), "0.01");
    }
}
