//! The dashboard in a real headless browser: tests/browser/dashboard.mjs (playwright-core driving
//! Debian's Chromium) loads `/__admin/`, makes a vendor call and sees it appear, switches the
//! scenario and advances the clock through the page.
//!
//! Needs `node`, Chromium (`/usr/bin/chromium` or `$CHROMIUM`) and `npm ci` in tests/browser;
//! `.ci/run` installs them. Without them the test prints why and passes, except under `CI=true`,
//! where it fails. `DASHBOARD_SCREENSHOT=docs/dashboard.png` also saves a screenshot.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::TestServer;

fn missing_tools(browser_dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        missing.push("node".to_string());
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        missing.push(format!("chromium ({chromium})"));
    }
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        missing.push("playwright-core (npm ci in tests/browser)".to_string());
    }
    missing
}

#[tokio::test]
async fn the_dashboard_shows_calls_switches_scenarios_and_advances_the_clock_in_a_browser() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    let missing = missing_tools(&browser_dir);
    if !missing.is_empty() {
        let message = format!("dashboard browser test needs: {}", missing.join(", "));
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{message} (CI must install them: .ci/run)"
        );
        eprintln!("SKIPPED: {message}; run .ci/run or install them to run it");
        return;
    }
    let server = TestServer::start().await;
    let page = server.get("/__admin/").send().await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );

    let mut command = tokio::process::Command::new("node");
    command
        .arg(browser_dir.join("dashboard.mjs"))
        .arg(server.url(""))
        .current_dir(&browser_dir)
        .kill_on_drop(true);
    if let Ok(path) = std::env::var("DASHBOARD_SCREENSHOT") {
        command.arg(root.join(path));
    }
    let output = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("the browser test finishes within 2 minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "dashboard.mjs failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("6 passed, 0 failed"), "{stdout}");
}
