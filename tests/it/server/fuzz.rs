//! Property-based fuzzing (proptest) of request handling and of the scenario-file parser.
//!
//! - `router_*`: sessions of random requests (methods, paths built from the real route table
//!   with ids taken from earlier answers, headers, query strings, mutated JSON bodies, raw bytes)
//!   go through `server::serve_in_process` (`router::prepare`, then dispatch) against one fresh
//!   `App` per session. Nothing may panic; every answer is a real status with a body that
//!   serialises.
//! - `wire_*`: random bytes over loopback into the real server; it must keep serving.
//! - `scenario_*`: mutated shipped scenario files into `parse_scenario`; nothing may panic.
//!
//! `cargo test` runs a few hundred cases of each. `bench/fuzz.sh` runs them for a bounded time:
//! `FUZZ_SECONDS=N` runs batches of cases until N seconds have passed (`FUZZ_CASES` sets the
//! count of a plain run); each test prints `fuzz NAME: N cases in S s` to stderr.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use vendor_sandbox::app::App;
use vendor_sandbox::http::{self, ApiRequest, BodyError};
use vendor_sandbox::server;

use crate::harness::{api_request, in_process_app};

mod regressions;
mod requests;
mod scenarios;
mod wire;

/// Requests routed in-process, and how many of them got a 2xx: shows the fuzzer gets past
/// validation into the stateful paths.
static ROUTED: AtomicU64 = AtomicU64::new(0);
static SUCCEEDED: AtomicU64 = AtomicU64::new(0);

/// Runs `test` on values of `strategy`: `default_cases` of them, or `FUZZ_CASES`, or batches
/// until `FUZZ_SECONDS` have passed. A failure panics with proptest's shrunk input.
fn fuzz<S: Strategy>(
    name: &str,
    default_cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let env = |key: &str| std::env::var(key).ok().and_then(|v| v.parse::<u64>().ok());
    let seconds = env("FUZZ_SECONDS").unwrap_or(0);
    let batch = env("FUZZ_CASES").map_or(default_cases, |c| c as u32);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut cases = 0u64;
    loop {
        let mut runner = TestRunner::new(RunnerConfig {
            cases: batch,
            failure_persistence: None,
            max_shrink_iters: 2048,
            ..RunnerConfig::default()
        });
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("fuzz {name}: failed after {cases} cases: {e}");
        }
        cases += u64::from(batch);
        if Instant::now() >= deadline {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {cases} cases in {:.1} s (in-process requests so far: {}, 2xx: {})",
        started.elapsed().as_secs_f64(),
        ROUTED.load(Ordering::Relaxed),
        SUCCEEDED.load(Ordering::Relaxed),
    );
}

/// Routes one request and checks what must hold for any input; returns the JSON answer.
fn route_checked(
    app: &App,
    req: ApiRequest,
    body: Result<(), BodyError>,
) -> Result<Value, TestCaseError> {
    let (method, path) = (req.method.clone(), req.raw_path().to_string());
    let scenario_picked = req.header("x-sandbox-scenario").is_some();
    // What `server::service::serve` does, minus the sockets and the scenario's latency.
    let Some((response, bytes)) = server::serve_in_process(app, req, body) else {
        // A scenario's reset or timeout: no answer to check.
        return Ok(Value::Null);
    };
    prop_assert!(
        (100..=599).contains(&response.status),
        "status {} for {method} {path}",
        response.status,
    );
    // Handlers answer errors in an envelope; a 500 means a handler found a broken invariant.
    // (A scenario may inject 5xx on purpose, so requests that pick one are exempt.)
    if !scenario_picked {
        prop_assert!(
            response.status != 500,
            "500 for {method} {path}: {:?}",
            response.body
        );
    }
    ROUTED.fetch_add(1, Ordering::Relaxed);
    if (200..300).contains(&response.status) {
        SUCCEEDED.fetch_add(1, Ordering::Relaxed);
    }
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Every string in `value` that could be an id, a token or a path piece of a later request.
fn harvest(value: &Value, pool: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let mut add = |piece: &str| {
                if (3..=80).contains(&piece.len())
                    && piece.bytes().all(|b| b.is_ascii_graphic())
                    && !pool.iter().any(|p| p == piece)
                    && pool.len() < 64
                {
                    pool.push(piece.to_string());
                }
            };
            if s.starts_with("http") {
                let (path, query) = s.split_once('?').unwrap_or((s, ""));
                if let Some(last) = path.rsplit('/').next() {
                    add(last);
                }
                for (_, v) in http::parse_query(query) {
                    add(&v);
                }
            } else if s.contains('_') || s.contains('-') || s.len() == 24 {
                add(s);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| harvest(v, pool)),
        Value::Object(map) => map.values().for_each(|v| harvest(v, pool)),
        _ => {}
    }
}

/// A JSON value of any shape, with the strings and numbers that tend to break validation.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(1),
            Just(i64::MAX),
            Just(i64::MIN)
        ]
        .prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        Just(json!(1e300)),
        Just(json!(u64::MAX)),
        interesting_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((interesting_key(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn interesting_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,24}",
        1 => "[a-z]{1,8}@[a-z]{1,8}\\.[a-z]{2,3}",
        1 => prop::sample::select(vec![
            "", " ", "a@b.co", "JANE@EXAMPLE.COM", "-1", "0", "1e309", "null", "\u{0}", "é",
            "../../etc", "%00", "%zz", "+", "approve_inquiry", "start_inquiry", "complete_inquiry",
            "decline_inquiry", "mark_for_review_inquiry", "fail_inquiry", "expire_inquiry",
            "inq_", "cnst_x", "2024-02-30", "1990-01-31", "19900131", "US", "usa", "persona",
            "custodial", "freeze", "unfreeze", "personal use", "203.0.113.42", "+14155555555",
            "http://127.0.0.1:9/hook", "javascript:alert(1)", "itmpl_sandbox", "cxn_coinflow",
            "\u{202e}rtl", "💳",
        ])
        .prop_map(str::to_string),
        1 => Just("a".repeat(10_000)),
    ]
}

fn interesting_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "data", "attributes", "meta", "type", "id", "email", "firstName", "lastName",
            "phoneNumber", "program", "serviceId", "serviceCardId", "amount", "status", "seconds",
            "vendor", "shareToken", "info", "fields", "name-first", "birthdate", "url",
            "enabled-events", "webhookUrl", "redirectUrl", "simulate-actions", "source-id",
            "inquiry-template-id", "reference-id", "country", "ssn", "dob",
        ])
        .prop_map(str::to_string),
        1 => "[a-zA-Z_-]{0,12}",
    ]
}
