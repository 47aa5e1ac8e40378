//! The scenario engine: JSON files that steer the vendors' real, stateful behaviour for one story
//! (duplicate user, pending verification, a webhook outage...). The engine knows no vendor: it
//! decides *which* outcome applies; each vendor renders it in its own shapes and envelopes.
//!
//! # How a request is steered
//!
//! The router finds the request's row in its vendor's route table; the row names the operation.
//! `crate::steering` asks [`Catalog::decide`], and the [`Decision`] it gets is applied in this
//! order: `latency` is awaited in `server.rs` with no lock held; a `fault` is answered without the
//! vendor (`reset` drops the connection, `timeout` never answers, `http_5xx`/`http_429` use the
//! vendor's error envelope); a `raw` answer is rendered by [`template`] and returned as is; a
//! named outcome is handed to the vendor's handler as `Ctx::steer`.
//!
//! # What vendor code does
//!
//! - For its request's own operation: read `cx.steer` (`Option<Steer>`); `None` is the built-in
//!   behaviour. `steer.outcome` is the named outcome, `steer.fields` its fields
//!   (`missing_fields`), `steer.timing` when it takes effect ([`Timing`]).
//! - For an event, i.e. a decision inside the vendor (an inquiry being decided at hosted-page
//!   submit, a webhook attempt), with the world locked:
//!   `app.scenarios.decide(&mut world, Some(req), vendor, EVENT_OPERATION, &subject)` and read
//!   `.steer`. Pass `None` for the request when there is none (the webhook worker). The subject
//!   is what `when.body` matches against.
//!
//! # What the engine knows of the vendors
//!
//! Nothing of its own: the [`Vocabulary`] handed to [`Catalog::load`] (built by the vendor layer
//! from its route tables) lists each vendor's operations and their outcomes, its magic words
//! ([`magic`] finds the word, the vendor says what it means) and how it checks and seeds its
//! section of `initial_state` ([`initial`]).
//!
//! Counters (`nth`, `times`, `after_polls`) live in the namespace's [`World`](crate::store::World) (`world.scenario`),
//! so a reset clears them; a reloaded scenario starts counting afresh.

pub mod catalog;
pub mod check;
pub mod counters;
pub mod initial;
pub mod magic;
pub mod matching;
pub mod operations;
pub mod parse;
pub mod template;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use catalog::Catalog;
pub use counters::{NamespaceScenario, RuleCounter};
pub use matching::Subject;
pub use operations::{Operation, OperationTerms, Outcome, VendorTerms, Vocabulary};
pub use parse::{Problem, SeedProblem};

use crate::clock::Millis;
use crate::vendor::Vendor;

/// The header that picks a scenario for one request.
pub const SCENARIO_HEADER: &str = "x-sandbox-scenario";

/// The longest scenario name: a file's is 1 to 64 of `a-z 0-9 -`, and a longer name a client
/// asks for is refused as such rather than looked up and echoed whole.
pub const MAX_NAME_LEN: usize = 64;

/// One validated scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub initial_state: InitialState,
    pub rules: Vec<Rule>,
    /// Its text's digest: distinguishes edited versions, so counters of an older version are
    /// not reused, and is the same in every process that reads the same text.
    pub generation: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub when: When,
    pub then: Option<Then>,
    pub latency: Option<Duration>,
    pub fault: Option<Fault>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct When {
    pub vendor: Vendor,
    pub operation: Operation,
    /// JSON path (split on `.`) and what the value there must satisfy.
    pub body: Vec<(Vec<String>, Matcher)>,
    /// Lowercased header names.
    pub headers: Vec<(String, Matcher)>,
    pub query: Vec<(String, Matcher)>,
    pub path: Option<Matcher>,
    /// Applies only to the nth call (1-based) that matches the rest of `when`.
    pub nth: Option<u32>,
    /// Applies at most this many times.
    pub times: Option<u32>,
}

/// A test on one value (read from a file in `parse/matcher.rs`).
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Equal JSON (strings also equal a header or query value).
    Equals(Value),
    /// A substring of a string, or an element of an array.
    Contains(Value),
    /// A regular expression a string matches anywhere (anchor with `^...$`).
    Regex(Pattern),
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Matcher::Equals(a), Matcher::Equals(b))
            | (Matcher::Contains(a), Matcher::Contains(b)) => a == b,
            (Matcher::Regex(a), Matcher::Regex(b)) => a.0.as_str() == b.0.as_str(),
            _ => false,
        }
    }
}

/// A compiled regular expression, checked when the file is read.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Pattern(pub regex::Regex);

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(source: String) -> Result<Self, String> {
        regex::Regex::new(&source)
            .map(Pattern)
            .map_err(|e| format!("invalid regex {source:?}: {e}"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Then {
    Outcome(Steer),
    Raw(RawAnswer),
}

/// A named outcome, handed to the vendor that renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct Steer {
    pub outcome: Outcome,
    /// The fields a `missing_fields` outcome names; empty otherwise.
    pub fields: Vec<String>,
    pub timing: Timing,
}

/// When a named outcome takes effect; until then the vendor shows its pending state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    Now,
    /// After this many seconds of sandbox time, counted from when the vendor asked: the vendor
    /// keeps the due time on its entity ([`Steer::due_at_ms`]) and applies it when read.
    AfterSeconds(f64),
    /// Not yet: this many more matching calls still see the pending state.
    PollsLeft(u32),
}

impl Steer {
    /// `outcome`, at once, naming no fields.
    pub fn now(outcome: Outcome) -> Steer {
        Steer {
            outcome,
            fields: Vec::new(),
            timing: Timing::Now,
        }
    }

    /// True when the outcome applies now (no delay, or the polls are used up).
    pub fn is_due(&self) -> bool {
        self.timing == Timing::Now
    }

    /// The sandbox time at which the outcome applies, given the time of the decision.
    pub fn due_at_ms(&self, now_ms: Millis) -> Option<Millis> {
        match self.timing {
            Timing::Now => Some(now_ms),
            Timing::AfterSeconds(s) => Some(now_ms.saturating_add((s * 1000.0) as Millis)),
            Timing::PollsLeft(_) => None,
        }
    }
}

/// A literal answer; strings in `body` and `headers` may hold `{{placeholders}}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnswer {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Close the connection without answering.
    Reset,
    /// Never answer (until the client gives up or the server shuts down).
    Timeout,
    #[serde(rename = "http_500")]
    Http500,
    #[serde(rename = "http_503")]
    Http503,
    #[serde(rename = "http_429")]
    Http429,
}

impl Fault {
    pub fn status(self) -> Option<u16> {
        match self {
            Fault::Http500 => Some(500),
            Fault::Http503 => Some(503),
            Fault::Http429 => Some(429),
            Fault::Reset | Fault::Timeout => None,
        }
    }
}

/// What applies to one call. `Default` is "no scenario rule applies": the built-in behaviour.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// Scenario name and rule index (0-based) that applied, for logs.
    pub rule: Option<(String, usize)>,
    pub steer: Option<Steer>,
    pub raw: Option<RawAnswer>,
    pub latency: Option<Duration>,
    pub fault: Option<Fault>,
}

/// Data a scenario starts a namespace with: each vendor's section as written, checked when the
/// file is read and seeded by that vendor (see [`Vocabulary`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InitialState(pub BTreeMap<Vendor, Value>);

impl InitialState {
    /// `vendor`'s section, if the file has one.
    pub fn section(&self, vendor: Vendor) -> Option<&Value> {
        self.0.get(&vendor)
    }
}
