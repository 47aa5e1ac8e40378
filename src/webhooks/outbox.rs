//! The per-namespace [`Outbox`]: deliveries, their attempts, targets, and the signal retries
//! and the admin flush wait on.
//!
//! Pending deliveries are never evicted: a receiver that is down, failing or hanging gets every
//! event once it is back. They are bounded by `--webhook-pending-max`; an event beyond it is
//! still recorded, as `dropped` with the reason, so the loss shows in the admin API. Finished
//! deliveries are kept for inspection up to [`FINISHED_KEPT`], the oldest going first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use super::{
    Attempt, AttemptInfo, AttemptPlan, Delivery, DeliveryStatus, FINISHED_KEPT, GENERATIONS, Job,
    Target,
};
use crate::clock::{Clock, Millis, iso8601, real_now_ms};
use crate::config::{Config, DEFAULT_WEBHOOK_PENDING_MAX};
use crate::vendor::Vendor;
use targets::configured_target;

mod targets;

/// Saved in the state file without its wiring (namespace name, generation, job queue, signal),
/// which [`Outbox::attach`] gives a loaded one.
#[derive(Serialize, Deserialize)]
pub struct Outbox {
    #[serde(skip)]
    namespace: String,
    #[serde(skip, default = "next_generation")]
    generation: u64,
    /// Events recorded as `dropped` because the pending cap was reached.
    dropped: u64,
    #[serde(skip)]
    jobs: Option<UnboundedSender<Job>>,
    next_seq: u64,
    /// Every delivery kept, by the number in its id (`whd_000042` is 42), so in creation order
    /// and found without a scan however many are pending.
    #[serde(with = "super::saved")]
    deliveries: BTreeMap<u64, Delivery>,
    targets: HashMap<Vendor, Target>,
    /// The vendors whose target (or its absence) was set through `PUT /__admin/webhook-targets`:
    /// they keep it across restarts, while every other vendor's follows the command line at load
    /// ([`Outbox::follow_configuration`]). `None` in a file saved before this was recorded: its
    /// targets are kept as they are, as nothing tells which came from where.
    #[serde(default)]
    admin_set: Option<BTreeSet<Vendor>>,
    /// Bumped whenever something a waiter cares about happens: an attempt recorded, the clock
    /// advanced, a flush. Retries and the admin flush wait on it with no lock held.
    #[serde(skip, default = "new_activity")]
    activity: watch::Sender<u64>,
    /// `--webhook-pending-max`: not saved, a loaded outbox takes the running configuration's.
    #[serde(skip, default = "default_pending_max")]
    pending_max: usize,
    /// Derived from `deliveries` (rebuilt by [`Outbox::attach`]): how many are pending, and
    /// the finished ones oldest first, the order they are evicted in.
    #[serde(skip)]
    pending: usize,
    #[serde(skip)]
    finished: BTreeSet<u64>,
    /// The last event was dropped: the cap is logged once per run of drops, not per event.
    #[serde(skip)]
    dropping: bool,
}

fn default_pending_max() -> usize {
    DEFAULT_WEBHOOK_PENDING_MAX
}

/// The number in a delivery id (`whd_000042` is 42): its key in the outbox.
pub(super) fn seq_of(id: &str) -> Option<u64> {
    id.strip_prefix("whd_")?.parse().ok()
}

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

fn new_activity() -> watch::Sender<u64> {
    watch::Sender::new(0)
}

impl Outbox {
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn new(namespace: &str, config: &Config, jobs: Option<UnboundedSender<Job>>) -> Self {
        let targets = (config.webhooks.targets.iter())
            .filter_map(|(vendor, _)| Some((*vendor, configured_target(config, *vendor)?)))
            .collect();
        Self {
            namespace: namespace.to_string(),
            generation: next_generation(),
            dropped: 0,
            jobs,
            next_seq: 0,
            deliveries: BTreeMap::new(),
            targets,
            admin_set: Some(BTreeSet::new()),
            activity: new_activity(),
            pending_max: config.webhooks.pending_max,
            pending: 0,
            finished: BTreeSet::new(),
            dropping: false,
        }
    }

    /// Wires an outbox loaded from the state file into namespace `namespace` and hands its
    /// pending deliveries to the worker again (their retry times are kept).
    pub fn attach(
        &mut self,
        namespace: &str,
        jobs: Option<UnboundedSender<Job>>,
        pending_max: usize,
    ) {
        self.namespace = namespace.to_string();
        self.jobs = jobs;
        self.pending_max = pending_max;
        self.finished = self
            .deliveries
            .iter()
            .filter(|(_, d)| d.status != DeliveryStatus::Pending)
            .map(|(seq, _)| *seq)
            .collect();
        self.pending = self.deliveries.len() - self.finished.len();
        let pending: Vec<String> = self
            .deliveries
            .values()
            .filter(|d| d.status == DeliveryStatus::Pending)
            .map(|d| d.id.clone())
            .collect();
        for id in pending {
            self.wake(&id);
        }
    }

    /// Queues `body` for `vendor`'s target in this namespace. Returns the delivery id, or `None`
    /// when the vendor has no target here (nothing to deliver to).
    pub fn enqueue(
        &mut self,
        vendor: Vendor,
        event: &str,
        body: &serde_json::Value,
        now: Millis,
    ) -> Option<String> {
        let target = self.targets.get(&vendor)?.clone();
        Some(self.enqueue_to(target, vendor, event, body, now))
    }

    /// [`Outbox::enqueue`] of an event that belongs to `owner` (see [`Delivery::owner`]).
    pub fn enqueue_owned(
        &mut self,
        vendor: Vendor,
        owner: &str,
        event: &str,
        body: &serde_json::Value,
        now: Millis,
    ) -> Option<String> {
        let target = self.targets.get(&vendor)?.clone();
        let id = self.enqueue_to(target, vendor, event, body, now);
        if let Some(d) = self.find_mut(&id) {
            d.owner = Some(owner.to_string());
        }
        Some(id)
    }

    /// Queues `body` for an explicit `target`: for vendors whose targets are finer-grained than
    /// a namespace (Bitmama's are per partner, Persona's API webhooks each their own).
    pub fn enqueue_to(
        &mut self,
        target: Target,
        vendor: Vendor,
        event: &str,
        body: &serde_json::Value,
        now: Millis,
    ) -> String {
        self.next_seq += 1;
        let seq = self.next_seq;
        let id = format!("whd_{seq:06}");
        // Pending deliveries are never pushed out; at the cap the new event is the one that is
        // not sent, and it stays listed with the reason.
        let reason = self.pending_cap_reason();
        let status = match reason {
            Some(_) => DeliveryStatus::Dropped,
            None => DeliveryStatus::Pending,
        };
        if let Some(reason) = &reason {
            self.dropped += 1;
            if !self.dropping {
                tracing::warn!(
                    namespace = %self.namespace,
                    "webhook event dropped: {reason}; further events are dropped until deliveries finish"
                );
            }
        }
        self.dropping = reason.is_some();
        self.deliveries.insert(
            seq,
            Delivery {
                id: id.clone(),
                vendor,
                event: event.to_string(),
                url: target.url,
                status,
                created_at: iso8601(now),
                reason,
                body: serde_json::to_string(body).unwrap_or_default(),
                attempts: Vec::new(),
                next_attempt_at: None,
                secrets: target.secrets,
                first_attempt_unix: None,
                owner: None,
            },
        );
        if status == DeliveryStatus::Pending {
            self.pending += 1;
            self.wake(&id);
        } else {
            self.finished.insert(seq);
            self.trim();
        }
        id
    }

    /// Why no further delivery can be pending (the cap is reached), or `None`.
    pub fn pending_cap_reason(&self) -> Option<String> {
        (self.pending >= self.pending_max).then(|| {
            format!(
                "pending cap of {} reached (--webhook-pending-max)",
                self.pending_max
            )
        })
    }

    /// Evicts the oldest finished deliveries beyond [`FINISHED_KEPT`]; pending ones stay.
    fn trim(&mut self) {
        while self.finished.len() > FINISHED_KEPT {
            if let Some(oldest) = self.finished.pop_first() {
                self.deliveries.remove(&oldest);
            }
        }
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut Delivery> {
        self.deliveries.get_mut(&seq_of(id)?).filter(|d| d.id == id)
    }

    /// Keeps the pending count and the finished index right after delivery `id` may have moved
    /// between pending and finished (it was pending before when `was_pending`).
    fn moved(&mut self, id: &str, was_pending: bool) {
        let Some(seq) = seq_of(id) else {
            return;
        };
        let pending_now = self
            .deliveries
            .get(&seq)
            .is_some_and(|d| d.status == DeliveryStatus::Pending);
        match (was_pending, pending_now) {
            (true, false) => {
                self.pending = self.pending.saturating_sub(1);
                self.finished.insert(seq);
                self.trim();
            }
            (false, true) => {
                self.pending += 1;
                self.finished.remove(&seq);
            }
            _ => {}
        }
    }

    /// Sends a finished delivery again from its first attempt (admin redeliver). A delivery
    /// still pending is already being worked on and is left alone (`false`), and so is every
    /// one while the pending cap is reached.
    pub fn redeliver(&mut self, id: &str) -> bool {
        if self.pending_cap_reason().is_some() {
            return false;
        }
        let Some(d) = self
            .find_mut(id)
            .filter(|d| d.status != DeliveryStatus::Pending)
        else {
            return false;
        };
        d.status = DeliveryStatus::Pending;
        d.reason = None;
        d.attempts.clear();
        d.first_attempt_unix = None;
        d.next_attempt_at = None;
        self.moved(id, false);
        self.wake(id);
        self.signal();
        true
    }

    /// Makes the next attempt of pending delivery `id` due now and wakes its retry (a client
    /// asked for it again while it waits out a backoff). `false` when it is not pending.
    pub fn bring_forward(&mut self, id: &str, now: Millis) -> bool {
        let Some(d) = self
            .find_mut(id)
            .filter(|d| d.status == DeliveryStatus::Pending)
        else {
            return false;
        };
        if let Some(at) = &mut d.next_attempt_at {
            *at = (*at).min(now);
        }
        self.signal();
        true
    }

    /// Makes every pending delivery due now and wakes its retry. Returns each one's id with the
    /// number of attempts it had, so the caller can wait for the next one.
    pub fn flush(&mut self, now: Millis) -> Vec<(String, usize)> {
        let mut flushed = Vec::new();
        for d in self.deliveries.values_mut() {
            if d.status == DeliveryStatus::Pending {
                if let Some(at) = &mut d.next_attempt_at {
                    *at = (*at).min(now);
                }
                flushed.push((d.id.clone(), d.attempts.len()));
            }
        }
        self.signal();
        flushed
    }

    /// The namespace clock moved: sleeping retries look at it again, and those now due go.
    pub fn clock_moved(&self) {
        self.signal();
    }

    /// A receiver that sees every later [`Outbox`] signal; it errors once this outbox is gone
    /// (the namespace was reset).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.activity.subscribe()
    }

    /// How long until the retry of `job` is due on `clock`; `None` when there is nothing left
    /// to retry (finished, or the job belongs to an outbox a reset replaced).
    pub(super) fn retry_due_in(&self, job: &Job, clock: &Clock) -> Option<Duration> {
        if job.generation != self.generation {
            return None;
        }
        let d = self.get(&job.delivery_id)?;
        if d.status != DeliveryStatus::Pending {
            return None;
        }
        let wait = d.next_attempt_at.map_or(0, |at| at - clock.now_ms()).max(0);
        Some(Duration::from_millis(wait as u64))
    }

    fn signal(&self) {
        self.activity.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Every delivery kept, oldest first.
    pub fn deliveries(&self) -> impl DoubleEndedIterator<Item = &Delivery> {
        self.deliveries.values()
    }

    pub fn get(&self, id: &str) -> Option<&Delivery> {
        self.deliveries.get(&seq_of(id)?).filter(|d| d.id == id)
    }

    /// Events recorded as `dropped` because the pending cap was reached.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Deliveries waiting for an attempt or a retry.
    pub fn pending(&self) -> usize {
        self.pending
    }

    fn wake(&self, id: &str) {
        if let Some(jobs) = &self.jobs {
            // The worker is gone only during shutdown; the delivery then stays pending.
            let _ = jobs.send(Job {
                namespace: self.namespace.clone(),
                generation: self.generation,
                delivery_id: id.to_string(),
            });
        }
    }

    pub(super) fn plan(&mut self, job: &Job, max_attempts: u32) -> Option<AttemptPlan> {
        if job.generation != self.generation {
            return None;
        }
        let d = self.find_mut(&job.delivery_id)?;
        if d.status != DeliveryStatus::Pending {
            return None;
        }
        let now_unix = real_now_ms() / 1000;
        let first = *d.first_attempt_unix.get_or_insert(now_unix);
        Some(AttemptPlan {
            vendor: d.vendor,
            url: d.url.clone(),
            body: Bytes::from(d.body.clone()),
            secrets: d.secrets.clone(),
            info: AttemptInfo {
                number: d.attempts.len() as u32 + 1,
                max_attempts,
                now_unix,
                first_attempt_unix: first,
            },
        })
    }

    /// Records an attempt; returns true when the delivery is finished (delivered or out of
    /// attempts).
    /// `next_attempt_at` is when a retry is due if this attempt did not finish the delivery.
    pub(super) fn record(
        &mut self,
        job: &Job,
        attempt: Attempt,
        max_attempts: u32,
        next_attempt_at: Millis,
    ) -> bool {
        if job.generation != self.generation {
            return true;
        }
        let id = job.delivery_id.as_str();
        let Some(d) = self.find_mut(id) else {
            return true;
        };
        let was_pending = d.status == DeliveryStatus::Pending;
        let ok = attempt.status.is_some_and(|s| (200..300).contains(&s));
        d.attempts.push(attempt);
        if ok {
            d.status = DeliveryStatus::Delivered;
        } else if d.attempts.len() as u32 >= max_attempts {
            d.status = DeliveryStatus::Failed;
        }
        let finished = d.status != DeliveryStatus::Pending;
        d.next_attempt_at = (!finished).then_some(next_attempt_at);
        self.moved(id, was_pending);
        self.signal();
        finished
    }

    /// Marks every pending delivery abandoned (shutdown). They are not evicted here: they were
    /// within the pending cap, and the state file keeps them as they ended.
    pub(super) fn abandon_pending(&mut self) {
        for (seq, d) in self.deliveries.iter_mut() {
            if d.status == DeliveryStatus::Pending {
                d.status = DeliveryStatus::Abandoned;
                self.finished.insert(*seq);
            }
        }
        self.pending = 0;
    }
}

#[cfg(test)]
mod tests;
