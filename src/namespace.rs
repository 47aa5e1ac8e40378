//! Namespace names and how a request picks one: the `/ns/NAME` path prefix (which wins), the
//! `X-Sandbox-Namespace` header, or `?namespace=` on the admin API. A leaf: it imports only the
//! owned request type.

use std::borrow::Cow;

use crate::http::ApiRequest;

pub const DEFAULT_NAMESPACE: &str = "default";
pub const NAMESPACE_HEADER: &str = "x-sandbox-namespace";

/// The longest namespace name.
pub const MAX_LEN: usize = 64;

/// A namespace name is 1 to [`MAX_LEN`] of `[A-Za-z0-9_-]`.
pub fn valid(name: &str) -> bool {
    (1..=MAX_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_admin(path: &str) -> bool {
    path == "/__admin" || path.starts_with("/__admin/")
}

/// Takes the namespace from the `/ns/NAME` prefix (which wins) or the header, and strips the
/// prefix from `req.path`. The admin API also takes `?namespace=`. On an invalid name the
/// request is left in the default namespace and the error says why.
pub fn resolve(req: &mut ApiRequest) -> Result<(), String> {
    let mut name = None;
    if let Some(rest) = req.path.strip_prefix("/ns/") {
        let (ns, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        name = Some(ns.to_string());
        let routed = if tail.is_empty() {
            "/".to_string()
        } else {
            tail.to_string()
        };
        req.prefixed_path = Some(std::mem::replace(&mut req.path, routed));
    }
    let name = name
        .or_else(|| req.header(NAMESPACE_HEADER).map(str::to_string))
        .or_else(|| {
            is_admin(&req.path)
                .then(|| req.query_param("namespace").map(str::to_string))
                .flatten()
        })
        .map_or(Cow::Borrowed(DEFAULT_NAMESPACE), Cow::Owned);
    if valid(&name) {
        req.namespace = name;
        Ok(())
    } else {
        req.namespace = Cow::Borrowed(DEFAULT_NAMESPACE);
        let rule =
            format!("a namespace is 1 to {MAX_LEN} characters of A-Z, a-z, 0-9, '_' and '-'");
        // A name past the limit is not echoed: it may be as long as the request's head.
        Err(if name.len() > MAX_LEN {
            format!(
                "Invalid namespace: it is {} characters long; {rule}",
                name.chars().count()
            )
        } else {
            format!("Invalid namespace {name:?}: {rule}")
        })
    }
}

/// Whether `req` (resolved) names its namespace, in any of the three ways, rather than falling
/// back to `default`.
pub fn named(req: &ApiRequest) -> bool {
    req.prefixed_path.is_some()
        || req.header(NAMESPACE_HEADER).is_some()
        || (is_admin(&req.path) && req.query_param("namespace").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Headers;

    fn resolved(path: &str, header: Option<&str>) -> (Result<(), String>, String, String) {
        let mut req = ApiRequest {
            path: path.into(),
            headers: header
                .map(|h| Headers::from([(NAMESPACE_HEADER, h)]))
                .unwrap_or_default(),
            ..ApiRequest::default()
        };
        let r = resolve(&mut req);
        (r, req.namespace.into_owned(), req.path)
    }

    #[test]
    fn namespaces() {
        assert_eq!(
            resolved("/api/v1/x", None),
            (Ok(()), "default".into(), "/api/v1/x".into())
        );
        assert_eq!(
            resolved("/ns/t-1/api/v1/x", None),
            (Ok(()), "t-1".into(), "/api/v1/x".into())
        );
        assert_eq!(
            resolved("/ns/a", Some("b")),
            (Ok(()), "a".into(), "/".into())
        );
        assert_eq!(resolved("/x", Some("hdr_ns")).1, "hdr_ns");
        assert!(resolved("/x", Some("bad name")).0.is_err());
        assert!(resolved("/ns//x", None).0.is_err());
        assert!(
            resolved(&format!("/ns/{}/x", "a".repeat(65)), None)
                .0
                .is_err()
        );
        assert!(
            resolved(&format!("/ns/{}/x", "a".repeat(64)), None)
                .0
                .is_ok()
        );
        let mut admin = ApiRequest {
            path: "/__admin/state".into(),
            query: vec![("namespace".into(), "q".into())],
            ..ApiRequest::default()
        };
        assert_eq!(resolve(&mut admin), Ok(()));
        assert_eq!(admin.namespace, "q");
    }

    /// The path as sent stays readable, prefix and all, when the routes see it without.
    #[test]
    fn the_path_as_sent_keeps_its_prefix() {
        for (sent, routed) in [
            ("/ns/t-1/api/v1/x", "/api/v1/x"),
            ("/api/v1/x", "/api/v1/x"),
        ] {
            let mut req = ApiRequest {
                path: sent.into(),
                ..ApiRequest::default()
            };
            assert_eq!(resolve(&mut req), Ok(()));
            assert_eq!((req.path.as_str(), req.raw_path()), (routed, sent));
        }
    }
}
