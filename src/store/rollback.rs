//! Undoing a change the state file could not keep (`--state-sync always`): the namespace goes
//! back to what the file holds, so a request answered 500 leaves nothing behind, and a request
//! that changed the namespace meanwhile learns that its change went too.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Namespace, Store, World};

/// Epochs of every store's namespaces: from 1, so none is ever 0.
static EPOCHS: AtomicU64 = AtomicU64::new(1);

pub(super) fn next_epoch() -> u64 {
    EPOCHS.fetch_add(1, Ordering::Relaxed)
}

impl Namespace {
    /// Which world this namespace holds. Read it under the world's lock to change it: if it
    /// is another once the change is saved (or the namespace is gone), a rollback undid the
    /// change.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }
}

impl Store {
    /// How many namespaces have been put back so far: an admin change (a deletion, a reset of
    /// every namespace) that finds it moved once saved may have been undone.
    pub fn rollbacks(&self) -> u64 {
        self.rollbacks.load(Ordering::Acquire)
    }

    /// Puts namespace `name` back to `durable`, what the state file holds of it (`None`: the
    /// file has no such namespace, so it goes), after a change to it could not be saved.
    /// Everything done to it since its last save is undone: ids, balances and queued webhooks
    /// (the new outbox has a new generation, so the worker skips the old jobs) come back as the
    /// file has them, the same as a restart would load.
    pub fn roll_back(&self, name: &str, durable: Option<World>) {
        match (durable, self.existing(name)) {
            (Some(mut world), Some(ns)) => {
                world.attach(name, &self.config, self.jobs.clone());
                let mut current = ns.lock();
                ns.scenario_selected
                    .store(world.scenario.selected.is_some(), Ordering::Release);
                *current = world;
                // Under the lock: a request changes either the old world, and sees the epoch
                // move, or the restored one, and does not.
                ns.epoch.store(next_epoch(), Ordering::Release);
            }
            // Deleted by the change that was not saved: a new namespace, a new epoch.
            (Some(world), None) => self.restore(BTreeMap::from([(name.to_string(), world)])),
            // Made by it.
            (None, ns) => {
                if let Some(ns) = ns {
                    let _world = ns.lock();
                    ns.epoch.store(next_epoch(), Ordering::Release);
                }
                self.remove(name);
            }
        }
        self.rollbacks.fetch_add(1, Ordering::AcqRel);
    }
}
