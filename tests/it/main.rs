//! The one integration test binary (see ARCHITECTURE.md, "Testing"). Its folders mirror `src/`.

mod admin;
mod baseline;
mod cli;
mod cors;
mod harness;
mod html;
mod layers;
mod openapi;
mod sandbox;
mod scenario;
mod server;
mod state_file;
mod vendors;
mod webhook_check;
mod webhooks;
