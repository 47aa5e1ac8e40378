//! The scenarios the server knows: the shipped ones, embedded in the binary so it works from any
//! directory, overlaid by the files of `--scenarios DIR` (a file wins over a shipped scenario of
//! the same name). The folder is polled while the server runs: a valid change applies at once;
//! an invalid one keeps that file's last good version and is logged and listed as a problem.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::magic;
use super::matching::{self, Subject};
use super::parse::{Problem, every_problem, parse_scenario};
use super::{Decision, MAX_NAME_LEN, Operation, SCENARIO_HEADER, Scenario, Steer, Vocabulary};
use crate::http::ApiRequest;
use crate::store::World;
use crate::vendor::Vendor;

/// The shipped scenarios, as (file name, text).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "happy-path.json",
        include_str!("../../scenarios/happy-path.json"),
    ),
    (
        "payout-returned.json",
        include_str!("../../scenarios/payout-returned.json"),
    ),
    (
        "payout-stuck.json",
        include_str!("../../scenarios/payout-stuck.json"),
    ),
    (
        "bank-account-refused.json",
        include_str!("../../scenarios/bank-account-refused.json"),
    ),
    (
        "duplicate-user.json",
        include_str!("../../scenarios/duplicate-user.json"),
    ),
    (
        "insufficient-balance.json",
        include_str!("../../scenarios/insufficient-balance.json"),
    ),
    (
        "pending-verification.json",
        include_str!("../../scenarios/pending-verification.json"),
    ),
    (
        "verification-declined.json",
        include_str!("../../scenarios/verification-declined.json"),
    ),
    (
        "missing-fields.json",
        include_str!("../../scenarios/missing-fields.json"),
    ),
    (
        "selfie-mismatch.json",
        include_str!("../../scenarios/selfie-mismatch.json"),
    ),
    (
        "needs-review.json",
        include_str!("../../scenarios/needs-review.json"),
    ),
    (
        "slow-and-flaky.json",
        include_str!("../../scenarios/slow-and-flaky.json"),
    ),
    (
        "webhook-outage.json",
        include_str!("../../scenarios/webhook-outage.json"),
    ),
];

/// A scenario's generation: its text's digest, so the same file read by another process (after
/// a restart, or with other files added to its folder) keeps the counters a state file saved,
/// and an edited one starts afresh.
fn generation_of(text: &str) -> u64 {
    let digest = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// Files in a scenarios folder that are not scenarios.
const NOT_SCENARIOS: &[&str] = &["schema.json"];

pub struct Catalog {
    /// What the vendors offer scenario files: operations, outcomes, magic words, seeds.
    vocabulary: &'static Vocabulary,
    dir: Option<PathBuf>,
    loaded: RwLock<Loaded>,
}

#[derive(Default)]
struct Loaded {
    shipped: BTreeMap<String, Arc<Scenario>>,
    /// The folder's files by path: their last text and last good version.
    files: BTreeMap<PathBuf, FileEntry>,
    /// What is wrong in the folder now (the last good versions stay in use).
    problems: Vec<Problem>,
}

struct FileEntry {
    text: String,
    good: Option<Arc<Scenario>>,
    /// Why `text` is not in use, when it is not: every problem `check` names in it.
    problems: Vec<Problem>,
}

/// A scenario as listed: name, description and where it comes from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub name: String,
    pub description: String,
    pub source: String,
}

/// Why `name` cannot be a scenario's: longer than [`MAX_NAME_LEN`].
pub fn name_too_long(name: &str) -> Option<String> {
    (name.len() > MAX_NAME_LEN).then(|| {
        format!(
            "scenario name is {} characters long; a scenario name is at most {MAX_NAME_LEN} (1 to {MAX_NAME_LEN} of a-z, 0-9 and '-')",
            name.chars().count()
        )
    })
}

impl Catalog {
    /// The shipped scenarios plus `dir`'s. Every problem found is returned, none ignored.
    pub fn load(
        vocabulary: &'static Vocabulary,
        dir: Option<&Path>,
    ) -> Result<Catalog, Vec<Problem>> {
        let catalog = Catalog {
            vocabulary,
            dir: dir.map(Path::to_path_buf),
            loaded: RwLock::new(Loaded::default()),
        };
        let mut problems = Vec::new();
        let mut shipped = BTreeMap::new();
        for (file, text) in SHIPPED {
            match parse_scenario(file, text, generation_of(text), vocabulary) {
                Ok(s) => {
                    shipped.insert(s.name.clone(), Arc::new(s));
                }
                Err(p) => problems.extend(every_problem(file, text, p, vocabulary)),
            }
        }
        catalog.loaded.write().shipped = shipped;
        // The caller reports these problems; logging them too would say each twice.
        problems.extend(catalog.read(Logged::No));
        if problems.is_empty() {
            Ok(catalog)
        } else {
            Err(problems)
        }
    }

    /// Only the shipped scenarios (they are tested to be valid).
    pub fn shipped(vocabulary: &'static Vocabulary) -> Catalog {
        Catalog::load(vocabulary, None).unwrap_or_else(|_| Catalog {
            vocabulary,
            dir: None,
            loaded: RwLock::new(Loaded::default()),
        })
    }

    /// Reads the folder again; returns its problems now and logs the new ones (the running
    /// server's only way to say them). Unchanged files are not parsed again.
    pub fn reload(&self) -> Vec<Problem> {
        self.read(Logged::Yes)
    }

    fn read(&self, logged: Logged) -> Vec<Problem> {
        let Some(dir) = &self.dir else {
            return Vec::new();
        };
        let (texts, mut problems) = read_folder(dir);
        let mut loaded = self.loaded.write();
        let previous = std::mem::take(&mut loaded.files);
        let mut seen_names: BTreeMap<String, PathBuf> = BTreeMap::new();
        for (path, text) in texts {
            let label = path.display().to_string();
            let old = previous.get(&path);
            let (mut good, file_problems) = match old {
                Some(entry) if entry.text == text => (entry.good.clone(), entry.problems.clone()),
                _ => match parse_scenario(&label, &text, generation_of(&text), self.vocabulary) {
                    Ok(scenario) => (Some(Arc::new(scenario)), Vec::new()),
                    // Keep the last good version of this file, if any. Only a failed file is
                    // read again piece by piece, as `check` reads it, for every problem.
                    Err(p) => (
                        old.and_then(|e| e.good.clone()),
                        every_problem(&label, &text, p, self.vocabulary),
                    ),
                },
            };
            problems.extend(file_problems.iter().cloned());
            if let Some(s) = &good {
                if let Some(first) = seen_names.get(&s.name) {
                    problems.push(Problem::at_text(
                        &label,
                        &text,
                        "\"name\"",
                        format!(
                            "scenario name {:?} is already used by {}",
                            s.name,
                            first.display()
                        ),
                    ));
                    good = None;
                } else {
                    seen_names.insert(s.name.clone(), path.clone());
                }
            }
            loaded.files.insert(
                path,
                FileEntry {
                    text,
                    good,
                    problems: file_problems,
                },
            );
        }
        for p in &problems {
            if logged == Logged::Yes && !loaded.problems.contains(p) {
                tracing::warn!("scenario file not loaded, keeping its last good version: {p}");
            }
        }
        // A scenario whose file went: namespaces that selected it lose its rules, said once.
        let now_known = |name: &str| {
            loaded.shipped.contains_key(name)
                || (loaded.files.values())
                    .filter_map(|f| f.good.as_ref())
                    .any(|s| s.name == name)
        };
        for (path, entry) in &previous {
            if let Some(gone) = &entry.good
                && !now_known(&gone.name)
            {
                tracing::warn!(
                    "scenario {:?} is gone ({} was removed, or names another now): namespaces that selected it run without its rules until it is back or another is selected",
                    gone.name,
                    path.display()
                );
            }
        }
        loaded.problems = problems.clone();
        problems
    }

    /// The scenario called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Scenario>> {
        let loaded = self.loaded.read();
        loaded
            .files
            .values()
            .filter_map(|f| f.good.as_ref())
            .find(|s| s.name == name)
            .or_else(|| loaded.shipped.get(name))
            .cloned()
    }

    /// Every scenario, sorted by name.
    pub fn list(&self) -> Vec<Listed> {
        let loaded = self.loaded.read();
        let mut all: BTreeMap<String, Listed> = loaded
            .shipped
            .values()
            .map(|s| (s.name.clone(), listed(s, "shipped".into())))
            .collect();
        for (path, file) in &loaded.files {
            if let Some(s) = &file.good {
                all.insert(s.name.clone(), listed(s, path.display().to_string()));
            }
        }
        all.into_values().collect()
    }

    pub fn problems(&self) -> Vec<Problem> {
        self.loaded.read().problems.clone()
    }

    /// The scenario called `name`, or an error that lists the valid names (or says the name
    /// is longer than any can be: [`name_too_long`]).
    pub fn require(&self, name: &str) -> Result<Arc<Scenario>, String> {
        if let Some(message) = name_too_long(name) {
            return Err(message);
        }
        self.get(name).ok_or_else(|| {
            let names: Vec<String> = self.list().into_iter().map(|l| l.name).collect();
            format!(
                "unknown scenario {name:?}; valid names: {}",
                names.join(", ")
            )
        })
    }

    /// Which scenario steers a call: the request's `X-Sandbox-Scenario` header (`none` for no
    /// scenario), else the namespace's selection. An unknown header name is an error.
    pub fn active(
        &self,
        world: &World,
        req: Option<&ApiRequest>,
    ) -> Result<Option<Arc<Scenario>>, String> {
        match req.and_then(|r| r.header(SCENARIO_HEADER)).map(str::trim) {
            Some("none" | "") => Ok(None),
            Some(name) => self.require(name).map(Some),
            // A selection whose file was deleted since steers nothing.
            None => Ok(world.scenario.selected.as_deref().and_then(|n| self.get(n))),
        }
    }

    /// The decision for one call of `operation` in the namespace `world` belongs to. `req` is
    /// the request being served (for its scenario header), `None` outside one. When no rule
    /// decides an outcome, a magic email in `subject` may ([`magic`]).
    pub fn decide(
        &self,
        world: &mut World,
        req: Option<&ApiRequest>,
        vendor: Vendor,
        operation: Operation,
        subject: &Subject,
    ) -> Decision {
        let decision = match self.active(world, req) {
            Ok(Some(scenario)) => {
                let counters = world.scenario.counters(
                    &scenario.name,
                    scenario.generation,
                    scenario.rules.len(),
                );
                matching::decide(&scenario, counters, vendor, operation, subject)
            }
            _ => Decision::default(),
        };
        self.with_magic(decision, vendor, operation, subject)
    }

    /// What [`Catalog::decide`] would answer now, magic values included, without counting the
    /// call (`nth`, `times` and `after_polls` are left as they are): for a vendor that shows
    /// what will happen before it happens (Persona's hosted page).
    pub fn peek(
        &self,
        world: &mut World,
        req: Option<&ApiRequest>,
        vendor: Vendor,
        operation: Operation,
        subject: &Subject,
    ) -> Decision {
        let decision = match self.active(world, req) {
            Ok(Some(scenario)) => {
                let mut counters = world
                    .scenario
                    .counters(&scenario.name, scenario.generation, scenario.rules.len())
                    .clone();
                matching::decide(&scenario, &mut counters, vendor, operation, subject)
            }
            _ => Decision::default(),
        };
        self.with_magic(decision, vendor, operation, subject)
    }

    /// Magic values steer what no rule decided (a latency-only rule decides nothing).
    fn with_magic(
        &self,
        mut decision: Decision,
        vendor: Vendor,
        operation: Operation,
        subject: &Subject,
    ) -> Decision {
        if decision.steer.is_none() && decision.raw.is_none() && decision.fault.is_none() {
            decision.steer = magic::steer(self.vocabulary, vendor, operation, subject);
        }
        decision
    }

    /// What a magic word in `subject` says about `operation` when no scenario is active.
    pub fn magic(&self, vendor: Vendor, operation: Operation, subject: &Subject) -> Option<Steer> {
        magic::steer(self.vocabulary, vendor, operation, subject)
    }

    /// [`Catalog::magic`] for a request's own subject, without building it.
    pub fn magic_request(
        &self,
        vendor: Vendor,
        operation: Operation,
        req: &ApiRequest,
    ) -> Option<Steer> {
        magic::steer_request(self.vocabulary, vendor, operation, req)
    }

    /// Seeds `world` from the initial state of the scenario it selected, if any, each vendor
    /// its own part.
    pub fn seed_selected(&self, world: &mut World) {
        let selected = world.scenario.selected.clone();
        if let Some(scenario) = selected.and_then(|n| self.get(&n)) {
            super::initial::apply(self.vocabulary, world, &scenario.initial_state);
        }
    }

    pub fn vocabulary(&self) -> &'static Vocabulary {
        self.vocabulary
    }

    /// Polls the folder every `interval` until `stop` turns true.
    pub async fn watch(self: Arc<Self>, interval: Duration, mut stop: watch::Receiver<bool>) {
        if self.dir.is_none() {
            return;
        }
        loop {
            let stopped = tokio::select! {
                () = tokio::time::sleep(interval) => false,
                _ = stop.wait_for(|s| *s) => true,
            };
            if stopped {
                return;
            }
            let catalog = self.clone();
            // File reads are blocking; keep them off the async workers.
            let _ = tokio::task::spawn_blocking(move || catalog.reload()).await;
        }
    }
}

/// Whether [`Catalog::read`] logs what it finds wrong.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Logged {
    Yes,
    No,
}

fn listed(s: &Scenario, source: String) -> Listed {
    Listed {
        name: s.name.clone(),
        description: s.description.clone(),
        source,
    }
}

/// The `.json` files of `dir` (not `schema.json`, not hidden) and their text, sorted by path.
pub(super) fn read_folder(dir: &Path) -> (Vec<(PathBuf, String)>, Vec<Problem>) {
    let problem = |path: &Path, e: std::io::Error| Problem::unreadable(path, &e);
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return (Vec::new(), vec![problem(dir, e)]),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| is_scenario_file(p))
        .collect();
    paths.sort();
    let mut texts = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => texts.push((path, text)),
            Err(e) => problems.push(problem(&path, e)),
        }
    }
    (texts, problems)
}

fn is_scenario_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    path.extension().is_some_and(|e| e == "json")
        && !name.starts_with('.')
        && !NOT_SCENARIOS.contains(&name)
        && path.is_file()
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
