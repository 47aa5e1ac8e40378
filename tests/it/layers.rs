//! The crate's layers import one way (`src/lib.rs`, ARCHITECTURE.md "Layers"): read every source
//! file, collect the `crate::…` paths its code (not comments, not unit tests) names, group files
//! into layers, and check no two layers import each other and leaves import nothing above them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layer a module path (`vendors::persona::model`, `webhooks::outbox`) belongs to. Data
/// types kept in the store (vendor models, the outbox, scenario counters) form their own layers
/// below the store; the rest is grouped by top-level module.
fn layer(path: &str) -> String {
    let parts: Vec<&str> = path.split("::").collect();
    match parts.as_slice() {
        ["vendors", _, "model", ..] => "vendors::model".into(),
        ["webhooks"] | ["webhooks", "outbox" | "saved", ..] => "webhooks::data".into(),
        ["webhooks", name, ..] if name.chars().next().is_some_and(char::is_uppercase) => {
            "webhooks::data".into()
        }
        ["scenario", "counters", ..] => "scenario::counters".into(),
        [first, ..] => (*first).to_string(),
        [] => String::new(),
    }
}

fn module_of(file: &Path, src: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `crate::a::b::{c, d}` as `a::b::c` and `a::b::d` (one level of braces, enough for this code).
fn crate_paths(line: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (i, _) in line.match_indices("crate::") {
        let rest = &line[i + "crate::".len()..];
        let head: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let head = head.trim_end_matches(':').to_string();
        let after = &rest[head.len()..];
        match after.strip_prefix("::{").and_then(|a| a.split_once('}')) {
            Some((inner, _)) => {
                for item in inner.split(',') {
                    match item.split_whitespace().next() {
                        None => {}
                        Some("self") => paths.push(head.clone()),
                        Some(item) => paths.push(format!("{head}::{item}")),
                    }
                }
            }
            None => paths.push(head),
        }
    }
    paths
}

#[test]
fn layers_import_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut imports: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for file in files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "main.rs" || name == "tests.rs" || name.ends_with("_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        // Unit tests may reach anywhere.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let from = layer(&module_of(&file, &src));
        // One line, so a `use` broken over several lines reads as one.
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join(" ");
        {
            for path in crate_paths(&code) {
                let to = layer(&path);
                if to != from {
                    imports
                        .entry(from.clone())
                        .or_default()
                        .insert((to, file.display().to_string()));
                }
            }
        }
    }
    let imports_layer = |from: &str, to: &str| {
        imports
            .get(from)
            .is_some_and(|s| s.iter().any(|(t, _)| t == to))
    };
    let mut cycles = Vec::new();
    for (from, targets) in &imports {
        for (to, file) in targets {
            if imports_layer(to, from) {
                cycles.push(format!("{from} <-> {to} ({file})"));
            }
        }
    }
    assert!(cycles.is_empty(), "layers import each other: {cycles:#?}");
    // Leaves import only other leaves.
    let leaves = [
        "vendor",
        "namespace",
        "http",
        "clock",
        "ids",
        "config",
        "collections",
    ];
    for leaf in leaves {
        for (to, file) in imports.get(leaf).into_iter().flatten() {
            assert!(
                leaves.contains(&to.as_str()),
                "leaf {leaf} imports {to} ({file})"
            );
        }
    }
    // The webhook worker and the scenario engine name no vendor module.
    for layer_name in ["webhooks", "scenario"] {
        for (to, file) in imports.get(layer_name).into_iter().flatten() {
            assert_ne!(to, "vendors", "{layer_name} imports the vendors ({file})");
        }
    }
}
