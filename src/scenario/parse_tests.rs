//! Unit tests of scenario file parsing: positions, messages, cross-field checks.

use super::*;

fn problem(source: &str) -> Problem {
    parse_scenario("t.json", source, 1, crate::vendors::vocabulary()).expect_err("invalid")
}

#[test]
fn a_full_rule_parses() {
    let s = parse_scenario(
        "t.json",
        r#"{"name": "x", "description": "d", "rules": [
            {"when": {"vendor": "coinflow", "operation": "get_withdrawer",
                      "query": {"email": {"regex": "^a"}}, "times": 3},
             "then": {"outcome": "approved", "after_polls": 2}, "latency_ms": 5}]}"#,
        7,
        crate::vendors::vocabulary(),
    )
    .expect("valid");
    assert_eq!(s.generation, 7);
    let rule = &s.rules[0];
    assert_eq!(rule.when.times, Some(3));
    assert_eq!(rule.latency, Some(Duration::from_millis(5)));
    assert!(matches!(&rule.then, Some(Then::Outcome(st)) if st.timing == Timing::PollsLeft(2)));
}

#[test]
fn errors_name_line_column_and_what_was_expected() {
    let p = problem("{\"name\": \"x\",\n \"description\": \"d\",\n \"colour\": 1}");
    assert_eq!((p.line, p.column), (3, 9), "{p}");
    assert!(p.message.contains("unknown field `colour`"), "{p}");
    assert!(p.message.contains("expected one of"), "{p}");

    let p = problem(
        "{\"name\": \"x\", \"description\": \"d\", \"rules\": [\n {\"when\": {\"vendor\": \"bitmama\", \"operation\": \"create_user\"},\n  \"then\": {\"outcome\": \"approved\"}}\n]}",
    );
    // Right after the rule at fault, which the message numbers.
    assert_eq!((p.line, p.column), (4, 1), "{p}");
    assert!(p.message.starts_with("rule 1: outcome approved"), "{p}");
    assert!(p.message.contains("duplicate_user"), "{p}");
    assert_eq!(
        p.to_string(),
        format!("t.json:4:{}: {}", p.column, p.message)
    );

    let p = problem(
        r#"{"name": "x", "description": "d", "rules": [{"when": {"vendor": "persona", "operation": "create_user"}, "fault": "reset"}]}"#,
    );
    assert!(
        p.message.contains("persona has no operation create_user"),
        "{p}"
    );

    let p = problem(
        r#"{"name": "x", "description": "d", "rules": [{"when": {"vendor": "persona", "operation": "any"}, "fault": "explode"}]}"#,
    );
    assert!(
        p.message.contains("unknown variant `explode`") && p.message.contains("http_429"),
        "{p}"
    );
}

#[test]
fn cross_field_rules_are_checked() {
    let cases = [
        (
            r#"{"outcome": "missing_fields"}"#,
            "coinflow",
            "get_withdrawer",
            "non-empty fields",
        ),
        (
            r#"{"outcome": "approved", "fields": ["a"]}"#,
            "coinflow",
            "get_withdrawer",
            "missing_fields outcome only",
        ),
        (
            r#"{"outcome": "approved", "raw": {"status": 200}}"#,
            "coinflow",
            "get_withdrawer",
            "choose one",
        ),
        (
            r#"{"raw": {"status": 200}}"#,
            "persona",
            "inquiry_decision",
            "event",
        ),
        (
            r#"{"outcome": "missing_fields", "fields": ["dob", "bogus"]}"#,
            "coinflow",
            "get_withdrawer",
            "\"bogus\", which coinflow does not ask for",
        ),
        (
            r#"{"raw": {"status": 99}}"#,
            "persona",
            "any",
            "not a final HTTP status",
        ),
        (
            r#"{"raw": {"status": 101}}"#,
            "persona",
            "any",
            "not a final HTTP status",
        ),
        (
            r#"{"raw": {"status": 200, "headers": {"Content-Length": "500"}}}"#,
            "persona",
            "any",
            "set by the server",
        ),
        (
            r#"{"raw": {"status": 200, "headers": {"transfer-encoding": "chunked"}}}"#,
            "persona",
            "any",
            "set by the server",
        ),
        (
            r#"{"raw": {"status": 200, "headers": {"bad header": "x"}}}"#,
            "persona",
            "any",
            "not a valid HTTP header name",
        ),
        (
            r#"{"raw": {"status": 200, "headers": {"x-note": "a\r\nset-cookie: b"}}}"#,
            "persona",
            "any",
            "line break",
        ),
        (
            r#"{"raw": {"status": 200, "body": "{{nope}}"}}"#,
            "persona",
            "any",
            "nope",
        ),
        (
            r#"{"outcome": "created"}"#,
            "bitmama",
            "get_wallet",
            "takes no named outcome",
        ),
    ];
    for (then, vendor, op, expected) in cases {
        let source = format!(
            r#"{{"name": "x", "description": "d", "rules": [{{"when": {{"vendor": "{vendor}", "operation": "{op}"}}, "then": {then}}}]}}"#
        );
        let p = problem(&source);
        assert!(p.message.contains(expected), "{then}: {p}");
    }
}

#[test]
fn problem_positions_from_text() {
    let p = Problem::at_text("f", "{\n  \"name\": 1}", "\"name\"", "m".into());
    assert_eq!((p.line, p.column), (2, 3));
}

#[test]
fn delays_are_bounded() {
    let rule = |after: &str| {
        format!(
            r#"{{"name": "x", "description": "d", "rules": [
                {{"when": {{"vendor": "persona", "operation": "inquiry_decision"}},
                  "then": {{"outcome": "approved", "after_seconds": {after}}}}}]}}"#
        )
    };
    assert!(
        parse_scenario(
            "t.json",
            &rule("316224000"),
            1,
            crate::vendors::vocabulary()
        )
        .is_ok()
    );
    let p = problem(&rule("1e300"));
    assert!(
        p.message.contains("after_seconds must be a number from 0"),
        "{p}"
    );
    assert!(problem(&rule("-1")).message.contains("after_seconds"));
    let latency = |ms: u64| {
        format!(
            r#"{{"name": "x", "description": "d", "rules": [
                {{"when": {{"vendor": "persona", "operation": "any"}}, "latency_ms": {ms}}}]}}"#
        )
    };
    assert!(parse_scenario("t.json", &latency(600_000), 1, crate::vendors::vocabulary()).is_ok());
    assert!(
        problem(&latency(99_999_999_999))
            .message
            .contains("latency_ms 99999999999 is more than 600000")
    );
}

/// A file with one problem: `check`'s piece-by-piece reading finds that one alone, in the same
/// words as the whole file's reading; at the same place, but for what the whole reading can
/// only place after the value at fault (a rule's checks, a seed's, an unknown vendor) or just
/// before it (a value of the wrong type), which this places at it.
#[test]
fn every_problem_of_a_file_with_one_is_the_one_parse_finds() {
    let named = |rest: &str| format!(r#"{{"name": "x", "description": "d"{rest}}}"#);
    let any = r#"{"when": {"vendor": "persona", "operation": "any"}"#;
    let cases = [
        (named(r#", "extra": 1"#), true),
        (named(r#", "name": "y""#), true),
        (r#"{"name": "x"}"#.to_string(), true),
        (r#"{"name": "Bad", "description": "d"}"#.to_string(), true),
        (named(r#", "$schema": 1"#), true),
        // serde places it before the value (the last byte it read), this at the value.
        (named(r#", "initial_state": []"#), false),
        (named(r#", "initial_state": {"stripe": {}}"#), false),
        (named(r#", "rules": {}"#), false),
        (named(&format!(r#", "rules": [{any}, "bogus": 1}}]"#)), true),
        (
            named(r#", "initial_state": {"persona": {"inquiries": [{"status": "nope"}]}}"#),
            false,
        ),
        (
            named(
                r#", "initial_state": {"bitmama": {"users": [{"email": "x", "status": "approved"}]}}"#,
            ),
            false,
        ),
        (named(&format!(r#", "rules": [{any}}}]"#)), false),
    ];
    for (source, same_place) in cases {
        let first = problem(&source);
        let all = every_problem(
            "t.json",
            &source,
            first.clone(),
            crate::vendors::vocabulary(),
        );
        assert_eq!(all.len(), 1, "{source}: {all:?}");
        assert_eq!(all[0].message, first.message, "{source}");
        if same_place {
            assert_eq!(
                (all[0].line, all[0].column),
                (first.line, first.column),
                "{source}"
            );
        }
    }
    // Not an object read to its end: the whole reading's problem alone.
    for source in [r#"{"name": "x","#, "[]", r#"{"name": "x"} 1"#] {
        let first = problem(source);
        assert_eq!(
            every_problem(
                "t.json",
                source,
                first.clone(),
                crate::vendors::vocabulary()
            ),
            [first]
        );
    }
}
