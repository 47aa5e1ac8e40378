//! A namespace's first use by a vendor request: kept if the request was answered or changed it,
//! forgotten if it was refused and left the world as new. A refused request changes nothing,
//! and making an empty namespace is a change (it is listed, saved, and counts towards
//! `--max-namespaces`).

use std::sync::atomic::Ordering;

use super::{Namespace, Store, World};

impl Namespace {
    /// Whether no request has kept this namespace yet (see the field).
    pub fn is_provisional(&self) -> bool {
        self.provisional.load(Ordering::Acquire)
    }

    pub(super) fn keep(&self) {
        self.provisional.store(false, Ordering::Release);
        self.kept.notify_waiters();
    }

    /// Completes once no request can forget this namespace: at once for one already kept, else
    /// when the request that made it keeps it. Something that only a change leaves behind (a
    /// queued webhook) waits here safely, as such a change keeps the namespace.
    pub async fn kept(&self) {
        // Registered before the flag is read: a keep in between still wakes it.
        let kept = self.kept.notified();
        if self.is_provisional() {
            kept.await;
        }
    }

    /// Notes a use found under the map's lock: a vendor request's counts while provisional,
    /// any other keeps it.
    pub(super) fn claim(&self, by_request: bool) {
        if !self.is_provisional() {
            return;
        }
        if by_request {
            self.requests.fetch_add(1, Ordering::AcqRel);
        } else {
            self.keep();
        }
    }
}

impl Store {
    /// Ends a vendor request's use of `ns` (found with [`Store::for_request`]; call once). A
    /// namespace already kept costs one atomic read; a provisional one is kept unless the
    /// request was `refused` and the world is as new (a refusal may still change it: a
    /// scenario's rule counters, Persona's idempotent replay of a 400), and then forgotten by
    /// the last request holding it.
    pub fn request_done(&self, ns: &Namespace, refused: bool) {
        if !ns.is_provisional() {
            return;
        }
        if !refused || !self.as_new(ns) {
            ns.keep();
            return;
        }
        ns.requests.fetch_sub(1, Ordering::AcqRel);
        // Requests claim it under the map's lock: none can while this holds it.
        let mut namespaces = self.namespaces.write();
        let forget = namespaces.get(&ns.name).is_some_and(|found| {
            std::ptr::eq(&**found, ns)
                && found.is_provisional()
                && found.requests.load(Ordering::Acquire) == 0
        });
        if forget {
            namespaces.remove(&ns.name);
        }
    }

    /// Whether `ns`'s world is the one a new namespace of its name starts with, as saved (the
    /// request ids its answers drew are not: they change nothing an answer depends on).
    fn as_new(&self, ns: &Namespace) -> bool {
        let new = self.new_world(&ns.name, None);
        let json = |world: &World| serde_json::to_value(world).ok();
        let now = json(&ns.read());
        now.is_some() && now == json(&new)
    }

    /// What `read` finds in namespace `name`'s world; for a namespace not made yet (or one a
    /// vendor request is still making, which may be forgotten), in the world a new one would
    /// start with, made for the call and dropped: an admin read answers as a new namespace would
    /// and makes none (it is not listed, saved or counted).
    pub fn view<T>(&self, name: &str, read: impl FnOnce(&mut World) -> T) -> T {
        match self.existing(name) {
            Some(ns) => read(&mut ns.lock()),
            None => read(&mut self.new_world(name, None)),
        }
    }
}
