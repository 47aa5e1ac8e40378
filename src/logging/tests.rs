use super::*;

/// What `write` writes, as text.
fn written(write: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    write(&mut out);
    String::from_utf8(out).expect("utf-8")
}

static RULE: std::sync::LazyLock<(String, usize)> =
    std::sync::LazyLock::new(|| ("outage".into(), 2));

fn line() -> RequestLine<'static> {
    RequestLine {
        time: SystemTime::UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456),
        method: "GET",
        path: "/a \"b\"",
        status: 404,
        duration: std::time::Duration::from_micros(250),
        namespace: "default",
        rule: Some(&RULE),
    }
}

#[test]
fn text_line_is_the_subscribers_shape() {
    let out = written(|out| format_line(out, &line(), LogFormat::Text, false));
    assert_eq!(
        out,
        "2023-11-14T22:13:20.123456Z  INFO request method=GET path=/a \"b\" status=404 \
         duration_ms=0.25 namespace=default rule=Some((\"outage\", 2))\n"
    );
}

#[test]
fn ansi_line_has_the_subscribers_styles() {
    let out = written(|out| format_line(out, &line(), LogFormat::Text, true));
    let field = |name: &str| format!(" \x1b[3m{name}\x1b[0m\x1b[2m=\x1b[0m");
    let expected = format!(
        "\x1b[2m2023-11-14T22:13:20.123456Z\x1b[0m \x1b[32m INFO\x1b[0m request{}GET{}/a \"b\"{}404{}0.25{}default{}Some((\"outage\", 2))\n",
        field("method"),
        field("path"),
        field("status"),
        field("duration_ms"),
        field("namespace"),
        field("rule"),
    );
    assert_eq!(out, expected);
}

/// What tracing-subscriber's `fmt` layer writes, into a buffer.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<parking_lot::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[test]
fn text_line_is_what_the_subscriber_writes() {
    // Whole, ordinary, sub-100 ns and eleven-day durations: each notation `Debug` has.
    for nanos in [
        0,
        42,
        100,
        250_000,
        2_000_000,
        1_234_567_891,
        10u64.pow(15) + 7,
    ] {
        let line = RequestLine {
            duration: std::time::Duration::from_nanos(nanos),
            ..line()
        };
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_target(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || trace_line(&line));
        let theirs = String::from_utf8(captured.0.lock().clone()).expect("utf-8");
        let ours = written(|out| format_line(out, &line, LogFormat::Text, false));
        // The subscriber stamps its own time: compare what follows it.
        let after_time = |text: &str| text.split_once(' ').map(|(_, rest)| rest.to_string());
        assert_eq!(after_time(&ours), after_time(&theirs), "{nanos} ns");
    }
}

#[test]
fn durations_are_written_as_debug_writes_them() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    let edges = [
        0,
        1,
        99,
        100,
        101,
        999_999,
        1_000_000,
        2_000_000,
        250_000,
        123_456_789,
        999_999_999_999_999,
        1_000_000_000_000_000,
        1_000_000_000_000_001,
        u64::MAX,
    ];
    // Every order of magnitude a request can take, and then some.
    let random = (0..50_000).map(|i| rng.random_range(0..10u64.pow(i % 17 + 1)));
    for nanos in edges.into_iter().chain(random) {
        let duration = std::time::Duration::from_nanos(nanos);
        let out = written(|out| push_ms(out, duration));
        assert_eq!(out, format!("{:?}", millis(duration)), "{nanos} ns");
    }
}

#[test]
fn timestamps_are_chronos() {
    for micros in [
        0,
        1_700_000_000_123_456,
        // The same second again: written from the kept date and time.
        1_700_000_000_000_001,
        1_700_000_000_999_999,
        951_782_400_000_001,
        4_107_542_399_999_999,
        253_402_300_799_999_999,
        253_402_300_800_000_000,
    ] {
        let out = written(|out| push_timestamp(out, micros));
        let chrono = chrono::DateTime::from_timestamp_micros(micros)
            .expect("in range")
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        assert_eq!(out, chrono, "{micros}");
    }
}

#[test]
fn ansi_line_is_the_subscribers_shape() {
    let out = written(|out| format_line(out, &line(), LogFormat::Text, true));
    assert_eq!(
        out,
        "\x1b[2m2023-11-14T22:13:20.123456Z\x1b[0m \x1b[32m INFO\x1b[0m request \x1b[3mmethod\x1b[0m\x1b[2m=\x1b[0mGET \x1b[3mpath\x1b[0m\x1b[2m=\x1b[0m/a \"b\" \x1b[3mstatus\x1b[0m\x1b[2m=\x1b[0m404 \x1b[3mduration_ms\x1b[0m\x1b[2m=\x1b[0m0.25 \x1b[3mnamespace\x1b[0m\x1b[2m=\x1b[0mdefault \x1b[3mrule\x1b[0m\x1b[2m=\x1b[0mSome((\"outage\", 2))\n"
    );
}

#[test]
fn json_line_is_one_object() {
    let out = written(|out| format_line(out, &line(), LogFormat::Json, false));
    assert!(out.ends_with('\n') && out.lines().count() == 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["timestamp"], "2023-11-14T22:13:20.123456Z");
    assert_eq!(v["level"], "INFO");
    assert_eq!(v["message"], "request");
    assert_eq!(v["path"], "/a \"b\"");
    assert_eq!(v["status"], 404);
    assert_eq!(v["duration_ms"], 0.25);
    assert_eq!(v["rule"], "Some((\"outage\", 2))");
}
