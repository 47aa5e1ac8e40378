//! Coinflow's real React SDK (`@coinflowlabs/react` from npm, bundled by esbuild) in headless
//! Chromium against the `--coinflow-ui-port` pages: tests/browser/coinflow-withdraw.mjs renders
//! CoinflowWithdraw and CoinflowBankLink with `env="local"` and checks each callback against
//! the API's state.
//!
//! The SDK frames exactly `http://localhost:3000` and accepts messages from that origin only,
//! so the UI listener must be on port 3000. Without `node`, Chromium, `npm ci` in tests/browser
//! or a free port 3000 the test prints why and passes, except under `CI=true`, where it fails.

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
    for package in [
        "playwright-core",
        "@coinflowlabs/react",
        "esbuild",
        "react-dom",
    ] {
        if !browser_dir.join("node_modules").join(package).is_dir() {
            missing.push(format!("{package} (npm ci in tests/browser)"));
        }
    }
    missing
}

fn skip_or_fail(message: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message} (CI must provide it: .ci/run)"
    );
    eprintln!("SKIPPED: {message}");
}

#[tokio::test]
async fn coinflows_react_sdk_withdraws_and_links_banks_through_the_sandbox_pages_in_a_browser() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    let missing = missing_tools(&browser_dir);
    if !missing.is_empty() {
        skip_or_fail(&format!(
            "Coinflow SDK browser test needs: {}",
            missing.join(", ")
        ));
        return;
    }
    let ui = match tokio::net::TcpListener::bind("127.0.0.1:3000").await {
        Ok(ui) => ui,
        Err(e) => {
            skip_or_fail(&format!(
                "Coinflow SDK browser test needs port 3000 on 127.0.0.1 (the SDK frames \
                 http://localhost:3000 in env=\"local\"), which is taken: {e}"
            ));
            return;
        }
    };
    let server = TestServer::start_with_coinflow_ui(ui).await;
    let mut command = tokio::process::Command::new("node");
    command
        .arg(browser_dir.join("coinflow-withdraw.mjs"))
        .arg(server.url(""))
        .arg("http://localhost:3000")
        .current_dir(&browser_dir)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(180), command.output())
        .await
        .expect("the browser test finishes within 3 minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "coinflow-withdraw.mjs failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("8 passed, 0 failed"), "{stdout}");
}
