//! Dispatch: who answers a request (the admin API, a vendor's route table, or nobody), with the
//! scenario's say on vendor requests. Namespaces are resolved by `crate::namespace`, browsers by
//! `crate::cors`, the scenario's answers built by `crate::steering`.

use std::sync::Arc;
use std::time::Duration;

pub use crate::area::Area;

use crate::admin::{self, Awaited};
use crate::app::App;
use crate::cors;
use crate::http::{ApiRequest, ApiResponse, BodyError, Listener, VENDOR_HEADERS};
use crate::namespace;
use crate::scenario::{Fault, Steer};
use crate::steering::{self, Say};
use crate::store::{Namespace, Store};
use crate::vendors::table::{DecodedParams, Spans};
use crate::vendors::{self, Route, VendorApi, frame};

/// What the server does with a request once routed.
pub enum Step {
    /// Answer this (a routing error, a raw scenario answer, a scenario's HTTP fault).
    Answer(ApiResponse),
    /// Close the connection without answering (`reset`), or never answer (`timeout`).
    Drop(Fault),
    /// Hand it to its owner ([`dispatch`]).
    Dispatch(Target),
}

/// The owner a request is handed to.
pub enum Target {
    Admin,
    Vendor(VendorTarget),
}

/// A vendor request ready for its handler frame.
pub struct VendorTarget {
    api: &'static dyn VendorApi,
    /// The row that answers it (`None`: the path is the vendor's, no row matches).
    route: Option<&'static Route>,
    /// Where the row's path parameters are in the request's path.
    params: Spans,
    /// The parameters decoded, when one held a `%`: then read instead of `params` (boxed: a
    /// target of every request stays small for the rare one).
    decoded: Option<Box<DecodedParams>>,
    /// The scenario's named outcome for it.
    steer: Option<Steer>,
    namespace: Arc<Namespace>,
    /// The store, while `namespace` is one this request made and it is not done: a target
    /// dropped first (its client gone during a scenario's latency or the wait for its write
    /// turn) ends its use as a refusal, so the namespace does not stay provisional.
    made: Option<Arc<Store>>,
}

impl Drop for VendorTarget {
    fn drop(&mut self) {
        if let Some(store) = self.made.take() {
            store.request_done(&self.namespace, true);
        }
    }
}

impl VendorTarget {
    fn reads_only(&self, req: &ApiRequest) -> bool {
        frame::reads_only(self.api, self.route, req)
    }

    fn run(&mut self, app: &App, req: &ApiRequest) -> ApiResponse {
        let params = match &self.decoded {
            Some(decoded) => decoded.params(),
            None => self.params.on(&req.path),
        };
        frame::run(
            app,
            &self.namespace,
            self.api,
            self.route,
            params,
            req,
            self.steer.take(),
        )
    }

    /// Ends the request's use of its namespace: one it made is kept or forgotten.
    fn done(mut self, app: &App, response: &ApiResponse) {
        self.made = None;
        app.store
            .request_done(&self.namespace, response.is_refusal());
    }
}

pub struct Routed {
    pub area: Area,
    /// Scenario latency, awaited by the server with no lock held before the step.
    pub latency: Option<Duration>,
    /// Scenario name and rule index that applied, for the request log line.
    pub rule: Option<(String, usize)>,
    pub step: Step,
}

/// Headers the sandbox reads besides [`VENDOR_HEADERS`] (lowercase): the edge's. One of
/// either whose value is not visible ASCII is refused, not taken as absent: a namespace header
/// would put the request in `default`, an idempotency key would let a retry create twice.
const EDGE_HEADERS: [&str; 8] = [
    "host",
    "origin",
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-dest",
    "accept",
    "expect",
    "access-control-request-headers",
];

fn readable(req: &ApiRequest) -> Result<(), String> {
    let read = |name: &&str| VENDOR_HEADERS.contains(name) || EDGE_HEADERS.contains(name);
    match req.headers.unreadable().find(read) {
        None => Ok(()),
        Some(name) => Err(format!(
            "The {name} header is not ASCII text: the sandbox cannot read it"
        )),
    }
}

/// Routes one request. `req.path` comes in as sent; on return it is the routed path (the
/// `/ns/NAME` prefix removed) and `req.namespace` is resolved.
pub fn prepare(app: &App, req: &mut ApiRequest, body: Result<(), BodyError>) -> Routed {
    let namespace = namespace::resolve(req);
    let area = match req.listener {
        Listener::Api => Area::of(&req.path),
        // Everything on a vendor's web-app listener is that vendor's; an SDK's iframe URL may
        // not be able to name a namespace, so the vendor may find one in the request.
        Listener::WebApp(vendor) => {
            if !namespace::named(req)
                && let Some(name) = vendors::get(vendor).ui_namespace(req)
            {
                req.namespace = name.into();
            }
            Area::Vendor(vendor)
        }
    };
    let answer = |response| Routed {
        area,
        latency: None,
        rule: None,
        // Before the namespace is looked up (it may not exist, and a refusal makes none).
        step: Step::Answer(unrouted(
            app,
            area,
            || app.store.existing(&req.namespace),
            response,
        )),
    };
    if let Some(response) = cors::check_host(&app.config, area, req)
        .or_else(|| cors::cross_origin_answer(&app.config, area, req))
    {
        return answer(response);
    }
    // Before anything can create it: a namespace beyond --max-namespaces (507: the condition
    // lasts until namespaces are deleted, and clients do not retry it as they do 429 and 503).
    // An admin read makes no namespace (`Store::view`), so it is answered at the cap too.
    let makes_none = area == Area::Unknown
        || (area == Area::Admin
            && (matches!(&*req.method, "GET" | "HEAD") || req.path == "/__admin/webhooks/flush"));
    if let Some(Err(message)) =
        (namespace.is_ok() && !makes_none).then(|| app.store.admits(&req.namespace))
    {
        return answer(area.error(507, &message, req));
    }
    match (namespace.and_then(|()| readable(req)), body) {
        (Err(message), _) => answer(area.error(400, &message, req)),
        (Ok(_), Err(BodyError::TooLarge { limit, unread })) => {
            let refused = area.error(
                413,
                &format!("Request body is larger than the limit of {limit} bytes"),
                req,
            );
            // The rest of the body may still come: the connection cannot be reused.
            answer(if unread {
                refused.with_header("connection", "close")
            } else {
                refused
            })
        }
        // The rest of the body may still come: the connection cannot be reused.
        (Ok(_), Err(BodyError::TimedOut { after })) => answer(
            area.error(408, &body_timeout_message(after), req)
                .with_header("connection", "close"),
        ),
        (Ok(_), Err(BodyError::Interrupted)) => {
            answer(area.error(400, "Request body could not be read completely", req))
        }
        (Ok(()), Ok(())) => match area {
            Area::Vendor(vendor) => {
                let api = vendors::get(vendor);
                let table = match req.listener {
                    Listener::Api => api.routes(),
                    Listener::WebApp(_) => api.ui_routes(),
                };
                let (route, params) = match vendors::table::find(table, &req.method, &req.path) {
                    Some((route, params)) => (Some(route), params.spans(&req.path)),
                    None => (None, Spans::default()),
                };
                // As Express's router does, before any route runs (authentication included).
                let decoded = match params.decoded(&req.path) {
                    None => None,
                    Some(Ok(decoded)) => Some(Box::new(decoded)),
                    Some(Err(message)) => return answer(area.error(400, &message, req)),
                };
                let steering = steering::steer(app, api, route, req);
                let namespace = steering.namespace;
                let step = match steering.say {
                    Say::Raw(response) => {
                        app.store.request_done(&namespace, response.is_refusal());
                        Step::Answer(response)
                    }
                    Say::Refuse(response) => {
                        // One the request made may be forgotten: it marks no answer.
                        let existed = !namespace.is_provisional();
                        let marking = || existed.then(|| Arc::clone(&namespace));
                        let response = unrouted(app, area, marking, response);
                        app.store.request_done(&namespace, true);
                        Step::Answer(response)
                    }
                    Say::Drop(fault) => {
                        // Kept if the scenario counted the call.
                        app.store.request_done(&namespace, true);
                        Step::Drop(fault)
                    }
                    Say::Proceed(steer) => Step::Dispatch(Target::Vendor(VendorTarget {
                        api,
                        route,
                        params,
                        decoded,
                        steer,
                        made: namespace.is_provisional().then(|| Arc::clone(&app.store)),
                        namespace,
                    })),
                };
                Routed {
                    area,
                    latency: steering.latency,
                    rule: steering.rule,
                    step,
                }
            }
            Area::Admin => Routed {
                area,
                latency: None,
                rule: None,
                step: Step::Dispatch(Target::Admin),
            },
            Area::Unknown => answer(area.error(
                404,
                &format!("No route for {} {}", req.method, req.path),
                req,
            )),
        },
    }
}

/// A refusal given here, before any route ran (the router's, or a scenario's fault): the vendor
/// still marks it as it marks its answers ([`vendors::VendorApi::finish_unrouted`]), with the
/// request's namespace if there is one.
fn unrouted(
    app: &App,
    area: Area,
    namespace: impl FnOnce() -> Option<Arc<Namespace>>,
    response: ApiResponse,
) -> ApiResponse {
    match area {
        Area::Vendor(vendor) => {
            vendors::get(vendor).finish_unrouted(app, namespace().as_deref(), response)
        }
        Area::Admin | Area::Unknown => response,
    }
}

/// [`dispatch`], plus the admin routes that wait for something (`POST /__admin/webhooks/flush`
/// waits for deliveries, `POST /__admin/webhooks/check` for a receiver); they hold no lock
/// across their awaits.
pub async fn dispatch_async(app: &App, target: Target, req: &ApiRequest) -> ApiResponse {
    match target {
        Target::Admin => match admin::handle(app, req) {
            Ok(response) => response,
            Err(Awaited::FlushWebhooks) => admin::webhooks::flush(app, req).await,
            Err(Awaited::CheckReceiver) => admin::webhooks::check(req).await,
        },
        Target::Vendor(mut target) => {
            let response = if target.reads_only(req) {
                target.run(app, req)
            } else {
                let namespace = Arc::clone(&target.namespace);
                let _turn = namespace.write_turn().await;
                target.run(app, req)
            };
            target.done(app, &response);
            response
        }
    }
}

/// The owner's answer to a prepared request, for callers that cannot await: the admin routes
/// that wait answer 500.
pub fn dispatch(app: &App, target: Target, req: &ApiRequest) -> ApiResponse {
    match target {
        Target::Admin => admin::handle(app, req)
            .unwrap_or_else(|_| admin::error(500, "This admin route is answered asynchronously")),
        Target::Vendor(mut target) => {
            let response = target.run(app, req);
            target.done(app, &response);
            response
        }
    }
}

fn body_timeout_message(after: Duration) -> String {
    format!(
        "Request body not received within {} s (--body-timeout-secs)",
        after.as_secs_f64()
    )
}
