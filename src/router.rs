//! The route table: namespace resolution, the scenario's say on vendor requests, then one
//! dispatch on who owns the path.

use std::time::Duration;

use crate::admin;
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse, BodyError, ResponseBody};
use crate::scenario::operations::{self, Operation};
use crate::scenario::{Fault, SCENARIO_HEADER, Subject, template};
use crate::vendors::{self, Vendor};

pub const DEFAULT_NAMESPACE: &str = "default";
pub const NAMESPACE_HEADER: &str = "x-sandbox-namespace";

/// Who answers a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Admin,
    Vendor(Vendor),
    Unknown,
}

impl Area {
    pub fn of(path: &str) -> Area {
        if path == "/__admin" || path.starts_with("/__admin/") {
            Area::Admin
        } else {
            Vendor::owning(path).map_or(Area::Unknown, Area::Vendor)
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Area::Admin => "admin",
            Area::Vendor(v) => v.as_str(),
            Area::Unknown => "none",
        }
    }
}

/// A namespace name is 1 to 64 of `[A-Za-z0-9_-]`.
pub fn valid_namespace(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// What the server does with a request once routed.
pub enum Step {
    /// Answer this (a routing error, a raw scenario answer, a scenario's HTTP fault).
    Answer(ApiResponse),
    /// Close the connection without answering (`reset`), or never answer (`timeout`).
    Drop(Fault),
    /// Hand it to the admin API or the owning vendor ([`dispatch`]).
    Dispatch,
}

pub struct Routed {
    pub area: Area,
    /// Scenario latency, awaited by the server with no lock held before the step.
    pub latency: Option<Duration>,
    /// Scenario name and rule index that applied, for the request log line.
    pub rule: Option<(String, usize)>,
    pub step: Step,
}

/// Routes one request. `req.path` comes in as sent; on return it is the routed path (the
/// `/ns/NAME` prefix removed), `req.namespace` is resolved and `req.steer` holds the scenario's
/// named outcome, if any.
pub fn prepare(app: &App, req: &mut ApiRequest, body: Result<(), BodyError>) -> Routed {
    let namespace = resolve_namespace(req);
    let area = Area::of(&req.path);
    let answer = |response| Routed {
        area,
        latency: None,
        rule: None,
        step: Step::Answer(response),
    };
    if let Some(response) = crate::cors::check_host(&app.config, area, req)
        .or_else(|| crate::cors::cross_origin_answer(&app.config, area, req))
    {
        return answer(response);
    }
    // Before anything can create it: a namespace beyond --max-namespaces (507: the condition
    // lasts until namespaces are deleted, and clients do not retry it as they do 429 and 503).
    if let Some(Err(message)) =
        (namespace.is_ok() && area != Area::Unknown).then(|| app.store.admits(&req.namespace))
    {
        return answer(error(area, 507, &message, req));
    }
    match (namespace, body) {
        (Err(message), _) => answer(error(area, 400, &message, req)),
        (Ok(_), Err(BodyError::TooLarge { limit })) => answer(error(
            area,
            413,
            &format!("Request body is larger than the limit of {limit} bytes"),
            req,
        )),
        // The rest of the body may still come: the connection cannot be reused.
        (Ok(_), Err(BodyError::TimedOut { after })) => answer(
            error(area, 408, &body_timeout_message(after), req).with_header("connection", "close"),
        ),
        (Ok(_), Err(BodyError::Interrupted)) => answer(error(
            area,
            400,
            "Request body could not be read completely",
            req,
        )),
        (Ok(()), Ok(())) => match area {
            Area::Vendor(vendor) => steer(app, vendor, req),
            Area::Admin => Routed {
                area,
                latency: None,
                rule: None,
                step: Step::Dispatch,
            },
            Area::Unknown => answer(error(area, 404, &no_route_message(req), req)),
        },
    }
}

/// [`dispatch`], plus the admin routes that wait for something (`POST /__admin/webhooks/flush`
/// waits for deliveries); those hold no lock across their awaits.
pub async fn dispatch_async(app: &App, area: Area, req: &ApiRequest) -> ApiResponse {
    if area == Area::Admin
        && req.method == "POST"
        && req.segments() == ["__admin", "webhooks", "flush"]
    {
        return admin::webhooks::flush(app, req).await;
    }
    dispatch(app, area, req)
}

/// The admin API's or the vendor's answer to a prepared request.
pub fn dispatch(app: &App, area: Area, req: &ApiRequest) -> ApiResponse {
    match area {
        Area::Admin => admin::handle(app, req),
        Area::Vendor(vendor) => vendors::handle(app, vendor, req),
        Area::Unknown => error(area, 404, &no_route_message(req), req),
    }
}

/// Asks the active scenario about a vendor request: the engine decides, the answer is built here
/// for raw answers and faults, and a named outcome goes to the vendor in `req.steer`.
fn steer(app: &App, vendor: Vendor, req: &mut ApiRequest) -> Routed {
    // Routes no operation names are still matched by `any` rules.
    let operation = operations::classify(vendor, &req.method, &req.path).unwrap_or(Operation::Any);
    let catalog = &app.store.scenarios;
    let ns = app.store.namespace(&req.namespace);
    let mut world = ns.lock();
    let mut routed = Routed {
        area: Area::Vendor(vendor),
        latency: None,
        rule: None,
        step: Step::Dispatch,
    };
    if let Err(message) = catalog.active(&world, Some(req)) {
        let message = format!("{SCENARIO_HEADER}: {message}");
        routed.step = Step::Answer(vendors::error(vendor, 400, &message, req));
        return routed;
    }
    let subject = Subject::from_request(req);
    let decision = catalog.decide(&mut world, Some(req), vendor, operation, &subject);
    routed.latency = decision.latency;
    routed.rule = decision.rule;
    if let Some(fault) = decision.fault {
        routed.step = match fault.status() {
            Some(status) => Step::Answer(fault_response(vendor, status, req)),
            None => Step::Drop(fault),
        };
    } else if let Some(raw) = decision.raw {
        let ctx = template::Context {
            subject: &subject,
            id: world.ids.uuid(),
            now_ms: world.clock.now_ms(),
            namespace: &req.namespace,
        };
        let mut response = match &raw.body {
            Some(body) => ApiResponse::json(raw.status, template::render(body, &ctx)),
            None => ApiResponse {
                status: raw.status,
                headers: Vec::new(),
                body: ResponseBody::Empty,
            },
        };
        for (name, value) in &raw.headers {
            response = response.with_header(name, template::render_text(value, &ctx));
        }
        routed.step = Step::Answer(response);
    } else {
        req.steer = decision.steer;
    }
    routed
}

/// A scenario's HTTP fault in the vendor's envelope; 429 carries the vendor's rate-limit headers.
fn fault_response(vendor: Vendor, status: u16, req: &ApiRequest) -> ApiResponse {
    let message = match status {
        429 => "Too many requests: rate limit exceeded (sandbox scenario)",
        503 => "Service temporarily unavailable (sandbox scenario)",
        _ => "Internal server error (sandbox scenario)",
    };
    let response = vendors::error(vendor, status, message, req);
    if status != 429 {
        return response;
    }
    let response = response.with_header("retry-after", "1");
    match vendor {
        // Persona documents IETF-draft RateLimit-* headers on every response.
        Vendor::Persona => response
            .with_header("ratelimit-limit", "300")
            .with_header("ratelimit-remaining", "0")
            .with_header("ratelimit-reset", "1"),
        Vendor::Coinflow | Vendor::Bitmama => response,
    }
}

fn body_timeout_message(after: Duration) -> String {
    format!(
        "Request body not received within {} s (--body-timeout-secs)",
        after.as_secs_f64()
    )
}

fn no_route_message(req: &ApiRequest) -> String {
    format!("No route for {} {}", req.method, req.path)
}

/// An error in the envelope of whoever owns the path; plain JSON for the rest.
pub fn error(area: Area, status: u16, message: &str, req: &ApiRequest) -> ApiResponse {
    match area {
        Area::Vendor(vendor) => vendors::error(vendor, status, message, req),
        Area::Admin | Area::Unknown => admin::error(status, message),
    }
}

/// Takes the namespace from the `/ns/NAME` prefix (which wins) or the header, and strips the
/// prefix from `req.path`. The admin API also takes `?namespace=`.
fn resolve_namespace(req: &mut ApiRequest) -> Result<(), String> {
    let mut name = None;
    if let Some(rest) = req.path.strip_prefix("/ns/") {
        let (ns, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        name = Some(ns.to_string());
        req.path = if tail.is_empty() {
            "/".to_string()
        } else {
            tail.to_string()
        };
    }
    let name = name
        .or_else(|| req.header(NAMESPACE_HEADER).map(str::to_string))
        .or_else(|| {
            (Area::of(&req.path) == Area::Admin)
                .then(|| req.query_param("namespace").map(str::to_string))
                .flatten()
        })
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
    let valid = valid_namespace(&name);
    req.namespace = if valid {
        name.clone()
    } else {
        DEFAULT_NAMESPACE.to_string()
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "Invalid namespace {name:?}: a namespace is 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(path: &str, header: Option<&str>) -> (Result<(), String>, String, String) {
        let mut req = ApiRequest {
            path: path.into(),
            headers: header
                .map(|h| vec![(NAMESPACE_HEADER.to_string(), h.to_string())])
                .unwrap_or_default(),
            ..ApiRequest::default()
        };
        let r = resolve_namespace(&mut req);
        (r, req.namespace, req.path)
    }

    #[test]
    fn namespaces() {
        assert_eq!(
            resolve("/api/v1/x", None),
            (Ok(()), "default".into(), "/api/v1/x".into())
        );
        assert_eq!(
            resolve("/ns/t-1/api/v1/x", None),
            (Ok(()), "t-1".into(), "/api/v1/x".into())
        );
        assert_eq!(
            resolve("/ns/a", Some("b")),
            (Ok(()), "a".into(), "/".into())
        );
        assert_eq!(resolve("/x", Some("hdr_ns")).1, "hdr_ns");
        assert!(resolve("/x", Some("bad name")).0.is_err());
        assert!(resolve("/ns//x", None).0.is_err());
        assert!(
            resolve(&format!("/ns/{}/x", "a".repeat(65)), None)
                .0
                .is_err()
        );
        assert!(
            resolve(&format!("/ns/{}/x", "a".repeat(64)), None)
                .0
                .is_ok()
        );
    }
}
