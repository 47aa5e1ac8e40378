//! Partner profile: the webhook endpoint (which returns the signing secret, once) and the
//! default redirect URL after Persona verification.
//!
//! The webhook URL is kept per partner: the partner's KYC webhooks go there, signed with its
//! secret (see `kyc::emit`). This local sandbox accepts `http` URLs on loopback hosts besides
//! `https` (the delivery worker itself only speaks plain `http`).

use serde_json::json;

use super::model::{Partner, PartnerWebhook};
use super::validation::{self, Fields};
use super::{Reply, auth, idempotency, success};
use crate::http::ApiResponse;
use crate::ids::IdGen;
use crate::store::World;
use crate::vendors::Ctx;

/// `POST /api/v1/partner/profile/webhook` `{webhookUrl}`: a new `whsec_…` secret each time.
pub fn set_webhook(cx: &Ctx, world: &mut World) -> Reply {
    let (_app, _req) = (cx.app, cx.req);
    let url_rule =
        "an https URL (or http on localhost / a loopback address) of at most 2048 characters";
    set_profile_url(
        cx,
        world,
        "webhookUrl",
        url_rule,
        validation::is_webhook_url,
        |partner, ids, url| {
            let secret = format!("whsec_{}", ids.alphanumeric(32));
            partner.webhook = Some(PartnerWebhook {
                url: url.clone(),
                secret: secret.clone(),
            });
            success(
                200,
                "Webhook endpoint configured",
                json!({"webhookUrl": url, "webhookSecret": secret}),
            )
        },
    )
}

/// `POST /api/v1/partner/profile/redirect-url` `{redirectUrl}`.
pub fn set_redirect_url(cx: &Ctx, world: &mut World) -> Reply {
    let (_app, _req) = (cx.app, cx.req);
    let url_rule = "an https URL of at most 2048 characters";
    set_profile_url(
        cx,
        world,
        "redirectUrl",
        url_rule,
        validation::is_https_url,
        |partner, _, url| {
            partner.redirect_url = Some(url.clone());
            success(200, "Redirect URL configured", json!({"redirectUrl": url}))
        },
    )
}

/// What both profile routes do: authenticate, require the idempotency key, check the one URL
/// field, then in one locked section use up the key and let `apply` store the URL.
fn set_profile_url(
    cx: &Ctx,
    world: &mut World,
    field: &'static str,
    url_rule: &str,
    valid: fn(&str) -> bool,
    apply: impl FnOnce(&mut Partner, &mut IdGen, String) -> ApiResponse,
) -> Reply {
    let (app, req) = (cx.app, cx.req);
    let api_key = auth::partner_key(req)?;
    let idempotency_key = idempotency::required_key(req)?;
    let body = validation::json_object(req)?;
    let mut f = Fields::new(&body);
    let url = f.string_matching(field, true, url_rule, valid);
    f.finish()?;
    let Some(url) = url else {
        return Err(super::error_code(
            422,
            "VALIDATION_ERROR",
            &format!("{field} is required"),
        ));
    };
    idempotency::keyed_call(cx, world, api_key, idempotency_key, |world, _| {
        let partner = world
            .bitmama
            .partner(api_key, app.config.bitmama.starting_balance_cents);
        Ok(apply(partner, &mut world.ids, url))
    })
}
