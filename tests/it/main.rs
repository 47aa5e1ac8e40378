//! The one integration test binary (see ARCHITECTURE.md, "Testing").

mod admin;
mod bitmama;
mod cli;
mod coinflow;
mod cors;
mod dashboard;
mod fuzz;
mod harness;
mod hostile;
mod indexes;
mod openapi;
mod persona;
mod persona_hosted;
mod persona_schema;
mod persona_webhooks;
mod races;
mod routes;
mod scenarios;
mod server;
mod state_file;
mod webhook_check;
mod webhooks;
