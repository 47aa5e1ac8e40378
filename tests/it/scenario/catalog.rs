//! The scenarios folder while the server runs: what `GET /__admin/scenarios` lists as problems.

use serde_json::{Value, json};

use super::binary::{MANY_PROBLEMS, write_many_problems};
use super::{TempDir, scenario, with_dir};
use crate::harness::eventually;

#[tokio::test]
async fn a_bad_change_lists_every_problem_where_check_names_it() {
    let dir = TempDir::new("reload-every");
    let server = with_dir(&dir).await;
    dir.write("fields.json", &scenario("fields", "good", json!([])));
    dir.write("slow.json", &scenario("slow", "good", json!([])));
    let listed = || async { server.get("/__admin/scenarios").send().await.json() };
    eventually(|| async {
        let names = listed().await["scenarios"].to_string();
        (names.contains("\"fields\"") && names.contains("\"slow\"")).then_some(())
    })
    .await;

    write_many_problems(&dir);
    let problems = eventually(|| async {
        // Both files read whole (a poll may catch one half written).
        let problems = listed().await["problems"].clone();
        let text = problems.to_string();
        (text.contains("ssn") && text.contains("700000")).then_some(problems)
    })
    .await;
    let named: Vec<String> = problems
        .as_array()
        .into_iter()
        .flatten()
        .map(|p: &Value| {
            let file = p["file"].as_str().unwrap_or("");
            let file = file.rsplit('/').next().unwrap_or(file);
            format!(
                "{file}:{}:{}: {}",
                p["line"],
                p["column"],
                p["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(named.len(), MANY_PROBLEMS.len(), "{problems}");
    for (problem, expected) in named.iter().zip(MANY_PROBLEMS) {
        assert!(problem.starts_with(expected), "{expected} in {named:#?}");
    }
}
