//! Deterministic id generation: one seeded generator per namespace.
//!
//! A namespace's generator is seeded from the server seed *and* the namespace name, so the ids a
//! namespace hands out depend only on `--seed` and the requests sent to that namespace, not on
//! which other namespaces exist or in what order they were first used.
//!
//! The generator is ChaCha12, the algorithm behind rand 0.9's `StdRng` (same seeding, so the same
//! ids), used directly because its state serializes: the state file keeps where each namespace's
//! stream is, and ids go on after a restart without repeating.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use serde::{Deserialize, Serialize};

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
    pub fn persona(&mut self, prefix: &str) -> String {
        let mut id = String::with_capacity(prefix.len() + 24);
        id.push_str(prefix);
        self.pick_into(&mut id, BASE58, 24);
        id
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
        out.extend((0..len).map(|_| alphabet[self.rng.random_range(0..alphabet.len())] as char));
    }
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
        let mut std = StdRng::seed_from_u64(7 ^ fnv1a(b"default"));
        let expected: String = (0..24)
            .map(|_| BASE58[std.random_range(0..BASE58.len())] as char)
            .collect();
        assert_eq!(IdGen::new(7, "default").base58(24), expected);
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
