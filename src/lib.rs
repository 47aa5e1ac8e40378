//! vendor-sandbox: one local HTTP server that behaves like the sandboxes of Persona (identity
//! verification), Coinflow (payouts) and Bitmama (card issuing), stateful and linked across the
//! three.
//!
//! The library's API is library mode: [`Sandbox`] and its [`SandboxBuilder`] start the server
//! in-process for another project's tests (on a thread and runtime of its own, from async or
//! sync code), configured by [`Config`] and its parts ([`config`]);
//! [`run`] serves on a listener you bound. The modules marked hidden are the server's insides,
//! public only for this crate's binary and its own integration tests; they may change at any time.
//!
//! Layers import one way (ARCHITECTURE.md has the codemap and a test keeps it true): leaf
//! modules ([`vendor`], `namespace`, [`http`], `clock`, `ids`, [`config`]) import nothing
//! above them; the store and the data it holds above them; the scenario engine and the vendors
//! above the store; router, admin and server on top.

#[doc(hidden)]
pub mod admin;
#[doc(hidden)]
pub mod app;
#[doc(hidden)]
pub mod area;
#[doc(hidden)]
pub mod cli;
pub(crate) mod clock;
pub(crate) mod collections;
pub mod config;
pub(crate) mod cors;
pub(crate) mod html;
#[doc(hidden)]
pub mod http;
pub(crate) mod ids;
#[doc(hidden)]
pub mod journal;
#[doc(hidden)]
pub mod logging;
pub(crate) mod namespace;
#[doc(hidden)]
pub mod router;
pub mod sandbox;
#[doc(hidden)]
pub mod scenario;
#[doc(hidden)]
pub mod server;
pub(crate) mod settler;
#[doc(hidden)]
pub mod state_file;
pub(crate) mod steering;
#[doc(hidden)]
pub mod store;
pub mod vendor;
#[doc(hidden)]
pub mod vendors;
pub mod webhook_check;
#[doc(hidden)]
pub mod webhooks;

pub use config::Config;
pub use sandbox::{Sandbox, SandboxBuilder};
pub use server::run;
pub use vendor::Vendor;
