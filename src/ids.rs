//! Deterministic id generation: one seeded generator per namespace.
//!
//! A namespace's generator is seeded from the server seed *and* the namespace name, so the ids a
//! namespace hands out depend only on `--seed` and the requests sent to that namespace, not on
//! which other namespaces exist or in what order they were first used.
//!
//! The generator is ChaCha12, the algorithm behind rand 0.9's `StdRng` (same seeding, so the same
//! ids), used directly because its state serializes: the state file keeps where each namespace's
//! stream is, and ids go on after a restart without repeating.

mod id;

use std::sync::atomic::{AtomicU64, Ordering};

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Serialize};

pub use id::Id;

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdGen {
    rng: ChaCha12Rng,
}

impl IdGen {
    pub fn new(seed: u64, namespace: &str) -> Self {
        Self {
            rng: ChaCha12Rng::seed_from_u64(seed ^ fnv1a(namespace.as_bytes())),
        }
    }

    /// `prefix` followed by 24 base58 characters, the form of Persona ids (`inq_…`, `evt_…`).
    pub fn persona(&mut self, prefix: &str) -> Id {
        let mut text = [0; 24];
        for byte in &mut text {
            *byte = self.pick_one(BASE58);
        }
        Id::joined(prefix, &text)
    }

    pub fn base58(&mut self, len: usize) -> String {
        self.pick(BASE58, len)
    }

    pub fn alphanumeric(&mut self, len: usize) -> String {
        self.pick(ALPHANUMERIC, len)
    }

    /// Lowercase hex, e.g. 24 digits for a Mongo ObjectId as Coinflow uses.
    pub fn hex(&mut self, len: usize) -> String {
        self.pick(HEX, len)
    }

    /// A version-4 UUID in its usual text form.
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        let variant = HEX[8 + self.rng.random_range(0..4)] as char;
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            variant,
            &h[17..20],
            &h[20..32]
        )
    }

    fn pick(&mut self, alphabet: &[u8], len: usize) -> String {
        let mut out = String::with_capacity(len);
        self.pick_into(&mut out, alphabet, len);
        out
    }

    /// Appends `len` characters of `alphabet` (ASCII) to `out`, one draw each.
    fn pick_into(&mut self, out: &mut String, alphabet: &[u8], len: usize) {
        out.reserve(len);
        for _ in 0..len {
            out.push(char::from(self.pick_one(alphabet)));
        }
    }

    /// One character of `alphabet` (ASCII): what `random_range(0..alphabet.len())` draws
    /// (rand 0.9's single-sample method for a range that fits in `u32`, "Canon's method"),
    /// written out so the generator is read directly (the generic path cost about fifty
    /// instructions a character). `same_stream_as_std_rng` holds it to rand's.
    fn pick_one(&mut self, alphabet: &[u8]) -> u8 {
        let range = alphabet.len() as u32;
        let wide = u64::from(self.rng.next_u32()) * u64::from(range);
        let (mut index, low) = ((wide >> 32) as u32, wide as u32);
        if low > range.wrapping_neg() {
            // Rare (range in 2^32): one more draw settles the bias, as rand does.
            let next = ((u64::from(self.rng.next_u32()) * u64::from(range)) >> 32) as u32;
            index += u32::from(low.checked_add(next).is_none());
        }
        alphabet[index as usize]
    }
}

/// Request ids (Persona's `Request-Id`), a stream of their own beside [`IdGen`]: drawing one
/// needs no `&mut`, so a read answers under a shared lock, and the ids of created objects do not
/// depend on how many reads came before them. The `n`th id of a namespace depends only on the
/// seed, the namespace and `n`. The state file does not keep the count: a draw is no change, so
/// a read writes nothing; a stream loaded again is keyed afresh instead
/// ([`RequestIds::unrepeated`]), so it repeats none of the ids handed out before.
#[derive(Debug, Default)]
pub struct RequestIds {
    key: u64,
    next: AtomicU64,
}

impl RequestIds {
    pub fn new(seed: u64, namespace: &str) -> Self {
        Self {
            // Not IdGen's seed: the two streams must not start alike.
            key: splitmix64(seed ^ fnv1a(namespace.as_bytes()) ^ 0x7265_7175_6573_7473),
            next: AtomicU64::new(0),
        }
    }

    /// A stream for `namespace` that repeats no id an earlier stream of it handed out (before a
    /// restart, or before a rollback to the state file): keyed with a random value, as the
    /// earlier stream's count is not kept. Its ids depend on more than the seed, unlike a new
    /// namespace's.
    pub fn unrepeated(seed: u64, namespace: &str) -> Self {
        let mut ids = Self::new(seed, namespace);
        ids.key = splitmix64(ids.key ^ rand::random::<u64>());
        ids
    }

    /// `prefix` followed by 24 base58 characters, like [`IdGen::persona`].
    pub fn next(&self, prefix: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        // Drawn into bytes and appended once: pushed as 24 `char`s, an id took about 600
        // instructions, a fortieth of an inquiry read.
        let mut text = [0u8; 24];
        for (word, chunk) in (0..3u64).zip(text.chunks_exact_mut(8)) {
            // Distinct (n, word) give distinct words: splitmix64 is a bijection.
            let x = splitmix64(self.key ^ n.wrapping_mul(3).wrapping_add(word));
            // The word's eight lowest base-58 digits, lowest first: four from `x mod 58^4` and
            // four from `x / 58^4`, each below 2^24, so in 32-bit arithmetic (the same digits
            // as dividing `x` by 58 eight times, at less than half the cost).
            const FOUR: u64 = 58 * 58 * 58 * 58;
            let (low, high) = ((x % FOUR) as u32, ((x / FOUR) % FOUR) as u32);
            for (half, mut digits) in chunk.chunks_exact_mut(4).zip([low, high]) {
                for byte in half {
                    *byte = BASE58[(digits % 58) as usize];
                    digits /= 58;
                }
            }
        }
        let mut id = String::with_capacity(prefix.len() + text.len());
        id.push_str(prefix);
        id.push_str(std::str::from_utf8(&text).unwrap_or_default());
        id
    }
}

/// The finalizer of SplitMix64: a bijection of `u64` that mixes every bit into every other.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_namespace_give_same_ids() {
        let mut a = IdGen::new(7, "default");
        let mut b = IdGen::new(7, "default");
        assert_eq!(a.persona("inq_"), b.persona("inq_"));
        assert_ne!(
            IdGen::new(7, "other").hex(24),
            IdGen::new(7, "default").hex(24)
        );
    }

    /// Ids stay what they were when the generator was rand's `StdRng`.
    #[test]
    fn same_stream_as_std_rng() {
        use rand::rngs::StdRng;
        for alphabet in [BASE58, ALPHANUMERIC, HEX] {
            let mut std = StdRng::seed_from_u64(7 ^ fnv1a(b"default"));
            let expected: String = (0..100_000)
                .map(|_| alphabet[std.random_range(0..alphabet.len())] as char)
                .collect();
            let mut ids = IdGen::new(7, "default");
            assert_eq!(ids.pick(alphabet, 100_000), expected);
        }
    }

    /// A saved generator goes on where it was, not from the start.
    #[test]
    fn serialized_state_resumes_the_stream() {
        let mut ids = IdGen::new(3, "ns");
        ids.hex(10);
        let saved = serde_json::to_string(&ids).expect("serialize");
        let mut restored: IdGen = serde_json::from_str(&saved).expect("deserialize");
        assert_eq!(restored.uuid(), ids.uuid());
    }

    #[test]
    fn request_ids_are_seeded_and_distinct_and_an_unrepeated_stream_is_another() {
        let a = RequestIds::new(7, "default");
        let first: Vec<String> = (0..1000).map(|_| a.next("req_")).collect();
        let unique: std::collections::HashSet<&String> = first.iter().collect();
        assert_eq!(unique.len(), 1000);
        assert!(
            first
                .iter()
                .all(|id| id.len() == 28 && id[4..].bytes().all(|c| BASE58.contains(&c)))
        );
        let b = RequestIds::new(7, "default");
        assert_eq!(b.next("req_"), first[0]);
        // What they have always been (a state file's count resumes this stream).
        assert_eq!(
            first[..2],
            [
                "req_Gz9HsgVD53sNhkSXc6K3ee4p",
                "req_Qrrd4fPrwc9WisNDyBreCpEg"
            ]
        );
        assert_ne!(RequestIds::new(7, "other").next("req_"), first[0]);
        assert_ne!(RequestIds::new(8, "default").next("req_"), first[0]);
        let again = RequestIds::unrepeated(7, "default");
        let later: std::collections::HashSet<String> =
            (0..1000).map(|_| again.next("req_")).collect();
        assert!(first.iter().all(|id| !later.contains(id)));
    }

    #[test]
    fn shapes() {
        let mut ids = IdGen::new(1, "x");
        let inq = ids.persona("inq_");
        assert_eq!(inq.len(), 28);
        assert!(inq[4..].bytes().all(|c| BASE58.contains(&c)));
        let oid = ids.hex(24);
        assert!(oid.len() == 24 && oid.bytes().all(|c| c.is_ascii_hexdigit()));
        let uuid = ids.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }
}
