//! The per-request service: what a connection's requests share, and one request from hyper's
//! head to the bytes handed back ([`serve`]); [`serve_in_process`], the same path without sockets.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use tokio::sync::watch;

use super::idle::Idle;
use crate::app::App;
use crate::area::Area;
use crate::clock;
use crate::cors;
use crate::http::{self, ConnectionDropped, Listener};
use crate::journal::Exchange;
use crate::logging;
use crate::router::{self, Step};
use crate::scenario::Fault;
use crate::state_file::sync::{Scope, SyncLog};

/// What a connection's requests share. Each request takes one reference to it, which only
/// that connection touches; cloning the `App` (six `Arc`s every worker shares) per request made
/// both cores bounce those counters' cache lines.
pub(super) struct Connection {
    pub(super) app: App,
    pub(super) stop: watch::Receiver<bool>,
    pub(super) sync_log: Option<SyncLog>,
    pub(super) via: Listener,
    /// For the header timeout, which the accept loop's [`Watchlist`](super::idle::Watchlist)
    /// keeps (hyper's own takes a timer per request).
    pub(super) idle: Arc<Idle>,
}

pub(super) async fn serve(
    connection: Arc<Connection>,
    started: Instant,
    mut request: http::ApiRequest,
    body: http::UnreadBody,
) -> Result<hyper::Response<http_body_util::Full<hyper::body::Bytes>>, ConnectionDropped> {
    let Connection {
        app,
        stop,
        sync_log,
        via,
        idle,
    } = &*connection;
    let via = *via;
    let Some(_busy) = idle.busy() else {
        return Err(ConnectionDropped("header timeout"));
    };
    let _in_flight = InFlight::enter(&app.in_flight);
    let config = &app.config;
    let body = http::read_body(
        &mut request,
        body,
        config.max_body_bytes,
        config.body_timeout,
    )
    .await;
    request.listener = via;
    let routed = router::prepare(app, &mut request, body);
    // A request a scenario drops is journaled when this future ends (returning, or dropped when
    // the client gives up, during the scenario's latency too).
    let _journaled = match routed.step {
        Step::Drop(fault) => Some(Unanswered {
            app,
            request: &request,
            area: routed.area,
            fault,
            started,
        }),
        _ => None,
    };
    if let Some(latency) = routed.latency {
        // No lock is held here: the router released the namespace before returning.
        tokio::time::sleep(latency).await;
    }
    // `--state-sync always`: read before the request can change anything (see `undone`).
    let rollbacks = sync_log.as_ref().map(|_| app.store.rollbacks());
    let mut response = match routed.step {
        Step::Answer(response) => response,
        Step::Dispatch(target) => router::dispatch_async(app, target, &request).await,
        Step::Drop(fault) => {
            tracing::info!(
                method = %request.method,
                path = %request.raw_path(),
                namespace = %request.namespace,
                rule = ?routed.rule,
                fault = ?fault,
                "request dropped by the scenario"
            );
            // The scenario counted the call.
            app.store.changed();
            if fault == Fault::Timeout {
                // Never answer: the client gives up (and hyper drops this future) or the server
                // shuts down.
                let _ = stop.clone().wait_for(|stopped| *stopped).await;
                return Err(ConnectionDropped("scenario timeout, server shutting down"));
            }
            return Err(ConnectionDropped("scenario reset"));
        }
    };
    let area = routed.area;
    if may_change_state(area, &request.method) {
        match sync_log {
            // `--state-sync always`: answered only once the change is on disk (no lock is held
            // while waiting). The commit covers it, so the saver is not woken.
            Some(log) => {
                let scope = if area == Area::Admin && crate::admin::resets_every_namespace(&request)
                {
                    Scope::All
                } else {
                    Scope::Namespace(request.namespace.to_string())
                };
                let refusal = match log.commit(scope).await {
                    Err(e) => Some(format!(
                        "The change could not be saved to the state file: {e}"
                    )),
                    // A change made before this one could not be saved, and undoing it undid
                    // this one too.
                    Ok(()) if undone(app, &request, area, &response, rollbacks) => Some(format!(
                        "The change was undone: an earlier change to namespace {} could not be saved to the state file, and the namespace went back to what the file holds",
                        request.namespace
                    )),
                    Ok(()) => None,
                };
                if let Some(message) = refusal {
                    response = area.error(500, &message, &request);
                }
            }
            None => app.store.changed(),
        }
    }
    let mut response = cors::with_cors(&app.config, area, &request, response);
    let (bytes, content_type) = http::body_bytes(&response.body);
    let duration = started.elapsed();
    // One reading of the clock for the journal and the log line.
    let now = std::time::SystemTime::now();
    if area != Area::Admin {
        let label = area.label();
        app.journal.record(Exchange {
            request: &request,
            vendor: label,
            status: response.status,
            answer: &bytes,
            time: clock::unix_ms(now),
            duration_ms: logging::millis(duration),
            fault: None,
        });
    }
    let headers = std::mem::take(&mut response.headers);
    let hyper_response = http::into_hyper(response.status, headers, bytes, content_type);
    // Formatted into this thread's batch of lines, which the log writer writes.
    logging::request(logging::RequestLine {
        time: now,
        method: &request.method,
        path: request.raw_path(),
        status: response.status,
        duration,
        namespace: &request.namespace,
        rule: routed.rule.as_ref(),
    });
    Ok(hyper_response)
}

/// One request the way [`serve`] handles it after hyper, minus the sockets, a scenario's latency,
/// CORS, the state file and the log line: routed, dispatched, serialized, journaled, turned into
/// hyper's response (then dropped). The answer and its bytes; `None` when a scenario drops the
/// connection. For in-process tests and probes (allocation counts, fuzzing, fill timing).
#[doc(hidden)]
pub fn serve_in_process(
    app: &App,
    mut request: http::ApiRequest,
    body: Result<(), http::BodyError>,
) -> Option<(http::ApiResponse, hyper::body::Bytes)> {
    let routed = router::prepare(app, &mut request, body);
    let response = match routed.step {
        Step::Answer(response) => response,
        Step::Dispatch(target) => router::dispatch(app, target, &request),
        Step::Drop(fault) => {
            drop(Unanswered {
                app,
                request: &request,
                area: routed.area,
                fault,
                started: Instant::now(),
            });
            return None;
        }
    };
    let (bytes, content_type) = http::body_bytes(&response.body);
    if routed.area != Area::Admin {
        app.journal.record(Exchange {
            request: &request,
            vendor: routed.area.label(),
            status: response.status,
            answer: &bytes,
            time: 0,
            duration_ms: 0.0,
            fault: None,
        });
    }
    drop(http::into_hyper(
        response.status,
        response.headers.clone(),
        bytes.clone(),
        content_type,
    ));
    Some((response, bytes))
}

/// A request a scenario's fault leaves unanswered: journaled when dropped, so a client that
/// saw its connection end finds what it sent (the scenario counted it too).
struct Unanswered<'a> {
    app: &'a App,
    request: &'a http::ApiRequest,
    area: Area,
    fault: Fault,
    started: Instant,
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if self.area == Area::Admin {
            return;
        }
        let fault = match self.fault {
            Fault::Timeout => "timeout",
            // Only `reset` and `timeout` leave a request unanswered.
            _ => "reset",
        };
        self.app.journal.record(Exchange {
            request: self.request,
            vendor: self.area.label(),
            status: 0,
            answer: &hyper::body::Bytes::new(),
            time: clock::unix_ms(std::time::SystemTime::now()),
            duration_ms: logging::millis(self.started.elapsed()),
            fault: Some(fault),
        });
    }
}

/// Whether a rollback (`--state-sync always`, a change the disk refused) undid what `request`
/// changed, once its own commit is done: there was one since the request began, and a vendor
/// request finds the world it changed replaced, or its namespace gone when it was answered; an
/// admin change (which may reach every namespace) is told of any.
fn undone(
    app: &App,
    request: &http::ApiRequest,
    area: Area,
    response: &http::ApiResponse,
    rollbacks_before: Option<u64>,
) -> bool {
    // A world replaced or a namespace gone without one is a deletion or a refusal's namespace
    // forgotten (and perhaps made again), not an undoing.
    if rollbacks_before == Some(app.store.rollbacks()) {
        return false;
    }
    match request.changed_world.get() {
        Some(&epoch) => match app.store.in_use(&request.namespace) {
            Some(ns) => ns.epoch() != epoch,
            // A refusal's namespace is forgotten when the refusal left it as new.
            None => !response.is_refusal(),
        },
        None => area == Area::Admin,
    }
}

/// Whether a request may have changed a world, so the state file is due for a save. Vendor
/// reads count: they settle time-based state, count scenario polls and may create a namespace.
/// Admin reads and unknown paths change nothing.
fn may_change_state(area: Area, method: &str) -> bool {
    match area {
        Area::Unknown => false,
        Area::Admin => method != "GET" && method != "HEAD",
        _ => true,
    }
}

/// Counts a request as in flight for as long as it lives, even if its future is dropped. It
/// borrows the counter: an `Arc` clone would touch the same shared cache line twice more.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request whose namespace changed hands without a rollback (a deletion, a refusal's
    /// namespace forgotten and made again) was not undone; after a rollback it was.
    #[test]
    fn a_change_is_undone_only_by_a_rollback() {
        let app = crate::server::probe_app();
        let request = http::ApiRequest {
            namespace: "undone".into(),
            ..Default::default()
        };
        let answered = http::ApiResponse::rendered(200, &serde_json::json!({}));
        let first = app.store.namespace("undone");
        let _ = request.changed_world.set(first.epoch());
        let before = Some(app.store.rollbacks());
        assert!(!undone(&app, &request, Area::Unknown, &answered, before));
        // Deleted and made again: another world, no rollback.
        assert!(app.store.remove("undone"));
        app.store.namespace("undone");
        assert!(!undone(&app, &request, Area::Unknown, &answered, before));
        // Put back after a failed write.
        app.store.roll_back("undone", None);
        assert!(undone(&app, &request, Area::Unknown, &answered, before));
    }
}
