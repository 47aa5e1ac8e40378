//! Containers for the entities a namespace keeps without bound (card users, inquiries, events,
//! their indexes): they grow without a stall. A std `HashMap` rehashes every entry at once when
//! it doubles, under the namespace's lock, and every index of the create path doubles at the same
//! user count: one create took 0.35 s at 114,688 card users and 2.4 s at 458,752
//! (bench/RESULTS.md, run 6).

mod position_index;
mod sharded_map;

pub use position_index::{Lowercase, PositionIndex};
pub use sharded_map::{ShardedMap, ShardedSet};

/// How the maps hash their keys: foldhash, seeded at random per process and per map. That is a
/// keyed hash, so keys a client chooses (emails, API keys, idempotency keys, reference ids) cannot
/// be picked ahead to collide. foldhash claims only minimal resistance to flooding (someone who
/// studies a long-running server's timing to learn its seed), which a sandbox on localhost can
/// accept. std's SipHash cost a create about 2,200 instructions, 5 % of its work (bench/RESULTS.md,
/// run 17).
pub type KeyedHash = foldhash::fast::RandomState;
