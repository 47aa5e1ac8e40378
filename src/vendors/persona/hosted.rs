//! The hosted verification flow: `GET /verify?inquiry-id=…` (and `/widget`, which Persona's
//! embedded SDK loads), an HTML page usable without JavaScript, and the form posts that finish
//! the inquiry.
//!
//! The page offers every outcome the inquiry's status still allows: pass, fail, and pass followed
//! by a decision (approve, decline, mark for review). When the active scenario decides inquiries
//! (`inquiry_decision`), it offers pass and fail only, and a pass gets the scenario's decision. Submitting walks the inquiry through the
//! state machine one legal step at a time (each step fires its event and webhook), then sends the
//! browser to the redirect URI with `inquiry-id`, `reference-id` and `status`, or shows a done page.

mod html;

use serde_json::{Map, Value};

use super::lifecycle::complete_through;
use super::{Ctx, Inquiry, InquiryStatus, NewInquiry, create_inquiry, scenario};
use crate::http::{ApiRequest, ApiResponse, percent_encode};
use crate::store::World;
use html::{done_page, html, inquiry_page, message_page, not_found};

/// What a person can choose on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Fail,
    Approve,
    Decline,
    Review,
}

impl Outcome {
    const ALL: [Outcome; 5] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Approve,
        Outcome::Decline,
        Outcome::Review,
    ];

    fn form_value(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Approve => "approve",
            Outcome::Decline => "decline",
            Outcome::Review => "review",
        }
    }

    fn parse(value: &str) -> Option<Outcome> {
        Self::ALL.into_iter().find(|o| o.form_value() == value)
    }

    /// The whole path from `created`.
    fn path(self) -> &'static [InquiryStatus] {
        use InquiryStatus::*;
        match self {
            Outcome::Pass => &[Pending, Completed],
            Outcome::Fail => &[Pending, Failed],
            Outcome::Approve => &[Pending, Completed, Approved],
            Outcome::Decline => &[Pending, Completed, Declined],
            Outcome::Review => &[Pending, Completed, NeedsReview],
        }
    }

    /// The statuses to move through from `from`, or `None` when this outcome is no longer
    /// possible (every step is checked against the state machine before anything moves).
    fn steps_from(self, from: InquiryStatus) -> Option<Vec<InquiryStatus>> {
        let path = self.path();
        let steps: Vec<InquiryStatus> = match path.iter().position(|&s| s == from) {
            Some(i) => path[i + 1..].to_vec(),
            None if from == InquiryStatus::Created => path.to_vec(),
            // e.g. a decision taken on an inquiry that is in review
            None => path.last().map(|&last| vec![last]).unwrap_or_default(),
        };
        let mut at = from;
        for &step in &steps {
            if !at.can_move_to(step) {
                return None;
            }
            at = step;
        }
        (!steps.is_empty()).then_some(steps)
    }

    fn label(self, from: InquiryStatus) -> &'static str {
        let passed = matches!(from, InquiryStatus::Completed | InquiryStatus::NeedsReview);
        match (self, passed) {
            (Outcome::Pass, _) => "Pass verification",
            (Outcome::Fail, _) => "Fail verification",
            (Outcome::Approve, false) => "Pass and approve",
            (Outcome::Decline, false) => "Pass and decline",
            (Outcome::Review, false) => "Pass and mark for review",
            (Outcome::Approve, true) => "Approve",
            (Outcome::Decline, true) => "Decline",
            (Outcome::Review, true) => "Mark for review",
        }
    }
}

/// `/verify` or `/widget`: whichever the browser came in on, so follow-up URLs keep it.
fn flow_root(req: &ApiRequest) -> &'static str {
    if req.segments().first() == Some(&"widget") {
        "/widget"
    } else {
        "/verify"
    }
}

/// `GET /verify` and `GET /widget`: shows `inquiry-id`, or creates an inquiry from
/// `inquiry-template-id` / `template-id` / `inquiry-template-version-id`, `reference-id`,
/// `redirect-uri` and `fields[…]` and sends the browser (303) to its page, so that reloading
/// does not create another one.
pub fn page(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    if let Some(code) = req.query_param("code").filter(|c| !c.is_empty()) {
        return match super::one_time_links::redeem(world, code) {
            Ok(id) => ApiResponse::see_other(&app.url(
                &req.namespace,
                &format!("{}?inquiry-id={}", flow_root(req), percent_encode(&id)),
            ))
            .with_header("cache-control", "no-store"),
            Err(message) => message_page(410, "Link no longer valid", &message),
        };
    }
    if let Some(id) = req.query_param("inquiry-id").filter(|id| !id.is_empty()) {
        return match world.persona.inquiry(id) {
            Some(_) => {
                let decides = scenario::scenario_decides(app, world, req, id);
                let redirect = req.query_param("redirect-uri").filter(|u| !u.is_empty());
                match world.persona.inquiry(id) {
                    Some(inquiry) => html(
                        200,
                        &inquiry_page(app, req, inquiry, redirect, None, decides),
                    ),
                    None => not_found(id),
                }
            }
            None => not_found(id),
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
        return message_page(
            400,
            "Missing inquiry",
            "This link needs an inquiry-id, or an inquiry-template-id (or template-id) to start a new inquiry.",
        );
    };
    if !template.starts_with(prefix) || template.len() == prefix.len() {
        return message_page(
            400,
            "Unknown template",
            &format!("The {name} {template:?} should be an id starting with {prefix}."),
        );
    }
    let fields: Map<String, Value> = req
        .query
        .iter()
        .filter_map(|(name, value)| {
            let field = name.strip_prefix("fields[")?.strip_suffix(']')?;
            (!field.is_empty()).then(|| (field.to_string(), Value::String(value.clone())))
        })
        .collect();
    let given = |name: &str| {
        req.query_param(name)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let new = NewInquiry {
        template_id: Some(template.to_string()),
        reference_id: given("reference-id"),
        redirect_uri: given("redirect-uri"),
        fields,
        ..NewInquiry::default()
    };
    let id = create_inquiry(app, world, new);
    let location = app.url(
        &req.namespace,
        &format!("{}?inquiry-id={}", flow_root(req), percent_encode(&id)),
    );
    ApiResponse::see_other(&location).with_header("cache-control", "no-store")
}

/// `POST /verify/{inquiry-id}` (or `/widget/…`) with `outcome=pass|fail|approve|decline|review`
/// and optionally `redirect-uri` (from the page's own link, overriding the inquiry's).
pub fn submit(cx: &Ctx, world: &mut World) -> ApiResponse {
    let (app, req) = (cx.app, cx.req);
    let segments = req.segments();
    let [_, id] = segments.as_slice() else {
        return message_page(
            404,
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
    if world.persona.inquiry(id).is_none() {
        return not_found(id);
    }
    let decides = scenario::scenario_decides(app, world, req, id);
    let Some(inquiry) = world.persona.inquiry(id) else {
        return not_found(id);
    };
    let redirect = field("redirect-uri")
        .map(str::to_string)
        .or_else(|| inquiry.redirect_uri.clone());
    let page = |inquiry, notice: &str| {
        inquiry_page(
            app,
            req,
            inquiry,
            redirect.as_deref(),
            Some(notice),
            decides,
        )
    };
    let Some(mut outcome) = field("outcome").and_then(Outcome::parse) else {
        let notice = "Choose one of the buttons: the form did not say which outcome to apply.";
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
        return html(409, &page(inquiry, &notice));
    };
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
        return message_page(409, "Could not finish the inquiry", &e.to_string());
    }
    let Some(inquiry) = world.persona.inquiry(id) else {
        return not_found(id);
    };
    match redirect {
        Some(uri) => ApiResponse::see_other(&with_result(&uri, inquiry)),
        None => html(200, &done_page(app, req, inquiry)),
    }
}

/// `uri` with `inquiry-id`, `reference-id` (when the inquiry has one) and `status` added to its
/// query, before any `#fragment`. Bytes a `Location` header cannot carry are percent-encoded.
fn with_result(uri: &str, inquiry: &Inquiry) -> String {
    let (base, fragment) = match uri.find('#') {
        Some(i) => uri.split_at(i),
        None => (uri, ""),
    };
    let mut params = format!("inquiry-id={}", percent_encode(&inquiry.id));
    if let Some(reference) = &inquiry.reference_id {
        params.push_str(&format!("&reference-id={}", percent_encode(reference)));
    }
    params.push_str(&format!("&status={}", inquiry.status.as_str()));
    let separator = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    let mut location = String::with_capacity(uri.len() + params.len() + 1);
    for part in [base, separator, &params, fragment] {
        for c in part.chars() {
            if c.is_ascii_graphic() {
                location.push(c);
            } else {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    location.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    location
}

#[cfg(test)]
mod tests {
    use super::html::escape;
    use super::*;
    use InquiryStatus::*;

    #[test]
    fn outcomes_follow_the_state_machine() {
        assert_eq!(
            Outcome::Pass.steps_from(Created),
            Some(vec![Pending, Completed])
        );
        assert_eq!(Outcome::Fail.steps_from(Pending), Some(vec![Failed]));
        assert_eq!(
            Outcome::Approve.steps_from(Created),
            Some(vec![Pending, Completed, Approved])
        );
        assert_eq!(Outcome::Decline.steps_from(Completed), Some(vec![Declined]));
        assert_eq!(
            Outcome::Approve.steps_from(NeedsReview),
            Some(vec![Approved])
        );
        assert_eq!(Outcome::Review.steps_from(NeedsReview), None);
        assert_eq!(Outcome::Pass.steps_from(Completed), None);
        for status in [Failed, Expired, Approved, Declined] {
            assert!(
                Outcome::ALL.iter().all(|o| o.steps_from(status).is_none()),
                "{status} is final"
            );
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
