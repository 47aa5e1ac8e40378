use super::*;

static NO_ANSWER: Bytes = Bytes::new();

fn request(path: &str) -> ApiRequest {
    ApiRequest {
        method: "GET".into(),
        path: path.into(),
        ..ApiRequest::default()
    }
}

fn exchange(request: &ApiRequest) -> Exchange<'_> {
    Exchange {
        request,
        vendor: "persona",
        status: 200,
        answer: &NO_ANSWER,
        time: 0,
        duration_ms: 0.0,
        fault: None,
    }
}

fn paths(journal: &Journal) -> Vec<String> {
    let entries = journal.query(&Filter::default());
    entries.iter().map(|e| e.path.clone()).collect()
}

#[test]
fn ring_keeps_newest_and_is_bounded() {
    let journal = Journal::new(2);
    for p in ["/a", "/b", "/c"] {
        journal.record(exchange(&request(p)));
    }
    assert_eq!(paths(&journal), ["/c", "/b"]);
}

/// Everything an exchange sets, different from [`request`]'s and [`exchange`]'s defaults.
fn first_request() -> ApiRequest {
    let mut first = request("/a/long/path/with/many/segments");
    first.method = "POST".into();
    first.namespace = Cow::Owned("first-namespace".into());
    first.query_string = "page%5Bsize%5D=10".into();
    first.headers = Headers::from([
        ("authorization", "Bearer sk_staging_abcdef1234"),
        ("idempotency-key", "key-1"),
    ]);
    first.body = Bytes::from(vec![b'x'; MAX_KEPT_BODY + 1]);
    first
}

static FIRST_ANSWER: Bytes = Bytes::from_static(br#"{"first":true}"#);

fn first_exchange(request: &ApiRequest) -> Exchange<'_> {
    Exchange {
        request,
        vendor: "coinflow",
        status: 500,
        answer: &FIRST_ANSWER,
        time: 1,
        duration_ms: 5.0,
        fault: Some("reset"),
    }
}

fn shown(journal: &Journal) -> Value {
    let newest = journal.query(&Filter::default());
    serde_json::to_value(&*newest[0]).expect("json")
}

/// The oldest entry itself is refilled with the next exchange, and nothing of what it held
/// shows.
#[test]
fn recycled_entries_show_only_the_new_exchange() {
    let journal = Journal::new(1);
    journal.record(first_exchange(&first_request()));
    let first_entry = Arc::as_ptr(&journal.query(&Filter::default())[0]);
    let mut second = request("/b");
    second.namespace = Cow::Owned("ns2".into());
    second.headers = Headers::from([("content-type", "text/plain")]);
    second.body = Bytes::from_static(b"hi");
    journal.record(exchange(&second));
    let entries = journal.query(&Filter::default());
    assert_eq!(
        Arc::as_ptr(&entries[0]),
        first_entry,
        "the entry was reused"
    );
    let expected = serde_json::json!({
        "id": 2, "time": "1970-01-01T00:00:00.000Z", "namespace": "ns2",
        "vendor": "persona", "method": "GET", "path": "/b", "query": "",
        "headers": {"content-type": "text/plain"}, "request_body": "hi",
        "status": 200, "response_body": null, "duration_ms": 0.0,
    });
    assert_eq!(shown(&journal), expected);
}

/// A reader holding the oldest entry keeps it as it was; the next exchange gets a new one.
#[test]
fn a_reader_keeps_the_entry_it_holds() {
    let journal = Journal::new(1);
    journal.record(first_exchange(&first_request()));
    let before = shown(&journal);
    let held = journal.query(&Filter::default());
    journal.record(exchange(&request("/b")));
    assert_eq!(serde_json::to_value(&*held[0]).expect("json"), before);
    assert_eq!(
        before["request_body"].as_str().map(str::len),
        Some(MAX_KEPT_BODY + "…(cut)".len())
    );
    assert_eq!(before["response_body"], serde_json::json!({"first": true}));
    assert_eq!(before["headers"]["idempotency-key"], "key-1");
    let now = shown(&journal);
    assert_eq!(
        (now["id"].as_u64(), now["path"].as_str()),
        (Some(2), Some("/b"))
    );
}

/// A recycled entry gives back buffers far larger than it needs.
#[test]
fn recycled_entries_do_not_keep_large_buffers() {
    let journal = Journal::new(1);
    let mut big = request(&format!("/{}", "p".repeat(4096)));
    big.query_string = "q".repeat(4096);
    big.headers = Headers::from([("user-agent", "u".repeat(4096))]);
    big.body = Bytes::from(vec![b'x'; MAX_KEPT_BODY]);
    journal.record(exchange(&big));
    let mut small = request("/small");
    small.headers = Headers::from([("user-agent", "u")]);
    small.body = Bytes::from_static(b"{}");
    journal.record(exchange(&small));
    let ring = journal.inner.lock();
    let entry = &ring.entries[0];
    for held in [
        entry.path.capacity(),
        entry.query.capacity(),
        entry.headers.capacity(),
        entry.request_body.bytes.capacity(),
    ] {
        assert!(held <= KEEP_CAPACITY, "{held} bytes held");
    }
    assert_eq!(ring.bytes, entry.size());
}

/// The budget counts what recycled buffers hold, not only what they are filled with: a
/// 64 KiB body buffer refilled with half of that is still 64 KiB.
#[test]
fn the_budget_counts_recycled_buffers_as_allocated() {
    let journal = Journal::new(1000);
    let mut request = request("/big");
    for len in [MAX_KEPT_BODY, MAX_KEPT_BODY / 2 + 1] {
        request.body = Bytes::from(vec![b'x'; len]);
        for _ in 0..1000 {
            journal.record(exchange(&request));
        }
    }
    let ring = journal.inner.lock();
    let bodies: usize = ring
        .entries
        .iter()
        .map(|e| e.request_body.bytes.capacity())
        .sum();
    assert!(
        bodies > 1000 * MAX_KEPT_BODY / 2 + 1000,
        "the buffers were reused"
    );
    assert!(
        bodies < ring.bytes && ring.bytes <= MAX_JOURNAL_BYTES,
        "{bodies} bytes of bodies held, {} counted",
        ring.bytes
    );
}

/// Clearing gives the budget back: what comes next is kept.
#[test]
fn clearing_gives_the_budget_back() {
    let journal = Journal::new(1_000_000);
    let mut big = request("/big");
    big.namespace = Cow::Owned("gone".into());
    big.body = Bytes::from(vec![b'x'; MAX_KEPT_BODY]);
    for clear in [(|j: &Journal| j.clear()) as fn(&Journal), |j: &Journal| {
        j.clear_namespace("gone")
    }] {
        for _ in 0..(MAX_JOURNAL_BYTES / MAX_KEPT_BODY + 10) {
            journal.record(exchange(&big));
        }
        clear(&journal);
        assert_eq!(journal.inner.lock().bytes, 0);
        for _ in 0..50 {
            journal.record(exchange(&request("/small")));
        }
        assert_eq!(journal.count(&Filter::default()), 50);
        journal.clear();
    }
}

#[test]
fn kept_headers_show_as_before() {
    let pairs = [
        ("content-type", "application/json"),
        ("host", "x"),
        ("authorization", "Bearer sk_staging_abcdef1234"),
        ("idempotency-key", "k1"),
        ("idempotency-key", "k2"),
        ("user-agent", "t"),
    ];
    let headers = Headers::from(pairs);
    let before: serde_json::Map<String, Value> = headers
        .iter()
        .filter(|(n, _)| VENDOR_HEADERS.contains(n) || *n == "user-agent")
        .map(|(n, v)| {
            let v = if n == "authorization" {
                mask(v)
            } else {
                v.to_string()
            };
            (n.to_string(), Value::String(v))
        })
        .collect();
    let shown = |kept: &KeptHeaders| serde_json::to_string(kept).expect("json");
    let before = serde_json::to_string(&before).expect("json");
    let mut kept = KeptHeaders::of(&headers);
    assert_eq!(shown(&kept), before);
    // Refilled as a recycled entry's are: what was there before does not show.
    kept.refill(&Headers::from([pairs[0]]));
    kept.refill(&headers);
    assert_eq!(shown(&kept), before);
    // Kept as sent, never shown whole: not by `Debug` either.
    let debug = format!("{kept:?}");
    assert!(
        debug.contains("Bearer …1234") && !debug.contains("abcdef"),
        "{debug}"
    );
    let e = Entry {
        time: 1_708_040_897_732,
        vendor: "persona",
        ..Entry::default()
    };
    let v = serde_json::to_value(&e).expect("json");
    assert_eq!(v["time"], "2024-02-15T23:48:17.732Z");
    assert_eq!(v["vendor"], "persona");
}

#[test]
fn masks_authorization() {
    assert_eq!(mask("Bearer sk_staging_abcdef1234"), "Bearer …1234");
    assert_eq!(mask("abcdefghij"), "…ghij");
    assert_eq!(mask("short"), "…");
    assert_eq!(mask("Bearer k"), "Bearer …");
    assert_eq!(mask("Bearer "), "Bearer …");
    assert_eq!(mask("123456789"), "…6789");
    assert_eq!(mask("12345678"), "…");
    assert_eq!(mask("Basic ééééééééé"), "Basic …éééé");
    assert_eq!(mask("a b c d e f g h i"), "a … h i");
}

#[test]
fn memory_budget_drops_the_oldest() {
    let journal = Journal::new(1_000_000);
    let mut big = request("/big");
    big.body = Bytes::from(vec![b'x'; MAX_KEPT_BODY * 4]);
    for _ in 0..(MAX_JOURNAL_BYTES / MAX_KEPT_BODY + 10) {
        journal.record(exchange(&big));
    }
    let ring = journal.inner.lock();
    let kept = &ring.entries[0].request_body;
    assert_eq!(kept.bytes.len(), MAX_KEPT_BODY, "kept bodies are cut");
    assert!(kept.cut);
    assert!(ring.bytes <= MAX_JOURNAL_BYTES, "{} bytes kept", ring.bytes);
    assert!(ring.entries.len() < MAX_JOURNAL_BYTES / MAX_KEPT_BODY);
}

#[test]
fn kept_bodies_render_as_json_or_marked_text() {
    assert_eq!(
        KeptBody::new(br#"{"a":1}"#).to_value(),
        serde_json::json!({"a": 1})
    );
    assert_eq!(KeptBody::new(b"").to_value(), Value::Null);
    assert_eq!(
        KeptBody::new(b"{bad").to_value(),
        Value::String("{bad".into())
    );
    let cut = KeptBody::new(&vec![b'7'; MAX_KEPT_BODY + 1]).to_value();
    assert!(cut.as_str().is_some_and(|t| t.ends_with("…(cut)")));
}
