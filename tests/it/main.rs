//! The one integration test binary (see ARCHITECTURE.md, "Testing").

mod harness;
mod server;
mod cli;
mod coinflow;
mod persona;
mod bitmama;
mod openapi;
mod persona_hosted;
mod persona_schema;
mod persona_webhooks;
