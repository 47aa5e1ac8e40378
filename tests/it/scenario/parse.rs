//! Reading one scenario file: messages that say what is wrong, and the parser and
//! `scenarios/schema.json` agreeing on what is refused.

use serde_json::{Value, json};
use vendor_sandbox::scenario::parse::{Problem, parse_scenario};

use super::repo;

fn parse(text: &str) -> Result<(), Problem> {
    parse_scenario("s.json", text, 1, vendor_sandbox::vendors::vocabulary()).map(|_| ())
}

/// A scenario of one rule on Coinflow's Get Withdrawer, matching `body.email` with `matcher`
/// (which starts on line 3, column 23).
fn with_body_matcher(matcher: &str) -> String {
    format!(
        "{{\"name\": \"m\", \"description\": \"d\", \"rules\": [\n  {{\"when\": {{\"vendor\": \"coinflow\", \"operation\": \"get_withdrawer\",\n    \"body\": {{\"email\": {matcher}}}}}, \"latency_ms\": 5}}\n]}}"
    )
}

#[test]
fn a_matcher_that_is_not_exactly_one_test_says_so_and_what_it_has() {
    let cases = [
        (
            "{}",
            "3:24",
            "a matcher is exactly one of equals, contains or regex; this one has none",
        ),
        (
            "{\"equals\": \"a\", \"regex\": \"b\"}",
            "3:51",
            "a matcher is exactly one of equals, contains or regex; this one has equals and regex",
        ),
        (
            "{\"like\": \"a\"}",
            "3:29",
            "unknown matcher `like`, expected one of equals, contains or regex",
        ),
        (
            "\"a@b\"",
            "3:27",
            "invalid type: string \"a@b\", expected a matcher",
        ),
    ];
    for (matcher, at, message) in cases {
        let problem = parse(&with_body_matcher(matcher)).expect_err(matcher);
        let found = format!("{}:{}: {}", problem.line, problem.column, problem.message);
        assert!(
            found.starts_with(&format!("{at}: {message}")),
            "{matcher}: {found}"
        );
    }
    for good in [
        "{\"equals\": \"a\"}",
        "{\"contains\": 1}",
        "{\"regex\": \"^a\"}",
    ] {
        parse(&with_body_matcher(good)).unwrap_or_else(|p| panic!("{good}: {p}"));
    }
    let bad_regex = parse(&with_body_matcher("{\"regex\": \"(\"}")).expect_err("regex");
    assert!(
        bad_regex.message.starts_with("invalid regex \"(\""),
        "{bad_regex}"
    );
}

#[test]
fn missing_fields_are_spelt_as_coinflow_spells_them_by_the_parser_and_the_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("scenarios/schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let with_fields = |fields: Value| {
        json!({"name": "f", "description": "d", "rules": [
            {"when": {"vendor": "coinflow", "operation": "get_withdrawer"},
             "then": {"outcome": "missing_fields", "fields": fields}}
        ]})
    };
    let good = with_fields(json!(["dob", "physicalAddress"]));
    assert!(validator.is_valid(&good));
    parse(&good.to_string()).unwrap_or_else(|p| panic!("{p}"));
    for (given, right) in [("DOB", "dob"), ("physicaladdress", "physicalAddress")] {
        let bad = with_fields(json!(["zip", given]));
        assert!(!validator.is_valid(&bad), "the schema refuses {given}");
        let problem = parse(&bad.to_string()).expect_err(given);
        assert!(
            problem.message.contains(&format!(
                "missing_fields names {given:?}; coinflow spells it {right:?}"
            )),
            "{problem}"
        );
    }
}
