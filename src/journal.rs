//! The request journal: every vendor request and its answer, in a bounded ring.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use hyper::body::Bytes;
use parking_lot::Mutex;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::clock::{Millis, iso8601};
use crate::http::ApiRequest;

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
/// (the time as a number, the vendor's static label, the kept headers as a list) and shown by
/// `Serialize` the way it always was.
#[derive(Debug, Clone, Serialize)]
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
    pub request_body: KeptBody,
    pub status: u16,
    pub response_body: KeptBody,
    pub duration_ms: f64,
}

impl Entry {
    /// The entry of a finished vendor request. What the request is done with (its routed path,
    /// query and kept headers) is moved in; its body is copied: it may be a slice of hyper's read
    /// buffer, which sharing would keep alive (and uncounted by the journal's budget) as long as
    /// the entry. The answer's bytes are shared.
    pub fn of(
        request: &mut ApiRequest,
        vendor: &'static str,
        status: u16,
        answer: &Bytes,
        time: Millis,
        duration_ms: f64,
    ) -> Entry {
        Entry {
            id: 0,
            time,
            namespace: request.namespace.clone(),
            vendor,
            method: request.method.clone(),
            path: std::mem::take(&mut request.path),
            query: std::mem::take(&mut request.query_string),
            headers: take_kept_headers(&mut request.headers),
            request_body: KeptBody::new(&request.body),
            status,
            response_body: KeptBody::shared(answer),
            duration_ms,
        }
    }

    fn size(&self) -> usize {
        ENTRY_OVERHEAD + self.request_body.bytes.len() + self.response_body.bytes.len()
    }
}

fn as_iso8601<S: Serializer>(ms: &Millis, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&iso8601(*ms))
}

/// The request headers kept (see [`KEPT_HEADERS`]), in the request's order, as sent. Whenever
/// they are shown (JSON, `Debug`) a secret keeps only its scheme word and last four characters:
/// masked when read, not on every request. Shown as the JSON object they were always shown as.
#[derive(Clone, Default)]
pub struct KeptHeaders(Vec<(&'static str, String)>);

impl KeptHeaders {
    pub fn to_map(&self) -> serde_json::Map<String, Value> {
        self.0
            .iter()
            .map(|(n, v)| ((*n).to_string(), Value::String(shown_value(n, v))))
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

/// A body as the journal keeps it: its first [`MAX_KEPT_BODY`] bytes (shared with the answer when
/// it is no longer; a longer one is copied, so it never pins a larger buffer), shown as JSON when
/// it parses and as text otherwise. Parsing happens when the journal is read, not on the request
/// path.
#[derive(Debug, Clone, Default)]
pub struct KeptBody {
    bytes: Bytes,
    cut: bool,
}

impl KeptBody {
    pub fn new(body: &[u8]) -> Self {
        let kept = &body[..body.len().min(MAX_KEPT_BODY)];
        Self {
            bytes: Bytes::copy_from_slice(kept),
            cut: kept.len() < body.len(),
        }
    }

    /// Keeps `body` itself (shared, no copy) when it is within [`MAX_KEPT_BODY`]; a longer body
    /// is cut and copied, so the journal never pins a large buffer.
    pub fn shared(body: &Bytes) -> Self {
        if body.len() <= MAX_KEPT_BODY {
            Self {
                bytes: body.clone(),
                cut: false,
            }
        } else {
            Self::new(body)
        }
    }

    pub fn to_value(&self) -> Value {
        if self.bytes.is_empty() {
            return Value::Null;
        }
        if !self.cut
            && let Ok(v) = serde_json::from_slice(&self.bytes)
        {
            return v;
        }
        let mut text = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.cut {
            text.push_str("…(cut)");
        }
        Value::String(text)
    }
}

impl Serialize for KeptBody {
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
    fn pop_oldest(&mut self) {
        if let Some(old) = self.entries.pop_front() {
            self.bytes -= old.size();
        }
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
    /// ring is full or its bodies pass the memory budget.
    pub fn record(&self, mut entry: Entry) {
        let size = entry.size();
        let mut ring = self.inner.lock();
        ring.next_id += 1;
        entry.id = ring.next_id;
        while !ring.entries.is_empty()
            && (ring.entries.len() >= self.capacity || ring.bytes + size > MAX_JOURNAL_BYTES)
        {
            ring.pop_oldest();
        }
        ring.bytes += size;
        ring.entries.push_back(Arc::new(entry));
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
        self.inner
            .lock()
            .entries
            .retain(|e| e.namespace != namespace);
    }

    pub fn clear(&self) {
        self.inner.lock().entries.clear();
    }
}

/// The headers kept for the journal (shown masked: see [`KeptHeaders`]).
pub fn kept_headers(headers: &[(Cow<'static, str>, String)]) -> KeptHeaders {
    KeptHeaders(
        headers
            .iter()
            .filter_map(|(n, v)| Some((kept_name(n)?, v.clone())))
            .collect(),
    )
}

/// [`kept_headers`], moving the values out of `headers` (the server's request is done with
/// them) instead of copying them.
pub fn take_kept_headers(headers: &mut [(Cow<'static, str>, String)]) -> KeptHeaders {
    KeptHeaders(
        headers
            .iter_mut()
            .filter_map(|(n, v)| Some((kept_name(n)?, std::mem::take(v))))
            .collect(),
    )
}

fn kept_name(name: &str) -> Option<&'static str> {
    KEPT_HEADERS.iter().find(|&&kept| kept == name).copied()
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

    fn entry(path: &str) -> Entry {
        Entry {
            id: 0,
            time: 0,
            namespace: "default".into(),
            vendor: "persona",
            method: "GET".into(),
            path: path.into(),
            query: String::new(),
            headers: KeptHeaders::default(),
            request_body: KeptBody::default(),
            status: 200,
            response_body: KeptBody::default(),
            duration_ms: 0.0,
        }
    }

    #[test]
    fn ring_keeps_newest_and_is_bounded() {
        let journal = Journal::new(2);
        for p in ["/a", "/b", "/c"] {
            journal.record(entry(p));
        }
        let paths: Vec<_> = journal
            .query(&Filter::default())
            .into_iter()
            .map(|e| e.path.clone())
            .collect();
        assert_eq!(paths, ["/c", "/b"]);
    }

    #[test]
    fn kept_headers_show_as_before() {
        let headers: Vec<(Cow<'static, str>, String)> = [
            ("content-type", "application/json"),
            ("host", "x"),
            ("authorization", "Bearer sk_staging_abcdef1234"),
            ("idempotency-key", "k1"),
            ("idempotency-key", "k2"),
            ("user-agent", "t"),
        ]
        .iter()
        .map(|&(n, v)| (n.into(), v.to_string()))
        .collect();
        let before: serde_json::Map<String, Value> = headers
            .iter()
            .filter(|(n, _)| KEPT_HEADERS.contains(&&**n))
            .map(|(n, v)| {
                let v = if n == "authorization" {
                    mask(v)
                } else {
                    v.clone()
                };
                (n.to_string(), Value::String(v))
            })
            .collect();
        let shown = |kept: &KeptHeaders| serde_json::to_string(kept).expect("json");
        let before = serde_json::to_string(&before).expect("json");
        assert_eq!(shown(&kept_headers(&headers)), before);
        let mut moved = headers.clone();
        let kept = take_kept_headers(&mut moved);
        assert_eq!(shown(&kept), before);
        // Kept as sent, never shown whole: not by `Debug` either.
        let debug = format!("{kept:?}");
        assert!(
            debug.contains("Bearer …1234") && !debug.contains("abcdef"),
            "{debug}"
        );
        let mut e = entry("/x");
        e.time = 1_708_040_897_732;
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
        let mut big = entry("/big");
        big.request_body = KeptBody::new(&vec![b'x'; MAX_KEPT_BODY * 4]);
        assert_eq!(
            big.request_body.bytes.len(),
            MAX_KEPT_BODY,
            "kept bodies are cut"
        );
        for _ in 0..(MAX_JOURNAL_BYTES / MAX_KEPT_BODY + 10) {
            journal.record(big.clone());
        }
        let ring = journal.inner.lock();
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
