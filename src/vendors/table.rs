//! A vendor's route table: one [`Route`] row per route, the only place a route's path is written.
//! The router dispatches from it, the scenario engine learns its operation names from it, and
//! the admin OpenAPI document and the route tests are built from it.

mod decoding;

use serde_json::{Value, json};

use super::frame::Ctx;
use crate::http::ApiResponse;
use crate::scenario::{Operation, Outcome};
use crate::store::World;
pub use decoding::DecodedParams;

/// A route's handler: a plain function of the request's context and its namespace's world,
/// called by the frame with the world locked (see [`super::frame`]).
#[derive(Clone, Copy)]
pub enum Handler {
    /// May change the world: runs under the namespace's exclusive lock.
    Writes(fn(&Ctx, &mut World) -> ApiResponse),
    /// Only reads it: runs under a shared lock, unless the clock has something to settle first.
    Reads(fn(&Ctx, &World) -> ApiResponse),
}

/// One route. `H` is the handler type: a vendor's by default, the admin API's for its table.
pub struct Route<H = Handler> {
    pub method: &'static str,
    /// The path template, `{name}` for a path parameter (`/api/v1/inquiries/{inquiry-id}`).
    pub path: &'static str,
    /// The length of `path`'s literal text before its first parameter, trailing slashes left
    /// out (a trailing slash is an empty segment, which matching skips).
    literal: usize,
    /// Whether the template has no parameter: then a plain path matches it only if it is its
    /// literal text.
    fixed: bool,
    /// The operation scenario files name it by (`create_inquiry`); several rows may share one.
    pub operation: &'static str,
    /// The named outcomes a scenario may pick for it (empty: raw answers and faults only).
    pub outcomes: &'static [Outcome],
    pub handler: H,
    /// Its answer depends only on the world and the request's path and query (not the clock,
    /// headers or a scenario's outcome): the frame may give a kept one (`Namespace::memoized`).
    pub memoized: bool,
    pub doc: Doc,
}

/// What the OpenAPI document says of a route.
pub struct Doc {
    pub summary: &'static str,
    /// The request body's schema, if it takes one.
    pub request: Option<fn() -> Value>,
    /// The request body's media type: JSON unless [`Route::multipart`].
    pub request_media: &'static str,
    pub answer: Answer,
    /// Query parameters, required headers, and path parameters narrower than a non-empty string.
    pub params: &'static [Param],
}

/// A documented parameter: its name, where it goes (`query`, `header` or `path`), whether a
/// request must carry it (a path parameter always must), and its schema.
#[derive(Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub place: &'static str,
    pub required: bool,
    pub schema: fn() -> Value,
}

impl Param {
    /// An optional query parameter.
    pub const fn query(name: &'static str, schema: fn() -> Value) -> Param {
        Param {
            name,
            place: "query",
            required: false,
            schema,
        }
    }
}

/// What a route answers on success.
pub enum Answer {
    /// JSON of this schema.
    Json(fn() -> Value),
    /// An HTML page (hosted flows); may also redirect with 303.
    Html,
}

impl Route {
    /// A vendor's row whose success is any JSON object; refine it with the builders below.
    pub const fn new(
        method: &'static str,
        path: &'static str,
        operation: &'static str,
        handler: fn(&Ctx, &mut World) -> ApiResponse,
        summary: &'static str,
    ) -> Route {
        Route::with_handler(method, path, operation, Handler::Writes(handler), summary)
    }

    /// [`Route::new`] for a handler that only reads the world.
    pub const fn read_only(
        method: &'static str,
        path: &'static str,
        operation: &'static str,
        handler: fn(&Ctx, &World) -> ApiResponse,
        summary: &'static str,
    ) -> Route {
        Route::with_handler(method, path, operation, Handler::Reads(handler), summary)
    }
}

impl<H> Route<H> {
    /// A row with a handler of another kind (the admin API's).
    pub const fn with_handler(
        method: &'static str,
        path: &'static str,
        operation: &'static str,
        handler: H,
        summary: &'static str,
    ) -> Route<H> {
        Route {
            method,
            path,
            literal: literal_len(path),
            fixed: !contains(path, b'{'),
            operation,
            outcomes: &[],
            handler,
            memoized: false,
            doc: Doc {
                summary,
                request: None,
                request_media: "application/json",
                answer: Answer::Json(any_object),
                params: &[],
            },
        }
    }

    /// See [`Route::memoized`].
    pub const fn memoized(mut self) -> Route<H> {
        self.memoized = true;
        self
    }

    pub const fn outcomes(mut self, outcomes: &'static [Outcome]) -> Route<H> {
        self.outcomes = outcomes;
        self
    }

    pub const fn request(mut self, schema: fn() -> Value) -> Route<H> {
        self.doc.request = Some(schema);
        self
    }

    /// A `multipart/form-data` body (files): its fields' schema.
    pub const fn multipart(mut self, schema: fn() -> Value) -> Route<H> {
        self.doc.request = Some(schema);
        self.doc.request_media = "multipart/form-data";
        self
    }

    pub const fn answers(mut self, schema: fn() -> Value) -> Route<H> {
        self.doc.answer = Answer::Json(schema);
        self
    }

    pub const fn html(mut self) -> Route<H> {
        self.doc.answer = Answer::Html;
        self
    }

    pub const fn params(mut self, params: &'static [Param]) -> Route<H> {
        self.doc.params = params;
        self
    }

    pub fn operation(&self) -> Operation {
        Operation::request(self.operation)
    }

    /// The path parameters of `path` if this row's template matches it.
    pub fn matches<'p>(&self, method: &str, path: &'p str) -> Option<Params<'p>> {
        self.matches_path(method, path, is_plain(path))
    }

    /// [`Route::matches`], told whether `path` is plain (see [`is_plain`]): a plain path that
    /// does not start with the template's text before its first parameter is no match, which
    /// settles most rows of a table without splitting anything.
    fn matches_path<'p>(&self, method: &str, path: &'p str, plain: bool) -> Option<Params<'p>> {
        if self.method != method {
            return None;
        }
        let (mut sent, mut template) = (Segments::of(path), Segments::of(self.path));
        if plain {
            let bytes = path.as_bytes();
            if !bytes.starts_with(&self.path.as_bytes()[..self.literal]) {
                return None;
            }
            if self.fixed {
                // A plain path has no trailing slash unless it is `/`.
                return (bytes.len() == self.literal || bytes == b"/" && self.literal == 0)
                    .then(Params::default);
            }
            // The literal text ends a segment of the template: matched when it ends one of the
            // path too, and then only what follows is left to match.
            if bytes.get(self.literal).is_some_and(|&b| b != b'/') {
                return None;
            }
            sent = Segments::of(&path[self.literal..]);
            template = Segments::of(&self.path[self.literal..]);
        }
        let mut params = Params::default();
        for part in template {
            let segment = sent.next()?;
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => params.push(name, segment)?,
                None if part == segment => {}
                None => return None,
            }
        }
        sent.next().is_none().then_some(params)
    }
}

/// The non-empty segments of a path. Found byte by byte: `str::split` with a char pattern set
/// up a searcher per call, a tenth of a whole inquiry GET.
#[derive(Clone)]
pub struct Segments<'a> {
    rest: &'a str,
}

impl<'a> Segments<'a> {
    pub fn of(path: &'a str) -> Self {
        Segments { rest: path }
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        while !self.rest.is_empty() {
            let rest = self.rest;
            // `/` is ASCII, so both sides of it are character boundaries.
            let (segment, after) = match rest.bytes().position(|b| b == b'/') {
                Some(slash) => (&rest[..slash], &rest[slash + 1..]),
                None => (rest, ""),
            };
            self.rest = after;
            if !segment.is_empty() {
                return Some(segment);
            }
        }
        None
    }
}

/// The methods `routes` answer on `path` (for a 405's `Allow`), in table order.
pub fn methods_of<H>(routes: &'static [Route<H>], path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = Vec::new();
    for route in routes {
        if !methods.contains(&route.method) && route.matches(route.method, path).is_some() {
            methods.push(route.method);
        }
    }
    methods
}

/// The row of `routes` that answers `method` and `path`, and its path parameters.
pub fn find<'p, H>(
    routes: &'static [Route<H>],
    method: &str,
    path: &'p str,
) -> Option<(&'static Route<H>, Params<'p>)> {
    let plain = is_plain(path);
    let found = routes.iter().find_map(|route| {
        let params = route.matches_path(method, path, plain)?;
        Some((route, params))
    });
    // A HEAD is answered by the GET route, as the vendors' servers (Express, Rails) answer it;
    // hyper sends its headers without the body.
    match found {
        None if method == "HEAD" => find(routes, "GET", path),
        found => found,
    }
}

const fn contains(text: &str, byte: u8) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == byte {
            return true;
        }
        i += 1;
    }
    false
}

/// See [`Route::literal`]; computed when the table is built.
const fn literal_len(path: &str) -> usize {
    let bytes = path.as_bytes();
    let mut end = 0;
    while end < bytes.len() && bytes[end] != b'{' {
        end += 1;
    }
    while end > 0 && bytes[end - 1] == b'/' {
        end -= 1;
    }
    end
}

/// A path without empty segments (`//`, a trailing `/`), written the way templates are: one
/// that matches a template then starts with the template's literal text. Other paths still
/// match by segments, empty ones skipped.
fn is_plain(path: &str) -> bool {
    // Every pair of neighbouring bytes, folded with no early exit so the compiler compares many
    // at a time: a byte loop that stopped at the first `//` was half of an inquiry read's
    // routing, and memchr's `memmem` spends more setting up than searching on a path this short.
    let bytes = path.as_bytes();
    let pairs = bytes.iter().zip(bytes.iter().skip(1));
    let doubled = pairs.fold(0u8, |seen, (&a, &b)| {
        seen | (u8::from(a == b'/') & u8::from(b == b'/'))
    });
    bytes.len() <= 1 || (!bytes.ends_with(b"/") && doubled == 0)
}

/// A route's path parameters by name (a template has at most a few).
#[derive(Debug, Default, Clone, Copy)]
pub struct Params<'p> {
    values: [(&'static str, &'p str); 3],
    len: usize,
}

/// Where the path parameters of a matched row sit in the path, as byte offsets: what the router
/// keeps (it cannot lend the request it hands on), read back with [`Spans::on`] instead of
/// matching the path again.
#[derive(Debug, Default, Clone, Copy)]
pub struct Spans {
    values: [(&'static str, usize, usize); 3],
    len: usize,
}

impl Spans {
    /// The parameters in `path`, the path the spans were found in.
    pub fn on<'p>(&self, path: &'p str) -> Params<'p> {
        let mut params = Params::default();
        for &(name, start, end) in &self.values[..self.len] {
            params.push(name, path.get(start..end).unwrap_or(""));
        }
        params
    }
}

impl<'p> Params<'p> {
    /// Where these parameters, found in `path`, sit in it.
    pub fn spans(&self, path: &str) -> Spans {
        let base = path.as_ptr() as usize;
        let mut spans = Spans::default();
        for (slot, (name, value)) in spans.values.iter_mut().zip(&self.values[..self.len]) {
            let start = (value.as_ptr() as usize).saturating_sub(base);
            *slot = (name, start, start + value.len());
        }
        spans.len = self.len;
        spans
    }

    fn push(&mut self, name: &'static str, value: &'p str) -> Option<()> {
        *self.values.get_mut(self.len)? = (name, value);
        self.len += 1;
        Some(())
    }

    /// The parameter called `name`; empty when the template has none (a table mistake the
    /// route test would show as a 404 of the route's own).
    pub fn get(&self, name: &str) -> &'p str {
        self.values[..self.len]
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v)
    }
}

/// `{"type": "object"}`.
pub fn any_object() -> Value {
    json!({"type": "object"})
}

/// An object schema with `required` keys and `properties`.
pub fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nothing(_: &Ctx, _: &mut World) -> ApiResponse {
        ApiResponse::json(200, json!({}))
    }

    #[test]
    fn templates_match_whole_paths_and_name_their_parameters() {
        let route = Route::new(
            "POST",
            "/api/v1/inquiries/{inquiry-id}/approve",
            "x",
            nothing,
            "",
        );
        let params = route
            .matches("POST", "/api/v1/inquiries/inq_1/approve")
            .expect("matches");
        assert_eq!(params.get("inquiry-id"), "inq_1");
        assert_eq!(params.get("other"), "");
        assert!(
            route
                .matches("GET", "/api/v1/inquiries/inq_1/approve")
                .is_none()
        );
        let others = [
            "/api/v1/inquiries/inq_1",
            "/api/v1/inquiries/inq_1/approve/x",
            "/api/v1/inquiries/inq_1/decline",
            // The literal text must end a segment of the path too.
            "/api/v1/inquiriesX/approve",
            "/api/v1/inquiriesX/inq_1/approve",
        ];
        for path in others {
            assert!(route.matches("POST", path).is_none(), "{path}");
        }
        let root = Route::new("GET", "/api/withdraw", "x", nothing, "");
        assert!(root.matches("GET", "/api/withdraw/").is_some());
        assert!(root.matches("GET", "/api/withdraw").is_some());
        assert!(root.matches("GET", "/api/with").is_none());
        let slash = Route::new("GET", "/", "x", nothing, "");
        assert!(slash.matches("GET", "/").is_some() && slash.matches("GET", "/a").is_none());
        // Empty segments are skipped, so the literal-prefix shortcut does not apply to them.
        let doubled = route.matches("POST", "//api/v1//inquiries/inq_2/approve/");
        assert_eq!(doubled.expect("matches").get("inquiry-id"), "inq_2");
        assert!(root.matches("GET", "/api/withdrawals").is_none());
        let one = Route::new("GET", "/api/v1/inquiries/{inquiry-id}", "x", nothing, "");
        assert!(one.matches("GET", "/api/v1/inquiriesX").is_none());
        assert_eq!(
            one.matches("GET", "/api/v1/inquiries/é")
                .expect("m")
                .get("inquiry-id"),
            "é"
        );
    }

    #[test]
    fn plain_paths_have_no_empty_segment() {
        for plain in ["", "/", "/a", "/api/v1/inquiries/inq_1", "/a/é/c"] {
            assert!(is_plain(plain), "{plain}");
        }
        for other in ["//", "/a/", "//a", "/a//b", "/api/v1/inquiries//", "/a/b//"] {
            assert!(!is_plain(other), "{other}");
        }
    }

    #[test]
    fn segments_skip_empty_ones() {
        let all = |p| Segments::of(p).collect::<Vec<_>>();
        assert_eq!(all("/a//b/"), ["a", "b"]);
        assert_eq!(all("a/é/c"), ["a", "é", "c"]);
        assert!(all("").is_empty() && all("///").is_empty());
    }
}
