//! `Idempotency-Key` on Persona's POST, PATCH and DELETE calls (vendors.md 1.1): the answer is
//! kept under the key, and the same key with the same request gets it again (nothing happens
//! twice, an error included); the same key with another request is refused with a 409.
//! Authentication runs first, so a 401 is never kept.

use std::collections::VecDeque;
use std::sync::Arc;

use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Millis;
use crate::collections::ShardedMap;
use crate::http::{ApiRequest, ApiResponse, ResponseBody};
use crate::store::World;

/// How long a key keeps its answer, in sandbox time *(choice: Persona does not say; a day, as
/// common APIs keep theirs)*. Keys are kept in the state file, so a retry after a restart is
/// still a replay.
pub const KEY_LIFETIME_MS: Millis = 24 * 60 * 60 * 1000;

/// A kept answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kept {
    /// Of the request ([`fingerprint`]): the same key with another request is refused.
    fingerprint: String,
    /// When the key was used, in sandbox time.
    at: Millis,
    status: u16,
    /// The body as JSON text, as the handler gave it.
    body: String,
}

/// The keys seen in a namespace. The state file keeps `kept`; the time order is derived
/// ([`Keys::rebuild_order`]).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Keys {
    kept: ShardedMap<Arc<str>, Kept>,
    /// The same keys in the order they were used (sandbox time only moves forward), so expired
    /// ones are forgotten from the front.
    #[serde(skip)]
    by_time: VecDeque<(Millis, Arc<str>)>,
}

impl Keys {
    /// The answer kept under `key`, unless it has expired by `now`.
    fn get(&self, key: &str, now: Millis) -> Option<&Kept> {
        self.kept.get(key).filter(|k| now - k.at < KEY_LIFETIME_MS)
    }

    /// Keeps `kept` under `key` (the first answer only), and forgets keys that have expired.
    fn insert(&mut self, key: &str, kept: Kept) {
        let now = kept.at;
        while let Some((at, _)) = self.by_time.front()
            && now - *at >= KEY_LIFETIME_MS
        {
            let Some((at, old)) = self.by_time.pop_front() else {
                break;
            };
            // A key used again after it expired has a newer entry further back: keep that one.
            if self.kept.get(&*old).is_some_and(|k| k.at == at) {
                self.kept.remove(&*old);
            }
        }
        // What is left has not expired: a key kept already keeps its first answer.
        let key: Arc<str> = Arc::from(key);
        let mut new = false;
        self.kept.get_or_insert_with(Arc::clone(&key), || {
            new = true;
            kept
        });
        if new {
            self.by_time.push_back((now, key));
        }
    }

    /// Rebuilds the time order from the keys (after a load that kept only `kept`).
    pub fn rebuild_order(&mut self) {
        let mut order: Vec<(Millis, Arc<str>)> = self
            .kept
            .iter()
            .map(|(k, kept)| (kept.at, Arc::clone(k)))
            .collect();
        order.sort();
        self.by_time = order.into();
    }
}

pub(super) fn key(req: &ApiRequest) -> Option<&str> {
    if !matches!(&*req.method, "POST" | "PATCH" | "DELETE") || !req.path.starts_with("/api/") {
        return None;
    }
    req.header("idempotency-key")
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// What makes two requests the same one: method, path, query and body. SHA-256, so a
/// fingerprint saved by one build is the same in the next.
fn fingerprint(req: &ApiRequest) -> String {
    let mut hasher = Sha256::new();
    for part in [req.method.as_bytes(), req.path.as_bytes()] {
        hasher.update(part);
        hasher.update([0]);
    }
    for (name, value) in &req.query {
        hasher.update(name.as_bytes());
        hasher.update([1]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    }
    hasher.update(&req.body);
    hex::encode(&hasher.finalize()[..16])
}

/// The kept answer for the request's key, or the 409 for a key used by another request.
pub(super) fn replay(world: &World, req: &ApiRequest) -> Option<ApiResponse> {
    let key = key(req)?;
    let kept = world.persona.idempotency.get(key, world.clock.now_ms())?;
    if kept.fingerprint == fingerprint(req) {
        Some(ApiResponse {
            status: kept.status,
            headers: Vec::new(),
            body: ResponseBody::Rendered(Bytes::from(kept.body.clone())),
        })
    } else {
        Some(super::error(
            409,
            &format!(
                "Idempotency-Key {key:?} was already used with a different request; use a new key for a new request"
            ),
            req,
        ))
    }
}

/// Keeps `response` under the request's key (the first answer only).
pub(super) fn remember(world: &mut World, req: &ApiRequest, response: &ApiResponse) {
    let Some(key) = key(req) else {
        return;
    };
    let now = world.clock.now_ms();
    // A replay, or the 409 of another request under the key: the first answer stays.
    if response.status == 401
        || response.status == 429
        || world.persona.idempotency.get(key, now).is_some()
    {
        return;
    }
    let body = match &response.body {
        ResponseBody::Json(value) => value.to_string(),
        ResponseBody::Rendered(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        ResponseBody::Html(_) | ResponseBody::Empty => return,
    };
    let kept = Kept {
        fingerprint: fingerprint(req),
        at: now,
        status: response.status,
        body,
    };
    world.persona.idempotency.insert(key, kept);
}
