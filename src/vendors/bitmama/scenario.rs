//! Bitmama's part of the scenario vocabulary: magic words, and a scenario's initial Bitmama
//! state: partner wallet balances and pre-existing card users.
//!
//! Applied when a namespace selects a scenario and on reset (the vocabulary's `seed`), and, for
//! partners that appear later, when a partner key is first used ([`ensure_partner`]): its
//! balance is then the scenario's `wallets` entry for it or `*`, and it gets the `*` users. The
//! scenario is the namespace's selection; an `X-Sandbox-Scenario` header steers rules only.
//!
//! Seeded users are created as if they had gone through create user, without a fee and without
//! a Persona inquiry behind them: their status is the seed's and only changes through the API
//! (retry KYC for a denied one starts a real inquiry).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{CardUser, CardUserFields, Partner, Program, UserStatus};
use super::{auth, validation};
use crate::app::App;
use crate::scenario::{Operation, Outcome, Scenario, SeedProblem, Steer, Timing};
use crate::store::World;
use crate::vendors::Vendor;

/// Magic words on `create_user`: `+duplicate@` answers `DUP_USER`, `+insufficient@` a 402.
pub(super) fn magic(operation: Operation, word: &str) -> Option<Steer> {
    let outcome = match (operation.name, word) {
        ("create_user", "duplicate") => Outcome::DuplicateUser,
        ("create_user", "insufficient") => Outcome::InsufficientBalance,
        _ => return None,
    };
    Some(Steer {
        outcome,
        fields: Vec::new(),
        timing: Timing::Now,
    })
}

/// `initial_state.bitmama`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BitmamaSeed {
    /// Partner wallet balance by partner API key; the key `*` is every other partner.
    #[serde(default)]
    pub wallets: BTreeMap<String, WalletSeed>,
    #[serde(default)]
    pub users: Vec<CardUserSeed>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WalletSeed {
    pub balance_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CardUserSeed {
    /// The partner API key the user belongs to; `*` (the default) is every partner.
    #[serde(default = "every_partner")]
    pub partner: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub status: SeedCardUserStatus,
}

fn every_partner() -> String {
    "*".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedCardUserStatus {
    PendingKyc,
    Approved,
    Denied,
}

impl BitmamaSeed {
    /// `scenario`'s Bitmama section (empty when it has none).
    fn of(scenario: &Scenario) -> BitmamaSeed {
        scenario
            .initial_state
            .section(Vendor::Bitmama)
            .and_then(|section| BitmamaSeed::deserialize(section).ok())
            .unwrap_or_default()
    }

    /// The wallet seed for partner `api_key`: its own entry, else `*`.
    fn wallet_for(&self, api_key: &str) -> Option<&WalletSeed> {
        self.wallets.get(api_key).or_else(|| self.wallets.get("*"))
    }
}

impl crate::vendors::Seed for BitmamaSeed {
    fn apply(&self, world: &mut World) {
        apply_initial_state(world, self);
    }

    /// Refuses what the API would never hold: a negative wallet (README: never negative), a
    /// partner key it would answer 401, a user create user would answer 422.
    fn check(&self) -> Vec<SeedProblem> {
        let partner_ok = |key: &str| key == "*" || auth::check_key(key).is_ok();
        let mut problems = Vec::new();
        for (key, wallet) in &self.wallets {
            if !partner_ok(key) {
                problems.push(SeedProblem::at(&["wallets", key], format!(
                    "wallets: {key:?} is not a partner API key: use \"*\" or a key such as sk_staging_acme"
                )));
            }
            if wallet.balance_cents < 0 {
                problems.push(SeedProblem::at(&["wallets", key, "balance_cents"], format!(
                    "wallets.{key}.balance_cents is {}: a wallet is never negative, use 0 or more",
                    wallet.balance_cents
                )));
            }
        }
        for (i, user) in self.users.iter().enumerate() {
            let i_text = i.to_string();
            if !partner_ok(&user.partner) {
                problems.push(SeedProblem::at(&["users", &i_text, "partner"], format!(
                    "users[{i}].partner {:?} is not a partner API key: use \"*\" or a key such as sk_staging_acme",
                    user.partner
                )));
            }
            if !validation::is_email(user.email.trim()) {
                problems.push(SeedProblem::at(
                    &["users", &i_text, "email"],
                    format!(
                        "users[{i}].email {:?} is not a valid email address",
                        user.email
                    ),
                ));
            }
            for (field, name) in [
                ("first_name", &user.first_name),
                ("last_name", &user.last_name),
            ] {
                // Create user's rule: 1 to 100 characters once trimmed.
                let length = name.as_deref().map(|n| n.trim().chars().count());
                if length.is_some_and(|n| !(1..=100).contains(&n)) {
                    problems.push(SeedProblem::at(
                        &["users", &i_text, field],
                        format!("users[{i}].{field} must be 1 to 100 characters"),
                    ));
                }
            }
        }
        problems
    }
}

/// Seeds `world` from `seed`: named partners are created (or updated) with their balance, `*`
/// applies to every partner already there that is not named; users go to their partner (`*`:
/// every partner already there). A user whose email the partner already has is skipped.
fn apply_initial_state(world: &mut World, seed: &BitmamaSeed) {
    let starting = world.bitmama.starting_balance_cents;
    for (key, wallet) in &seed.wallets {
        if key != "*" {
            world.bitmama.partner(key, starting).balance_cents = wallet.balance_cents;
        }
    }
    if let Some(every) = seed.wallets.get("*") {
        for (key, partner) in world.bitmama.partners.iter_mut() {
            if !seed.wallets.contains_key(key) {
                partner.balance_cents = every.balance_cents;
            }
        }
    }
    for user in &seed.users {
        let keys: Vec<String> = if user.partner == "*" {
            // Sorted, not in the map's order (keyed at random per process): each user draws
            // ids, so one seed gives the same ids in every run.
            let mut keys: Vec<String> = world.bitmama.partners.keys().cloned().collect();
            keys.sort_unstable();
            keys
        } else {
            vec![user.partner.clone()]
        };
        for key in keys {
            add_user(world, &key, user);
        }
    }
}

/// Creates the partner behind `api_key` on its first use, from the namespace's scenario (its
/// wallet and `*` users) or the configured starting balance.
pub fn ensure_partner(app: &App, world: &mut World, api_key: &str) {
    if world.bitmama.partners.contains_key(api_key) {
        return;
    }
    let seed = app
        .scenarios
        .active(world, None)
        .ok()
        .flatten()
        .map(|scenario| BitmamaSeed::of(&scenario))
        .unwrap_or_default();
    let balance = seed
        .wallet_for(api_key)
        .map_or(world.bitmama.starting_balance_cents, |w| w.balance_cents);
    world.bitmama.partner(api_key, balance);
    {
        for user in &seed.users {
            if user.partner == "*" {
                add_user(world, api_key, user);
            }
        }
    }
}

fn add_user(world: &mut World, api_key: &str, seed: &CardUserSeed) {
    let now = world.clock.now_ms();
    let starting = world.bitmama.starting_balance_cents;
    if world
        .bitmama
        .partner(api_key, starting)
        .has_email(seed.email.trim())
    {
        return;
    }
    let suffix = world.ids.alphanumeric(15);
    let forms = world.bitmama.id_forms;
    let partner: &mut Partner = world.bitmama.partner(api_key, starting);
    partner.add_user(CardUser::from(CardUserFields::<String> {
        service_id: [&partner.slug, forms.user, &suffix].concat(),
        // Trimmed, as create user keeps them.
        first_name: seed
            .first_name
            .as_deref()
            .map_or("Sandbox", str::trim)
            .into(),
        last_name: seed.last_name.as_deref().map_or("User", str::trim).into(),
        email: seed.email.trim().into(),
        phone_number: "+14155550100".into(),
        account_purpose: "sandbox scenario seed".into(),
        ip_address: "203.0.113.1".into(),
        program: Program::Custodial,
        wallet_address: None,
        redirect_url: None,
        status: match seed.status {
            SeedCardUserStatus::PendingKyc => UserStatus::PendingKyc,
            SeedCardUserStatus::Approved => UserStatus::Approved,
            SeedCardUserStatus::Denied => UserStatus::Denied,
        },
        // No inquiry: no Persona change ever moves a seeded user.
        inquiry_id: String::new(),
        verification_url: String::new(),
        retry_count: 0,
        created_at: now,
        last_card_created_at: None,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_words_steer_create_user_only() {
        let create = Operation::request("create_user");
        let outcome = |op, word| magic(op, word).map(|s| s.outcome);
        assert_eq!(outcome(create, "duplicate"), Some(Outcome::DuplicateUser));
        assert_eq!(
            outcome(create, "insufficient"),
            Some(Outcome::InsufficientBalance)
        );
        assert_eq!(outcome(create, "duplicates"), None);
        assert_eq!(
            outcome(Operation::request("create_card"), "duplicate"),
            None
        );
    }
}
