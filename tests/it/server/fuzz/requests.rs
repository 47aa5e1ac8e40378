//! Sessions of random requests into the router, in-process.

use super::*;
use tables::{BODIES, HEADERS, ROUTES};

mod tables;

/// Request heads arrive as hyper parsed them: the path, the query and every header value kept
/// by `http::read_head` are visible ASCII (no `#`: it ends the path). Bodies are any bytes.
const WIRE_TEXT_8: &str = "[!-\"$-~]{0,8}";

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    /// An id from the pool (index modulo its size), or a made-up one when it is empty.
    Pooled(usize),
}

#[derive(Debug, Clone)]
enum Body {
    Empty,
    Raw(Vec<u8>),
    Json(Value),
    /// A valid body from `BODIES` with some nodes replaced by other values.
    Mutated(usize, Vec<(usize, Option<Value>)>),
}

#[derive(Debug, Clone)]
struct FuzzRequest {
    method: String,
    namespace_prefix: Option<String>,
    path: Vec<Segment>,
    trailing_slash: bool,
    query: String,
    headers: Vec<(String, String)>,
    body: Body,
    body_error: Option<BodyError>,
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE"]).prop_map(str::to_string),
        1 => prop::sample::select(vec!["HEAD", "OPTIONS", "TRACE", "CONNECT", "get", ""]).prop_map(str::to_string),
        1 => "[A-Z]{1,10}",
    ]
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        2 => any::<usize>().prop_map(Segment::Pooled),
        1 => "[a-zA-Z0-9_.%~-]{0,16}".prop_map(Segment::Literal),
        1 => WIRE_TEXT_8.prop_map(Segment::Literal),
    ]
}

fn path() -> impl Strategy<Value = Vec<Segment>> {
    let template = (prop::sample::select(ROUTES), any::<usize>()).prop_map(|(route, id)| {
        route
            .split('/')
            .skip(1)
            .map(|s| match s {
                "{}" => Segment::Pooled(id),
                s => Segment::Literal(s.to_string()),
            })
            .collect::<Vec<_>>()
    });
    prop_oneof![
        6 => template.clone(),
        2 => (template, any::<usize>(), segment()).prop_map(|(mut path, at, s)| {
            // A real route with one segment changed, added or removed.
            let at = at % (path.len() + 1);
            match at % 3 {
                0 if at < path.len() => path[at] = s,
                1 => path.insert(at, s),
                _ if at < path.len() => {
                    path.remove(at);
                }
                _ => path.push(s),
            }
            path
        }),
        1 => prop::collection::vec(segment(), 0..6),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let known = (
        prop::sample::select(HEADERS),
        any::<usize>(),
        any::<bool>(),
        "[ -~]{0,16}",
    )
        .prop_map(|((name, values), pick, made_up, random)| {
            let value = if made_up {
                random
            } else {
                values[pick % values.len()].to_string()
            };
            (name.to_string(), value)
        });
    prop::collection::vec(
        prop_oneof![5 => known, 1 => ("[a-z-]{1,12}", "[ -~]{0,16}")],
        0..8,
    )
}

fn body() -> impl Strategy<Value = Body> {
    let mutation = (any::<usize>(), prop::option::weighted(0.8, any_json()));
    prop_oneof![
        1 => Just(Body::Empty),
        1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Body::Raw),
        2 => any_json().prop_map(Body::Json),
        6 => (0..BODIES.len(), prop::collection::vec(mutation, 0..4))
            .prop_map(|(template, changes)| Body::Mutated(template, changes)),
    ]
}

fn request() -> impl Strategy<Value = FuzzRequest> {
    let query = prop_oneof![
        3 => Just(String::new()),
        2 => prop::collection::vec(
            (
                prop::sample::select(vec![
                    "page[size]", "page[after]", "page[before]", "filter[status]",
                    "filter[reference-id]", "limit", "skip", "namespace", "status", "vendor",
                    "method", "path", "all", "include", "fields[inquiry]", "inquiry-id",
                ]),
                "[a-zA-Z0-9_,%*-]{0,10}",
            ),
            0..4,
        )
        .prop_map(|pairs| pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")),
        1 => "[!-\"$-~]{0,24}",
    ];
    let namespace = prop::option::weighted(
        0.2,
        prop_oneof![
            Just("fz".to_string()),
            Just(String::new()),
            "[!-\"$-~]{0,70}"
        ],
    );
    let body_error = prop::option::weighted(
        0.05,
        prop_oneof![
            Just(BodyError::TooLarge {
                limit: 16,
                unread: false
            }),
            Just(BodyError::TooLarge {
                limit: 16,
                unread: true
            }),
            Just(BodyError::Interrupted)
        ],
    );
    (
        method(),
        namespace,
        path(),
        any::<bool>(),
        query,
        headers(),
        body(),
        body_error,
    )
        .prop_map(
            |(method, namespace_prefix, path, trailing_slash, query, headers, body, body_error)| {
                FuzzRequest {
                    method,
                    namespace_prefix,
                    path,
                    trailing_slash,
                    query,
                    headers,
                    body,
                    body_error,
                }
            },
        )
}

fn pick(pool: &[String], index: usize) -> String {
    if pool.is_empty() {
        format!("inq_{index}")
    } else {
        pool[index % pool.len()].clone()
    }
}

/// Every node of `value`, depth first, as a JSON pointer.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(v, p, out);
            }
        }
        _ => {}
    }
}

fn mutate(
    template: &str,
    changes: &[(usize, Option<Value>)],
    pool: &[String],
    seed: usize,
) -> Value {
    let text = template.replace("$ID", &pick(pool, seed));
    let mut value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    for (at, replacement) in changes {
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        let Some(pointer) = all.get(at % all.len().max(1)).cloned() else {
            break;
        };
        match replacement {
            Some(new) => {
                if let Some(node) = value.pointer_mut(&pointer) {
                    *node = new.clone();
                }
            }
            None => {
                // Remove the node from its parent.
                let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", ""));
                match value.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(i) = key.parse::<usize>()
                            && i < items.len()
                        {
                            items.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    value
}

fn render(req: &FuzzRequest, pool: &[String]) -> (String, Vec<(String, String)>, Vec<u8>) {
    let mut target = String::new();
    if let Some(ns) = &req.namespace_prefix {
        target.push_str("/ns/");
        target.push_str(ns);
    }
    for segment in &req.path {
        target.push('/');
        match segment {
            Segment::Literal(s) => target.push_str(s),
            Segment::Pooled(i) => target.push_str(&pick(pool, *i)),
        }
    }
    if target.is_empty() || req.trailing_slash {
        target.push('/');
    }
    if !req.query.is_empty() {
        target.push('?');
        target.push_str(&req.query);
    }
    let headers = req
        .headers
        .iter()
        .enumerate()
        .map(|(i, (n, v))| {
            (
                n.clone(),
                if v == "$ID" { pick(pool, i) } else { v.clone() },
            )
        })
        .collect();
    let body = match &req.body {
        Body::Empty => Vec::new(),
        Body::Raw(bytes) => bytes.clone(),
        Body::Json(value) => serde_json::to_vec(value).unwrap_or_default(),
        Body::Mutated(template, changes) => {
            serde_json::to_vec(&mutate(BODIES[*template], changes, pool, changes.len()))
                .unwrap_or_default()
        }
    };
    (target, headers, body)
}

#[test]
fn router_survives_random_request_sessions() {
    fuzz(
        "router",
        300,
        prop::collection::vec(request(), 1..12),
        |session| {
            let app = in_process_app();
            let mut pool: Vec<String> = Vec::new();
            for req in &session {
                let (target, headers, body) = render(req, &pool);
                let api = api_request(&req.method, &target, &headers, &body);
                let answer = route_checked(&app, api, req.body_error.map_or(Ok(()), Err))?;
                harvest(&answer, &mut pool);
            }
            // The journal and admin views still answer over whatever state the session left.
            for path in [
                "/__admin/namespaces",
                "/__admin/webhooks",
                "/__admin/requests",
            ] {
                route_checked(&app, api_request("GET", path, &[], b""), Ok(()))?;
            }
            Ok(())
        },
    );
}

/// A session that goes down the happy paths with valid bodies, then random requests: deep state
/// (approved inquiries, share tokens, card users, cards) for the random part to poke at.
#[test]
fn router_survives_random_requests_on_deep_state() {
    let setup: &[(&str, &str, usize, &str)] = &[
        ("POST", "/api/v1/inquiries", 1, "Bearer persona_sandbox_key"),
        (
            "POST",
            "/api/v2/partner/card/users",
            0,
            "Bearer sk_staging_acme",
        ),
    ];
    fuzz(
        "router-deep",
        200,
        prop::collection::vec(request(), 1..8),
        |session| {
            let app = in_process_app();
            let mut pool: Vec<String> = Vec::new();
            for (method, path, body, auth) in setup {
                let headers = vec![
                    ("authorization".to_string(), auth.to_string()),
                    ("idempotency-key".to_string(), "setup".to_string()),
                ];
                let answer = route_checked(
                    &app,
                    api_request(method, path, &headers, BODIES[*body].as_bytes()),
                    Ok(()),
                )?;
                harvest(&answer, &mut pool);
            }
            // Approve the first inquiry and share it.
            let inquiry = pool
                .iter()
                .find(|p| p.starts_with("inq_"))
                .cloned()
                .unwrap_or_default();
            let persona = vec![(
                "authorization".to_string(),
                "Bearer persona_sandbox_key".to_string(),
            )];
            route_checked(
                &app,
                api_request(
                    "POST",
                    &format!("/api/v1/inquiries/{inquiry}/perform-simulate-actions"),
                    &persona,
                    BODIES[2].as_bytes(),
                ),
                Ok(()),
            )?;
            let token = route_checked(
                &app,
                api_request(
                    "POST",
                    "/api/v1/connect/share-tokens",
                    &persona,
                    BODIES[4].replace("$ID", &inquiry).as_bytes(),
                ),
                Ok(()),
            )?;
            harvest(&token, &mut pool);
            for req in &session {
                let (target, headers, body) = render(req, &pool);
                let api = api_request(&req.method, &target, &headers, &body);
                let answer = route_checked(&app, api, req.body_error.map_or(Ok(()), Err))?;
                harvest(&answer, &mut pool);
            }
            Ok(())
        },
    );
}
