//! The one state store: a [`World`] per namespace, each behind its own lock.
//!
//! A namespace is a whole separate sandbox: all three vendors' data, its id generator and its
//! clock. Namespaces are created on first use. Each world sits behind a `parking_lot::Mutex`:
//! every operation on it is synchronous and short, and a `parking_lot` guard is not `Send`, so
//! holding one across an `.await` inside a spawned task does not compile.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard, RwLock};
use tokio::sync::mpsc::UnboundedSender;

use crate::clock::Clock;
use crate::config::Config;
use crate::ids::IdGen;
use crate::vendors::{bitmama, coinflow, persona};
use crate::webhooks::{Job, Outbox};

/// Everything one namespace holds.
pub struct World {
    pub clock: Clock,
    pub ids: IdGen,
    pub persona: persona::State,
    pub coinflow: coinflow::State,
    pub bitmama: bitmama::State,
    pub webhooks: Outbox,
}

impl World {
    fn new(name: &str, config: &Config, jobs: Option<UnboundedSender<Job>>) -> Self {
        Self {
            clock: Clock::default(),
            ids: IdGen::new(config.seed, name),
            persona: persona::State::new(config),
            coinflow: coinflow::State::new(config),
            bitmama: bitmama::State::new(config),
            webhooks: Outbox::new(name, config, jobs),
        }
    }
}

pub struct Namespace {
    pub name: String,
    world: Mutex<World>,
}

impl Namespace {
    /// Locks this namespace's world. Never hold the guard across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock()
    }
}

pub struct Store {
    config: Arc<Config>,
    jobs: Option<UnboundedSender<Job>>,
    namespaces: RwLock<HashMap<String, Arc<Namespace>>>,
}

impl Store {
    /// `jobs` receives webhook deliveries to run; `None` keeps them queued (unit tests).
    pub fn new(config: Arc<Config>, jobs: Option<UnboundedSender<Job>>) -> Self {
        Self {
            config,
            jobs,
            namespaces: RwLock::new(HashMap::new()),
        }
    }

    /// The namespace called `name`, created on first use.
    pub fn namespace(&self, name: &str) -> Arc<Namespace> {
        if let Some(ns) = self.namespaces.read().get(name) {
            return ns.clone();
        }
        self.namespaces
            .write()
            .entry(name.to_string())
            .or_insert_with(|| {
                Arc::new(Namespace {
                    name: name.to_string(),
                    world: Mutex::new(World::new(name, &self.config, self.jobs.clone())),
                })
            })
            .clone()
    }

    /// The namespace called `name` if it has been used.
    pub fn existing(&self, name: &str) -> Option<Arc<Namespace>> {
        self.namespaces.read().get(name).cloned()
    }

    /// Names of every namespace used so far, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.namespaces.read().keys().cloned().collect();
        names.sort();
        names
    }

    /// Puts a namespace back to its first state: same seed, so the same ids come again.
    pub fn reset(&self, name: &str) {
        if let Some(ns) = self.existing(name) {
            *ns.lock() = World::new(name, &self.config, self.jobs.clone());
        }
    }

    pub fn reset_all(&self) {
        for name in self.names() {
            self.reset(&name);
        }
    }
}
