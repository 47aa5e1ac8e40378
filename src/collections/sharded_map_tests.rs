use std::collections::{HashMap, HashSet};

use super::*;

type Fold = foldhash::fast::RandomState;

fn key(i: usize) -> String {
    format!("bench-rain-user-{i:015}")
}

/// The same operations on a `ShardedMap` and a `HashMap` give the same answers, through the split.
#[test]
fn behaves_like_a_hash_map() {
    let mut map: ShardedMap<String, usize> = ShardedMap::default();
    let mut std: HashMap<String, usize> = HashMap::new();
    assert!(map.get("x").is_none() && map.remove("x").is_none() && map.is_empty());
    for i in 0..3 * SPLIT_AT {
        assert_eq!(map.insert(key(i), i), std.insert(key(i), i));
        if i % 7 == 0 {
            // Replacing keeps the count and answers the old value.
            assert_eq!(map.insert(key(i / 2), i), std.insert(key(i / 2), i));
        }
        if i % 5 == 0 {
            assert_eq!(map.remove(&key(i / 3)), std.remove(&key(i / 3)));
        }
        assert_eq!(map.len(), std.len());
    }
    assert_eq!(map.shards.len(), SHARDS, "split past SPLIT_AT");
    for i in 0..3 * SPLIT_AT + 10 {
        assert_eq!(map.get(key(i).as_str()), std.get(&key(i)));
        assert_eq!(map.contains_key(key(i).as_str()), std.contains_key(&key(i)));
    }
    // key(1) may have gone with the removals above.
    assert_eq!(map.insert(key(1), 0), std.insert(key(1), 0));
    if let Some(v) = map.get_mut(key(1).as_str()) {
        *v = 99;
    }
    assert_eq!(map.get(&key(1)), Some(&99));
    *map.get_or_insert_with(key(1), || 5) += 1;
    assert_eq!(map.get(&key(1)), Some(&100));
    assert_eq!(*map.get_or_insert_with("new".into(), || 5), 5);
    let mut pairs: Vec<(String, usize)> = map.iter().map(|(k, v)| (k.clone(), *v)).collect();
    pairs.sort();
    std.insert(key(1), 100);
    std.insert("new".into(), 5);
    let mut expected: Vec<(String, usize)> = std.into_iter().collect();
    expected.sort();
    assert_eq!(pairs, expected);
    map.clear();
    assert!(map.is_empty() && map.get(&key(1)).is_none() && map.iter().next().is_none());
}

/// The insert that splits the map, and `get_or_insert_with` at that moment, keep every entry.
#[test]
fn the_split_keeps_every_entry() {
    let mut map: ShardedMap<String, Vec<usize>, Fold> = ShardedMap::default();
    for i in 0..SPLIT_AT - 1 {
        map.get_or_insert_with(key(i), Vec::new).push(i);
    }
    assert_eq!(map.shards.len(), 1);
    map.get_or_insert_with(key(SPLIT_AT), Vec::new).push(7);
    assert_eq!(map.shards.len(), SHARDS);
    assert_eq!(map.len(), SPLIT_AT);
    assert_eq!(map.get(&key(SPLIT_AT)), Some(&vec![7]));
    assert!((0..SPLIT_AT - 1).all(|i| map.get(&key(i)) == Some(&vec![i])));
}

/// Keys spread evenly over the shards with both hashers (the shard bits are well mixed).
#[test]
fn shards_are_even() {
    fn spread<S: BuildHasher + Default>() -> (usize, usize) {
        let mut map: ShardedMap<String, (), S> = ShardedMap::default();
        for i in 0..200_000 {
            map.insert(key(i), ());
        }
        let sizes: Vec<usize> = map.shards.iter().map(HashTable::len).collect();
        (
            sizes.iter().copied().min().unwrap_or(0),
            sizes.iter().copied().max().unwrap_or(0),
        )
    }
    let mean = 200_000 / SHARDS;
    for (min, max) in [spread::<std::hash::RandomState>(), spread::<Fold>()] {
        assert!(
            min > mean * 3 / 4 && max < mean * 5 / 4,
            "{min}..{max}, mean {mean}"
        );
    }
}

/// serde writes what `HashMap` and `HashSet` write, and reads it back.
#[test]
fn serde_round_trip_matches_std() {
    let mut map: ShardedMap<String, i64> = ShardedMap::default();
    let mut std: HashMap<String, i64> = HashMap::new();
    for i in 0..SPLIT_AT + 3 {
        map.insert(key(i), i as i64);
        std.insert(key(i), i as i64);
    }
    let json = serde_json::to_string(&map).expect("serialize");
    let as_std: HashMap<String, i64> = serde_json::from_str(&json).expect("std reads it");
    assert_eq!(as_std, std);
    let std_json = serde_json::to_string(&std).expect("serialize std");
    let back: ShardedMap<String, i64> = serde_json::from_str(&std_json).expect("reads std's");
    assert_eq!(back.len(), std.len());
    assert!(std.iter().all(|(k, v)| back.get(k) == Some(v)));
    let empty: ShardedMap<String, i64> = serde_json::from_str("{}").expect("empty");
    assert!(empty.is_empty());

    let set: ShardedSet<String, Fold> = ["a@x.com", "b@x.com"]
        .map(String::from)
        .into_iter()
        .collect();
    let json = serde_json::to_string(&set).expect("serialize set");
    let as_std: HashSet<String> = serde_json::from_str(&json).expect("std reads the set");
    assert_eq!(as_std, HashSet::from(["a@x.com".into(), "b@x.com".into()]));
    let back: ShardedSet<String> = serde_json::from_str(r#"["a@x.com","c@x.com"]"#).expect("reads");
    assert!(back.contains("a@x.com") && back.contains("c@x.com") && !back.contains("b@x.com"));
}

#[test]
fn set_operations() {
    let mut set: ShardedSet<String> = ShardedSet::default();
    assert!(set.insert("a".into()));
    assert!(!set.insert("a".into()));
    assert!(set.contains("a") && set.len() == 1);
    assert!(set.remove("a") && !set.remove("a") && set.is_empty());
}
