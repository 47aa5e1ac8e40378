//! The page behind a 451's `verificationLink`: `/coinflow/verify/{pageToken}`, plain HTML that
//! works without JavaScript. It shows where the verification stands and, while the user has
//! something to do (fields missing, a document verification to confirm), a form; submitting it
//! completes the verification (once the Persona side, if any, has finished). A verification
//! waiting on Persona or on a manual review takes nothing from the page: a POST changes
//! nothing.

use super::model::{RequiredField, VerificationStatus, Withdrawer};
use super::validate::{check_country, check_state, normalize_dob};
use super::verification::{self, Check};
use crate::app::App;
use crate::clock::Millis;
use crate::html::escape;
use crate::http::{ApiRequest, ApiResponse, is_web_url, with_query};
use crate::store::World;
use crate::vendors::Ctx;

/// The page's path for `withdrawer` (without namespace prefix; see [`App::url`]).
pub fn path(withdrawer: &Withdrawer) -> String {
    format!("/coinflow/verify/{}", withdrawer.page_token)
}

pub fn page(cx: &Ctx, world: &mut World, token: &str) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    let Some(index) = world.coinflow.by_page_token(token) else {
        return not_found();
    };
    let check = verification::advance(app, world, index);
    match world.coinflow.get(index) {
        Some(w) => render(app, req, w, &check, None, 200),
        None => not_found(),
    }
}

pub fn submit(cx: &Ctx, world: &mut World, token: &str) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    let Some(index) = world.coinflow.by_page_token(token) else {
        return not_found();
    };
    let check = verification::advance(app, world, index);
    let Some(w) = world.coinflow.get(index) else {
        return not_found();
    };
    let wanted = fields_to_ask(w, &check);
    let form = req.form();
    // Nothing to submit while the verification waits on Persona or is already decided.
    if matches!(check, Check::Final(_) | Check::Pending(_)) {
        return ApiResponse::see_other(&self_url(app, req, w));
    }
    // Validate everything before changing anything.
    let now = world.clock.now_ms();
    let mut values = Vec::new();
    let mut problems = Vec::new();
    for field in &wanted {
        let given = form
            .iter()
            .find(|(k, _)| k == field.name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        match check_field(field, &given, now) {
            Ok(value) => values.push((field.name.to_string(), value)),
            Err(problem) => problems.push(format!("{}: {problem}", field.label)),
        }
    }
    if !problems.is_empty() {
        let w = w.clone();
        return render(app, req, &w, &check, Some(&problems), 400);
    }
    if let Some(w) = world.coinflow.get_mut(index) {
        w.details.extend(values);
        w.details_submitted = true;
        w.updated_ms = now;
    }
    let check = verification::advance(app, world, index);
    let Some(w) = world.coinflow.get(index) else {
        return not_found();
    };
    match (&check, &w.redirect_link) {
        (Check::Final(VerificationStatus::Approved | VerificationStatus::Attested), Some(to)) => {
            ApiResponse::see_other(&with_query(to, &[]))
        }
        _ => ApiResponse::see_other(&self_url(app, req, w)),
    }
}

/// The fields the form asks for: the missing ones, or (document verification, nothing
/// missing) none: the form is then one button that confirms the verification.
fn fields_to_ask(w: &Withdrawer, check: &Check) -> Vec<&'static RequiredField> {
    match check {
        Check::Missing(fields) => fields.clone(),
        Check::Action(_) => w.missing_fields(),
        _ => Vec::new(),
    }
}

/// A form field's value, checked (a date of birth against sandbox time `now`).
fn check_field(field: &RequiredField, value: &str, now: Millis) -> Result<String, String> {
    if value.is_empty() {
        return Err("required".into());
    }
    if value.chars().count() > 200 {
        return Err("at most 200 characters".into());
    }
    match field.name {
        "dob" => normalize_dob(value, now),
        "country" => {
            let upper = value.to_ascii_uppercase();
            check_country(&upper).map(|()| upper)
        }
        "state" => check_state(value).map(|()| value.to_string()),
        _ => Ok(value.to_string()),
    }
}

fn self_url(app: &App, req: &ApiRequest, w: &Withdrawer) -> String {
    app.url(&req.namespace, &path(w))
}

/// An HTML answer with the same protections as every page of the sandbox, except that any site
/// may frame it: merchants show Coinflow's verification in their own frames and webviews, as
/// they do its web-app pages.
fn html(status: u16, body: String) -> ApiResponse {
    crate::html::frameable_response(status, body)
}

fn not_found() -> ApiResponse {
    html(
        404,
        layout(
            "Verification link not found",
            "<p>This verification link is unknown in this sandbox namespace (or the namespace was reset).</p>",
        ),
    )
}

fn render(
    app: &App,
    req: &ApiRequest,
    w: &Withdrawer,
    check: &Check,
    problems: Option<&[String]>,
    status: u16,
) -> ApiResponse {
    // Only the merchant's, never one from the page's query or form: no open redirect.
    let redirect = w.redirect_link.as_deref().filter(|r| is_web_url(r));
    let mut body = format!(
        "<p>Withdrawer <code>{}</code> &middot; {}</p>",
        escape(&w.id),
        escape(&w.email)
    );
    let heading = match check {
        Check::Final(VerificationStatus::Rejected) => {
            body.push_str(&format!(
                "<p id=\"status\" data-status=\"rejected\">Verification was not approved: {}</p>",
                escape(w.rejection_reason.as_deref().unwrap_or("rejected"))
            ));
            "Verification rejected"
        }
        Check::Final(status) => {
            body.push_str(&format!(
                "<p id=\"status\" data-status=\"{0}\">Verification {0}. You can close this page.</p>",
                status.as_str()
            ));
            if let Some(r) = &redirect {
                body.push_str(&format!("<p><a href=\"{}\">Continue</a></p>", escape(r)));
            }
            "Verification complete"
        }
        Check::Pending(message) => {
            let received = if w.details_submitted {
                "Your details were received. "
            } else {
                ""
            };
            body.push_str(&format!(
                "<p id=\"status\" data-status=\"pending\">{received}{}</p><p><a href=\"{}\">Refresh</a></p>",
                escape(message),
                escape(&self_url(app, req, w))
            ));
            "Verification pending"
        }
        Check::Action(message) => {
            body.push_str(&format!(
                "<p id=\"status\" data-status=\"pending\">{}</p>",
                escape(message)
            ));
            body.push_str(&form(app, req, w, &w.missing_fields(), problems));
            "Verification pending"
        }
        Check::Missing(fields) => {
            body.push_str(
                "<p id=\"status\" data-status=\"pending\">Coinflow needs a few more details before you can withdraw.</p>",
            );
            body.push_str(&form(app, req, w, fields, problems));
            "Complete your verification"
        }
    };
    html(status, layout(heading, &body))
}

fn form(
    app: &App,
    req: &ApiRequest,
    w: &Withdrawer,
    fields: &[&RequiredField],
    problems: Option<&[String]>,
) -> String {
    let mut html = String::new();
    if let Some(problems) = problems {
        html.push_str("<ul class=\"errors\">");
        for p in problems {
            html.push_str(&format!("<li>{}</li>", escape(p)));
        }
        html.push_str("</ul>");
    }
    html.push_str(&format!(
        "<form method=\"post\" action=\"{}\">",
        escape(&app.url(&req.namespace, &path(w)))
    ));
    for field in fields {
        html.push_str(&format!(
            "<label>{label}<br><input name=\"{name}\" required></label><br>",
            label = escape(field.label),
            name = field.name
        ));
    }
    html.push_str("<button type=\"submit\">Submit verification</button></form>");
    html
}

fn layout(title: &str, body: &str) -> String {
    let content = format!("<h1 id=\"title\">{}</h1>\n{body}\n", escape(title));
    crate::html::page("Coinflow", title, &content)
}
