//! The per-namespace [`Outbox`]: deliveries, their attempts, targets, and the signal retries
//! and the admin flush wait on.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use super::{
    Attempt, AttemptInfo, AttemptPlan, Delivery, DeliveryStatus, GENERATIONS, Job, OUTBOX_CAPACITY,
    Target,
};
use crate::clock::{Clock, Millis, iso8601, real_now_ms};
use crate::config::Config;
use crate::vendor::Vendor;

/// Saved in the state file without its wiring (namespace name, generation, job queue, signal),
/// which [`Outbox::attach`] gives a loaded one.
#[derive(Serialize, Deserialize)]
pub struct Outbox {
    #[serde(skip)]
    namespace: String,
    #[serde(skip, default = "next_generation")]
    generation: u64,
    /// Pending deliveries pushed out by newer ones because the outbox was full.
    dropped: u64,
    #[serde(skip)]
    jobs: Option<UnboundedSender<Job>>,
    next_seq: u64,
    #[serde(with = "super::saved")]
    deliveries: VecDeque<Delivery>,
    targets: HashMap<Vendor, Target>,
    /// Bumped whenever something a waiter cares about happens: an attempt recorded, the clock
    /// advanced, a flush. Retries and the admin flush wait on it with no lock held.
    #[serde(skip, default = "new_activity")]
    activity: watch::Sender<u64>,
}

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

fn new_activity() -> watch::Sender<u64> {
    watch::Sender::new(0)
}

impl Outbox {
    pub fn new(namespace: &str, config: &Config, jobs: Option<UnboundedSender<Job>>) -> Self {
        let mut targets = HashMap::new();
        for (vendor, url) in &config.webhooks.targets {
            let secrets = config
                .webhooks
                .secrets
                .iter()
                .filter(|(v, _)| v == vendor)
                .map(|(_, s)| s.clone())
                .collect();
            targets.insert(
                *vendor,
                Target {
                    url: url.clone(),
                    secrets,
                },
            );
        }
        Self {
            namespace: namespace.to_string(),
            generation: next_generation(),
            dropped: 0,
            jobs,
            next_seq: 0,
            deliveries: VecDeque::new(),
            targets,
            activity: new_activity(),
        }
    }

    /// Wires an outbox loaded from the state file into namespace `namespace` and hands its
    /// pending deliveries to the worker again (their retry times are kept).
    pub fn attach(&mut self, namespace: &str, jobs: Option<UnboundedSender<Job>>) {
        self.namespace = namespace.to_string();
        self.jobs = jobs;
        let pending: Vec<String> = self
            .deliveries
            .iter()
            .filter(|d| d.status == DeliveryStatus::Pending)
            .map(|d| d.id.clone())
            .collect();
        for id in pending {
            self.wake(&id);
        }
    }

    pub fn target(&self, vendor: Vendor) -> Option<&Target> {
        self.targets.get(&vendor)
    }

    pub fn set_target(&mut self, vendor: Vendor, target: Target) {
        self.targets.insert(vendor, target);
    }

    pub fn remove_target(&mut self, vendor: Vendor) {
        self.targets.remove(&vendor);
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

    /// Queues `body` for an explicit `target`: for vendors whose targets are finer-grained than
    /// a namespace (Bitmama's are per partner).
    pub fn enqueue_to(
        &mut self,
        target: Target,
        vendor: Vendor,
        event: &str,
        body: &serde_json::Value,
        now: Millis,
    ) -> String {
        self.next_seq += 1;
        let id = format!("whd_{:06}", self.next_seq);
        if self.deliveries.len() >= OUTBOX_CAPACITY {
            // Drop the oldest finished delivery. If every one is still pending (a target down
            // for long), the oldest pending one goes, and the loss is counted and logged.
            let evicted = match self
                .deliveries
                .iter()
                .position(|d| d.status != DeliveryStatus::Pending)
            {
                Some(finished) => self.deliveries.remove(finished),
                None => {
                    self.dropped += 1;
                    tracing::warn!(
                        namespace = %self.namespace,
                        "webhook outbox full of pending deliveries; dropping the oldest"
                    );
                    self.deliveries.pop_front()
                }
            };
            drop(evicted);
        }
        self.deliveries.push_back(Delivery {
            id: id.clone(),
            vendor,
            event: event.to_string(),
            url: target.url,
            status: DeliveryStatus::Pending,
            created_at: iso8601(now),
            body: serde_json::to_string(body).unwrap_or_default(),
            attempts: Vec::new(),
            next_attempt_at: None,
            secrets: target.secrets,
            first_attempt_unix: None,
        });
        self.wake(&id);
        id
    }

    /// Sends a finished delivery again from its first attempt (admin redeliver). A delivery
    /// still pending is already being worked on and is left alone (`false`).
    pub fn redeliver(&mut self, id: &str) -> bool {
        let Some(d) = self
            .deliveries
            .iter_mut()
            .find(|d| d.id == id && d.status != DeliveryStatus::Pending)
        else {
            return false;
        };
        d.status = DeliveryStatus::Pending;
        d.attempts.clear();
        d.first_attempt_unix = None;
        d.next_attempt_at = None;
        self.wake(id);
        self.signal();
        true
    }

    /// Every vendor's target in this namespace.
    pub fn targets(&self) -> impl Iterator<Item = (Vendor, &Target)> {
        self.targets.iter().map(|(v, t)| (*v, t))
    }

    /// Makes every pending delivery due now and wakes its retry. Returns each one's id with the
    /// number of attempts it had, so the caller can wait for the next one.
    pub fn flush(&mut self, now: Millis) -> Vec<(String, usize)> {
        let mut flushed = Vec::new();
        for d in self.deliveries.iter_mut() {
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
        let d = self.deliveries.iter().find(|d| d.id == job.delivery_id)?;
        if d.status != DeliveryStatus::Pending {
            return None;
        }
        let wait = d.next_attempt_at.map_or(0, |at| at - clock.now_ms()).max(0);
        Some(Duration::from_millis(wait as u64))
    }

    fn signal(&self) {
        self.activity.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn deliveries(&self) -> impl DoubleEndedIterator<Item = &Delivery> {
        self.deliveries.iter()
    }

    pub fn get(&self, id: &str) -> Option<&Delivery> {
        self.deliveries.iter().find(|d| d.id == id)
    }

    /// Pending deliveries dropped because the outbox was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
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
        let id = job.delivery_id.as_str();
        let d = self.deliveries.iter_mut().find(|d| d.id == id)?;
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
        let Some(d) = self.deliveries.iter_mut().find(|d| d.id == id) else {
            return true;
        };
        let ok = attempt.status.is_some_and(|s| (200..300).contains(&s));
        d.attempts.push(attempt);
        if ok {
            d.status = DeliveryStatus::Delivered;
        } else if d.attempts.len() as u32 >= max_attempts {
            d.status = DeliveryStatus::Failed;
        }
        let finished = d.status != DeliveryStatus::Pending;
        d.next_attempt_at = (!finished).then_some(next_attempt_at);
        self.signal();
        finished
    }

    pub(super) fn abandon_pending(&mut self) {
        for d in self.deliveries.iter_mut() {
            if d.status == DeliveryStatus::Pending {
                d.status = DeliveryStatus::Abandoned;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookConfig;

    fn outbox_with_target() -> Outbox {
        let config = Config {
            webhooks: WebhookConfig {
                targets: vec![(Vendor::Persona, "http://127.0.0.1:9/hook".into())],
                ..WebhookConfig::default()
            },
            ..Config::default()
        };
        Outbox::new("ns", &config, None)
    }

    /// A reset replaces the outbox and delivery ids start again: a job of the old outbox must
    /// not drive the new outbox's delivery with the same id.
    #[test]
    fn jobs_of_an_older_outbox_are_ignored() {
        let mut old = outbox_with_target();
        let mut new = outbox_with_target();
        let id = old
            .enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0)
            .expect("target");
        assert_eq!(
            new.enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0),
            Some(id.clone())
        );
        let stale = Job {
            namespace: "ns".into(),
            generation: old.generation,
            delivery_id: id.clone(),
        };
        assert!(new.plan(&stale, 3).is_none());
        assert!(old.plan(&stale, 3).is_some());
    }

    #[test]
    fn a_full_outbox_drops_finished_deliveries_first_and_counts_lost_pending_ones() {
        let mut outbox = outbox_with_target();
        let first = outbox
            .enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0)
            .expect("target");
        outbox.deliveries[0].status = DeliveryStatus::Delivered;
        for _ in 1..OUTBOX_CAPACITY {
            outbox.enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0);
        }
        outbox.enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0);
        assert!(outbox.get(&first).is_none(), "the finished one went first");
        assert_eq!(outbox.dropped(), 0);
        outbox.enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0);
        assert_eq!(outbox.dropped(), 1);
        assert_eq!(outbox.deliveries().count(), OUTBOX_CAPACITY);
    }

    /// A loaded outbox keeps every delivery as it was (secrets and due times included) and
    /// hands the pending ones to the worker again.
    #[test]
    fn a_loaded_outbox_requeues_its_pending_deliveries() {
        let mut outbox = outbox_with_target();
        outbox.set_target(
            Vendor::Persona,
            Target {
                url: "http://127.0.0.1:9/hook".into(),
                secrets: vec!["wbhsec_1".into()],
            },
        );
        let done = outbox
            .enqueue(Vendor::Persona, "e", &serde_json::json!({"n": 1}), 0)
            .expect("target");
        let pending = outbox
            .enqueue(Vendor::Persona, "e", &serde_json::json!({"n": 2}), 0)
            .expect("target");
        outbox.deliveries[0].status = DeliveryStatus::Delivered;
        outbox.deliveries[1].next_attempt_at = Some(1_234);
        let saved = serde_json::to_string(&outbox).expect("serialize");

        let mut loaded: Outbox = serde_json::from_str(&saved).expect("deserialize");
        let (jobs, mut queued) = tokio::sync::mpsc::unbounded_channel();
        loaded.attach("ns", Some(jobs));
        let job = queued.try_recv().expect("the pending delivery is queued");
        assert_eq!(job.delivery_id, pending);
        assert_eq!(job.namespace, "ns");
        assert!(queued.try_recv().is_err(), "the delivered one is not");
        let plan = loaded.plan(&job, 3).expect("plannable");
        assert_eq!(plan.secrets, ["wbhsec_1"]);
        assert_eq!(
            loaded.get(&pending).and_then(|d| d.next_attempt_at),
            Some(1_234)
        );
        assert_eq!(
            loaded.get(&done).map(|d| d.status),
            Some(DeliveryStatus::Delivered)
        );
        assert_eq!(
            loaded.enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0),
            Some("whd_000003".to_string()),
            "delivery ids go on"
        );
    }

    #[test]
    fn only_finished_deliveries_are_redelivered() {
        let mut outbox = outbox_with_target();
        let id = outbox
            .enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0)
            .expect("target");
        assert!(!outbox.redeliver(&id), "pending: already being delivered");
        outbox.deliveries[0].status = DeliveryStatus::Failed;
        assert!(outbox.redeliver(&id));
        assert_eq!(
            outbox.get(&id).map(|d| d.status),
            Some(DeliveryStatus::Pending)
        );
    }
}
