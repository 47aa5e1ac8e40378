use super::*;
use crate::config::Config;

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("vendor-sandbox-sync-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create");
    dir
}

fn commit(writer: &mut Writer, name: &str) {
    try_commit(writer, &[name]).expect("committed");
}

/// Commits `names` as one group; the answer of the first.
fn try_commit(writer: &mut Writer, names: &[&str]) -> Result<(), String> {
    commit_each(writer, names).remove(0)
}

/// Commits `names` as one group; the answer of each.
fn commit_each(writer: &mut Writer, names: &[&str]) -> Vec<Result<(), String>> {
    let (group, answers): (Vec<_>, Vec<_>) = (names.iter())
        .map(|name| {
            let (done, finished) = oneshot::channel();
            let scope = Scope::Namespace(name.to_string());
            (Command::Commit { scope, done }, finished)
        })
        .unzip();
    assert!(!writer.run_group(group));
    (answers.into_iter())
        .map(|mut answer| answer.try_recv().expect("answered"))
        .collect()
}

fn store_with(
    config: Config,
    jobs: Option<mpsc::UnboundedSender<crate::webhooks::Job>>,
) -> Arc<Store> {
    Arc::new(Store::new(Arc::new(config), jobs, Box::new(|_| {})))
}

/// A log that takes no more bytes: every write fails as on a full disk.
fn full_disk() -> File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

/// A store whose namespaces send Coinflow webhooks to `receiver`, its webhook settings, and the
/// queue of deliveries it makes.
fn webhooks_to(
    receiver: std::net::SocketAddr,
) -> (
    Arc<Store>,
    crate::config::WebhookConfig,
    mpsc::UnboundedReceiver<crate::webhooks::Job>,
) {
    let mut config = Config::default();
    let url = format!("http://{receiver}/hooks");
    config.webhooks.targets = vec![(crate::vendor::Vendor::Coinflow, url)];
    config.webhooks.attempt_timeout = std::time::Duration::from_millis(200);
    let webhooks = config.webhooks.clone();
    let (jobs, queued) = mpsc::unbounded_channel();
    (store_with(config, Some(jobs)), webhooks, queued)
}

/// Queues one Coinflow webhook in `ns`, as a request's change would.
fn queue_webhook(ns: &crate::store::Namespace) {
    let mut world = ns.lock();
    let now = world.clock.now_ms();
    let event = serde_json::json!({"data": {}});
    let queued =
        (world.webhooks).enqueue(crate::vendor::Vendor::Coinflow, "KYC Created", &event, now);
    assert!(queued.is_some());
}

/// The webhook worker, committing through `log` as the server wires it.
struct Deliveries {
    stop: tokio::sync::watch::Sender<Option<crate::webhooks::Stop>>,
    worker: tokio::task::JoinHandle<()>,
}

impl Deliveries {
    fn start(
        store: &Arc<Store>,
        webhooks: crate::config::WebhookConfig,
        queued: mpsc::UnboundedReceiver<crate::webhooks::Job>,
        log: &SyncLog,
    ) -> Self {
        let (stop, stopped) = tokio::sync::watch::channel(None);
        let worker = tokio::spawn(crate::webhooks::run_worker(
            store.clone(),
            Arc::new(crate::scenario::Catalog::shipped(
                crate::vendors::vocabulary(),
            )),
            crate::vendors::webhook_headers,
            webhooks,
            Some(log.clone()),
            queued,
            stopped,
        ));
        Self { stop, worker }
    }

    /// Stops it, letting deliveries in flight finish within `grace`.
    async fn stop(self, grace: std::time::Duration) {
        let _ = self.stop.send(Some(crate::webhooks::Stop {
            deadline: tokio::time::Instant::now() + grace,
            keep_pending: true,
        }));
        self.worker.await.expect("worker");
    }
}

/// What a restart after a kill loads: the state file and the log replayed over it.
fn offsets_after_a_kill(path: &std::path::Path) -> Vec<(String, i64)> {
    let state = super::super::load(path).expect("loads").expect("present");
    state
        .namespaces
        .iter()
        .map(|(name, world)| (name.clone(), world.clock.offset_ms()))
        .collect()
}

#[test]
fn commits_survive_a_kill_across_folds_and_unchanged_namespaces_are_not_written() {
    let dir = temp_dir("folds");
    let path = dir.join("state.json");
    let store = store_with(Config::default(), None);
    // Fold as soon as the log is larger than twice the state file.
    let mut writer = Writer::open(store.clone(), path.clone(), 0, 0).expect("open");
    let mut generations = BTreeSet::new();
    for step in 1..=20 {
        let name = if step % 3 == 0 { "b" } else { "a" };
        store.namespace(name).lock().clock.advance(1_000);
        commit(&mut writer, name);
        generations.insert(writer.generation);
        let mut expected = vec![("a".to_string(), (step - step / 3) * 1_000)];
        if step >= 3 {
            expected.push(("b".to_string(), step / 3 * 1_000));
        }
        assert_eq!(offsets_after_a_kill(&path), expected, "after step {step}");
    }
    assert!(generations.len() > 3, "the log was folded: {generations:?}");

    // Once written (a fold, which may just have run, forgets what the log holds), a
    // namespace that did not change is not written again.
    commit(&mut writer, "a");
    let before = writer.log_bytes;
    commit(&mut writer, "a");
    assert_eq!(writer.log_bytes, before, "nothing changed: nothing written");
    writer.close().expect("close");
    assert!(
        !log::log_path(&path).exists(),
        "the log is folded at shutdown"
    );
    assert_eq!(offsets_after_a_kill(&path).len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_commit_that_cannot_be_written_is_undone_and_reads_go_on() {
    let dir = temp_dir("undone");
    let path = dir.join("state.json");
    let store = store_with(Config::default(), None);
    let mut writer = Writer::open(store.clone(), path.clone(), 0, u64::MAX).expect("open");
    for name in ["a", "c"] {
        store.namespace(name).lock().clock.advance(1_000);
        commit(&mut writer, name);
    }
    store.namespace("d");
    commit(&mut writer, "d");
    writer.file = full_disk();
    let epoch = store.namespace("a").epoch();
    // Changed, made and deleted by requests the full disk then fails; `d` is in the group
    // but has nothing to write.
    store.namespace("a").lock().clock.advance(500);
    store.namespace("b").lock().clock.advance(7);
    assert!(store.remove("c"));
    let answers = commit_each(&mut writer, &["a", "b", "c", "d"]);
    let failed = answers[0].clone().expect_err("the disk is full");
    assert!(failed.contains("the change was undone"), "{failed}");
    assert!(answers[1].is_err() && answers[2].is_err(), "{answers:?}");
    assert_eq!(
        answers[3],
        Ok(()),
        "d changed nothing: its read is answered"
    );
    assert_ne!(
        store.namespace("a").epoch(),
        epoch,
        "a's world was replaced"
    );
    let offset = |name: &str| store.existing(name).map(|ns| ns.read().clock.offset_ms());
    assert_eq!(offset("a"), Some(1_000), "back to what was saved");
    assert_eq!(offset("b"), None, "made by the failed change: gone");
    assert_eq!(
        offset("c"),
        Some(1_000),
        "deleted by the failed change: back"
    );
    assert_eq!(store.rollbacks(), 3, "a, b and c were put back");

    // Nothing to write: a read is not refused while the disk is full, nor one that drew a
    // Persona `Request-Id` (every Persona answer does; a draw is no change).
    commit(&mut writer, "a");
    store.namespace("a").read().request_ids.next("req_");
    commit(&mut writer, "a");
    // Once there is room, the next change writes the whole state file.
    store.namespace("a").lock().clock.advance(2_000);
    commit(&mut writer, "a");
    let expected = |a| {
        let mut expected = vec![("a".to_string(), a), ("c".to_string(), 1_000)];
        expected.push(("d".to_string(), 0));
        expected
    };
    assert_eq!(offsets_after_a_kill(&path), expected(3_000));
    store.namespace("a").lock().clock.advance(1);
    commit(&mut writer, "a");
    assert_eq!(offsets_after_a_kill(&path), expected(3_001), "the new log");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A delivery goes out only once the change that queued it is on disk: here it never is, so
/// the receiver never hears of it.
#[tokio::test]
async fn webhooks_wait_for_their_change_to_be_saved() {
    let dir = temp_dir("webhooks");
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    receiver.set_nonblocking(true).expect("nonblocking");
    let (store, webhooks, queued) = webhooks_to(receiver.local_addr().expect("addr"));
    let mut writer =
        Writer::open(store.clone(), dir.join("state.json"), 0, u64::MAX).expect("open");
    store.namespace("a");
    commit(&mut writer, "a");
    writer.file = full_disk();
    let (log, saved) = spawn(writer);
    let deliveries = Deliveries::start(&store, webhooks, queued, &log);
    queue_webhook(&store.namespace("a"));
    // The worker lets its deliveries finish before it stops.
    deliveries.stop(std::time::Duration::from_secs(10)).await;
    assert!(
        receiver.accept().is_err(),
        "the receiver heard of a change that was never saved"
    );
    let pending = store.existing("a").map(|ns| ns.read().webhooks.pending());
    assert_eq!(pending, Some(0), "undone with its change");
    log.stop();
    let _ = saved.await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A deletion undone by another request's failed write is told: the store's rollback count
/// moves (what an admin change compares), and the namespace is back.
#[test]
fn a_deletion_undone_by_a_failed_write_moves_the_rollback_count() {
    let dir = temp_dir("undone-deletion");
    let store = store_with(Config::default(), None);
    let mut writer =
        Writer::open(store.clone(), dir.join("state.json"), 0, u64::MAX).expect("open");
    for name in ["a", "x"] {
        store.namespace(name).lock().clock.advance(1_000);
        commit(&mut writer, name);
    }
    // DELETE /__admin/namespaces/x began, and ran.
    let before = store.rollbacks();
    assert!(store.remove("x"));
    // Another request's change to `a` fails to be written: the deletion was not saved either.
    store.namespace("a").lock().clock.advance(5);
    let working = std::mem::replace(&mut writer.file, full_disk());
    try_commit(&mut writer, &["a"]).expect_err("the disk is full");
    writer.file = working;
    // The deletion's own commit then finds nothing to write.
    assert_eq!(try_commit(&mut writer, &["default"]), Ok(()));
    assert!(store.existing("x").is_some(), "x is back");
    assert_ne!(
        store.rollbacks(),
        before,
        "which the deletion's request sees"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fold writes the live store, a change whose commit is still on its way included: when that
/// commit then fails, the change is on disk all the same, so it is kept and answered.
#[test]
fn a_change_a_fold_saved_is_kept_when_its_own_write_fails() {
    let dir = temp_dir("folded-first");
    let path = dir.join("state.json");
    let store = store_with(Config::default(), None);
    let mut writer = Writer::open(store.clone(), path.clone(), 0, u64::MAX).expect("open");
    store.namespace("a").lock().clock.advance(1_000);
    commit(&mut writer, "a");
    let epoch = store.namespace("a").epoch();
    store.namespace("a").lock().clock.advance(500);
    writer.fold().expect("fold");
    writer.file = full_disk();
    assert_eq!(try_commit(&mut writer, &["a"]), Ok(()), "saved by the fold");
    assert_eq!(store.namespace("a").epoch(), epoch, "not put back");
    assert_eq!(offsets_after_a_kill(&path), vec![("a".to_string(), 1_500)]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The first request in a namespace keeps it only once it is answered, and until then the
/// writer does not see it: a webhook that request queued waits for the namespace to be kept,
/// and so goes out only once the namespace is on disk.
#[tokio::test]
async fn a_webhook_of_a_namespace_still_being_made_waits_for_it_to_be_saved() {
    let dir = temp_dir("webhooks-fresh");
    let path = dir.join("state.json");
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let (store, webhooks, queued) = webhooks_to(receiver.local_addr().expect("addr"));
    let (log, saved) = spawn(Writer::open(store.clone(), path.clone(), 0, u64::MAX).expect("open"));
    let deliveries = Deliveries::start(&store, webhooks, queued, &log);
    // A request makes `fresh` and queues a webhook; it is not done yet.
    let ns = store.for_request("fresh");
    queue_webhook(&ns);
    let early =
        tokio::time::timeout(std::time::Duration::from_millis(300), receiver.accept()).await;
    assert!(early.is_err(), "sent while the namespace was not saved");
    // Answered: the request keeps it.
    store.request_done(&ns, false);
    let delivered =
        tokio::time::timeout(std::time::Duration::from_secs(10), receiver.accept()).await;
    assert!(delivered.is_ok(), "sent once kept");
    let on_disk = super::super::load(&path).expect("loads").expect("saved");
    assert!(
        on_disk.namespaces.contains_key("fresh"),
        "on disk before it is sent"
    );
    deliveries.stop(std::time::Duration::ZERO).await;
    log.stop();
    let _ = saved.await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A namespace deleted and made again while a failed batch was built is in it twice; it is put
/// back once, as the files hold it, not restored and then removed.
#[test]
fn a_namespace_tried_twice_is_put_back_once() {
    let dir = temp_dir("tried-twice");
    let store = store_with(Config::default(), None);
    let mut writer =
        Writer::open(store.clone(), dir.join("state.json"), 0, u64::MAX).expect("open");
    store.namespace("x").lock().clock.advance(1_000);
    commit(&mut writer, "x");
    store.namespace("x").lock().clock.advance(5);
    let tried = vec![
        ("x".to_string(), Tried::Deletion),
        ("x".to_string(), Tried::World(1)),
    ];
    let undone = writer.roll_back(tried).expect("put back");
    assert_eq!(undone.into_iter().collect::<Vec<_>>(), ["x"]);
    let offset = store.existing("x").map(|ns| ns.read().clock.offset_ms());
    assert_eq!(offset, Some(1_000), "as the files hold it");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A namespace no commit wrote that a fold put in the state file gets a deletion record too
/// when it is deleted: a crash right after does not bring it back. (No request makes one now,
/// admin reads included; the fold guards the case all the same.)
#[test]
fn a_namespace_only_a_fold_wrote_stays_deleted_after_a_kill() {
    let dir = temp_dir("fold-delete");
    let path = dir.join("state.json");
    let store = store_with(Config::default(), None);
    let mut writer = Writer::open(store.clone(), path.clone(), 0, u64::MAX).expect("open");
    store.namespace("busy").lock().clock.advance(1_000);
    commit(&mut writer, "busy");
    store.namespace("ghost").lock().clock.advance(7);
    writer.fold().expect("fold");
    assert!(
        offsets_after_a_kill(&path).contains(&("ghost".to_string(), 7)),
        "the fold wrote ghost"
    );
    // DELETE /__admin/namespaces/ghost, named in no namespace: its commit is `default`'s.
    assert!(store.remove("ghost"));
    commit(&mut writer, "default");
    // Killed: the files are read as they are.
    let names: Vec<String> = (offsets_after_a_kill(&path).into_iter())
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, ["busy"], "ghost stays deleted");
    let _ = std::fs::remove_dir_all(&dir);
}
