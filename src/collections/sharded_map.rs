//! [`ShardedMap`]: a hash map that never rehashes more than a small part of itself at once.
//!
//! Up to [`SPLIT_AT`] entries it is one table; then it splits once into [`SHARDS`] tables chosen
//! by bits of the key's hash, so a growing table holds about 1/256 of the entries and its
//! doubling is short. Each entry keeps its hash, so a doubling never reads the keys (a cache
//! miss per string otherwise). Small maps (most namespaces' are) stay one table, or none while
//! empty, so an idle namespace costs what it did with `HashMap`.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::KeyedHash;

/// Tables of a split map (a power of two).
pub(super) const SHARDS: usize = 256;

/// Entries at which the one table splits into [`SHARDS`] (one pass over this many, once).
pub(super) const SPLIT_AT: usize = 2048;

/// Makes room in `shards` (holding `len` entries) for one more: a first table while there is
/// none, or the one split into [`SHARDS`] once `len + 1` reaches [`SPLIT_AT`], each entry moved
/// to the table its `shard_bits` pick (masked) and filed under its `hash` there. Both
/// `ShardedMap` and `PositionIndex` grow this way.
pub(super) fn make_room<T>(
    shards: &mut Vec<HashTable<T>>,
    len: usize,
    shard_bits: impl Fn(&T) -> usize,
    hash: impl Fn(&T) -> u64,
) {
    if shards.is_empty() {
        shards.push(HashTable::new());
    } else if shards.len() == 1 && len + 1 >= SPLIT_AT {
        let whole = std::mem::take(shards);
        *shards = (0..SHARDS)
            .map(|_| HashTable::with_capacity(SPLIT_AT / SHARDS))
            .collect();
        for entry in whole.into_iter().flatten() {
            let shard = shard_bits(&entry) & (SHARDS - 1);
            shards[shard].insert_unique(hash(&entry), entry, &hash);
        }
    }
}

/// Where the shard bits sit in the hash: above the bits a table of fewer than 2^40 buckets
/// indexes with, below the top seven hashbrown keeps as tags, so neither is skewed in a shard.
const SHARD_SHIFT: u32 = 40;

#[derive(Clone)]
struct Slot<K, V> {
    hash: u64,
    key: K,
    value: V,
}

/// A hash map with `HashMap`'s lookups (by a borrowed key) and no long stall while it grows.
/// Iteration order is unspecified, as with `HashMap`; serde reads and writes it as a map.
#[derive(Clone)]
pub struct ShardedMap<K, V, S = KeyedHash> {
    hasher: S,
    /// None while empty, one table while small, [`SHARDS`] after the split.
    shards: Vec<HashTable<Slot<K, V>>>,
    len: usize,
}

impl<K, V, S: Default> Default for ShardedMap<K, V, S> {
    fn default() -> Self {
        Self {
            hasher: S::default(),
            shards: Vec::new(),
            len: 0,
        }
    }
}

impl<K, V, S> ShardedMap<K, V, S> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.shards = Vec::new();
        self.len = 0;
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        (self.shards.iter().flat_map(HashTable::iter)).map(|s| (&s.key, &s.value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// The table `hash` belongs in; the map has at least one.
    fn shard(&self, hash: u64) -> usize {
        (hash >> SHARD_SHIFT) as usize & (self.shards.len() - 1)
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> ShardedMap<K, V, S> {
    /// Where `key` would be: its table and its hash (`None` while the map has no table).
    fn locate<Q>(&self, key: &Q) -> Option<(usize, u64)>
    where
        Q: Hash + ?Sized,
    {
        if self.shards.is_empty() {
            return None;
        }
        let hash = self.hasher.hash_one(key);
        Some((self.shard(hash), hash))
    }

    fn find<Q>(&self, key: &Q) -> Option<&Slot<K, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (shard, hash) = self.locate(key)?;
        self.shards[shard].find(hash, |s| s.hash == hash && s.key.borrow() == key)
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key).map(|s| &s.value)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key).is_some()
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (shard, hash) = self.locate(key)?;
        self.shards[shard]
            .find_mut(hash, |s| s.hash == hash && s.key.borrow() == key)
            .map(|s| &mut s.value)
    }

    /// Hashes `key` and makes room for one more entry (a first table, or the split once the
    /// map is big enough): its table and its hash.
    fn prepare(&mut self, key: &K) -> (usize, u64) {
        let hash = self.hasher.hash_one(key);
        make_room(
            &mut self.shards,
            self.len,
            |s| (s.hash >> SHARD_SHIFT) as usize,
            |s| s.hash,
        );
        (self.shard(hash), hash)
    }

    /// Like `HashMap::insert`: the value that was there, and the key kept as it was.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let (shard, hash) = self.prepare(&key);
        match self.shards[shard].entry(hash, |s| s.hash == hash && s.key == key, |s| s.hash) {
            Entry::Occupied(mut occupied) => {
                Some(std::mem::replace(&mut occupied.get_mut().value, value))
            }
            Entry::Vacant(vacant) => {
                vacant.insert(Slot { hash, key, value });
                self.len += 1;
                None
            }
        }
    }

    /// The value of `key`, inserted by `make` first if there is none (`entry().or_insert_with`).
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let (shard, hash) = self.prepare(&key);
        let len = &mut self.len;
        match self.shards[shard].entry(hash, |s| s.hash == hash && s.key == key, |s| s.hash) {
            Entry::Occupied(occupied) => &mut occupied.into_mut().value,
            Entry::Vacant(vacant) => {
                *len += 1;
                let value = make();
                &mut vacant.insert(Slot { hash, key, value }).into_mut().value
            }
        }
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (shard, hash) = self.locate(key)?;
        let found =
            self.shards[shard].find_entry(hash, |s| s.hash == hash && s.key.borrow() == key);
        let (slot, _) = found.ok()?.remove();
        self.len -= 1;
        Some(slot.value)
    }
}

impl<K: Hash + Eq, V, S: BuildHasher + Default> FromIterator<(K, V)> for ShardedMap<K, V, S> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Self::default();
        map.extend(iter);
        map
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Extend<(K, V)> for ShardedMap<K, V, S> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (key, value) in iter {
            self.insert(key, value);
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for ShardedMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Serialize, V: Serialize, S> Serialize for ShardedMap<K, V, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(Some(self.len))?;
        for (key, value) in self.iter() {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, K, V, S> Deserialize<'de> for ShardedMap<K, V, S>
where
    K: Deserialize<'de> + Hash + Eq,
    V: Deserialize<'de>,
    S: BuildHasher + Default,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V, S>(PhantomData<(K, V, S)>);
        impl<'de, K, V, S> Visitor<'de> for MapVisitor<K, V, S>
        where
            K: Deserialize<'de> + Hash + Eq,
            V: Deserialize<'de>,
            S: BuildHasher + Default,
        {
            type Value = ShardedMap<K, V, S>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = ShardedMap::default();
                while let Some((key, value)) = access.next_entry()? {
                    map.insert(key, value);
                }
                Ok(map)
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// A set on [`ShardedMap`]; serde reads and writes it as a sequence, like `HashSet`.
#[derive(Clone)]
pub struct ShardedSet<T, S = KeyedHash> {
    map: ShardedMap<T, (), S>,
}

impl<T, S: Default> Default for ShardedSet<T, S> {
    fn default() -> Self {
        Self {
            map: ShardedMap::default(),
        }
    }
}

impl<T, S> ShardedSet<T, S> {
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.map.keys()
    }
}

impl<T: Hash + Eq, S: BuildHasher> ShardedSet<T, S> {
    pub fn contains<Q>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.contains_key(value)
    }

    /// True if `value` was not there yet.
    pub fn insert(&mut self, value: T) -> bool {
        self.map.insert(value, ()).is_none()
    }

    /// True if `value` was there.
    pub fn remove<Q>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.remove(value).is_some()
    }
}

impl<T: Hash + Eq, S: BuildHasher + Default> FromIterator<T> for ShardedSet<T, S> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self {
            map: iter.into_iter().map(|v| (v, ())).collect(),
        }
    }
}

impl<T: fmt::Debug, S> fmt::Debug for ShardedSet<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: Serialize, S> Serialize for ShardedSet<T, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for value in self.iter() {
            seq.serialize_element(value)?;
        }
        seq.end()
    }
}

impl<'de, T, S> Deserialize<'de> for ShardedSet<T, S>
where
    T: Deserialize<'de> + Hash + Eq,
    S: BuildHasher + Default,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SetVisitor<T, S>(PhantomData<(T, S)>);
        impl<'de, T, S> Visitor<'de> for SetVisitor<T, S>
        where
            T: Deserialize<'de> + Hash + Eq,
            S: BuildHasher + Default,
        {
            type Value = ShardedSet<T, S>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut set = ShardedSet::default();
                while let Some(value) = access.next_element()? {
                    set.insert(value);
                }
                Ok(set)
            }
        }
        deserializer.deserialize_seq(SetVisitor(PhantomData))
    }
}

#[cfg(test)]
#[path = "sharded_map_tests.rs"]
mod tests;
