//! The vendor seam. Each emulated vendor implements [`VendorApi`] once (in its `routes.rs`,
//! next to its route table) and is listed in [`REGISTRY`]; the router, the admin API, the
//! scenario vocabulary, the webhook worker's signing and cross-vendor links all go through it.
//!
//! Every vendor folder has the same files for the same jobs: `routes.rs` (the table and the
//! trait impl), `model.rs` (its data in one namespace), `validate.rs` (request checks),
//! `scenario.rs` (seeds, magic words, event operations), `webhooks.rs` (what it sends and how it
//! signs), and one file per resource.

pub mod bitmama;
pub mod coinflow;
pub mod frame;
pub mod links;
pub mod money;
pub mod numbers;
pub mod persona;
pub mod signing;
pub mod table;

use std::sync::LazyLock;

use serde_json::Value;

use crate::app::App;
use crate::clock::Millis;
use crate::http::{ApiRequest, ApiResponse, Bom};
use crate::scenario::parse::{SectionProblem, SeedProblem, seed_problems};
use crate::scenario::{Operation, OperationTerms, Steer, VendorTerms, Vocabulary};
use crate::store::{Namespace, World};
use crate::webhooks::AttemptInfo;

pub use crate::vendor::Vendor;
pub use frame::Ctx;
pub use links::Change;
pub use signing::{hmac_sha256_hex, timestamped_signature};
pub use table::{Answer, Route};

/// What one vendor is to the rest of the server.
pub trait VendorApi: Sync {
    fn vendor(&self) -> Vendor;

    /// The path prefixes it owns (`/api/v1`); a path under one of them is its to answer.
    fn prefixes(&self) -> &'static [&'static str];

    /// Its route table.
    fn routes(&self) -> &'static [Route];

    /// The pages of its own web app, served only on that app's listener (Coinflow's
    /// `--coinflow-ui-port`), never on the API's.
    fn ui_routes(&self) -> &'static [Route] {
        &[]
    }

    /// The namespace a request to its web app names in its own way (Coinflow's session key), when
    /// the request names none with `/ns/NAME` or the header.
    fn ui_namespace(&self, _req: &ApiRequest) -> Option<String> {
        None
    }

    /// Its error envelope with `message`, used for every error it answers, including the ones
    /// the router answers on its behalf (404, 413, bad namespace, scenario faults).
    fn error(&self, status: u16, message: &str, req: &ApiRequest) -> ApiResponse;

    /// What its JSON parser makes of a UTF-8 byte order mark before a body.
    fn json_bom(&self) -> Bom {
        Bom::Skipped
    }

    /// A request body it cannot read (not JSON, not an object), in its own words: 400.
    fn bad_body(&self, message: &str, req: &ApiRequest) -> ApiResponse {
        self.error(400, message, req)
    }

    /// The 404 for a path of its own that no row answers, in its own words.
    fn no_route(&self, req: &ApiRequest) -> ApiResponse {
        self.error(
            404,
            &format!("No route for {} {}", req.method, req.path),
            req,
        )
    }

    /// Headers a scenario's fault answer carries (Persona's rate-limit headers on a 429).
    fn fault_headers(&self, _status: u16) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Checks that come before any route's work (authentication, headers it insists on).
    fn admit(&self, _cx: &Ctx, _world: &World) -> Result<(), ApiResponse> {
        Ok(())
    }

    /// Whether [`VendorApi::remember`] keeps something of `req`'s answer: then even a read
    /// changes the world.
    fn remembers(&self, _req: &ApiRequest) -> bool {
        false
    }

    /// Keeps what it must of an answer before [`VendorApi::finish`] (Persona: the answer to a
    /// request with an `Idempotency-Key`).
    fn remember(&self, _cx: &Ctx, _world: &mut World, _response: &ApiResponse) {}

    /// What it does to every answer on the way out (a request id, key recasing).
    fn finish(&self, _cx: &Ctx, _world: &World, response: ApiResponse) -> ApiResponse {
        response
    }

    /// [`VendorApi::finish`] for a refusal given before a route ran (a bad Host, a body too
    /// large, a scenario's fault), with the request's namespace when it exists (none is made
    /// for a refusal) and no lock held.
    fn finish_unrouted(
        &self,
        _app: &App,
        _namespace: Option<&Namespace>,
        response: ApiResponse,
    ) -> ApiResponse {
        response
    }

    /// Applies what fell due on the namespace's sandbox clock (cheap when nothing did).
    fn settle(&self, app: &App, world: &mut World);

    /// Whether [`VendorApi::settle`] has anything to do now. A read-only route runs under a
    /// shared lock only when it has not; the default (always) keeps every request of a vendor
    /// that cannot tell cheaply on the exclusive path.
    fn due(&self, _world: &World) -> bool {
        true
    }

    /// Reacts to a change in another vendor's state (see [`links`]).
    fn react(&self, _app: &App, _world: &mut World, _change: &Change) {}

    /// Headers that authenticate one webhook attempt, as the vendor does it.
    fn webhook_headers(
        &self,
        secrets: &[String],
        attempt: &AttemptInfo,
        body: &[u8],
    ) -> Vec<(String, String)>;

    /// Its entities in a namespace, for `GET /__admin/state`.
    fn admin_state(&self, world: &World) -> Value;

    /// What it offers scenario files besides its routes.
    fn scenario(&self) -> ScenarioHooks;

    /// How the OpenAPI document presents it.
    fn doc(&self) -> VendorDoc;
}

/// A vendor's section of a scenario's `initial_state`, as its own type.
pub trait Seed: serde::de::DeserializeOwned {
    /// Creates what the section describes in a namespace, as the vendor's API would have.
    fn apply(&self, world: &mut World);

    /// What the types alone do not say is refused here, as the vendor's API would refuse it,
    /// so `vendor-sandbox check` and loading a scenario say what is wrong: every problem, each
    /// with the path of the value at fault.
    fn check(&self) -> Vec<SeedProblem> {
        Vec::new()
    }
}

/// A vendor's part of the scenario vocabulary, besides the operations of its route table.
pub struct ScenarioHooks {
    /// Moments inside the vendor it asks the engine about (an inquiry being decided).
    pub events: &'static [OperationTerms],
    pub magic: fn(Operation, &str) -> Option<Steer>,
    pub check_seed: fn(&str) -> Vec<SectionProblem>,
    pub seed: fn(&mut World, &Value),
    /// The field names a `missing_fields` outcome may name (none: the vendor has no such
    /// outcome).
    pub missing_fields: &'static [&'static str],
}

impl ScenarioHooks {
    /// Hooks whose seed section is read as `S`.
    pub fn seeded_by<S: Seed>(
        events: &'static [OperationTerms],
        magic: fn(Operation, &str) -> Option<Steer>,
    ) -> ScenarioHooks {
        ScenarioHooks {
            events,
            magic,
            check_seed: |section| seed_problems::<S>(section, S::check),
            seed: |world, section| {
                if let Ok(seed) = S::deserialize(section)
                    && seed.check().is_empty()
                {
                    seed.apply(world);
                }
            },
            missing_fields: &[],
        }
    }

    /// These hooks with the fields a `missing_fields` outcome may name.
    pub fn asking_for(self, missing_fields: &'static [&'static str]) -> ScenarioHooks {
        ScenarioHooks {
            missing_fields,
            ..self
        }
    }
}

/// A vendor in the OpenAPI document: its tag, its security schemes (name → scheme) and the
/// schema of its error envelope.
pub struct VendorDoc {
    pub description: &'static str,
    pub security: fn() -> Value,
    pub schemes: fn() -> Value,
    pub error_schema: fn() -> Value,
}

/// Every vendor, in the order paths are matched (Bitmama's `/api/v1/partner` before Persona's
/// `/api/v1`, both before Coinflow's `/api`), seeds are applied and links react.
pub static REGISTRY: [&dyn VendorApi; 3] =
    [&bitmama::Bitmama, &persona::Persona, &coinflow::Coinflow];

/// The vendor called `vendor`.
pub fn get(vendor: Vendor) -> &'static dyn VendorApi {
    match vendor {
        Vendor::Persona => &persona::Persona,
        Vendor::Coinflow => &coinflow::Coinflow,
        Vendor::Bitmama => &bitmama::Bitmama,
    }
}

/// Which vendor a path belongs to. The path alone decides: the vendors' prefixes nest (`/api`,
/// `/api/v1`, `/api/v1/partner`), and the first prefix in [`REGISTRY`] order wins.
pub fn owning(path: &str) -> Option<&'static dyn VendorApi> {
    let under = |prefix: &&str| {
        path == *prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    REGISTRY
        .iter()
        .copied()
        .find(|api| api.prefixes().iter().any(under))
}

/// Every vendor route, with the vendor that answers it.
pub fn all_routes() -> impl Iterator<Item = (Vendor, &'static Route)> {
    REGISTRY
        .iter()
        .flat_map(|api| api.routes().iter().map(move |route| (api.vendor(), route)))
}

/// Headers that authenticate one webhook attempt of `vendor`: the webhook worker's signer.
pub fn webhook_headers(
    vendor: Vendor,
    secrets: &[String],
    attempt: &AttemptInfo,
    body: &[u8],
) -> Vec<(String, String)> {
    get(vendor).webhook_headers(secrets, attempt, body)
}

/// Applies everything due on the namespace's clock in the order it fell due across the vendors,
/// then wakes webhook retries now due in sandbox time. It steps from one due moment to the next
/// (every vendor settling up to it, with the clock reading it), so a Persona expiry a day after
/// a payout fell due is sent after its `Withdraw Success`, and a reaction is stamped with the
/// moment of the change it follows.
pub fn settle_all(app: &App, world: &mut World) {
    let now = world.clock.now_ms();
    let mut settled: Option<Millis> = None;
    // Each step takes everything due up to its moment, so the next is later; a moment that is
    // not (nothing a vendor could settle) ends the steps.
    while let Some(at) =
        (world.next_due()).filter(|&at| at <= now && settled.is_none_or(|done| at > done))
    {
        as_of(world, Some(at), |world| {
            for api in REGISTRY {
                api.settle(app, world);
            }
        });
        settled = Some(at);
    }
    for api in REGISTRY {
        api.settle(app, world);
    }
    world.webhooks.clock_moved();
}

/// Runs `work` with the world's clock reading `at` (`None`: the current time), then as before.
pub fn as_of<R>(world: &mut World, at: Option<Millis>, work: impl FnOnce(&mut World) -> R) -> R {
    /// Puts the clock back even if `work` panics: the world outlives a failed request.
    struct Restore<'a>(&'a mut World, Option<Millis>);
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            self.0.clock.pin(self.1);
        }
    }
    let before = world.clock.pin(at);
    let restore = Restore(world, before);
    work(&mut *restore.0)
}

/// The scenario vocabulary: every vendor's operations (its table's, then its events) with their
/// outcomes, and its magic words and seeds.
pub fn vocabulary() -> &'static Vocabulary {
    static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(|| Vocabulary {
        vendors: [Vendor::Persona, Vendor::Coinflow, Vendor::Bitmama]
            .into_iter()
            .map(|vendor| {
                let api = get(vendor);
                let hooks = api.scenario();
                let mut operations: Vec<OperationTerms> = Vec::new();
                for route in api.routes().iter().chain(api.ui_routes()) {
                    if !operations
                        .iter()
                        .any(|t| t.operation.name == route.operation)
                    {
                        operations.push(OperationTerms {
                            operation: route.operation(),
                            outcomes: route.outcomes,
                        });
                    }
                }
                operations.extend_from_slice(hooks.events);
                VendorTerms {
                    vendor,
                    operations,
                    magic: hooks.magic,
                    check_seed: hooks.check_seed,
                    seed: hooks.seed,
                    missing_fields: hooks.missing_fields,
                }
            })
            .collect(),
    });
    &VOCABULARY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ownership() {
        let cases = [
            ("/api/v1/inquiries", Some(Vendor::Persona)),
            ("/api/v1/connect/share-tokens", Some(Vendor::Persona)),
            ("/verify", Some(Vendor::Persona)),
            ("/api/v1/partner/wallet", Some(Vendor::Bitmama)),
            ("/api/v2/partner/card/users", Some(Vendor::Bitmama)),
            ("/api/withdraw", Some(Vendor::Coinflow)),
            ("/api/withdraw/kyc/share-token", Some(Vendor::Coinflow)),
            ("/merchant/view/abc", Some(Vendor::Coinflow)),
            ("/api/withdrawals", Some(Vendor::Coinflow)),
            ("/api/v2/other", Some(Vendor::Coinflow)),
            ("/api", Some(Vendor::Coinflow)),
            ("/api/v1", Some(Vendor::Persona)),
            ("/api/v1/partner", Some(Vendor::Bitmama)),
            ("/apiary", None),
            ("/", None),
        ];
        for (path, vendor) in cases {
            assert_eq!(owning(path).map(|api| api.vendor()), vendor, "{path}");
        }
    }

    #[test]
    fn every_row_is_owned_by_its_vendor_and_written_once() {
        for api in REGISTRY {
            let routes = api.routes();
            for (i, route) in routes.iter().enumerate() {
                assert_eq!(
                    owning(route.path).map(|a| a.vendor()),
                    Some(api.vendor()),
                    "{} {}",
                    route.method,
                    route.path
                );
                assert!(
                    !routes[i + 1..]
                        .iter()
                        .any(|r| r.method == route.method && r.path == route.path),
                    "{} {} twice",
                    route.method,
                    route.path
                );
            }
        }
    }
}
