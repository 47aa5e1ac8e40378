//! Applying a scenario's initial state to a namespace.
//!
//! Called with the namespace's world locked when the namespace selects a scenario (admin API,
//! `--scenario` for `default`) and when it is reset, after its vendor state was rebuilt empty.
//! The engine only holds each vendor's section as written ([`InitialState`]); each vendor seeds
//! its own part through its [`super::VendorTerms::seed`], the way it would have been created
//! through its API (ids from the world's generator).

use super::{InitialState, Vocabulary};
use crate::store::World;

/// Seeds `world` from `initial`, each vendor its own part, in the vocabulary's order.
pub fn apply(vocabulary: &Vocabulary, world: &mut World, initial: &InitialState) {
    for terms in &vocabulary.vendors {
        if let Some(section) = initial.section(terms.vendor) {
            tracing::debug!(selected = ?world.scenario.selected, vendor = %terms.vendor, "initial state");
            (terms.seed)(world, section);
        }
    }
}
