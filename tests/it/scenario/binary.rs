//! The binary: refusing to start on an invalid file, `check`, `scenarios`, the reload warning.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use super::{TempDir, repo, scenario};
use crate::harness::WAIT;

const BIN: &str = env!("CARGO_BIN_EXE_vendor-sandbox");

fn sandbox(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("VENDOR_SANDBOX_PORT")
        .env_remove("VENDOR_SANDBOX_SCENARIOS")
        .env_remove("VENDOR_SANDBOX_SCENARIO");
    command
}

#[test]
fn an_invalid_file_stops_the_start_with_one_clear_message() {
    let dir = TempDir::new("bad-start");
    dir.write("bad.json", "{\"name\": \"bad\", \"description\": \"d\",\n \"rules\": [{\"when\": {\"vendor\": \"bitmama\", \"operation\": \"create_usr\"}}]}");
    let output = sandbox(&["--port", "0", "--scenarios", dir.0.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("bad.json:2:")
            && stderr.contains("no operation create_usr")
            && stderr.contains("create_user"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).is_empty(),
        "nothing served"
    );

    let unknown = sandbox(&["--port", "0", "--scenario", "nope"])
        .output()
        .expect("run");
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("valid names: bank-account-refused, duplicate-user")
    );
}

#[test]
fn a_bad_file_is_named_once_by_scenarios_and_at_start() {
    let dir = TempDir::new("bad-once");
    dir.write("bad.json", "{\"name\": \"bad\",");
    let folder = dir.0.to_str().expect("utf-8");
    for args in [
        &["scenarios", "--scenarios", folder][..],
        &["--port", "0", "--scenarios", folder][..],
    ] {
        let output = sandbox(args).output().expect("run");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // Said once, by the command; not again as if a running server had reloaded it.
        assert_eq!(
            stderr.matches("bad.json:1:").count(),
            1,
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("last good version"), "{args:?}: {stderr}");
    }
}

#[test]
fn check_prints_every_error_and_scenarios_lists_them() {
    let dir = TempDir::new("check");
    dir.write("good.json", &scenario("good", "fine", json!([])));
    let ok = sandbox(&["check", dir.0.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let shipped = sandbox(&["check", repo("scenarios").to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert!(
        shipped.status.success(),
        "{}",
        String::from_utf8_lossy(&shipped.stderr)
    );

    dir.write(
        "one.json",
        "{\"name\": \"one\", \"description\": \"d\", \"extra\": true}",
    );
    dir.write(
        "two.json",
        "{\"name\": \"good\", \"description\": \"same name\"}",
    );
    dir.write("three.json", "{\"name\": \"three\",");
    // Two broken rules and a good one between: both broken ones are named, where they are.
    dir.write(
        "four.json",
        concat!(
            "{\"name\": \"four\", \"description\": \"d\", \"rules\": [\n",
            "  {\"when\": {\"vendor\": \"persona\", \"operation\": \"any\"}, \"bogus\": 1},\n",
            "  {\"when\": {\"vendor\": \"persona\", \"operation\": \"any\"}, \"latency_ms\": 5},\n",
            "  {\"when\": {\"vendor\": \"persona\", \"operation\": \"any\"}, \"latency_ms\": 99999999}\n",
            "]}"
        ),
    );
    let bad = sandbox(&["check", dir.0.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    for expected in [
        "one.json:1:",
        "unknown field `extra`",
        "two.json:1:2: scenario name \"good\" is already used",
        "three.json:1:",
        "four.json:2:",
        "unknown field `bogus`",
        "four.json:4:3: rule 3: latency_ms 99999999 is more than 600000",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }

    // The folder the server would load (`--scenarios`, or its variable) is checked too.
    let by_option = sandbox(&["check", "--scenarios", dir.0.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert_eq!(by_option.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&by_option.stderr).contains("four.json:4:3"));

    let list = sandbox(&[
        "scenarios",
        "--scenarios",
        repo("scenarios").to_str().expect("utf-8"),
    ])
    .output()
    .expect("run");
    let stdout = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success());
    assert_eq!(stdout.lines().count(), 13, "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("duplicate-user") && l.contains("DUP_USER")),
        "{stdout}"
    );
}

#[test]
fn check_names_every_problem_outside_the_rules_where_it_is() {
    let dir = TempDir::new("check-outside");
    dir.write(
        "messy.json",
        concat!(
            "{\n",
            "  \"name\": \"Bad Name\",\n",
            "  \"description\": 5,\n",
            "  \"colour\": \"red\",\n",
            "  \"initial_state\": {\n",
            "    \"persona\": {\"inquiries\": [{\"status\": \"nope\"}, {\"status\": \"approved\", \"bogus\": 1}]},\n",
            "    \"stripe\": {},\n",
            "    \"bitmama\": {\"wallets\": {\"*\": {\"balance_cents\": -5}},\n",
            "                \"users\": [{\"email\": \"x\", \"status\": \"approved\"}, {\"email\": \"y\", \"status\": \"approved\"}]}\n",
            "  },\n",
            "  \"rules\": [{\"when\": {\"vendor\": \"persona\", \"operation\": \"any\"}, \"latency_ms\": 99999999}],\n",
            "  \"name\": \"again\"\n",
            "}\n",
        ),
    );
    dir.write("empty.json", "{\"rules\": 5}");
    let output = sandbox(&["check", dir.0.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let problems: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split_once(".json:").map(|(_, p)| p))
        .collect();
    let expected = [
        "1:11: invalid type: integer `5`, expected an array of rules",
        "1:12: missing field `name`",
        "1:12: missing field `description`",
        "2:20: invalid scenario name \"Bad Name\"",
        "3:18: invalid type: integer `5`, expected a string",
        "4:10: unknown field `colour`",
        "6:47: initial_state.persona: unknown variant `nope`",
        "6:80: initial_state.persona: unknown field `bogus`",
        "7:12: unknown vendor \"stripe\" in initial_state",
        "8:52: initial_state.bitmama: wallets.*.balance_cents is -5",
        "9:37: initial_state.bitmama: users[0].email \"x\" is not a valid email address",
        "9:75: initial_state.bitmama: users[1].email \"y\" is not a valid email address",
        "11:13: rule 1: latency_ms 99999999",
        "12:8: duplicate field `name`",
    ];
    assert_eq!(problems.len(), expected.len(), "{stderr}");
    for (problem, expected) in problems.iter().zip(expected) {
        assert!(problem.starts_with(expected), "{expected} in {stderr}");
    }
}

/// A rule's problem at the rule (not where the rules end), and three bad rules all named: the
/// file that fails at start-up is read piece by piece, as `check` reads it.
pub(super) fn write_many_problems(dir: &TempDir) {
    dir.write(
        "fields.json",
        concat!(
            "{\"name\": \"fields\", \"description\": \"d\", \"rules\": [\n",
            "  {\"when\": {\"vendor\": \"coinflow\", \"operation\": \"get_withdrawer\"},\n",
            "   \"then\": {\"outcome\": \"missing_fields\", \"fields\": [\"ssn\"]}}\n",
            "]}\n",
        ),
    );
    dir.write(
        "slow.json",
        concat!(
            "{\"name\": \"slow\", \"description\": \"d\", \"rules\": [\n",
            "  {\"when\": {\"vendor\": \"persona\", \"operation\": \"any\"}, \"latency_ms\": 700000},\n",
            "  {\"when\": {\"vendor\": \"persona\", \"operation\": \"any\"}, \"latency_ms\": 800000},\n",
            "  {\"when\": {\"vendor\": \"persona\", \"operation\": \"any\"}, \"latency_ms\": 900000}\n",
            "]}\n",
        ),
    );
}

/// The problems `write_many_problems` makes, as `FILE:LINE:COLUMN: message` after the folder.
pub(super) const MANY_PROBLEMS: [&str; 4] = [
    "fields.json:2:3: rule 1: missing_fields names \"ssn\"",
    "slow.json:2:3: rule 1: latency_ms 700000",
    "slow.json:3:3: rule 2: latency_ms 800000",
    "slow.json:4:3: rule 3: latency_ms 900000",
];

#[test]
fn start_up_names_every_problem_where_check_does() {
    let dir = TempDir::new("start-every");
    write_many_problems(&dir);
    let folder = dir.0.to_str().expect("utf-8");
    let problems = |args: &[&str]| {
        let output = sandbox(args).output().expect("run");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let lines: Vec<String> = stderr
            .lines()
            .filter_map(|l| l.split_once(folder).map(|(_, p)| p.to_string()))
            .collect();
        (lines, stderr)
    };
    let (checked, check_stderr) = problems(&["check", folder]);
    let (started, start_stderr) = problems(&["--port", "0", "--scenarios", folder]);
    assert_eq!(checked, started, "{check_stderr}\n{start_stderr}");
    assert_eq!(started.len(), MANY_PROBLEMS.len(), "{start_stderr}");
    for (line, expected) in started.iter().zip(MANY_PROBLEMS) {
        assert!(
            line[1..].starts_with(expected),
            "{expected} in {start_stderr}"
        );
    }
}

#[test]
fn an_invalid_change_while_running_is_logged() {
    let dir = TempDir::new("log");
    dir.write("live.json", &scenario("live", "good", json!([])));
    let mut child = sandbox(&[
        "--port",
        "0",
        "--scenarios",
        dir.0.to_str().expect("utf-8"),
        "--scenario-poll-ms",
        "20",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Change the file only once the server is up with the good version: a change before that
    // is a start-up error, not a live reload.
    let stdout = child.stdout.take().expect("stdout");
    let (up_tx, up) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = up_tx.send(line);
        }
    });
    let first = up.recv_timeout(WAIT).expect("the server starts");
    assert!(first.starts_with("vendor-sandbox listening on "), "{first}");
    dir.write("live.json", "{\"name\": \"live\"}");
    let warning = loop {
        match rx.recv_timeout(WAIT) {
            Ok(line) if line.contains("live.json") => break Some(line),
            Ok(_) => continue,
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let warning = warning.expect("a warning about live.json");
    assert!(
        warning.contains("WARN")
            && warning.contains("last good version")
            && warning.contains("missing field `description`"),
        "{warning}"
    );
}
