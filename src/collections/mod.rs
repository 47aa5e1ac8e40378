//! Containers for the entities a namespace keeps without bound (card users, inquiries, events,
//! their indexes): they grow without a stall. A std `HashMap` rehashes every entry at once when
//! it doubles, under the namespace's lock, and every index of the create path doubles at the same
//! user count: one create took 0.35 s at 114,688 card users and 2.4 s at 458,752
//! (bench/RESULTS.md, run 6).

use std::hash::BuildHasher;
use std::sync::OnceLock;

use foldhash::SharedSeed;

mod position_index;
mod sharded_map;

pub use position_index::{Lowercase, PositionIndex};
pub use sharded_map::{ShardedMap, ShardedSet};

/// How these containers hash their keys: foldhash, keyed with the operating system's random
/// numbers (drawn through std's `RandomState`): one key per process, one per map. foldhash's own
/// `RandomState` seeds itself from addresses and the clock instead, which is guessable when ASLR is
/// off. Keyed, so keys a client chooses (emails, API keys, idempotency keys, reference ids)
/// cannot be picked ahead to collide. foldhash mixes less than SipHash: someone who studies a
/// long-running server's timing or its maps' order could learn the key, a risk a test sandbox can
/// take even where `--host` opens it beyond localhost. Switching from SipHash saved a create
/// about 2,200 instructions, 5 % of its work (bench/RESULTS.md, run 17).
#[derive(Clone, Debug)]
pub struct KeyedHash(foldhash::fast::SeedableRandomState);

impl Default for KeyedHash {
    fn default() -> Self {
        static PROCESS_KEY: OnceLock<SharedSeed> = OnceLock::new();
        let process_key = PROCESS_KEY.get_or_init(|| SharedSeed::from_u64(random_u64()));
        Self(foldhash::fast::SeedableRandomState::with_seed(
            random_u64(),
            process_key,
        ))
    }
}

impl BuildHasher for KeyedHash {
    type Hasher = foldhash::fast::FoldHasher<'static>;

    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

/// 64 bits nobody can predict: std keys its `RandomState`s with the OS's random numbers (each one
/// made with a different key), and SipHash under an unknown key is unpredictable.
fn random_u64() -> u64 {
    std::hash::RandomState::new().hash_one(0x5eed_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_map_hashes_with_its_own_key() {
        let (one, other) = (KeyedHash::default(), KeyedHash::default());
        assert_eq!(one.hash_one("key"), one.clone().hash_one("key"));
        assert_ne!(one.hash_one("key"), other.hash_one("key"));
    }
}
