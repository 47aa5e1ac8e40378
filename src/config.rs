//! Runtime configuration, built by the CLI (or by a test) and passed to [`crate::run`].

use std::path::PathBuf;
use std::time::Duration;

use crate::vendor::Vendor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Which generation of Bitmama's API to emulate (vendors.md 3), which differ in two things:
/// the older (the brief's) sends `user.kyc.*` events and issues `{slug}-rain-user-…` ids, the
/// current a single `user.kyc-event` with `data.status` and `{slug}-user-…` ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BitmamaWebhookStyle {
    #[default]
    Legacy,
    Current,
}

/// When a change reaches the state file (`--state-sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateSync {
    /// The whole state is rewritten `state_save_delay` after changes: cheap, but what was
    /// answered in that window is lost if the process is killed.
    #[default]
    Debounced,
    /// A state-changing request is answered only once its namespace is in the state log and
    /// synced to disk (group commit), so a 2xx survives a kill.
    Always,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Seed of every namespace's id generator.
    pub seed: u64,
    /// Requests whose body is larger get 413.
    pub max_body_bytes: usize,
    /// Entries kept in the request journal (a ring: the oldest go first).
    pub journal_size: usize,
    /// Namespaces the store holds at most; a request that would create one more is refused
    /// (`default` is always available). See [`crate::store::Store::admits`].
    pub max_namespaces: usize,
    /// A connection that has not sent a full request head this long after it was opened or
    /// answered is closed (within a quarter more: see `server::idle`).
    pub header_read_timeout: Duration,
    /// A request whose body has not fully arrived this long after its head gets 408 and its
    /// connection is closed (a client trickling or stalling its body holds nothing for long).
    pub body_timeout: Duration,
    /// How long shutdown waits for requests in flight and webhook deliveries.
    pub shutdown_grace: Duration,
    /// Base of every URL handed out (verification links, hosted pages). `None`: the bound address.
    pub public_url: Option<String>,
    pub webhooks: WebhookConfig,
    pub persona: PersonaConfig,
    pub bitmama: BitmamaConfig,
    pub coinflow: CoinflowConfig,
    /// A folder of scenario files, overlaid on the shipped ones and watched while running.
    pub scenarios_dir: Option<PathBuf>,
    /// The scenario the `default` namespace starts with (`None`: the built-in behaviour).
    pub scenario: Option<String>,
    /// How often `scenarios_dir` is checked for changes.
    pub scenario_poll_interval: Duration,
    /// Where the whole state is kept across restarts: loaded at start, saved after changes and
    /// at shutdown. `None`: state lives in memory only.
    pub state_file: Option<PathBuf>,
    /// How long after a change the state file is written, so a burst of changes is one write.
    pub state_save_delay: Duration,
    /// `Host` values answered besides loopback ones (`name` for any port, `name:port`, or `*`);
    /// the server adds the public URL's host and a specific bound address at start. Any other
    /// `Host` gets 403 (DNS rebinding). See `crate::cors`.
    pub allowed_hosts: Vec<String>,
    /// Web origins (`https://app.example.com`, or `*` for any) whose pages may call vendor
    /// routes, besides loopback origins.
    pub cors_origins: Vec<String>,
    pub state_sync: StateSync,
    /// With [`StateSync::Always`], the state log is folded into the state file once it is
    /// larger than this and than twice the state file.
    pub state_log_fold_bytes: u64,
}

/// Default of `--webhook-pending-max`: high enough that a long receiver outage loses nothing,
/// low enough to bound memory.
pub const DEFAULT_WEBHOOK_PENDING_MAX: usize = 100_000;

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Initial webhook target per vendor (`--webhook persona=URL`).
    pub targets: Vec<(Vendor, String)>,
    /// Initial signing secret per vendor (`--webhook-secret persona=SECRET`).
    pub secrets: Vec<(Vendor, String)>,
    /// Delay before the first retry; doubled for each further one, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Per attempt: connect, send and read the status.
    pub attempt_timeout: Duration,
    /// Pending deliveries a namespace may hold (`--webhook-pending-max`). Pending ones are never
    /// dropped; an event beyond the cap is recorded as `dropped`, with the reason, and not sent.
    pub pending_max: usize,
}

#[derive(Debug, Clone, Default)]
pub struct PersonaConfig {
    /// Accepted API keys; empty accepts any non-empty key.
    pub api_keys: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct BitmamaConfig {
    /// Partner wallet balance a new partner starts with, in cents.
    pub starting_balance_cents: i64,
    /// Taken from the partner wallet for each new card user, in cents.
    pub kyc_fee_cents: i64,
    pub webhook_style: BitmamaWebhookStyle,
}

/// A Coinflow merchant's payout balance unless configured: $10,000.
pub const DEFAULT_PAYOUT_BALANCE_CENTS: i64 = 1_000_000;

#[derive(Debug, Clone)]
pub struct CoinflowConfig {
    /// The payout balance (`GET /api/merchant/withdraws/payout/balance`) a merchant starts
    /// with, in cents.
    pub payout_balance_cents: i64,
}

impl Default for CoinflowConfig {
    fn default() -> Self {
        Self {
            payout_balance_cents: DEFAULT_PAYOUT_BALANCE_CENTS,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            seed: 0,
            max_body_bytes: 1024 * 1024,
            journal_size: 10_000,
            max_namespaces: 10_000,
            header_read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            public_url: None,
            webhooks: WebhookConfig::default(),
            persona: PersonaConfig::default(),
            bitmama: BitmamaConfig::default(),
            coinflow: CoinflowConfig::default(),
            scenarios_dir: None,
            scenario: None,
            scenario_poll_interval: Duration::from_secs(1),
            state_file: None,
            state_save_delay: Duration::from_millis(200),
            allowed_hosts: Vec::new(),
            cors_origins: Vec::new(),
            state_sync: StateSync::Debounced,
            state_log_fold_bytes: 64 << 20,
        }
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            targets: Vec::new(),
            secrets: Vec::new(),
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(300),
            max_attempts: 8,
            attempt_timeout: Duration::from_secs(5),
            pending_max: DEFAULT_WEBHOOK_PENDING_MAX,
        }
    }
}

impl Default for BitmamaConfig {
    fn default() -> Self {
        Self {
            starting_balance_cents: 500_000,
            kyc_fee_cents: 200,
            webhook_style: BitmamaWebhookStyle::Legacy,
        }
    }
}
