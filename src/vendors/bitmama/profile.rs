//! Partner profile: the webhook endpoint (which returns the signing secret, once) and the
//! default redirect URL after Persona verification.
//!
//! The webhook URL is kept per partner: the partner's KYC webhooks go there, signed with its
//! secret (see `kyc::emit`). This local sandbox accepts `http` URLs on loopback hosts besides
//! `https` (the delivery worker itself only speaks plain `http`).

use serde_json::json;

use super::model::PartnerWebhook;
use super::validation::{self, Fields};
use super::{Reply, auth, idempotency, seed, success};
use crate::app::App;
use crate::http::ApiRequest;

/// `POST /api/v1/partner/profile/webhook` `{webhookUrl}`.
pub fn set_webhook(app: &App, req: &ApiRequest) -> Reply {
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    let body = validation::json_object(req)?;
    let mut f = Fields::new(&body);
    let url = f.string_matching(
        "webhookUrl",
        true,
        "an https URL (or http on localhost / a loopback address) of at most 2048 characters",
        validation::is_webhook_url,
    );
    f.finish()?;
    let Some(url) = url else {
        return Err(super::error_code(
            422,
            "VALIDATION_ERROR",
            "webhookUrl is required",
        ));
    };
    let ns = app.store.namespace(&req.namespace);
    let mut guard = ns.lock();
    let world = &mut *guard;
    seed::ensure_partner(app, world, &api_key);
    let now = world.clock.now_ms();
    let partner = world
        .bitmama
        .partner(&api_key, app.config.bitmama.starting_balance_cents);
    partner.idempotency.check(&idempotency_key, now)?;
    partner.idempotency.record(&idempotency_key, now);
    let secret = format!("whsec_{}", world.ids.alphanumeric(32));
    partner.webhook = Some(PartnerWebhook {
        url: url.clone(),
        secret: secret.clone(),
    });
    Ok(success(
        200,
        "Webhook endpoint configured",
        json!({"webhookUrl": url, "webhookSecret": secret}),
    ))
}

/// `POST /api/v1/partner/profile/redirect-url` `{redirectUrl}`.
pub fn set_redirect_url(app: &App, req: &ApiRequest) -> Reply {
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    let body = validation::json_object(req)?;
    let mut f = Fields::new(&body);
    let url = f.string_matching(
        "redirectUrl",
        true,
        "an https URL of at most 2048 characters",
        validation::is_https_url,
    );
    f.finish()?;
    let Some(url) = url else {
        return Err(super::error_code(
            422,
            "VALIDATION_ERROR",
            "redirectUrl is required",
        ));
    };
    let ns = app.store.namespace(&req.namespace);
    let mut guard = ns.lock();
    let world = &mut *guard;
    seed::ensure_partner(app, world, &api_key);
    let now = world.clock.now_ms();
    let partner = world
        .bitmama
        .partner(&api_key, app.config.bitmama.starting_balance_cents);
    partner.idempotency.check(&idempotency_key, now)?;
    partner.idempotency.record(&idempotency_key, now);
    partner.redirect_url = Some(url.clone());
    Ok(success(
        200,
        "Redirect URL configured",
        json!({"redirectUrl": url}),
    ))
}
