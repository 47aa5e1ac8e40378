//! Reading one scenario file: serde with `deny_unknown_fields` and enums for every name, so a
//! mistake is reported by serde_json with its line and column and what was expected. Checks that
//! span fields (is this outcome one of this operation's?) run in `TryFrom` conversions *during*
//! deserialisation, so serde_json still attaches the position (the end of the object at fault).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::operations::{Operation, Outcome, Vocabulary};
use super::{
    Fault, InitialState, Matcher, RawAnswer, Rule, Scenario, Steer, Then, Timing, When, template,
};
use crate::vendor::Vendor;

mod every_problem;
mod json_text;
mod matcher;
mod seeds;
pub use every_problem::every_problem;
pub use seeds::{SectionProblem, SeedProblem, seed_problems};

thread_local! {
    /// The vocabulary of the file being parsed: serde's conversions below have no other way to
    /// reach it, and checking names inside them keeps serde_json's error positions.
    static VOCABULARY: std::cell::Cell<Option<&'static Vocabulary>> = const { std::cell::Cell::new(None) };
}

fn vocabulary() -> Result<&'static Vocabulary, String> {
    VOCABULARY
        .with(|v| v.get())
        .ok_or_else(|| "scenario files are parsed through parse_scenario".to_string())
}

/// The longest delay a scenario may give an outcome: ten years of sandbox time.
const MAX_AFTER_SECONDS: f64 = 10.0 * 366.0 * 86_400.0;

/// An error in a scenario file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl Problem {
    /// A file (or folder) that cannot be read, placed at its start (1:1, as editors count).
    pub fn unreadable(path: &std::path::Path, e: &std::io::Error) -> Self {
        Problem {
            file: path.display().to_string(),
            line: 1,
            column: 1,
            message: format!("cannot read: {e}"),
        }
    }

    /// A problem at the first occurrence of `needle` in `source` (1:1 when absent): for checks
    /// that only make sense across files, such as a name used twice.
    pub fn at_text(file: &str, source: &str, needle: &str, message: String) -> Self {
        let offset = source.find(needle).unwrap_or(0);
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        Problem {
            file: file.to_string(),
            line,
            column,
            message,
        }
    }
}

/// Parses and validates `source`, the text of `file`, against the vendors' `vocabulary`.
pub fn parse_scenario(
    file: &str,
    source: &str,
    generation: u64,
    vocabulary: &'static Vocabulary,
) -> Result<Scenario, Problem> {
    let previous = VOCABULARY.with(|v| v.replace(Some(vocabulary)));
    let parsed = serde_json::from_str::<ScenarioFile>(source);
    VOCABULARY.with(|v| v.set(previous));
    let parsed = parsed.map_err(|e| Problem {
        file: file.to_string(),
        // 1-based, as editors count (serde_json says column 0 at a line's end).
        line: e.line().max(1),
        column: e.column().max(1),
        message: message_of(&e),
    })?;
    Ok(Scenario {
        name: parsed.name.0,
        description: parsed.description,
        initial_state: parsed.initial_state.0,
        rules: parsed.rules,
        generation,
    })
}

/// serde_json's message without the position it appends (a [`Problem`] says it its own way).
fn message_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    /// Lets editors find `schema.json`; ignored here.
    #[serde(rename = "$schema", default)]
    _schema: Option<String>,
    name: ScenarioName,
    description: String,
    #[serde(default)]
    initial_state: ParsedInitialState,
    #[serde(default, deserialize_with = "numbered_rules")]
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(try_from = "String")]
struct ScenarioName(String);

/// Each vendor's section of `initial_state`, checked by that vendor (from its text, so
/// `check` can place each problem: [`seed_problems`]).
#[derive(Default, Deserialize)]
#[serde(try_from = "BTreeMap<String, Box<RawValue>>")]
struct ParsedInitialState(InitialState);

impl TryFrom<BTreeMap<String, Box<RawValue>>> for ParsedInitialState {
    type Error = String;
    fn try_from(sections: BTreeMap<String, Box<RawValue>>) -> Result<Self, String> {
        let vocabulary = vocabulary()?;
        let mut state = InitialState::default();
        for (name, section) in sections {
            let terms = seeding_vendor(vocabulary, &name)?;
            if let Some(first) = (terms.check_seed)(section.get()).into_iter().next() {
                return Err(format!("initial_state.{name}: {}", first.message));
            }
            let section = serde_json::from_str(section.get()).map_err(|e| e.to_string())?;
            state.0.insert(terms.vendor, section);
        }
        Ok(ParsedInitialState(state))
    }
}

/// The vendor an `initial_state` section is named after.
fn seeding_vendor(
    vocabulary: &'static Vocabulary,
    name: &str,
) -> Result<&'static super::VendorTerms, String> {
    Vendor::parse(name)
        .filter(|v| v.as_str() == name)
        .and_then(|v| vocabulary.vendor(v))
        .ok_or_else(|| {
            format!(
                "unknown vendor {name:?} in initial_state; expected one of: persona, coinflow, bitmama"
            )
        })
}

impl TryFrom<String> for ScenarioName {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        let valid = (1..=super::MAX_NAME_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid && name != "none" {
            Ok(Self(name))
        } else {
            Err(format!(
                "invalid scenario name {name:?}: expected 1 to 64 of a-z, 0-9 and '-' (and not \"none\")"
            ))
        }
    }
}

/// Rules, each checked as soon as it is read so the error's position is right after it, and its
/// message says which rule (1-based) it is.
fn numbered_rules<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<Rule>, D::Error> {
    struct Rules;
    impl<'de> serde::de::Visitor<'de> for Rules {
        type Value = Vec<Rule>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of rules")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<Rule>, A::Error> {
            let mut rules = Vec::new();
            while let Some(spec) = seq.next_element::<RuleSpec>()? {
                let rule = convert_rule(spec).map_err(|e| {
                    serde::de::Error::custom(format!("rule {}: {e}", rules.len() + 1))
                })?;
                rules.push(rule);
            }
            Ok(rules)
        }
    }
    de.deserialize_seq(Rules)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    when: ParsedWhen,
    then: Option<ThenSpec>,
    latency_ms: Option<u64>,
    fault: Option<Fault>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThenSpec {
    outcome: Option<Outcome>,
    fields: Option<Vec<String>>,
    after_seconds: Option<f64>,
    after_polls: Option<u32>,
    raw: Option<RawAnswer>,
}

#[derive(Deserialize)]
#[serde(try_from = "WhenSpec")]
struct ParsedWhen(When);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenSpec {
    vendor: Vendor,
    operation: String,
    #[serde(default)]
    body: BTreeMap<String, Matcher>,
    #[serde(default)]
    headers: BTreeMap<String, Matcher>,
    #[serde(default)]
    query: BTreeMap<String, Matcher>,
    path: Option<Matcher>,
    nth: Option<u32>,
    times: Option<u32>,
}

impl TryFrom<WhenSpec> for ParsedWhen {
    type Error = String;
    fn try_from(spec: WhenSpec) -> Result<Self, String> {
        let vendor = spec.vendor;
        let vocabulary = vocabulary()?;
        let Some(op) = vocabulary.operation(vendor, &spec.operation) else {
            let names: Vec<&str> = vocabulary
                .operations(vendor)
                .into_iter()
                .map(Operation::as_str)
                .collect();
            return Err(format!(
                "{} has no operation {}; expected one of: {}",
                vendor,
                spec.operation,
                names.join(", ")
            ));
        };
        if spec.nth == Some(0) || spec.times == Some(0) {
            return Err("nth and times count from 1".into());
        }
        if op.is_event()
            && (!spec.headers.is_empty() || !spec.query.is_empty() || spec.path.is_some())
        {
            return Err(format!(
                "{} is an event, not a request: match it with body only (no headers, query or path)",
                op.as_str()
            ));
        }
        let mut body = Vec::new();
        for (path, matcher) in spec.body {
            let segments: Vec<String> = path
                .strip_prefix("$.")
                .unwrap_or(&path)
                .split('.')
                .map(str::to_string)
                .collect();
            if segments.iter().any(String::is_empty) {
                return Err(format!(
                    "invalid body path {path:?}: expected names separated by '.', e.g. \"user.email\" or \"items.0.id\""
                ));
            }
            body.push((segments, matcher));
        }
        Ok(ParsedWhen(When {
            vendor,
            operation: op,
            body,
            headers: spec
                .headers
                .into_iter()
                .map(|(name, m)| (name.to_ascii_lowercase(), m))
                .collect(),
            query: spec.query.into_iter().collect(),
            path: spec.path,
            nth: spec.nth,
            times: spec.times,
        }))
    }
}

/// The longest scenario latency: longer holds a connection for nothing (and past shutdown).
const MAX_LATENCY_MS: u64 = 600_000;

fn convert_rule(spec: RuleSpec) -> Result<Rule, String> {
    {
        let when = spec.when.0;
        let op = when.operation;
        if spec.then.is_none() && spec.latency_ms.is_none() && spec.fault.is_none() {
            return Err("a rule needs at least one of then, latency_ms and fault".into());
        }
        if op.is_event() && (spec.latency_ms.is_some() || spec.fault.is_some()) {
            return Err(format!(
                "{} is an event: it takes a named outcome only (no latency_ms or fault)",
                op.as_str()
            ));
        }
        if spec.fault.is_some() && spec.then.is_some() {
            return Err(
                "a rule with a fault answers nothing else: remove then, or the fault".into(),
            );
        }
        let then = spec
            .then
            .map(|then| convert_then(when.vendor, op, then))
            .transpose()?;
        if let Some(ms) = spec.latency_ms.filter(|&ms| ms > MAX_LATENCY_MS) {
            return Err(format!(
                "latency_ms {ms} is more than {MAX_LATENCY_MS} (ten minutes): a client would give up first"
            ));
        }
        Ok(Rule {
            when,
            then,
            latency: spec.latency_ms.map(Duration::from_millis),
            fault: spec.fault,
        })
    }
}

fn convert_then(vendor: Vendor, op: Operation, then: ThenSpec) -> Result<Then, String> {
    match (then.outcome, then.raw) {
        (Some(_), Some(_)) => Err("then has both outcome and raw: choose one".into()),
        (None, None) => Err("then needs an outcome or a raw answer".into()),
        (None, Some(raw)) => {
            if op.is_event() {
                return Err(format!(
                    "{} is an event: it takes a named outcome, not raw",
                    op.as_str()
                ));
            }
            if then.fields.is_some() || then.after_seconds.is_some() || then.after_polls.is_some() {
                return Err(
                    "fields, after_seconds and after_polls go with an outcome, not raw".into(),
                );
            }
            if !(200..=599).contains(&raw.status) {
                return Err(format!(
                    "raw status {} is not a final HTTP status (200 to 599)",
                    raw.status
                ));
            }
            template::check(raw.body.as_ref().unwrap_or(&Value::Null))?;
            for (name, value) in &raw.headers {
                check_raw_header(name, value)?;
                template::check(&Value::String(value.clone()))?;
            }
            Ok(Then::Raw(raw))
        }
        (Some(outcome), None) => {
            let allowed = vocabulary()?.outcomes(vendor, op);
            if !allowed.contains(&outcome) {
                let names: Vec<&str> = allowed.iter().map(|o| o.as_str()).collect();
                return Err(if names.is_empty() {
                    format!(
                        "{vendor} {} takes no named outcome; use raw, latency_ms or fault",
                        op.as_str()
                    )
                } else {
                    format!(
                        "outcome {} is not one of {vendor} {}'s; expected one of: {}",
                        outcome.as_str(),
                        op.as_str(),
                        names.join(", ")
                    )
                });
            }
            let fields = then.fields.unwrap_or_default();
            match (outcome == Outcome::MissingFields, fields.is_empty()) {
                (true, true) => return Err("missing_fields needs a non-empty fields list".into()),
                (true, false) => {
                    let known = vocabulary()?
                        .vendor(vendor)
                        .map_or(&[][..], |terms| terms.missing_fields);
                    // Spelt exactly as the vendor does, as the schema's enum holds them.
                    if let Some(field) = fields.iter().find(|f| !known.contains(&f.as_str())) {
                        return Err(match known.iter().find(|k| k.eq_ignore_ascii_case(field)) {
                            Some(right) => format!(
                                "missing_fields names {field:?}; {vendor} spells it {right:?}"
                            ),
                            None => format!(
                                "missing_fields names {field:?}, which {vendor} does not ask for; expected some of: {}",
                                known.join(", ")
                            ),
                        });
                    }
                }
                (false, false) => {
                    return Err("fields goes with the missing_fields outcome only".into());
                }
                _ => {}
            }
            let timing = match (then.after_seconds, then.after_polls) {
                (Some(_), Some(_)) => {
                    return Err("after_seconds and after_polls: choose one".into());
                }
                (Some(s), None) if !s.is_finite() || !(0.0..=MAX_AFTER_SECONDS).contains(&s) => {
                    return Err(format!(
                        "after_seconds must be a number from 0 to {MAX_AFTER_SECONDS} (ten years)"
                    ));
                }
                (Some(s), None) => Timing::AfterSeconds(s),
                (None, Some(n)) => Timing::PollsLeft(n),
                (None, None) => Timing::Now,
            };
            Ok(Then::Outcome(Steer {
                outcome,
                fields,
                timing,
            }))
        }
    }
}

/// Headers the server frames the answer with: one a scenario set would contradict the body it
/// sends (a client would wait for bytes that never come, or read the next answer as this one's).
const FRAMING_HEADERS: [&str; 8] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// A raw answer's header: a valid name the server does not frame with, and a value that can
/// be sent (no line breaks or other control characters; placeholders are filled in later).
fn check_raw_header(name: &str, value: &str) -> Result<(), String> {
    if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!(
            "raw header name {name:?} is not a valid HTTP header name"
        ));
    }
    if FRAMING_HEADERS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
        return Err(format!(
            "raw header {name:?} is set by the server from the body it sends; leave it out"
        ));
    }
    if hyper::header::HeaderValue::from_str(value).is_err() {
        return Err(format!(
            "raw header {name:?} has a value with a line break or another control character"
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
