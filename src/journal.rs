//! The request journal: every vendor request and its answer, in a bounded ring.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use hyper::body::Bytes;
use parking_lot::Mutex;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::clock::{Millis, iso8601};
use crate::http::{ApiRequest, Headers};

/// Request headers worth keeping: the ones that change what a vendor answers.
const KEPT_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "idempotency-key",
    "key-inflection",
    "persona-version",
    "x-coinflow-auth-user-id",
    "x-coinflow-auth-wallet",
    "x-coinflow-auth-blockchain",
    "x-coinflow-auth-session-key",
    "x-sandbox-namespace",
    "x-sandbox-scenario",
    "user-agent",
];

/// Bodies longer than this are kept cut, so one huge request cannot fill memory.
const MAX_KEPT_BODY: usize = 64 * 1024;

/// The journal's memory budget: the oldest entries go once the kept bodies pass it, whatever
/// `--journal-size` says.
const MAX_JOURNAL_BYTES: usize = 64 * 1024 * 1024;

/// Bookkeeping per entry beyond its bodies, for the budget (a rough, generous figure).
const ENTRY_OVERHEAD: usize = 512;

/// Entries a query returns when it names no `limit`.
pub const DEFAULT_LIMIT: usize = 100;

/// One exchange. What the request path would only format or copy for a reader is kept raw
/// (the time as a number, the vendor's static label, the kept headers as one text) and shown by
/// `Serialize` the way it always was.
///
/// Entries are recycled: the ring's oldest entry is refilled in place with the next exchange
/// (its buffers reused) unless a reader still holds it. Dropping it instead freed four or five
/// allocations made thousands of requests earlier, long out of the cache: with 10,000 entries
/// that was a twentieth of an inquiry read's CPU time.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Entry {
    pub id: u64,
    /// Real time of the request, shown as ISO 8601 (`2024-02-15T23:48:17.732Z`).
    #[serde(serialize_with = "as_iso8601")]
    pub time: Millis,
    pub namespace: Cow<'static, str>,
    pub vendor: &'static str,
    pub method: Cow<'static, str>,
    pub path: String,
    pub query: String,
    pub headers: KeptHeaders,
    /// Copied: it may be a slice of hyper's read buffer, which sharing would keep alive (and
    /// uncounted by the journal's budget) as long as the entry.
    pub request_body: KeptBody<Vec<u8>>,
    pub status: u16,
    /// Shared with the answer.
    pub response_body: KeptBody,
    pub duration_ms: f64,
}

/// A finished vendor request, as [`Journal::record`] takes it: borrowed, and copied into the
/// entry it fills.
pub struct Exchange<'a> {
    pub request: &'a ApiRequest,
    pub vendor: &'static str,
    pub status: u16,
    pub answer: &'a Bytes,
    pub time: Millis,
    pub duration_ms: f64,
}

impl Entry {
    /// Makes this entry `exchange`'s, reusing its buffers.
    fn fill(&mut self, exchange: &Exchange<'_>) {
        let request = exchange.request;
        refill_cow(&mut self.namespace, &request.namespace);
        refill_cow(&mut self.method, &request.method);
        refill_text(&mut self.path, &request.path);
        refill_text(&mut self.query, &request.query_string);
        self.headers.refill(&request.headers);
        self.request_body.refill(&request.body);
        self.response_body = KeptBody::shared(exchange.answer);
        self.id = 0;
        self.time = exchange.time;
        self.vendor = exchange.vendor;
        self.status = exchange.status;
        self.duration_ms = exchange.duration_ms;
    }

    /// What the entry holds, for the budget: its buffers as allocated (a recycled buffer may be
    /// up to twice what it holds), the shared answer, the bookkeeping.
    fn size(&self) -> usize {
        ENTRY_OVERHEAD
            + self.path.capacity()
            + self.query.capacity()
            + self.headers.capacity()
            + self.request_body.bytes.capacity()
            + self.response_body.bytes.len()
    }
}

/// A buffer longer than this, refilled with less than half of it, is given back: a recycled
/// entry does not keep what one large request once needed.
const KEEP_CAPACITY: usize = 1024;

fn keeps_capacity(capacity: usize, needed: usize) -> bool {
    capacity <= KEEP_CAPACITY.max(2 * needed)
}

fn refill_text(buffer: &mut String, text: &str) {
    if keeps_capacity(buffer.capacity(), text.len()) {
        buffer.clear();
        buffer.push_str(text);
    } else {
        *buffer = text.to_owned();
    }
}

/// A borrowed (static) value is kept as it is; an owned one reuses the owned buffer there.
#[expect(
    clippy::ptr_arg,
    reason = "whether the value is borrowed (static) decides what is kept"
)]
fn refill_cow(buffer: &mut Cow<'static, str>, value: &Cow<'static, str>) {
    match (&mut *buffer, value) {
        (_, Cow::Borrowed(text)) => *buffer = Cow::Borrowed(text),
        (Cow::Owned(owned), Cow::Owned(text)) => refill_text(owned, text),
        (Cow::Borrowed(_), Cow::Owned(text)) => *buffer = Cow::Owned(text.clone()),
    }
}

fn as_iso8601<S: Serializer>(ms: &Millis, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&iso8601(*ms))
}

/// The request headers kept (see [`KEPT_HEADERS`]), in the request's order, as sent. Whenever
/// they are shown (JSON, `Debug`) a secret keeps only its scheme word and last four characters:
/// masked when read, not on every request. Shown as the JSON object they were always shown as.
#[derive(Clone, Default)]
pub struct KeptHeaders(Headers);

impl KeptHeaders {
    /// The kept ones of `headers`.
    pub fn of(headers: &Headers) -> Self {
        let mut kept = Self::default();
        kept.refill(headers);
        kept
    }

    fn refill(&mut self, headers: &Headers) {
        self.0.clear();
        for (name, value) in headers.iter() {
            if KEPT_HEADERS.contains(&name) {
                self.0.push(name, value);
            }
        }
        if !keeps_capacity(self.0.text_capacity(), self.0.text_len()) {
            self.0.shrink_text_to_fit();
        }
    }

    /// Bytes its buffer holds, for the budget.
    fn capacity(&self) -> usize {
        self.0.text_capacity()
    }

    pub fn to_map(&self) -> serde_json::Map<String, Value> {
        self.0
            .iter()
            .map(|(n, v)| (n.to_string(), Value::String(shown_value(n, v))))
            .collect()
    }
}

impl std::fmt::Debug for KeptHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.0.iter().map(|(n, v)| (n, shown_value(n, v)));
        f.debug_map().entries(shown).finish()
    }
}

impl Serialize for KeptHeaders {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(serializer)
    }
}

/// A body as the journal keeps it: its first [`MAX_KEPT_BODY`] bytes, shown as JSON when it
/// parses and as text otherwise. Parsing happens when the journal is read, not on the request
/// path. A response's bytes are shared with the answer ([`KeptBody::shared`]); a request's are
/// copied into the entry's own buffer ([`KeptBody::refill`]).
#[derive(Debug, Clone, Default)]
pub struct KeptBody<B = Bytes> {
    bytes: B,
    cut: bool,
}

impl KeptBody<Vec<u8>> {
    pub fn new(body: &[u8]) -> Self {
        let mut kept = Self::default();
        kept.refill(body);
        kept
    }

    fn refill(&mut self, body: &[u8]) {
        let kept = &body[..body.len().min(MAX_KEPT_BODY)];
        if keeps_capacity(self.bytes.capacity(), kept.len()) {
            self.bytes.clear();
            self.bytes.extend_from_slice(kept);
        } else {
            self.bytes = kept.to_vec();
        }
        self.cut = kept.len() < body.len();
    }
}

impl KeptBody {
    /// Keeps `body` itself (shared, no copy) when it is within [`MAX_KEPT_BODY`]; a longer body
    /// is cut and copied, so the journal never pins a large buffer.
    pub fn shared(body: &Bytes) -> Self {
        let kept = body.len().min(MAX_KEPT_BODY);
        Self {
            bytes: if kept == body.len() {
                body.clone()
            } else {
                Bytes::copy_from_slice(&body[..kept])
            },
            cut: kept < body.len(),
        }
    }
}

impl<B: AsRef<[u8]>> KeptBody<B> {
    pub fn to_value(&self) -> Value {
        let bytes = self.bytes.as_ref();
        if bytes.is_empty() {
            return Value::Null;
        }
        if !self.cut
            && let Ok(v) = serde_json::from_slice(bytes)
        {
            return v;
        }
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        if self.cut {
            text.push_str("…(cut)");
        }
        Value::String(text)
    }
}

impl<B: AsRef<[u8]>> Serialize for KeptBody<B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub namespace: Option<String>,
    pub vendor: Option<String>,
    pub method: Option<String>,
    /// Matches the path exactly, or as a prefix when it ends with `*`.
    pub path: Option<String>,
    pub status: Option<u16>,
    pub limit: Option<usize>,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        let path_ok = match self.path.as_deref() {
            None => true,
            Some(p) => match p.strip_suffix('*') {
                Some(prefix) => e.path.starts_with(prefix),
                None => e.path == p,
            },
        };
        path_ok
            && self.namespace.as_ref().is_none_or(|n| *n == e.namespace)
            && self
                .vendor
                .as_ref()
                .is_none_or(|v| v.eq_ignore_ascii_case(e.vendor))
            && self
                .method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            && self.status.is_none_or(|s| s == e.status)
    }
}

pub struct Journal {
    capacity: usize,
    inner: Mutex<Ring>,
}

#[derive(Default)]
struct Ring {
    next_id: u64,
    bytes: usize,
    entries: VecDeque<Arc<Entry>>,
}

impl Ring {
    fn pop_oldest(&mut self) -> Option<Arc<Entry>> {
        let old = self.entries.pop_front()?;
        self.bytes -= old.size();
        Some(old)
    }
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Ring::default()),
        }
    }

    /// Records one exchange; the entry's `id` is assigned here. The oldest entries go when the
    /// ring is full or its buffers pass the memory budget. When the ring is full its oldest
    /// entry is taken out and refilled with this exchange (with the lock released), unless a
    /// reader still holds it.
    pub fn record(&self, exchange: Exchange<'_>) {
        let recycled = {
            let mut ring = self.inner.lock();
            if ring.entries.len() >= self.capacity {
                ring.pop_oldest()
            } else {
                None
            }
        };
        let mut entry = match recycled {
            // Out of the ring no one can take another reference to it, so one is the last.
            Some(old) if Arc::strong_count(&old) == 1 => old,
            _ => Arc::default(),
        };
        // Ours alone here: `make_mut` does not clone it.
        let slot = Arc::make_mut(&mut entry);
        slot.fill(&exchange);
        let size = slot.size();
        let mut gone = Vec::new();
        let mut ring = self.inner.lock();
        while !ring.entries.is_empty()
            && (ring.entries.len() >= self.capacity || ring.bytes + size > MAX_JOURNAL_BYTES)
        {
            gone.extend(ring.pop_oldest());
        }
        ring.next_id += 1;
        slot.id = ring.next_id;
        ring.bytes += size;
        ring.entries.push_back(entry);
        drop(ring);
        // Entries pushed out by the budget are freed with the lock released.
        drop(gone);
    }

    /// Matching entries, newest first, at most `filter.limit` (default [`DEFAULT_LIMIT`]).
    /// Only `Arc`s are cloned under the lock; the caller serialises with the lock released.
    pub fn query(&self, filter: &Filter) -> Vec<Arc<Entry>> {
        let ring = self.inner.lock();
        ring.entries
            .iter()
            .rev()
            .filter(|e| filter.matches(e))
            .take(filter.limit.unwrap_or(DEFAULT_LIMIT))
            .cloned()
            .collect()
    }

    pub fn count(&self, filter: &Filter) -> usize {
        self.inner
            .lock()
            .entries
            .iter()
            .filter(|e| filter.matches(e))
            .count()
    }

    pub fn clear_namespace(&self, namespace: &str) {
        let mut ring = self.inner.lock();
        let Ring { bytes, entries, .. } = &mut *ring;
        entries.retain(|e| {
            let keep = e.namespace != namespace;
            if !keep {
                *bytes -= e.size();
            }
            keep
        });
    }

    pub fn clear(&self) {
        let mut ring = self.inner.lock();
        ring.entries.clear();
        ring.bytes = 0;
    }
}

/// A kept header's value as the journal shows it: a secret masked.
fn shown_value(name: &str, value: &str) -> String {
    if name == "authorization" {
        mask(value)
    } else {
        value.to_string()
    }
}

fn mask(secret: &str) -> String {
    let (scheme, key) = secret.split_once(' ').unwrap_or(("", secret));
    let mut out = String::with_capacity(scheme.len() + 1 + '…'.len_utf8() + 16);
    if key.len() < secret.len() {
        out.push_str(scheme);
        out.push(' ');
    }
    out.push('…');
    // More than eight characters: the last four are shown.
    if key.chars().nth(8).is_some() {
        let tail = key.char_indices().rev().nth(3).map_or(0, |(at, _)| at);
        out.push_str(&key[tail..]);
    }
    out
}

#[cfg(test)]
mod tests {
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
            .filter(|(n, _)| KEPT_HEADERS.contains(n))
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
}
