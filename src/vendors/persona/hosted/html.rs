//! The HTML of the hosted flow: one small, accessible page layout (no JavaScript, inline CSS,
//! except the SDK's script on embedded pages, see `widget`), with every interpolated value
//! escaped.

use serde_json::Value;

use super::redirect::with_result;
use super::widget::{self, Embed};
use super::{Outcome, flow_root, given_session_token};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse, percent_encode};
use crate::vendors::persona::{Inquiry, InquiryStatus};

pub(super) use crate::html::escape;

pub(super) fn html(status: u16, body: &str) -> ApiResponse {
    crate::html::response(status, body.to_string())
}

pub(super) fn not_found(id: &str) -> ApiResponse {
    message_page(
        404,
        "Inquiry not found",
        &format!("There is no inquiry {id} in this sandbox namespace."),
    )
}

fn layout(title: &str, content: &str) -> String {
    crate::html::page("Persona", title, content)
}

pub(super) fn message_page(status: u16, title: &str, message: &str) -> ApiResponse {
    html(
        status,
        &crate::html::message_page("Persona", title, message),
    )
}

/// The inquiry's facts: id, status, reference id, template, and its fields.
fn facts(inquiry: &Inquiry) -> String {
    let none = "<span class=\"muted\">none</span>";
    let reference = inquiry
        .reference_id
        .as_deref()
        .map_or(none.to_string(), escape);
    let template = inquiry
        .template_id
        .as_deref()
        .map_or(none.to_string(), |t| format!("<code>{}</code>", escape(t)));
    let mut out = format!(
        "<dl>\n<dt>Inquiry</dt><dd><code>{id}</code></dd>\n\
         <dt>Status</dt><dd><span class=\"status\" id=\"status\">{status}</span></dd>\n\
         <dt>Reference ID</dt><dd>{reference}</dd>\n\
         <dt>Template</dt><dd>{template}</dd>\n</dl>\n<h2>Fields</h2>\n",
        id = escape(&inquiry.id),
        status = escape(inquiry.status.as_str()),
    );
    if inquiry.fields.is_empty() {
        out.push_str("<p class=\"muted\">No fields were given.</p>\n");
    } else {
        out.push_str(
            "<table>\n<thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Value</th></tr></thead>\n<tbody>\n",
        );
        for (name, value) in &inquiry.fields {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td></tr>\n",
                escape(name),
                escape(&value)
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out
}

/// The inquiry with the outcomes still open to it, or its final state when none is. With
/// `embed` (opened by Persona's Web SDK) the page also asks for a few fields, links only to its
/// own origin, and carries the SDK's script and its configuration.
pub(super) fn inquiry_page(
    app: &App,
    req: &ApiRequest,
    inquiry: &Inquiry,
    redirect: Option<&str>,
    notice: Option<&str>,
    scenario_decides: bool,
    embed: Option<&Embed>,
) -> String {
    let status = inquiry.status;
    // When the active scenario decides, a person only passes or fails the verification.
    let open: Vec<Outcome> = Outcome::ALL
        .into_iter()
        .filter(|o| o.steps_from(status).is_some())
        .filter(|o| !scenario_decides || matches!(o, Outcome::Pass | Outcome::Fail))
        .collect();
    let mut content = String::new();
    let awaiting_decision = matches!(
        status,
        InquiryStatus::Completed | InquiryStatus::NeedsReview
    );
    let heading = if open.is_empty() || awaiting_decision {
        format!("Verification {}", status_phrase(status))
    } else {
        "Verify your identity".to_string()
    };
    content.push_str(&format!("<h1 id=\"title\">{}</h1>\n", escape(&heading)));
    if let Some(notice) = notice {
        content.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            escape(notice)
        ));
    } else if embed.is_some() {
        content.push_str("<p class=\"notice\" id=\"persona-notice\" role=\"status\" hidden></p>\n");
    }
    if open.is_empty() && awaiting_decision {
        content.push_str(&format!(
            "<p>The verification passed; the inquiry is <strong>{}</strong> and awaits a decision \
             through Persona's API (<code>POST /api/v1/inquiries/{{id}}/approve</code> or \
             <code>/decline</code>).</p>\n",
            escape(status.as_str())
        ));
    } else if open.is_empty() {
        content.push_str(&format!(
            "<p>This inquiry is finished; its status is <strong>{}</strong>. Nothing more can be submitted.</p>\n",
            escape(status.as_str())
        ));
    } else if scenario_decides {
        content.push_str(
            "<p class=\"muted\">This is the sandbox stand-in for Persona's hosted flow: no real \
             verification happens. Pass or fail the verification; the active scenario decides \
             what follows.</p>\n",
        );
    } else if awaiting_decision {
        content.push_str(
            "<p class=\"muted\">The verification passed. Choose the decision the inquiry should \
             get (Persona's sandbox stand-in: nothing real is checked).</p>\n",
        );
    } else {
        content.push_str(
            "<p class=\"muted\">This is the sandbox stand-in for Persona's hosted flow: no real \
             verification happens. Choose the outcome the inquiry should have.</p>\n",
        );
    }
    content.push_str(&facts(inquiry));
    if !open.is_empty() {
        content.push_str(&outcome_form(app, req, inquiry, &open, embed));
    } else if embed.is_some() {
        // The SDK's page decides where to go next.
    } else if let Some(uri) = redirect {
        content.push_str(&format!(
            "<p><a class=\"button primary\" href=\"{}\">Continue</a></p>\n",
            escape(&with_result(uri, inquiry))
        ));
    }
    if let Some(embed) = embed {
        content.push_str(&embed.config(inquiry));
        content.push_str(&widget::controls());
    }
    layout(&heading, &content)
}

/// The fields the embedded flow asks for (prefilled with what the inquiry has).
const ASKED_FIELDS: [(&str, &str, &str); 3] = [
    ("name-first", "First name", "text"),
    ("name-last", "Last name", "text"),
    ("birthdate", "Date of birth", "date"),
];

fn field_inputs(inquiry: &Inquiry) -> String {
    let mut out = String::from("<fieldset>\n<legend>Your details</legend>\n");
    for (name, label, kind) in ASKED_FIELDS {
        let value = match inquiry.fields.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        out.push_str(&format!(
            "<label>{label}<input type=\"{kind}\" name=\"fields[{name}]\" id=\"field-{name}\" \
             value=\"{}\" autocomplete=\"off\"></label>\n",
            escape(&value)
        ));
    }
    out.push_str("</fieldset>\n");
    out
}

fn outcome_form(
    app: &App,
    req: &ApiRequest,
    inquiry: &Inquiry,
    open: &[Outcome],
    embed: Option<&Embed>,
) -> String {
    let path = format!("{}/{}", flow_root(req), percent_encode(&inquiry.id));
    let mut form = match embed {
        // Relative to the origin the SDK loaded (`localhost:PORT`), for the script's fetch.
        Some(_) => format!(
            "<form method=\"post\" action=\"{}{}\" data-outcomes>\n{}",
            escape(widget::path_prefix(req)),
            escape(&path),
            field_inputs(inquiry)
        ),
        None => format!(
            "<form method=\"post\" action=\"{}\">\n",
            escape(&app.url(&req.namespace, &path))
        ),
    };
    // The session the page was opened with goes with its submit, which checks it again.
    if let Some(token) = given_session_token(req) {
        form.push_str(&format!(
            "<input type=\"hidden\" name=\"session-token\" value=\"{}\">\n",
            escape(&token)
        ));
    }
    // No redirect field: the submit takes the inquiry's own, so another site cannot post one.
    let button = |o: Outcome, class: &str| {
        format!(
            "<button type=\"submit\" name=\"outcome\" value=\"{}\" class=\"{class}\">{}</button>\n",
            o.form_value(),
            o.label(inquiry.status)
        )
    };
    let verification: Vec<Outcome> = open
        .iter()
        .copied()
        .filter(|o| matches!(o, Outcome::Pass | Outcome::Fail))
        .collect();
    let decisions: Vec<Outcome> = open
        .iter()
        .copied()
        .filter(|o| !matches!(o, Outcome::Pass | Outcome::Fail))
        .collect();
    if !verification.is_empty() {
        form.push_str("<fieldset>\n<legend>Verification</legend>\n");
        for o in verification {
            let class = if o == Outcome::Pass {
                "primary"
            } else {
                "danger"
            };
            form.push_str(&button(o, class));
        }
        form.push_str("</fieldset>\n");
    }
    if !decisions.is_empty() {
        let legend = if matches!(
            inquiry.status,
            InquiryStatus::Completed | InquiryStatus::NeedsReview
        ) {
            "Decision"
        } else {
            "Pass, then decide"
        };
        form.push_str(&format!("<fieldset>\n<legend>{legend}</legend>\n"));
        for o in decisions {
            form.push_str(&button(o, "secondary"));
        }
        form.push_str("</fieldset>\n");
    }
    form.push_str("</form>\n");
    form
}

fn status_phrase(status: InquiryStatus) -> &'static str {
    match status {
        InquiryStatus::Completed => "complete",
        InquiryStatus::Failed => "failed",
        InquiryStatus::Expired => "expired",
        InquiryStatus::Approved => "approved",
        InquiryStatus::Declined => "declined",
        InquiryStatus::NeedsReview => "in review",
        InquiryStatus::Created | InquiryStatus::Pending => "in progress",
    }
}

/// What replaces the embedded page's content once the script has submitted it.
pub(super) fn done_content(inquiry: &Inquiry) -> String {
    format!(
        "<h1 id=\"title\">{heading}</h1>\n\
         <p role=\"status\" id=\"persona-done\">Done. The inquiry's status is now \
         <strong>{status}</strong>.</p>\n{facts}",
        heading = escape(&format!("Verification {}", status_phrase(inquiry.status))),
        status = escape(inquiry.status.as_str()),
        facts = facts(inquiry),
    )
}

/// Shown after a submit when there is no redirect URI to send the browser to.
pub(super) fn done_page(app: &App, req: &ApiRequest, inquiry: &Inquiry) -> String {
    let page = app.url(
        &req.namespace,
        &format!(
            "{}?inquiry-id={}",
            flow_root(req),
            percent_encode(&inquiry.id)
        ),
    );
    let heading = format!("Verification {}", status_phrase(inquiry.status));
    let content = format!(
        "<h1 id=\"title\">{heading}</h1>\n\
         <p role=\"status\">Done. The inquiry's status is now <strong>{status}</strong>. \
         There is no redirect URI, so you can close this window.</p>\n{facts}\
         <p><a class=\"button secondary\" href=\"{page}\">Back to the inquiry</a></p>\n",
        heading = escape(&heading),
        status = escape(inquiry.status.as_str()),
        facts = facts(inquiry),
        page = escape(&page),
    );
    layout(&heading, &content)
}
