//! The scenario engine through the HTTP API and the binary: the format and its schema, selecting,
//! raw answers, faults, latency, counters, live reload, `check` and `scenarios`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use vendor_sandbox::scenario::catalog::SHIPPED;
use vendor_sandbox::scenario::parse::parse_scenario;

use crate::harness::{TestServer, eventually};

pub(crate) fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A fresh folder under the system temp dir, removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(label: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "vendor-sandbox-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    pub(crate) fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.0.join(file);
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn scenario(name: &str, description: &str, rules: Value) -> String {
    serde_json::to_string_pretty(&json!({"name": name, "description": description, "rules": rules}))
        .expect("json")
}

async fn with_dir(dir: &TempDir) -> TestServer {
    let path = dir.0.clone();
    TestServer::start_with(move |c| {
        c.scenarios_dir = Some(path);
        c.scenario_poll_interval = Duration::from_millis(20);
    })
    .await
}

#[test]
fn every_shipped_scenario_is_embedded_parses_and_matches_the_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("scenarios/schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let mut files: Vec<String> = std::fs::read_dir(repo("scenarios"))
        .expect("scenarios/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && n != "schema.json")
        .collect();
    files.sort();
    let mut embedded: Vec<String> = SHIPPED.iter().map(|(f, _)| f.to_string()).collect();
    embedded.sort();
    assert_eq!(files, embedded, "every file in scenarios/ is embedded");
    assert_eq!(files.len(), 13);
    for file in files {
        let text = std::fs::read_to_string(repo(&format!("scenarios/{file}"))).expect("read");
        let parsed = parse_scenario(&file, &text, 1, vendor_sandbox::vendors::vocabulary())
            .unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(format!("{}.json", parsed.name), file);
        let value: Value = serde_json::from_str(&text).expect("json");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
    // The schema is strict where the parser is.
    for bad in [
        json!({"name": "x", "description": "d", "colour": 1}),
        json!({"name": "x", "description": "d", "rules": [{"when": {"vendor": "stripe", "operation": "any"}, "fault": "reset"}]}),
        json!({"name": "x", "description": "d", "rules": [{"when": {"vendor": "persona", "operation": "any"}, "fault": "explode"}]}),
        json!({"name": "x", "description": "d", "rules": [{"when": {"vendor": "coinflow", "operation": "get_withdrawer"}, "then": {"outcome": "missing_fields"}}]}),
        json!({"name": "x", "description": "d", "rules": [{"when": {"vendor": "coinflow", "operation": "get_withdrawer"}, "then": {"outcome": "missing_fields", "fields": ["dob", "physicalAddress", "ssn"]}}]}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}

#[tokio::test]
async fn lists_selects_and_clears_scenarios_per_namespace() {
    let server = TestServer::start_with(|c| c.scenario = Some("duplicate-user".into())).await;
    let list = server.get("/__admin/scenarios").send().await.json();
    let names: Vec<&str> = list["scenarios"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names.contains(&"happy-path") && names.contains(&"webhook-outage"),
        "{list}"
    );
    assert!(
        list["scenarios"][0]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );

    let default = server.get("/__admin/scenario").send().await.json();
    assert_eq!(
        default,
        json!({"namespace": "default", "scenario": "duplicate-user", "available": true}),
        "--scenario"
    );
    let other = server
        .get("/__admin/scenario")
        .header("x-sandbox-namespace", "t1")
        .send()
        .await
        .json();
    assert_eq!(other["scenario"], Value::Null);

    let put = |body: Value| {
        server
            .request("PUT", "/__admin/scenario")
            .header("x-sandbox-namespace", "t1")
            .json(&body)
    };
    let chosen = put(json!({"name": "needs-review"})).send().await;
    assert_eq!(
        (chosen.status, chosen.json()["scenario"].clone()),
        (200, json!("needs-review"))
    );
    assert_eq!(
        server.get("/ns/t1/__admin/scenario").send().await.json()["scenario"],
        "needs-review"
    );
    // A reset keeps the selection.
    server
        .post("/__admin/reset")
        .header("x-sandbox-namespace", "t1")
        .send()
        .await;
    assert_eq!(
        server.get("/ns/t1/__admin/scenario").send().await.json()["scenario"],
        "needs-review"
    );

    let unknown = put(json!({"name": "nope"})).send().await;
    assert_eq!(unknown.status, 400);
    let message = unknown.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("\"nope\"")
            && message.contains("happy-path")
            && message.contains("slow-and-flaky"),
        "{message}"
    );
    assert_eq!(
        put(json!({"name": null})).send().await.json()["scenario"],
        Value::Null
    );
    put(json!({"name": "happy-path"})).send().await;
    assert_eq!(
        put(json!({"name": "none"})).send().await.json()["scenario"],
        Value::Null
    );
    assert_eq!(put(json!({"nom": "x"})).send().await.status, 400);
}

#[tokio::test]
async fn raw_answers_are_sent_as_written() {
    let dir = TempDir::new("raw-as-is");
    dir.write("as-is.json", &scenario("as-is", "raw answers as written", json!([
        {"when": {"vendor": "persona", "operation": "list_inquiries"},
         "then": {"raw": {"status": 500, "headers": {"request-id": "req_mine"}, "body": {"errors": []}}}},
        {"when": {"vendor": "coinflow", "operation": "get_withdrawer"},
         "then": {"raw": {"status": 503, "body": {"statusCode": 503, "timestamp": "2020-01-01T00:00:00.000Z"}}}},
    ])));
    let server = with_dir(&dir).await;
    let persona = server
        .get("/api/v1/inquiries")
        .header("authorization", "Bearer k")
        .header("x-sandbox-scenario", "as-is")
        .send()
        .await;
    assert_eq!(persona.status, 500);
    let ids: Vec<&str> = persona
        .headers
        .iter()
        .filter(|(name, _)| name == "request-id")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(ids, ["req_mine"], "no Request-Id beside the scenario's");
    let coinflow = server
        .get("/api/withdraw")
        .header("x-sandbox-scenario", "as-is")
        .send()
        .await;
    assert_eq!(coinflow.status, 503);
    assert_eq!(coinflow.json()["timestamp"], "2020-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn raw_answers_fill_placeholders_and_apply_per_request_by_header() {
    let dir = TempDir::new("raw");
    dir.write("teapot.json", &scenario("teapot", "raw answers", json!([{
        "when": {"vendor": "bitmama", "operation": "get_wallet", "headers": {"x-team": {"equals": "blue"}}},
        "then": {"raw": {"status": 418, "headers": {"x-echo": "team {{request.headers.x-team}}"},
                         "body": {"id": "{{id}}", "email": "{{request.query.email}}", "ns": "{{namespace}}", "at": "{{now}}"}}}
    }])));
    let server = with_dir(&dir).await;
    let raw = server
        .get("/api/v1/partner/wallet?email=a%40b.c")
        .header("x-sandbox-scenario", "teapot")
        .header("x-team", "blue")
        .send()
        .await;
    assert_eq!(raw.status, 418, "{}", raw.text());
    assert_eq!(raw.header("x-echo"), Some("team blue"));
    let body = raw.json();
    assert_eq!(
        (body["email"].as_str(), body["ns"].as_str()),
        (Some("a@b.c"), Some("default"))
    );
    assert_eq!(body["id"].as_str().map(str::len), Some(36), "a UUID");
    assert!(body["at"].as_str().is_some_and(|t| t.ends_with('Z')));
    // Without the header (or not matching) the vendor answers.
    let plain = server
        .get("/api/v1/partner/wallet")
        .header("x-team", "blue")
        .send()
        .await;
    assert_ne!(plain.status, 418);
    let other_team = server
        .get("/api/v1/partner/wallet")
        .header("x-sandbox-scenario", "teapot")
        .header("x-team", "red")
        .send()
        .await;
    assert_ne!(other_team.status, 418);
    // An unknown scenario name is refused in the vendor's envelope, naming the valid ones.
    let unknown = server
        .get("/api/v1/partner/wallet")
        .header("x-sandbox-scenario", "nope")
        .send()
        .await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.text().contains("teapot") && unknown.text().contains("happy-path"),
        "{}",
        unknown.text()
    );
}

/// A scenario name longer than any can be (64) is refused as such, in the owner's envelope,
/// wherever a client names one: the header, the admin selection and lookup.
#[tokio::test]
async fn a_scenario_name_past_the_limit_is_refused_naming_the_limit() {
    let server = TestServer::start().await;
    let long = "a".repeat(10_000);
    let said = |text: &str| text.contains("10000 characters") && text.contains("at most 64");
    let header = server
        .get("/api/v1/partner/wallet")
        .header("authorization", "Bearer sk_staging_acme")
        .header("x-sandbox-scenario", &long)
        .send()
        .await;
    assert_eq!(header.status, 400, "{}", header.text());
    let body = header.json();
    assert_eq!(body["status"], "error", "Bitmama's envelope: {body}");
    let message = body["data"]["error"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("x-sandbox-scenario") && said(message),
        "{body}"
    );
    assert!(header.text().len() < 1_000, "the name is not echoed");

    let select = server
        .request("PUT", "/__admin/scenario")
        .json(&json!({"name": long}))
        .send()
        .await;
    let lookup = server
        .get(&format!("/__admin/scenarios/{long}"))
        .send()
        .await;
    for refused in [select, lookup] {
        assert_eq!(refused.status, 400, "{}", refused.text());
        let message = refused.json()["error"]["message"].clone();
        assert!(message.as_str().is_some_and(said), "{message}");
    }
    let selected = server.get("/__admin/scenario").send().await.json();
    assert_eq!(selected["scenario"], Value::Null, "nothing was selected");
}

/// A scenarios folder whose scenario `slow` delays Bitmama's `get_wallet` by `latency_ms`.
pub(crate) fn slow_wallet(label: &str, latency_ms: u64) -> TempDir {
    let dir = TempDir::new(label);
    dir.write(
        "slow.json",
        &scenario(
            "slow",
            "latency",
            json!([
                {"when": {"vendor": "bitmama", "operation": "get_wallet"}, "latency_ms": latency_ms}
            ]),
        ),
    );
    dir
}

#[tokio::test]
async fn the_folder_is_watched_valid_changes_apply_and_invalid_ones_keep_the_last_good() {
    let dir = TempDir::new("watch");
    let server = with_dir(&dir).await;
    let listed = || async { server.get("/__admin/scenarios").send().await.json() };
    let description_of = |list: &Value, name: &str| {
        list["scenarios"]
            .as_array()
            .and_then(|l| l.iter().find(|s| s["name"] == name))
            .map(|s| s["description"].clone())
    };
    dir.write("live.json", &scenario("live", "first version", json!([])));
    eventually(|| async {
        (description_of(&listed().await, "live") == Some(json!("first version"))).then_some(())
    })
    .await;
    dir.write("live.json", &scenario("live", "second version", json!([])));
    eventually(|| async {
        (description_of(&listed().await, "live") == Some(json!("second version"))).then_some(())
    })
    .await;

    dir.write(
        "live.json",
        "{\n  \"name\": \"live\",\n  \"description\": 3\n}",
    );
    let problem = eventually(|| async {
        listed().await["problems"]
            .as_array()
            .and_then(|p| p.first().cloned())
    })
    .await;
    assert!(
        problem["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("live.json")),
        "{problem}"
    );
    assert_eq!(
        (problem["line"].clone(), problem["column"].clone()),
        (json!(3), json!(18)),
        "{problem}"
    );
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("expected a string")),
        "{problem}"
    );
    assert_eq!(
        description_of(&listed().await, "live"),
        Some(json!("second version")),
        "last good kept"
    );
    let select = server
        .request("PUT", "/__admin/scenario")
        .json(&json!({"name": "live"}))
        .send()
        .await;
    assert_eq!(select.status, 200, "{}", select.text());
    let selection = || async { server.get("/__admin/scenario").send().await.json() };
    assert_eq!(selection().await["available"], true);

    std::fs::remove_file(dir.0.join("live.json")).expect("remove");
    eventually(|| async {
        description_of(&listed().await, "live")
            .is_none()
            .then_some(())
    })
    .await;
    assert_eq!(listed().await["problems"], json!([]));
    // Still selected, and said to be gone: its rules no longer apply.
    let selected = selection().await;
    assert_eq!(
        (selected["scenario"].clone(), selected["available"].clone()),
        (json!("live"), json!(false))
    );
}

mod binary;
mod catalog;
mod faults;
mod operations;
mod parse;
mod persona_coinflow;
mod seeds;
mod stories;

/// `scenarios/schema.json` names exactly the operations the vendors' route tables and events
/// offer: every vendor's list, and the union of them all.
#[test]
fn the_schema_lists_the_operations_of_the_route_tables() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("scenarios/schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let vocabulary = vendor_sandbox::vendors::vocabulary();
    let names = |value: &Value| -> Vec<String> {
        let mut names: Vec<String> = value
            .as_array()
            .expect("an enum")
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect();
        names.sort();
        names
    };
    let when = &schema["$defs"]["when"];
    let all: Vec<String> = vocabulary
        .all_operation_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(names(&when["properties"]["operation"]["enum"]), all);
    for branch in when["allOf"].as_array().expect("allOf") {
        let Some(vendor) =
            branch["if"]["properties"]["when"]["properties"]["vendor"]["const"].as_str()
        else {
            continue;
        };
        let vendor = vendor_sandbox::vendors::Vendor::parse(vendor).expect("a vendor");
        let mut expected: Vec<String> = vocabulary
            .operations(vendor)
            .iter()
            .map(|o| o.as_str().to_string())
            .collect();
        expected.sort();
        assert_eq!(
            names(&branch["then"]["properties"]["when"]["properties"]["operation"]["enum"]),
            expected,
            "{vendor}"
        );
    }
}

/// `scenarios/schema.json` names exactly the fields the vendors' `missing_fields` outcomes may
/// name, so an editor refuses what `check` refuses.
#[test]
fn the_schema_lists_the_missing_fields_the_vendors_ask_for() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("scenarios/schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let mut listed: Vec<&str> = schema["$defs"]["then"]["properties"]["fields"]["items"]["enum"]
        .as_array()
        .expect("an enum of field names")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    listed.sort();
    let mut asked: Vec<&str> = vendor_sandbox::vendors::vocabulary()
        .vendors
        .iter()
        .flat_map(|terms| terms.missing_fields.iter().copied())
        .collect();
    asked.sort();
    asked.dedup();
    assert_eq!(listed, asked);
}
