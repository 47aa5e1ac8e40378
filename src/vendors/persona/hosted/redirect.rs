//! Where the hosted flow may send the browser when it is done: the inquiry's redirect URI with
//! the result in its query, and which redirect URIs a link (which any site can build) may give.

use super::super::request::web_redirect;
use crate::app::App;
use crate::http::{WebUrl, web_url, with_query};
use crate::vendors::persona::Inquiry;

/// Why a link's `redirect-uri` is refused: Persona sends a browser only to the dashboard's
/// Allowed Domains (vendors.md 1.9); the sandbox's are these.
pub(super) fn link_redirect_refusal(app: &App, uri: &str) -> Option<String> {
    let Some(url) = web_url(uri) else {
        return web_redirect(uri).err();
    };
    if allowed_domain(app, &url) {
        return None;
    }
    Some(format!(
        "The redirect-uri {uri:?} of this link is not on an allowed domain: a link may redirect \
         to a loopback host, the sandbox's own host ({}) or an origin given by --cors-origin \
         (VENDOR_SANDBOX_CORS_ORIGIN), as Persona allows only the dashboard's Allowed Domains. \
         An inquiry created through the API keeps the redirect-uri it was given.",
        web_url(&app.public_url).map_or("none", |own| own.host)
    ))
}

/// A loopback host, the public URL's host (any port), or an origin `--cors-origin` allows
/// (exactly, or `*`).
fn allowed_domain(app: &App, url: &WebUrl) -> bool {
    let bare = url.host.trim_start_matches('[').trim_end_matches(']');
    let loopback = url.host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let own = web_url(&app.public_url).is_some_and(|own| own.host.eq_ignore_ascii_case(url.host));
    loopback
        || own
        || app.config.cors_origins.iter().any(|origin| {
            let origin = origin.trim().trim_end_matches('/');
            origin == "*"
                || web_url(origin).is_some_and(|allowed| {
                    allowed.https == url.https
                        && allowed.host.eq_ignore_ascii_case(url.host)
                        && allowed.effective_port() == url.effective_port()
                })
        })
}

/// The inquiry's redirect URI, if it is one a browser may be sent to (one from a state file
/// written before the check is left out).
pub(super) fn redirect_of(inquiry: &Inquiry) -> Option<&str> {
    let uri = inquiry.redirect_uri.as_deref()?;
    web_redirect(uri).is_ok().then_some(uri)
}

/// `uri` with `inquiry-id`, `reference-id` (when the inquiry has one) and `status` in its query,
/// before any `#fragment` ([`with_query`]: one of each, replacing any the URI had).
pub(super) fn with_result(uri: &str, inquiry: &Inquiry) -> String {
    let mut params = vec![("inquiry-id", inquiry.id.as_str())];
    if let Some(reference) = &inquiry.reference_id {
        params.push(("reference-id", reference));
    }
    params.push(("status", inquiry.status.as_str()));
    with_query(uri, &params)
}
