//! The state log (`PATH.log`) of `--state-sync always`: an append-only file of whole namespaces.
//!
//! The first line is `{"state_log":2,"generation":G}`. Each further line is one record:
//! `NAME<TAB>CHECKSUM<TAB>COMMIT<TAB>MORE<TAB>WORLD`, where WORLD is the namespace's [`World`] as
//! compact JSON (no raw newline can occur in it), or `null` for a namespace deleted; COMMIT
//! numbers the writes (one a sync, from 1 in each log); MORE is `+` when the same write has
//! further records, `.` on its last; and CHECKSUM, 16 hex digits of FNV-1a 64, covers the name,
//! COMMIT, MORE, the log's generation and the world's own checksum. A record holds the whole
//! namespace, so replay needs no order but the file's: the last record of a namespace wins.
//!
//! Records are appended and synced before the requests they cover are answered, one write at a
//! time. A crash can leave only the last write incomplete (cut short, or with pages of it
//! missing), and none of its requests was answered: replay ignores the first damaged record and
//! everything after it when that is all of one write. A damaged record followed by an intact one
//! of a later write was synced and answered, so the disk (or someone) changed it: the log is
//! refused rather than cut there, so no answered write is lost. Version 1 logs (no COMMIT or
//! MORE, the checksum of WORLD alone) are still read, the old way: the rest is ignored. The
//! state file notes the newest generation folded into it; a log of that generation or older (a
//! crash between writing the state file and starting the next log) is ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::store::World;

/// The log format written. Version 1 is still read; another one is refused rather than misread.
const LOG_VERSION: u32 = 2;

/// `PATH.log`, next to the state file.
pub fn log_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".log");
    PathBuf::from(name)
}

/// FNV-1a, 64 bits: fixed forever (a checksum must not change with the Rust version) and cheap.
/// It catches torn writes, not tampering.
pub fn checksum(bytes: &[u8]) -> u64 {
    fnv_on(0xcbf2_9ce4_8422_2325, bytes)
}

/// FNV-1a of `bytes` carried on from `hash` (what the bytes before them hashed to).
fn fnv_on(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The WORLD of a deleted namespace's record: replay forgets the namespace.
const DELETED: &[u8] = b"null";

/// A record's CHECKSUM: its fields, its log's generation and its world's checksum, so that a
/// damaged name or commit number is caught as a damaged world is, and a record left over from
/// an earlier log at the same path is not taken for one of this log.
fn line_checksum(generation: u64, name: &[u8], commit: u64, more: u8, world_sum: u64) -> u64 {
    [
        &generation.to_le_bytes()[..],
        &commit.to_le_bytes(),
        &[more],
        &world_sum.to_le_bytes(),
    ]
    .into_iter()
    .fold(checksum(name), fnv_on)
}

/// `value` as 16 lowercase hex digits into `out`.
fn put_hex(out: &mut [u8], value: u64) {
    for (i, digit) in out.iter_mut().take(16).enumerate() {
        *digit = b"0123456789abcdef"[((value >> (60 - 4 * i)) & 15) as usize];
    }
}

/// The records of one write to log `generation`, numbered `commit`; [`Batch::finish`] gives
/// the bytes.
pub struct Batch {
    generation: u64,
    commit: u64,
    bytes: Vec<u8>,
    records: Vec<Placed>,
}

/// Where a record of a [`Batch`] lies, to mark it the write's last.
struct Placed {
    start: usize,
    name_len: usize,
    more_at: usize,
    world_sum: u64,
}

impl Batch {
    pub fn new(generation: u64, commit: u64) -> Self {
        Self {
            generation,
            commit,
            bytes: Vec::new(),
            records: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Appends namespace `name`'s record, serializing `world` into it; returns the world's
    /// checksum.
    pub fn push_world(&mut self, name: &str, world: &World) -> serde_json::Result<u64> {
        self.push(name, |out| serde_json::to_writer(out, world))
    }

    /// Appends the record of namespace `name`'s deletion.
    pub fn push_deletion(&mut self, name: &str) {
        let _ = self.push(name, |out| {
            out.extend_from_slice(DELETED);
            Ok(())
        });
    }

    /// Takes the last record out again.
    pub fn pop(&mut self) {
        if let Some(placed) = self.records.pop() {
            self.bytes.truncate(placed.start);
        }
    }

    fn push(
        &mut self,
        name: &str,
        world: impl FnOnce(&mut Vec<u8>) -> serde_json::Result<()>,
    ) -> serde_json::Result<u64> {
        let out = &mut self.bytes;
        let start = out.len();
        out.extend_from_slice(name.as_bytes());
        out.push(b'\t');
        out.extend_from_slice(&[b'0'; 16]);
        let _ = write!(out, "\t{}\t", self.commit);
        let more_at = out.len();
        out.extend_from_slice(b"+\t");
        let json_at = out.len();
        if let Err(e) = world(out) {
            out.truncate(start);
            return Err(e);
        }
        let world_sum = checksum(&out[json_at..]);
        out.push(b'\n');
        let placed = Placed {
            start,
            name_len: name.len(),
            more_at,
            world_sum,
        };
        self.seal(&placed, b'+');
        self.records.push(placed);
        Ok(world_sum)
    }

    /// Writes a record's MORE and its checksum.
    fn seal(&mut self, placed: &Placed, more: u8) {
        self.bytes[placed.more_at] = more;
        let name = &self.bytes[placed.start..placed.start + placed.name_len];
        let sum = line_checksum(self.generation, name, self.commit, more, placed.world_sum);
        let sum_at = placed.start + placed.name_len + 1;
        put_hex(&mut self.bytes[sum_at..sum_at + 16], sum);
    }

    /// The bytes to write, the last record marked as the write's last.
    pub fn finish(mut self) -> Vec<u8> {
        if let Some(last) = self.records.pop() {
            self.seal(&last, b'.');
        }
        self.bytes
    }
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
    /// Bytes after the last complete write (one cut short by a crash: its intact records too),
    /// ignored.
    pub ignored_bytes: usize,
}

/// Reads the log at `path`: `None` when there is none. A log whose first line is incomplete is
/// one a crash interrupted as it was started: it holds nothing (generation 0).
pub fn read(path: &Path, len: Option<u64>) -> Result<Option<Replayed>, String> {
    let problem = |what: String| format!("cannot load the state log {}: {what}", path.display());
    let bytes = match std::fs::read(path) {
        Ok(mut bytes) => {
            if let Some(len) = len.and_then(|len| usize::try_from(len).ok()) {
                bytes.truncate(len);
            }
            bytes
        }
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
    let header: Header = match serde_json::from_slice(&bytes[..header_end]) {
        Ok(header) => header,
        Err(_) => {
            replayed.ignored_bytes = bytes.len();
            return Ok(Some(replayed));
        }
    };
    if !(1..=LOG_VERSION).contains(&header.state_log) {
        return Err(problem(format!(
            "log version {} is not supported (this sandbox reads versions 1 to {LOG_VERSION})",
            header.state_log
        )));
    }
    replayed.generation = header.generation;

    // First the last intact record of each namespace, then only those are parsed. A write's
    // records are held back until its last one: a write without it was never answered.
    let mut last: BTreeMap<&str, &[u8]> = BTreeMap::new();
    let mut write: Vec<Record> = Vec::new();
    let mut write_at = header_end + 1;
    let mut at = write_at;
    // The write the next record belongs to, as the one before it says.
    let mut commit = 1;
    while at < bytes.len() {
        let Some(record) = intact_record(header, &bytes[at..]) else {
            if let Some(later) = later_write(header, &bytes[at..], commit) {
                return Err(problem(format!(
                    "the record at byte {at} is damaged, yet write {later} after it is intact: that record was synced and answered, so the file changed since. Nothing was loaded. To start anyway, keep what precedes it (truncate the log to {write_at} bytes) or move the log away (the state file alone)"
                )));
            }
            break;
        };
        if header.state_log > 1 && record.commit != commit {
            // Only the last write can be missing a part: one a later write follows was synced
            // whole and answered.
            return Err(problem(format!(
                "the record at byte {at} is of write {}, but write {commit} is missing its records from there: that write was synced and answered, so the file changed since. Nothing was loaded. To start anyway, keep what precedes it (truncate the log to {write_at} bytes) or move the log away (the state file alone)",
                record.commit
            )));
        }
        at += record.len;
        commit = record.commit;
        let more = record.more;
        write.push(record);
        if !more {
            replayed.records += write.len();
            last.extend(write.drain(..).map(|record| (record.name, record.world)));
            write_at = at;
            commit += 1;
        }
    }
    replayed.ignored_bytes = bytes.len() - write_at;
    for (name, json) in last {
        if json == DELETED {
            replayed.deleted.insert(name.to_string());
            continue;
        }
        let world: World = super::from_saved(json)
            .map_err(|e| problem(format!("the record of namespace {name} is invalid ({e})")))?;
        replayed.worlds.insert(name.to_string(), world);
    }
    Ok(Some(replayed))
}

/// A log's first line.
#[derive(Clone, Copy, Deserialize)]
struct Header {
    state_log: u32,
    generation: u64,
}

struct Record<'a> {
    name: &'a str,
    world: &'a [u8],
    /// The write it came in (0 in a version 1 log).
    commit: u64,
    /// Whether the same write has records after it.
    more: bool,
    /// Bytes taken, the newline included.
    len: usize,
}

/// The record at the start of `bytes` if it is whole: newline-terminated, well-formed, and its
/// checksum right.
fn intact_record(header: Header, bytes: &[u8]) -> Option<Record<'_>> {
    let end = bytes.iter().position(|b| *b == b'\n')?;
    let line = &bytes[..end];
    if header.state_log == 1 {
        let mut parts = line.splitn(3, |b| *b == b'\t');
        let name = std::str::from_utf8(parts.next()?).ok()?;
        let sum = u64::from_str_radix(std::str::from_utf8(parts.next()?).ok()?, 16).ok()?;
        let world = parts.next()?;
        return (!name.is_empty() && checksum(world) == sum).then_some(Record {
            name,
            world,
            commit: 0,
            more: false,
            len: end + 1,
        });
    }
    let mut parts = line.splitn(5, |b| *b == b'\t');
    let name = std::str::from_utf8(parts.next()?).ok()?;
    let sum = u64::from_str_radix(std::str::from_utf8(parts.next()?).ok()?, 16).ok()?;
    let commit: u64 = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let more = match parts.next()? {
        b"+" => b'+',
        b"." => b'.',
        _ => return None,
    };
    let world = parts.next()?;
    let intact = !name.is_empty()
        && line_checksum(
            header.generation,
            name.as_bytes(),
            commit,
            more,
            checksum(world),
        ) == sum;
    intact.then_some(Record {
        name,
        world,
        commit,
        more: more == b'+',
        len: end + 1,
    })
}

/// The write of the first intact record in `rest` (which starts with a damaged one) that is
/// not write `commit`, the damaged record's. Only the last write can be torn by a crash, so any
/// such record means the damage came later. Version 1 records do not say their write.
fn later_write(header: Header, rest: &[u8], commit: u64) -> Option<u64> {
    if header.state_log == 1 {
        return None;
    }
    let mut at = 0;
    while let Some(newline) = rest[at..].iter().position(|b| *b == b'\n') {
        at += newline + 1;
        match intact_record(header, &rest[at..]) {
            Some(record) if record.commit != commit => return Some(record.commit),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests;
