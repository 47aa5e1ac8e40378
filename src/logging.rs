//! `tracing` output on stderr: text lines, or one JSON object per line.
//!
//! Lines are handed to a writer thread (`tracing-appender`) instead of being written to stderr
//! by the request task: a synchronous write per request was the largest cost of a cheap request.
//! The buffer applies backpressure rather than dropping lines, and the returned guard flushes
//! whatever is left when the program ends.
//!
//! The one line per request is cheaper still: the request formats it in the subscriber's shape
//! (text or JSON) by hand, into its thread's batch of lines, and a second writer thread writes
//! whole batches. A thread hands its batch over when it is full and whenever the thread runs out
//! of work ([`hand_over`], which the server's runtime calls when a worker parks or stops), so a
//! line waits at most until its thread is idle. The channel is bounded and blocks when full, so
//! no line is dropped. Lines of different threads may come out of time order by up to a batch
//! (each shows its time). Handing over each line as a struct for the writer to format cost more:
//! a queue slot per line that both workers and the writer touch, and a third thread busy on two
//! cores; batches made an inquiry read 9 % cheaper. Without [`init`] (library mode, tests) the
//! line goes through `tracing` as before, to whatever subscriber the host installed.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::SystemTime;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::clock::put_digits;
use crate::config::LogFormat;

/// Bytes of lines a thread gathers before it hands them to the writer (about a hundred lines).
const BATCH: usize = 16 * 1024;

/// Batches queued for the request-line writer before a request waits for room.
const QUEUE: usize = 256;

/// How long the request-line writer naps after emptying its queue (lines reach stderr at most
/// this much later than they would otherwise). Each wake-up takes a core from a request for a
/// moment: at 1 ms a busy server answered about 6 % fewer health checks than at 10 ms (25 ms
/// was no better). The queue holds 256 batches, some 28,000 lines.
const WRITER_NAP: std::time::Duration = std::time::Duration::from_millis(10);

/// What a request's line shows, borrowed from the request; [`request`] formats it.
pub struct RequestLine<'a> {
    pub time: SystemTime,
    pub method: &'a str,
    /// As the client sent it (a `/ns/NAME` prefix included).
    pub path: &'a str,
    pub status: u16,
    /// How long the request took; shown in milliseconds ([`millis`]).
    pub duration: std::time::Duration,
    pub namespace: &'a str,
    /// Scenario name and rule index that applied.
    pub rule: Option<&'a (String, usize)>,
}

/// The target the request line is logged under (where it was written before), for `RUST_LOG`.
const TARGET: &str = "vendor_sandbox::server";

enum Message {
    /// Formatted lines, one batch of a thread's.
    Lines(Vec<u8>),
    /// Flush and answer (the guard's drop at the end of the program).
    Flush(SyncSender<()>),
}

/// The request-line writer, once [`init`] installed the subscriber.
struct Lines {
    tx: SyncSender<Message>,
    /// Whether `RUST_LOG` lets the request line through, asked once: the global subscriber's
    /// filter cannot change after `init`, and no request runs inside a span it could filter on.
    enabled: bool,
    format: LogFormat,
    ansi: bool,
}

static REQUEST_LINES: OnceLock<Lines> = OnceLock::new();

thread_local! {
    /// This thread's formatted lines not yet handed to the writer.
    static BATCHED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Keeps both log writers running; dropping it flushes them.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _events: WorkerGuard,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some(Lines { tx, .. }) = REQUEST_LINES.get() {
            let (done_tx, done_rx) = sync_channel(1);
            if tx.send(Message::Flush(done_tx)).is_ok() {
                let _ = done_rx.recv();
            }
        }
    }
}

/// Installs the global subscriber. `RUST_LOG` overrides the default level (`info`). Keep the
/// guard alive for as long as the program logs: dropping it flushes and stops the writer.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("vendor-sandbox-log")
        .finish(std::io::stderr());
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if installed.is_ok() {
        let (tx, rx) = sync_channel(QUEUE);
        let spawned = std::thread::Builder::new()
            .name("vendor-sandbox-requests".into())
            .spawn(move || write_lines(&rx));
        if spawned.is_ok() {
            let enabled = tracing::enabled!(target: TARGET, tracing::Level::INFO);
            let _ = REQUEST_LINES.set(Lines {
                tx,
                enabled,
                format,
                ansi,
            });
        }
    }
    LogGuard { _events: guard }
}

/// Logs one request at `info` (when `RUST_LOG` lets `info` through for this module).
pub fn request(line: RequestLine<'_>) {
    match REQUEST_LINES.get() {
        Some(Lines { enabled: false, .. }) => {}
        Some(lines) => {
            let full = BATCHED.with_borrow_mut(|batch| {
                if batch.capacity() == 0 {
                    batch.reserve(512);
                }
                format_line(batch, &line, lines.format, lines.ansi);
                batch.len() >= BATCH
            });
            if full {
                hand_over();
            }
        }
        None => {
            if tracing::enabled!(target: TARGET, tracing::Level::INFO) {
                trace_line(&line);
            }
        }
    }
}

/// Hands this thread's batch of request lines to the writer. The server's runtime calls it when
/// a worker runs out of work and when one stops; a request calls it when the batch is full.
/// Blocks while the writer's queue is full (backpressure, like the event writer); if the writer
/// has gone, the lines are written here.
pub fn hand_over() {
    let Some(Lines { tx, .. }) = REQUEST_LINES.get() else {
        return;
    };
    let batch = BATCHED.with_borrow_mut(|batch| (!batch.is_empty()).then(|| std::mem::take(batch)));
    if let Some(batch) = batch
        && let Err(std::sync::mpsc::SendError(Message::Lines(batch))) =
            tx.send(Message::Lines(batch))
    {
        let _ = std::io::stderr().write_all(&batch);
    }
}

fn trace_line(line: &RequestLine<'_>) {
    tracing::info!(
        target: TARGET,
        method = %line.method,
        path = %line.path,
        status = line.status,
        duration_ms = millis(line.duration),
        namespace = %line.namespace,
        rule = ?line.rule,
        "request"
    );
}

fn write_lines(rx: &Receiver<Message>) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
    let mut next = rx.recv().ok();
    while let Some(message) = next {
        match message {
            Message::Lines(batch) => {
                let _ = out.write_all(&batch);
            }
            Message::Flush(done) => {
                let _ = out.flush();
                let _ = done.send(());
            }
        }
        next = match rx.try_recv() {
            Ok(message) => Some(message),
            Err(_) => {
                // Nothing more queued: the lines reach stderr now, not when the buffer fills.
                let _ = out.flush();
                // Then a short nap before waiting on the channel: a busy server's lines pile up
                // meanwhile and are taken in one go, instead of every request waking this thread
                // (a futex wake and a context switch per line, seen in the profile).
                std::thread::sleep(WRITER_NAP);
                match rx.try_recv() {
                    Ok(message) => Some(message),
                    Err(_) => rx.recv().ok(),
                }
            }
        };
    }
    let _ = out.flush();
}

/// The line as tracing-subscriber's `fmt` layer writes the same event (text, or JSON with the
/// fields flattened). Written piece by piece rather than through `format_args!` and chrono's
/// strftime, which were most of a line's cost. Bytes, not a `String`: pushing a
/// number's digits or the cached time to a `String` checks them as UTF-8 again, a sixth of the
/// line's cost.
pub fn format_line(out: &mut Vec<u8>, line: &RequestLine<'_>, format: LogFormat, ansi: bool) {
    let micros = line
        .time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    let rule = match &line.rule {
        None => std::borrow::Cow::Borrowed("None"),
        Some((name, index)) => std::borrow::Cow::Owned(format!("Some(({name:?}, {index}))")),
    };
    match format {
        LogFormat::Text => {
            let style = if ansi { &ANSI } else { &PLAIN };
            let text = |out: &mut Vec<u8>, text: &str| out.extend_from_slice(text.as_bytes());
            text(out, style.before_time);
            push_timestamp(out, micros);
            text(out, style.after_time);
            text(out, line.method);
            text(out, style.fields[0]);
            text(out, line.path);
            text(out, style.fields[1]);
            push_status(out, line.status);
            text(out, style.fields[2]);
            push_ms(out, line.duration);
            text(out, style.fields[3]);
            text(out, line.namespace);
            text(out, style.fields[4]);
            text(out, &rule);
            text(out, "\n");
        }
        LogFormat::Json => {
            let json = |s: &str| serde_json::to_string(s).unwrap_or_default();
            use std::io::Write as _;
            let mut time = Vec::with_capacity(27);
            push_timestamp(&mut time, micros);
            let time = String::from_utf8_lossy(&time);
            let _ = writeln!(
                out,
                r#"{{"timestamp":"{time}","level":"INFO","message":"request","method":{},"path":{},"status":{},"duration_ms":{},"namespace":{},"rule":{}}}"#,
                json(line.method),
                json(line.path),
                line.status,
                serde_json::Number::from_f64(millis(line.duration))
                    .map_or_else(|| "null".to_string(), |n| n.to_string()),
                json(line.namespace),
                json(&rule),
            );
        }
    }
}

/// The fixed text of a line in one style: what goes before and after the time (the level, the
/// message and the first field's name), and what precedes each further field's value. Whole
/// pieces, so a line is a few copies, not one per word.
struct Style {
    before_time: &'static str,
    after_time: &'static str,
    fields: [&'static str; 5],
}

/// ` name=` in each style: plain, or tracing-subscriber's ANSI styles (italic name, dimmed `=`).
macro_rules! field {
    (plain, $name:literal) => {
        concat!(" ", $name, "=")
    };
    (ansi, $name:literal) => {
        concat!(" \x1b[3m", $name, "\x1b[0m\x1b[2m=\x1b[0m")
    };
}

/// A [`Style`] of one style's pieces, with the field names in a line's order.
macro_rules! style {
    ($style:ident, $before:literal, $after:literal) => {
        Style {
            before_time: $before,
            after_time: concat!($after, field!($style, "method")),
            fields: [
                field!($style, "path"),
                field!($style, "status"),
                field!($style, "duration_ms"),
                field!($style, "namespace"),
                field!($style, "rule"),
            ],
        }
    };
}

const PLAIN: Style = style!(plain, "", "  INFO request");
/// tracing-subscriber's styles with ANSI on: dimmed time, green level.
const ANSI: Style = style!(ansi, "\x1b[2m", "\x1b[0m \x1b[32m INFO\x1b[0m request");

/// An HTTP status's three digits (any other value as a number).
fn push_status(out: &mut Vec<u8>, status: u16) {
    if (100..1000).contains(&status) {
        let digit = |value: u16| b'0' + (value % 10) as u8;
        out.extend_from_slice(&[digit(status / 100), digit(status / 10), digit(status)]);
    } else {
        push_u64(out, u64::from(status));
    }
}

/// `micros` since the epoch as chrono's `%Y-%m-%dT%H:%M:%S%.6fZ` (UTC).
fn push_timestamp(out: &mut Vec<u8>, micros: i64) {
    // Lines come many to a second: a thread formats the date and time once per second and
    // then only the microseconds.
    thread_local! {
        static SECOND: std::cell::Cell<(i64, [u8; 20])> = const { std::cell::Cell::new((-1, [0; 20])) };
    }
    let second = micros.div_euclid(1_000_000);
    let (cached, prefix) = SECOND.get();
    if cached == second && second >= 0 {
        out.extend_from_slice(&prefix);
        let mut digits = *b"000000Z";
        put_digits(
            &mut digits[..6],
            micros.rem_euclid(1_000_000).unsigned_abs(),
        );
        out.extend_from_slice(&digits);
        return;
    }
    let mut time = String::with_capacity(27);
    if crate::clock::push_utc(&mut time, micros, 6) {
        // `YYYY-MM-DDTHH:MM:SS.`, kept for the rest of the second.
        if let Some(prefix) = time.as_bytes().get(..20)
            && let Ok(prefix) = <[u8; 20]>::try_from(prefix)
        {
            SECOND.set((second, prefix));
        }
    } else {
        // Beyond four-digit years chrono writes a sign; not worth doing by hand.
        let utc = chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default();
        time = utc.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    }
    out.extend_from_slice(time.as_bytes());
}

/// `duration` in milliseconds, as the log line and the journal show it: the nanoseconds divided
/// once (so the shortest digits of the result are the exact decimal, see `push_ms`).
pub fn millis(duration: std::time::Duration) -> f64 {
    duration.as_nanos() as f64 / 1e6
}

/// `duration` as the subscriber writes [`millis`] of it (an `f64` field is recorded with `Debug`),
/// from the integer nanoseconds: the milliseconds, then the six decimals without trailing zeros,
/// or `.0`. The same text: a decimal of at most 15 significant digits comes back from the
/// nearest `f64` as its shortest digits (the guarantee of 15 digits), and nanoseconds below
/// 10^15 have at most 15. `Debug` switches to an exponent below 1e-4 ms (100 ns); those, and
/// durations over eleven days, go through `Debug` itself.
fn push_ms(out: &mut Vec<u8>, duration: std::time::Duration) {
    const EXACT: std::ops::Range<u128> = 100..1_000_000_000_000_000;
    let nanos = duration.as_nanos();
    if !EXACT.contains(&nanos) {
        use std::io::Write as _;
        let _ = write!(out, "{:?}", millis(duration));
        return;
    }
    let (whole, fraction) = ((nanos / 1_000_000) as u64, (nanos % 1_000_000) as u64);
    push_u64(out, whole);
    if fraction == 0 {
        out.extend_from_slice(b".0");
        return;
    }
    let mut digits = *b".000000";
    put_digits(&mut digits[1..], fraction);
    let end = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
    out.extend_from_slice(&digits[..end]);
}

fn push_u64(out: &mut Vec<u8>, value: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut value = value;
    loop {
        at -= 1;
        buf[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[at..]);
}

#[cfg(test)]
mod tests;
