//! [`PositionIndex`]: the lookup of records kept in a `Vec` by a key each record holds (its id).
//!
//! A `ShardedMap<String, usize>` keeps a copy of every key (a heap allocation and a 24-byte
//! `String`) plus a 64-bit hash and a `usize`: about 90 bytes an entry with the allocator's
//! overhead, for a key the record already holds. This index keeps 8 bytes an entry (32 bits of
//! the key's hash and the position) and reads the key from the records when it must compare:
//! every call takes `key_at`, which gives the key of the record at a position. It is sharded as
//! `ShardedMap` is (one table, then [`SHARDS`](super::sharded_map::SHARDS) once past
//! [`SPLIT_AT`](super::sharded_map::SPLIT_AT)), and a table grows from the
//! kept hash bits alone, never reading the records.

use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;

use super::KeyedHash;
use super::sharded_map::make_room;

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// The high 32 bits of the key's hash: the shard is chosen by its top bits, the table's
    /// bucket and tag by a mix of all of them ([`table_hash`]).
    hash: u32,
    position: u32,
}

/// The hash a table files a slot under, from the kept bits only (so growing needs no key).
/// The multiplication carries every bit into the top seven that hashbrown keeps as tags; the low
/// bits (the bucket) come from the kept bits below the shard bits, which vary within a shard.
fn table_hash(kept: u32) -> u64 {
    u64::from(kept).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Positions (below 2^32) of records in a `Vec`, by their key, hashed by `S`.
#[derive(Clone, Debug)]
pub struct PositionIndex<S = KeyedHash> {
    hasher: S,
    /// None while empty, one table while small, `SHARDS` after the split.
    shards: Vec<HashTable<Slot>>,
    len: usize,
}

impl<S: Default> Default for PositionIndex<S> {
    fn default() -> Self {
        Self {
            hasher: S::default(),
            shards: Vec::new(),
            len: 0,
        }
    }
}

impl<S: BuildHasher> PositionIndex<S> {
    pub fn clear(&mut self) {
        self.shards = Vec::new();
        self.len = 0;
    }

    /// The kept hash bits of `key`.
    fn kept<K: Hash>(&self, key: &K) -> u32 {
        (self.hasher.hash_one(key) >> 32) as u32
    }

    /// The table of a slot with kept bits `kept` (the map has at least one).
    fn shard(&self, kept: u32) -> usize {
        (kept >> 24) as usize & (self.shards.len() - 1)
    }

    /// The position of the record whose key is `key`.
    pub fn get<K: Hash + Eq>(&self, key: K, key_at: impl Fn(usize) -> K) -> Option<usize> {
        if self.shards.is_empty() {
            return None;
        }
        let kept = self.kept(&key);
        let table = &self.shards[self.shard(kept)];
        let found = table.find(table_hash(kept), |s| {
            s.hash == kept && key_at(s.position as usize) == key
        });
        found.map(|s| s.position as usize)
    }

    /// Files `position` under `key` (the key of the record there, now or once it is pushed);
    /// the position filed under an equal key before, replaced.
    pub fn insert<K: Hash + Eq>(
        &mut self,
        key: K,
        position: usize,
        key_at: impl Fn(usize) -> K,
    ) -> Option<usize> {
        let position = u32::try_from(position).expect("fewer than 2^32 records");
        let kept = self.kept(&key);
        let shard = self.make_room(kept);
        let table = &mut self.shards[shard];
        let eq = |s: &Slot| s.hash == kept && key_at(s.position as usize) == key;
        if let Some(slot) = table.find_mut(table_hash(kept), eq) {
            return Some(std::mem::replace(&mut slot.position, position) as usize);
        }
        let slot = Slot {
            hash: kept,
            position,
        };
        table.insert_unique(table_hash(kept), slot, |s| table_hash(s.hash));
        self.len += 1;
        None
    }

    /// Files `position` under `key` beside any position already filed under an equal key (an
    /// index of keys several records share, read with [`PositionIndex::get_all`]). Reads no
    /// record.
    pub fn insert_another<K: Hash>(&mut self, key: K, position: usize) {
        let position = u32::try_from(position).expect("fewer than 2^32 records");
        let kept = self.kept(&key);
        let shard = self.make_room(kept);
        let slot = Slot {
            hash: kept,
            position,
        };
        self.shards[shard].insert_unique(table_hash(kept), slot, |s| table_hash(s.hash));
        self.len += 1;
    }

    /// Every position filed under `key` whose record has `key` now, in no particular order.
    pub fn get_all<K: Hash + Eq>(
        &self,
        key: K,
        key_at: impl Fn(usize) -> K,
    ) -> impl Iterator<Item = usize> {
        let kept = self.kept(&key);
        let table = (!self.shards.is_empty()).then(|| &self.shards[self.shard(kept)]);
        (table.into_iter())
            .flat_map(move |t| t.iter_hash(table_hash(kept)))
            .filter(move |s| s.hash == kept && key_at(s.position as usize) == key)
            .map(|s| s.position as usize)
    }

    /// Forgets `key`; the position it had.
    pub fn remove<K: Hash + Eq>(&mut self, key: K, key_at: impl Fn(usize) -> K) -> Option<usize> {
        if self.shards.is_empty() {
            return None;
        }
        let kept = self.kept(&key);
        let shard = self.shard(kept);
        let found = self.shards[shard].find_entry(table_hash(kept), |s| {
            s.hash == kept && key_at(s.position as usize) == key
        });
        let (slot, _) = found.ok()?.remove();
        self.len -= 1;
        Some(slot.position as usize)
    }

    /// The record with `key` moved from `from` to `to` (records after a removed one move down):
    /// its slot follows. False if `key` was not filed at `from`. Reads no record.
    pub fn moved<K: Hash>(&mut self, key: K, from: usize, to: usize) -> bool {
        let (Ok(from), Ok(to)) = (u32::try_from(from), u32::try_from(to)) else {
            return false;
        };
        if self.shards.is_empty() {
            return false;
        }
        let kept = self.kept(&key);
        let shard = self.shard(kept);
        let found =
            self.shards[shard].find_mut(table_hash(kept), |s| s.hash == kept && s.position == from);
        found.map(|s| s.position = to).is_some()
    }

    /// Every position filed under `key`'s kept hash bits, without reading a record: the caller
    /// checks each (an index whose positions are not record positions, such as partner numbers).
    pub fn filed<K: Hash>(&self, key: K) -> impl Iterator<Item = usize> {
        let kept = self.kept(&key);
        let table = (!self.shards.is_empty()).then(|| &self.shards[self.shard(kept)]);
        (table.into_iter())
            .flat_map(move |t| t.iter_hash(table_hash(kept)))
            .filter(move |s| s.hash == kept)
            .map(|s| s.position as usize)
    }

    /// Forgets one slot filed under `key` at `position`, reading no record (the record may
    /// already hold another key, or be gone). False if there was none.
    pub fn remove_filed<K: Hash>(&mut self, key: K, position: usize) -> bool {
        let Ok(position) = u32::try_from(position) else {
            return false;
        };
        if self.shards.is_empty() {
            return false;
        }
        let kept = self.kept(&key);
        let shard = self.shard(kept);
        let found = self.shards[shard].find_entry(table_hash(kept), |s| {
            s.hash == kept && s.position == position
        });
        let Ok(entry) = found else {
            return false;
        };
        entry.remove();
        self.len -= 1;
        true
    }

    /// Makes room for one more slot (see [`make_room`]): the table a slot kept as `kept` goes in.
    fn make_room(&mut self, kept: u32) -> usize {
        make_room(
            &mut self.shards,
            self.len,
            |s| (s.hash >> 24) as usize,
            |s| table_hash(s.hash),
        );
        self.shard(kept)
    }
}

/// An email as a key compared and hashed as its lowercase form (`str::to_lowercase`) without
/// making that form: one email is one user whatever its case, and the index keeps no copy.
#[derive(Clone, Copy, Debug)]
pub struct Lowercase<'a>(pub &'a str);

impl Lowercase<'_> {
    /// Calls `f` with the lowercase form's bytes, whole: on the stack for a short ASCII email
    /// (every email the API accepts), through `to_lowercase` otherwise (a longer seeded one;
    /// Unicode lowercasing has its own rules, final sigma, letters that lowercase to ASCII).
    fn with_lowercase<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        let mut buffer = [0u8; 256];
        match buffer.get_mut(..self.0.len()) {
            Some(copy) if self.0.is_ascii() => {
                copy.copy_from_slice(self.0.as_bytes());
                copy.make_ascii_lowercase();
                f(copy)
            }
            _ => f(self.0.to_lowercase().as_bytes()),
        }
    }
}

impl Hash for Lowercase<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // As `str` hashes: the bytes in one write, then a terminator.
        self.with_lowercase(|bytes| state.write(bytes));
        state.write_u8(0xff);
    }
}

impl PartialEq for Lowercase<'_> {
    fn eq(&self, other: &Self) -> bool {
        if self.0.is_ascii() && other.0.is_ascii() {
            return self.0.eq_ignore_ascii_case(other.0);
        }
        self.0.to_lowercase() == other.0.to_lowercase()
    }
}

impl Eq for Lowercase<'_> {}

#[cfg(test)]
#[path = "position_index_tests.rs"]
mod tests;
