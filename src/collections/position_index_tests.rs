use std::collections::HashMap;

use super::*;
use crate::collections::sharded_map::{SHARDS, SPLIT_AT};

type Fold = foldhash::fast::RandomState;

fn key(i: usize) -> String {
    format!("bench-rain-user-{i:015}")
}

/// The same inserts, lookups and removals as a `HashMap` of positions, through the split, with
/// the keys read from a vector of records.
#[test]
fn behaves_like_a_map_of_positions() {
    let records: Vec<String> = (0..3 * SPLIT_AT).map(key).collect();
    let at = |p: usize| records[p].as_str();
    let mut index: PositionIndex<Fold> = PositionIndex::default();
    let mut std: HashMap<&str, usize> = HashMap::new();
    assert_eq!(index.get("x", at), None);
    assert_eq!(index.remove("x", at), None);
    for (position, record) in records.iter().enumerate() {
        assert_eq!(index.insert(record.as_str(), position, at), None);
        std.insert(record, position);
        if position % 5 == 0 {
            let gone = records[position / 3].as_str();
            assert_eq!(index.remove(gone, at), std.remove(gone));
        }
        assert_eq!(index.len, std.len());
    }
    assert_eq!(index.shards.len(), SHARDS, "split past SPLIT_AT");
    for record in &records {
        assert_eq!(
            index.get(record.as_str(), at),
            std.get(record.as_str()).copied()
        );
    }
    assert_eq!(index.get("bench-rain-user-x", at), None);
    // Filing a key again replaces its position.
    let first = records[1].as_str();
    let had = std.insert(first, 1);
    assert_eq!(index.insert(first, 1, at), had);
    assert_eq!(index.get(first, at), Some(1));
    // A record that moved keeps being found at its new place.
    let last = records.len() - 1;
    assert!(index.moved(records[last].as_str(), last, 7));
    assert!(
        !index.moved(records[last].as_str(), last, 8),
        "no longer there"
    );
    assert_eq!(
        index.get(records[last].as_str(), at),
        None,
        "position 7 has another key"
    );
    index.clear();
    assert!(index.len == 0 && index.get(first, at).is_none());
}

/// An index entry is a fraction of a `ShardedMap<String, usize>`'s (issue 16: memory per user).
#[test]
fn a_slot_is_eight_bytes() {
    assert_eq!(std::mem::size_of::<Slot>(), 8);
}

#[test]
fn lowercase_keys_match_whatever_the_case() {
    let emails = [
        "Jane@Example.com",
        "bob@x.io",
        "ΑΣ@x.io",
        "\u{212A}elvin@x.io",
    ];
    let at = |p: usize| Lowercase(emails[p]);
    let mut index: PositionIndex = PositionIndex::default();
    for (position, email) in emails.iter().enumerate() {
        assert_eq!(index.insert(Lowercase(email), position, at), None);
    }
    assert_eq!(index.get(Lowercase("jane@example.COM"), at), Some(0));
    assert_eq!(index.get(Lowercase("BOB@X.IO"), at), Some(1));
    // Exactly `to_lowercase`: a final sigma is `ς`, the Kelvin sign lowercases to ASCII `k`.
    assert_eq!(index.get(Lowercase("ας@x.io"), at), Some(2));
    assert_eq!(index.get(Lowercase("ασ@x.io"), at), None);
    assert_eq!(index.get(Lowercase("kelvin@X.io"), at), Some(3));
    let long = format!("{}@x.io", "A".repeat(300));
    let longs = [long.as_str()];
    let mut index: PositionIndex = PositionIndex::default();
    index.insert(Lowercase(&long), 0, |p| Lowercase(longs[p]));
    let lower = long.to_lowercase();
    assert_eq!(
        index.get(Lowercase(&lower), |p| Lowercase(longs[p])),
        Some(0)
    );
}

/// Several positions under one key, through the split: every one whose record still has the key.
#[test]
fn insert_another_keeps_every_position_of_a_key() {
    let mut records: Vec<String> = (0..2 * SPLIT_AT).map(|i| key(i % 7)).collect();
    let mut index: PositionIndex = PositionIndex::default();
    assert_eq!(index.get_all("x", |p| records[p].as_str()).count(), 0);
    for (position, record) in records.iter().enumerate() {
        index.insert_another(record.as_str(), position);
    }
    assert_eq!(index.shards.len(), SHARDS, "split past SPLIT_AT");
    let three = key(3);
    let mut found: Vec<usize> = index
        .get_all(three.as_str(), |p| records[p].as_str())
        .collect();
    found.sort_unstable();
    let expected: Vec<usize> = (0..records.len()).filter(|p| p % 7 == 3).collect();
    assert_eq!(found, expected);
    // A record whose key changed is no longer found under the old one.
    records[3] = "changed".to_string();
    let at = |p: usize| records[p].as_str();
    assert_eq!(
        index.get_all(three.as_str(), at).count(),
        expected.len() - 1
    );
    assert_eq!(
        index.get_all("changed", at).count(),
        0,
        "not filed under it"
    );
}

/// `filed` and `remove_filed` read no record: slots filed under a key whose record changed (or
/// whose positions are not record positions) are found and dropped by the key's hash alone.
#[test]
fn filed_slots_are_found_and_removed_without_records() {
    let mut index: PositionIndex<Fold> = PositionIndex::default();
    assert_eq!(index.filed("x").count(), 0);
    assert!(!index.remove_filed("x", 0));
    for i in 0..2 * SPLIT_AT {
        index.insert_another(key(i).as_str(), i % 3);
    }
    assert_eq!(index.shards.len(), SHARDS, "split past SPLIT_AT");
    let five = key(5);
    assert!(index.filed(five.as_str()).any(|p| p == 5 % 3));
    assert!(!index.remove_filed(five.as_str(), 1), "filed at 2, not 1");
    assert!(index.remove_filed(five.as_str(), 2));
    assert!(!index.filed(five.as_str()).any(|p| p == 2));
    assert_eq!(index.len, 2 * SPLIT_AT - 1);
}
