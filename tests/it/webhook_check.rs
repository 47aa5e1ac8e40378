//! `webhooks check` against receivers of our own (`verifier.rs`): a correct one passes every
//! case, and each broken one is caught by exactly the cases that test its mistake. Then the
//! binary's subcommand: exit codes and `--json`.

mod verifier;

use std::process::Output;

use serde_json::Value;
use tokio::process::Command;
use vendor_sandbox::vendors::Vendor;
use vendor_sandbox::webhook_check::{self as check, Expect, Report};

use crate::harness::{WAIT, free_port};
use verifier::{Mode, Verifier};

const SECRET: &str = "whsec_check_test";
const BIN: &str = env!("CARGO_BIN_EXE_vendor-sandbox");

async fn check_against(vendor: Vendor, mode: Mode) -> Report {
    let receiver = Verifier::start(vendor, SECRET, mode).await;
    tokio::time::timeout(WAIT, check::check(vendor, &receiver.url(), SECRET, None))
        .await
        .expect("the check finishes within the wait")
        .expect("the check runs")
}

/// The cases answered wrongly, in the order sent.
fn wrong(report: &Report) -> Vec<&'static str> {
    report
        .cases
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name)
        .collect()
}

#[tokio::test]
async fn correct_receivers_pass_every_case() {
    for vendor in Vendor::ALL {
        let report = check_against(vendor, Mode::Correct).await;
        assert!(wrong(&report).is_empty(), "{}", report.to_table());
        assert!(report.ok);
        assert_eq!(report.exit_code(), 0);
        assert!(report.to_table().contains("PASSED"));
        let valid = &report.cases[0];
        assert_eq!((valid.name, valid.status), ("valid", Some(200)));
        assert_eq!(report.cases[1].status, Some(409), "the replay is refused");
    }
}

#[tokio::test]
async fn a_receiver_that_accepts_everything_fails_every_refuse_case() {
    for vendor in Vendor::ALL {
        let report = check_against(vendor, Mode::AcceptsEverything).await;
        let refuse: Vec<&str> = report
            .cases
            .iter()
            .filter(|c| c.expected == Expect::Refuse)
            .map(|c| c.name)
            .collect();
        assert_eq!(wrong(&report), refuse, "{vendor}");
        assert!(refuse.contains(&"body-modified") && refuse.contains(&"wrong-secret"));
        assert_eq!(report.exit_code(), 1);
        assert!(report.to_table().contains("WRONG"));
    }
}

#[tokio::test]
async fn ignoring_the_timestamp_is_caught_by_the_timestamp_cases() {
    for vendor in [Vendor::Persona, Vendor::Coinflow] {
        let report = check_against(vendor, Mode::IgnoresTimestamp).await;
        assert_eq!(
            wrong(&report),
            ["stale-timestamp", "future-timestamp"],
            "{vendor}"
        );
        assert_eq!(report.exit_code(), 1, "a stale timestamp is required");
    }
}

#[tokio::test]
async fn verifying_re_serialized_json_is_caught() {
    let expected = [
        "raw-bytes-formatted",
        "reserialized-whitespace",
        "reserialized-key-order",
    ];
    for vendor in [Vendor::Persona, Vendor::Coinflow] {
        let report = check_against(vendor, Mode::Reserializes).await;
        assert_eq!(wrong(&report), expected, "{vendor}");
        assert_eq!(report.exit_code(), 1);
    }
    // Bitmama's own sample hashes JSON.stringify(req.body): flagged, but advisory.
    let report = check_against(Vendor::Bitmama, Mode::Reserializes).await;
    assert_eq!(wrong(&report), expected);
    assert_eq!((report.summary.warnings, report.exit_code()), (3, 0));
    assert!(report.to_table().contains("warn"));
}

#[tokio::test]
async fn no_replay_protection_is_caught_by_the_replay_case() {
    for vendor in Vendor::ALL {
        let report = check_against(vendor, Mode::NoReplayProtection).await;
        assert_eq!(wrong(&report), ["replay"], "{vendor}");
        // Bitmama signs no timestamp: a receiver can only de-duplicate by content, advisory.
        let expected_exit = if vendor == Vendor::Bitmama { 0 } else { 1 };
        assert_eq!(report.exit_code(), expected_exit, "{vendor}");
    }
}

#[tokio::test]
async fn a_replay_of_a_refused_delivery_is_not_judged() {
    // The receiver holds another secret: it refuses `valid`, so refusing its repeat shows
    // nothing about replays.
    let receiver = Verifier::start(Vendor::Persona, SECRET, Mode::Correct).await;
    let report = tokio::time::timeout(
        WAIT,
        check::check(Vendor::Persona, &receiver.url(), "whsec_other", None),
    )
    .await
    .expect("within the wait")
    .expect("runs");
    let replay = &report.cases[1];
    assert_eq!((replay.name, replay.status), ("replay", Some(401)));
    assert!(!replay.ok, "{}", report.to_table());
    let json = serde_json::to_value(&report).expect("the report is JSON");
    assert_eq!(
        json["cases"][1]["unjudged"],
        "not judged: the valid delivery it repeats was refused (401)"
    );
    assert_eq!(json["summary"]["unjudged"], 1);
    assert_eq!(report.exit_code(), 1, "the refused valid delivery is wrong");
    let table = report.to_table();
    let line = table
        .lines()
        .find(|l| l.starts_with("replay "))
        .expect("a replay line");
    assert!(
        line.contains(" n/a ") && line.contains("was refused (401)"),
        "{table}"
    );
    assert!(table.contains(", 1 not judged."), "{table}");
}

#[tokio::test]
async fn refusing_a_rotated_secrets_second_set_is_caught() {
    let report = check_against(Vendor::Persona, Mode::FirstSignatureOnly).await;
    assert_eq!(wrong(&report), ["rotated-secret"]);
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test]
async fn comparing_a_prefix_is_caught_by_the_empty_and_truncated_signatures() {
    for vendor in Vendor::ALL {
        let report = check_against(vendor, Mode::PrefixCompare).await;
        assert_eq!(
            wrong(&report),
            ["signature-empty", "signature-truncated"],
            "{vendor}"
        );
    }
}

#[tokio::test]
async fn a_coinflow_receiver_that_checks_only_authorization_is_caught() {
    let report = check_against(Vendor::Coinflow, Mode::AuthorizationOnly).await;
    assert_eq!(
        wrong(&report),
        [
            "replay",
            "body-modified",
            "stale-timestamp",
            "future-timestamp",
            "timestamp-missing",
            "signature-missing",
            "signature-empty",
            "signature-truncated",
            "reserialized-whitespace",
            "reserialized-key-order",
        ]
    );
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test]
async fn an_unreachable_receiver_is_an_error_not_a_pass() {
    let url = format!("http://{}/hook", free_port().await);
    let report = tokio::time::timeout(WAIT, check::check(Vendor::Persona, &url, SECRET, None))
        .await
        .expect("within the wait")
        .expect("runs");
    assert_eq!(report.summary.errors, report.cases.len());
    assert!(!report.ok);
    assert_eq!(report.exit_code(), 2);
    let errors: Vec<&str> = report
        .cases
        .iter()
        .filter_map(|c| c.error.as_deref())
        .collect();
    assert!(errors[0].starts_with("connect to"), "{errors:?}");
    assert!(errors[1..].iter().all(|e| e.starts_with("not sent")));
}

#[tokio::test]
async fn what_cannot_be_checked_is_refused_before_sending() {
    let url = "http://127.0.0.1:9/hook";
    for (vendor, url, secret, event, says) in [
        (Vendor::Persona, url, "", None, "secret"),
        (
            Vendor::Persona,
            "https://example.com/hook",
            SECRET,
            None,
            "http://",
        ),
        (Vendor::Bitmama, "not a url", SECRET, None, "URL"),
        (
            Vendor::Coinflow,
            url,
            SECRET,
            Some("inquiry.approved"),
            "KYC Success",
        ),
    ] {
        let error = check::check(vendor, url, secret, event).await.err();
        assert!(
            error.as_deref().is_some_and(|e| e.contains(says)),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn the_event_option_picks_the_body() {
    let receiver = Verifier::start(Vendor::Bitmama, SECRET, Mode::Correct).await;
    let cases = check::cases(Vendor::Bitmama, SECRET, Some("user.kyc.denied")).expect("cases");
    let body: Value = serde_json::from_slice(&cases[0].body).expect("JSON");
    assert_eq!(
        (body["event"].as_str(), body["data"]["status"].as_str()),
        (Some("user.kyc.denied"), Some("denied"))
    );
    let outcomes = tokio::time::timeout(WAIT, check::run(&receiver.url(), cases))
        .await
        .expect("within the wait");
    assert!(outcomes.iter().all(|o| o.ok));
    // Each API generation's event carries that generation's ids (vendors.md 3).
    for (event, prefix) in [
        ("user.kyc.denied", "acme-rain-user-"),
        ("user.kyc-event", "acme-user-"),
    ] {
        let cases = check::cases(Vendor::Bitmama, SECRET, Some(event)).expect("cases");
        let body: Value = serde_json::from_slice(&cases[0].body).expect("JSON");
        let service_id = body["data"]["serviceId"].as_str().unwrap_or_default();
        assert!(service_id.starts_with(prefix), "{event}: {service_id}");
    }
}

async fn run_binary(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("VENDOR_SANDBOX_CHECK_SECRET")
        .kill_on_drop(true);
    for (name, value) in envs {
        command.env(name, value);
    }
    tokio::time::timeout(WAIT, command.output())
        .await
        .expect("the binary finishes within the wait")
        .expect("run the binary")
}

#[tokio::test]
async fn the_binary_checks_a_receiver_and_exits_by_the_result() {
    let good = Verifier::start(Vendor::Persona, SECRET, Mode::Correct).await;
    let url = good.url();
    let args = ["webhooks", "check", "--vendor", "persona", "--url", &url];
    let output = run_binary(&args, &[("VENDOR_SANDBOX_CHECK_SECRET", SECRET)]).await;
    let table = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{table}");
    assert!(
        table.contains("rotated-secret") && table.contains("PASSED"),
        "{table}"
    );

    let bad = Verifier::start(Vendor::Coinflow, SECRET, Mode::IgnoresTimestamp).await;
    let url = bad.url();
    let args = [
        "webhooks", "check", "--vendor", "coinflow", "--url", &url, "--secret", SECRET, "--json",
    ];
    let output = run_binary(&args, &[]).await;
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).expect("--json is JSON");
    assert_eq!(report["ok"], false);
    assert_eq!(report["vendor"], "coinflow");
    assert_eq!(report["event"], "KYC Success");
    let stale = report["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["name"] == "stale-timestamp"))
        .expect("a stale-timestamp case");
    assert_eq!(
        (
            &stale["expected"],
            &stale["status"],
            &stale["ok"],
            &stale["required"]
        ),
        (
            &Value::from("refuse"),
            &Value::from(200),
            &Value::from(false),
            &Value::from(true)
        )
    );
}

#[tokio::test]
async fn the_binary_exits_2_when_it_cannot_check() {
    let nobody = format!("http://{}/hook", free_port().await);
    for args in [
        vec![
            "webhooks", "check", "--vendor", "stripe", "--url", &nobody, "--secret", "s",
        ],
        vec!["webhooks", "check", "--vendor", "persona", "--url", &nobody],
        vec![
            "webhooks", "check", "--vendor", "persona", "--url", &nobody, "--secret", "s",
        ],
        vec![
            "webhooks", "check", "--vendor", "bitmama", "--url", &nobody, "--secret", "s",
            "--event", "nope",
        ],
    ] {
        let output = run_binary(&args, &[]).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    }
}

/// The README's Python receiver, run as shown (on a free port instead of 8000), passes every
/// case. Skipped with a notice where there is no `python3`.
#[tokio::test]
async fn the_readme_receiver_passes() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let code = readme
        .split("## Check your webhook receiver")
        .nth(1)
        .and_then(|section| section.split("```python\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the README has the receiver");
    let addr = free_port().await;
    let code = code.replace("8000", &addr.port().to_string());
    let spawned = Command::new("python3")
        .args(["-c", &code])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let _receiver = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("python3 not found: the README receiver is not run");
            return;
        }
        Err(e) => panic!("spawn python3: {e}"),
    };
    crate::harness::eventually(|| async { tokio::net::TcpStream::connect(addr).await.ok() }).await;
    let url = format!("http://{addr}/hook");
    let report = tokio::time::timeout(
        WAIT,
        check::check(Vendor::Persona, &url, "wbhsec_test", None),
    )
    .await
    .expect("within the wait")
    .expect("runs");
    assert_eq!(report.exit_code(), 0, "{}", report.to_table());
    assert_eq!(report.summary.ok, report.cases.len());
}
