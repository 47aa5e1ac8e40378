//! Closing a connection that sends no request head in time: the defence against a client that
//! trickles its head, or opens connections and sends nothing (`--header-timeout-secs`).
//!
//! hyper has one built in (`header_read_timeout`), but it takes a fresh tokio timer for every
//! head it waits for and drops it once the head is in: on a keep-alive connection, a timer put
//! into the runtime's timer wheel and taken out again on every request, about a tenth of a
//! health check's instructions (bench/RESULTS.md, run 11). Here a connection notes when it is
//! busy and when it goes idle (an atomic swap as each request starts, a store as it ends), and
//! the accept loop sweeps its [`Watchlist`] four times per timeout, closing the connections
//! idle for longer.
//!
//! Idle starts when the answer is handed to hyper: time spent writing it to a client that does
//! not read it counts as idle, and such a client is cut off too.

use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// When a connection last went idle, waiting for a request head.
pub struct Idle {
    opened: Instant,
    /// Nanoseconds from `opened`; [`BUSY`] while a request is in flight, [`CLOSED`] once the
    /// sweep has decided to close it.
    since: AtomicU64,
}

const BUSY: u64 = u64::MAX;
const CLOSED: u64 = u64::MAX - 1;

impl Idle {
    /// A connection just accepted: idle from now.
    pub fn new() -> Self {
        Self {
            opened: Instant::now(),
            since: AtomicU64::new(0),
        }
    }

    /// Marks a request in flight until the guard is dropped (however the request ends); `None`
    /// when the sweep has already closed the connection, and then the request must not start
    /// (its task is being aborted). hyper serves an HTTP/1 connection's requests one at a time.
    pub fn busy(&self) -> Option<Busy<'_>> {
        (self.since.swap(BUSY, Ordering::Relaxed) != CLOSED).then_some(Busy(self))
    }

    /// Marks the connection closed if it has been idle for `timeout` at `now`: decided in one
    /// step with [`Idle::busy`], so a request that starts meanwhile either runs to its end or
    /// never starts.
    fn close_if_idle(&self, now: Instant, timeout: Duration) -> bool {
        let since = self.since.load(Ordering::Relaxed);
        if since >= CLOSED {
            // In flight (never cut off: its body has its own timeout), or closed already.
            return since == CLOSED;
        }
        now.duration_since(self.opened + Duration::from_nanos(since)) >= timeout
            && (self.since)
                .compare_exchange(since, CLOSED, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// See [`Idle::busy`].
pub struct Busy<'a>(&'a Idle);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        let idle = self.0;
        let since = u64::try_from(idle.opened.elapsed().as_nanos()).unwrap_or(CLOSED - 1);
        idle.since.store(since.min(CLOSED - 1), Ordering::Relaxed);
    }
}

/// The open connections, each with the handle that closes it (aborting its task drops the
/// connection and so closes its socket).
pub struct Watchlist {
    timeout: Duration,
    /// Rings four times per timeout: a connection is closed between `timeout` and a quarter
    /// more after it went idle.
    sweeps: Interval,
    connections: Vec<(Weak<Idle>, AbortHandle)>,
    /// The list's length after it was last pruned: [`Watchlist::watch`] prunes it again once it
    /// has doubled, so connections that come and go between sweeps do not pile up (each handle
    /// keeps its finished task's memory).
    pruned_len: usize,
}

impl Watchlist {
    /// Connections idle for `timeout` are closed.
    pub fn new(timeout: Duration) -> Self {
        let mut sweeps = tokio::time::interval((timeout / 4).max(Duration::from_millis(1)));
        sweeps.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            timeout,
            sweeps,
            connections: Vec::new(),
            pruned_len: 0,
        }
    }

    /// Sweeps when the next sweep is due. Cancel-safe: nothing is left half done.
    pub async fn sweep_when_due(&mut self) {
        self.sweeps.tick().await;
        self.sweep();
    }

    /// Watches a connection: `idle` is its note, `connection` aborts its task.
    pub fn watch(&mut self, idle: Weak<Idle>, connection: AbortHandle) {
        if self.connections.len() >= (2 * self.pruned_len).max(64) {
            self.connections.retain(|(idle, _)| idle.strong_count() > 0);
            self.pruned_len = self.connections.len();
        }
        self.connections.push((idle, connection));
    }

    /// Closes the connections idle for `timeout` or longer and forgets the ones that ended.
    pub fn sweep(&mut self) {
        let now = Instant::now();
        self.connections.retain(|(idle, connection)| {
            let Some(idle) = idle.upgrade() else {
                return false;
            };
            if idle.close_if_idle(now, self.timeout) {
                tracing::debug!(
                    "connection closed: idle (no request head, or its answer unread) for {:?}",
                    self.timeout
                );
                connection.abort();
                return false;
            }
            true
        });
        self.pruned_len = self.connections.len();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const TIMEOUT: Duration = Duration::from_millis(400);

    /// On the paused clock, which moves only when told (or when every task waits).
    #[tokio::test(start_paused = true)]
    async fn idle_connections_are_closed_and_busy_ones_kept() {
        let mut list = Watchlist::new(TIMEOUT);
        assert_eq!(list.sweeps.period(), TIMEOUT / 4);
        let mut tasks = tokio::task::JoinSet::new();
        let mut open = || {
            let idle = Arc::new(Idle::new());
            list.watch(
                Arc::downgrade(&idle),
                tasks.spawn(std::future::pending::<()>()),
            );
            idle
        };
        let (silent, slow, keep_alive) = (open(), open(), open());
        let in_flight = slow.busy().expect("open");

        tokio::time::advance(TIMEOUT / 2).await;
        drop(keep_alive.busy()); // a request starts and ends: idle again from now
        list.sweep();
        assert_eq!(list.connections.len(), 3);

        tokio::time::advance(TIMEOUT / 2).await;
        list.sweep();
        assert_eq!(list.connections.len(), 2, "the silent one is closed");
        assert!(
            silent.busy().is_none(),
            "a head read just now does not start"
        );

        tokio::time::advance(TIMEOUT * 4).await;
        list.sweep();
        assert_eq!(list.connections.len(), 1, "the keep-alive one, idle since");

        // Idle again once its request ends, and closed a timeout later.
        drop(in_flight);
        tokio::time::advance(TIMEOUT).await;
        list.sweep();
        assert!(list.connections.is_empty());
        let mut closed = 0;
        while let Some(ended) = tasks.join_next().await {
            assert!(ended.is_err_and(|e| e.is_cancelled()));
            closed += 1;
        }
        assert_eq!(closed, 3);
    }

    /// Connections that end between sweeps (their `Idle` dropped with them) are forgotten by
    /// the next sweep, or by `watch` once the list has doubled.
    #[tokio::test]
    async fn ended_connections_do_not_pile_up() {
        let mut list = Watchlist::new(Duration::from_secs(3600));
        let mut tasks = tokio::task::JoinSet::new();
        let live = Arc::new(Idle::new());
        list.watch(Arc::downgrade(&live), tasks.spawn(async {}));
        for _ in 0..10_000 {
            let ended = Arc::new(Idle::new());
            list.watch(Arc::downgrade(&ended), tasks.spawn(async {}));
        }
        assert!(list.connections.len() <= 64, "{}", list.connections.len());
        list.sweep();
        assert_eq!(list.connections.len(), 1);
    }
}
