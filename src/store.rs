//! The one state store: a [`World`] per namespace, each behind its own lock.
//!
//! A namespace is a whole separate sandbox: all three vendors' data, its id generator and its
//! clock. Namespaces are created on first use (see below). Each world sits behind a
//! `parking_lot::RwLock`: every operation on it is synchronous and short, reads that change
//! nothing share it (see [`crate::vendors::frame`]), and a `parking_lot` guard is not `Send`, so
//! holding one across an `.await` inside a spawned task does not compile.
//!
//! A vendor request makes the namespace it names *provisional*: unlisted, unsaved, and forgotten
//! again if the request is refused and leaves it as new (see `first_use`), since a refusal
//! changes nothing.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{RwLock, RwLockReadGuard};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;

use crate::clock::{Clock, Millis};
use crate::config::Config;
use crate::ids::{IdGen, RequestIds};
use crate::namespace::DEFAULT_NAMESPACE;
use crate::scenario::counters::NamespaceScenario;
use crate::vendors::{
    bitmama::model as bitmama, coinflow::model as coinflow, persona::model as persona,
};
use crate::webhooks::{Job, Outbox};
pub use due::{DueQueue, Next, WorldGuard};

/// Seeds a namespace from the scenario it selected (the scenario engine's, handed in from above
/// so the store needs no engine): on creation, reset and selection.
pub type Seeder = Box<dyn Fn(&mut World) + Send + Sync>;

/// Everything one namespace holds; also what the state file keeps of it.
#[derive(Serialize, Deserialize)]
pub struct World {
    pub clock: Clock,
    pub ids: IdGen,
    /// Persona's `Request-Id`s: their own stream, drawn under a shared lock. Not saved (a
    /// draw is no change: a read writes nothing); a loaded world gets an unrepeated stream.
    #[serde(skip)]
    pub request_ids: RequestIds,
    pub persona: persona::State,
    pub coinflow: coinflow::State,
    pub bitmama: bitmama::State,
    pub webhooks: Outbox,
    /// The scenario the namespace uses and its rule counters (cleared by a reset).
    pub scenario: NamespaceScenario,
}

impl World {
    /// The namespace this world is (its outbox is told when the world is made or loaded).
    pub fn namespace(&self) -> &str {
        self.webhooks.namespace()
    }

    fn new(
        name: &str,
        config: &Config,
        jobs: Option<UnboundedSender<Job>>,
        scenario: Option<String>,
    ) -> Self {
        Self {
            clock: Clock::default(),
            ids: IdGen::new(config.seed, name),
            request_ids: RequestIds::new(config.seed, name),
            persona: persona::State::new(config),
            coinflow: coinflow::State::new(config),
            bitmama: bitmama::State::new(config),
            webhooks: Outbox::new(name, config, jobs),
            scenario: NamespaceScenario::new(scenario),
        }
    }

    /// No later than the next moment something falls due on this world's clock (sandbox
    /// time; maybe early, then settling finds nothing to do): a lookup per vendor, no scan.
    pub fn next_due(&self) -> Option<Millis> {
        let persona = self.persona.next_due();
        persona.into_iter().chain(self.coinflow.next_due()).min()
    }

    /// Wires a world loaded from the state file into namespace `name`: its outbox gets the job
    /// queue (pending deliveries go out again) and the command line's webhook targets, and
    /// derived indexes are rebuilt.
    fn attach(&mut self, name: &str, config: &Config, jobs: Option<UnboundedSender<Job>>) {
        self.request_ids = RequestIds::unrepeated(config.seed, name);
        self.webhooks
            .attach(name, jobs, config.webhooks.pending_max);
        self.webhooks.follow_configuration(config);
        self.persona.rebuild_indexes();
        let now = self.clock.now_ms();
        self.coinflow.refresh_due(now);
        self.bitmama.rebuild_indexes();
        self.bitmama.configure(config);
    }
}

pub struct Namespace {
    pub name: String,
    world: RwLock<World>,
    /// Whether the world has a scenario selected, readable without the lock: a request to a
    /// namespace without one needs no rule counters, so the scenario is not asked under the lock
    /// (one lock per request instead of two). Kept in step wherever the selection changes.
    scenario_selected: AtomicBool,
    /// How many times the world was locked to change it: what a memoized answer was made at.
    changes: AtomicU64,
    /// Which world this is: a new one when the namespace is made or put back to the state
    /// file's copy ([`Store::roll_back`]). Unique in the process.
    epoch: AtomicU64,
    /// Made by a vendor request still running, which may be refused: not listed, saved or
    /// remembered by a thread until a request keeps it (see [`Store::request_done`]). Never
    /// set again once cleared.
    provisional: AtomicBool,
    /// Woken when a provisional namespace is kept ([`Namespace::kept`]).
    kept: Notify,
    /// The vendor requests holding it while provisional, counted under the map's lock: the last
    /// to be done forgets it if none kept it.
    requests: AtomicUsize,
    memo: memo::Memo,
    /// The queue of vendor requests that change the world, waited on asynchronously before the
    /// lock is taken (see [`Namespace::write_turn`]).
    writers: tokio::sync::Mutex<()>,
    /// When the world next falls due, in real time (`Millis::MAX`: never), as last published
    /// (see `due`).
    next_due: AtomicI64,
    /// Where that moment is queued for the settler, with this namespace's own weak reference.
    due: Arc<DueQueue>,
    myself: Weak<Namespace>,
}

impl Namespace {
    fn new(name: &str, world: World, provisional: bool, due: &Arc<DueQueue>) -> Arc<Namespace> {
        Arc::new_cyclic(|myself| Namespace {
            name: name.to_string(),
            scenario_selected: AtomicBool::new(world.scenario.selected.is_some()),
            world: RwLock::new(world),
            changes: AtomicU64::new(0),
            epoch: AtomicU64::new(rollback::next_epoch()),
            provisional: AtomicBool::new(provisional),
            kept: Notify::new(),
            requests: AtomicUsize::new(0),
            memo: memo::Memo::default(),
            writers: tokio::sync::Mutex::new(()),
            // A world made or loaded with something due is published by its first change.
            next_due: AtomicI64::new(due::NONE),
            due: Arc::clone(due),
            myself: myself.clone(),
        })
    }

    /// Locks this namespace's world to change it. Never hold the guard across an `.await`.
    pub fn lock(&self) -> WorldGuard<'_> {
        let world = self.world.write();
        // Counted under the lock: a reader, who holds it shared, sees every change before it.
        self.changes.fetch_add(1, Ordering::Relaxed);
        WorldGuard {
            world,
            namespace: self,
        }
    }

    /// Waits, without blocking the thread, until no other request that changes this world is
    /// running, then keeps the others waiting until the turn is dropped. The server takes it
    /// before [`Namespace::lock`] for vendor writes: a worker whose request finds the namespace
    /// busy serves its other connections meanwhile instead of sleeping on the lock (two workers
    /// creating in one namespace otherwise spend their time handing the lock over, and answer
    /// fewer creates than one). First come, first served. Held across no `.await`.
    pub async fn write_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writers.lock().await
    }

    /// Locks this namespace's world to read it, shared with other readers. A read must change
    /// nothing in the world (request ids have their own atomic stream: [`World::request_ids`]).
    pub fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world.read()
    }

    /// Whether a scenario is selected in this namespace (see the field).
    pub fn scenario_selected(&self) -> bool {
        self.scenario_selected.load(Ordering::Acquire)
    }
}

pub struct Store {
    config: Arc<Config>,
    seeder: Seeder,
    jobs: Option<UnboundedSender<Job>>,
    namespaces: RwLock<HashMap<String, Arc<Namespace>>>,
    /// Woken on every change when a state file is kept: what its saver waits on.
    change_signal: Notify,
    /// Tells this store's namespaces from another's in a thread's [`LAST_USED`].
    id: u64,
    /// Counts the namespaces taken out of (or replaced in) the map: a thread's [`LAST_USED`]
    /// holds while this has not moved.
    removals: AtomicU64,
    /// Request ids of answers that belong to no namespace (a refusal before one is named or
    /// made): the stream of the unnamed namespace `""`, which no request can name; with a state
    /// file, keyed afresh each start.
    request_ids: RequestIds,
    /// How many namespaces were put back to the state file's copy ([`Store::roll_back`]).
    rollbacks: AtomicU64,
    /// When namespaces fall due, for the settler.
    due: Arc<DueQueue>,
}

/// The namespace a thread found last, by store: most requests name the namespace their
/// thread's previous request did, and finding it again takes the map's lock (a cache line every
/// worker writes, to read-lock it) and hashes its name. Weak, so a deleted namespace's world is
/// freed whether or not the thread serves again.
#[derive(Default)]
struct LastUsed {
    store: u64,
    removals: u64,
    name: String,
    namespace: Weak<Namespace>,
}

thread_local! {
    static LAST_USED: RefCell<Option<LastUsed>> = const { RefCell::new(None) };
}

/// Store ids for [`LastUsed`]: one per store made in the process, from 1 (0 is no store's, in a
/// thread's empty entry).
static STORES: AtomicU64 = AtomicU64::new(1);

impl Store {
    /// `jobs` receives webhook deliveries to run; `None` keeps them queued (unit tests).
    pub fn new(config: Arc<Config>, jobs: Option<UnboundedSender<Job>>, seeder: Seeder) -> Self {
        Self {
            // A state file's namespaces go on after a restart: so does this stream, which
            // keeps no count either.
            request_ids: match config.state_file {
                Some(_) => RequestIds::unrepeated(config.seed, ""),
                None => RequestIds::new(config.seed, ""),
            },
            config,
            seeder,
            jobs,
            namespaces: RwLock::new(HashMap::new()),
            change_signal: Notify::new(),
            id: STORES.fetch_add(1, Ordering::Relaxed),
            removals: AtomicU64::new(0),
            rollbacks: AtomicU64::new(0),
            due: Arc::default(),
        }
    }

    /// When namespaces fall due on their clocks, earliest first: what the settler waits on.
    pub fn due_queue(&self) -> &DueQueue {
        &self.due
    }

    /// The request ids of answers no namespace gives.
    pub fn request_ids(&self) -> &RequestIds {
        &self.request_ids
    }

    /// Adds the namespaces of a loaded state file, as they were saved (their scenario's initial
    /// state is already in them). Call before serving.
    pub fn restore(&self, worlds: BTreeMap<String, World>) {
        let mut namespaces = self.namespaces.write();
        for (name, mut world) in worlds {
            world.attach(&name, &self.config, self.jobs.clone());
            let namespace = Namespace::new(&name, world, false, &self.due);
            namespaces.insert(name, namespace);
        }
        self.removals.fetch_add(1, Ordering::Release);
    }

    /// Something may have changed a world (a request was handled, a webhook attempt recorded):
    /// the state file, if one is kept, is due for a save.
    pub fn changed(&self) {
        if self.config.state_file.is_some() {
            self.change_signal.notify_one();
        }
    }

    /// Completes at the next [`Store::changed`], or at once if one came since the last wait.
    pub async fn next_change(&self) {
        self.change_signal.notified().await;
    }

    /// The namespace called `name`, created on first use (kept, and listed, from then on).
    pub fn namespace(&self, name: &str) -> Arc<Namespace> {
        self.find(name, false)
    }

    /// The namespace a vendor request names: one it makes is provisional until the request is
    /// done ([`Store::request_done`]).
    pub fn for_request(&self, name: &str) -> Arc<Namespace> {
        self.find(name, true)
    }

    fn find(&self, name: &str, provisional: bool) -> Arc<Namespace> {
        let recalled = LAST_USED.with_borrow(|last| {
            (last.as_ref())
                .filter(|last| self.used_last(last, name))
                .and_then(|last| last.namespace.upgrade())
        });
        if let Some(ns) = recalled {
            return ns;
        }
        // Read before the map is: a removal after this read makes the entry stale at once.
        let removals = self.removals.load(Ordering::Acquire);
        let ns = self.find_or_create(name, provisional);
        // A provisional one may be forgotten: only a claim under the map's lock holds it.
        if ns.is_provisional() {
            return ns;
        }
        LAST_USED.with_borrow_mut(|last| {
            let last = last.get_or_insert_with(LastUsed::default);
            (last.store, last.removals) = (self.id, removals);
            // Its buffer reused: a client spreading requests over namespaces changes it often.
            last.name.clear();
            last.name.push_str(name);
            last.namespace = Arc::downgrade(&ns);
        });
        ns
    }

    /// Whether `last` is this store's namespace `name`, not removed since it was found.
    fn used_last(&self, last: &LastUsed, name: &str) -> bool {
        last.store == self.id
            && *last.name == *name
            && last.removals == self.removals.load(Ordering::Acquire)
    }

    /// Claimed under the map's lock: a provisional namespace is forgotten under it too.
    fn find_or_create(&self, name: &str, provisional: bool) -> Arc<Namespace> {
        let claim = |ns: &Arc<Namespace>| {
            ns.claim(provisional);
            Arc::clone(ns)
        };
        if let Some(ns) = self.namespaces.read().get(name) {
            return claim(ns);
        }
        let mut namespaces = self.namespaces.write();
        let ns = namespaces.entry(name.to_string()).or_insert_with(|| {
            let world = self.new_world(name, self.jobs.clone());
            Namespace::new(name, world, provisional, &self.due)
        });
        claim(ns)
    }

    /// The world namespace `name` starts with.
    fn new_world(&self, name: &str, jobs: Option<UnboundedSender<Job>>) -> World {
        // `--scenario` is the default namespace's starting selection.
        let selected = (name == DEFAULT_NAMESPACE)
            .then(|| self.config.scenario.clone())
            .flatten();
        let mut world = World::new(name, &self.config, jobs, selected);
        self.apply_initial_state(&mut world);
        world
    }

    /// Whether a request may use namespace `name`: it exists, it is `default` (always there, so
    /// a full store never locks out the tools that name no namespace, nor the admin call that
    /// deletes some), or one more fits under `--max-namespaces`. The router asks before
    /// dispatch, so the many [`Store::namespace`] callers stay infallible. Check and creation are
    /// two steps: requests for different new namespaces routed at the same moment can each
    /// pass, so the cap can be overshot by at most the requests in flight then.
    pub fn admits(&self, name: &str) -> Result<(), String> {
        // The namespace this thread used last exists.
        if LAST_USED.with_borrow(|last| last.as_ref().is_some_and(|l| self.used_last(l, name))) {
            return Ok(());
        }
        let namespaces = self.namespaces.read();
        let max = self.config.max_namespaces;
        if namespaces.len() < max || name == DEFAULT_NAMESPACE || namespaces.contains_key(name) {
            return Ok(());
        }
        // Namespaces that requests are making may be forgotten: only kept ones count (a scan,
        // on this path only).
        let count = (namespaces.values())
            .filter(|ns| !ns.is_provisional())
            .count();
        if count < max {
            return Ok(());
        }
        Err(format!(
            "Namespace {name:?} was not created: the sandbox holds {count} namespaces, the most \
             --max-namespaces (VENDOR_SANDBOX_MAX_NAMESPACES) allows. Delete unused ones with \
             DELETE /__admin/namespaces/NAME, or raise the limit"
        ))
    }

    /// Counts removals (and replacements) of namespaces: the state log writes a deletion when it
    /// has moved.
    pub fn removals(&self) -> u64 {
        self.removals.load(Ordering::Acquire)
    }

    /// Forgets namespace `name` entirely (a later use starts it afresh); false if unknown
    /// (provisional: the request that made it decides). Requests already holding it finish on
    /// the detached world; its queued webhooks are skipped (the worker finds no namespace, and
    /// a new one has a new outbox generation).
    pub fn remove(&self, name: &str) -> bool {
        let mut namespaces = self.namespaces.write();
        let kept = namespaces.get(name).is_some_and(|ns| !ns.is_provisional());
        let removed = kept && namespaces.remove(name).is_some();
        drop(namespaces);
        if removed {
            // A thread that found it before remembers it with the count from before: it looks
            // again.
            self.removals.fetch_add(1, Ordering::Release);
        }
        removed
    }

    /// How many namespaces there are (kept ones).
    pub fn count(&self) -> usize {
        let namespaces = self.namespaces.read();
        namespaces
            .values()
            .filter(|ns| !ns.is_provisional())
            .count()
    }

    /// The namespace called `name` if it has been used (and kept).
    pub fn existing(&self, name: &str) -> Option<Arc<Namespace>> {
        let namespaces = self.namespaces.read();
        namespaces
            .get(name)
            .filter(|ns| !ns.is_provisional())
            .cloned()
    }

    /// The namespace called `name`, provisional or kept: for the webhooks a request still
    /// running may have queued.
    pub fn in_use(&self, name: &str) -> Option<Arc<Namespace>> {
        self.namespaces.read().get(name).cloned()
    }

    /// Names of every namespace used so far (and kept), sorted.
    pub fn names(&self) -> Vec<String> {
        let namespaces = self.namespaces.read();
        let kept = namespaces.iter().filter(|(_, ns)| !ns.is_provisional());
        let mut names: Vec<String> = kept.map(|(name, _)| name.clone()).collect();
        names.sort();
        names
    }

    /// Puts a namespace back to its first state: same seed, so the same ids come again. The
    /// selected scenario stays selected; its counters restart and its initial state is applied
    /// again.
    pub fn reset(&self, name: &str) {
        if let Some(ns) = self.existing(name) {
            let mut world = ns.lock();
            let selected = world.scenario.selected.take();
            *world = World::new(name, &self.config, self.jobs.clone(), selected);
            self.apply_initial_state(&mut world);
        }
    }

    /// Makes `scenario` (`None`: the built-in behaviour) the namespace's selection. Entities
    /// already there stay (reset the namespace for a clean slate; the selection survives it);
    /// the rule counters restart and the scenario's initial state is applied on top.
    pub fn select_scenario(&self, name: &str, scenario: Option<String>) {
        let ns = self.namespace(name);
        let mut world = ns.lock();
        ns.scenario_selected
            .store(scenario.is_some(), Ordering::Release);
        world.scenario = NamespaceScenario::new(scenario);
        self.apply_initial_state(&mut world);
    }

    fn apply_initial_state(&self, world: &mut World) {
        (self.seeder)(world);
    }

    pub fn reset_all(&self) {
        for name in self.names() {
            self.reset(&name);
        }
    }
}

mod due;
mod first_use;
mod memo;
mod rollback;

#[cfg(test)]
mod tests;
