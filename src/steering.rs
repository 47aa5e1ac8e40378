//! The active scenario's say on one vendor request, asked before the vendor runs: latency (awaited
//! by the server with no lock held), a fault (answered in the vendor's envelope, or a dropped
//! connection), a raw answer (rendered from the rule's template), or a named outcome handed to
//! the vendor's handler.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::http::{ApiRequest, ApiResponse, ResponseBody};
use crate::scenario::{Fault, Operation, SCENARIO_HEADER, Steer, Subject, template};
use crate::store::Namespace;
use crate::vendors::{Route, VendorApi};

/// What the scenario says about a request.
pub enum Say {
    /// Answer this, a scenario's `raw` answer, as it is written.
    Raw(ApiResponse),
    /// Answer this, in the vendor's envelope, instead of the vendor (a scenario's fault, a bad
    /// scenario header): the vendor marks it as its own answers
    /// ([`VendorApi::finish_unrouted`]).
    Refuse(ApiResponse),
    /// Close the connection (`reset`) or never answer (`timeout`).
    Drop(Fault),
    /// Let the vendor answer, with this named outcome (`None`: its built-in behaviour).
    Proceed(Option<Steer>),
}

pub struct Steering {
    pub say: Say,
    pub latency: Option<Duration>,
    /// Scenario name and rule index that applied, for the request log line.
    pub rule: Option<(String, usize)>,
    /// The request's namespace, looked up once for the steering and the frame.
    pub namespace: Arc<Namespace>,
}

/// Asks the active scenario about `req`, a request `vendor` answers with `route` (`None`: none
/// of its rows; only `any` rules match it).
pub fn steer(
    app: &App,
    vendor: &'static dyn VendorApi,
    route: Option<&'static Route>,
    req: &ApiRequest,
) -> Steering {
    let operation = route.map_or(Operation::ANY, Route::operation);
    let ns = app.store.for_request(&req.namespace);
    let mut steering = Steering {
        say: Say::Proceed(None),
        latency: None,
        rule: None,
        namespace: Arc::clone(&ns),
    };
    if req.header(SCENARIO_HEADER).is_none() && !ns.scenario_selected() {
        // No rule can apply, so there are no counters to keep: only a magic word may steer, and
        // it needs no world. The request takes its namespace's lock once, in the frame. Nor
        // does it need the request's whole subject: only the body's email is read.
        steering.say = Say::Proceed(app.scenarios.magic_request(vendor.vendor(), operation, req));
        return steering;
    }
    let mut world = ns.lock();
    if let Err(message) = app.scenarios.active(&world, Some(req)) {
        let message = format!("{SCENARIO_HEADER}: {message}");
        steering.say = Say::Refuse(vendor.error(400, &message, req));
        return steering;
    }
    let subject = Subject::from_request(req);
    let decision =
        app.scenarios
            .decide(&mut world, Some(req), vendor.vendor(), operation, &subject);
    steering.latency = decision.latency;
    steering.rule = decision.rule;
    steering.say = if let Some(fault) = decision.fault {
        match fault.status() {
            Some(status) => Say::Refuse(fault_response(vendor, status, req)),
            None => Say::Drop(fault),
        }
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
        Say::Raw(response)
    } else {
        Say::Proceed(decision.steer)
    };
    steering
}

/// A scenario's HTTP fault in the vendor's envelope; 429 carries `Retry-After` and the vendor's
/// own rate-limit headers.
fn fault_response(vendor: &dyn VendorApi, status: u16, req: &ApiRequest) -> ApiResponse {
    let message = match status {
        429 => "Too many requests: rate limit exceeded (sandbox scenario)",
        503 => "Service temporarily unavailable (sandbox scenario)",
        _ => "Internal server error (sandbox scenario)",
    };
    let mut response = vendor.error(status, message, req);
    if status == 429 {
        response = response.with_header("retry-after", "1");
    }
    for &(name, value) in vendor.fault_headers(status) {
        response = response.with_header(name, value);
    }
    response
}
