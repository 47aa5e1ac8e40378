//! Namespace names and how a request picks one: the `/ns/NAME` path prefix, the
//! `X-Sandbox-Namespace` header, or `?namespace=` on the admin API (two naming different ones are
//! refused). A leaf: it imports only the owned request type.

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

/// Takes the namespace from the `/ns/NAME` prefix, the header or (the admin API only)
/// `?namespace=`, and strips the prefix from `req.path`. On an invalid name, or two of these
/// naming different namespaces, the request is left in the default namespace and the error says
/// why: which of two was meant is a guess, and a wrong one reads, changes or resets another
/// namespace.
pub fn resolve(req: &mut ApiRequest) -> Result<(), String> {
    let mut prefix = None;
    if let Some(rest) = req.path.strip_prefix("/ns/") {
        let (ns, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        prefix = Some(ns.to_string());
        let routed = if tail.is_empty() {
            "/".to_string()
        } else {
            tail.to_string()
        };
        req.prefixed_path = Some(std::mem::replace(&mut req.path, routed));
    }
    let query = is_admin(&req.path)
        .then(|| req.query_param("namespace"))
        .flatten();
    let selectors = [
        ("the /ns/ path prefix", prefix.as_deref()),
        (
            "the X-Sandbox-Namespace header",
            req.header(NAMESPACE_HEADER),
        ),
        ("the namespace query parameter", query),
    ];
    let name = match one_name(selectors) {
        Ok(None) => Cow::Borrowed(DEFAULT_NAMESPACE),
        // The prefix's text is the request's already: taken, not copied.
        Ok(Some(0)) => Cow::Owned(prefix.unwrap_or_default()),
        Ok(Some(chosen)) => Cow::Owned(selectors[chosen].1.unwrap_or_default().to_string()),
        Err(conflict) => {
            req.namespace = Cow::Borrowed(DEFAULT_NAMESPACE);
            return Err(conflict);
        }
    };
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

/// Which of `selectors` (each a way to name a namespace and the name it gave, if any) names the
/// request's namespace, or why none can: two give different names. Compared only when a
/// request names its namespace more than once.
fn one_name(selectors: [(&str, Option<&str>); 3]) -> Result<Option<usize>, String> {
    let mut given = (selectors.iter().enumerate())
        .filter_map(|(at, &(selector, name))| Some((at, selector, name?)));
    let Some((at, selector, name)) = given.next() else {
        return Ok(None);
    };
    match given.find(|&(_, _, other)| other != name) {
        None => Ok(Some(at)),
        Some((_, other_selector, other)) => Err(format!(
            "Conflicting namespaces: {selector} names {} and {other_selector} {}; name one, or \
             the same in each",
            shown(name),
            shown(other)
        )),
    }
}

/// `name` quoted for a message, or its length when past the limit (it may be as long as the
/// request's head).
fn shown(name: &str) -> String {
    if name.len() > MAX_LEN {
        format!("a name {} characters long", name.chars().count())
    } else {
        format!("{name:?}")
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
            resolved("/ns/a", Some("a")),
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

    /// Two selectors naming different namespaces are refused naming both; the same name twice
    /// is that namespace.
    #[test]
    fn conflicting_selectors_are_refused() {
        assert_eq!(
            resolved("/ns/a/x", Some("b")).0,
            Err(
                "Conflicting namespaces: the /ns/ path prefix names \"a\" and the \
                 X-Sandbox-Namespace header \"b\"; name one, or the same in each"
                    .into()
            )
        );
        assert_eq!(
            resolved("/ns/a/x", Some("a")),
            (Ok(()), "a".into(), "/x".into())
        );
        let admin = |path: &str, header: Option<&str>| {
            let mut req = ApiRequest {
                path: path.into(),
                query: vec![("namespace".into(), "q".into())],
                headers: header
                    .map(|h| Headers::from([(NAMESPACE_HEADER, h)]))
                    .unwrap_or_default(),
                ..ApiRequest::default()
            };
            (resolve(&mut req), req.namespace.into_owned())
        };
        let (refused, namespace) = admin("/__admin/reset", Some("keep"));
        assert!(refused.is_err_and(|m| m.contains("\"keep\"") && m.contains("\"q\"")));
        assert_eq!(namespace, "default");
        assert!(admin("/ns/keep/__admin/state", None).0.is_err());
        assert_eq!(
            admin("/ns/q/__admin/state", Some("q")),
            (Ok(()), "q".into())
        );
        // Off the admin API `?namespace=` is a vendor's parameter, not a selector.
        assert_eq!(
            admin("/ns/keep/api/v1/inquiries", None),
            (Ok(()), "keep".into())
        );
        // A name past the limit is not echoed.
        let long = "n".repeat(300);
        let (refused, _) = admin("/__admin/reset", Some(&long));
        assert!(refused.is_err_and(|m| m.contains("300 characters") && !m.contains(&long)));
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
