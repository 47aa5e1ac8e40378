//! `tracing` output on stderr: text lines, or one JSON object per line.
//!
//! Lines are handed to a writer thread (`tracing-appender`) instead of being written to stderr
//! by the request task: a synchronous write per request was the largest cost of a cheap request.
//! The buffer applies backpressure rather than dropping lines, and the returned guard flushes
//! whatever is left when the program ends.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG` overrides the default level (`info`). Keep the
/// guard alive for as long as the program logs: dropping it flushes and stops the writer.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("vendor-sandbox-log")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    guard
}
