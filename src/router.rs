//! The route table: namespace resolution, then one dispatch on who owns the path.

use crate::admin;
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse, BodyError};
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

/// Routes one request. `req.path` comes in as sent; on return it is the routed path (the
/// `/ns/NAME` prefix removed) and `req.namespace` is resolved.
pub fn route(app: &App, req: &mut ApiRequest, body: Result<(), BodyError>) -> (Area, ApiResponse) {
    let namespace = resolve_namespace(req);
    let area = Area::of(&req.path);
    let response = match (namespace, body) {
        (Err(message), _) => error(area, 400, &message, req),
        (Ok(_), Err(BodyError::TooLarge { limit })) => error(
            area,
            413,
            &format!("Request body is larger than the limit of {limit} bytes"),
            req,
        ),
        (Ok(_), Err(BodyError::Interrupted)) => {
            error(area, 400, "Request body could not be read completely", req)
        }
        (Ok(()), Ok(())) => match area {
            Area::Admin => admin::handle(app, req),
            Area::Vendor(vendor) => vendors::handle(app, vendor, req),
            Area::Unknown => error(area, 404, &no_route_message(req), req),
        },
    };
    (area, response)
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
