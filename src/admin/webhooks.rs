//! Webhook deliveries and targets: list, redeliver, flush (the one async admin route), and the
//! namespace's target URL and secret per vendor.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{body, error};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::vendors::Vendor;
use crate::webhooks::{DeliveryStatus, Target};

/// A namespace not made yet answers a new one's deliveries, and stays unmade.
pub fn list(app: &App, req: &ApiRequest) -> ApiResponse {
    let answer = app.store.view(&req.namespace, |world| {
        let deliveries: Vec<Value> = world
            .webhooks
            .deliveries()
            .rev()
            .filter_map(|d| serde_json::to_value(d).ok())
            .collect();
        json!({"deliveries": deliveries, "dropped": world.webhooks.dropped()})
    });
    ApiResponse::json(200, answer)
}

/// Sends a finished delivery again, from a first attempt, with the body it had.
pub fn redeliver(app: &App, req: &ApiRequest, id: &str) -> ApiResponse {
    let no_delivery = || {
        error(
            404,
            &format!("No webhook delivery {id} in namespace {}", req.namespace),
        )
    };
    // A namespace not made yet has no delivery, and a refusal makes none.
    let Some(ns) = app.store.existing(&req.namespace) else {
        return no_delivery();
    };
    let mut world = ns.lock();
    let status = match world.webhooks.get(id) {
        None => return no_delivery(),
        Some(d) => d.status,
    };
    if status == DeliveryStatus::Pending {
        return error(
            409,
            &format!(
                "Webhook delivery {id} is still pending; it can be redelivered once it is delivered or failed (or flush it)"
            ),
        );
    }
    if let Some(reason) = world.webhooks.pending_cap_reason() {
        return error(
            409,
            &format!("Webhook delivery {id} cannot be pending again now: {reason}"),
        );
    }
    world.webhooks.redeliver(id);
    match world.webhooks.get(id).map(serde_json::to_value) {
        Some(Ok(delivery)) => ApiResponse::json(202, json!({"delivery": delivery})),
        _ => error(404, &format!("No webhook delivery {id}")),
    }
}

/// Makes every pending delivery of the namespace due now, and answers once each has had its
/// next attempt (or after a bound: the attempt timeout plus a margin). Deliveries that fail
/// again stay pending with their next retry scheduled. A namespace not made yet has nothing to
/// flush, and stays unmade.
pub async fn flush(app: &App, req: &ApiRequest) -> ApiResponse {
    let Some(ns) = app.store.existing(&req.namespace) else {
        return flush_answer(Vec::new(), &BTreeMap::new(), false);
    };
    let (mut waiting, mut signals) = {
        let mut world = ns.lock();
        let now = world.clock.now_ms();
        (world.webhooks.flush(now), world.webhooks.subscribe())
    };
    let flushed: Vec<String> = waiting.iter().map(|(id, _)| id.clone()).collect();
    let bound = app.config.webhooks.attempt_timeout + Duration::from_secs(2);
    let deadline = tokio::time::Instant::now() + bound;
    let mut timed_out = false;
    loop {
        {
            let world = ns.lock();
            waiting.retain(|(id, attempts)| {
                world.webhooks.get(id).is_some_and(|d| {
                    d.status == DeliveryStatus::Pending && d.attempts.len() <= *attempts
                })
            });
        }
        if waiting.is_empty() {
            break;
        }
        match tokio::time::timeout_at(deadline, signals.changed()).await {
            Ok(Ok(())) => {}
            // The outbox was replaced (a reset): nothing of it is left to wait for.
            Ok(Err(_)) => break,
            Err(_) => {
                timed_out = true;
                break;
            }
        }
    }
    let world = ns.lock();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &flushed {
        let status = world.webhooks.get(id).map_or("gone", |d| d.status.as_str());
        *counts.entry(status).or_default() += 1;
    }
    flush_answer(flushed, &counts, timed_out)
}

/// The flush's answer: the deliveries it made due, and how many of them ended in each status.
fn flush_answer(ids: Vec<String>, counts: &BTreeMap<&str, usize>, timed_out: bool) -> ApiResponse {
    ApiResponse::json(
        200,
        json!({
            "flushed": ids,
            "delivered": counts.get("delivered").copied().unwrap_or(0),
            "failed": counts.get("failed").copied().unwrap_or(0),
            "pending": counts.get("pending").copied().unwrap_or(0),
            "timed_out": timed_out,
        }),
    )
}

/// A namespace not made yet answers a new one's targets (none), and stays unmade.
fn targets_json(app: &App, namespace: &str) -> Value {
    let targets = app.store.view(namespace, |world| {
        let mut targets = serde_json::Map::new();
        for vendor in Vendor::ALL {
            let target = world
                .webhooks
                .target(vendor)
                .map(|t| json!({"url": t.url, "secret": t.secrets.first(), "secrets": t.secrets}));
            targets.insert(vendor.as_str().into(), target.unwrap_or(Value::Null));
        }
        targets
    });
    json!({"namespace": namespace, "targets": targets})
}

pub fn targets(app: &App, req: &ApiRequest) -> ApiResponse {
    ApiResponse::json(200, targets_json(app, &req.namespace))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetIn {
    url: String,
    /// Signs the webhooks; none sends them unsigned.
    secret: Option<String>,
}

/// `{"persona": {"url", "secret"}, "bitmama": null}`: sets (or with `null` removes) the target of
/// each vendor named; vendors not named keep theirs. All or nothing.
pub fn set_targets(app: &App, req: &ApiRequest) -> ApiResponse {
    let changes: BTreeMap<String, Option<TargetIn>> = match body(req) {
        Ok(c) => c,
        Err(response) => return response,
    };
    let mut checked = Vec::new();
    for (name, target) in changes {
        let Some(vendor) = Vendor::parse(&name) else {
            return error(
                400,
                &format!("Unknown vendor {name:?}; expected persona, coinflow or bitmama"),
            );
        };
        if let Some(t) = &target
            && let Err(message) = check_url(&t.url)
        {
            return error(400, &format!("{name}.url: {message}"));
        }
        checked.push((vendor, target));
    }
    {
        let ns = app.store.namespace(&req.namespace);
        let mut world = ns.lock();
        for (vendor, target) in checked {
            let target = target.map(|t| Target {
                url: t.url,
                secrets: t.secret.into_iter().filter(|s| !s.is_empty()).collect(),
            });
            world.webhooks.set_target_by_admin(vendor, target);
        }
    }
    ApiResponse::json(200, targets_json(app, &req.namespace))
}

fn check_url(url: &str) -> Result<(), String> {
    crate::webhooks::deliverable(url).map(|_| ())
}

/// `POST /__admin/webhooks/check` `{vendor, url, secret, event?}`: runs `vendor-sandbox webhooks
/// check` against the user's receiver and answers its report (200 whatever the verdict: `ok`
/// says it). Holds no lock: it only sends.
pub async fn check(req: &ApiRequest) -> ApiResponse {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Check {
        vendor: String,
        url: String,
        secret: String,
        event: Option<String>,
    }
    let check: Check = match body(req) {
        Ok(c) => c,
        Err(response) => return response,
    };
    let Some(vendor) = Vendor::parse(&check.vendor) else {
        return error(
            400,
            &format!(
                "Unknown vendor {:?}; expected persona, coinflow or bitmama",
                check.vendor
            ),
        );
    };
    match crate::webhook_check::check(vendor, &check.url, &check.secret, check.event.as_deref())
        .await
    {
        Ok(report) => match serde_json::to_value(&report) {
            Ok(value) => ApiResponse::json(200, value),
            Err(e) => error(500, &format!("Report could not be written: {e}")),
        },
        Err(message) => error(400, &message),
    }
}
