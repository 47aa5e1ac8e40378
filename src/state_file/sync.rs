//! `--state-sync always`: the writer that puts a request's namespace on disk before its answer.
//!
//! The server sends a commit for the request's namespace ([`SyncLog::commit`]) after the
//! handler ran and awaits it with no lock held. One writer thread takes every commit queued so
//! far as a group, serializes each namespace named once (under its lock, into memory), appends
//! the ones whose bytes changed to the [`log`](super::log) in one write, syncs once, then
//! answers the whole group: requests that finish while a sync runs share the next one (group
//! commit). When the log grows past the fold threshold the writer rewrites the state file and
//! starts the next log generation; at shutdown it writes the state file and removes the log.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{log, snapshot, write_atomically};
use crate::store::Store;

/// Which namespaces a request may have changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Namespace(String),
    /// Every namespace (a reset of all of them, the saver's catch-up).
    All,
}

enum Command {
    Commit {
        scope: Scope,
        done: oneshot::Sender<Result<(), String>>,
    },
    /// Write the state file, remove the log and stop (after the last request).
    Stop,
}

/// The handle requests commit through; cheap to clone.
#[derive(Clone)]
pub struct SyncLog {
    commands: mpsc::UnboundedSender<Command>,
}

impl SyncLog {
    /// Completes once every change made to `scope` before the call is synced to disk, or with
    /// why it could not be.
    pub async fn commit(&self, scope: Scope) -> Result<(), String> {
        let (done, finished) = oneshot::channel();
        self.commands
            .send(Command::Commit { scope, done })
            .map_err(|_| "the state log writer has stopped".to_string())?;
        finished
            .await
            .unwrap_or_else(|_| Err("the state log writer has stopped".to_string()))
    }

    /// Asks the writer to finish: its task then writes the state file and ends.
    pub fn stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }
}

/// Starts the writer on a blocking thread with a fresh log of generation `log_folded + 1` (any
/// earlier log must have been folded into the state file). The task's result is the final
/// save's; await it after [`SyncLog::stop`].
pub fn start(
    store: Arc<Store>,
    path: PathBuf,
    log_folded: u64,
    fold_bytes: u64,
) -> Result<(SyncLog, JoinHandle<Result<(), String>>), String> {
    Ok(spawn(Writer::open(store, path, log_folded, fold_bytes)?))
}

fn spawn(mut writer: Writer) -> (SyncLog, JoinHandle<Result<(), String>>) {
    let (commands, mut queue) = mpsc::unbounded_channel();
    let task = tokio::task::spawn_blocking(move || {
        while let Some(first) = queue.blocking_recv() {
            // Everything queued while the last sync ran is one group.
            let mut group = vec![first];
            while let Ok(more) = queue.try_recv() {
                group.push(more);
            }
            if writer.run_group(group) {
                break;
            }
        }
        writer.close()
    });
    (SyncLog { commands }, task)
}

/// What a failed commit tried to write of one namespace.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tried {
    World(u64),
    Deletion,
    /// Its world could not be serialized.
    Unwritable,
}

/// A commit that did not reach the disk: why, and what it tried to write.
struct Failed {
    why: String,
    tried: Vec<(String, Tried)>,
}

struct Writer {
    store: Arc<Store>,
    path: PathBuf,
    log_path: PathBuf,
    file: File,
    generation: u64,
    log_bytes: u64,
    snapshot_bytes: u64,
    fold_bytes: u64,
    /// Checksum of the record last synced per namespace: an unchanged namespace (a read) is not
    /// written again.
    synced: HashMap<String, u64>,
    /// The namespaces the state file or this log holds: one the store no longer has gets a
    /// deletion record, or replay would bring it back.
    known: BTreeSet<String>,
    /// [`Store::removals`] when the last commit looked for deleted namespaces.
    removals_seen: u64,
    /// Writes in the current log so far: the next one's records carry this plus one.
    commits: u64,
    /// The log must not be appended to (a failed write may have left part of a record, or it
    /// was already folded): the next group starts a new one first.
    broken: bool,
}

impl Writer {
    fn open(
        store: Arc<Store>,
        path: PathBuf,
        log_folded: u64,
        fold_bytes: u64,
    ) -> Result<Self, String> {
        let log_path = log::log_path(&path);
        let generation = log_folded + 1;
        let file = log::create(&log_path, generation)
            .map_err(|e| format!("cannot start the state log {}: {e}", log_path.display()))?;
        let log_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let snapshot_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Ok(Self {
            path,
            log_path,
            file,
            generation,
            log_bytes,
            snapshot_bytes,
            fold_bytes,
            synced: HashMap::new(),
            known: store.names().into_iter().collect(),
            removals_seen: store.removals(),
            store,
            commits: 0,
            broken: false,
        })
    }

    /// Commits a group and answers each waiter; true when the group asked to stop.
    fn run_group(&mut self, group: Vec<Command>) -> bool {
        let mut scopes = BTreeSet::new();
        let mut all = false;
        let mut waiters = Vec::with_capacity(group.len());
        let mut stop = false;
        for command in group {
            match command {
                Command::Commit { scope, done } => {
                    match &scope {
                        Scope::All => all = true,
                        Scope::Namespace(name) => {
                            scopes.insert(name.clone());
                        }
                    }
                    waiters.push((scope, done));
                }
                Command::Stop => stop = true,
            }
        }
        if all {
            scopes.extend(self.store.names());
        }
        // What was answered 500 is undone: back to what the files hold. Only the namespaces
        // whose records failed are told so; the rest of the group changed nothing unsaved.
        let (undone, message) = match self.commit(&scopes) {
            Ok(()) => (BTreeSet::new(), String::new()),
            Err(failed) => match self.roll_back(failed.tried) {
                Ok(undone) if undone.is_empty() => {
                    tracing::warn!("{}; it was in the state file already", failed.why);
                    (undone, String::new())
                }
                Ok(undone) => (undone, format!("{}; the change was undone", failed.why)),
                Err(why) => {
                    let everything = scopes.iter().cloned().collect();
                    let message = format!(
                        "{}; it could not be undone ({why}), and a later save may keep it",
                        failed.why
                    );
                    (everything, message)
                }
            },
        };
        if !undone.is_empty() {
            tracing::error!("{message}");
        }
        for (scope, done) in waiters {
            let refused = match &scope {
                Scope::Namespace(name) => undone.contains(name),
                Scope::All => !undone.is_empty(),
            };
            let result = if refused {
                Err(message.clone())
            } else {
                Ok(())
            };
            // A waiter whose client went away has dropped its receiver; nothing to tell.
            let _ = done.send(result);
        }
        if !stop && !self.broken && self.log_bytes > self.fold_bytes.max(2 * self.snapshot_bytes) {
            // A failed fold leaves the log as it was (or marks it broken): commits go on.
            if let Err(e) = self.fold() {
                tracing::warn!("{e}");
            }
        }
        stop
    }

    /// Appends every namespace in `names` whose bytes changed since its last synced record, and
    /// the deletion of every namespace deleted since the last commit, in one write, and syncs.
    fn commit(&mut self, names: &BTreeSet<String>) -> Result<(), Failed> {
        let mut records = log::Batch::new(self.generation, self.commits + 1);
        let mut tried = Vec::new();
        // Deletions first: a namespace deleted and made again is written after its deletion.
        let removals = self.store.removals();
        let mut deleted = Vec::new();
        if removals != self.removals_seen {
            for name in &self.known {
                if self.store.existing(name).is_none() {
                    records.push_deletion(name);
                    deleted.push(name.clone());
                    tried.push((name.clone(), Tried::Deletion));
                }
            }
        }
        let mut written = Vec::new();
        for name in names {
            let Some(namespace) = self.store.existing(name) else {
                continue;
            };
            let sum = match records.push_world(name, &namespace.read()) {
                Ok(sum) => sum,
                Err(e) => {
                    // Nothing of this group is written: every namespace it names is tried.
                    let rest = names.range(name.clone()..).cloned();
                    tried.extend(rest.map(|name| (name, Tried::Unwritable)));
                    let why = format!("cannot serialize namespace {name} for the state log: {e}");
                    return Err(Failed { why, tried });
                }
            };
            if self.synced.get(name) == Some(&sum) {
                records.pop();
            } else {
                written.push((name.clone(), sum));
                tried.push((name.clone(), Tried::World(sum)));
            }
        }
        if records.is_empty() {
            self.removals_seen = removals;
            return Ok(());
        }
        if self.broken {
            // The log cannot take this write: the state file, with everything, is the commit.
            return self.fold().map_err(|why| Failed { why, tried });
        }
        let records = records.finish();
        match self
            .file
            .write_all(&records)
            .and_then(|()| self.file.sync_data())
        {
            Ok(()) => {
                self.commits += 1;
                self.log_bytes += records.len() as u64;
                self.removals_seen = removals;
                for name in deleted {
                    self.synced.remove(&name);
                    self.known.remove(&name);
                }
                self.known
                    .extend(written.iter().map(|(name, _)| name.clone()));
                self.synced.extend(written);
                Ok(())
            }
            Err(e) => {
                self.broken = true;
                let why = format!(
                    "cannot write the state log {}: {e}",
                    self.log_path.display()
                );
                Err(Failed { why, tried })
            }
        }
    }

    /// Rewrites the state file with everything (noting the current generation as folded) and
    /// starts the next, empty log.
    /// Once the state file is written, everything so far is saved, whether or not the next log
    /// could be started (if not, the next commit writes the state file again).
    fn fold(&mut self) -> Result<(), String> {
        self.write_state_file()?;
        // The file now holds every namespace, those no commit wrote too: each
        // needs a deletion record if it goes.
        self.known.extend(self.store.names());
        self.synced.clear();
        // From here the current log is older than the state file: never append to it again.
        self.broken = true;
        self.generation += 1;
        match log::create(&self.log_path, self.generation) {
            Ok(file) => {
                self.file = file;
                self.log_bytes = self.file.metadata().map(|m| m.len()).unwrap_or(0);
                self.commits = 0;
                self.broken = false;
            }
            Err(e) => tracing::warn!(
                "cannot start the state log {}: {e} (the state file has everything; the next change writes it again)",
                self.log_path.display()
            ),
        }
        Ok(())
    }

    /// After a failed commit: puts each namespace it `tried` to write back to what the state
    /// file and the log hold, so what was answered 500 did not happen, and a restart would load
    /// the same. One the files hold as tried (a fold saved it first) stays. The names put back.
    fn roll_back(&mut self, tried: Vec<(String, Tried)>) -> Result<BTreeSet<String>, String> {
        // A write cut short, or written but not synced, is not read back as saved, nor read by
        // a restart: the log is cut back (a log already folded into the state file, when a new
        // one could not be started, is not read at all).
        if let Err(e) = (self.file.set_len(self.log_bytes)).and_then(|()| self.file.sync_data()) {
            tracing::warn!(
                "cannot cut the state log {} back to what was synced: {e}",
                self.log_path.display()
            );
        }
        let mut durable = super::load_saved(&self.path, Some(self.log_bytes))?
            .map(|state| state.namespaces)
            .unwrap_or_default();
        let mut undone = BTreeSet::new();
        // A namespace deleted and made again while the batch was built is in it twice: what
        // it last tried is what it is.
        let tried: BTreeMap<String, Tried> = tried.into_iter().collect();
        for (name, tried) in tried {
            let world = durable.remove(&name);
            // What the files hold now: a namespace that does not change again is not written.
            let sum =
                (world.as_ref()).and_then(|w| log::Batch::new(0, 0).push_world(&name, w).ok());
            match sum {
                Some(sum) => {
                    self.synced.insert(name.clone(), sum);
                    self.known.insert(name.clone());
                }
                None => {
                    self.synced.remove(&name);
                }
            }
            let saved = match (tried, sum) {
                (Tried::World(tried), Some(sum)) => tried == sum,
                (Tried::Deletion, None) => true,
                _ => false,
            };
            if !saved {
                self.store.roll_back(&name, world);
                undone.insert(name);
            }
        }
        Ok(undone)
    }

    fn write_state_file(&mut self) -> Result<(), String> {
        let bytes = snapshot(&self.store, self.generation)
            .map_err(|e| format!("cannot serialize the state: {e}"))?;
        write_atomically(&self.path, &bytes)
            .map_err(|e| format!("cannot write the state file {}: {e}", self.path.display()))?;
        self.snapshot_bytes = bytes.len() as u64;
        Ok(())
    }

    /// The last save: the state file with everything, and no log left beside it.
    fn close(mut self) -> Result<(), String> {
        self.write_state_file()?;
        std::fs::remove_file(&self.log_path)
            .and_then(|()| super::sync_folder(&self.log_path))
            .map_err(|e| {
                format!(
                    "cannot remove the folded state log {}: {e}",
                    self.log_path.display()
                )
            })
    }
}

#[cfg(test)]
mod tests;
