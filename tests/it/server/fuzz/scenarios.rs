//! Mutated scenario files into the scenario parser.

use vendor_sandbox::scenario::catalog::SHIPPED;
use vendor_sandbox::scenario::parse::parse_scenario;

use super::*;

#[derive(Debug, Clone)]
enum Edit {
    /// Replace the node at this index (of all nodes, depth first) with a value.
    Node(usize, Value),
    /// Delete `len` bytes at `at` (modulo the text) and insert `text` there.
    Splice(usize, usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), any_json()).prop_map(|(at, v)| Edit::Node(at, v)),
        1 => (any::<usize>(), 0..8usize, prop_oneof![
            Just(String::new()),
            "[{}\\[\\]\",:0-9a-z ]{0,6}",
            "\\PC{0,6}",
        ])
        .prop_map(|(at, len, text)| Edit::Splice(at, len, text)),
    ]
}

fn node_paths(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            out.push(p.clone());
            node_paths(v, p, out);
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            let p = format!("{at}/{i}");
            out.push(p.clone());
            node_paths(v, p, out);
        }),
        _ => {}
    }
}

fn apply(source: &str, edits: &[Edit]) -> String {
    let mut text = source.to_string();
    for e in edits {
        match e {
            Edit::Node(at, new) => {
                let Ok(mut value) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                let mut all = Vec::new();
                node_paths(&value, String::new(), &mut all);
                if let Some(node) = all
                    .get(at % all.len().max(1))
                    .and_then(|p| value.pointer_mut(p))
                {
                    *node = new.clone();
                }
                text = serde_json::to_string_pretty(&value).unwrap_or_default();
            }
            Edit::Splice(at, len, insert) => {
                let mut start = at % (text.len() + 1);
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + len).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(start..end, insert);
            }
        }
    }
    text
}

#[test]
fn scenario_parser_survives_mutated_files() {
    assert!(!SHIPPED.is_empty());
    let input = (0..SHIPPED.len(), prop::collection::vec(edit(), 1..5));
    fuzz("scenario-parser", 300, input, |(file, edits)| {
        let (name, source) = SHIPPED[file];
        let text = apply(source, &edits);
        // Any answer is fine; a panic is not. A problem must point inside the file.
        if let Err(problem) = parse_scenario(name, &text, 1, vendor_sandbox::vendors::vocabulary())
        {
            prop_assert!(
                problem.line >= 1 && problem.line <= text.lines().count().max(1) + 1,
                "{problem}"
            );
            prop_assert!(!problem.message.is_empty());
        }
        Ok(())
    });
}
