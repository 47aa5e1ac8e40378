use super::*;
use crate::config::Config;

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("vendor-sandbox-{}-{name}.json", std::process::id()))
}

#[test]
fn a_missing_file_is_a_fresh_start() {
    assert!(matches!(load(&temp_path("missing")), Ok(None)));
}

#[test]
fn invalid_files_are_one_line_naming_the_file() {
    let path = temp_path("invalid");
    for (text, expected) in [
        ("{not json", "not a valid state file"),
        (
            r#"{"version":2,"namespaces":{"a":{}}}"#,
            "version 2 is not supported",
        ),
        (r#"{"version":1,"namespaces":{"a":{}}}"#, "missing field"),
    ] {
        std::fs::write(&path, text).expect("write");
        let Err(message) = load(&path) else {
            panic!("{text} loaded");
        };
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains(expected), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
    let _ = std::fs::remove_file(&path);
}

/// Deeper than serde_json's 128 levels loads (a client's value sits deep in a namespace);
/// deeper than the sandbox ever writes is refused in one line, not a stack overflow.
#[test]
fn saved_json_loads_deeper_than_128_levels_up_to_a_bound() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let value: serde_json::Value = from_saved(nested(300).as_bytes()).expect("loads");
    assert!(value.is_array());
    // Brackets in strings do not count.
    let quoted = format!("[\"{}\\\"\"]", "[".repeat(600));
    assert!(from_saved::<serde_json::Value>(quoted.as_bytes()).is_ok());
    let refused =
        from_saved::<serde_json::Value>(nested(MAX_DEPTH + 1).as_bytes()).expect_err("too deep");
    assert!(
        refused.to_string().contains("nested deeper than 512"),
        "{refused}"
    );
}

#[test]
fn a_snapshot_loads_back_with_the_same_ids_to_come() {
    let store = Store::new(Arc::new(Config::default()), None, Box::new(|_| {}));
    let next_id = {
        let ns = store.namespace("alpha");
        let mut world = ns.lock();
        world.ids.hex(24);
        world.clock.advance(60_000);
        world.ids.clone().hex(24)
    };
    let bytes = snapshot(&store, 0).expect("snapshot");
    let path = temp_path("roundtrip");
    write_atomically(&path, &bytes).expect("write");
    let saved = load(&path).expect("load").expect("present");
    let _ = std::fs::remove_file(&path);
    let restored = Store::new(Arc::new(Config::default()), None, Box::new(|_| {}));
    restored.restore(saved.namespaces);
    let ns = restored.existing("alpha").expect("restored namespace");
    let mut world = ns.lock();
    assert_eq!(world.ids.hex(24), next_id);
    assert_eq!(world.clock.offset_ms(), 60_000);
}
