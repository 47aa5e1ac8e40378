//! Pure matching: which rule of a scenario applies to one call, and the counters it moves.
//! No locks, no I/O, no vendor: an owned [`Subject`] in, a [`Decision`] out.

use serde_json::{Map, Value};

use super::{Decision, Matcher, Operation, RuleCounter, Scenario, Steer, Then, Timing, When};
use crate::http::{ApiRequest, parse_query};
use crate::vendor::Vendor;

/// What a rule's `when` looks at: a request, or the JSON a vendor describes an event with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    pub method: String,
    pub path: String,
    /// Lowercased names.
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    /// A JSON body, or a form body as an object of strings; `Null` when neither.
    pub body: Value,
}

impl Subject {
    /// Whether `req`'s body is read as form fields rather than JSON.
    pub fn has_form_body(req: &ApiRequest) -> bool {
        req.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
    }

    pub fn from_request(req: &ApiRequest) -> Self {
        let body = if Self::has_form_body(req) {
            let fields: Map<String, Value> = parse_query(&String::from_utf8_lossy(&req.body))
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            Value::Object(fields)
        } else {
            serde_json::from_slice(&req.body).unwrap_or(Value::Null)
        };
        Self {
            method: req.method.to_string(),
            path: req.path.clone(),
            headers: req
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                .collect(),
            query: req.query.clone(),
            body,
        }
    }

    /// An event described by `body` (e.g. an inquiry's attributes, a webhook payload).
    pub fn from_json(body: Value) -> Self {
        Self {
            body,
            ..Self::default()
        }
    }

    /// The value at `path` in the body (object keys, or array indices for arrays).
    pub fn body_at(&self, path: &[String]) -> Option<&Value> {
        path.iter()
            .try_fold(&self.body, |value, segment| match value {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }
}

impl Matcher {
    /// Whether `value` satisfies this matcher. Strings are compared as they are; other JSON
    /// by equality.
    pub fn test(&self, value: &Value) -> bool {
        match (self, value) {
            (Matcher::Equals(expected), actual) => expected == actual,
            (Matcher::Contains(Value::String(part)), Value::String(s)) => s.contains(part.as_str()),
            (Matcher::Contains(item), Value::Array(items)) => items.contains(item),
            (Matcher::Contains(_), _) => false,
            (Matcher::Regex(pattern), Value::String(s)) => pattern.0.is_match(s),
            (Matcher::Regex(_), _) => false,
        }
    }

    fn test_text(&self, text: Option<&str>) -> bool {
        text.is_some_and(|t| self.test(&Value::String(t.to_string())))
    }
}

impl When {
    /// Everything but the counters: vendor, operation, body, headers, query, path.
    pub fn matches(&self, vendor: Vendor, operation: Operation, subject: &Subject) -> bool {
        let operation_matches = self.operation == operation
            || (self.operation == Operation::ANY && !operation.is_event());
        let lookup = |pairs: &[(String, String)], name: &str| -> Option<String> {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        self.vendor == vendor
            && operation_matches
            && self
                .body
                .iter()
                .all(|(path, m)| subject.body_at(path).is_some_and(|v| m.test(v)))
            && self
                .headers
                .iter()
                .all(|(name, m)| m.test_text(lookup(&subject.headers, name).as_deref()))
            && self
                .query
                .iter()
                .all(|(name, m)| m.test_text(lookup(&subject.query, name).as_deref()))
            && self
                .path
                .as_ref()
                .is_none_or(|m| m.test_text(Some(&subject.path)))
    }
}

/// Decides one call of `operation` (`Operation::ANY` is never asked: it is what rules say).
/// Every rule whose `when` matches counts the call (`nth` counts those); the first rule that
/// then applies (its `nth` is this call, its `times` not used up) decides. `counters` is
/// the scenario's, one per rule.
pub fn decide(
    scenario: &Scenario,
    counters: &mut [RuleCounter],
    vendor: Vendor,
    operation: Operation,
    subject: &Subject,
) -> Decision {
    let mut decision = Decision::default();
    for (index, (rule, counter)) in scenario.rules.iter().zip(counters.iter_mut()).enumerate() {
        if !rule.when.matches(vendor, operation, subject) {
            continue;
        }
        counter.seen += 1;
        if decision.rule.is_some() {
            continue;
        }
        let nth_ok = rule.when.nth.is_none_or(|n| n == counter.seen);
        let times_ok = rule.when.times.is_none_or(|t| counter.applied < t);
        if !(nth_ok && times_ok) {
            continue;
        }
        counter.applied += 1;
        decision.rule = Some((scenario.name.clone(), index));
        decision.latency = rule.latency;
        decision.fault = rule.fault;
        match &rule.then {
            Some(Then::Outcome(steer)) => decision.steer = Some(timed(steer, counter.applied)),
            Some(Then::Raw(raw)) => decision.raw = Some(raw.clone()),
            None => {}
        }
    }
    decision
}

/// `after_polls: N`: the first N calls the rule applies to see the pending state.
fn timed(steer: &Steer, applied: u32) -> Steer {
    let timing = match steer.timing {
        Timing::PollsLeft(n) if applied <= n => Timing::PollsLeft(n - applied + 1),
        Timing::PollsLeft(_) => Timing::Now,
        other => other,
    };
    Steer {
        timing,
        ..steer.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse::parse_scenario;
    use crate::scenario::{Fault, Outcome};
    use serde_json::json;

    fn scenario(rules: Value) -> Scenario {
        let source = json!({"name": "t", "description": "d", "rules": rules}).to_string();
        parse_scenario("t.json", &source, 1, crate::vendors::vocabulary()).expect("valid")
    }

    fn run(
        s: &Scenario,
        counters: &mut Vec<RuleCounter>,
        op: Operation,
        subject: &Subject,
    ) -> Decision {
        counters.resize(s.rules.len(), RuleCounter::default());
        decide(s, counters, Vendor::Bitmama, op, subject)
    }

    fn outcome(d: &Decision) -> Option<Outcome> {
        d.steer.as_ref().map(|s| s.outcome)
    }

    #[test]
    fn body_header_query_and_path_matchers() {
        let s = scenario(json!([{
            "when": {"vendor": "bitmama", "operation": "create_user",
                     "body": {"email": {"regex": "@dup\\.test$"}, "$.tags": {"contains": "vip"},
                              "profile.age": {"equals": 30}},
                     "headers": {"X-Team": {"equals": "a"}},
                     "query": {"mode": {"contains": "str"}},
                     "path": {"contains": "users"}},
            "then": {"outcome": "duplicate_user"}}]));
        let subject = Subject {
            path: "/api/v2/partner/card/users".into(),
            headers: vec![("x-team".into(), "a".into())],
            query: vec![("mode".into(), "strict".into())],
            body: json!({"email": "x@dup.test", "tags": ["vip"], "profile": {"age": 30}}),
            ..Subject::default()
        };
        let mut c = Vec::new();
        assert_eq!(
            outcome(&run(
                &s,
                &mut c,
                Operation::request("create_user"),
                &subject
            )),
            Some(Outcome::DuplicateUser)
        );
        assert_eq!(
            run(&s, &mut c, Operation::request("create_card"), &subject),
            Decision::default()
        );
        for broken in [
            Subject {
                body: json!({"email": "x@ok.test", "tags": ["vip"], "profile": {"age": 30}}),
                ..subject.clone()
            },
            Subject {
                body: json!({"email": "x@dup.test", "tags": [], "profile": {"age": 30}}),
                ..subject.clone()
            },
            Subject {
                body: json!({"email": "x@dup.test", "tags": ["vip"], "profile": {"age": "30"}}),
                ..subject.clone()
            },
            Subject {
                headers: vec![],
                ..subject.clone()
            },
            Subject {
                query: vec![("mode".into(), "lax".into())],
                ..subject.clone()
            },
            Subject {
                path: "/other".into(),
                ..subject.clone()
            },
        ] {
            assert_eq!(
                run(&s, &mut c, Operation::request("create_user"), &broken),
                Decision::default(),
                "{broken:?}"
            );
        }
    }

    #[test]
    fn nth_and_times_count_per_rule_and_first_applicable_rule_wins() {
        let s = scenario(json!([
            {"when": {"vendor": "bitmama", "operation": "create_user", "nth": 2}, "fault": "http_500"},
            {"when": {"vendor": "bitmama", "operation": "create_user", "times": 2},
             "then": {"outcome": "insufficient_balance"}},
            {"when": {"vendor": "bitmama", "operation": "any"}, "latency_ms": 10},
        ]));
        let mut c = Vec::new();
        let calls: Vec<Decision> = (0..4)
            .map(|_| {
                run(
                    &s,
                    &mut c,
                    Operation::request("create_user"),
                    &Subject::default(),
                )
            })
            .collect();
        assert_eq!(outcome(&calls[0]), Some(Outcome::InsufficientBalance));
        assert_eq!(calls[1].fault, Some(Fault::Http500));
        assert_eq!(calls[1].rule, Some(("t".into(), 0)));
        assert_eq!(outcome(&calls[2]), Some(Outcome::InsufficientBalance));
        assert_eq!(
            calls[3].latency,
            Some(std::time::Duration::from_millis(10)),
            "times used up: falls through to `any`"
        );
        assert_eq!(
            c[0],
            RuleCounter {
                seen: 4,
                applied: 1
            }
        );
        assert_eq!(
            c[1],
            RuleCounter {
                seen: 4,
                applied: 2
            }
        );
    }

    #[test]
    fn any_never_matches_events() {
        let s = scenario(
            json!([{"when": {"vendor": "bitmama", "operation": "any"}, "fault": "reset"}]),
        );
        let mut c = Vec::new();
        assert_eq!(
            run(&s, &mut c, Operation::WEBHOOK, &Subject::default()),
            Decision::default()
        );
        assert_eq!(
            run(
                &s,
                &mut c,
                Operation::request("get_wallet"),
                &Subject::default()
            )
            .fault,
            Some(Fault::Reset)
        );
    }

    #[test]
    fn after_polls_counts_down_then_applies() {
        let s = scenario(
            json!([{"when": {"vendor": "coinflow", "operation": "get_withdrawer"},
                                 "then": {"outcome": "approved", "after_polls": 2}}]),
        );
        let mut c = vec![RuleCounter::default()];
        let timings: Vec<Timing> = (0..4)
            .map(|_| {
                let d = decide(
                    &s,
                    &mut c,
                    Vendor::Coinflow,
                    Operation::request("get_withdrawer"),
                    &Subject::default(),
                );
                d.steer.expect("steered").timing
            })
            .collect();
        assert_eq!(
            timings,
            [
                Timing::PollsLeft(2),
                Timing::PollsLeft(1),
                Timing::Now,
                Timing::Now
            ]
        );
    }

    #[test]
    fn due_time_of_after_seconds() {
        let s = scenario(
            json!([{"when": {"vendor": "persona", "operation": "inquiry_decision"},
                                 "then": {"outcome": "declined", "after_seconds": 1.5}}]),
        );
        let mut c = vec![RuleCounter::default()];
        let d = decide(
            &s,
            &mut c,
            Vendor::Persona,
            Operation::event("inquiry_decision"),
            &Subject::from_json(json!({})),
        );
        let steer = d.steer.expect("steered");
        assert!(!steer.is_due());
        assert_eq!(steer.due_at_ms(1_000), Some(2_500));
    }
}
