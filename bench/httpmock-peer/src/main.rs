//! httpmock's mock server with one mock: `POST /api/v2/partner/card/users` answers a canned 201
//! (the bare server's body, `bench/baseline/user-created.json`). Prints `httpmock-peer listening on http://ADDR` and runs until killed.

use std::io::Write;

use httpmock::prelude::*;

const USER_CREATED: &str = include_str!("../../baseline/user-created.json").trim_ascii_end();

fn main() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/api/v2/partner/card/users");
        then.status(201)
            .header("content-type", "application/json; charset=utf-8")
            .body(USER_CREATED);
    });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "httpmock-peer listening on {}", server.base_url());
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}
