//! Browsers and other sites: which pages may call the sandbox (CORS on vendor routes, the admin
//! API's cross-site refusal). The router and the server call in here; nothing else does.

use crate::admin;
use crate::http::{ApiRequest, ApiResponse};
use crate::router::Area;

/// Requests from web pages of other origins. The vendors' APIs are called from browsers (Coinflow's
/// SDK runs in a page on `localhost:3000` and calls the API on port 5000), so a vendor route
/// answers CORS preflights and names the caller's origin as allowed, as the vendors' own APIs do
/// for their SDKs. The admin API is for this server's dashboard and for tools: a state-changing
/// admin request sent by a page of another site is refused, so a page the developer happens to
/// visit cannot reset or steer the sandbox.
pub fn cross_origin_answer(area: Area, req: &ApiRequest) -> Option<ApiResponse> {
    let origin = req.header("origin")?;
    match area {
        Area::Vendor(_) if req.method == "OPTIONS" => {
            let allowed_headers = req
                .header("access-control-request-headers")
                .unwrap_or("authorization, content-type");
            Some(ApiResponse {
                status: 204,
                headers: vec![
                    ("access-control-allow-origin".into(), origin.into()),
                    (
                        "access-control-allow-methods".into(),
                        "GET, POST, PUT, PATCH, DELETE, OPTIONS".into(),
                    ),
                    (
                        "access-control-allow-headers".into(),
                        allowed_headers.into(),
                    ),
                    ("access-control-max-age".into(), "600".into()),
                    ("vary".into(), "origin".into()),
                ],
                body: crate::http::ResponseBody::Empty,
            })
        }
        Area::Admin
            if !matches!(req.method.as_str(), "GET" | "HEAD" | "OPTIONS")
                && !same_origin(origin, req.header("host")) =>
        {
            Some(admin::error(
                403,
                &format!(
                    "Cross-site admin request from {origin} refused: the admin API changes state \
                     only for this server's own pages and for clients that send no Origin"
                ),
            ))
        }
        _ => None,
    }
}

/// `origin` (`scheme://host[:port]`) names the host the request was sent to.
fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
}

/// A vendor's answer to a page of another origin names that origin as allowed to read it.
pub fn with_cors(area: Area, req: &ApiRequest, response: ApiResponse) -> ApiResponse {
    match (area, req.header("origin")) {
        (Area::Vendor(_), Some(origin))
            if response.header("access-control-allow-origin").is_none() =>
        {
            response
                .with_header("access-control-allow-origin", origin)
                .with_header("access-control-expose-headers", "request-id")
                .with_header("vary", "origin")
        }
        _ => response,
    }
}
