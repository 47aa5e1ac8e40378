//! The dashboard in a real headless browser: tests/browser/dashboard.mjs (playwright-core driving
//! Debian's Chromium) loads `/__admin/`, makes a vendor call and sees it appear, switches the
//! scenario and advances the clock through the page, decides an inquiry and a withdrawer under
//! review from their tables, and checks a webhook receiver.
//!
//! Needs `node`, Chromium (`/usr/bin/chromium` or `$CHROMIUM`) and `npm ci` in tests/browser;
//! `.ci/run` installs them. Without them the test prints why and passes, except under `CI=true`,
//! where it fails. `DASHBOARD_SCREENSHOT=docs/dashboard.png` also saves a screenshot.

use std::path::PathBuf;
use std::time::Duration;

use crate::harness::{TestServer, browser};

#[tokio::test]
async fn the_dashboard_shows_calls_switches_scenarios_and_advances_the_clock_in_a_browser() {
    if !browser::tools_present("dashboard browser test", &[]) {
        return;
    }
    let server = TestServer::start().await;
    let page = server.get("/__admin/").send().await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let mut args = vec![server.url("")];
    if let Ok(path) = std::env::var("DASHBOARD_SCREENSHOT") {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        args.push(root.join(path).display().to_string());
    }
    browser::run_script("dashboard.mjs", &args, Duration::from_secs(120), 7).await;
}
