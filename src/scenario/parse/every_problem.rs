//! `vendor-sandbox check`, the start-up and a reload name every problem of a file, not only the
//! first serde stops at: once the whole file has failed, it is read again piece by piece (each
//! top-level member, each vendor's `initial_state` section, each rule), and each problem is
//! placed where it is.

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;

use super::json_text::{self, Member};
use super::{
    ParsedInitialState, Problem, RuleSpec, ScenarioName, VOCABULARY, convert_rule, message_of,
    numbered_rules, seeding_vendor,
};
use crate::scenario::operations::Vocabulary;

/// The members a scenario file may have, as serde names them (`ScenarioFile`).
const FIELDS: &[&str] = &["$schema", "name", "description", "initial_state", "rules"];
const REQUIRED: &[&str] = &["name", "description"];

/// Every problem of `source`, the text of `file`, whose whole reading failed with `first`, in
/// the order they appear. Only `first` when the text is not an object read to its end (a syntax
/// error stops the reading there).
pub fn every_problem(
    file: &str,
    source: &str,
    first: Problem,
    vocabulary: &'static Vocabulary,
) -> Vec<Problem> {
    let previous = VOCABULARY.with(|v| v.replace(Some(vocabulary)));
    let mut found = Found {
        file,
        source,
        problems: Vec::new(),
    };
    let read = found.file_members();
    VOCABULARY.with(|v| v.set(previous));
    let mut problems = found.problems;
    // Read piece by piece, the file shows what the whole showed, unless it could not be read so.
    if read.is_none() || !problems.iter().any(|p| p.message == first.message) {
        problems.push(first);
    }
    problems.sort_by_key(|p| (p.line, p.column));
    problems
}

struct Found<'a> {
    file: &'a str,
    source: &'a str,
    problems: Vec<Problem>,
}

impl Found<'_> {
    /// A problem at byte `offset` of the source.
    fn at(&mut self, offset: usize, message: String) {
        let (line, column) = json_text::position(self.source, offset);
        let problem = Problem {
            file: self.file.to_string(),
            line,
            column,
            message,
        };
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    /// serde_json's error `e` in `text`, a slice of the source.
    fn serde_error(&mut self, text: &str, e: &serde_json::Error) {
        let offset = json_text::offset_in(self.source, text)
            + json_text::offset_at(text, e.line(), e.column());
        self.at(offset, message_of(e));
    }

    /// `text`, a slice of the source, read as `T`.
    fn read<T: DeserializeOwned>(&mut self, text: &str) {
        if let Err(e) = serde_json::from_str::<T>(text) {
            self.serde_error(text, &e);
        }
    }

    /// The top-level members, each checked as `ScenarioFile` would; `None` when the source is
    /// not one object.
    fn file_members(&mut self) -> Option<()> {
        let source = self.source;
        let top = serde_json::from_str::<&serde_json::value::RawValue>(source).ok()?;
        let top = top.get();
        let members = json_text::members(top)?;
        let base = json_text::offset_in(source, top);
        let mut seen = BTreeSet::new();
        for member in &members {
            let key_end = base + member.key_end;
            let known = FIELDS.contains(&member.key.as_str());
            if known && !seen.insert(member.key.as_str()) {
                self.at(key_end, format!("duplicate field `{}`", member.key));
                continue;
            }
            match member.key.as_str() {
                "$schema" => self.read::<Option<String>>(member.value),
                "name" => self.read::<ScenarioName>(member.value),
                "description" => self.read::<String>(member.value),
                "initial_state" => self.initial_state(member.value),
                "rules" => self.rules(member.value),
                other => {
                    let e = <serde_json::Error as serde::de::Error>::unknown_field(other, FIELDS);
                    self.at(key_end, e.to_string());
                }
            }
        }
        // serde places a missing field at the object's closing brace.
        let end = base + top.len().saturating_sub(1);
        for field in REQUIRED.iter().filter(|f| !seen.contains(*f)) {
            self.at(end, format!("missing field `{field}`"));
        }
        Some(())
    }

    /// Each vendor's section on its own, each of its problems where it is.
    fn initial_state(&mut self, text: &str) {
        let Some(sections) = json_text::members(text) else {
            return self.read::<ParsedInitialState>(text);
        };
        let Some(vocabulary) = VOCABULARY.with(|v| v.get()) else {
            return;
        };
        for Member {
            key,
            key_end,
            value,
            ..
        } in &sections
        {
            let terms = match seeding_vendor(vocabulary, key) {
                Ok(terms) => terms,
                Err(message) => {
                    self.at(json_text::offset_in(self.source, text) + key_end, message);
                    continue;
                }
            };
            let base = json_text::offset_in(self.source, value);
            for problem in (terms.check_seed)(value) {
                let message = format!("initial_state.{key}: {}", problem.message);
                self.at(base + problem.offset, message);
            }
        }
    }

    /// Each rule on its own: what serde refuses where it is, what the rule's checks refuse at
    /// the rule's start, numbered as the whole file's reading numbers it.
    fn rules(&mut self, text: &str) {
        let Some(rules) = json_text::items(text) else {
            if let Err(e) = numbered_rules(&mut serde_json::Deserializer::from_str(text)) {
                self.serde_error(text, &e);
            }
            return;
        };
        for (index, (_, rule)) in rules.into_iter().enumerate() {
            match serde_json::from_str::<RuleSpec>(rule) {
                Err(e) => self.serde_error(rule, &e),
                Ok(spec) => {
                    if let Err(e) = convert_rule(spec) {
                        let offset = json_text::offset_in(self.source, rule);
                        self.at(offset, format!("rule {}: {e}", index + 1));
                    }
                }
            }
        }
    }
}
