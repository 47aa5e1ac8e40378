//! A namespace's memoized answers: what a read-only route rendered, kept until the world next
//! changes.

use std::sync::atomic::Ordering;

use parking_lot::{RwLock, RwLockReadGuard};

use super::{Namespace, World};
use crate::http::{ApiResponse, ResponseBody};

/// Answers of read-only routes that depend on nothing but the world and the request's path and
/// query (the rows marked `memoized`), kept until the world is next locked to change: a client
/// polling an inquiry gets the bytes rendered for its first poll. Only plain rendered answers
/// are kept; the vendor's `finish` still runs on each (a new request id). Bounded, and looked up
/// by a scan (no hash of a client's text to flood).
#[derive(Default)]
pub(super) struct Memo {
    answers: RwLock<Vec<Memoized>>,
}

struct Memoized {
    made_at: u64,
    path: Box<str>,
    query: Box<str>,
    status: u16,
    body: hyper::body::Bytes,
}

/// How many answers a namespace keeps.
const MEMO_CAPACITY: usize = 64;

impl Namespace {
    /// The answer kept for `path` and `query` if the world has not been locked to change since it was made;
    /// otherwise `answer()`'s, kept when it is a plain rendered answer. `_world` is the read
    /// guard of this namespace: nothing can change while it is held.
    pub fn memoized(
        &self,
        _world: &RwLockReadGuard<'_, World>,
        path: &str,
        query: &str,
        answer: impl FnOnce() -> ApiResponse,
    ) -> ApiResponse {
        let now = self.changes.load(Ordering::Relaxed);
        let same =
            |kept: &Memoized| kept.made_at == now && *kept.path == *path && *kept.query == *query;
        if let Some(kept) = self.memo.answers.read().iter().find(|kept| same(kept)) {
            return ApiResponse {
                status: kept.status,
                headers: Vec::new(),
                body: ResponseBody::Rendered(kept.body.clone()),
            };
        }
        let response = answer();
        if let (ResponseBody::Rendered(body), true) = (&response.body, response.headers.is_empty())
        {
            let mut answers = self.memo.answers.write();
            answers.retain(|kept| kept.made_at == now);
            if answers.len() >= MEMO_CAPACITY {
                answers.clear();
            }
            // Another reader may have kept the same answer meanwhile: then it is kept twice
            // until the next change, harmless.
            answers.push(Memoized {
                made_at: now,
                path: path.into(),
                query: query.into(),
                status: response.status,
                body: body.clone(),
            });
        }
        response
    }
}
