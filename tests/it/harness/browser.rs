//! Running a headless-Chromium test script of tests/browser/ (playwright-core driving Debian's
//! Chromium) from a Rust test: the tools it needs are checked first; without them the test says
//! why and passes, except under `CI=true`, where it fails (.ci/run installs them).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// tests/browser/.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Fails under `CI=true`, else prints why the test is skipped.
pub fn skip_or_fail(message: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message} (CI must provide it: .ci/run)"
    );
    eprintln!("SKIPPED: {message}; run .ci/run or install it to run this test");
}

/// `true` when node, Chromium and the npm `packages` (playwright-core always) are there; else
/// skips (or fails under CI) naming what is missing for `test`.
pub fn tools_present(test: &str, packages: &[&str]) -> bool {
    let mut missing = Vec::new();
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        missing.push("node".to_string());
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        missing.push(format!("chromium ({chromium})"));
    }
    for package in std::iter::once(&"playwright-core").chain(packages) {
        if !dir().join("node_modules").join(package).is_dir() {
            missing.push(format!("{package} (npm ci in tests/browser)"));
        }
    }
    if missing.is_empty() {
        return true;
    }
    skip_or_fail(&format!("{test} needs: {}", missing.join(", ")));
    false
}

/// Runs `node tests/browser/<script> <args…>` within `limit` and asserts it succeeded and printed
/// its closing line `<passed> passed, 0 failed`.
pub async fn run_script(script: &str, args: &[String], limit: Duration, passed: usize) {
    let mut command = tokio::process::Command::new("node");
    command
        .arg(dir().join(script))
        .args(args)
        .current_dir(dir())
        .kill_on_drop(true);
    let output = tokio::time::timeout(limit, command.output())
        .await
        .unwrap_or_else(|_| panic!("{script} finishes within {limit:?}"))
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{stderr}"
    );
    let closing = format!("{passed} passed, 0 failed");
    assert!(stdout.contains(&closing), "{stdout}");
}
