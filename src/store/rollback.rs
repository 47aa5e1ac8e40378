//! Undoing a change the state file could not keep (`--state-sync always`): the namespace goes
//! back to what the file holds, so a request answered 500 leaves nothing behind, and a request
//! that changed the namespace meanwhile learns that its change went too.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use super::{Store, World};

/// Rollbacks counted by namespace name. Empty unless a save failed: the flag lets every request
/// skip the map.
#[derive(Default)]
pub(super) struct Rollbacks {
    any: AtomicBool,
    by_name: Mutex<HashMap<String, u64>>,
}

impl Store {
    /// How many times namespace `name` was put back to the state file's copy. A request reads it
    /// before it runs and again once its change is saved: if it moved, the change was undone.
    pub fn rollbacks(&self, name: &str) -> u64 {
        if !self.rollbacks.any.load(Ordering::Acquire) {
            return 0;
        }
        self.rollbacks
            .by_name
            .lock()
            .get(name)
            .copied()
            .unwrap_or(0)
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
            }
            // Deleted by the change that was not saved.
            (Some(world), None) => self.restore(BTreeMap::from([(name.to_string(), world)])),
            // Made by it.
            (None, _) => {
                self.remove(name);
            }
        }
        // Counted after the world is back: a request that reads the new count runs on the
        // restored world, and its change stays. (One that read the old count and ran just after
        // the restore is told its change went although it stayed: a narrow race, during a
        // failing disk only.)
        *self
            .rollbacks
            .by_name
            .lock()
            .entry(name.to_string())
            .or_default() += 1;
        self.rollbacks.any.store(true, Ordering::Release);
    }
}
