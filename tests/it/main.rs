//! The one integration test binary (see ARCHITECTURE.md, "Testing").

mod harness;
mod server;
mod cli;
