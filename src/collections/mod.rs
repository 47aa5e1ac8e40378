//! Containers for the entities a namespace keeps without bound (card users, inquiries, events,
//! their indexes): they grow without a stall. A std `HashMap` rehashes every entry at once when
//! it doubles, under the namespace's lock, and every index of the create path doubles at the same
//! user count: one create took 0.35 s at 114,688 card users and 2.4 s at 458,752
//! (bench/RESULTS.md, run 6).

mod position_index;
mod sharded_map;

pub use position_index::{Lowercase, PositionIndex};
pub use sharded_map::{ShardedMap, ShardedSet};

/// A map keyed by ids the sandbox generates (not chosen by a client, so no flooding to fear):
/// foldhash instead of SipHash. Keys a client chooses (emails, API keys, idempotency keys,
/// reference ids) stay on std's keyed SipHash (`ShardedMap`'s default).
pub type IdMap<K, V> = ShardedMap<K, V, foldhash::fast::RandomState>;

/// A [`PositionIndex`] of records whose keys are ids the sandbox generates (foldhash).
pub type IdIndex = PositionIndex<foldhash::fast::RandomState>;
