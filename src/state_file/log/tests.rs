use std::sync::Arc;

use super::*;
use crate::config::Config;
use crate::store::Store;

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "vendor-sandbox-log-{}-{name}.log",
        std::process::id()
    ))
}

/// Write `commit` of log `generation`: each namespace named with its clock moved to the
/// offset given.
fn write(store: &Store, generation: u64, commit: u64, records: &[(&str, i64)]) -> Vec<u8> {
    let mut batch = Batch::new(generation, commit);
    for (name, offset_ms) in records {
        let ns = store.namespace(name);
        let mut world = ns.lock();
        let by = offset_ms - world.clock.offset_ms();
        world.clock.advance(by);
        batch.push_world(name, &world).expect("serialize");
    }
    batch.finish()
}

fn offsets(replayed: &Replayed) -> Vec<(&str, i64)> {
    replayed
        .worlds
        .iter()
        .map(|(name, world)| (name.as_str(), world.clock.offset_ms()))
        .collect()
}

#[test]
fn the_last_intact_record_of_each_namespace_wins_and_a_torn_last_write_is_ignored() {
    let store = Store::new(Arc::new(Config::default()), None, Box::new(|_| {}));
    let path = temp_path("torn");
    drop(create(&path, 3).expect("create"));
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.extend(write(&store, 3, 1, &[("a", 1_000)]));
    bytes.extend(write(&store, 3, 2, &[("b", 2_000), ("a", 3_000)]));
    let intact = bytes.len();
    // The last write, cut short, or with its middle never on the disk: a later part of
    // the same write may have reached it.
    let last = write(&store, 3, 3, &[("b", 4_000), ("a", 5_000)]);
    let first_len = last.iter().position(|b| *b == b'\n').expect("line") + 1;
    for tail in [last[..first_len / 2].to_vec(), {
        let mut holed = last.clone();
        holed[20..60].fill(0);
        holed
    }] {
        let mut file = bytes[..intact].to_vec();
        file.extend(&tail);
        std::fs::write(&path, &file).expect("write");
        let replayed = read(&path, None).expect("readable").expect("present");
        assert_eq!(replayed.generation, 3);
        assert_eq!(replayed.records, 3);
        assert_eq!(replayed.ignored_bytes, file.len() - intact);
        assert_eq!(offsets(&replayed), [("a", 3_000), ("b", 2_000)]);
    }
    let _ = std::fs::remove_file(&path);
}

/// Damage to a record that a later write follows is not a crash's (that write waited for
/// the record's sync, and its requests were answered): the log is refused, not cut there.
#[test]
fn a_damaged_record_before_a_later_write_is_refused() {
    let store = Store::new(Arc::new(Config::default()), None, Box::new(|_| {}));
    let path = temp_path("damaged");
    drop(create(&path, 1).expect("create"));
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.extend(write(&store, 1, 1, &[("a", 1_000)]));
    let damaged_at = bytes.len();
    let second = write(&store, 1, 2, &[("b", 2_000), ("c", 3_000)]);
    let second_line = second.iter().position(|b| *b == b'\n').expect("line") + 1;
    // Its first record, then its last: either way write 3 follows intact.
    for line_start in [0, second_line] {
        let mut file = bytes.clone();
        let mut damaged = second.clone();
        damaged[line_start + 30] ^= 1;
        file.extend(&damaged);
        file.extend(write(&store, 1, 3, &[("a", 4_000)]));
        std::fs::write(&path, &file).expect("write");
        let refused = read(&path, None).err().expect("refused");
        let at = damaged_at + line_start;
        assert!(
            refused.contains(&format!("record at byte {at} is damaged"))
                && refused.contains("write 3"),
            "{refused}"
        );
    }
    // A record of an earlier log at the same path (bytes the disk still had) is not this
    // log's: after a torn last write it is ignored with the rest.
    let mut file = bytes.clone();
    file.extend(&second[..second_line / 2]);
    file.extend(write(&store, 0, 3, &[("a", 4_000)]));
    std::fs::write(&path, &file).expect("write");
    let replayed = read(&path, None)
        .expect("a tear, not damage")
        .expect("present");
    assert_eq!(replayed.ignored_bytes, file.len() - bytes.len());
    let _ = std::fs::remove_file(&path);
}

/// A log written before the records said their write (version 1) is still read.
#[test]
fn a_version_1_log_is_read() {
    let store = Store::new(Arc::new(Config::default()), None, Box::new(|_| {}));
    let path = temp_path("v1");
    let world = serde_json::to_vec(&*store.namespace("a").lock()).expect("json");
    let mut file = b"{\"state_log\":1,\"generation\":4}\n".to_vec();
    file.extend(format!("a\t{:016x}\t", checksum(&world)).as_bytes());
    file.extend(&world);
    file.extend(b"\nb\t0000\ttorn");
    std::fs::write(&path, &file).expect("write");
    let replayed = read(&path, None).expect("readable").expect("present");
    assert_eq!((replayed.generation, replayed.records), (4, 1));
    assert_eq!(offsets(&replayed), [("a", 0)]);
    assert_eq!(replayed.ignored_bytes, "b\t0000\ttorn".len());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_log_interrupted_as_it_was_started_holds_nothing() {
    let path = temp_path("header");
    for text in ["", "{\"state_log\":1,\"gener", "\0\0\0\0\n"] {
        std::fs::write(&path, text).expect("write");
        let replayed = read(&path, None).expect("readable").expect("present");
        assert_eq!((replayed.generation, replayed.records), (0, 0));
    }
    std::fs::write(&path, "{\"state_log\":9,\"generation\":1}\n").expect("write");
    let refused = read(&path, None).err().expect("another version is refused");
    assert!(refused.contains("log version 9"), "{refused}");
    let _ = std::fs::remove_file(&path);
    assert!(read(&path, None).expect("no log").is_none());
}

/// A write whose last record never reached the disk was not answered: its intact records are
/// ignored with the rest, whether the file ends after them or inside its last record.
#[test]
fn the_records_of_a_write_without_its_last_record_are_ignored() {
    let store = Store::new(Arc::new(Config::default()), None, Box::new(|_| {}));
    let path = temp_path("unfinished");
    drop(create(&path, 2).expect("create"));
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.extend(write(&store, 2, 1, &[("a", 1_000)]));
    let complete = bytes.len();
    let unfinished = write(&store, 2, 2, &[("b", 2_000), ("a", 3_000)]);
    let first_len = unfinished.iter().position(|b| *b == b'\n').expect("line") + 1;
    for cut in [first_len, first_len + (unfinished.len() - first_len) / 2] {
        let mut file = bytes.clone();
        file.extend(&unfinished[..cut]);
        std::fs::write(&path, &file).expect("write");
        let replayed = read(&path, None).expect("readable").expect("present");
        assert_eq!(offsets(&replayed), [("a", 1_000)], "cut at {cut}");
        assert_eq!(replayed.records, 1);
        assert_eq!(replayed.ignored_bytes, file.len() - complete);
    }
    let _ = std::fs::remove_file(&path);
}

/// A write missing whole before a later one (or missing its last record) is not a crash's: the
/// later write waited for it, and was answered. The log is refused, naming where.
#[test]
fn a_write_missing_before_a_later_one_is_refused() {
    let store = Store::new(Arc::new(Config::default()), None, Box::new(|_| {}));
    let path = temp_path("missing");
    drop(create(&path, 1).expect("create"));
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.extend(write(&store, 1, 1, &[("a", 1_000)]));
    let kept = bytes.len();
    let second = write(&store, 1, 2, &[("b", 2_000), ("c", 3_000)]);
    let second_line = second.iter().position(|b| *b == b'\n').expect("line") + 1;
    // Write 2 whole, then only its first record: write 3 follows either way.
    for missing in [&second[..0], &second[..second_line]] {
        let mut file = bytes.clone();
        file.extend(missing);
        let at = file.len();
        file.extend(write(&store, 1, 3, &[("a", 4_000)]));
        std::fs::write(&path, &file).expect("write");
        let refused = read(&path, None).err().expect("refused");
        assert!(
            refused.contains(&format!("record at byte {at} is of write 3"))
                && refused.contains("write 2 is missing")
                && refused.contains(&format!("truncate the log to {kept} bytes")),
            "{refused}"
        );
    }
    let _ = std::fs::remove_file(&path);
}
