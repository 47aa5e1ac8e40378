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
