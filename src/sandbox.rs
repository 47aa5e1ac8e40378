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
//! It listens on an ephemeral loopback port (unless told otherwise) and serves on the caller's
//! Tokio runtime until [`Sandbox::shutdown`] or drop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Config, StateSync};
use crate::server;

/// Options for [`Sandbox`]; start from [`Sandbox::builder`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    config: Config,
    seed: Option<u64>,
    host: String,
    port: u16,
    coinflow_ui_port: Option<u16>,
}

impl SandboxBuilder {
    /// The seed of every id (same seed and requests, same ids). Default: random.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
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

    /// Loads the scenarios and the state file, binds the port and starts serving. Fails on an
    /// invalid scenario file, an unknown scenario name, a state file that cannot be loaded or
    /// written or that another sandbox uses (one still running holds its lock until its
    /// `shutdown` completes: await that before starting another on the same file), or a port
    /// that cannot be bound.
    pub async fn start(self) -> std::io::Result<Sandbox> {
        let mut config = self.config;
        config.seed = self.seed.unwrap_or_else(rand::random);
        let catalog = server::load_scenarios(&config)
            .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidInput, message))?;
        // Here rather than in the server task, so `start` fails on a bad state file.
        let saved = server::load_state(&config)?;
        let listener = TcpListener::bind((self.host.as_str(), self.port)).await?;
        let addr = listener.local_addr()?;
        let coinflow_ui = match self.coinflow_ui_port {
            Some(port) => Some(TcpListener::bind((self.host.as_str(), port)).await?),
            None => None,
        };
        let coinflow_ui_addr = coinflow_ui
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        let base_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        let seed = config.seed;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::run_with_listeners(
            listener,
            coinflow_ui,
            config,
            Arc::new(catalog),
            saved,
            async {
                let _ = stopped.await;
            },
        ));
        Ok(Sandbox {
            addr,
            coinflow_ui: coinflow_ui_addr,
            base_url,
            seed,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A running sandbox. Dropping it starts a graceful shutdown in the background;
/// [`Sandbox::shutdown`] waits for it.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    coinflow_ui: Option<SocketAddr>,
    base_url: String,
    seed: u64,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Sandbox {
    /// Options, starting from the defaults (random seed, no scenario, `127.0.0.1:0`).
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            config: Config::default(),
            seed: None,
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

    /// An admin API URL: `admin_url("/state")` is `…/__admin/state`.
    pub fn admin_url(&self, path: &str) -> String {
        format!("{}/__admin/{}", self.base_url, path.trim_start_matches('/'))
    }

    /// `http://localhost:PORT`: Coinflow's web-app pages, when
    /// [`SandboxBuilder::coinflow_ui_port`] turned them on.
    pub fn coinflow_ui_url(&self) -> Option<String> {
        self.coinflow_ui
            .map(|addr| format!("http://localhost:{}", addr.port()))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The seed in use (the one given, or the random one drawn).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Stops accepting, lets requests and webhook deliveries finish within the grace period,
    /// and waits until the server has stopped.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
