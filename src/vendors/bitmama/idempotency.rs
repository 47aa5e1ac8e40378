//! Idempotency keys as Bitmama documents them: the `idempotency-key` header is required on every
//! mutating POST/DELETE, and a key already used within the last 5 minutes is refused with 400.
//! That is: create user, delete user, retry KYC, create card, fund, withdraw, terminate, and the
//! two profile calls (`POST .../profile/webhook`, `POST .../profile/redirect-url`), which Bitmama's
//! route table does not mark but its conventions cover. `PATCH /v1/partner/card` (freeze) takes
//! none, as documented. A repeated key on `profile/webhook` is refused like any other: the secret
//! is not rotated again (call once more with a new key to get a new secret).
//!
//! Keys are per partner and shared by all its mutating routes. A key counts as used once a call
//! carrying it succeeded; a call that failed (validation, `DUP_USER`, 402, ...) leaves it free so
//! the corrected call can be sent with the same key. The check and the recording happen in the
//! same locked section as the work itself, so concurrent calls with one key do the work once.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Reply, scenario};
use crate::clock::Millis;
use crate::collections::ShardedMap;
use crate::http::ApiResponse;
use crate::store::World;
use crate::vendors::Ctx;

/// The frame of every mutating partner call, in one locked section of the namespace: the partner
/// is set up (seeded on first sight), `key` is checked, `work` runs, and the key is used up only
/// if `work` succeeded. The rule of this module lives here, so no route can apply half of it.
pub fn keyed_call(
    cx: &Ctx,
    world: &mut World,
    api_key: &str,
    key: &str,
    work: impl FnOnce(&mut World, Millis) -> Reply,
) -> Reply {
    let app = cx.app;
    let now = world.clock.now_ms();
    let starting = app.config.bitmama.starting_balance_cents;
    // A known partner is found once for both (its key hashed once).
    let partner = match world.bitmama.partners.get_mut(api_key) {
        Some(partner) => partner,
        None => {
            scenario::ensure_partner(app, world, api_key);
            world.bitmama.partner(api_key, starting)
        }
    };
    partner.idempotency.check(key, now)?;
    let reply = work(world, now)?;
    world
        .bitmama
        .partner(api_key, starting)
        .idempotency
        .record(key, now);
    Ok(reply)
}

/// How long a used key stays taken, in sandbox time.
pub const KEY_LIFETIME_MS: Millis = 5 * 60 * 1000;

/// Longest key accepted (a UUID is 36 characters).
const MAX_KEY_LEN: usize = 255;

/// The state file keeps `used`; the time order is derived ([`IdempotencyKeys::rebuild_order`]).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct IdempotencyKeys {
    /// Key to when it was used. Every create keeps one for 5 minutes, so the key's text is
    /// shared with `by_time` (one allocation, not two).
    used: ShardedMap<Arc<str>, Millis>,
    /// The same keys in the order they were used (sandbox time only moves forward), so expired
    /// ones are forgotten from the front without looking at the others.
    #[serde(skip)]
    by_time: VecDeque<(Millis, Arc<str>)>,
}

impl IdempotencyKeys {
    /// 400 when `key` was used less than [`KEY_LIFETIME_MS`] before `now`.
    pub fn check(&self, key: &str, now: Millis) -> Result<(), ApiResponse> {
        match self.used.get(key) {
            Some(&at) if now - at < KEY_LIFETIME_MS => Err(super::error_code(
                400,
                "IDEMPOTENCY_KEY_ALREADY_USED",
                &format!(
                    "The idempotency-key {key:?} was already used {} seconds ago; keys can be reused only after 5 minutes. Send a new key (a UUID) for a new request",
                    (now - at) / 1000
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Rebuilds the time order from the keys (after a load that kept only `used`).
    pub fn rebuild_order(&mut self) {
        let mut order: Vec<(Millis, Arc<str>)> = self
            .used
            .iter()
            .map(|(k, &at)| (at, Arc::clone(k)))
            .collect();
        order.sort();
        self.by_time = order.into();
    }

    /// Marks `key` used at `now`, and forgets keys that have expired.
    pub fn record(&mut self, key: &str, now: Millis) {
        while let Some((at, _)) = self.by_time.front()
            && now - *at >= KEY_LIFETIME_MS
        {
            let Some((at, old)) = self.by_time.pop_front() else {
                break;
            };
            // A key used again after it expired has a newer entry further back: keep it.
            if self.used.get(&*old) == Some(&at) {
                self.used.remove(&*old);
            }
        }
        let key: Arc<str> = Arc::from(key);
        self.used.insert(Arc::clone(&key), now);
        self.by_time.push_back((now, key));
    }
}

/// The `idempotency-key` header of a mutating call, or Bitmama's 400.
pub fn required_key(req: &crate::http::ApiRequest) -> Result<&str, ApiResponse> {
    let key = req.header("idempotency-key").map(str::trim).unwrap_or("");
    if key.is_empty() {
        return Err(super::error_code(
            400,
            "IDEMPOTENCY_KEY_REQUIRED",
            "The idempotency-key header is required on this request; send a unique key (a UUID) per request",
        ));
    }
    if key.chars().count() > MAX_KEY_LEN {
        return Err(super::error_code(
            400,
            "INVALID_IDEMPOTENCY_KEY",
            &format!("The idempotency-key header must be at most {MAX_KEY_LEN} characters"),
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_expire_after_five_minutes() {
        let mut keys = IdempotencyKeys::default();
        keys.record("k", 1_000);
        assert!(keys.check("k", 1_000 + KEY_LIFETIME_MS - 1).is_err());
        assert!(keys.check("k", 1_000 + KEY_LIFETIME_MS).is_ok());
        assert!(keys.check("other", 1_000).is_ok());
        keys.record("later", 1_000 + KEY_LIFETIME_MS);
        assert!(!keys.used.contains_key("k"), "expired keys are forgotten");
        assert_eq!(keys.by_time.len(), 1);
    }

    #[test]
    fn a_key_reused_after_expiry_stays_taken_until_its_new_use_expires() {
        let mut keys = IdempotencyKeys::default();
        keys.record("k", 0);
        keys.record("k", KEY_LIFETIME_MS);
        keys.record("other", KEY_LIFETIME_MS + 1);
        assert!(keys.check("k", KEY_LIFETIME_MS + 2).is_err());
        keys.record("late", 2 * KEY_LIFETIME_MS);
        assert!(keys.check("k", 2 * KEY_LIFETIME_MS).is_ok());
        assert_eq!(keys.used.len(), 2, "only other and late are kept");
        keys.by_time.clear();
        keys.rebuild_order();
        let order: Vec<&str> = keys.by_time.iter().map(|(_, k)| &**k).collect();
        assert_eq!(order, ["other", "late"]);
    }
}
