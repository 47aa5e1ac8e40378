//! The delivery worker: one task per delivery, attempts signed by the vendor, retries in
//! sandbox time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::AttemptInfo;
use super::client::post;
use super::{Attempt, Job};
use crate::clock::iso8601;
use crate::config::WebhookConfig;
use crate::scenario::{Catalog, Operation, Outcome, Subject};
use crate::state_file::sync::{Scope, SyncLog};
use crate::store::Store;
use crate::vendor::Vendor;

/// Signs one attempt as its vendor does: the vendor seam's, handed in by the server so the
/// worker needs no vendor module.
pub type Signer = fn(Vendor, &[String], &AttemptInfo, &[u8]) -> Vec<(String, String)>;

/// What every delivery task shares.
#[derive(Clone)]
struct Shared {
    store: Arc<Store>,
    scenarios: Arc<Catalog>,
    sign: Signer,
    config: Arc<WebhookConfig>,
    /// `--state-sync always`: a delivery waits for its namespace to be on disk.
    sync_log: Option<SyncLog>,
    /// The server's stop, so a delivery waiting for a retry due after the deadline stops at once.
    stop: watch::Receiver<Option<Stop>>,
}

/// Delay before retry number `retry` (1 for the first retry): doubling, capped.
pub fn backoff(config: &WebhookConfig, retry: u32) -> Duration {
    let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(20));
    config
        .base_delay
        .saturating_mul(factor)
        .min(config.max_delay)
}

/// How the worker stops: by `deadline`, the end of the server's shutdown grace (one for the
/// requests and the deliveries together). With `keep_pending`, deliveries still pending then
/// stay pending: the state file keeps them and the next start sends them. Without it they die
/// with the process and are marked abandoned.
#[derive(Debug, Clone, Copy)]
pub struct Stop {
    pub deadline: tokio::time::Instant,
    pub keep_pending: bool,
}

/// Runs deliveries until `shutdown` says how to stop; then lets the ones in flight (and the
/// retries due before its deadline) finish until that deadline, and stops the rest (see
/// [`Stop`]). A delivery whose next retry falls after the deadline stops at once, so a stop
/// waits the grace period out only for attempts that can still be made.
pub async fn run_worker(
    store: Arc<Store>,
    scenarios: Arc<Catalog>,
    sign: Signer,
    config: WebhookConfig,
    sync_log: Option<SyncLog>,
    mut jobs: UnboundedReceiver<Job>,
    mut shutdown: watch::Receiver<Option<Stop>>,
) {
    let shared = Shared {
        store: store.clone(),
        scenarios,
        sign,
        config: Arc::new(config),
        sync_log,
        stop: shutdown.clone(),
    };
    let mut running = JoinSet::new();
    let mut turns = Turns::default();
    loop {
        tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => {
                    let turn = turns.next(&job.namespace);
                    running.spawn(deliver(shared.clone(), job, turn));
                }
                None => break,
            },
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = shutdown.wait_for(Option::is_some) => break,
        }
    }
    // Stopped otherwise (every job sender or the stop sender gone): nothing will keep what is
    // pending, so it is marked abandoned at once.
    let stop = (*shutdown.borrow()).unwrap_or(Stop {
        deadline: tokio::time::Instant::now(),
        keep_pending: false,
    });
    // The server stops us once no request is left, so whatever was queued until then is here.
    while let Ok(job) = jobs.try_recv() {
        let turn = turns.next(&job.namespace);
        running.spawn(deliver(shared.clone(), job, turn));
    }
    let drained = tokio::time::timeout_at(stop.deadline, async {
        while running.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        running.shutdown().await;
    }
    let mut pending = 0;
    for name in store.names() {
        if let Some(ns) = store.existing(&name) {
            let mut world = ns.lock();
            pending += world.webhooks.pending();
            if !stop.keep_pending {
                world.webhooks.abandon_pending();
            }
        }
    }
    match (pending, stop.keep_pending) {
        (0, _) => {}
        (n, true) => tracing::warn!(
            "{n} webhook deliveries still pending at shutdown: the state file keeps them, and the next start sends them"
        ),
        (n, false) => tracing::warn!(
            "{n} webhook deliveries still pending at shutdown, abandoned (without --state-file they cannot be kept)"
        ),
    }
}

/// First attempts go out in the order their events happened, namespace by namespace, so a
/// receiver sees `KYC Created` before `KYC Success` (both made at once) *(choice)*; retries
/// are not ordered. Each delivery waits for the one queued before it in its namespace to have
/// made its first attempt (or given up), then says it has.
#[derive(Default)]
struct Turns {
    last: std::collections::HashMap<String, watch::Receiver<bool>>,
}

/// A delivery's place in its namespace's order: the one before it, and its own signal.
struct Turn {
    before: Option<watch::Receiver<bool>>,
    done: watch::Sender<bool>,
}

impl Turns {
    fn next(&mut self, namespace: &str) -> Turn {
        // Bounded: namespaces whose last delivery has been tried (or whose task is gone) are
        // forgotten now and then; what is left is first attempts in flight.
        if self.last.len() > 1024 {
            self.last
                .retain(|_, done| !*done.borrow() && done.has_changed().is_ok());
        }
        let (done, after) = watch::channel(false);
        let before = self.last.insert(namespace.to_string(), after);
        Turn { before, done }
    }
}

async fn deliver(shared: Shared, job: Job, turn: Turn) {
    let Shared {
        store,
        scenarios,
        sign,
        config,
        sync_log,
        mut stop,
    } = shared;
    // With `--state-sync always`, no one hears of a change before it is on disk: a crash would
    // take it back (and hand its ids out again). One that could not be saved was undone, this
    // delivery with it. Asked before the turn is waited for, so a burst's deliveries share
    // one sync.
    if let Some(log) = sync_log {
        // The writer does not see a namespace the request that made it has not kept yet.
        if let Some(ns) = store.in_use(&job.namespace) {
            ns.kept().await;
        }
        if log
            .commit(Scope::Namespace(job.namespace.clone()))
            .await
            .is_err()
        {
            return;
        }
    }
    if let Some(mut before) = turn.before {
        // Err: that delivery's task ended (its sender dropped) without an attempt.
        let _ = before.wait_for(|done| *done).await;
    }
    loop {
        let Some(ns) = store.in_use(&job.namespace) else {
            return;
        };
        let (plan, fail_on_purpose, sandbox_now) = {
            let mut world = ns.lock();
            let Some(plan) = world.webhooks.plan(&job, config.max_attempts) else {
                return;
            };
            // Attempts are listed in sandbox time, like the delivery's other times; only the
            // signature's `t=` is real time (receivers compare it with their own clock).
            let sandbox_now = world.clock.now_ms();
            // A scenario (e.g. `webhook-outage`) may fail this attempt without sending it.
            let subject =
                Subject::from_json(serde_json::from_slice(&plan.body).unwrap_or_default());
            let decision =
                scenarios.decide(&mut world, None, plan.vendor, Operation::WEBHOOK, &subject);
            let fail = decision
                .steer
                .is_some_and(|s| s.outcome == Outcome::Fail && s.is_due());
            (plan, fail, sandbox_now)
        };
        let started = Instant::now();
        let result = if fail_on_purpose {
            Err("scenario: delivery failed on purpose (not sent)".to_string())
        } else {
            let headers = sign(plan.vendor, &plan.secrets, &plan.info, &plan.body);
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
            at: iso8601(sandbox_now),
            status: result.as_ref().ok().copied(),
            error: result.err(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        tracing::debug!(delivery = %job.delivery_id, attempt = attempt.number, status = ?attempt.status, error = ?attempt.error, "webhook attempt");
        let finished = {
            let mut world = ns.lock();
            let retry_at = world.clock.now_ms().saturating_add(
                backoff(&config, plan.info.number)
                    .as_millis()
                    .try_into()
                    .unwrap_or(i64::MAX),
            );
            world
                .webhooks
                .record(&job, attempt, config.max_attempts, retry_at)
        };
        drop(ns);
        store.changed();
        turn.done.send_replace(true);
        if finished || !wait_for_retry(&store, &job, &mut stop).await {
            return;
        }
    }
}

/// Sleeps until the retry of `job` is due in sandbox time, waking early whenever the outbox
/// signals (clock advanced, flush) to look again. False when there is nothing left to retry, or
/// when the server is stopping and the retry would fall after its deadline: the delivery stays
/// pending, for the stop to keep or abandon.
async fn wait_for_retry(
    store: &Store,
    job: &Job,
    stop: &mut watch::Receiver<Option<Stop>>,
) -> bool {
    loop {
        let Some(ns) = store.in_use(&job.namespace) else {
            return false;
        };
        let (due_in, mut signals) = {
            let world = ns.lock();
            match world.webhooks.retry_due_in(job, &world.clock) {
                Some(due_in) => (due_in, world.webhooks.subscribe()),
                None => return false,
            }
        };
        drop(ns);
        if due_in.is_zero() {
            return true;
        }
        let due_at = tokio::time::Instant::now() + due_in;
        if let Some(stopping) = *stop.borrow_and_update()
            && stopping.deadline < due_at
        {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep_until(due_at) => {}
            // Err: the outbox was replaced by a reset; the next look finds nothing to retry.
            _ = signals.changed() => {}
            changed = stop.changed() => {
                // Err: the server is gone without a stop; the worker abandons what is pending.
                if changed.is_err() {
                    return false;
                }
            }
        }
    }
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

    #[test]
    fn turns_chain_a_namespace_and_forget_what_is_done() {
        let mut turns = Turns::default();
        let first = turns.next("a");
        assert!(first.before.is_none(), "nothing before the first");
        let second = turns.next("a");
        let before = second.before.as_ref().expect("waits for the first");
        assert!(!*before.borrow());
        first.done.send_replace(true);
        assert!(*before.borrow(), "told once the first was tried");
        assert!(
            turns.next("b").before.is_none(),
            "namespaces do not wait for each other"
        );
        // Tried, or whose task is gone: forgotten once there are many.
        drop(second);
        for n in 0..1100 {
            turns.next(&format!("ns-{n}")).done.send_replace(true);
        }
        assert!(turns.last.len() <= 1025, "{}", turns.last.len());
    }
}
