//! The start-up lines of a server with a state file say what was loaded from it, so a relative
//! path that names another folder's file (or none) does not start afresh unnoticed.

use super::{PERSONA_KEY, Running, call, state_dir};

#[test]
fn the_banner_says_whether_the_state_file_was_loaded_and_how_many_namespaces() {
    let dir = state_dir("banner");
    let path = dir.join("state.json");
    let shown = vendor_sandbox::state_file::resolve(&path)
        .display()
        .to_string();
    let always = ["--state-sync", "always"];

    let mut first = Running::start_with(&path, &always);
    assert!(first.banner[0].starts_with("vendor-sandbox listening on http://"));
    assert_eq!(
        first.banner.last().map(String::as_str),
        Some(format!("state: new file {shown}").as_str()),
        "{:?}",
        first.banner
    );
    let body = r#"{"data":{"attributes":{"reference-id":"r"}}}"#;
    for ns in ["/ns/one", "/ns/two"] {
        let path = format!("{ns}/api/v1/accounts");
        let auth = [("authorization", PERSONA_KEY)];
        let created = call(&first.addr, "POST", &path, &auth, body).expect("answer");
        assert_eq!(created.0, 201, "{}", created.1);
    }
    // With `always`, answered is on disk (in the log, which the next start folds first).
    first.kill_9();

    let second = Running::start_with(&path, &always);
    assert_eq!(
        second.banner.last().map(String::as_str),
        Some(format!("state: loaded 2 namespaces from {shown}").as_str()),
        "{:?}",
        second.banner
    );
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `scenario:` line of a restart, and what the loaded `default` namespace then uses.
fn restarted_scenario(path: &std::path::Path, options: &[&str]) -> (Running, String, String) {
    let running = Running::start_with(path, options);
    let line = running
        .banner
        .iter()
        .find_map(|l| l.strip_prefix("scenario: "));
    let line = line.expect("a scenario: line").to_string();
    let answer = call(&running.addr, "GET", "/__admin/scenario", &[], "").expect("answer");
    let selected: serde_json::Value = serde_json::from_str(&answer.1).unwrap_or_default();
    let selected = selected["scenario"].as_str().unwrap_or("none").to_string();
    (running, line, selected)
}

/// Makes the `default` namespace change, so `--state-sync always` writes it (selection too).
fn touch_default(running: &Running) {
    let body = r#"{"data":{"attributes":{"reference-id":"d"}}}"#;
    let auth = [("authorization", PERSONA_KEY)];
    let created = call(&running.addr, "POST", "/api/v1/accounts", &auth, body).expect("answer");
    assert_eq!(created.0, 201, "{}", created.1);
}

#[test]
fn an_explicit_scenario_applies_to_the_loaded_default_namespace_and_the_banner_says_the_one_in_use()
{
    let dir = state_dir("banner-scenario");
    let path = dir.join("state.json");
    let mut first = Running::start_with(&path, &["--state-sync", "always"]);
    touch_default(&first);
    first.kill_9();

    let options = ["--state-sync", "always", "--scenario", "happy-path"];
    let (mut second, line, selected) = restarted_scenario(&path, &options);
    assert_eq!(
        (line.as_str(), selected.as_str()),
        ("happy-path", "happy-path")
    );
    touch_default(&second);
    second.kill_9();

    // No `--scenario`: the saved selection goes on, and the banner says so.
    let (third, line, selected) = restarted_scenario(&path, &["--state-sync", "always"]);
    assert_eq!(
        (line.as_str(), selected.as_str()),
        ("happy-path", "happy-path")
    );
    drop(third);
    let _ = std::fs::remove_dir_all(&dir);
}
