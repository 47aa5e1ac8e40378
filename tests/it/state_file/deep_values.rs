//! A client's JSON value is kept deeper in the state file than in its request: whatever a
//! request may nest is answered 2xx, so the next start must load it back.

use serde::Deserialize;
use serde_json::{Value, json};
use vendor_sandbox::config::StateSync;
use vendor_sandbox::state_file::load;

use super::state_dir;
use crate::harness::TestServer;

const NS: &str = "deep";

/// An answer's JSON: Persona answers a custom field typed (`{"type":"array","value":[…]}` at
/// each level), twice as deep as it was sent, past serde_json's default limit.
fn answer_json(text: &str) -> Value {
    let mut json = serde_json::Deserializer::from_str(text);
    json.disable_recursion_limit();
    Value::deserialize(&mut json).expect("JSON")
}

/// `[[…[1]…]]`, `depth` arrays deep.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!(1), |inner, _| json!([inner]))
}

#[tokio::test]
async fn a_custom_field_nested_as_deep_as_a_request_may_loads_back_after_a_restart() {
    let dir = state_dir("deep-values");
    let path = dir.join("state.json");
    let with_file = |path: std::path::PathBuf| {
        move |c: &mut vendor_sandbox::Config| {
            c.state_file = Some(path);
            c.state_sync = StateSync::Always;
        }
    };
    let first = TestServer::start_with(with_file(path.clone())).await;
    // The body's own four levels and these make the 127 a request may nest.
    let deep = nested(123);
    let body = json!({"data": {"attributes": {
        "inquiry-template-id": "itmpl_deep", "fields": {"deep": deep},
    }}});
    let created = first
        .persona(NS, "POST", "/api/v1/inquiries", Some(body))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = answer_json(&created.text())["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    // The state file and the log replayed over it, as a restart after a kill loads them.
    let saved = load(&path).expect("the log loads").expect("saved");
    assert!(saved.namespaces.contains_key(NS));
    first.stop().await;

    let second = TestServer::start_with(with_file(path.clone())).await;
    let read = second
        .persona(NS, "GET", &format!("/api/v1/inquiries/{id}"), None)
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    let created = answer_json(&created.text());
    let fields = |answer: &Value| answer["data"]["attributes"]["fields"].clone();
    assert_eq!(fields(&answer_json(&read.text())), fields(&created));
    second.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
