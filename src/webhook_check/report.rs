//! What `webhooks check` found: one [`Outcome`] per case, as a table or JSON, and the exit code.

use serde::Serialize;

use super::Expect;
use crate::vendors::Vendor;

/// How one case went.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub name: &'static str,
    /// The vendor rule the case comes from.
    pub rule: String,
    pub expected: Expect,
    /// `false` for advisory cases: reported, but they do not fail the check.
    pub required: bool,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why there is no status (connection refused, timeout, ...).
    pub error: Option<String>,
    /// Why the answer shows nothing about the case's rule: a replay of a delivery that was
    /// not accepted is refused whether or not the receiver detects replays.
    pub unjudged: Option<String>,
    /// The receiver answered as it should: 2xx to `accept`, anything else to `refuse`.
    pub ok: bool,
}

impl Outcome {
    fn verdict(&self) -> &'static str {
        match (
            self.ok,
            self.error.is_some(),
            self.unjudged.is_some(),
            self.required,
        ) {
            (true, _, _, _) => "ok",
            (false, true, _, _) => "ERROR",
            (false, false, true, _) => "n/a",
            (false, false, false, true) => "WRONG",
            (false, false, false, false) => "warn",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub vendor: Vendor,
    pub url: String,
    pub event: String,
    /// The timestamp tolerance the timestamp cases assume (none for Bitmama).
    pub tolerance_secs: Option<i64>,
    /// Every required case answered as it should, and every case got an answer that shows
    /// something.
    pub ok: bool,
    pub summary: Summary,
    pub cases: Vec<Outcome>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    pub cases: usize,
    pub ok: usize,
    /// Required cases answered wrongly: these fail the check.
    pub wrong: usize,
    /// Advisory cases answered wrongly.
    pub warnings: usize,
    /// Cases with no answer.
    pub errors: usize,
    /// Cases whose answer shows nothing (see [`Outcome::unjudged`]).
    pub unjudged: usize,
}

impl Report {
    pub fn new(
        vendor: Vendor,
        url: &str,
        event: &str,
        tolerance_secs: Option<i64>,
        cases: Vec<Outcome>,
    ) -> Report {
        let count = |verdict: &str| cases.iter().filter(|c| c.verdict() == verdict).count();
        let summary = Summary {
            cases: cases.len(),
            ok: count("ok"),
            wrong: count("WRONG"),
            warnings: count("warn"),
            errors: count("ERROR"),
            unjudged: count("n/a"),
        };
        Report {
            vendor,
            url: url.to_string(),
            event: event.to_string(),
            tolerance_secs,
            ok: summary.wrong == 0 && summary.errors == 0 && summary.unjudged == 0,
            summary,
            cases,
        }
    }

    /// 0: everything required was right; 1: the receiver answered a required case wrongly
    /// (accepted what it must refuse, or refused a valid delivery); 2: the check could not be
    /// completed (no answer to some case, or one that shows nothing).
    pub fn exit_code(&self) -> u8 {
        if self.summary.wrong > 0 {
            1
        } else if self.summary.errors > 0 || self.summary.unjudged > 0 {
            2
        } else {
            0
        }
    }

    /// A fixed-width table, one line per case, and a summary line.
    pub fn to_table(&self) -> String {
        let got = |c: &Outcome| match (c.status, &c.error) {
            (Some(status), _) => status.to_string(),
            (None, Some(_)) => "-".to_string(),
            (None, None) => "?".to_string(),
        };
        let width = self
            .cases
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut out = format!(
            "webhooks check: {} {} -> {}\n\n{:width$}  EXPECT  GOT  RESULT  RULE\n",
            self.vendor, self.event, self.url, "CASE"
        );
        for c in &self.cases {
            let expected = match c.expected {
                Expect::Accept => "accept",
                Expect::Refuse => "refuse",
            };
            let mut rule = c.rule.clone();
            if !c.required {
                rule.push_str(" [advisory]");
            }
            if let Some(why) = c.error.as_ref().or(c.unjudged.as_ref()) {
                rule = format!("{rule} ({why})");
            }
            out.push_str(&format!(
                "{:width$}  {expected:6}  {:3}  {:6}  {rule}\n",
                c.name,
                got(c),
                c.verdict(),
            ));
        }
        let s = self.summary;
        let verdict = match self.exit_code() {
            0 => "PASSED",
            1 => "FAILED: the receiver answered a required case wrongly",
            _ => "INCOMPLETE: some cases got no answer",
        };
        // Only a refused valid delivery leaves a case unjudged: said when it happens.
        let unjudged = match s.unjudged {
            0 => String::new(),
            n => format!(", {n} not judged"),
        };
        out.push_str(&format!(
            "\n{} cases: {} ok, {} wrong, {} advisory warnings, {} errors{unjudged}. {verdict}\n",
            s.cases, s.ok, s.wrong, s.warnings, s.errors
        ));
        out
    }
}
