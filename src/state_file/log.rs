//! The state log (`PATH.log`) of `--state-sync always`: an append-only file of whole namespaces.
//!
//! The first line is `{"state_log":1,"generation":G}`. Each further line is one record:
//! `NAME<TAB>CHECKSUM<TAB>WORLD`, where WORLD is the namespace's [`World`] as compact JSON (no raw
//! newline can occur in it), or `null` for a namespace deleted, and CHECKSUM its FNV-1a 64 in 16
//! hex digits. A record holds the whole namespace, so replay needs no order but the file's: the
//! last record of a namespace wins.
//!
//! Records are appended and synced before the requests they cover are answered. A crash can
//! leave only the last, unanswered write incomplete (cut short, or with pages of it missing), so
//! replay stops at the first record that is incomplete or fails its checksum and ignores the
//! rest. The state file notes the newest generation folded into it; a log of that generation or
//! older (a crash between writing the state file and starting the next log) is ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::store::World;

/// The log format written; another one is refused rather than misread.
const LOG_VERSION: u32 = 1;

/// `PATH.log`, next to the state file.
pub fn log_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".log");
    PathBuf::from(name)
}

/// FNV-1a, 64 bits: fixed forever (a checksum must not change with the Rust version) and cheap.
/// It catches torn writes, not tampering.
pub fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The WORLD of a deleted namespace's record: replay forgets the namespace.
const DELETED: &[u8] = b"null";

/// Appends one record for namespace `name` to `out`, serializing `world` into it; returns the
/// world's checksum.
pub fn append_record(out: &mut Vec<u8>, name: &str, world: &World) -> serde_json::Result<u64> {
    append(out, name, |out| serde_json::to_writer(out, world))
}

/// Appends the record of namespace `name`'s deletion to `out`.
pub fn append_deletion(out: &mut Vec<u8>, name: &str) {
    let _ = append(out, name, |out| {
        out.extend_from_slice(DELETED);
        Ok(())
    });
}

fn append(
    out: &mut Vec<u8>,
    name: &str,
    world: impl FnOnce(&mut Vec<u8>) -> serde_json::Result<()>,
) -> serde_json::Result<u64> {
    out.extend_from_slice(name.as_bytes());
    out.push(b'\t');
    let sum_at = out.len();
    out.extend_from_slice(&[b'0'; 16]);
    out.push(b'\t');
    let json_at = out.len();
    world(out)?;
    let sum = checksum(&out[json_at..]);
    out[sum_at..sum_at + 16].copy_from_slice(format!("{sum:016x}").as_bytes());
    out.push(b'\n');
    Ok(sum)
}

/// Starts an empty log of `generation` at `path` (replacing any), synced, its folder too.
pub fn create(path: &Path, generation: u64) -> std::io::Result<File> {
    let mut file = File::create(path)?;
    writeln!(
        file,
        "{{\"state_log\":{LOG_VERSION},\"generation\":{generation}}}"
    )?;
    file.sync_all()?;
    super::sync_folder(path)?;
    Ok(file)
}

/// What a log holds.
pub struct Replayed {
    pub generation: u64,
    /// The last complete record of each namespace.
    pub worlds: BTreeMap<String, World>,
    /// The namespaces whose last record is their deletion.
    pub deleted: BTreeSet<String>,
    /// Complete records read (all namespaces, superseded ones included).
    pub records: usize,
    /// Bytes after the last complete record (a write cut short by a crash), ignored.
    pub ignored_bytes: usize,
}

/// Reads the log at `path`: `None` when there is none. A log whose first line is incomplete is
/// one a crash interrupted as it was started: it holds nothing (generation 0).
pub fn read(path: &Path) -> Result<Option<Replayed>, String> {
    let problem = |what: String| format!("cannot load the state log {}: {what}", path.display());
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(problem(e.to_string())),
    };
    let mut replayed = Replayed {
        generation: 0,
        worlds: BTreeMap::new(),
        deleted: BTreeSet::new(),
        records: 0,
        ignored_bytes: 0,
    };
    let Some(header_end) = bytes.iter().position(|b| *b == b'\n') else {
        replayed.ignored_bytes = bytes.len();
        return Ok(Some(replayed));
    };
    #[derive(Deserialize)]
    struct Header {
        state_log: u32,
        generation: u64,
    }
    let header: Header = match serde_json::from_slice(&bytes[..header_end]) {
        Ok(header) => header,
        Err(_) => {
            replayed.ignored_bytes = bytes.len();
            return Ok(Some(replayed));
        }
    };
    if header.state_log != LOG_VERSION {
        return Err(problem(format!(
            "log version {} is not supported (this sandbox reads version {LOG_VERSION})",
            header.state_log
        )));
    }
    replayed.generation = header.generation;

    // First the last intact record of each namespace, then only those are parsed.
    let mut last: BTreeMap<&str, &[u8]> = BTreeMap::new();
    let mut at = header_end + 1;
    while at < bytes.len() {
        let Some(record) = intact_record(&bytes[at..]) else {
            replayed.ignored_bytes = bytes.len() - at;
            break;
        };
        last.insert(record.name, record.world);
        replayed.records += 1;
        at += record.len;
    }
    for (name, json) in last {
        if json == DELETED {
            replayed.deleted.insert(name.to_string());
            continue;
        }
        let world: World = serde_json::from_slice(json)
            .map_err(|e| problem(format!("the record of namespace {name} is invalid ({e})")))?;
        replayed.worlds.insert(name.to_string(), world);
    }
    Ok(Some(replayed))
}

struct Record<'a> {
    name: &'a str,
    world: &'a [u8],
    /// Bytes taken, the newline included.
    len: usize,
}

/// The record at the start of `bytes` if it is whole: newline-terminated, well-formed, and its
/// world matches its checksum.
fn intact_record(bytes: &[u8]) -> Option<Record<'_>> {
    let end = bytes.iter().position(|b| *b == b'\n')?;
    let line = &bytes[..end];
    let mut parts = line.splitn(3, |b| *b == b'\t');
    let name = std::str::from_utf8(parts.next()?).ok()?;
    let sum = std::str::from_utf8(parts.next()?).ok()?;
    let world = parts.next()?;
    let sum = u64::from_str_radix(sum, 16).ok()?;
    (!name.is_empty() && checksum(world) == sum).then_some(Record {
        name,
        world,
        len: end + 1,
    })
}

#[cfg(test)]
mod tests {
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

    fn world_with_offset(store: &Store, name: &str, offset_ms: i64) -> Vec<u8> {
        let ns = store.namespace(name);
        let mut world = ns.lock();
        let by = offset_ms - world.clock.offset_ms();
        world.clock.advance(by);
        let mut out = Vec::new();
        append_record(&mut out, name, &world).expect("serialize");
        out
    }

    #[test]
    fn the_last_intact_record_of_each_namespace_wins_and_a_torn_tail_is_ignored() {
        let store = Store::new(Arc::new(Config::default()), None, Box::new(|_| {}));
        let path = temp_path("torn");
        drop(create(&path, 3).expect("create"));
        let mut bytes = std::fs::read(&path).expect("read");
        bytes.extend(world_with_offset(&store, "a", 1_000));
        bytes.extend(world_with_offset(&store, "b", 2_000));
        bytes.extend(world_with_offset(&store, "a", 3_000));
        let intact = bytes.len();
        // A last write cut short, and one whose middle never reached the disk.
        let torn = world_with_offset(&store, "b", 4_000);
        for tail in [torn[..torn.len() / 2].to_vec(), {
            let mut holed = torn.clone();
            holed[20..60].fill(0);
            holed
        }] {
            let mut file = bytes[..intact].to_vec();
            file.extend(&tail);
            file.extend(world_with_offset(&store, "a", 5_000));
            std::fs::write(&path, &file).expect("write");
            let replayed = read(&path).expect("readable").expect("present");
            assert_eq!(replayed.generation, 3);
            assert_eq!(replayed.records, 3);
            assert_eq!(replayed.ignored_bytes, file.len() - intact);
            let offsets: Vec<(&str, i64)> = replayed
                .worlds
                .iter()
                .map(|(name, world)| (name.as_str(), world.clock.offset_ms()))
                .collect();
            assert_eq!(offsets, [("a", 3_000), ("b", 2_000)]);
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_log_interrupted_as_it_was_started_holds_nothing() {
        let path = temp_path("header");
        for text in ["", "{\"state_log\":1,\"gener", "\0\0\0\0\n"] {
            std::fs::write(&path, text).expect("write");
            let replayed = read(&path).expect("readable").expect("present");
            assert_eq!((replayed.generation, replayed.records), (0, 0));
        }
        std::fs::write(&path, "{\"state_log\":9,\"generation\":1}\n").expect("write");
        let refused = read(&path).err().expect("another version is refused");
        assert!(refused.contains("log version 9"), "{refused}");
        let _ = std::fs::remove_file(&path);
        assert!(read(&path).expect("no log").is_none());
    }
}
