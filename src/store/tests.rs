use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Store;
use crate::config::Config;

/// A write that finds the namespace's turn taken waits as a task, not as a blocked thread:
/// on a one-thread runtime the holder still runs, and the waiter goes on once it is done.
#[tokio::test(flavor = "current_thread")]
async fn a_write_waits_for_its_turn_without_blocking_the_thread() {
    let store = new_store();
    let namespace = store.namespace("turns");
    let first = namespace.write_turn().await;
    let second_ran = Arc::new(AtomicBool::new(false));
    let waiter = tokio::spawn({
        let namespace = Arc::clone(&namespace);
        let second_ran = Arc::clone(&second_ran);
        async move {
            let _turn = namespace.write_turn().await;
            second_ran.store(true, Ordering::SeqCst);
        }
    });
    // The waiter gets the thread and queues; it cannot go while the first turn is held.
    tokio::task::yield_now().await;
    assert!(!second_ran.load(Ordering::SeqCst));
    drop(first);
    waiter.await.expect("waiter");
    assert!(second_ran.load(Ordering::SeqCst));
}

fn new_store() -> Store {
    Store::new(Arc::new(Config::default()), None, Box::new(|_| {}))
}

/// The namespace a thread used last is found without the map, and never outlives its
/// removal: a removed name starts afresh, and its world is freed though the thread
/// remembers it.
#[test]
fn a_thread_remembers_its_last_namespace_until_it_is_removed() {
    let store = new_store();
    let first = store.namespace("kept");
    assert!(Arc::ptr_eq(&first, &store.namespace("kept")));
    let gone = Arc::downgrade(&first);
    drop(first);
    assert!(store.remove("kept"));
    assert!(
        gone.upgrade().is_none(),
        "the removed namespace was kept alive"
    );
    let again = store.namespace("kept");
    assert!(!Arc::ptr_eq(&again, &store.namespace("other")));
    assert!(Arc::ptr_eq(&again, &store.namespace("kept")));
    // Removed while another request still holds it: the next use is a new namespace.
    assert!(store.remove("kept"));
    assert!(!Arc::ptr_eq(&again, &store.namespace("kept")));
    // Another store's namespace of the same name is its own.
    let other_store = new_store();
    assert!(!Arc::ptr_eq(
        &store.namespace("kept"),
        &other_store.namespace("kept")
    ));
    assert_eq!(other_store.count(), 1);
}

/// A namespace a vendor request makes is not listed, saved or deletable until a request keeps
/// it; refused and as new, it is forgotten by the last request holding it; answered, changed,
/// or used by anything else (the admin API), it is kept.
#[test]
fn a_namespace_a_request_makes_is_kept_only_if_a_request_keeps_it() {
    let store = new_store();
    let first = store.for_request("new");
    let second = store.for_request("new");
    assert!(Arc::ptr_eq(&first, &second) && first.is_provisional());
    assert_eq!((store.names(), store.count()), (Vec::<String>::new(), 0));
    assert!(store.existing("new").is_none());
    assert!(!store.remove("new"), "not deleted from under its request");
    store.request_done(&first, true);
    assert!(
        store.in_use("new").is_some(),
        "the other request still holds it"
    );
    store.request_done(&second, true);
    assert!(
        store.in_use("new").is_none(),
        "forgotten by the last refusal"
    );

    let changed = store.for_request("changed");
    changed.lock().clock.advance(1_000);
    store.request_done(&changed, true);
    let answered = store.for_request("answered");
    store.request_done(&answered, false);
    let used = store.for_request("used");
    let by_admin = store.namespace("used");
    store.request_done(&used, true);
    assert!(!by_admin.is_provisional());
    assert_eq!(store.names(), ["answered", "changed", "used"]);
    // Kept for good: a later refusal leaves it.
    store.request_done(&store.for_request("answered"), true);
    assert_eq!(store.count(), 3);
}

/// A full store still admits the namespace a thread used last (it exists), and no other.
#[test]
fn a_full_store_admits_what_exists() {
    let config = Config {
        max_namespaces: 1,
        ..Config::default()
    };
    let store = Store::new(Arc::new(config), None, Box::new(|_| {}));
    store.namespace("one");
    assert!(store.admits("one").is_ok());
    assert!(store.admits("two").is_err());
    assert!(store.remove("one"));
    // Filled again from another thread: this one still remembers "one".
    std::thread::scope(|threads| {
        threads.spawn(|| store.namespace("two"));
    });
    assert!(
        store.admits("one").is_err(),
        "admitted as remembered after its removal"
    );
}

/// `--max-namespaces` counts the namespaces kept, as the admin listing does, not ones a
/// request in flight is making (which a refusal forgets).
#[test]
fn the_namespace_cap_counts_kept_namespaces() {
    let config = Config {
        max_namespaces: 2,
        ..Config::default()
    };
    let store = Store::new(Arc::new(config), None, Box::new(|_| {}));
    store.namespace("a");
    let b = store.for_request("b");
    assert!(store.admits("c").is_ok(), "b is only being made");
    store.request_done(&b, false);
    let refused = store.admits("c").expect_err("a and b are kept");
    assert!(refused.contains("holds 2 namespaces"), "{refused}");
}
