//! KYC through the Persona part: the inquiry behind each card user, how its status moves the
//! user, the KYC webhooks, and the page the hosted flow returns the browser to.
//!
//! Inquiry status to user status (the vendor docs give the user statuses, not the mapping):
//!
//! | inquiry | user | webhook (legacy style) |
//! |---|---|---|
//! | `created`, `pending` | unchanged | none |
//! | `completed`, `approved` | `approved` | `user.kyc.approved` |
//! | `failed`, `declined` | `denied` | `user.kyc.denied` |
//! | `needs_review` | `pending_kyc` (`pending` after a retry) | `user.kyc.manualReview` |
//! | `expired` | `needsVerification` | `user.kyc.needsVerification` (details carry a new inquiry's link) |
//! | redacted before it decided the user | `needsVerification` | as for `expired` |
//!
//! Approval is final: once a user is `approved` (on `completed` or `approved`), a later
//! `declined` or `needs_review` of the same inquiry (possible after `completed` through Persona's
//! API) leaves the user approved and its cards as they are, and sends no webhook.
//!
//! A webhook goes out when the user's status changes (so `completed` then `approved` sends one
//! `user.kyc.approved`), on each review, on each expiry (the user verifies again on a new
//! inquiry, whose link it carries), and `user.kyc.pending` when KYC starts (creation, retry).
//!
//! The user's current inquiry moves it every way. An earlier one (replaced after it expired,
//! then resumed through Persona's API) can only approve it: see [`on_earlier_inquiry_changed`].
//!
//! The `current` style sends `user.kyc-event` with `data.status` for `approved`, `denied` and
//! `needsVerification` only, the three statuses the newer docs list.

use serde_json::{Value, json};

use super::model::{CardUser, UserStatus};
use crate::app::App;
use crate::clock::iso8601;
use crate::config::BitmamaWebhookStyle;
use crate::html::escape;
use crate::http::{ApiResponse, with_query};
use crate::ids::Id;
use crate::store::World;
use crate::vendors::Vendor;
use crate::vendors::persona::{self, InquiryStatus};
use crate::vendors::{self, Ctx};
use crate::webhooks::Target;

/// Where the hosted Persona page sends the browser when the person is done.
pub const RETURN_PATH: &str = "/bitmama/kyc/return";

/// The KYC statuses Bitmama's webhooks report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KycEvent {
    Pending,
    Approved,
    Denied,
    NeedsVerification,
    ManualReview,
}

impl KycEvent {
    fn as_str(self) -> &'static str {
        match self {
            KycEvent::Pending => "pending",
            KycEvent::Approved => "approved",
            KycEvent::Denied => "denied",
            KycEvent::NeedsVerification => "needsVerification",
            KycEvent::ManualReview => "manualReview",
        }
    }
}

/// Brings Persona's time-based changes (inquiry expiry) up to date, so a user whose inquiry
/// expired is `needsVerification` before a Bitmama call reads it.
pub fn settle(app: &App, world: &mut World) {
    persona::settle(app, world);
}

/// Creates the Persona inquiry that verifies `service_id`, in this namespace. Returns the
/// inquiry id and the hosted page URL (the `verificationUrl`). The world is settled already:
/// every Bitmama call settles first, and a restart runs inside Persona's settle.
pub fn start_inquiry(
    app: &App,
    world: &mut World,
    namespace: &str,
    service_id: &str,
    fields: persona::Fields,
) -> (Id, String) {
    let new = persona::NewInquiry {
        reference_id: Some(service_id.to_string()),
        redirect_uri: Some(app.url(namespace, RETURN_PATH)),
        fields,
        note: Some(["Bitmama card user ", service_id].concat()),
        tags: vec!["bitmama".to_string()],
        ..persona::NewInquiry::default()
    };
    let inquiry_id = persona::create_inquiry_settled(world, new);
    let url = persona::hosted_url(app, namespace, &inquiry_id);
    (inquiry_id, url)
}

/// At load: a Bitmama inquiry returns through `RETURN_PATH` of the server that saved it (its
/// `--port`, `--public-url`); it now returns through this one's, so the hosted flow does not send
/// the browser to an address that may be dead.
pub fn rebase_return_uris(app: &App, world: &mut World) {
    let own = app.url(world.namespace(), RETURN_PATH);
    let path = &own[app.public_url.len()..];
    world.persona.rewrite_redirects(|inquiry| {
        let uri = inquiry.redirect_uri.as_deref()?;
        let origin = uri.strip_suffix(path)?;
        let bitmama = inquiry.tags.as_slice().iter().any(|t| t == "bitmama");
        let elsewhere =
            uri != own && (origin.starts_with("http://") || origin.starts_with("https://"));
        (bitmama && elsewhere).then(|| own.clone())
    });
}

/// Starts a new inquiry for user `service_id` of partner `api_key` (a retry, or verifying again
/// after the last inquiry expired) and links the user to it instead of the old one. The new
/// inquiry id and its hosted page; `None` if there is no such user.
pub fn restart_inquiry(
    app: &App,
    world: &mut World,
    namespace: &str,
    api_key: &str,
    service_id: &str,
) -> Option<(Id, String)> {
    let user = world.bitmama.partners.get(api_key)?.user(service_id)?;
    let fields = super::users::inquiry_fields(
        user.first_name(),
        user.last_name(),
        user.email(),
        user.phone_number(),
    );
    let (inquiry_id, url) = start_inquiry(app, world, namespace, service_id, fields);
    let user = world
        .bitmama
        .partners
        .get_mut(api_key)?
        .user_mut(service_id)?;
    let previous = user.inquiry_id().to_string();
    user.set_inquiry(&inquiry_id, &url);
    world.bitmama.unlink_inquiry(&previous, api_key, service_id);
    world.bitmama.link_inquiry(&inquiry_id, api_key, service_id);
    Some((inquiry_id, url))
}

/// Called by the Persona part (through `links`) after inquiry `inquiry_id` changed status.
pub fn on_inquiry_changed(app: &App, world: &mut World, inquiry_id: &str) {
    let Some((api_key, service_id)) = (world.bitmama.inquiry_link(inquiry_id))
        .map(|(key, _, user)| (key.to_string(), user.service_id().to_string()))
    else {
        return on_earlier_inquiry_changed(app, world, inquiry_id);
    };
    let Some((inquiry_status, redacted)) =
        (world.persona.inquiry(inquiry_id)).map(|i| (i.status, i.rare().redacted_at.is_some()))
    else {
        return;
    };
    let Some(user) = world
        .bitmama
        .partners
        .get_mut(&api_key)
        .and_then(|p| p.user_mut(&service_id))
        .filter(|u| u.inquiry_id() == inquiry_id)
    else {
        return;
    };
    // Approval is final for Bitmama: cards may have been issued on it, and Bitmama documents no
    // way back from `approved`. A later decline or review of a `completed` inquiry is ignored.
    if user.status == UserStatus::Approved {
        if !matches!(
            inquiry_status,
            InquiryStatus::Completed | InquiryStatus::Approved
        ) {
            tracing::info!(
                service_id,
                inquiry_id,
                "card user already approved: inquiry {} ignored",
                inquiry_status.as_str()
            );
        }
        return;
    }
    let retried = matches!(user.status, UserStatus::Pending);
    // Redacted before it decided the user (not started, started, in review, or completed with
    // a scenario's decision still to come): Persona refuses every later move, so it never will.
    // As on expiry, the user verifies again on a new inquiry *(choice)*. A decided user (denied:
    // retry-kyc) stays as it is.
    let undecided = matches!(
        user.status,
        UserStatus::PendingKyc | UserStatus::Pending | UserStatus::NeedsVerification
    );
    let (status, event) = match inquiry_status {
        _ if redacted && undecided => (UserStatus::NeedsVerification, KycEvent::NeedsVerification),
        InquiryStatus::Created | InquiryStatus::Pending => return,
        InquiryStatus::Completed | InquiryStatus::Approved => {
            (UserStatus::Approved, KycEvent::Approved)
        }
        InquiryStatus::Failed | InquiryStatus::Declined => (UserStatus::Denied, KycEvent::Denied),
        InquiryStatus::Expired => (UserStatus::NeedsVerification, KycEvent::NeedsVerification),
        InquiryStatus::NeedsReview if retried => (UserStatus::Pending, KycEvent::ManualReview),
        InquiryStatus::NeedsReview => (UserStatus::PendingKyc, KycEvent::ManualReview),
    };
    // The same status again says nothing new, but a review is news each time, and each expiry
    // brings a new link.
    let news = matches!(event, KycEvent::ManualReview | KycEvent::NeedsVerification);
    if user.status == status && !news {
        return;
    }
    user.status = status;
    // An expired inquiry's flow is closed (its page says so): the user verifies again on a new
    // inquiry, whose link the webhook carries. Each expiry gives a new one, made at the current
    // time, not at the expiry it follows (the clock reads that while Persona settles): made
    // then, it would expire a day later within the same clock advance, and again, one a day.
    if event == KycEvent::NeedsVerification {
        vendors::as_of(world, None, |world| {
            let namespace = world.namespace().to_string();
            let current = restart_inquiry(app, world, &namespace, &api_key, &service_id);
            let inquiry_id = current.as_ref().map_or(inquiry_id, |(id, _)| &**id);
            let details = |user: &CardUser| json!({"inquiryId": inquiry_id, "verificationLink": user.verification_url()});
            emit(app, world, &api_key, &service_id, event, details);
        });
        return;
    }
    let details = |_: &CardUser| match event {
        KycEvent::Denied => json!({"inquiryId": inquiry_id, "reason": [inquiry_status.as_str()]}),
        _ => json!({"inquiryId": inquiry_id}),
    };
    emit(app, world, &api_key, &service_id, event, details);
}

/// An inquiry that is no card user's current one. Bitmama learns of outcomes from Persona by the
/// inquiry's reference-id, the serviceId, so an earlier inquiry of a user (made before its
/// current one: one that expired and was replaced, then resumed through Persona's API) still
/// speaks for them *(choice)*. Its approval (`completed` or `approved`) approves the user, who
/// is linked to it (it is what verified them), and the newer inquiry, if still open, expires:
/// no flow stays open for a verified user, and Persona, Bitmama and the webhooks agree. Its
/// other outcomes are ignored: the user moved on to the newer inquiry, which still decides.
fn on_earlier_inquiry_changed(app: &App, world: &mut World, inquiry_id: &str) {
    let Some(inquiry) = world.persona.inquiry(inquiry_id) else {
        return;
    };
    let approves = matches!(
        inquiry.status,
        InquiryStatus::Completed | InquiryStatus::Approved
    );
    let (Some(service_id), true) = (inquiry.reference_id.clone(), approves) else {
        return;
    };
    let created_at = inquiry.created_at;
    let persona = &world.persona;
    // Only a user that is not approved yet, and whose current inquiry is newer: a seeded user
    // (no inquiry) is moved by no inquiry, nor is anyone by one made later with their serviceId.
    let earlier_of = |user: &CardUser| {
        user.status != UserStatus::Approved
            && (persona.inquiry(user.inquiry_id())).is_some_and(|c| c.created_at >= created_at)
    };
    let Some(api_key) = (world.bitmama.partners.iter())
        .find(|(_, partner)| partner.user(&service_id).is_some_and(earlier_of))
        .map(|(key, _)| key.clone())
    else {
        return;
    };
    let url = persona::hosted_url(app, world.namespace(), inquiry_id);
    let Some(user) =
        (world.bitmama.partners.get_mut(&api_key)).and_then(|p| p.user_mut(&service_id))
    else {
        return;
    };
    let newer = user.inquiry_id().to_string();
    user.status = UserStatus::Approved;
    user.set_inquiry(inquiry_id, &url);
    world.bitmama.unlink_inquiry(&newer, &api_key, &service_id);
    world
        .bitmama
        .link_inquiry(inquiry_id, &api_key, &service_id);
    tracing::info!(
        service_id,
        inquiry_id,
        newer,
        "card user approved on an earlier inquiry"
    );
    emit(
        app,
        world,
        &api_key,
        &service_id,
        KycEvent::Approved,
        |_| json!({"inquiryId": inquiry_id}),
    );
    let open = (world.persona.inquiry(&newer))
        .is_some_and(|i| matches!(i.status, InquiryStatus::Created | InquiryStatus::Pending));
    if open {
        // No longer linked: its expiry moves nobody (it is not an approval).
        let _ = persona::transition_settled(app, world, &newer, InquiryStatus::Expired);
    }
}

/// Queues the KYC webhook for one user. The partner's own webhook (set through its profile)
/// wins; a partner without one uses the namespace's Bitmama target (`--webhook bitmama=URL`).
/// `details` (the event's `details` object) is made only when there is someone to tell.
pub fn emit(
    app: &App,
    world: &mut World,
    api_key: &str,
    service_id: &str,
    event: KycEvent,
    details: impl FnOnce(&CardUser) -> Value,
) {
    let Some(partner) = world.bitmama.partners.get(api_key) else {
        return;
    };
    if partner.webhook.is_none() && world.webhooks.target(Vendor::Bitmama).is_none() {
        // Nobody to tell: the outbox would drop it, so the body is not even built (nor the
        // user looked up).
        return;
    }
    let Some(user) = partner.user(service_id) else {
        return;
    };
    let now = world.clock.now_ms();
    let details = details(user);
    let (name, body) = match app.config.bitmama.webhook_style {
        BitmamaWebhookStyle::Legacy => (
            format!("user.kyc.{}", event.as_str()),
            json!({
                "event": format!("user.kyc.{}", event.as_str()),
                "timestamp": iso8601(now),
                "data": {
                    "serviceId": service_id,
                    "partnerId": partner.slug,
                    "status": event.as_str(),
                    "details": details,
                },
            }),
        ),
        BitmamaWebhookStyle::Current => {
            if matches!(event, KycEvent::Pending | KycEvent::ManualReview) {
                return;
            }
            let mut data = json!({
                "serviceId": service_id,
                "status": event.as_str(),
                "email": user.email(),
                "firstName": user.first_name(),
                "lastName": user.last_name(),
            });
            for key in ["reason", "verificationLink"] {
                if let Some(value) = details.get(key) {
                    data[key] = value.clone();
                }
            }
            (
                "user.kyc-event".to_string(),
                json!({"event": "user.kyc-event", "timestamp": iso8601(now), "data": data}),
            )
        }
    };
    let own_target = partner.webhook.clone().map(|hook| Target {
        url: hook.url,
        secrets: vec![hook.secret],
    });
    match own_target {
        Some(target) => {
            world
                .webhooks
                .enqueue_to(target, Vendor::Bitmama, &name, &body, now);
        }
        None => {
            world.webhooks.enqueue(Vendor::Bitmama, &name, &body, now);
        }
    }
}

/// `GET /bitmama/kyc/return?inquiry-id=…&reference-id=…&status=…`: where the hosted page sends
/// the browser. 303 to `<redirectUrl>?referenceId=<serviceId>` (the user's redirectUrl, else the
/// partner profile's; the query before any `#fragment`, one `referenceId`), else a small page
/// saying verification is finished.
pub fn return_page(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (_app, req) = (cx.app, cx.req);
    let inquiry_id = req.query_param("inquiry-id").unwrap_or("");
    let reference_id = req.query_param("reference-id").unwrap_or("");
    let state = &world.bitmama;
    let by_inquiry =
        (state.inquiry_link(inquiry_id)).map(|(_, partner, user)| (partner, user.service_id()));
    let found = by_inquiry.or_else(|| {
        state
            .partners
            .values()
            .find_map(|p| p.user(reference_id).is_some().then_some((p, reference_id)))
    });
    let Some((partner, service_id)) = found else {
        return page(
            404,
            "Verification not found",
            "No Bitmama card user belongs to this verification.",
        );
    };
    let Some(user) = partner.user(service_id) else {
        return page(404, "Verification not found", "This card user was deleted.");
    };
    match user.redirect_url().or(partner.redirect_url.as_deref()) {
        Some(url) => ApiResponse::see_other(&with_query(url, &[("referenceId", service_id)])),
        None => page(
            200,
            "Verification finished",
            &format!(
                "Identity verification for {} is finished (status: {}). No redirect URL is set for this user or partner; you can close this window.",
                escape(service_id),
                escape(user.status.as_str()),
            ),
        ),
    }
}

/// `text` is HTML already (callers escape what they interpolate); the title is escaped here.
fn page(status: u16, title: &str, text: &str) -> ApiResponse {
    let content = format!("<h1 id=\"title\">{}</h1>\n<p>{text}</p>\n", escape(title));
    crate::html::response(status, crate::html::page("Bitmama", title, &content))
}
