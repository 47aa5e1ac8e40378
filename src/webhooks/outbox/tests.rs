use super::*;
use crate::config::WebhookConfig;

fn outbox_with_target() -> Outbox {
    let config = Config {
        webhooks: WebhookConfig {
            targets: vec![(Vendor::Persona, "http://127.0.0.1:9/hook".into())],
            ..WebhookConfig::default()
        },
        ..Config::default()
    };
    Outbox::new("ns", &config, None)
}

fn enqueue(outbox: &mut Outbox) -> String {
    outbox
        .enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0)
        .expect("target")
}

/// Ends a pending delivery the way an attempt would, bookkeeping included.
fn finish(outbox: &mut Outbox, id: &str, status: DeliveryStatus) {
    outbox.find_mut(id).expect("delivery").status = status;
    outbox.moved(id, true);
}

/// A reset replaces the outbox and delivery ids start again: a job of the old outbox must
/// not drive the new outbox's delivery with the same id.
#[test]
fn jobs_of_an_older_outbox_are_ignored() {
    let mut old = outbox_with_target();
    let mut new = outbox_with_target();
    let id = old
        .enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0)
        .expect("target");
    assert_eq!(
        new.enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0),
        Some(id.clone())
    );
    let stale = Job {
        namespace: "ns".into(),
        generation: old.generation,
        delivery_id: id.clone(),
    };
    assert!(new.plan(&stale, 3).is_none());
    assert!(old.plan(&stale, 3).is_some());
}

/// A receiver that is down never costs a pending delivery: at the cap the new event is the one
/// not sent, and it is listed as `dropped` with the reason.
#[test]
fn pending_deliveries_are_never_dropped_and_events_beyond_the_cap_are_recorded_as_dropped() {
    let mut outbox = outbox_with_target();
    outbox.pending_max = 3;
    let ids: Vec<String> = (0..5).map(|_| enqueue(&mut outbox)).collect();
    let statuses: Vec<DeliveryStatus> = outbox.deliveries().map(|d| d.status).collect();
    use DeliveryStatus::{Dropped, Pending};
    assert_eq!(statuses, [Pending, Pending, Pending, Dropped, Dropped]);
    assert_eq!(outbox.dropped(), 2);
    assert_eq!(outbox.pending(), 3);
    let reason = outbox.get(&ids[4]).and_then(|d| d.reason.clone());
    assert_eq!(
        reason.as_deref(),
        Some("pending cap of 3 reached (--webhook-pending-max)")
    );
    assert!(!outbox.redeliver(&ids[4]), "no room to make it pending");
    let plan = Job {
        namespace: "ns".into(),
        generation: outbox.generation,
        delivery_id: ids[4].clone(),
    };
    assert!(
        outbox.plan(&plan, 3).is_none(),
        "a dropped event is never sent"
    );

    finish(&mut outbox, &ids[0], DeliveryStatus::Delivered);
    let next = enqueue(&mut outbox);
    assert_eq!(outbox.get(&next).map(|d| d.status), Some(Pending));
    assert!(outbox.get(&next).is_some_and(|d| d.reason.is_none()));
}

#[test]
fn finished_deliveries_are_evicted_oldest_first_and_pending_ones_stay() {
    let mut outbox = outbox_with_target();
    let waiting = enqueue(&mut outbox);
    let finished: Vec<String> = (0..FINISHED_KEPT + 10)
        .map(|_| {
            let id = enqueue(&mut outbox);
            finish(&mut outbox, &id, DeliveryStatus::Failed);
            id
        })
        .collect();
    assert_eq!(outbox.deliveries().count(), FINISHED_KEPT + 1);
    assert!(
        outbox.get(&finished[9]).is_none(),
        "the oldest finished went"
    );
    assert!(outbox.get(&finished[10]).is_some());
    assert_eq!(
        outbox.get(&waiting).map(|d| d.status),
        Some(DeliveryStatus::Pending),
        "older, but pending: kept"
    );
}

/// A loaded outbox keeps every delivery as it was (secrets and due times included) and
/// hands the pending ones to the worker again.
#[test]
fn a_loaded_outbox_requeues_its_pending_deliveries() {
    let mut outbox = outbox_with_target();
    outbox.set_target(
        Vendor::Persona,
        Target {
            url: "http://127.0.0.1:9/hook".into(),
            secrets: vec!["wbhsec_1".into()],
        },
    );
    let done = outbox
        .enqueue(Vendor::Persona, "e", &serde_json::json!({"n": 1}), 0)
        .expect("target");
    let pending = outbox
        .enqueue(Vendor::Persona, "e", &serde_json::json!({"n": 2}), 0)
        .expect("target");
    finish(&mut outbox, &done, DeliveryStatus::Delivered);
    outbox.find_mut(&pending).expect("pending").next_attempt_at = Some(1_234);
    let saved = serde_json::to_string(&outbox).expect("serialize");

    let mut loaded: Outbox = serde_json::from_str(&saved).expect("deserialize");
    let (jobs, mut queued) = tokio::sync::mpsc::unbounded_channel();
    loaded.attach("ns", Some(jobs), 10);
    let job = queued.try_recv().expect("the pending delivery is queued");
    assert_eq!(job.delivery_id, pending);
    assert_eq!(job.namespace, "ns");
    assert!(queued.try_recv().is_err(), "the delivered one is not");
    let plan = loaded.plan(&job, 3).expect("plannable");
    assert_eq!(plan.secrets, ["wbhsec_1"]);
    assert_eq!(
        loaded.get(&pending).and_then(|d| d.next_attempt_at),
        Some(1_234)
    );
    assert_eq!(
        loaded.get(&done).map(|d| d.status),
        Some(DeliveryStatus::Delivered)
    );
    assert_eq!(
        loaded.enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0),
        Some("whd_000003".to_string()),
        "delivery ids go on"
    );
}

#[test]
fn only_finished_deliveries_are_redelivered() {
    let mut outbox = outbox_with_target();
    let id = outbox
        .enqueue(Vendor::Persona, "e", &serde_json::json!({}), 0)
        .expect("target");
    assert!(!outbox.redeliver(&id), "pending: already being delivered");
    finish(&mut outbox, &id, DeliveryStatus::Failed);
    assert!(outbox.redeliver(&id));
    assert_eq!(
        outbox.get(&id).map(|d| d.status),
        Some(DeliveryStatus::Pending)
    );
}

/// A delivery keeps whose event it is through a save and a load; a file written before
/// deliveries had owners still loads, with none.
#[test]
fn a_delivery_keeps_its_owner_and_old_files_load_without_one() {
    let mut outbox = outbox_with_target();
    let owned = outbox
        .enqueue_owned(
            Vendor::Persona,
            "merchant-1",
            "e",
            &serde_json::json!({}),
            0,
        )
        .expect("target");
    let unowned = enqueue(&mut outbox);
    let saved = serde_json::to_value(&outbox).expect("serialize");
    let loaded: Outbox = serde_json::from_value(saved.clone()).expect("deserialize");
    assert_eq!(
        loaded.get(&owned).and_then(|d| d.owner.as_deref()),
        Some("merchant-1")
    );
    assert_eq!(loaded.get(&unowned).map(|d| d.owner.clone()), Some(None));

    let mut old = saved;
    for d in old["deliveries"].as_array_mut().expect("deliveries") {
        d.as_object_mut().expect("delivery").remove("owner");
    }
    let loaded: Outbox = serde_json::from_value(old).expect("an old file loads");
    assert_eq!(loaded.get(&owned).map(|d| d.owner.clone()), Some(None));
}

#[test]
fn only_a_pending_delivery_is_brought_forward() {
    let mut outbox = outbox_with_target();
    let id = enqueue(&mut outbox);
    outbox.find_mut(&id).expect("pending").next_attempt_at = Some(60_000);
    assert!(outbox.bring_forward(&id, 1_000));
    assert_eq!(outbox.get(&id).and_then(|d| d.next_attempt_at), Some(1_000));
    finish(&mut outbox, &id, DeliveryStatus::Delivered);
    assert!(!outbox.bring_forward(&id, 1_000));
    assert!(!outbox.bring_forward("whd_999999", 1_000));
}
