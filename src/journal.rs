//! The request journal: every vendor request and its answer, in a bounded ring.

use std::collections::VecDeque;

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

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

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: u64,
    pub time: String,
    pub namespace: String,
    pub vendor: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: serde_json::Map<String, Value>,
    pub request_body: Value,
    pub status: u16,
    pub response_body: Value,
    pub duration_ms: f64,
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
                .is_none_or(|v| v.eq_ignore_ascii_case(&e.vendor))
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
    entries: VecDeque<Entry>,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Ring::default()),
        }
    }

    /// Records one exchange; the entry's `id` is assigned here.
    pub fn record(&self, mut entry: Entry) {
        let mut ring = self.inner.lock();
        ring.next_id += 1;
        entry.id = ring.next_id;
        if ring.entries.len() == self.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(entry);
    }

    /// Matching entries, newest first.
    pub fn query(&self, filter: &Filter) -> Vec<Entry> {
        let ring = self.inner.lock();
        ring.entries
            .iter()
            .rev()
            .filter(|e| filter.matches(e))
            .take(filter.limit.unwrap_or(usize::MAX))
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

/// The headers kept for the journal; secrets are shortened to their last four characters.
pub fn kept_headers(headers: &[(String, String)]) -> serde_json::Map<String, Value> {
    headers
        .iter()
        .filter(|(n, _)| KEPT_HEADERS.contains(&n.as_str()))
        .map(|(n, v)| {
            let v = if n == "authorization" {
                mask(v)
            } else {
                v.clone()
            };
            (n.clone(), Value::String(v))
        })
        .collect()
}

fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 8 {
        return "…".into();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    let head: String = chars.iter().take_while(|c| **c != ' ').take(7).collect();
    format!("{head}…{tail}")
}

/// A body as the journal keeps it: JSON when it parses, else (cut) text.
pub fn body_value(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if bytes.len() <= MAX_KEPT_BODY
        && let Ok(v) = serde_json::from_slice(bytes)
    {
        return v;
    }
    let cut = &bytes[..bytes.len().min(MAX_KEPT_BODY)];
    Value::String(String::from_utf8_lossy(cut).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            id: 0,
            time: String::new(),
            namespace: "default".into(),
            vendor: "persona".into(),
            method: "GET".into(),
            path: path.into(),
            query: String::new(),
            headers: Default::default(),
            request_body: Value::Null,
            status: 200,
            response_body: Value::Null,
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
            .map(|e| e.path)
            .collect();
        assert_eq!(paths, ["/c", "/b"]);
    }

    #[test]
    fn masks_authorization() {
        assert_eq!(mask("Bearer sk_staging_abcdef1234"), "Bearer…1234");
        assert_eq!(mask("short"), "…");
    }
}
