//! The command line: `vendor-sandbox [OPTIONS]` serves; `vendor-sandbox check [PATH...]`
//! validates scenario files; `vendor-sandbox scenarios` lists them; `vendor-sandbox webhooks
//! check` tests a webhook receiver. Every option can also be set from a `VENDOR_SANDBOX_*`
//! environment variable.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{
    BitmamaConfig, BitmamaWebhookStyle, CoinflowConfig, Config, DEFAULT_WEBHOOK_PENDING_MAX,
    LogFormat, PersonaConfig, StateSync, WebhookConfig,
};
use crate::vendor::Vendor;

#[derive(Debug, Parser)]
#[command(
    name = "vendor-sandbox",
    version,
    about = "A local, stateful sandbox of the Persona, Coinflow and Bitmama APIs",
    long_about = "A local, stateful sandbox of the Persona, Coinflow and Bitmama APIs.\n\n\
        Point your SDKs and HTTP clients at it instead of the vendors' staging hosts. All three \
        vendors are served from one base URL at their real paths."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on. Use 0.0.0.0 to accept connections from other machines.
    #[arg(long, env = "VENDOR_SANDBOX_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on; 0 picks a free one (printed on start). 5000 is where Coinflow's SDK
    /// looks in its `local` environment.
    #[arg(long, env = "VENDOR_SANDBOX_PORT", default_value_t = 5000)]
    pub port: u16,

    /// Also serve Coinflow's web-app pages (the iframes of CoinflowWithdraw and
    /// CoinflowBankLink) on this port, same host: 3000 is where Coinflow's SDK frames them in
    /// its `local` environment. Off by default, so it never takes port 3000 from your own
    /// frontend; 0 picks a free one.
    #[arg(long, env = "VENDOR_SANDBOX_COINFLOW_UI_PORT")]
    pub coinflow_ui_port: Option<u16>,

    /// Seed for every generated id and token; the same seed and requests give the same ids.
    /// Random (and printed) when not given.
    #[arg(long, env = "VENDOR_SANDBOX_SEED")]
    pub seed: Option<u64>,

    /// Log format: one line of text, or one JSON object, per event. Logs go to stderr.
    #[arg(long, env = "VENDOR_SANDBOX_LOG_FORMAT", value_enum, default_value_t = LogFormatArg::Text)]
    pub log_format: LogFormatArg,

    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "VENDOR_SANDBOX_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Number of requests kept in the request journal (oldest dropped first).
    #[arg(long, env = "VENDOR_SANDBOX_JOURNAL_SIZE", default_value_t = 10_000)]
    pub journal_size: usize,

    /// Namespaces kept at most (each is a whole world, a few KiB at least); a request that would
    /// create one more gets 507 until some are deleted (DELETE /__admin/namespaces/NAME). The
    /// `default` namespace is always available.
    #[arg(long, env = "VENDOR_SANDBOX_MAX_NAMESPACES", default_value_t = 10_000)]
    pub max_namespaces: usize,

    /// Seconds a client has to send a complete request head, once connected or answered, before
    /// the connection is closed (checked four times per timeout).
    #[arg(long, env = "VENDOR_SANDBOX_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a client has to send a whole request body once its head is in; slower (or
    /// stalled) bodies get 408 and the connection is closed.
    #[arg(long, env = "VENDOR_SANDBOX_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub body_timeout_secs: u64,

    /// Seconds shutdown waits for requests in flight and webhook deliveries.
    #[arg(long, env = "VENDOR_SANDBOX_SHUTDOWN_GRACE_SECS", default_value_t = 5)]
    pub shutdown_grace_secs: u64,

    /// Base of every URL the sandbox hands out (verification links, hosted pages), e.g. when it
    /// runs behind a proxy; its origin is also the dashboard's own. Default: the address it
    /// listens on.
    #[arg(long, env = "VENDOR_SANDBOX_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Webhook target of a vendor, as VENDOR=URL (persona, coinflow or bitmama). Repeatable.
    /// Namespaces loaded from --state-file take it too, unless set through the admin API.
    #[arg(long = "webhook", env = "VENDOR_SANDBOX_WEBHOOK", value_delimiter = ',', value_parser = vendor_target)]
    pub webhooks: Vec<(Vendor, String)>,

    /// Webhook signing secret of a vendor, as VENDOR=SECRET. Repeatable.
    #[arg(long = "webhook-secret", env = "VENDOR_SANDBOX_WEBHOOK_SECRET", value_delimiter = ',', value_parser = vendor_pair)]
    pub webhook_secrets: Vec<(Vendor, String)>,

    /// Attempts per webhook delivery, the first included.
    #[arg(long, env = "VENDOR_SANDBOX_WEBHOOK_ATTEMPTS", default_value_t = 8)]
    pub webhook_attempts: u32,

    /// Milliseconds before the first webhook retry; doubled for each further retry.
    #[arg(long, env = "VENDOR_SANDBOX_WEBHOOK_RETRY_MS", default_value_t = 5_000)]
    pub webhook_retry_ms: u64,

    /// Webhook deliveries a namespace may hold pending (receiver down, failing or slow). Pending
    /// ones are never dropped; an event beyond the cap is listed as `dropped`, with the reason,
    /// and not sent.
    #[arg(long, env = "VENDOR_SANDBOX_WEBHOOK_PENDING_MAX", default_value_t = DEFAULT_WEBHOOK_PENDING_MAX)]
    pub webhook_pending_max: usize,

    /// A Persona API key to accept. Repeatable; when none is given any non-empty key works.
    #[arg(
        long = "persona-api-key",
        env = "VENDOR_SANDBOX_PERSONA_API_KEY",
        value_delimiter = ','
    )]
    pub persona_api_keys: Vec<String>,

    /// Starting balance of each Bitmama partner wallet, in cents (0 or more: a wallet is never
    /// negative).
    #[arg(
        long,
        env = "VENDOR_SANDBOX_BITMAMA_BALANCE_CENTS",
        default_value_t = 500_000,
        value_parser = clap::value_parser!(i64).range(0..)
    )]
    pub bitmama_balance_cents: i64,

    /// Starting payout balance of each Coinflow merchant, in cents.
    #[arg(
        long,
        env = "VENDOR_SANDBOX_COINFLOW_PAYOUT_BALANCE_CENTS",
        default_value_t = 1_000_000,
        value_parser = clap::value_parser!(i64).range(0..)
    )]
    pub coinflow_payout_balance_cents: i64,

    /// KYC fee taken from the Bitmama partner wallet per new card user, in cents (0 or more: a
    /// negative fee would credit the wallet).
    #[arg(
        long,
        env = "VENDOR_SANDBOX_BITMAMA_KYC_FEE_CENTS",
        default_value_t = 200,
        value_parser = clap::value_parser!(i64).range(0..)
    )]
    pub bitmama_kyc_fee_cents: i64,

    /// Bitmama API generation: `legacy`, the brief's (user.kyc.approved, ... webhooks;
    /// {slug}-rain-user-... ids), or `current` (user.kyc-event; {slug}-user-... ids).
    #[arg(long, env = "VENDOR_SANDBOX_BITMAMA_WEBHOOK_STYLE", value_enum, default_value_t = WebhookStyleArg::Legacy)]
    pub bitmama_webhook_style: WebhookStyleArg,

    /// A folder of scenario files (JSON), added to the shipped ones (a file wins over a shipped
    /// scenario of the same name). Watched while running: changes apply without a restart.
    #[arg(long, env = "VENDOR_SANDBOX_SCENARIOS", global = true)]
    pub scenarios: Option<PathBuf>,

    /// The scenario the `default` namespace starts with (see `vendor-sandbox scenarios`). A
    /// `default` namespace loaded from --state-file is switched to it if it saved another.
    #[arg(long, env = "VENDOR_SANDBOX_SCENARIO")]
    pub scenario: Option<String>,

    /// Milliseconds between two checks of the --scenarios folder for changes.
    #[arg(long, env = "VENDOR_SANDBOX_SCENARIO_POLL_MS", default_value_t = 1_000)]
    pub scenario_poll_ms: u64,

    /// Keep the state (every namespace) in this JSON file: loaded at start (a missing file is a
    /// fresh start), written atomically shortly after changes and at shutdown.
    #[arg(long, env = "VENDOR_SANDBOX_STATE_FILE")]
    pub state_file: Option<PathBuf>,

    /// Milliseconds after a change before the state file is written (changes in between are
    /// written together).
    #[arg(long, env = "VENDOR_SANDBOX_STATE_SAVE_MS", default_value_t = 200)]
    pub state_save_ms: u64,

    /// A Host name the sandbox answers besides localhost, 127.0.0.1 and `[::1]` (and the hosts of
    /// --public-url and --host): NAME for any port, NAME:PORT for one, `*` for every host
    /// (turns the check off). Other hosts get 403, so a web page on a domain made to resolve to
    /// this machine (DNS rebinding) cannot use the sandbox. Repeatable.
    #[arg(
        long = "allowed-host",
        env = "VENDOR_SANDBOX_ALLOWED_HOST",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,

    /// A web origin (e.g. `https://app.example.com`) whose pages may call the vendor routes from a
    /// browser (CORS), besides loopback origins (`http://localhost:3000` ...). `*` allows every
    /// origin: unsafe, any web page you visit could then use the sandbox. Also an origin a Persona
    /// hosted-flow link may redirect to (Persona's Allowed Domains). Repeatable.
    #[arg(
        long = "cors-origin",
        env = "VENDOR_SANDBOX_CORS_ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// When changes reach the state file. `debounced`: it is rewritten --state-save-ms after
    /// changes (a kill loses what was answered in between). `always`: a 2xx answer means the
    /// change is on disk (each changed namespace appended to PATH.log and synced before the
    /// answer, requests finishing together share one sync).
    #[arg(long, env = "VENDOR_SANDBOX_STATE_SYNC", value_enum, default_value_t = StateSyncArg::Debounced)]
    pub state_sync: StateSyncArg,

    /// With --state-sync always: fold PATH.log into the state file once the log passes this many
    /// MiB (and twice the state file's size).
    #[arg(long, env = "VENDOR_SANDBOX_STATE_LOG_MAX_MB", default_value_t = 64)]
    pub state_log_max_mb: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate scenario files: every error is printed as FILE:LINE:COLUMN: what was expected.
    /// Exit status 0 when all are valid, 1 otherwise. The --scenarios folder, when given, is
    /// checked too. Without either: ./scenarios if it exists, else the shipped scenarios.
    Check {
        /// Scenario files or folders of them.
        paths: Vec<PathBuf>,
    },
    /// List the available scenarios (shipped, plus --scenarios) with their descriptions.
    Scenarios,
    /// Webhook tools (no server is started).
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Check your webhook receiver: send it one correctly signed delivery and the forged,
    /// replayed and malformed ones it must refuse, and report each answer. Exit status 0 when
    /// every required case was answered right, 1 when one was not (e.g. a forged delivery got
    /// a 2xx), 2 when the check could not run or got no answer.
    Check(WebhookCheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct WebhookCheckArgs {
    /// The vendor whose webhooks the receiver takes: persona, coinflow or bitmama.
    #[arg(long, value_parser = parse_vendor)]
    pub vendor: Vendor,

    /// The receiver's URL (http://HOST:PORT/PATH).
    #[arg(long)]
    pub url: String,

    /// The secret the receiver verifies with (Persona webhook secret, Coinflow validation key,
    /// Bitmama webhookSecret). From the environment, it stays out of the process list.
    #[arg(long, env = "VENDOR_SANDBOX_CHECK_SECRET", hide_env_values = true)]
    pub secret: String,

    /// The event to send (default: inquiry.approved, KYC Success, user.kyc.approved).
    #[arg(long)]
    pub event: Option<String>,

    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_vendor(s: &str) -> Result<Vendor, String> {
    Vendor::parse(s.trim())
        .ok_or_else(|| format!("unknown vendor {s:?}: use persona, coinflow or bitmama"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateSyncArg {
    Debounced,
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WebhookStyleArg {
    Legacy,
    Current,
}

fn vendor_pair(s: &str) -> Result<(Vendor, String), String> {
    let (vendor, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected VENDOR=VALUE, got {s:?}"))?;
    let vendor = Vendor::parse(vendor.trim())
        .ok_or_else(|| format!("unknown vendor {vendor:?}: use persona, coinflow or bitmama"))?;
    Ok((vendor, value.trim().to_string()))
}

/// `VENDOR=URL` of a URL the sandbox can deliver to.
fn vendor_target(s: &str) -> Result<(Vendor, String), String> {
    let (vendor, url) = vendor_pair(s)?;
    crate::webhooks::deliverable(&url)?;
    Ok((vendor, url))
}

impl Cli {
    pub fn log_format(&self) -> LogFormat {
        match self.log_format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        }
    }

    /// The server configuration, with `seed` resolved by the caller.
    pub fn config(&self, seed: u64) -> Config {
        Config {
            seed,
            max_body_bytes: self.max_body_bytes,
            journal_size: self.journal_size,
            max_namespaces: self.max_namespaces,
            header_read_timeout: Duration::from_secs(self.header_timeout_secs.max(1)),
            body_timeout: Duration::from_secs(self.body_timeout_secs.max(1)),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            public_url: self.public_url.clone(),
            webhooks: WebhookConfig {
                targets: self.webhooks.clone(),
                secrets: self.webhook_secrets.clone(),
                base_delay: Duration::from_millis(self.webhook_retry_ms),
                max_attempts: self.webhook_attempts.max(1),
                pending_max: self.webhook_pending_max,
                ..WebhookConfig::default()
            },
            persona: PersonaConfig {
                api_keys: self.persona_api_keys.clone(),
            },
            bitmama: BitmamaConfig {
                starting_balance_cents: self.bitmama_balance_cents,
                kyc_fee_cents: self.bitmama_kyc_fee_cents,
                webhook_style: match self.bitmama_webhook_style {
                    WebhookStyleArg::Legacy => BitmamaWebhookStyle::Legacy,
                    WebhookStyleArg::Current => BitmamaWebhookStyle::Current,
                },
            },
            coinflow: CoinflowConfig {
                payout_balance_cents: self.coinflow_payout_balance_cents,
            },
            scenarios_dir: self.scenarios.clone(),
            scenario: self.scenario.clone().filter(|s| s != "none"),
            scenario_poll_interval: Duration::from_millis(self.scenario_poll_ms.max(10)),
            state_file: self.state_file.as_deref().map(crate::state_file::resolve),
            state_save_delay: Duration::from_millis(self.state_save_ms),
            allowed_hosts: self.allowed_hosts.clone(),
            cors_origins: self.cors_origins.clone(),
            state_sync: match self.state_sync {
                StateSyncArg::Debounced => StateSync::Debounced,
                StateSyncArg::Always => StateSync::Always,
            },
            state_log_fold_bytes: self.state_log_max_mb.saturating_mul(1 << 20),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_pairs() {
        let cli = Cli::try_parse_from([
            "vendor-sandbox",
            "--webhook",
            "persona=http://127.0.0.1:9/hook",
            "--webhook-secret",
            "bitmama=whsec_x",
        ])
        .expect("parses");
        assert_eq!(cli.host, "127.0.0.1");
        assert_eq!(cli.port, 5000);
        assert_eq!(cli.coinflow_ui_port, None);
        let config = cli.config(3);
        assert_eq!(config.max_body_bytes, 1024 * 1024);
        assert_eq!(config.journal_size, 10_000);
        assert_eq!(config.body_timeout, Duration::from_secs(30));
        assert_eq!(config.max_namespaces, 10_000);
        assert_eq!(config.webhooks.pending_max, 100_000);
        assert_eq!(config.state_sync, StateSync::Debounced);
        let always = Cli::try_parse_from(["vendor-sandbox", "--state-sync", "always"])
            .expect("parses")
            .config(1);
        assert_eq!(always.state_sync, StateSync::Always);
        assert_eq!(
            config.webhooks.targets,
            vec![(Vendor::Persona, "http://127.0.0.1:9/hook".to_string())]
        );
        assert_eq!(
            config.webhooks.secrets,
            vec![(Vendor::Bitmama, "whsec_x".to_string())]
        );
        assert!(Cli::try_parse_from(["vendor-sandbox", "--webhook", "stripe=x"]).is_err());
        // A target no delivery could reach is refused at the start.
        assert!(
            Cli::try_parse_from(["vendor-sandbox", "--webhook", "persona=https://x/hook"]).is_err()
        );
        assert!(cli.command.is_none(), "no subcommand serves");
    }

    /// A wallet is never negative and a fee never credits it: negative cents are refused at
    /// the start, naming the option; zero is fine.
    #[test]
    fn money_options_are_not_negative() {
        for option in [
            "--bitmama-kyc-fee-cents",
            "--bitmama-balance-cents",
            "--coinflow-payout-balance-cents",
        ] {
            let refused = Cli::try_parse_from(["vendor-sandbox", &format!("{option}=-150")]);
            let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains(option), "{option}: {message}");
            let zero = Cli::try_parse_from(["vendor-sandbox", &format!("{option}=0")]);
            assert!(zero.is_ok(), "{option}=0");
        }
        let config = Cli::try_parse_from(["vendor-sandbox"])
            .expect("parses")
            .config(1);
        assert_eq!(config.bitmama.starting_balance_cents, 500_000);
        assert_eq!(config.bitmama.kyc_fee_cents, 200);
    }

    #[test]
    fn host_and_origin_lists() {
        let cli = Cli::try_parse_from([
            "vendor-sandbox",
            "--allowed-host",
            "a.test,b.test:8080",
            "--cors-origin",
            "https://app.example.com",
            "--cors-origin",
            "http://localhost:4000",
        ])
        .expect("parses");
        let config = cli.config(1);
        assert_eq!(config.allowed_hosts, ["a.test", "b.test:8080"]);
        assert_eq!(
            config.cors_origins,
            ["https://app.example.com", "http://localhost:4000"]
        );
    }

    #[test]
    fn scenario_options_and_subcommands() {
        let cli = Cli::try_parse_from([
            "vendor-sandbox",
            "--scenarios",
            "dir",
            "--scenario",
            "duplicate-user",
            "--scenario-poll-ms",
            "50",
        ])
        .expect("parses");
        let config = cli.config(1);
        assert_eq!(config.scenarios_dir, Some(PathBuf::from("dir")));
        assert_eq!(config.scenario.as_deref(), Some("duplicate-user"));
        assert_eq!(config.scenario_poll_interval, Duration::from_millis(50));
        let check = Cli::try_parse_from(["vendor-sandbox", "check", "a.json", "b"]).expect("check");
        assert!(matches!(check.command, Some(Command::Check { paths }) if paths.len() == 2));
        let list = Cli::try_parse_from(["vendor-sandbox", "scenarios"]).expect("scenarios");
        assert!(matches!(list.command, Some(Command::Scenarios)));
        let webhooks = Cli::try_parse_from([
            "vendor-sandbox",
            "webhooks",
            "check",
            "--vendor",
            "Coinflow",
            "--url",
            "http://127.0.0.1:9/hook",
            "--secret",
            "key",
        ])
        .expect("webhooks check");
        assert!(matches!(
            webhooks.command,
            Some(Command::Webhooks { command: WebhooksCommand::Check(args) })
                if args.vendor == Vendor::Coinflow && !args.json && args.event.is_none()
        ));
    }
}
