//! `--state-file`: every namespace's [`World`] in one JSON file, loaded at start and saved
//! atomically while serving.
//!
//! The file is `{"version":1,"log_folded":G,"namespaces":{"NAME":<world>,…}}`. A save serializes
//! one namespace at a time under its lock (into memory, no I/O under the lock), then writes
//! `PATH.tmp`, syncs it, renames it over `PATH` and syncs the folder: a reader, or a restart after
//! a crash, sees either the previous complete snapshot or the new one, never a mix.
//!
//! Saves follow changes: the server signals the store after every request that may change state
//! and the webhook worker after every attempt ([`Store::changed`]); the saver waits a short delay
//! so a burst of changes is one write, saves, and saves once more at shutdown after the
//! connections and deliveries are done.
//!
//! With `--state-sync always` a request is not answered before its namespace is on disk: the
//! [`sync`] writer appends it to the [`log`] (`PATH.log`) and syncs, and folds the log into the
//! snapshot now and then. Loading replays the log over the snapshot; the start folds it.

pub mod log;
pub mod sync;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::watch;

use crate::store::{Store, World};

/// The format written; a file of another version is refused rather than misread.
pub const VERSION: u32 = 1;

/// A state file as read (with its log replayed over it): each namespace's world, not yet wired
/// into a [`Store`].
#[derive(Deserialize)]
pub struct SavedState {
    version: u32,
    /// The newest state-log generation already in this snapshot (0: none).
    #[serde(default)]
    pub log_folded: u64,
    pub namespaces: BTreeMap<String, World>,
    /// A state log was found next to the file: the start folds it into the file.
    #[serde(skip)]
    pub log_found: bool,
    /// Something was loaded (the file, its log or both); `false`: a fresh start.
    #[serde(skip)]
    pub found: bool,
    /// Held while the server runs ([`open`]): one process uses a state file at a time.
    #[serde(skip)]
    pub lock: Option<StateLock>,
}

impl SavedState {
    /// A fresh start: no namespace, no log.
    fn empty() -> Self {
        SavedState {
            version: VERSION,
            log_folded: 0,
            namespaces: BTreeMap::new(),
            log_found: false,
            found: false,
            lock: None,
        }
    }
}

/// The exclusive lock on `PATH.lock` of a state file in use. Two servers on one file would
/// overwrite each other's saves, and a restart that loads before the old process's last save
/// would start from stale state; the lock is released when the process (or the library-mode
/// server) ends.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// How long the binary's start waits for another process to release the state file (one
/// shutting down finishes its requests, up to `--shutdown-grace-secs`, then saves).
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The state file's own path, made absolute with symlinks followed, so the lock, the log and a
/// save's rename all act on the file itself: through a link, a second server would take another
/// lock and miss the first one's log, and the rename would replace the link. A file not made yet
/// is its folder's resolved path joined with its name (a dangling link's target, if it is one);
/// a path that cannot be resolved is kept as given (opening it then says what is wrong).
pub fn resolve(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    // As many links in a row as the OS itself follows.
    for _ in 0..40 {
        if let Ok(found) = std::fs::canonicalize(&path) {
            return found;
        }
        let Ok(target) = std::fs::read_link(&path) else {
            break;
        };
        path = match path.parent() {
            Some(folder) => folder.join(target),
            None => target,
        };
    }
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return path;
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    std::fs::canonicalize(folder).map_or_else(|_| path.clone(), |folder| folder.join(name))
}

/// Takes the state file's lock (waiting up to `wait` for a process that still holds it), then
/// [`load`]s it. The state returned is never `None`: a fresh start is an empty state that
/// carries the lock.
pub fn open(path: &Path, wait: Duration) -> Result<SavedState, String> {
    let lock = lock(path, wait)?;
    let mut state = match load(path)? {
        Some(state) => SavedState {
            found: true,
            ..state
        },
        None => SavedState::empty(),
    };
    state.lock = Some(lock);
    Ok(state)
}

/// The state file's lock, waiting up to `wait` for a process (or a library-mode server not yet
/// shut down) that holds it.
pub fn lock(path: &Path, wait: Duration) -> Result<StateLock, String> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("cannot open the state lock {}: {e}", lock_path.display()))?;
    let started = std::time::Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(StateLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                if !told {
                    tracing::warn!(
                        "another vendor-sandbox uses the state file {}: waiting for it to exit",
                        path.display()
                    );
                    told = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let waited = if wait.is_zero() {
                    String::new()
                } else {
                    format!(" after {} s", wait.as_secs())
                };
                return Err(format!(
                    "another vendor-sandbox still uses the state file {}{waited} (it holds {}); stop it (in library mode, await its shutdown) or use another file",
                    path.display(),
                    lock_path.display()
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", lock_path.display()));
            }
        }
    }
}

/// Reads the state file at `path` and replays its log (`PATH.log`) over it. Neither there is a
/// fresh start (`None`); anything else that keeps it from loading is one line naming the file
/// and what is wrong.
pub fn load(path: &Path) -> Result<Option<SavedState>, String> {
    load_saved(path, None)
}

/// [`load`], reading only the log's first `log_len` bytes if given (what was synced).
fn load_saved(path: &Path, log_len: Option<u64>) -> Result<Option<SavedState>, String> {
    let snapshot = load_snapshot(path)?;
    let Some(replayed) = log::read(&log::log_path(path), log_len)? else {
        return Ok(snapshot);
    };
    let mut state = snapshot.unwrap_or_else(SavedState::empty);
    state.log_found = true;
    if replayed.ignored_bytes > 0 {
        tracing::warn!(
            "state log: ignored the last {} bytes (a write cut short by a crash; it was not answered)",
            replayed.ignored_bytes
        );
    }
    // A log already folded into the snapshot (a crash before the next log was started) is
    // older than the snapshot: replaying it would go back in time.
    if replayed.generation > state.log_folded {
        for name in &replayed.deleted {
            state.namespaces.remove(name);
        }
        state.namespaces.extend(replayed.worlds);
        state.log_folded = replayed.generation;
    }
    Ok(Some(state))
}

fn load_snapshot(path: &Path) -> Result<Option<SavedState>, String> {
    let problem = |what: String| format!("cannot load the state file {}: {what}", path.display());
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(problem(e.to_string())),
    };
    match from_saved::<SavedState>(&text) {
        Ok(state) if state.version == VERSION => Ok(Some(state)),
        Ok(state) => Err(problem(unsupported(state.version))),
        Err(e) => {
            // A file of another version fails on its contents first; say what really differs.
            #[derive(Deserialize)]
            struct Head {
                version: u32,
            }
            match serde_json::from_slice::<Head>(&text) {
                Ok(head) if head.version != VERSION => Err(problem(unsupported(head.version))),
                _ => Err(problem(format!("not a valid state file ({e})"))),
            }
        }
    }
}

/// How deep a state file may nest: a client's JSON is refused past serde_json's 128 levels at
/// parse, and kept a few dozen levels down in a namespace (an inquiry's custom field inside an
/// event inside a kept answer…), so the sandbox writes nothing near this; it only keeps a file
/// made by hand from overflowing the stack.
const MAX_DEPTH: usize = 512;

/// Saved JSON (a state file, a log record) read back. Without serde_json's limit of 128 levels,
/// which a client's value kept deep in a namespace can pass: the limit would refuse at the next
/// start what was answered 2xx. Nesting past [`MAX_DEPTH`] is refused instead.
fn from_saved<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    if nested_deeper_than(bytes, MAX_DEPTH) {
        return Err(serde::de::Error::custom(format!(
            "nested deeper than {MAX_DEPTH} levels, deeper than the sandbox writes"
        )));
    }
    let mut json = serde_json::Deserializer::from_slice(bytes);
    json.disable_recursion_limit();
    let value = T::deserialize(&mut json)?;
    json.end()?;
    Ok(value)
}

/// Whether the JSON text `bytes` opens more than `max` arrays and objects inside one another.
fn nested_deeper_than(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn unsupported(version: u32) -> String {
    format!("version {version} is not supported (this sandbox reads version {VERSION})")
}

/// The whole state as the file's bytes, noting that state-log generation `log_folded` and older
/// are in it. Each namespace is locked only while it is serialized.
pub fn snapshot(store: &Store, log_folded: u64) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4096);
    write!(
        out,
        "{{\"version\":{VERSION},\"log_folded\":{log_folded},\"namespaces\":{{"
    )
    .map_err(serde_json::Error::io)?;
    let mut first = true;
    for name in store.names() {
        let Some(namespace) = store.existing(&name) else {
            continue;
        };
        if !first {
            out.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut out, &name)?;
        out.push(b':');
        let world = namespace.lock();
        serde_json::to_writer(&mut out, &*world)?;
    }
    out.extend_from_slice(b"}}\n");
    Ok(out)
}

/// `PATH.tmp`: where a save is written before it is renamed over `PATH`.
fn temporary_path(path: &Path) -> PathBuf {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    PathBuf::from(temporary)
}

/// Whether saves to `path` can work, found out at start rather than at shutdown (when the
/// session's state would be lost): creates and removes the temporary file a save writes, in the
/// folder the rename needs. The error is one line naming the file and the OS's reason.
pub fn check_writable(path: &Path) -> Result<(), String> {
    let temporary = temporary_path(path);
    let problem = |e: std::io::Error| {
        format!(
            "cannot write the state file {}: creating {} failed: {e}",
            path.display(),
            temporary.display()
        )
    };
    File::create(&temporary).map_err(problem)?;
    std::fs::remove_file(&temporary).map_err(problem)
}

/// Replaces `path` with `bytes` atomically: a temporary file next to it, synced, renamed over
/// it, and the folder synced so the rename itself survives a crash.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = temporary_path(path);
    let mut file = File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    sync_folder(path)
}

/// Syncs the folder holding `path`, so a file created, renamed or removed there stays so after
/// a crash.
pub fn sync_folder(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(folder)?.sync_all()?;
    }
    Ok(())
}

/// Serializes the store and writes it to `path` (see [`snapshot`]), off the async threads.
pub async fn save(store: Arc<Store>, path: PathBuf, log_folded: u64) -> Result<(), String> {
    let written = tokio::task::spawn_blocking(move || {
        let bytes = snapshot(&store, log_folded).map_err(|e| e.to_string())?;
        write_atomically(&path, &bytes)
            .map_err(|e| format!("cannot write the state file {}: {e}", path.display()))
    })
    .await;
    written.unwrap_or_else(|e| Err(format!("the state-file save stopped: {e}")))
}

/// Folds a state log found at start into the state file and removes the log, so that what is
/// saved from now on (snapshots, or a new log) is never mixed with it.
pub async fn fold_at_start(
    store: Arc<Store>,
    path: PathBuf,
    log_folded: u64,
) -> Result<(), String> {
    save(store, path.clone(), log_folded).await?;
    let log = log::log_path(&path);
    std::fs::remove_file(&log)
        .and_then(|()| sync_folder(&log))
        .map_err(|e| format!("cannot remove the folded state log {}: {e}", log.display()))
}

/// Where the saver puts changes nobody waits for (webhook attempts, and with `debounced` every
/// change).
pub enum SaveTo {
    /// Rewrite the state file (`--state-sync debounced`).
    Snapshot { path: PathBuf, log_folded: u64 },
    /// Append what changed to the state log (`--state-sync always`).
    Log(sync::SyncLog),
}

/// Saves `delay` after each change until `stop` turns true; the caller saves a last time after
/// that. A failed save is logged and tried again at the next change.
pub async fn run_saver(
    store: Arc<Store>,
    to: SaveTo,
    delay: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = store.next_change() => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        let saved = match &to {
            SaveTo::Snapshot { path, log_folded } => {
                save(store.clone(), path.clone(), *log_folded).await
            }
            SaveTo::Log(log) => log.commit(sync::Scope::All).await,
        };
        if let Err(e) = saved {
            tracing::warn!("{e}");
        }
    }
}

#[cfg(test)]
mod tests;
