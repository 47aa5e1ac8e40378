//! Library mode (`src/sandbox.rs`): a `Sandbox` serves on a thread and runtime of its own, so it
//! works from sync tests, outlives the runtime that started it, and a drop waits for its
//! graceful shutdown.

use serde_json::json;
use vendor_sandbox::Sandbox;

use crate::harness::{PERSONA_KEY, RequestBuilder, blocking_get};

/// A runtime as `#[tokio::test]` builds one: current-thread, or multi-thread.
fn test_runtime(multi_thread: bool) -> tokio::runtime::Runtime {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().expect("a runtime")
}

/// Creates a Persona inquiry through `sandbox`'s API and returns its id.
async fn create_inquiry(sandbox: &Sandbox) -> String {
    let created = RequestBuilder::to(sandbox.addr(), "POST", "/api/v1/inquiries")
        .header("authorization", PERSONA_KEY)
        .json(&json!({"data": {"attributes": {"inquiry-template-id": "itmpl_lib"}}}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["data"]["id"]
        .as_str()
        .expect("an inquiry id")
        .to_string()
}

#[test]
fn a_plain_test_starts_it_and_a_blocking_client_is_answered() {
    let sandbox = Sandbox::builder()
        .seed(3)
        .start_blocking()
        .expect("starts with no runtime around");
    let addr = sandbox.addr();
    let (status, body) = blocking_get(&sandbox.admin_url("/health"));
    assert_eq!(status, 200, "{body}");
    let (status, body) = blocking_get(&sandbox.admin_url_in("test-1", "/state"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""namespace":"test-1""#), "{body}");
    sandbox.shutdown_blocking().expect("a clean stop");
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "stopped listening"
    );
}

/// A blocking client on the test's only thread: the server must not need that thread.
#[tokio::test]
async fn a_current_thread_test_with_a_blocking_client_is_answered() {
    let sandbox = Sandbox::start().await.expect("starts");
    let (status, body) = blocking_get(&sandbox.admin_url("/health"));
    assert_eq!(status, 200, "{body}");
    sandbox.shutdown().await.expect("a clean stop");
}

/// One sandbox shared by several `#[tokio::test]`s: the runtime of the test that started it
/// ends before the next test uses it.
#[test]
fn it_outlives_the_runtime_that_started_it() {
    for multi_thread in [false, true] {
        let first = test_runtime(multi_thread);
        let sandbox = first.block_on(Sandbox::builder().start()).expect("starts");
        let id = first.block_on(create_inquiry(&sandbox));
        drop(first);
        let second = test_runtime(multi_thread);
        let (status, state) = blocking_get(&sandbox.admin_url("/state"));
        assert_eq!(status, 200, "multi_thread {multi_thread}: {state}");
        assert!(state.contains(&id), "multi_thread {multi_thread}: {state}");
        second.block_on(sandbox.shutdown()).expect("a clean stop");
    }
}

/// README: "`sandbox.shutdown().await?; // or drop it`". A drop at the end of a test, whose
/// runtime ends right after, still saves the state file: the next start has the inquiry.
#[test]
fn a_drop_at_the_end_of_a_test_saves_the_state_file() {
    let dir = std::env::temp_dir().join(format!(
        "vendor-sandbox-it-drop-saves-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    for multi_thread in [false, true] {
        let path = dir.join(format!("state-{multi_thread}.json"));
        let runtime = test_runtime(multi_thread);
        let id = runtime.block_on(async {
            let sandbox = Sandbox::builder()
                .state_file(&path)
                .start()
                .await
                .expect("starts");
            let id = create_inquiry(&sandbox).await;
            drop(sandbox);
            id
        });
        drop(runtime);
        let saved = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(saved.contains(&id), "multi_thread {multi_thread}: {saved}");
        // The drop also released the file's lock: a new start takes it at once.
        let again = Sandbox::builder()
            .state_file(&path)
            .start_blocking()
            .expect("the file is free");
        let (status, state) = blocking_get(&again.admin_url("/state"));
        assert_eq!(status, 200);
        assert!(state.contains(&id), "restored: {state}");
        again.shutdown_blocking().expect("a clean stop");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `configure` sets any option, the seed too: it is not replaced by a random one.
#[tokio::test]
async fn a_seed_set_through_configure_is_kept() {
    let configured = Sandbox::builder()
        .configure(|config| config.seed = 42)
        .start()
        .await
        .expect("starts");
    assert_eq!(configured.seed(), 42);
    let seeded = Sandbox::builder().seed(42).start().await.expect("starts");
    assert_eq!(
        create_inquiry(&configured).await,
        create_inquiry(&seeded).await,
        "same seed, same ids"
    );
    configured.shutdown().await.expect("a clean stop");
    seeded.shutdown().await.expect("a clean stop");
}
