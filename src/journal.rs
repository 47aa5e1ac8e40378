//! The request journal: every vendor request and its answer, in a bounded ring.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use hyper::body::Bytes;
use parking_lot::Mutex;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::clock::{Millis, iso8601};
use crate::http::{ApiRequest, Headers, VENDOR_HEADERS};

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
    /// 0 when no answer went out (`fault`).
    pub status: u16,
    /// Shared with the answer.
    pub response_body: KeptBody,
    pub duration_ms: f64,
    /// A scenario's fault that ended the connection without an answer (`reset`, `timeout`),
    /// journaled when the connection ended. Absent from the JSON of an answered request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
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
    /// See [`Entry::fault`].
    pub fault: Option<&'static str>,
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
        self.fault = exchange.fault;
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

/// The request headers kept (`VENDOR_HEADERS` and `user-agent`), in the request's order, as sent. Whenever
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
            if VENDOR_HEADERS.contains(&name) || name == "user-agent" {
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

/// A body as the journal keeps it: its first `MAX_KEPT_BODY` bytes, shown as JSON when it
/// parses and as text otherwise. Parsing happens when the journal is read, not on the request
/// path. A response's bytes are shared with the answer ([`KeptBody::shared`]); a request's are
/// copied into the entry's own buffer (`KeptBody::refill`).
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
mod tests;
