//! Library mode: the sandbox started in-process, for the tests of other Rust projects.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = vendor_sandbox::Sandbox::builder()
//!     .seed(7)
//!     .scenario("happy-path")
//!     .start()
//!     .await?;
//! let inquiries = format!("{}/api/v1/inquiries", sandbox.base_url());
//! let state = sandbox.admin_url("/state");
//! # let _ = (inquiries, state);
//! sandbox.shutdown().await?; // or just drop it
//! # Ok(()) }
//! ```
//!
//! From sync code (a plain `#[test]`, a blocking HTTP client), or for one sandbox shared by a
//! whole test binary:
//!
//! ```no_run
//! use std::sync::LazyLock;
//! use vendor_sandbox::Sandbox;
//!
//! // Started by the first test that uses it; it stops with the process (statics are never
//! // dropped, so a state file keeps only what the debounced saver wrote by then).
//! static SANDBOX: LazyLock<Sandbox> =
//!     LazyLock::new(|| Sandbox::builder().start_blocking().expect("sandbox starts"));
//!
//! #[test]
//! fn health() {
//!     let url = SANDBOX.admin_url("/health");
//!     // ... any client, blocking or async, on any runtime
//! #   let _ = url;
//! }
//! ```
//!
//! It listens on an ephemeral loopback port (unless told otherwise) and serves on a thread and
//! Tokio runtime of its own, which the [`Sandbox`] owns: so it does not depend on the caller's
//! runtime (it outlives the one that started it, and a blocking client in a current-thread
//! test does not stall it), and dropping it can wait for its graceful shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::oneshot;

use crate::config::{Config, StateSync};
use crate::server;

/// Worker threads of the sandbox's own runtime: a test fixture's load needs no more, and a
/// test binary starting one sandbox per test does not start a runtime per core for each.
const SERVER_THREADS: usize = 2;

/// Options for [`Sandbox`]; start from [`Sandbox::builder`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    /// `config.seed` is drawn when the builder is made; [`SandboxBuilder::seed`] and
    /// [`SandboxBuilder::configure`] replace it.
    config: Config,
    host: String,
    port: u16,
    coinflow_ui_port: Option<u16>,
}

impl SandboxBuilder {
    /// The seed of every id (same seed and requests, same ids). Default: random. Setting
    /// `Config::seed` through [`SandboxBuilder::configure`] does the same.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// The scenario the default namespace starts with (other namespaces select theirs through
    /// `PUT /__admin/scenario`). Unknown names make [`SandboxBuilder::start`] fail.
    pub fn scenario(mut self, name: impl Into<String>) -> Self {
        self.config.scenario = Some(name.into());
        self
    }

    /// A folder of scenario files besides the shipped ones (`--scenarios`).
    pub fn scenarios_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.scenarios_dir = Some(dir.into());
        self
    }

    /// Keep the state in this file across restarts (`--state-file`).
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.state_file = Some(path.into());
        self
    }

    /// When changes reach the state file (`--state-sync`): [`StateSync::Always`] answers a
    /// state-changing request only once the change is on disk.
    pub fn state_sync(mut self, sync: StateSync) -> Self {
        self.config.state_sync = sync;
        self
    }

    /// The port to listen on; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Also serve Coinflow's web-app pages (CoinflowWithdraw's and CoinflowBankLink's iframes)
    /// on this port of the same host (`--coinflow-ui-port`; 0 picks a free one). Coinflow's
    /// SDK frames `http://localhost:3000` in its `local` environment. Default: off.
    pub fn coinflow_ui_port(mut self, port: u16) -> Self {
        self.coinflow_ui_port = Some(port);
        self
    }

    /// The address to listen on; default `127.0.0.1`.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// A `Host` name to answer besides loopback ones (`--allowed-host`), e.g. the name other
    /// containers reach this one by. Repeatable.
    pub fn allowed_host(mut self, host: impl Into<String>) -> Self {
        self.config.allowed_hosts.push(host.into());
        self
    }

    /// A web origin whose pages may call the vendor routes (`--cors-origin`). Repeatable.
    pub fn cors_origin(mut self, origin: impl Into<String>) -> Self {
        self.config.cors_origins.push(origin.into());
        self
    }

    /// Any other option, as the command line would set it (webhook targets, API keys...).
    pub fn configure(mut self, adjust: impl FnOnce(&mut Config)) -> Self {
        adjust(&mut self.config);
        self
    }

    /// Loads the scenarios and the state file, binds the port and starts serving on the
    /// sandbox's own thread and runtime. Fails on an invalid scenario file, an unknown scenario
    /// name, a state file that cannot be loaded or written or that another sandbox uses (one
    /// still running holds its lock until its shutdown completes: await that before starting
    /// another on the same file), or a port that cannot be bound.
    ///
    /// Async only for the callers that await it: it does what [`SandboxBuilder::start_blocking`]
    /// does (a few milliseconds of blocking work, more to load a large state file).
    pub async fn start(self) -> std::io::Result<Sandbox> {
        self.start_blocking()
    }

    /// [`SandboxBuilder::start`] from sync code: a plain `#[test]`, a `main` without a runtime,
    /// a `static` sandbox shared by every test of a binary. Needs no Tokio runtime.
    pub fn start_blocking(self) -> std::io::Result<Sandbox> {
        let config = self.config;
        let catalog = server::load_scenarios(&config)
            .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidInput, message))?;
        // Here rather than in the server thread, so the start fails on a bad state file.
        let saved = server::load_state(&config)?;
        let listener = bind(&self.host, self.port)?;
        let addr = listener.local_addr()?;
        let coinflow_ui = self
            .coinflow_ui_port
            .map(|port| bind(&self.host, port))
            .transpose()?;
        let coinflow_ui_addr = coinflow_ui
            .as_ref()
            .map(std::net::TcpListener::local_addr)
            .transpose()?;
        let base_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        let seed = config.seed;
        let (stop, stop_signal) = oneshot::channel::<()>();
        let (stopped_tx, stopped) = oneshot::channel();
        let (ready_tx, ready) = std::sync::mpsc::sync_channel(1);
        // The runtime is built, used and dropped on this thread only, never on the caller's
        // (dropping a runtime inside an async context panics).
        let thread = std::thread::Builder::new()
            .name("vendor-sandbox".into())
            .spawn(move || {
                let serving = runtime().and_then(|runtime| {
                    let entered = runtime.enter();
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    let coinflow_ui = coinflow_ui
                        .map(tokio::net::TcpListener::from_std)
                        .transpose()?;
                    drop(entered);
                    Ok((runtime, listener, coinflow_ui))
                });
                let (runtime, listener, coinflow_ui) = match serving {
                    Ok(serving) => serving,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let result = runtime.block_on(server::run_with_listeners(
                    listener,
                    coinflow_ui,
                    config,
                    Arc::new(catalog),
                    saved,
                    async {
                        let _ = stop_signal.await;
                    },
                ));
                // Every task the server spawned has ended with it; the runtime goes before
                // anyone hears that the sandbox has stopped.
                drop(runtime);
                let _ = stopped_tx.send(result);
            })?;
        let started = ready.recv().unwrap_or_else(|_| {
            Err(std::io::Error::other(
                "the sandbox's server thread ended before serving",
            ))
        });
        if let Err(e) = started {
            // It has returned or is about to: the state file's lock goes with it.
            let _ = thread.join();
            return Err(e);
        }
        Ok(Sandbox {
            addr,
            coinflow_ui: coinflow_ui_addr,
            base_url,
            seed,
            stop: Some(stop),
            stopped: Some(stopped),
            thread: Some(thread),
        })
    }
}

/// A running sandbox, served on a thread and runtime of its own. [`Sandbox::shutdown`] (or
/// [`Sandbox::shutdown_blocking`]) stops it gracefully and says how that went; dropping it does
/// the same and waits for it, up to the grace period (`Config::shutdown_grace`), so the state
/// file is saved and deliveries in flight end before the drop returns. In async code prefer
/// `shutdown().await`: a drop blocks its thread meanwhile (on a current-thread runtime, the
/// caller's own tasks, a webhook receiver among them, wait with it).
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    coinflow_ui: Option<SocketAddr>,
    base_url: String,
    seed: u64,
    stop: Option<oneshot::Sender<()>>,
    /// What the server returned, sent once its runtime is gone.
    stopped: Option<oneshot::Receiver<std::io::Result<()>>>,
    thread: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Options, starting from the defaults (a random seed, no scenario, `127.0.0.1:0`).
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            config: Config {
                seed: rand::random(),
                ..Config::default()
            },
            host: "127.0.0.1".into(),
            port: 0,
            coinflow_ui_port: None,
        }
    }

    /// A sandbox with the defaults.
    pub async fn start() -> std::io::Result<Sandbox> {
        Self::builder().start().await
    }

    /// `http://127.0.0.1:PORT`: the base URL of all three vendors (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The base URL of namespace `name` (`…/ns/NAME`): point one test's clients at it to keep
    /// its state apart from every other test's.
    pub fn namespace_url(&self, name: &str) -> String {
        format!("{}/ns/{name}", self.base_url)
    }

    /// An admin API URL of the default namespace: `admin_url("/state")` is `…/__admin/state`.
    pub fn admin_url(&self, path: &str) -> String {
        format!("{}/__admin/{}", self.base_url, path.trim_start_matches('/'))
    }

    /// An admin API URL of namespace `name`: `admin_url_in("test-1", "/webhooks/flush")` is
    /// `…/ns/test-1/__admin/webhooks/flush`.
    pub fn admin_url_in(&self, name: &str, path: &str) -> String {
        format!(
            "{}/__admin/{}",
            self.namespace_url(name),
            path.trim_start_matches('/')
        )
    }

    /// `http://localhost:PORT`: Coinflow's web-app pages, when
    /// [`SandboxBuilder::coinflow_ui_port`] turned them on.
    pub fn coinflow_ui_url(&self) -> Option<String> {
        self.coinflow_ui
            .map(|addr| format!("http://localhost:{}", addr.port()))
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The seed in use (the one given, or the random one drawn).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Stops accepting, lets requests and webhook deliveries finish within the grace period,
    /// saves the state file, and waits until the server has stopped. The error is the server's
    /// (a failed last save, say).
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = match self.stopped.take() {
            Some(stopped) => stopped.await.unwrap_or_else(|_| Err(thread_panicked())),
            None => Ok(()),
        };
        // The thread sent the result as its last act: joining it returns at once.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        result
    }

    /// [`Sandbox::shutdown`] from sync code: blocks until the server has stopped.
    pub fn shutdown_blocking(mut self) -> std::io::Result<()> {
        self.stop_and_join()
    }

    /// Signals the stop and blocks until the server thread has ended; its result.
    fn stop_and_join(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        match self.stopped.take().map(|mut stopped| stopped.try_recv()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(thread_panicked()),
            None => Ok(()),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.thread.is_none() {
            return;
        }
        // On a multi-thread runtime's worker, let its other tasks move to other workers
        // meanwhile; `block_in_place` would panic on a current-thread runtime.
        let stopped = match Handle::try_current().map(|handle| handle.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| self.stop_and_join()),
            _ => self.stop_and_join(),
        };
        if let Err(e) = stopped {
            // A drop has no one to return it to.
            tracing::error!("the sandbox on {} did not stop cleanly: {e}", self.addr);
        }
    }
}

fn thread_panicked() -> std::io::Error {
    std::io::Error::other("the sandbox's server thread panicked")
}

/// A listener bound as the server's runtime wants it (non-blocking), before that runtime exists.
fn bind(host: &str, port: u16) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind((host, port))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// The sandbox's own runtime.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(SERVER_THREADS)
        .thread_name("vendor-sandbox-worker")
        .enable_all()
        // As the binary's: a worker's request lines go to the log writer once it is idle.
        .on_thread_park(crate::logging::hand_over)
        .on_thread_stop(crate::logging::hand_over)
        .build()
}
