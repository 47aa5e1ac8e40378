//! Browsers and other sites: which hosts and pages may call the sandbox.
//!
//! - The `Host` check stops DNS rebinding: a page on `rebind.evil.example` whose name is made to
//!   resolve to 127.0.0.1 reaches the sandbox as a same-origin page, so comparing `Origin` with
//!   `Host` cannot tell it apart. Only loopback hosts, the hosts named by `--allowed-host`, the
//!   host of `--public-url` and a specific (not loopback, not unspecified) bound address are
//!   answered; any other `Host` gets 403 in the owner's envelope. Requests without a `Host`
//!   (HTTP/1.0 tools) are answered; an HTTP/1.1 one without is 400 (`http::read_head` gives it
//!   an empty Host), as is one with two; a target in absolute form is judged by its own host.
//! - CORS on vendor routes: the vendors' APIs serve their browser SDKs, so a page may call them,
//!   but only from a loopback origin or one named by `--cors-origin` (`*`: any, unsafe). A
//!   preflight from another origin gets 403 in the vendor's envelope (so the browser's network
//!   panel says why), and other answers carry no `Access-Control-Allow-Origin`.
//! - Pages of other sites: the admin API refuses their state-changing requests; vendor routes
//!   answer their navigations and their calls from allowed origins only (`fetch_metadata`), so
//!   an image on any page cannot create namespaces and inquiries.
//!
//! The router and the server call in here; nothing else does.

use std::net::{IpAddr, SocketAddr};

use crate::admin;
use crate::area::Area;
use crate::config::Config;
use crate::http::{ApiRequest, ApiResponse};

mod fetch_metadata;

/// Host names that always reach the sandbox (with any port, or none).
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// `config` with the hosts the server is known by added to `allowed_hosts`: the host of the
/// public URL (`--public-url`, else the bound address) and the bound address, unless that is
/// loopback or unspecified (0.0.0.0 is not a name anyone is reached by).
pub fn with_implied_hosts(mut config: Config, bound: SocketAddr, public_url: &str) -> Config {
    if let Some((host, _)) = authority_of(public_url).map(split_host) {
        config.allowed_hosts.push(host.to_string());
    }
    let ip = bound.ip();
    if !ip.is_loopback() && !ip.is_unspecified() {
        config.allowed_hosts.push(match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        });
    }
    config
}

/// 403 for a request whose `Host` the sandbox does not answer (see the module doc), in the
/// envelope of whoever owns the path.
pub fn check_host(config: &Config, area: Area, req: &ApiRequest) -> Option<ApiResponse> {
    if req.repeated_host {
        return Some(area.error(
            400,
            "More than one Host header: a request names the one host it is sent to (RFC 9112 \
             3.2)",
            req,
        ));
    }
    let host = req.header("host")?;
    if host.is_empty() {
        return Some(area.error(
            400,
            "A Host header is required: HTTP/1.1 requests name the host they are sent to",
            req,
        ));
    }
    if allowed_host(host, &config.allowed_hosts) {
        return None;
    }
    Some(area.error(
        403,
        &format!(
            "Host {host:?} is not allowed: the sandbox answers loopback hosts (localhost, \
             127.0.0.1, [::1]) and the hosts named by --allowed-host \
             (VENDOR_SANDBOX_ALLOWED_HOST), so that a web page on another domain that resolves \
             to this machine cannot use it"
        ),
        req,
    ))
}

/// Whether a `Host` value (`name[:port]`) is loopback or matches an entry of `allowed`: a name
/// alone matches any port, `name:port` that port only, and `*` every host.
pub fn allowed_host(host: &str, allowed: &[String]) -> bool {
    let (name, port) = split_host(host);
    // A port is digits: `localhost:1@evil.example` names no loopback host.
    if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    // `localhost.` is the same name as `localhost`.
    let name = name.strip_suffix('.').unwrap_or(name);
    if LOOPBACK_HOSTS.iter().any(|l| l.eq_ignore_ascii_case(name)) {
        return true;
    }
    allowed.iter().any(|entry| {
        let (entry_name, entry_port) = split_host(entry.trim());
        entry_name == "*"
            || (entry_name.eq_ignore_ascii_case(name) && entry_port.is_none_or(|p| Some(p) == port))
    })
}

/// Whether a page of `origin` may read the vendors' answers: a loopback origin, or one named by
/// `--cors-origin` (exactly, or `*`).
pub fn allowed_origin(config: &Config, origin: &str) -> bool {
    loopback_origin(origin)
        || config.cors_origins.iter().any(|allowed| {
            let allowed = allowed.trim().trim_end_matches('/');
            allowed == "*" || allowed.eq_ignore_ascii_case(origin)
        })
}

/// `http(s)://` + a loopback host + an optional numeric port, and nothing else.
fn loopback_origin(origin: &str) -> bool {
    let lower = origin.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
    else {
        return false;
    };
    let (name, port) = split_host(rest);
    LOOPBACK_HOSTS.contains(&name)
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `name[:port]` into its parts; a bracketed IPv6 address keeps its brackets.
fn split_host(host: &str) -> (&str, Option<&str>) {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => {
                let (name, rest) = host.split_at(end + 1);
                (name, rest.strip_prefix(':'))
            }
            None => (host, None),
        };
    }
    // Byte-wise: `rsplit_once` with a char pattern sets up a searcher on every request.
    match host.bytes().rposition(|b| b == b':') {
        Some(colon) => (&host[..colon], Some(&host[colon + 1..])),
        None => (host, None),
    }
}

/// The `host[:port]` of an absolute URL (`scheme://[user@]host[:port]/…`).
fn authority_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    (!authority.is_empty()).then_some(authority)
}

/// Requests from web pages of other origins. The vendors' APIs are called from browsers (Coinflow's
/// SDK runs in a page on `localhost:3000` and calls the API on port 5000), so a vendor route
/// answers CORS preflights of allowed origins ([`allowed_origin`]) and names the caller's origin
/// as allowed, as the vendors' own APIs do for their SDKs; what a page of another site may not
/// send at all is [`fetch_metadata::refusal`]'s. The admin API is for this server's dashboard
/// and for tools: a state-changing admin request sent by a page of another site is refused, so
/// a page the developer happens to visit cannot reset or steer the sandbox.
pub fn cross_origin_answer(config: &Config, area: Area, req: &ApiRequest) -> Option<ApiResponse> {
    // Looked up only where it can refuse: an admin read (the health check) reads no header.
    let judged = match area {
        Area::Admin => !matches!(&*req.method, "GET" | "HEAD" | "OPTIONS"),
        Area::Vendor(_) => req.method != "OPTIONS",
        Area::Unknown => false,
    };
    // A browser that sends no Origin still says where the request comes from.
    if judged
        && let Some(site) = req.header("sec-fetch-site")
        && let Some(refused) = fetch_metadata::refusal(config, area, req, site)
    {
        return Some(refused);
    }
    let origin = req.header("origin")?;
    match area {
        Area::Vendor(_) if req.method == "OPTIONS" && !allowed_origin(config, origin) => {
            Some(area.error(
                403,
                &format!(
                    "Origin {origin} may not call this API from a browser: loopback origins \
                     may, others only when named by --cors-origin (VENDOR_SANDBOX_CORS_ORIGIN)"
                ),
                req,
            ))
        }
        Area::Vendor(_) if req.method == "OPTIONS" => {
            let allowed_headers = req
                .header("access-control-request-headers")
                .unwrap_or("authorization, content-type");
            let preflight = ApiResponse {
                status: 204,
                headers: Vec::new(),
                body: crate::http::ResponseBody::Empty,
            };
            // `Vary: origin` is [`with_cors`]'s, as on every vendor answer to a page.
            Some(
                preflight
                    .with_header("access-control-allow-origin", origin.to_string())
                    .with_header(
                        "access-control-allow-methods",
                        "GET, POST, PUT, PATCH, DELETE, OPTIONS",
                    )
                    .with_header("access-control-allow-headers", allowed_headers.to_string())
                    .with_header("access-control-max-age", "600"),
            )
        }
        Area::Admin if judged && !own_origin(config, origin, req.header("host")) => {
            Some(admin::error(
                403,
                &format!(
                    "Cross-site admin request from {origin} refused: the admin API changes state \
                     only for this server's own pages (http:// and the Host it was sent to, or \
                     the origin of --public-url) and for clients that send no Origin"
                ),
            ))
        }
        _ => None,
    }
}

/// Whether `origin` (`scheme://host[:port]`) is this server's own: `http://` and the Host the
/// request was sent to (the sandbox speaks plain HTTP), or the origin of `--public-url` (a proxy
/// in front of it may add TLS and send its own Host). Scheme and host compare in any case, and
/// a scheme's default port equals no port.
pub fn own_origin(config: &Config, origin: &str, host: Option<&str>) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let direct = scheme.eq_ignore_ascii_case("http")
        && host.is_some_and(|host| same_authority("http", authority, host));
    direct
        || config.public_url.as_deref().is_some_and(|url| {
            let public_scheme = url.split_once("://").map_or("", |(s, _)| s);
            public_scheme.eq_ignore_ascii_case(scheme)
                && authority_of(url).is_some_and(|public| same_authority(scheme, authority, public))
        })
}

/// `a` and `b` (`host[:port]`) name the same host and port under `scheme`.
fn same_authority(scheme: &str, a: &str, b: &str) -> bool {
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        "443"
    } else {
        "80"
    };
    let (a_name, a_port) = split_host(a);
    let (b_name, b_port) = split_host(b);
    a_name.eq_ignore_ascii_case(b_name)
        && a_port.unwrap_or(default_port) == b_port.unwrap_or(default_port)
}

/// A vendor's answer to a page of an allowed origin names that origin as allowed to read it.
/// Answers to other pages say nothing, so the browser keeps them from the page.
pub fn with_cors(
    config: &Config,
    area: Area,
    req: &ApiRequest,
    response: ApiResponse,
) -> ApiResponse {
    match (area, req.header("origin")) {
        (Area::Vendor(_), Some(origin))
            if response.header("access-control-allow-origin").is_none()
                && allowed_origin(config, origin) =>
        {
            response
                .with_header("access-control-allow-origin", origin.to_string())
                .with_header("access-control-expose-headers", "request-id")
                .with_header("vary", "origin")
        }
        // The answer still depends on the Origin: caches must not give it to an allowed page.
        (Area::Vendor(_), Some(_)) => response.with_header("vary", "origin"),
        _ => response,
    }
}

#[cfg(test)]
mod tests;
