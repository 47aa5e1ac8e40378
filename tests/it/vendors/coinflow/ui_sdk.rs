//! Coinflow's real React SDK (`@coinflowlabs/react` from npm, bundled by esbuild) in headless
//! Chromium against the `--coinflow-ui-port` pages: tests/browser/coinflow-withdraw.mjs renders
//! CoinflowWithdraw and CoinflowBankLink with `env="local"` and checks each callback against
//! the API's state.
//!
//! The SDK frames exactly `http://localhost:3000` and accepts messages from that origin only,
//! so the UI listener must be on port 3000. Without `node`, Chromium, `npm ci` in tests/browser
//! or a free port 3000 the test prints why and passes, except under `CI=true`, where it fails.

use std::time::Duration;

use crate::harness::{TestServer, browser};

#[tokio::test]
async fn coinflows_react_sdk_withdraws_and_links_banks_through_the_sandbox_pages_in_a_browser() {
    let packages = ["@coinflowlabs/react", "esbuild", "react-dom"];
    if !browser::tools_present("Coinflow SDK browser test", &packages) {
        return;
    }
    let ui = match tokio::net::TcpListener::bind("127.0.0.1:3000").await {
        Ok(ui) => ui,
        Err(e) => {
            browser::skip_or_fail(&format!(
                "Coinflow SDK browser test needs port 3000 on 127.0.0.1 (the SDK frames \
                 http://localhost:3000 in env=\"local\"), which is taken: {e}"
            ));
            return;
        }
    };
    let server = TestServer::start_with_coinflow_ui(ui).await;
    let args = [server.url(""), "http://localhost:3000".to_string()];
    browser::run_script("coinflow-withdraw.mjs", &args, Duration::from_secs(180), 8).await;
}
