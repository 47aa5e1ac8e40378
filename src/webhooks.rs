//! Outgoing webhooks: a per-namespace outbox and one worker task that delivers from it.
//!
//! Vendors put an event in their namespace's [`Outbox`] while they hold the world's lock; that
//! only records it and wakes the worker. The worker does the network I/O with no lock held,
//! signs each attempt through the owning vendor ([`crate::vendors::webhook_headers`]), records
//! every attempt, and retries with capped exponential backoff. The outbox knows no vendor: it
//! keeps the exact body bytes and the secrets, and asks the vendor module for the headers.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::clock::{Millis, iso8601, real_now_ms};
use crate::config::{Config, WebhookConfig};
use crate::scenario::{Operation, Outcome, Subject};
use crate::store::Store;
use crate::vendors::{self, Vendor};

/// Deliveries kept per namespace; the oldest finished ones go first.
const OUTBOX_CAPACITY: usize = 1_000;

/// Where one vendor's webhooks go in a namespace, and the secrets that sign them (more than one
/// while a rotated secret is still valid).
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub url: String,
    pub secrets: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    Abandoned,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub number: u32,
    pub at: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    pub vendor: Vendor,
    pub event: String,
    pub url: String,
    pub status: DeliveryStatus,
    pub created_at: String,
    /// The exact bytes sent on every attempt.
    pub body: String,
    pub attempts: Vec<Attempt>,
    #[serde(skip)]
    secrets: Vec<String>,
    #[serde(skip)]
    first_attempt_unix: Option<i64>,
}

/// What the worker needs for one attempt, copied out of the outbox so no lock is held while
/// sending.
#[derive(Debug, Clone)]
pub struct AttemptPlan {
    pub vendor: Vendor,
    pub url: String,
    pub body: Bytes,
    pub secrets: Vec<String>,
    pub info: AttemptInfo,
}

/// The facts a vendor signs or reports in its webhook headers.
#[derive(Debug, Clone, Copy)]
pub struct AttemptInfo {
    /// 1 for the first attempt.
    pub number: u32,
    pub max_attempts: u32,
    pub now_unix: i64,
    pub first_attempt_unix: i64,
}

/// Sent to the worker: "delivery `delivery_id` of `namespace` is waiting". `generation` names
/// the outbox it was queued in: a reset replaces the outbox, and delivery ids start again, so a
/// job of the old outbox must not drive the new one's delivery of the same id.
#[derive(Debug, Clone)]
pub struct Job {
    pub namespace: String,
    pub generation: u64,
    pub delivery_id: String,
}

/// Gives every outbox its own generation, process-wide.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

pub struct Outbox {
    namespace: String,
    generation: u64,
    /// Pending deliveries pushed out by newer ones because the outbox was full.
    dropped: u64,
    jobs: Option<UnboundedSender<Job>>,
    next_seq: u64,
    deliveries: VecDeque<Delivery>,
    targets: HashMap<Vendor, Target>,
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
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
            dropped: 0,
            jobs,
            next_seq: 0,
            deliveries: VecDeque::new(),
            targets,
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
        self.wake(id);
        true
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

    fn plan(&mut self, job: &Job, max_attempts: u32) -> Option<AttemptPlan> {
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
    fn record(&mut self, job: &Job, attempt: Attempt, max_attempts: u32) -> bool {
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
        d.status != DeliveryStatus::Pending
    }

    fn abandon_pending(&mut self) {
        for d in self.deliveries.iter_mut() {
            if d.status == DeliveryStatus::Pending {
                d.status = DeliveryStatus::Abandoned;
            }
        }
    }
}

/// Delay before retry number `retry` (1 for the first retry): doubling, capped.
pub fn backoff(config: &WebhookConfig, retry: u32) -> Duration {
    let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(20));
    config
        .base_delay
        .saturating_mul(factor)
        .min(config.max_delay)
}

/// Runs deliveries until `shutdown` turns true; then gives the ones in flight `grace` to
/// finish and marks whatever is still pending as abandoned.
pub async fn run_worker(
    store: Arc<Store>,
    config: WebhookConfig,
    mut jobs: UnboundedReceiver<Job>,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) {
    let config = Arc::new(config);
    let mut running = JoinSet::new();
    loop {
        tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => {
                    running.spawn(deliver(store.clone(), config.clone(), job));
                }
                None => break,
            },
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    // The server stops us once no request is left, so whatever was queued until then is here.
    while let Ok(job) = jobs.try_recv() {
        running.spawn(deliver(store.clone(), config.clone(), job));
    }
    let drained = tokio::time::timeout(grace, async {
        while running.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("webhook deliveries still running after {grace:?}; abandoning them");
        running.shutdown().await;
    }
    for name in store.names() {
        if let Some(ns) = store.existing(&name) {
            ns.lock().webhooks.abandon_pending();
        }
    }
}

async fn deliver(store: Arc<Store>, config: Arc<WebhookConfig>, job: Job) {
    loop {
        let Some(ns) = store.existing(&job.namespace) else {
            return;
        };
        let (plan, fail_on_purpose) = {
            let mut world = ns.lock();
            let Some(plan) = world.webhooks.plan(&job, config.max_attempts) else {
                return;
            };
            // A scenario (e.g. `webhook-outage`) may fail this attempt without sending it.
            let subject = Subject::from_json(serde_json::from_slice(&plan.body).unwrap_or_default());
            let decision =
                store
                    .scenarios
                    .decide(&mut world, None, plan.vendor, Operation::Webhook, &subject);
            let fail = decision
                .steer
                .is_some_and(|s| s.outcome == Outcome::Fail && s.is_due());
            (plan, fail)
        };
        let started = Instant::now();
        let result = if fail_on_purpose {
            Err("scenario: delivery failed on purpose (not sent)".to_string())
        } else {
            let headers =
                vendors::webhook_headers(plan.vendor, &plan.secrets, &plan.info, &plan.body);
            match tokio::time::timeout(
                config.attempt_timeout,
                post(&plan.url, headers, plan.body.clone()),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => Err(format!("timed out after {:?}", config.attempt_timeout)),
            }
        };
        let attempt = Attempt {
            number: plan.info.number,
            at: iso8601(plan.info.now_unix * 1000),
            status: result.as_ref().ok().copied(),
            error: result.err(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        tracing::debug!(delivery = %job.delivery_id, attempt = attempt.number, status = ?attempt.status, error = ?attempt.error, "webhook attempt");
        let finished = ns
            .lock()
            .webhooks
            .record(&job, attempt, config.max_attempts);
        drop(ns);
        if finished {
            return;
        }
        tokio::time::sleep(backoff(&config, plan.info.number)).await;
    }
}

/// POSTs `body` to an `http://` URL and returns the response status.
async fn post(url: &str, headers: Vec<(String, String)>, body: Bytes) -> Result<u16, String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("invalid URL {url}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "only http:// targets can be delivered to (no TLS in the sandbox): {url}"
        ));
    }
    let host = uri
        .host()
        .ok_or_else(|| format!("URL has no host: {url}"))?;
    let port = uri.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("connect to {host}:{port}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let authority = uri
        .authority()
        .map(|a| a.as_str())
        .unwrap_or(host)
        .to_string();
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut request = hyper::Request::post(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, "vendor-sandbox-webhooks");
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(Full::new(body))
        .map_err(|e| format!("building request: {e}"))?;
    let send = async move {
        // Only the status matters. The response (and its body, however large) is dropped here,
        // and with it the sender, so the connection future finishes without reading the body.
        let status = sender
            .send_request(request)
            .await
            .map(|response| response.status().as_u16());
        drop(sender);
        status
    };
    let (status, _) = tokio::join!(send, connection);
    status.map_err(|e| format!("request failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let config = WebhookConfig {
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(30),
            ..WebhookConfig::default()
        };
        let delays: Vec<u64> = (1..=5).map(|n| backoff(&config, n).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 30, 30]);
    }

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

    #[test]
    fn only_finished_deliveries_are_redelivered() {
        let mut outbox = outbox_with_target();
        let id = outbox
            .enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0)
            .expect("target");
        assert!(!outbox.redeliver(&id), "pending: already being delivered");
        outbox.deliveries[0].status = DeliveryStatus::Failed;
        assert!(outbox.redeliver(&id));
        assert_eq!(outbox.get(&id).map(|d| d.status), Some(DeliveryStatus::Pending));
    }
}
