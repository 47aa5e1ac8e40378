//! Closing a connection that sends no request head in time: the defence against a client that
//! trickles its head, or opens connections and sends nothing (`--header-timeout-secs`).
//!
//! hyper has one built in (`header_read_timeout`), but it takes a fresh tokio timer for every
//! head it waits for and drops it once the head is in: on a keep-alive connection, a timer put
//! into the runtime's timer wheel and taken out again on every request, about a tenth of a
//! health check's instructions (bench/RESULTS.md, run 11). Here a connection
//! notes when it goes idle (a relaxed store as each request ends), and the accept loop sweeps
//! its [`Watchlist`] a few times per timeout, closing the connections idle for longer.
//!
//! Idle starts when the answer is handed to hyper: time spent writing it to a client that does
//! not read it counts as idle, and such a client is cut off too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::task::AbortHandle;
use tokio::time::Instant;

/// When a connection last went idle, waiting for a request head.
pub struct Idle {
    opened: Instant,
    /// Nanoseconds from `opened`, or [`BUSY`] while a request is in flight.
    since: AtomicU64,
}

const BUSY: u64 = u64::MAX;

impl Idle {
    /// A connection just accepted: idle from now.
    pub fn new() -> Self {
        Self {
            opened: Instant::now(),
            since: AtomicU64::new(0),
        }
    }

    /// Marks a request in flight until the guard is dropped (however the request ends).
    /// hyper serves an HTTP/1 connection's requests one at a time.
    pub fn busy(&self) -> Busy<'_> {
        self.since.store(BUSY, Ordering::Relaxed);
        Busy(self)
    }

    /// How long it has been idle at `now`; `None` while a request is in flight (never cut off:
    /// its body has its own timeout).
    fn idle_at(&self, now: Instant) -> Option<Duration> {
        match self.since.load(Ordering::Relaxed) {
            BUSY => None,
            since => Some(now.duration_since(self.opened + Duration::from_nanos(since))),
        }
    }
}

/// See [`Idle::busy`].
pub struct Busy<'a>(&'a Idle);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        let idle = self.0;
        let since = u64::try_from(idle.opened.elapsed().as_nanos()).unwrap_or(BUSY - 1);
        idle.since.store(since, Ordering::Relaxed);
    }
}

/// The open connections, each with the handle that closes it (aborting its task drops the
/// connection and so closes its socket).
pub struct Watchlist {
    timeout: Duration,
    connections: Vec<(Weak<Idle>, AbortHandle)>,
}

impl Watchlist {
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            connections: Vec::new(),
        }
    }

    /// How often to [`sweep`](Self::sweep): a connection is closed between `timeout` and a
    /// quarter more after it went idle.
    pub fn period(&self) -> Duration {
        (self.timeout / 4).max(Duration::from_millis(1))
    }

    pub fn watch(&mut self, idle: &Arc<Idle>, connection: AbortHandle) {
        self.connections.push((Arc::downgrade(idle), connection));
    }

    /// Closes the connections idle for `timeout` or longer and forgets the ones that ended.
    pub fn sweep(&mut self) {
        let now = Instant::now();
        self.connections.retain(|(idle, connection)| {
            let Some(idle) = idle.upgrade() else {
                return false;
            };
            if idle.idle_at(now).is_some_and(|idle| idle >= self.timeout) {
                tracing::debug!(
                    "connection closed: no request head within {:?}",
                    self.timeout
                );
                connection.abort();
                return false;
            }
            true
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_millis(400);

    /// On the paused clock, which moves only when told (or when every task waits).
    #[tokio::test(start_paused = true)]
    async fn idle_connections_are_closed_and_busy_ones_kept() {
        let mut list = Watchlist::new(TIMEOUT);
        assert_eq!(list.period(), TIMEOUT / 4);
        let mut tasks = tokio::task::JoinSet::new();
        let mut open = || {
            let idle = Arc::new(Idle::new());
            list.watch(&idle, tasks.spawn(std::future::pending::<()>()));
            idle
        };
        let (silent, slow, keep_alive) = (open(), open(), open());
        let in_flight = slow.busy();

        tokio::time::advance(TIMEOUT / 2).await;
        drop(keep_alive.busy()); // a request starts and ends: idle again from now
        list.sweep();
        assert_eq!(list.connections.len(), 3);

        tokio::time::advance(TIMEOUT / 2).await;
        list.sweep();
        assert_eq!(silent.idle_at(Instant::now()), Some(TIMEOUT));
        assert_eq!(list.connections.len(), 2, "the silent one is closed");

        tokio::time::advance(TIMEOUT * 4).await;
        list.sweep();
        assert_eq!(list.connections.len(), 1, "the keep-alive one, idle since");
        assert_eq!(slow.idle_at(Instant::now()), None);

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

        // A connection that ended (its `Idle` dropped with it) is forgotten.
        let ended = Arc::new(Idle::new());
        list.watch(&ended, tasks.spawn(async {}));
        drop(ended);
        list.sweep();
        assert!(list.connections.is_empty());
    }
}
