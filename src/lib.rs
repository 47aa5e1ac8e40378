//! vendor-sandbox: one local HTTP server that behaves like the sandboxes of Persona (identity
//! verification), Coinflow (payouts) and Bitmama (card issuing), stateful and linked across the
//! three.
//!
//! Layout (see ARCHITECTURE.md for the codemap and invariants):
//! - [`server`]: accept loop and graceful shutdown; [`http`]: hyper in, owned request/response out;
//! - [`router`]: namespaces, then dispatch to [`admin`] or one of [`vendors`];
//! - [`store`]: one [`store::World`] per namespace; [`clock`] and [`ids`] make it deterministic;
//!   [`state_file`] keeps it across restarts;
//! - [`journal`]: the bounded request journal; [`webhooks`]: outbox and delivery worker;
//! - [`Sandbox`]: the server started in-process, for other projects' tests (library mode).

pub mod admin;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod cors;
pub mod html;
pub mod http;
pub mod ids;
pub mod journal;
pub mod logging;
pub mod router;
pub mod sandbox;
pub mod scenario;
pub mod server;
pub mod state_file;
pub mod store;
pub mod vendors;
pub mod webhooks;

pub use config::Config;
pub use sandbox::{Sandbox, SandboxBuilder};
pub use server::run;
