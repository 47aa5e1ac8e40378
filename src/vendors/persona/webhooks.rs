//! Persona's outgoing webhooks: the `/api/v1/webhooks` endpoints (target, enabled events,
//! secret rotation), the `Persona-Signature` header, and handing events to the outbox.
//!
//! Each event goes to every enabled API webhook whose enabled events include it, one delivery
//! each, signed with that webhook's secrets and recased by its key inflection, as Persona posts
//! to every subscription. Without an enabled API webhook it goes to the namespace's own target,
//! `--webhook persona=URL` / `--webhook-secret persona=…` (or the admin API's), which is kept as
//! it is meanwhile. Secrets expire in sandbox time, so advancing the namespace clock ends the
//! overlap window of a rotation.

mod change;
mod subscriptions;

use serde_json::{Value, json};

use change::WebhookChange;
pub use subscriptions::Subscriptions;
use subscriptions::Webhook;
pub(super) use subscriptions::WebhookStatus;

use super::inflection::Inflection;
use super::{Ctx, Replies};
use crate::clock::Millis;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::World;
use crate::vendors::numbers::whole_number;
use crate::vendors::{Vendor, timestamped_signature};
use crate::webhooks::AttemptInfo;

/// `GET /api/v1/webhooks/{webhook-id}`.
pub(super) fn retrieve(world: &World, req: &ApiRequest, id: &str) -> ApiResponse {
    match world.persona.webhooks.get(id) {
        Some(hook) => document(200, hook, world.clock.now_ms(), true),
        None => not_found(req, id),
    }
}

fn not_found(req: &ApiRequest, id: &str) -> ApiResponse {
    super::error(404, &format!("Webhook {id} not found"), req)
}

/// `{"data": <webhook>, "included": []}`; `with_secret` for the endpoints whose spec response is
/// `webhook-with-secret` (create, retrieve, rotate).
fn document(status: u16, hook: &Webhook, now: Millis, with_secret: bool) -> ApiResponse {
    ApiResponse::json(
        status,
        json!({"data": hook.render(now, with_secret), "included": []}),
    )
}

/// `GET /api/v1/webhooks`: the namespace's webhooks, oldest first, in pages like every list
/// (`page[size]`, `page[after]`, `page[before]`); no filters.
pub(super) fn list(ctx: &Ctx, world: &World) -> ApiResponse {
    if let Err(response) = super::filters::only(ctx, &[]) {
        return response;
    }
    let now = world.clock.now_ms();
    let hooks = world.persona.webhooks.all();
    match super::page(
        ctx,
        hooks,
        |hook| hook.id.as_str(),
        |_| None,
        "/api/v1/webhooks",
    ) {
        Ok((page, links)) => {
            let data: Vec<Value> = page.iter().map(|hook| hook.render(now, false)).collect();
            ctx.ok(200, json!({"data": data, "links": links}))
        }
        Err(response) => response,
    }
}

/// `POST /api/v1/webhooks`: `url` and `enabled-events` required; answers 201 with the secret.
pub(super) fn create(world: &mut World, req: &ApiRequest) -> ApiResponse {
    let change = match WebhookChange::parse(req, true) {
        Ok(change) => change,
        Err((status, message)) => return super::error(status, &message, req),
    };
    let now = world.clock.now_ms();
    let id = world.ids.persona("wbh_");
    let secret = new_secret(world);
    let hook = Webhook::new(id.into(), secret, change, now);
    let response = document(201, &hook, now, true);
    world.persona.webhooks.insert(hook);
    response
}

/// `PATCH /api/v1/webhooks/{id}`: changes the attributes given; nothing is required.
pub(super) fn update(world: &mut World, req: &ApiRequest, id: &str) -> ApiResponse {
    if world.persona.webhooks.get(id).is_none() {
        return not_found(req, id);
    }
    let change = match WebhookChange::parse(req, false) {
        Ok(change) => change,
        Err((status, message)) => return super::error(status, &message, req),
    };
    let now = world.clock.now_ms();
    let Some(hook) = world.persona.webhooks.get_mut(id) else {
        return not_found(req, id);
    };
    if hook.status == WebhookStatus::Archived {
        return super::error(
            422,
            &format!("Webhook {id} is archived and cannot be changed"),
            req,
        );
    }
    hook.apply(change);
    document(200, hook, now, false)
}

pub(super) fn set_status(
    world: &mut World,
    req: &ApiRequest,
    id: &str,
    to: WebhookStatus,
) -> ApiResponse {
    // No body is needed; one sent must still be a JSON object (a malformed one is not ignored).
    if let Err((status, message, _)) = super::request::body_object_of(req, true) {
        return super::error(status, &message, req);
    }
    let now = world.clock.now_ms();
    let Some(hook) = world.persona.webhooks.get(id) else {
        return not_found(req, id);
    };
    if hook.status == WebhookStatus::Archived && to != WebhookStatus::Archived {
        return super::error(
            422,
            &format!("Webhook {id} is archived; an archived webhook cannot be enabled or disabled"),
            req,
        );
    }
    match world.persona.webhooks.set_status(id, to) {
        Some(hook) => document(200, hook, now, false),
        None => not_found(req, id),
    }
}

/// `POST /api/v1/webhooks/{id}/rotate-secret` with optional `{"meta":{"expires-in-seconds":N}}`:
/// a new secret signs from now on; the current one keeps signing too for N more seconds of
/// sandbox time (0, the default, retires it at once).
pub(super) fn rotate_secret(world: &mut World, req: &ApiRequest, id: &str) -> ApiResponse {
    let expires_in = match parse_rotation(req) {
        Ok(seconds) => seconds,
        Err((status, message)) => return super::error(status, &message, req),
    };
    match world.persona.webhooks.get(id) {
        None => return not_found(req, id),
        Some(hook) if hook.status == WebhookStatus::Archived => {
            return super::error(
                422,
                &format!("Webhook {id} is archived; its secret cannot be rotated"),
                req,
            );
        }
        Some(_) => {}
    }
    let now = world.clock.now_ms();
    let secret = new_secret(world);
    let Some(hook) = world.persona.webhooks.get_mut(id) else {
        return not_found(req, id);
    };
    hook.rotate(secret, now, expires_in);
    document(200, hook, now, true)
}

/// The longest time an old secret may stay valid after a rotation: one year.
const MAX_ROTATION_OVERLAP_SECONDS: i64 = 365 * 24 * 60 * 60;

/// The `expires-in-seconds` of a rotation request; an empty body means 0.
fn parse_rotation(req: &ApiRequest) -> Result<i64, (u16, String)> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(0);
    }
    let body = super::request::json_value(req).map_err(|e| (400, e.0))?;
    let Some(top) = body.as_object() else {
        return Err((400, "Request body must be a JSON object".into()));
    };
    if let Some(key) = top.keys().find(|k| *k != "meta") {
        return Err((
            400,
            format!("Unknown key {key:?}: the body takes only meta.expires-in-seconds"),
        ));
    }
    let Some(meta) = top.get("meta") else {
        return Ok(0);
    };
    let Some(meta) = meta.as_object() else {
        return Err((400, "meta must be an object".into()));
    };
    if let Some(key) = meta.keys().find(|k| *k != "expires-in-seconds") {
        return Err((
            400,
            format!("Unknown key meta.{key}: meta takes only expires-in-seconds"),
        ));
    }
    match meta.get("expires-in-seconds") {
        None | Some(Value::Null) => Ok(0),
        Some(value) => match whole_number(value) {
            Some(seconds) if seconds > MAX_ROTATION_OVERLAP_SECONDS => Err((
                422,
                format!(
                    "meta.expires-in-seconds must be at most {MAX_ROTATION_OVERLAP_SECONDS} (one year), got {seconds}"
                ),
            )),
            Some(seconds) if seconds >= 0 => Ok(seconds),
            _ => Err((
                400,
                format!("meta.expires-in-seconds must be a non-negative integer, got {value}"),
            )),
        },
    }
}

/// `wbhsec_` and a UUID, the form of Persona's example secrets.
fn new_secret(world: &mut World) -> String {
    format!("wbhsec_{}", world.ids.uuid())
}

/// A state file saved before an API webhook was its deliveries' own target kept the enabled one
/// as the namespace's Persona target: the configured one (or none) is put back on load.
pub fn restore_own_target(world: &mut World, config: &crate::config::Config) {
    // A file that says where its targets came from is newer than that, and an admin-set target
    // with an API webhook's URL is meant.
    if world.webhooks.knows_target_origins() {
        return;
    }
    let saved_from_api = (world.webhooks.target(Vendor::Persona)).is_some_and(|t| {
        world
            .persona
            .webhooks
            .all()
            .iter()
            .any(|h| h.url() == t.url)
    });
    if saved_from_api {
        (world.webhooks).restore_configured_target(Vendor::Persona, config);
    }
}

/// Whether [`deliver_event`] may send anything in this namespace: a webhook is set up through
/// the API or a `--webhook persona=URL` target exists.
pub fn may_deliver(world: &World) -> bool {
    world.persona.webhooks.enabled().next().is_some()
        || world.webhooks.target(Vendor::Persona).is_some()
}

/// Hands one Persona event (the full `{"data":{"type":"event",...}}` envelope) to the outbox:
/// one delivery per enabled API webhook that enables `event_name`, or, with none enabled, one
/// to the namespace's own target.
pub fn deliver_event(world: &mut World, event_name: &str, envelope: &Value) {
    let now = world.clock.now_ms();
    let World {
        persona, webhooks, ..
    } = world;
    let mut hooks = persona.webhooks.enabled().peekable();
    if hooks.peek().is_none() {
        webhooks.enqueue(Vendor::Persona, event_name, envelope, now);
        return;
    }
    for hook in hooks.filter(|hook| hook.enables(event_name)) {
        // Each webhook's secrets as of now (a rotated-out one stops signing once it expires);
        // the namespace's own target is left as it is, for when none is enabled.
        let target = hook.target(now);
        // The webhook's own `api-key-inflection` (validated when it was set) recases the body.
        let body = Inflection::parse(Some(hook.key_inflection()))
            .unwrap_or_default()
            .apply(envelope.clone());
        webhooks.enqueue_to(target, Vendor::Persona, event_name, &body, now);
    }
}

/// `Persona-Signature` (one `t=…,v1=…` set per valid secret, space-separated, newest first) and
/// the `Persona-Webhook-Attempts-*` headers for one attempt. Without a secret (a `--webhook`
/// target with no `--webhook-secret`) the webhook goes unsigned.
pub fn webhook_headers(
    secrets: &[String],
    attempt: &AttemptInfo,
    body: &[u8],
) -> Vec<(String, String)> {
    let signatures: Vec<String> = secrets
        .iter()
        .map(|secret| timestamped_signature(secret, attempt.now_unix, body))
        .collect();
    let mut headers = Vec::with_capacity(4);
    if !signatures.is_empty() {
        headers.push(("Persona-Signature".to_string(), signatures.join(" ")));
    }
    headers.push((
        "Persona-Webhook-Attempts-Made".to_string(),
        attempt.number.to_string(),
    ));
    headers.push((
        "Persona-Webhook-Attempts-Left".to_string(),
        attempt
            .max_attempts
            .saturating_sub(attempt.number)
            .to_string(),
    ));
    headers.push((
        "Persona-Webhook-First-Attempted-At".to_string(),
        attempt.first_attempt_unix.to_string(),
    ));
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::hmac_sha256_hex;

    fn attempt(number: u32) -> AttemptInfo {
        AttemptInfo {
            number,
            max_attempts: 8,
            now_unix: 1_709_686_052,
            first_attempt_unix: 1_709_686_000,
        }
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn signs_timestamp_dot_body_and_counts_attempts() {
        let body = br#"{"data":{}}"#;
        let headers = webhook_headers(&["wbhsec_a".into()], &attempt(2), body);
        let expected = hmac_sha256_hex("wbhsec_a", b"1709686052.{\"data\":{}}");
        assert_eq!(
            header(&headers, "Persona-Signature"),
            Some(format!("t=1709686052,v1={expected}").as_str())
        );
        assert_eq!(header(&headers, "Persona-Webhook-Attempts-Made"), Some("2"));
        assert_eq!(header(&headers, "Persona-Webhook-Attempts-Left"), Some("6"));
        assert_eq!(
            header(&headers, "Persona-Webhook-First-Attempted-At"),
            Some("1709686000")
        );
    }

    #[test]
    fn two_secrets_give_two_space_separated_sets() {
        let headers = webhook_headers(&["new".into(), "old".into()], &attempt(1), b"{}");
        let value = header(&headers, "Persona-Signature").unwrap_or_default();
        let sets: Vec<&str> = value.split(' ').collect();
        assert_eq!(sets.len(), 2);
        assert!(sets.iter().all(|s| s.starts_with("t=1709686052,v1=")));
        assert_ne!(sets[0], sets[1]);
    }

    #[test]
    fn no_secret_no_signature() {
        let headers = webhook_headers(&[], &attempt(1), b"{}");
        assert_eq!(header(&headers, "Persona-Signature"), None);
        assert_eq!(header(&headers, "Persona-Webhook-Attempts-Left"), Some("7"));
    }
}
