//! The one integration test binary (see ARCHITECTURE.md, "Testing").

mod bitmama;
mod cli;
mod coinflow;
mod harness;
mod openapi;
mod persona;
mod persona_hosted;
mod persona_schema;
mod persona_webhooks;
mod routes;
mod scenarios;
mod server;
mod webhooks;
