//! The settler: the server's task that settles a namespace when its next due moment passes in
//! real time (sandbox time is real time plus the namespace's clock offset), so a payout falling
//! due, a scheduled decision, a share token's redemption or an inquiry's expiry happens then,
//! with its webhooks, though no request touches the namespace. It takes the namespace's write
//! turn and lock as a request does, runs [`vendors::settle_all`], and commits the change as a
//! request's is (`--state-sync always`: the state log; otherwise the saver is woken). Requests
//! pay nothing for it: a change publishes its world's next due moment only when that moved
//! earlier (`store/due.rs`).

use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;
use crate::clock::real_now_ms;
use crate::state_file::sync::{Scope, SyncLog};
use crate::store::{Namespace, Next};
use crate::vendors;

/// Settles namespaces as they fall due until `stop` turns true.
pub async fn run(app: App, sync_log: Option<SyncLog>, mut stop: watch::Receiver<bool>) {
    let queue = app.store.due_queue();
    loop {
        if *stop.borrow() {
            return;
        }
        // Registered before looking, so a moment queued meanwhile wakes the sleep below.
        let woken = queue.woken();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let now = real_now_ms();
        let until = match queue.next(now) {
            Next::Settle(namespace) => {
                settle(&app, sync_log.as_ref(), &namespace).await;
                continue;
            }
            Next::SleepUntil(until) => until,
        };
        // The system clock may move: sleep at most a minute before looking again.
        let wait = until.map_or(Duration::from_secs(60), |at| {
            Duration::from_millis(u64::try_from(at.saturating_sub(now)).unwrap_or(0))
                .min(Duration::from_secs(60))
        });
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut woken => {}
            _ = stop.changed() => {}
        }
    }
}

/// Settles `namespace` as a request would find it, then commits the change.
async fn settle(app: &App, sync_log: Option<&SyncLog>, namespace: &Namespace) {
    let changed = {
        let _turn = namespace.write_turn().await;
        let mut world = namespace.lock();
        let now = world.clock.now_ms();
        // A request may have settled it since (or the moment was early): nothing to commit.
        let due = world.next_due().is_some_and(|at| at <= now);
        if due {
            vendors::settle_all(app, &mut world);
        }
        namespace.refresh_due(&world);
        due
    };
    if !changed {
        return;
    }
    match sync_log {
        Some(log) => {
            if let Err(e) = log.commit(Scope::Namespace(namespace.name.clone())).await {
                tracing::warn!(
                    namespace = %namespace.name,
                    "what fell due could not be saved to the state file: {e}"
                );
            }
        }
        None => app.store.changed(),
    }
}
