//! Applying a scenario's initial state to a namespace.
//!
//! Called with the namespace's world locked when the namespace selects a scenario (admin API,
//! `--scenario` for `default`) and when it is reset, after its vendor state was rebuilt empty.
//! The engine only holds the data ([`InitialState`]); each vendor seeds its own part, the way
//! it would have been created through its API (ids from the world's generator):
//!
//! - Bitmama: `bitmama::apply_initial_state(world, &initial.bitmama)`: wallet balances per
//!   partner API key (`*` = any partner, also read when a partner first appears, through
//!   [`super::Scenario::wallet_for`]), and pre-existing card users;
//! - Persona: `persona::apply_initial_state(world, &initial.persona)`: inquiries in the given
//!   status;
//! - Coinflow: `coinflow::apply_initial_state(world, &initial.coinflow)`: withdrawers.

use super::InitialState;
use crate::store::World;
use crate::vendors::{bitmama, coinflow, persona};

/// Seeds `world` from `initial`, each vendor its own part.
pub fn apply(world: &mut World, initial: &InitialState) {
    if *initial == InitialState::default() {
        return;
    }
    tracing::debug!(
        selected = ?world.scenario.selected,
        "initial state: {} wallets, {} card users, {} inquiries, {} withdrawers",
        initial.bitmama.wallets.len(),
        initial.bitmama.users.len(),
        initial.persona.inquiries.len(),
        initial.coinflow.withdrawers.len(),
    );
    bitmama::apply_initial_state(world, &initial.bitmama);
    persona::apply_initial_state(world, &initial.persona);
    coinflow::apply_initial_state(world, &initial.coinflow);
}
