//! The HTTP server: accept loop, per-connection hyper service, graceful shutdown.

mod idle;
mod service;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::app::App;
use crate::config::{Config, StateSync};
use crate::http::{self, Listener};
use crate::namespace::DEFAULT_NAMESPACE;
use crate::scenario::Catalog;
use crate::state_file::{self, SaveTo, SavedState};
use crate::vendor::Vendor;
use crate::vendors;
use crate::webhooks;
use idle::{Idle, Watchlist};
pub use service::serve_in_process;
use service::{Connection, serve};

/// Serves on `listener` until `shutdown` completes, then stops accepting, lets requests in flight
/// and webhook deliveries finish within `config.shutdown_grace`, and returns.
///
/// Fails at once, with every problem, when a scenario file is invalid or `config.scenario`
/// names no scenario.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let catalog = load_scenarios(&config)
        .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))?;
    run_with_scenarios(listener, config, Arc::new(catalog), shutdown).await
}

/// The scenario catalog `config` asks for, or one message naming every problem (one per line,
/// `FILE:LINE:COLUMN: what was expected`).
pub fn load_scenarios(config: &Config) -> Result<Catalog, String> {
    let catalog = Catalog::load(vendors::vocabulary(), config.scenarios_dir.as_deref()).map_err(
        |problems| {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            format!("invalid scenario files:\n{}", lines.join("\n"))
        },
    )?;
    if let Some(name) = &config.scenario {
        catalog
            .require(name)
            .map_err(|e| format!("--scenario: {e}"))?;
    }
    Ok(catalog)
}

/// [`run`] with the scenarios already loaded. Loads `config.state_file` first (see
/// [`run_with_state`]).
pub async fn run_with_scenarios(
    listener: TcpListener,
    config: Config,
    scenarios: Arc<Catalog>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let saved = load_state(&config)?;
    run_with_state(listener, config, scenarios, saved, shutdown).await
}

/// `config.state_file` locked and read ([`state_file::open`]; `None`: no file), after checking
/// it can be written, so a state file that could never be saved fails the start, not the
/// shutdown.
pub fn load_state(config: &Config) -> std::io::Result<Option<SavedState>> {
    let Some(path) = &config.state_file else {
        return Ok(None);
    };
    // As the server will: see [`state_file::resolve`].
    let path = &state_file::resolve(path);
    let invalid = |message| std::io::Error::new(std::io::ErrorKind::InvalidData, message);
    // In a library's async start nothing waits: a file in use is an error at once.
    let saved = state_file::open(path, Duration::ZERO).map_err(invalid)?;
    state_file::check_writable(path).map_err(invalid)?;
    Ok(Some(saved))
}

/// [`run_with_scenarios`] with the state file already read (`None`: a fresh start). With
/// `config.state_file` set, the state is saved there shortly after changes (or, with
/// `--state-sync always`, before each state-changing answer) and once more after shutdown; a
/// failure of that last save is the error returned.
pub async fn run_with_state(
    listener: TcpListener,
    config: Config,
    scenarios: Arc<Catalog>,
    saved: Option<SavedState>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    run_with_listeners(listener, None, config, scenarios, saved, shutdown).await
}

/// [`run_with_state`], also serving Coinflow's web-app pages on `coinflow_ui` (the
/// `--coinflow-ui-port` listener): same app, same store, only those pages.
pub async fn run_with_listeners(
    listener: TcpListener,
    coinflow_ui: Option<TcpListener>,
    config: Config,
    scenarios: Arc<Catalog>,
    saved: Option<SavedState>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let ready = |_: &Started| {};
    run_reporting(
        listener,
        coinflow_ui,
        config,
        scenarios,
        saved,
        shutdown,
        ready,
    )
    .await
}

/// What a server tells whoever started it once it serves: the start-up work that can fail
/// (loading and folding the state file) is done by then.
pub struct Started {
    /// Where the API listens.
    pub addr: SocketAddr,
    /// Where Coinflow's web-app pages listen, with `--coinflow-ui-port`.
    pub coinflow_ui: Option<SocketAddr>,
    /// The scenario the `default` namespace uses (a loaded one keeps its saved selection
    /// unless `--scenario` names another).
    pub scenario: Option<String>,
    /// The state file (resolved) and what was loaded from it.
    pub state: Option<StateLoaded>,
}

/// The state file a server keeps, and whether it found one at start.
pub struct StateLoaded {
    pub path: PathBuf,
    /// How many namespaces were loaded; `None`: there was no file (a fresh start).
    pub namespaces: Option<usize>,
}

/// [`run_with_listeners`], calling `ready` once the server is about to accept its first
/// connection (the binary prints its banner then).
pub async fn run_reporting(
    listener: TcpListener,
    coinflow_ui: Option<TcpListener>,
    mut config: Config,
    scenarios: Arc<Catalog>,
    saved: Option<SavedState>,
    shutdown: impl Future<Output = ()>,
    ready: impl FnOnce(&Started),
) -> std::io::Result<()> {
    // The file itself, whatever path names it (see [`state_file::resolve`]).
    config.state_file = config.state_file.as_deref().map(state_file::resolve);
    let local = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"))
        .trim_end_matches('/')
        .to_string();
    let config = Arc::new(crate::cors::with_implied_hosts(config, local, &public_url));
    let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
    let app = App::new(
        config.clone(),
        scenarios.clone(),
        Some(jobs_tx),
        &public_url,
    );
    let store = app.store.clone();
    // The state file's lock is held until this function returns (after the last save); a
    // caller that read the file without [`state_file::open`] has it taken here.
    let loaded = saved
        .as_ref()
        .and_then(|saved| saved.found.then_some(saved.namespaces.len()));
    let (log_folded, log_found, lock) = match saved {
        Some(saved) => {
            store.restore(saved.namespaces);
            for name in store.names() {
                if let Some(namespace) = store.existing(&name) {
                    let mut world = namespace.lock();
                    vendors::persona::restore_own_target(&mut world, &config);
                    vendors::bitmama::rebase_return_uris(&app, &mut world);
                }
            }
            // An explicit `--scenario` is the default namespace's, loaded or not; the same
            // selection again would only restart its saved counters.
            if let Some(name) = &config.scenario {
                let saved = (store.existing(DEFAULT_NAMESPACE))
                    .map(|ns| ns.lock().scenario.selected.clone());
                if saved.is_some_and(|saved| saved.as_ref() != Some(name)) {
                    store.select_scenario(DEFAULT_NAMESPACE, Some(name.clone()));
                }
            }
            (saved.log_folded, saved.log_found, saved.lock)
        }
        None => (0, false, None),
    };
    let _state_lock = match (lock, &config.state_file) {
        (None, Some(path)) => Some(
            state_file::lock(path, Duration::ZERO)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::WouldBlock, e))?,
        ),
        (lock, _) => lock,
    };
    if let (Some(path), true) = (&config.state_file, log_found) {
        state_file::fold_at_start(store.clone(), path.clone(), log_folded)
            .await
            .map_err(std::io::Error::other)?;
    }
    // With `--state-sync always`, the writer every state-changing request commits through.
    let sync = match (&config.state_file, config.state_sync) {
        (Some(path), StateSync::Always) => Some(
            state_file::sync::start(
                store.clone(),
                path.clone(),
                log_folded,
                config.state_log_fold_bytes,
            )
            .map_err(std::io::Error::other)?,
        ),
        _ => None,
    };
    let (sync_log, sync_writer) = sync.unzip();

    let (stop_tx, stop_rx) = watch::channel(false);
    // The webhook worker stops only after the connections have drained: requests finishing
    // during shutdown may still queue webhooks, and those must be delivered, kept pending for
    // the next start (with a state file) or marked abandoned.
    let (worker_stop_tx, worker_stop_rx) = watch::channel(None);
    let saver = config.state_file.clone().map(|path| {
        let to = match &sync_log {
            Some(log) => SaveTo::Log(log.clone()),
            None => SaveTo::Snapshot { path, log_folded },
        };
        tokio::spawn(state_file::run_saver(
            store.clone(),
            to,
            config.state_save_delay,
            stop_rx.clone(),
        ))
    });
    let worker = tokio::spawn(webhooks::run_worker(
        store.clone(),
        scenarios.clone(),
        vendors::webhook_headers,
        config.webhooks.clone(),
        sync_log.clone(),
        jobs_rx,
        worker_stop_rx,
    ));
    // Settles each namespace when its next due moment passes, with no request needed.
    let settler = tokio::spawn(crate::settler::run(
        app.clone(),
        sync_log.clone(),
        stop_rx.clone(),
    ));
    let scenario_watch = tokio::spawn(
        scenarios
            .clone()
            .watch(config.scenario_poll_interval, stop_rx.clone()),
    );

    ready(&Started {
        addr: local,
        coinflow_ui: coinflow_ui.as_ref().and_then(|ui| ui.local_addr().ok()),
        scenario: match store.existing(DEFAULT_NAMESPACE) {
            Some(ns) => ns.lock().scenario.selected.clone(),
            None => config.scenario.clone(),
        },
        state: (config.state_file.clone()).map(|path| StateLoaded {
            path,
            namespaces: loaded,
        }),
    });

    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut accept_failures = 0u32;
    let mut watchlist = Watchlist::new(config.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = accept(&listener, coinflow_ui.as_ref()) => match accepted {
                Ok((stream, via)) => {
                    accept_failures = 0;
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::new(Connection {
                        app: app.clone(),
                        stop: stop_rx.clone(),
                        sync_log: sync_log.clone(),
                        via,
                        idle: Arc::new(Idle::new()),
                    });
                    let idle = Arc::downgrade(&shared.idle);
                    let connection = http1::Builder::new()
                        // The header timeout is the `Watchlist`'s (hyper's takes a timer per
                        // request).
                        .header_read_timeout(None)
                        .keep_alive(true)
                        .serve_connection(
                            TokioIo::new(stream),
                            service_fn(move |req| {
                                let started = Instant::now();
                                // The head now, before hyper reads ahead (see `read_head`).
                                let limit = shared.app.config.max_body_bytes;
                                let (request, body) = http::read_head(req, limit);
                                serve(shared.clone(), started, request, body)
                            }),
                        );
                    let connection = graceful.watch(connection);
                    let task = connections.spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::debug!("connection ended with an error: {e}");
                        }
                    });
                    watchlist.watch(idle, task);
                }
                Err(e) => {
                    // Out of file descriptors and the like: close what is idle, back off and
                    // go on serving.
                    watchlist.sweep();
                    accept_failures = (accept_failures + 1).min(8);
                    let pause = Duration::from_millis(5 << accept_failures);
                    tracing::warn!("accept failed: {e}; retrying in {pause:?}");
                    tokio::time::sleep(pause).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = watchlist.sweep_when_due() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    drop(coinflow_ui);
    tracing::info!("shutting down: no new connections; finishing requests in flight");

    let _ = stop_tx.send(true);
    // One grace period for the requests and the deliveries after them.
    let deadline = tokio::time::Instant::now() + config.shutdown_grace;
    // hyper closes idle connections at once but waits on one with half a head: the sweeps go on.
    let drain = async {
        tokio::select! {
            () = graceful.shutdown() => {}
            () = async { loop { watchlist.sweep_when_due().await } } => {}
        }
    };
    let drained = tokio::time::timeout_at(deadline, drain).await;
    if drained.is_err() {
        tracing::warn!(
            "requests still in flight after {:?}; closing them",
            config.shutdown_grace
        );
    }
    connections.shutdown().await;
    // Stopped with the connections, before the worker: what it queued is the worker's to send.
    let _ = settler.await;
    let _ = worker_stop_tx.send(Some(webhooks::Stop {
        deadline,
        keep_pending: config.state_file.is_some(),
    }));
    let _ = worker.await;
    let _ = scenario_watch.await;
    if let (Some(saver), Some(path)) = (saver, &config.state_file) {
        // The saver has stopped (no write in progress): this last save has everything, the
        // deliveries still pending included (the next start sends them).
        let _ = saver.await;
        match (sync_log, sync_writer) {
            (Some(log), Some(writer)) => {
                // No request is left to commit: the writer writes the state file and removes
                // its log.
                log.stop();
                writer
                    .await
                    .unwrap_or_else(|e| Err(format!("the state log writer stopped: {e}")))
            }
            _ => state_file::save(store, path.clone(), log_folded).await,
        }
        .map_err(std::io::Error::other)?;
        tracing::info!("state saved to {}", path.display());
    }
    Ok(())
}

/// The next connection of either listener, and which one it came in on.
async fn accept(
    api: &TcpListener,
    coinflow_ui: Option<&TcpListener>,
) -> std::io::Result<(TcpStream, Listener)> {
    match coinflow_ui {
        None => api.accept().await.map(|(s, _)| (s, Listener::Api)),
        Some(ui) => tokio::select! {
            a = api.accept() => a.map(|(s, _)| (s, Listener::Api)),
            u = ui.accept() => u.map(|(s, _)| (s, Listener::WebApp(Vendor::Coinflow))),
        },
    }
}

/// An `App` wired as the server wires it, with a Bitmama starting balance no load spends: for
/// the in-process probes (`examples/`) and the allocation test.
#[doc(hidden)]
pub fn probe_app() -> App {
    let mut config = Config::default();
    config.bitmama.starting_balance_cents = 4_000_000_000_000_000_000;
    let scenarios = Arc::new(Catalog::shipped(vendors::vocabulary()));
    App::new(Arc::new(config), scenarios, None, "http://127.0.0.1:5000")
}

/// The `n`th `POST /api/v2/partner/card/users` of a probe: a new user (email `u{n}@{tag}`),
/// a new idempotency key, as `http::read_head` and `http::read_body` make it.
#[doc(hidden)]
pub fn probe_create(n: usize, tag: &str) -> http::ApiRequest {
    let body = format!(
        r#"{{"firstName":"Jane","lastName":"Doe","email":"u{n}@{tag}","phoneNumber":"+14155555555","accountPurpose":"personal use","ipAddress":"203.0.113.42","isTermsOfServiceAccepted":true,"program":"custodial"}}"#
    );
    let path = "/api/v2/partner/card/users";
    http::ApiRequest {
        method: "POST".into(),
        path: path.into(),
        headers: http::Headers::from([
            ("authorization", "Bearer sk_staging_bench"),
            ("content-type", "application/json"),
            ("idempotency-key", &format!("{tag}-{n}")),
        ]),
        body: body.into(),
        ..http::ApiRequest::default()
    }
}
