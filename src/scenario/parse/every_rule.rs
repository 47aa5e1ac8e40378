//! `vendor-sandbox check` names every broken rule of a file, not only the first: once the whole
//! file has failed, each rule is read again on its own, and its problem placed where it is.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::{Problem, RuleSpec, VOCABULARY, convert_rule};
use crate::scenario::operations::Vocabulary;

/// The problems of `source`'s rules besides `first` (the whole file's first error), each at
/// its line and column in `source`. Nothing when the file is not an object with a `rules`
/// array (then `first` says so).
pub fn other_rule_problems(
    file: &str,
    source: &str,
    first: &Problem,
    vocabulary: &'static Vocabulary,
) -> Vec<Problem> {
    let Ok(top) = serde_json::from_str::<BTreeMap<&str, &RawValue>>(source) else {
        return Vec::new();
    };
    let Some(rules) = top
        .get("rules")
        .and_then(|r| serde_json::from_str::<Vec<&RawValue>>(r.get()).ok())
    else {
        return Vec::new();
    };
    let previous = VOCABULARY.with(|v| v.replace(Some(vocabulary)));
    let mut problems = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let text = rule.get();
        // Where the rule starts in `source` (it is a slice of it).
        let offset = (text.as_ptr() as usize).saturating_sub(source.as_ptr() as usize);
        let (line, column) = position(source, offset);
        let problem = match serde_json::from_str::<RuleSpec>(text) {
            Err(e) => {
                let message = e.to_string();
                let suffix = format!(" at line {} column {}", e.line(), e.column());
                let (line, column) = if e.line() <= 1 {
                    (line, column + e.column().saturating_sub(1))
                } else {
                    (line + e.line() - 1, e.column())
                };
                Some((
                    line,
                    column,
                    message
                        .strip_suffix(&suffix)
                        .unwrap_or(&message)
                        .to_string(),
                ))
            }
            Ok(spec) => convert_rule(spec)
                .err()
                .map(|e| (line, column, format!("rule {}: {e}", index + 1))),
        };
        if let Some((line, column, message)) = problem
            && line != first.line
            && message != first.message
        {
            problems.push(Problem {
                file: file.to_string(),
                line,
                column: column.max(1),
                message,
            });
        }
    }
    VOCABULARY.with(|v| v.set(previous));
    problems
}

/// The 1-based line and column of byte `offset` of `source`.
fn position(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}
