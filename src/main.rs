use std::io::Write;
use std::process::ExitCode;

use std::sync::Arc;

use clap::Parser;
use vendor_sandbox::cli::{Cli, Command, WebhookCheckArgs, WebhooksCommand};
use vendor_sandbox::scenario::check::check_paths;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log_writer = vendor_sandbox::logging::init(cli.log_format());
    let seed = cli.seed.unwrap_or_else(rand::random);
    let config = cli.config(seed);
    match &cli.command {
        Some(Command::Check { paths }) => {
            // The `--scenarios` folder (or its variable) is checked too: the server loads it.
            let mut paths = paths.clone();
            paths.extend(cli.scenarios.clone());
            return check(&paths);
        }
        Some(Command::Scenarios) => return list_scenarios(&config),
        Some(Command::Webhooks {
            command: WebhooksCommand::Check(args),
        }) => return webhooks_check(args),
        None => {}
    }
    // Refuse to start on an invalid scenario file, before taking the port.
    let scenarios = match vendor_sandbox::server::load_scenarios(&config) {
        Ok(catalog) => Arc::new(catalog),
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    // Likewise on a state file that cannot be loaded: serving without it would lose it.
    let saved =
        match config.state_file.as_deref().map(|path| {
            vendor_sandbox::state_file::open(path, vendor_sandbox::state_file::LOCK_WAIT)
        }) {
            Some(Ok(saved)) => Some(saved),
            Some(Err(message)) => {
                eprintln!("error: {message}");
                return ExitCode::FAILURE;
            }
            None => None,
        };
    // And on one that could never be saved, rather than losing the session at shutdown.
    if let Some(Err(message)) = config
        .state_file
        .as_deref()
        .map(vendor_sandbox::state_file::check_writable)
    {
        eprintln!("error: {message}");
        return ExitCode::FAILURE;
    }

    let Ok(listener) = bind(&cli.host, cli.port, "--port") else {
        return ExitCode::FAILURE;
    };
    let coinflow_ui = match cli
        .coinflow_ui_port
        .map(|port| bind(&cli.host, port, "--coinflow-ui-port"))
    {
        None => None,
        Some(Ok(listener)) => Some(listener),
        Some(Err(())) => return ExitCode::FAILURE,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // A worker's request lines go to the log writer once it has nothing else to do.
        .on_thread_park(vendor_sandbox::logging::hand_over)
        .on_thread_stop(vendor_sandbox::logging::hand_over)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let coinflow_ui = match coinflow_ui {
            Some(ui) => {
                ui.set_nonblocking(true)?;
                Some(tokio::net::TcpListener::from_std(ui)?)
            }
            None => None,
        };
        // Printed once the server serves: a script waiting for "listening" must not proceed
        // against a start that still fails (folding the state log, say).
        let print_banner = move |started: &vendor_sandbox::server::Started| {
            let banner = banner(started, seed);
            // The banner is for whoever watches stdout; if nobody does any more (a closed
            // pipe), that is no reason to stop serving.
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(banner.as_bytes()).and_then(|()| out.flush()) {
                tracing::warn!("could not print the start-up lines: {e}");
            }
        };
        vendor_sandbox::server::run_reporting(
            listener,
            coinflow_ui,
            config,
            scenarios,
            saved,
            shutdown_signal(),
            print_banner,
        )
        .await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The start-up lines: where the server listens, its seed and scenario, the Coinflow UI
/// listener, and what was loaded from the state file.
fn banner(started: &vendor_sandbox::server::Started, seed: u64) -> String {
    let base = format!("http://{}", started.addr);
    let scenario = started.scenario.as_deref().unwrap_or("none");
    let mut banner = format!(
        "vendor-sandbox listening on {base}\nadmin: {base}/__admin/\nseed: {seed}\nscenario: {scenario}\n"
    );
    if let Some(ui) = started.coinflow_ui {
        // The SDK frames `localhost:PORT`, which reaches loopback and wildcard addresses.
        let host = if ui.ip().is_loopback() || ui.ip().is_unspecified() {
            "localhost".to_string()
        } else {
            ui.ip().to_string()
        };
        banner.push_str(&format!("coinflow ui: http://{host}:{}\n", ui.port()));
    }
    if let Some(state) = &started.state {
        let path = state.path.display();
        // A wrong relative path starts afresh silently otherwise.
        banner.push_str(&match state.namespaces {
            Some(1) => format!("state: loaded 1 namespace from {path}\n"),
            Some(n) => format!("state: loaded {n} namespaces from {path}\n"),
            None => format!("state: new file {path}\n"),
        });
    }
    banner
}

/// Binds `host:port` (`option` names the port's option in the error), or says why not on stderr.
fn bind(host: &str, port: u16, option: &str) -> Result<std::net::TcpListener, ()> {
    std::net::TcpListener::bind((host, port)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            eprintln!(
                "error: port {port} on {host} is already in use; choose another with {option} (0 picks a free one)"
            );
        } else {
            eprintln!("error: cannot listen on {host}:{port}: {e}");
        }
    })
}

/// `vendor-sandbox check`: every problem on stderr as FILE:LINE:COLUMN: message; exit 1 if any.
fn check(paths: &[std::path::PathBuf]) -> ExitCode {
    let (valid, problems) = check_paths(vendor_sandbox::vendors::vocabulary(), paths);
    for problem in &problems {
        eprintln!("{problem}");
    }
    if problems.is_empty() {
        println!("ok: {valid} scenario(s) valid");
        ExitCode::SUCCESS
    } else {
        eprintln!("{} problem(s) found", problems.len());
        ExitCode::FAILURE
    }
}

/// `vendor-sandbox scenarios`: name and description of each, shipped and `--scenarios`.
fn list_scenarios(config: &vendor_sandbox::Config) -> ExitCode {
    match vendor_sandbox::server::load_scenarios(config) {
        Ok(catalog) => {
            let listed = catalog.list();
            let width = listed.iter().map(|l| l.name.len()).max().unwrap_or(0);
            for l in listed {
                println!("{:width$}  {}", l.name, l.description);
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `vendor-sandbox webhooks check`: the report on stdout (table or JSON); exit 0 when every
/// required case was answered right, 1 when one was not, 2 when the check could not run or a
/// case got no answer (clap's usage errors are 2 as well).
fn webhooks_check(args: &WebhookCheckArgs) -> ExitCode {
    use vendor_sandbox::webhook_check as check;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let checked = runtime.block_on(check::check(
        args.vendor,
        &args.url,
        &args.secret,
        args.event.as_deref(),
    ));
    let report = match checked {
        Ok(report) => report,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let text = if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => json + "\n",
            Err(e) => {
                eprintln!("error: cannot write the report: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        report.to_table()
    };
    // A reader that stops early (`| head`) is no reason to panic: the exit code still tells.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    ExitCode::from(report.exit_code())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
