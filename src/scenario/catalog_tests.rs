use super::*;

const DUP_TWICE: &str = r#"{"name":"dup-twice","description":"Twice a duplicate","rules":[{"when":{"vendor":"bitmama","operation":"create_user","times":2},"then":{"outcome":"duplicate_user"}}]}"#;

fn generation_in(dir: &Path, name: &str) -> u64 {
    let catalog = Catalog::load(crate::vendors::vocabulary(), Some(dir)).expect("a valid folder");
    catalog
        .get(name)
        .expect("the scenario is loaded")
        .generation
}

/// A state file keeps a namespace's rule counters with the scenario's generation; they must
/// survive a restart whose folder gained another file, and only an edit may reset them.
#[test]
fn a_scenarios_generation_is_its_text_not_its_place_in_the_folder() {
    let dir =
        std::env::temp_dir().join(format!("vendor-sandbox-generation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the folder");
    std::fs::write(dir.join("m-dup.json"), DUP_TWICE).expect("write");
    let before = generation_in(&dir, "dup-twice");

    // Sorted before it, so it is read first.
    let other = DUP_TWICE.replace("dup-twice", "other");
    std::fs::write(dir.join("a-other.json"), other).expect("write");
    assert_eq!(
        generation_in(&dir, "dup-twice"),
        before,
        "an unrelated file was added"
    );

    let edited = DUP_TWICE.replace("\"times\":2", "\"times\":3");
    std::fs::write(dir.join("m-dup.json"), edited).expect("write");
    assert_ne!(
        generation_in(&dir, "dup-twice"),
        before,
        "the file was edited"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
