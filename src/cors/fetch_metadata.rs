//! What a browser says about a request's source and purpose (Fetch Metadata: `Sec-Fetch-Site`,
//! `Sec-Fetch-Mode`, `Sec-Fetch-Dest`). Clients that are not browsers (curl, SDKs on servers,
//! test code) send none, so nothing here applies to them.

use crate::admin;
use crate::area::Area;
use crate::config::Config;
use crate::http::{ApiRequest, ApiResponse};

/// 403 for a request a page of another site sent without the user going there.
///
/// - Admin: a state-changing request from anything but this server's own pages.
/// - Vendor routes: every one may change state (even a GET makes its namespace, and `/verify`
///   an inquiry), and an `<img>` or a `no-cors` POST on any page the developer visits reaches
///   the sandbox on loopback. So a request from another site (`cross-site`, or `same-site`:
///   another port of localhost) is answered only as a navigation (a link, a template link, the
///   Persona SDK's iframe) or from an origin that may call the API ([`super::allowed_origin`]:
///   the developer's app). A preflight has its own answer.
///
/// `site` is the request's `Sec-Fetch-Site`; the caller looks for it only where it matters.
pub(super) fn refusal(
    config: &Config,
    area: Area,
    req: &ApiRequest,
    site: &str,
) -> Option<ApiResponse> {
    match area {
        Area::Admin if !matches!(site, "same-origin" | "none") => Some(admin::error(
            403,
            &format!(
                "Admin request from another page ({site}) refused: the admin API changes state \
                 only for this server's own pages and for clients that are not browsers"
            ),
        )),
        Area::Vendor(_)
            if matches!(site, "cross-site" | "same-site")
                && !navigation(req)
                && !req
                    .header("origin")
                    .is_some_and(|origin| super::allowed_origin(config, origin)) =>
        {
            let from = req.header("origin").unwrap_or("a page of another site");
            let mode = req.header("sec-fetch-mode").unwrap_or("no mode");
            let dest = req.header("sec-fetch-dest").unwrap_or("no destination");
            Some(area.error(
                403,
                &format!(
                    "Request from {from} ({site}, {mode}, {dest}) refused: these routes change \
                     state (a GET too creates its namespace), so another site may open them \
                     (a link or an iframe) but not load or post to them; pages that call the \
                     API from a loopback origin, or one named by --cors-origin \
                     (VENDOR_SANDBOX_CORS_ORIGIN), are answered"
                ),
                req,
            ))
        }
        _ => None,
    }
}

/// A GET opening a page in a window or a frame. `<object>` and `<embed>` navigate too, but no
/// page of the vendors is loaded that way; a form posted from another site is not a GET.
fn navigation(req: &ApiRequest) -> bool {
    req.method == "GET"
        && req.header("sec-fetch-mode") == Some("navigate")
        && req
            .header("sec-fetch-dest")
            .is_none_or(|dest| matches!(dest, "document" | "iframe" | "frame"))
}
