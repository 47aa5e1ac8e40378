//! The one handler frame every vendor route runs in: lock the namespace once, let the vendor
//! admit the request (authentication, headers it insists on), settle what fell due on the
//! sandbox clock, call the row's handler with a [`Ctx`], and let the vendor finish the answer
//! (headers it adds to everything). The lock is held from the first step to the last, so
//! concurrent clients of one namespace never interleave inside a request. A read-only row
//! ([`Handler::Reads`]) holds it shared with other reads when nothing is due on the clock: no
//! step of such a request changes the world.

use super::VendorApi;
use super::table::{Answer, Handler, Params, Route};
use crate::app::App;
use crate::http::{ApiRequest, ApiResponse};
use crate::scenario::Steer;
use crate::store::{Namespace, World};

/// What a handler gets besides the world: the request, its path parameters, the scenario's
/// named outcome for it, and the vendor answering it.
pub struct Ctx<'a> {
    pub app: &'a App,
    pub req: &'a ApiRequest,
    pub params: Params<'a>,
    /// The named outcome the active scenario picked for this request's operation; `None` is the
    /// vendor's built-in behaviour.
    pub steer: Option<Steer>,
    pub vendor: &'static dyn VendorApi,
    /// The request's namespace, provisional if the request made it ([`Namespace`]).
    pub namespace: &'a Namespace,
}

impl Ctx<'_> {
    /// The path parameter `name` of the row's template.
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name)
    }

    /// An error in the answering vendor's envelope.
    pub fn error(&self, status: u16, message: &str) -> ApiResponse {
        self.vendor.error(status, message, self.req)
    }
}

/// Whether `req` answered by `route` changes nothing in the world (unless the clock has
/// something to settle): it runs under the namespace's shared lock.
pub fn reads_only(vendor: &dyn VendorApi, route: Option<&Route>, req: &ApiRequest) -> bool {
    route.is_some_and(|route| matches!(route.handler, Handler::Reads(_))) && !vendor.remembers(req)
}

/// The refusal of a body `route` does not read that says it is JSON and is not: the vendors'
/// servers parse such a body before any route runs (Express's body-parser, Rails' params), so
/// a malformed one stops even a delete. A body of another type is ignored, as they ignore it.
/// (A row with a body of its own, JSON or a page's form, reads it itself.)
fn unread_body_refusal(cx: &Ctx, route: &Route) -> Option<ApiResponse> {
    let req = cx.req;
    if req.body.is_empty()
        || route.doc.request.is_some()
        || matches!(route.doc.answer, Answer::Html)
        || !req.says_json()
        || req.body.iter().all(u8::is_ascii_whitespace)
    {
        return None;
    }
    let refusal = req.json_value_with(cx.vendor.json_bom()).err()?;
    Some(cx.vendor.bad_body(&refusal.0, req))
}

/// Runs `route` (`None`: the path is the vendor's but no row matched) for `req`, whose path
/// parameters the router found.
pub fn run(
    app: &App,
    ns: &Namespace,
    vendor: &'static dyn VendorApi,
    route: Option<&'static Route>,
    params: Params,
    req: &ApiRequest,
    steer: Option<Steer>,
) -> ApiResponse {
    let cx = Ctx {
        app,
        req,
        params,
        steer,
        vendor,
        namespace: ns,
    };
    // A read shares the lock with other reads, unless the clock has something to settle first
    // or the vendor keeps something of the answer: those take the exclusive path below.
    if reads_only(vendor, route, req)
        && let Some(route) = route
        && let Handler::Reads(handler) = route.handler
    {
        let world = ns.read();
        if !vendor.due(&world) {
            let response = match vendor.admit(&cx, &world) {
                Err(refused) => refused,
                Ok(()) if let Some(refused) = unread_body_refusal(&cx, route) => refused,
                Ok(()) if route.memoized && cx.steer.is_none() => {
                    ns.memoized(&world, &req.path, &req.query_string, || {
                        handler(&cx, &world)
                    })
                }
                Ok(()) => handler(&cx, &world),
            };
            return vendor.finish(&cx, &world, response);
        }
    }
    let mut guard = ns.lock();
    // A request runs the frame once; a second set would change nothing.
    let _ = req.changed_world.set(ns.epoch());
    let world: &mut World = &mut guard;
    // Admission first, as the vendors do: an unauthenticated call to an unknown path is a 401.
    let response = match (vendor.admit(&cx, world), route) {
        (Err(refused), _) => refused,
        (Ok(()), None) => vendor.no_route(req),
        (Ok(()), Some(route)) if let Some(refused) = unread_body_refusal(&cx, route) => refused,
        (Ok(()), Some(route)) => {
            vendor.settle(app, world);
            match route.handler {
                Handler::Writes(handler) => handler(&cx, world),
                Handler::Reads(handler) => handler(&cx, world),
            }
        }
    };
    vendor.remember(&cx, world, &response);
    vendor.finish(&cx, world, response)
}
