//! A namespace's scenario selection and rule counters: data kept in the namespace's `World`
//! (so a reset clears them and the state file keeps them). Imports nothing above serde.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One rule's counts in one namespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCounter {
    /// Calls that matched the rule's `when` (what `nth` counts).
    pub seen: u32,
    /// Calls the rule applied to (what `times` and `after_polls` count).
    pub applied: u32,
}

/// A namespace's scenario selection and counters; lives in the namespace's `World`. The state
/// file keeps the counters with the scenario's generation, a digest of its file's text, so the
/// counters go on after a restart unless that file changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NamespaceScenario {
    /// The scenario the namespace uses; `None` is the built-in behaviour.
    pub selected: Option<String>,
    counters: HashMap<String, (u64, Vec<RuleCounter>)>,
}

impl NamespaceScenario {
    pub fn new(selected: Option<String>) -> Self {
        Self {
            selected,
            counters: HashMap::new(),
        }
    }

    /// The counters of the scenario called `name` (of `generation`, with `rules` rules), fresh
    /// when the scenario was reloaded since last counted.
    pub fn counters(&mut self, name: &str, generation: u64, rules: usize) -> &mut Vec<RuleCounter> {
        let entry = self
            .counters
            .entry(name.to_string())
            .or_insert_with(|| (generation, Vec::new()));
        if entry.0 != generation {
            *entry = (generation, Vec::new());
        }
        entry.1.resize(rules, RuleCounter::default());
        &mut entry.1
    }
}
