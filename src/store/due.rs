//! When each namespace next has something to settle on its clock, readable without its lock,
//! for the server's settler (`settler.rs`): a namespace's time-based changes (a payout falling
//! due, a scheduled decision, an expiry) happen, webhooks and all, when they fall due in real
//! time, not at the next request that happens to touch the namespace.
//!
//! A change to a world that brings its next due moment earlier (a new payout, a clock advance)
//! publishes it when the lock is released ([`WorldGuard`]): one comparison per change, and a
//! queue entry only when the moment moved earlier. The settler makes it exact again after
//! settling ([`Namespace::refresh_due`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::{Deref, DerefMut};
use std::sync::Weak;
use std::sync::atomic::Ordering;

use parking_lot::{Mutex, RwLockWriteGuard};
use tokio::sync::Notify;
use tokio::sync::futures::Notified;

use super::{Namespace, World};
use crate::clock::Millis;

/// No due moment.
pub(super) const NONE: Millis = Millis::MAX;

/// The moments namespaces fall due, in real time, earliest first. An entry is stale once its
/// namespace published another moment (or is gone): the settler skips it.
#[derive(Default)]
pub struct DueQueue {
    heap: Mutex<BinaryHeap<Reverse<Entry>>>,
    /// Woken when the earliest moment moved earlier: the settler sleeps until then.
    woken: Notify,
}

/// What the settler does next.
pub enum Next {
    /// Settle this namespace: it fell due.
    Settle(std::sync::Arc<Namespace>),
    /// Nothing is due before this real time (`None`: nothing is queued).
    SleepUntil(Option<Millis>),
}

struct Entry {
    at: Millis,
    namespace: Weak<Namespace>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

impl DueQueue {
    fn push(&self, at: Millis, namespace: Weak<Namespace>) {
        let mut heap = self.heap.lock();
        let earlier = heap.peek().is_none_or(|first| at < first.0.at);
        heap.push(Reverse(Entry { at, namespace }));
        drop(heap);
        if earlier {
            self.woken.notify_one();
        }
    }

    /// Completes when an earlier moment is queued (or was since the last wait).
    pub fn woken(&self) -> Notified<'_> {
        self.woken.notified()
    }

    /// The next namespace due at real time `now`, or how long nothing is.
    pub fn next(&self, now: Millis) -> Next {
        let mut heap = self.heap.lock();
        while let Some(Reverse(first)) = heap.peek() {
            if first.at > now {
                return Next::SleepUntil(Some(first.at));
            }
            let Some(Reverse(entry)) = heap.pop() else {
                break;
            };
            // Stale: the namespace is gone, or published another moment since (queued too).
            if let Some(namespace) = entry.namespace.upgrade()
                && namespace.next_due.load(Ordering::Acquire) == entry.at
            {
                return Next::Settle(namespace);
            }
        }
        Next::SleepUntil(None)
    }
}

impl Namespace {
    /// Publishes `world`'s next due moment if it is earlier than the one published (called with
    /// the world locked).
    fn publish_due(&self, world: &World) {
        let at = real_due(world);
        if at < self.next_due.load(Ordering::Acquire) {
            self.next_due.store(at, Ordering::Release);
            self.due.push(at, self.myself.clone());
        }
    }

    /// Publishes `world`'s next due moment as it is now, later or not: the settler calls it
    /// after settling, with the world locked.
    pub fn refresh_due(&self, world: &World) {
        let at = real_due(world);
        self.next_due.store(at, Ordering::Release);
        if at != NONE {
            self.due.push(at, self.myself.clone());
        }
    }
}

/// `world`'s next due moment in real time: sandbox time less its clock's offset.
fn real_due(world: &World) -> Millis {
    world
        .next_due()
        .map_or(NONE, |at| at.saturating_sub(world.clock.offset_ms()))
}

/// A namespace's world locked to change it ([`Namespace::lock`]); releasing it publishes the
/// world's next due moment when that moved earlier.
pub struct WorldGuard<'a> {
    pub(super) world: RwLockWriteGuard<'a, World>,
    pub(super) namespace: &'a Namespace,
}

impl Deref for WorldGuard<'_> {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}

impl DerefMut for WorldGuard<'_> {
    fn deref_mut(&mut self) -> &mut World {
        &mut self.world
    }
}

impl Drop for WorldGuard<'_> {
    fn drop(&mut self) {
        // Still locked: the guard is released after this.
        self.namespace.publish_due(&self.world);
    }
}
