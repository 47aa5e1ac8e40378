//! The edge between hyper and the sandbox: an owned [`ApiRequest`] in, an [`ApiResponse`] out.
//!
//! The body is read once, within the size limit, so everything behind this module (routing, the
//! vendors, scenario matching) works synchronously on plain owned data and never handles hyper's
//! types (an answer keeps its headers in them, but they are set from text and read as text).

mod body;
mod headers;
mod json;
pub mod multipart;
mod query;
mod render;

use std::borrow::Cow;

pub use body::{UnreadBody, read_body};
pub use headers::{Headers, VENDOR_HEADERS};
use http_body_util::Full;
pub use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
pub use json::{Bom, JsonError};
pub use query::{
    WebUrl, is_web_url, parse_query, percent_decode_path, percent_encode, percent_encode_into,
    web_url, with_query,
};
pub use render::{push_json_str, render_json, render_with};
use serde_json::Value;

/// A request as the sandbox sees it: owned, with the body already read.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    /// Uppercase method name (`GET`, `POST`, ...): borrowed for the standard methods, so
    /// neither the request nor its journal entry and log line allocate one.
    pub method: Cow<'static, str>,
    /// The path as the client sent it when a `/ns/NAME` prefix was taken off it; `None` when
    /// that is `path` (most requests: no second copy of the path). Read it as
    /// [`ApiRequest::raw_path`].
    pub prefixed_path: Option<String>,
    /// The path the vendor routes see: the `/ns/NAME` prefix removed.
    pub path: String,
    /// The raw query string, without `?`.
    pub query_string: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Names lowercased; a value that is not visible ASCII is left out (and its name noted).
    pub headers: Headers,
    pub body: Bytes,
    /// Resolved namespace name (`default`, borrowed, when none was given).
    pub namespace: Cow<'static, str>,
    /// The listener it came in on.
    pub listener: Listener,
    /// More than one `Host` line came (the first is in `headers`): RFC 9112 3.2 says 400, as
    /// a proxy and the sandbox could each read another one.
    pub repeated_host: bool,
    /// The epoch of the world the request locked to change ([`crate::store::Namespace::epoch`]),
    /// set by the vendor frame: with `--state-sync always`, a rollback that replaced that world
    /// before the change was saved undid the change.
    pub changed_world: std::sync::OnceLock<u64>,
}

/// Which of the server's listeners a request came in on: the API one, or one serving a vendor's
/// own web-app pages (Coinflow's `--coinflow-ui-port`, what its SDK frames as `localhost:3000`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Listener {
    #[default]
    Api,
    WebApp(crate::vendor::Vendor),
}

/// Why reading a request body failed; answered in the owning vendor's envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    TooLarge {
        limit: usize,
        /// Not read to its end: the answer closes the connection.
        unread: bool,
    },
    Interrupted,
    /// The whole body did not arrive within the body timeout.
    TimedOut {
        after: std::time::Duration,
    },
}

impl ApiRequest {
    /// The path as the client sent it, `/ns/NAME` prefix included.
    pub fn raw_path(&self) -> &str {
        self.prefixed_path.as_deref().unwrap_or(&self.path)
    }

    #[inline]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Path segments of the routed path, without empty ones (`/a//b/` gives `["a", "b"]`).
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// Form fields of an `application/x-www-form-urlencoded` body (the hosted HTML pages).
    pub fn form(&self) -> Vec<(String, String)> {
        parse_query(&String::from_utf8_lossy(&self.body))
    }
}

/// What a handler answers. Built by vendor and admin code, turned into hyper's type here.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    /// In hyper's types already: a value becomes one without a copy, and the names set on
    /// many answers are made at compile time (see [`ApiResponse::with_header`]).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: ResponseBody,
}

#[derive(Debug, Clone)]
pub enum ResponseBody {
    Json(Value),
    /// JSON serialized already, sent as is: from a typed body (no `Value` tree) or a fixed
    /// answer such as the health check's. [`ResponseBody::to_json`] turns it back into a
    /// `Value` for the few answers something rewrites on the way out.
    Rendered(Bytes),
    Html(String),
    Empty,
}

impl ResponseBody {
    /// Makes a [`ResponseBody::Rendered`] body a [`ResponseBody::Json`] one, for code that
    /// rewrites the answer's JSON (an answer kept for an idempotent replay, say). Bytes that do
    /// not parse back (nested deeper than the parser's limit) are left as they are.
    pub fn to_json(&mut self) {
        if let ResponseBody::Rendered(bytes) = self
            && let Ok(value) = serde_json::from_slice(bytes)
        {
            *self = ResponseBody::Json(value);
        }
    }
}

impl ApiResponse {
    /// Whether this answer refuses its request (4xx or 5xx): a refusal changes nothing, not
    /// even by making the namespace the request names.
    pub fn is_refusal(&self) -> bool {
        self.status >= 400
    }

    /// A JSON answer serialized straight from `body`.
    pub fn rendered(status: u16, body: &impl serde::Serialize) -> Self {
        Self::rendered_bytes(status, render_json(body))
    }

    /// A JSON answer of bytes rendered already ([`render_with`]).
    pub fn rendered_bytes(status: u16, body: Bytes) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ResponseBody::Rendered(body),
        }
    }

    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ResponseBody::Json(body),
        }
    }

    pub fn html(status: u16, body: String) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: ResponseBody::Html(body),
        }
    }

    /// `303 See Other` to `location`: where a submitted HTML form sends the browser.
    pub fn see_other(location: &str) -> Self {
        Self {
            status: 303,
            headers: Vec::new(),
            body: ResponseBody::Empty,
        }
        .with_header("location", location.to_string())
    }

    /// Adds header `name` (any case) with `value`. A name or value HTTP does not allow is left
    /// out, as hyper would refuse it. The value becomes the header's without a copy: a
    /// `&'static str` is not allocated at all, a `String` is moved.
    pub fn with_header(mut self, name: &str, value: impl Into<Bytes>) -> Self {
        // `http` parses a name it does not know into a new allocation; Persona's `Request-Id`,
        // on every answer, is one.
        const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
        let name = if name.eq_ignore_ascii_case("request-id") {
            Ok(REQUEST_ID)
        } else {
            HeaderName::from_bytes(name.as_bytes())
        };
        let value = HeaderValue::from_maybe_shared(value.into());
        if let (Ok(name), Ok(value)) = (name, value) {
            self.headers.push((name, value));
        }
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            // Not `to_str`, which refuses any byte beyond visible ASCII: a scenario's header
            // may say `é`.
            .and_then(|(_, v)| std::str::from_utf8(v.as_bytes()).ok())
    }
}

/// The head of a hyper request, copied into an [`ApiRequest`]; its body is left to
/// [`read_body`].
///
/// Called when hyper hands the request over, before the service's future first runs, so the
/// head is dropped at once: hyper reads ahead on the connection right after, and while the
/// head's header values (slices of its read buffer) live it cannot reuse that buffer and
/// allocates a new 8 KiB one for every request.
pub fn read_head(req: Request<Incoming>, limit: usize) -> (ApiRequest, UnreadBody) {
    let (parts, body) = req.into_parts();
    let query_string = parts.uri.query().unwrap_or("").to_string();
    let path = parts.uri.path().to_string();
    // Room for what most clients send (a browser's headers may need it to grow once).
    let mut headers = Headers::with_capacity(parts.headers.len(), 256);
    // A target in absolute form (`GET http://host/path`) names the host, not the Host header
    // (RFC 9112 3.2.2): first, so it is the one read.
    if let Some(authority) = parts.uri.authority() {
        headers.push("host", authority.as_str());
    }
    let mut hosts = 0_usize;
    for (name, value) in &parts.headers {
        hosts += usize::from(name == hyper::header::HOST);
        match value.to_str() {
            Ok(value) => headers.push(name.as_str(), value),
            Err(_) => headers.push_unreadable(name.as_str()),
        }
    }
    // HTTP/1.1 requires a Host (RFC 9112 3.2): an empty one says it was missing, and the Host
    // check refuses it. An HTTP/1.0 tool may send none.
    if hosts == 0 && parts.uri.authority().is_none() && parts.version >= hyper::Version::HTTP_11 {
        headers.push("host", "");
    }
    let api = ApiRequest {
        method: method_name(&parts.method),
        path,
        query: parse_query(&query_string),
        query_string,
        headers,
        repeated_host: hosts > 1,
        ..ApiRequest::default()
    };
    // hyper has read `Content-Length` already (and refused a malformed one).
    let declared = hyper::body::Body::size_hint(&body).exact();
    let body = if let Some(len) = declared.filter(|&len| len > limit as u64) {
        // A client that asked to go on (`Expect: 100-continue`) has not sent the body: refused
        // before it does. One that sends it at once would find the connection reset under its
        // writes, so it is read and dropped, up to `MAX_DRAINED` bytes over the limit.
        // (hyper waits for the body only on HTTP/1.1: a 1.0 client sent it already.)
        let waits = parts.version >= hyper::Version::HTTP_11
            && (api.header("expect")).is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
        let drained = len - limit as u64 <= body::MAX_DRAINED as u64;
        UnreadBody::TooLarge((!waits && drained).then_some(body))
    } else if hyper::body::Body::is_end_stream(&body) {
        UnreadBody::Empty
    } else {
        UnreadBody::Stream(body)
    };
    (api, body)
}

/// `method`'s name, borrowed when it is a standard one.
fn method_name(method: &hyper::Method) -> Cow<'static, str> {
    Cow::Borrowed(match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        other => return Cow::Owned(other.to_string()),
    })
}

/// Made at compile time: `HeaderValue::from_static` called at run time checks every byte, a
/// third of building an answer's headers.
const JSON_TYPE: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
const HTML_TYPE: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// Serialises the body once; the bytes are what the client receives and what the journal keeps.
/// The second is the body's `Content-Type`.
pub fn body_bytes(body: &ResponseBody) -> (Bytes, Option<HeaderValue>) {
    match body {
        ResponseBody::Json(value) => (
            Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
            Some(JSON_TYPE),
        ),
        ResponseBody::Rendered(bytes) => (bytes.clone(), Some(JSON_TYPE)),
        ResponseBody::Html(html) => (Bytes::from(html.clone()), Some(HTML_TYPE)),
        ResponseBody::Empty => (Bytes::new(), None),
    }
}

/// hyper's response for `status`, `headers` and the body `bytes`.
pub fn into_hyper(
    status: u16,
    headers: Vec<(HeaderName, HeaderValue)>,
    bytes: Bytes,
    content_type: Option<HeaderValue>,
) -> Response<Full<Bytes>> {
    let mut out = Response::new(Full::new(bytes));
    *out.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = out.headers_mut();
    if let Some(content_type) = content_type {
        map.insert(hyper::header::CONTENT_TYPE, content_type);
    }
    for (name, value) in headers {
        map.append(name, value);
    }
    out
}

/// hyper's service error type: every failure is an HTTP answer by the time it reaches hyper,
/// except the header timeout and a scenario's `reset` and `timeout` faults, which close the
/// connection on purpose.
#[derive(Debug)]
pub struct ConnectionDropped(pub &'static str);

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection dropped: {}", self.0)
    }
}

impl std::error::Error for ConnectionDropped {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_are_borrowed_and_others_kept_as_sent() {
        assert!(matches!(
            method_name(&hyper::Method::PATCH),
            Cow::Borrowed("PATCH")
        ));
        let purge = hyper::Method::from_bytes(b"PURGE").expect("extension method");
        assert!(matches!(method_name(&purge), Cow::Owned(name) if name == "PURGE"));
    }

    #[test]
    fn answer_headers_read_back_as_set() {
        let answer = ApiResponse::json(200, Value::Null)
            .with_header("X-Team", "équipe")
            .with_header("Request-Id", "req_1")
            .with_header("bad name", "x")
            .with_header("x-bad-value", "a\nb");
        assert_eq!(answer.header("x-team"), Some("équipe"));
        assert_eq!(answer.header("request-id"), Some("req_1"));
        assert_eq!(answer.headers.len(), 2, "what HTTP refuses is left out");
    }
}
