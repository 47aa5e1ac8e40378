//! A scenario's initial Bitmama state: partner wallet balances and pre-existing card users.
//!
//! Applied when a namespace selects a scenario and on reset ([`apply_initial_state`]), and, for
//! partners that appear later, when a partner key is first used ([`ensure_partner`]): its
//! balance is then the scenario's `wallets` entry for it or `*`, and it gets the `*` users. The
//! scenario is the namespace's selection; an `X-Sandbox-Scenario` header steers rules only.
//!
//! Seeded users are created as if they had gone through create user, without a fee and without
//! a Persona inquiry behind them: their status is the seed's and only changes through the API
//! (retry KYC for a denied one starts a real inquiry).

use super::model::{CardUser, Partner, Program, UserStatus};
use crate::app::App;
use crate::scenario::{BitmamaSeed, CardUserSeed, SeedCardUserStatus};
use crate::store::World;

/// Seeds `world` from `seed`: named partners are created (or updated) with their balance, `*`
/// applies to every partner already there that is not named; users go to their partner (`*`:
/// every partner already there). A user whose email the partner already has is skipped.
pub fn apply_initial_state(world: &mut World, seed: &BitmamaSeed) {
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
            world.bitmama.partners.keys().cloned().collect()
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
    let scenario = app.store.scenarios.active(world, None).ok().flatten();
    let balance = scenario
        .as_ref()
        .and_then(|s| s.wallet_for(api_key))
        .map_or(world.bitmama.starting_balance_cents, |w| w.balance_cents);
    world.bitmama.partner(api_key, balance);
    if let Some(scenario) = scenario {
        for user in &scenario.initial_state.bitmama.users {
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
        .has_email(&seed.email)
    {
        return;
    }
    let suffix = world.ids.alphanumeric(15);
    let partner: &mut Partner = world.bitmama.partner(api_key, starting);
    partner.add_user(CardUser {
        service_id: format!("{}-rain-user-{suffix}", partner.slug),
        first_name: seed.first_name.clone().unwrap_or_else(|| "Sandbox".into()),
        last_name: seed.last_name.clone().unwrap_or_else(|| "User".into()),
        email: seed.email.clone(),
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
    });
}
