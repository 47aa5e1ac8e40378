//! The hosted verification flow: `GET /verify?inquiry-id=…` (and `/widget`, which Persona's
//! embedded SDK loads), an HTML page usable without JavaScript, and the form posts that finish
//! the inquiry.
//!
//! The page offers every outcome the inquiry's status still allows: pass, fail, and pass followed
//! by a decision (approve, decline, mark for review). When the active scenario decides inquiries
//! (`inquiry_decision`), it offers pass and fail only, and a pass gets the scenario's decision. Submitting walks the inquiry through the
//! state machine one legal step at a time (each step fires its event and webhook), then sends the
//! browser to the redirect URI with `inquiry-id`, `reference-id` and `status`, or shows a done page.
//!
//! Opened by Persona's Web SDK (`iframe-origin` in the query), the page also speaks the SDK's
//! postMessage protocol: see `widget`.

mod html;
mod outcome;
mod redirect;
mod widget;

use serde_json::{Map, Value};

use super::inflection::to_kebab;
use super::lifecycle::complete_through;
use super::request::{kebab_keys, web_redirect};
use super::{Ctx, Inquiry, InquiryStatus, NewInquiry, scenario};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse, percent_encode};
use crate::store::World;
use html::{done_content, done_page, html, inquiry_page, message_page, not_found};
use outcome::Outcome;
use redirect::{link_redirect_refusal, redirect_of, with_result};
pub(super) use widget::new_session_token;
use widget::{BadEmbed, Embed};

/// What the flow shows for a redacted inquiry: its data is gone and it takes no more input.
const REDACTED_TITLE: &str = "Inquiry redacted";
const REDACTED_PAGE: &str = "This inquiry was redacted: its flow is closed. Start a new inquiry.";

/// What the flow shows for a session token that is not the inquiry's.
const SESSION_TITLE: &str = "Session expired";
const SESSION_PAGE: &str = "The session-token is not this inquiry's: get a new one from POST /api/v1/inquiries/{id}/resume.";

/// Whether the request gives a `session-token`, in its query or its posted form, that is not
/// the inquiry's. One given is checked on every page and submit of the flow; none at all opens
/// the inquiry *(choice)*.
fn wrong_session_token(req: &ApiRequest, inquiry: &Inquiry) -> bool {
    let own = inquiry.rare().session_token.as_deref();
    let wrong = |token: &str| !token.is_empty() && own != Some(token);
    req.query_param("session-token").is_some_and(wrong)
        || (req.method == "POST")
            && (req.form().iter()).any(|(name, token)| name == "session-token" && wrong(token))
}

/// The `session-token` the page was opened with (its query) or its form posted, which the
/// page's form carries on to its submit.
fn given_session_token(req: &ApiRequest) -> Option<String> {
    if let Some(token) = req.query_param("session-token").filter(|t| !t.is_empty()) {
        return Some(token.to_string());
    }
    if req.method != "POST" {
        return None;
    }
    let form = req.form().into_iter();
    form.filter(|(name, token)| name == "session-token" && !token.is_empty())
        .map(|(_, token)| token)
        .next()
}

/// `/verify` or `/widget`: whichever the browser came in on, so follow-up URLs keep it.
fn flow_root(req: &ApiRequest) -> &'static str {
    if req.segments().first() == Some(&"widget") {
        "/widget"
    } else {
        "/verify"
    }
}

/// The flow page of inquiry `id` on the root the browser used, in the request's namespace, once
/// the browser is on the flow: under `/widget` a path on the origin it loaded (the SDK's frame
/// checks messages from that origin), under `/verify` a URL of the public one.
fn flow_page(app: &App, req: &ApiRequest, id: &str) -> String {
    let url = public_page(app, req, id);
    if flow_root(req) == "/widget" {
        url.get(app.public_url.len()..)
            .unwrap_or_default()
            .to_string()
    } else {
        url
    }
}

/// The flow page of inquiry `id` on the root the browser used, at the public URL, in the
/// request's namespace: where a link sends the browser.
fn public_page(app: &App, req: &ApiRequest, id: &str) -> String {
    let page = format!("{}?inquiry-id={}", flow_root(req), percent_encode(id));
    app.url(&req.namespace, &page)
}

/// `GET /verify/{inquiry-id}` (or `/widget/…`), the form's action opened again (a reload, a
/// bookmark, a restored tab): 303 to the inquiry's page, which shows where it stands.
pub fn form_action_page(cx: &Ctx, _world: &World) -> ApiResponse {
    let id = cx.param("inquiry-id");
    ApiResponse::see_other(&flow_page(cx.app, cx.req, id)).with_header("cache-control", "no-store")
}

/// `GET /verify` and `GET /widget`: shows `inquiry-id`, or creates an inquiry from
/// `inquiry-template-id` / `template-id` / `inquiry-template-version-id`, `reference-id`,
/// `redirect-uri` and `fields[…]` and sends the browser (303) to its page, so that reloading
/// does not create another one.
///
/// A session token given (`session-token`, from `POST /api/v1/inquiries/{id}/resume` or from
/// this page) is checked. With `iframe-origin` (Persona's Web SDK) the page is the embedded
/// flow: one is issued when the inquiry has none; errors are also reported to the SDK.
pub fn page(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    if let Some(code) = req.query_param("code").filter(|c| !c.is_empty()) {
        return match super::one_time_links::redeem(world, code) {
            Ok(id) => {
                // A link continues its inquiry: an expired one is resumed, as the API's resume
                // does (the link was made for it).
                let expired = world.persona.inquiry(&id).map(|i| i.status);
                if expired == Some(InquiryStatus::Expired) {
                    let _ = super::lifecycle::transition(app, world, &id, InquiryStatus::Pending);
                }
                ApiResponse::see_other(&public_page(app, req, &id))
                    .with_header("cache-control", "no-store")
            }
            Err(message) => message_page(410, "Link no longer valid", &message),
        };
    }
    let embed = match Embed::from_request(req) {
        None => None,
        Some(Ok(embed)) => Some(embed),
        Some(Err(BadEmbed(message))) => {
            return message_page(400, "This page cannot be embedded", &message);
        }
    };
    let refuse = |status: u16, code: &str, title: &str, message: &str| match &embed {
        Some(embed) => embed_error(embed, status, code, title, message),
        None => message_page(status, title, message),
    };
    let linked_redirect = req.query_param("redirect-uri").filter(|u| !u.is_empty());
    if linked_redirect.is_some_and(|uri| web_redirect(uri).is_err()) {
        return refuse(
            400,
            "invalid_config",
            "Invalid redirect URI",
            "The redirect-uri of this link must be an http or https URL with a host.",
        );
    }
    if let Some(id) = req.query_param("inquiry-id").filter(|id| !id.is_empty()) {
        let Some(inquiry) = world.persona.inquiry(id) else {
            return refuse(
                404,
                "invalid_config",
                "Inquiry not found",
                &format!("There is no inquiry {id} in this sandbox namespace."),
            );
        };
        if inquiry.rare().redacted_at.is_some() {
            return refuse(409, "unknown", REDACTED_TITLE, REDACTED_PAGE);
        }
        if wrong_session_token(req, inquiry) {
            return refuse(409, "unauthenticated", SESSION_TITLE, SESSION_PAGE);
        }
        if embed.is_some() {
            let open = matches!(
                inquiry.status,
                InquiryStatus::Created | InquiryStatus::Pending
            );
            if open && inquiry.rare().session_token.is_none() {
                let token = widget::new_session_token(world);
                if let Some(inquiry) = world.persona.inquiry_mut(id) {
                    inquiry.rare_mut().session_token = Some(token);
                }
            }
        }
        // The redirect is the inquiry's own, never the link's: a link anyone can make must not
        // send the browser elsewhere.
        let decides = scenario::scenario_decides(app, world, req, id);
        let Some(inquiry) = world.persona.inquiry(id) else {
            return not_found(id);
        };
        let redirect = redirect_of(inquiry);
        let moved = !matches!(
            inquiry.status,
            InquiryStatus::Created | InquiryStatus::Pending
        );
        if embed.is_none() && moved && req.query_param("done").is_some() {
            // Where a submit without a redirect URI sends the browser (Post/Redirect/Get).
            return html(200, &done_page(app, req, inquiry));
        }
        let page = inquiry_page(app, req, inquiry, redirect, None, decides, embed.as_ref());
        return match &embed {
            Some(embed) => embed.response(200, page),
            None => html(200, &page),
        };
    }
    let template = [
        ("inquiry-template-id", "itmpl_"),
        ("template-id", "tmpl_"),
        ("inquiry-template-version-id", "itmplv_"),
    ]
    .into_iter()
    .find_map(|(name, prefix)| {
        let id = req.query_param(name).filter(|v| !v.is_empty())?;
        Some((name, prefix, id))
    });
    let Some((name, prefix, template)) = template else {
        return refuse(
            400,
            "invalid_config",
            "Missing inquiry",
            "This link needs an inquiry-id, or an inquiry-template-id (or template-id) to start a new inquiry.",
        );
    };
    if !template.starts_with(prefix) || template.len() == prefix.len() {
        return refuse(
            400,
            "invalid_config",
            "Unknown template",
            &format!("The {name} {template:?} should be an id starting with {prefix}."),
        );
    }
    // A new inquiry's redirect comes from a link anyone can build: only to an allowed domain.
    if let Some(message) = linked_redirect.and_then(|uri| link_redirect_refusal(app, uri)) {
        return refuse(400, "invalid_config", "Redirect not allowed", &message);
    }
    let mut given_fields = Map::new();
    for (name, value) in &req.query {
        if let Some(path) = widget::field_path(name) {
            widget::set_field(&mut given_fields, &path, Value::String(value.clone()));
        }
    }
    // Names in any casing, as the API takes them; one in two casings is refused as there.
    let fields = match kebab_keys(given_fields, "The fields of this link") {
        Ok(fields) => fields,
        Err((_, message, _)) => return refuse(400, "invalid_config", "Invalid field", &message),
    };
    if let Some(bad) = super::fields::refusal(&fields) {
        let field = format!("The fields[{}] of this link", bad.name);
        return refuse(
            400,
            "invalid_config",
            "Invalid field",
            &format!("{}.", bad.describe(&field)),
        );
    }
    let given = |name: &str| {
        req.query_param(name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    // The Web SDK's `accountId`: the inquiry is that account's, as the API's `account-id`.
    let account = given("account-id");
    if let Some(account) = &account
        && world.persona.account(account).is_none()
    {
        return refuse(
            400,
            "invalid_config",
            "Unknown account",
            &format!(
                "The account-id {account:?} of this link is not an account of this sandbox namespace."
            ),
        );
    }
    let new = NewInquiry {
        template_id: Some(template.to_string()),
        reference_id: given("reference-id"),
        redirect_uri: linked_redirect.map(str::to_string),
        fields: fields.into(),
        ..NewInquiry::default()
    };
    let id = super::lifecycle::create_inquiry_with(app, world, new, account, None);
    if embed.is_some() {
        // Relative, so the frame stays on the origin the SDK loaded (and checks messages from).
        let token = widget::new_session_token(world);
        if let Some(inquiry) = world.persona.inquiry_mut(&id) {
            inquiry.rare_mut().session_token = Some(token.clone());
        }
        let location = format!(
            "{}{}?inquiry-id={}&session-token={}{}",
            widget::path_prefix(req),
            flow_root(req),
            percent_encode(&id),
            percent_encode(&token),
            Embed::carried_query(req)
        );
        return ApiResponse::see_other(&location).with_header("cache-control", "no-store");
    }
    ApiResponse::see_other(&public_page(app, req, &id)).with_header("cache-control", "no-store")
}

/// A page for the SDK's iframe that shows `message` and reports it as an `error` message.
fn embed_error(embed: &Embed, status: u16, code: &str, title: &str, message: &str) -> ApiResponse {
    let content = format!(
        "<h1 id=\"title\">{}</h1>\n<p>{}</p>\n{}{}",
        html::escape(title),
        html::escape(message),
        embed.error_config(status, code, message),
        widget::script_tag()
    );
    embed.response(status, crate::html::page("Persona", title, &content))
}

/// `POST /verify/{inquiry-id}` (or `/widget/…`) with `outcome=pass|fail|approve|decline|review`
/// and optionally `fields[…]` (what the embedded page asks for, stored before the inquiry moves
/// on). The browser goes on to the inquiry's own redirect URI: a form field could be posted by
/// any site, so none is read.
///
/// Asked with `Accept: application/json` (the embedded page's script), it answers JSON instead:
/// `{inquiryId, status, fields, sessionToken, html}`, or `{error: {status, code, message}}`.
pub fn submit(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    let json = widget::wants_json(req);
    let refuse = |status: u16, code: &str, title: &str, message: &str| {
        if json {
            widget::error_json(status, code, message)
        } else {
            message_page(status, title, message)
        }
    };
    let segments = req.segments();
    let [_, id] = segments.as_slice() else {
        return refuse(
            404,
            "invalid_config",
            "Page not found",
            "Submit the form on the inquiry's page: POST /verify/{inquiry-id}.",
        );
    };
    let form = req.form();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let missing = || {
        refuse(
            404,
            "invalid_config",
            "Inquiry not found",
            &format!("There is no inquiry {id} in this sandbox namespace."),
        )
    };
    match world.persona.inquiry(id) {
        None => return missing(),
        Some(inquiry) if inquiry.rare().redacted_at.is_some() => {
            return refuse(409, "unknown", REDACTED_TITLE, REDACTED_PAGE);
        }
        Some(inquiry) if wrong_session_token(req, inquiry) => {
            return refuse(409, "unauthenticated", SESSION_TITLE, SESSION_PAGE);
        }
        Some(_) => {}
    }
    let decides = scenario::scenario_decides(app, world, req, id);
    let Some(inquiry) = world.persona.inquiry(id) else {
        return missing();
    };
    let redirect = redirect_of(inquiry).map(str::to_string);
    let page = |inquiry, notice: &str| {
        inquiry_page(
            app,
            req,
            inquiry,
            redirect.as_deref(),
            Some(notice),
            decides,
            None,
        )
    };
    let Some(mut outcome) = field("outcome").and_then(Outcome::parse) else {
        let notice = "Choose one of the buttons: the form did not say which outcome to apply.";
        if json {
            return widget::error_json(400, "invalid_config", notice);
        }
        return html(400, &page(inquiry, notice));
    };
    if decides && outcome != Outcome::Fail {
        // The scenario takes the decision: a chosen one (an older page) counts as passing.
        outcome = Outcome::Pass;
    }
    let Some(steps) = outcome.steps_from(inquiry.status) else {
        // A second submit (back button, double click) changes nothing.
        let notice = format!(
            "Nothing was changed: this inquiry is already {}.",
            inquiry.status
        );
        if json {
            return widget::error_json(409, "unknown", &notice);
        }
        return html(409, &page(inquiry, &notice));
    };
    // Names in any casing, stored in kebab-case as the API stores them; one given in two
    // casings is refused as the API refuses it.
    let names: Map<String, Value> = form
        .iter()
        .filter_map(|(name, _)| Some((widget::field_path(name)?[0].to_string(), Value::Null)))
        .collect();
    if let Err((_, message, _)) = kebab_keys(names, "fields") {
        let notice = format!("{message}; nothing was changed.");
        if json {
            return widget::error_json(400, "invalid_config", &notice);
        }
        return html(400, &page(inquiry, &notice));
    }
    // An emptied input clears the field it was prefilled with (null, as Persona's API gives a
    // field without a value); one left blank on a field the inquiry lacks adds nothing.
    let given: Vec<(Vec<String>, Value)> = form
        .iter()
        .filter_map(|(name, value)| {
            let mut path: Vec<String> = widget::field_path(name)?
                .into_iter()
                .map(str::to_string)
                .collect();
            path[0] = to_kebab(&path[0]);
            if !value.is_empty() {
                return Some((path, Value::String(value.clone())));
            }
            let had = widget::inquiry_field(&inquiry.fields, &path).is_some_and(|v| !v.is_null());
            had.then_some((path, Value::Null))
        })
        .collect();
    // Checked as the API checks them (a birthdate is a date, Persona's fields are text, and
    // `address-country-code` may not be null).
    let mut checked = Map::new();
    for (path, value) in &given {
        widget::set_field(&mut checked, path, value.clone());
    }
    if let Some(bad) = super::fields::refusal(&checked) {
        let field = format!("fields[{}]", bad.name);
        let notice = format!("{}; nothing was changed.", bad.describe(&field));
        if json {
            return widget::error_json(400, "invalid_config", &notice);
        }
        return html(400, &page(inquiry, &notice));
    }
    if !given.is_empty()
        && let Some(inquiry) = world.persona.inquiry_mut(id)
    {
        for (path, value) in given {
            widget::set_inquiry_field(&mut inquiry.fields, &path, value);
        }
    }
    let completion = if decides && outcome == Outcome::Pass {
        let steer = scenario::ask(app, world, Some(req), id);
        scenario::plan(&steps, steer.as_ref(), world.clock.now_ms())
    } else {
        scenario::Completion {
            steps,
            schedule: None,
        }
    };
    if let Err(e) = complete_through(app, world, id, &completion.steps, completion.schedule) {
        return refuse(
            409,
            "unknown",
            "Could not finish the inquiry",
            &e.to_string(),
        );
    }
    let Some(inquiry) = world.persona.inquiry(id) else {
        return missing();
    };
    if json {
        return widget::outcome_json(inquiry, done_content(inquiry));
    }
    // Post/Redirect/Get: reloading what the browser lands on submits nothing again.
    let location = match redirect {
        Some(uri) => with_result(&uri, inquiry),
        None => format!("{}&done=1", flow_page(app, req, id)),
    };
    ApiResponse::see_other(&location)
}

#[cfg(test)]
mod tests {
    use super::html::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
