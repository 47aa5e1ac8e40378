//! `Idempotency-Key` on Persona's POST, PATCH and DELETE calls (vendors.md 1.1): the answer is
//! kept under the key, and the same key with the same request gets it again (nothing happens
//! twice, an error included); the same key with another request is refused with a 409.
//! Authentication runs first, so a 401 is never kept.

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::collections::ShardedMap;
use crate::http::{ApiRequest, ApiResponse, ResponseBody};
use crate::store::World;

/// A kept answer.
#[derive(Debug, Clone)]
pub struct Kept {
    fingerprint: u64,
    status: u16,
    body: ResponseBody,
}

/// The keys seen in a namespace (not saved in the state file: keys are short-lived).
pub type Keys = ShardedMap<String, Kept>;

pub(super) fn key(req: &ApiRequest) -> Option<&str> {
    if !matches!(&*req.method, "POST" | "PATCH" | "DELETE") || !req.path.starts_with("/api/") {
        return None;
    }
    req.header("idempotency-key")
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

fn fingerprint(req: &ApiRequest) -> u64 {
    let mut hasher = DefaultHasher::new();
    req.method.hash(&mut hasher);
    req.path.hash(&mut hasher);
    req.query.hash(&mut hasher);
    req.body.hash(&mut hasher);
    hasher.finish()
}

/// The kept answer for the request's key, or the 409 for a key used by another request.
pub(super) fn replay(world: &World, req: &ApiRequest) -> Option<ApiResponse> {
    let key = key(req)?;
    let kept = world.persona.idempotency.get(key)?;
    if kept.fingerprint == fingerprint(req) {
        Some(ApiResponse {
            status: kept.status,
            headers: Vec::new(),
            body: kept.body.clone(),
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
    let body = &response.body;
    if !matches!(body, ResponseBody::Json(_) | ResponseBody::Rendered(_)) {
        return;
    }
    if response.status == 401 || response.status == 429 {
        return;
    }
    world
        .persona
        .idempotency
        .get_or_insert_with(key.to_string(), || Kept {
            fingerprint: fingerprint(req),
            status: response.status,
            body: body.clone(),
        });
}
