//! A vendor's route table: one [`Route`] row per route, the only place a route's path is written.
//! The router dispatches from it, the scenario engine learns its operation names from it, and
//! the admin OpenAPI document and the route tests are built from it.

use serde_json::{Value, json};

use super::frame::Ctx;
use crate::http::ApiResponse;
use crate::scenario::{Operation, Outcome};
use crate::store::World;

/// A route's handler: a plain function of the request's context and its namespace's world,
/// called by the frame with the world locked (see [`super::frame`]).
pub type Handler = fn(&Ctx, &mut World) -> ApiResponse;

/// One route. `H` is the handler type: a vendor's by default, the admin API's for its table.
pub struct Route<H = Handler> {
    pub method: &'static str,
    /// The path template, `{name}` for a path parameter (`/api/v1/inquiries/{inquiry-id}`).
    pub path: &'static str,
    /// The length of `path`'s literal text before its first parameter, trailing slashes left
    /// out (a trailing slash is an empty segment, which matching skips).
    literal: usize,
    /// The operation scenario files name it by (`create_inquiry`); several rows may share one.
    pub operation: &'static str,
    /// The named outcomes a scenario may pick for it (empty: raw answers and faults only).
    pub outcomes: &'static [Outcome],
    pub handler: H,
    pub doc: Doc,
}

/// What the OpenAPI document says of a route.
pub struct Doc {
    pub summary: &'static str,
    /// The JSON request body's schema, if it takes one.
    pub request: Option<fn() -> Value>,
    pub answer: Answer,
    /// Query parameters, and path parameters narrower than a non-empty string.
    pub params: &'static [Param],
}

/// A documented parameter: its name, where it goes (`query` or `path`) and its schema.
pub struct Param {
    pub name: &'static str,
    pub place: &'static str,
    pub schema: fn() -> Value,
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
        handler: Handler,
        summary: &'static str,
    ) -> Route {
        Route::with_handler(method, path, operation, handler, summary)
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
            operation,
            outcomes: &[],
            handler,
            doc: Doc {
                summary,
                request: None,
                answer: Answer::Json(any_object),
                params: &[],
            },
        }
    }

    pub const fn outcomes(mut self, outcomes: &'static [Outcome]) -> Route<H> {
        self.outcomes = outcomes;
        self
    }

    pub const fn request(mut self, schema: fn() -> Value) -> Route<H> {
        self.doc.request = Some(schema);
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
        if plain
            && !path
                .as_bytes()
                .starts_with(&self.path.as_bytes()[..self.literal])
        {
            return None;
        }
        let mut params = Params::default();
        let mut sent = path.split('/').filter(|s| !s.is_empty());
        for part in self.path.split('/').filter(|s| !s.is_empty()) {
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

/// The row of `routes` that answers `method` and `path`, and its path parameters.
pub fn find<'p, H>(
    routes: &'static [Route<H>],
    method: &str,
    path: &'p str,
) -> Option<(&'static Route<H>, Params<'p>)> {
    let plain = is_plain(path);
    routes.iter().find_map(|route| {
        let params = route.matches_path(method, path, plain)?;
        Some((route, params))
    })
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
    !path.contains("//") && (path.len() <= 1 || !path.ends_with('/'))
}

/// A route's path parameters by name (a template has at most a few).
#[derive(Debug, Default, Clone, Copy)]
pub struct Params<'p> {
    values: [(&'static str, &'p str); 3],
    len: usize,
}

impl<'p> Params<'p> {
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
        assert!(route.matches("POST", "/api/v1/inquiries/inq_1").is_none());
        assert!(
            route
                .matches("POST", "/api/v1/inquiries/inq_1/approve/x")
                .is_none()
        );
        assert!(
            route
                .matches("POST", "/api/v1/inquiries/inq_1/decline")
                .is_none()
        );
        let root = Route::new("GET", "/api/withdraw", "x", nothing, "");
        assert!(root.matches("GET", "/api/withdraw/").is_some());
        // Empty segments are skipped, so the literal-prefix shortcut does not apply to them.
        let doubled = route.matches("POST", "//api/v1//inquiries/inq_2/approve/");
        assert_eq!(doubled.expect("matches").get("inquiry-id"), "inq_2");
        assert!(root.matches("GET", "/api/withdrawals").is_none());
    }
}
