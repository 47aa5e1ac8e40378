//! The benchmark baseline: a bare hyper 1.x server on the same stack as the sandbox (tokio
//! multi-thread runtime, HTTP/1.1 keep-alive, nodelay) that answers with the sandbox's own bodies
//! (`bench/baseline/*.json`: the same bytes but for ids and times, which a test holds them to)
//! and no logic, no state and no journal. `bench/run.sh` drives it next to the sandbox so each
//! sandbox throughput can be given as a ratio of what the machine allows.
//!
//! `cargo run --release --example bare_server -- [PORT]` (0, the default, picks a free port); the
//! first stdout line is `bare-server listening on http://ADDR`, like the sandbox's.

use std::convert::Infallible;
use std::io::Write;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const HEALTH: &[u8] = include_bytes!("../bench/baseline/health.json").trim_ascii_end();
const USER_CREATED: &[u8] = include_bytes!("../bench/baseline/user-created.json").trim_ascii_end();
const INQUIRY: &[u8] = include_bytes!("../bench/baseline/inquiry.json").trim_ascii_end();
const NOT_FOUND: &[u8] = br#"{"error":{"status":404,"message":"No route"}}"#;

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match (req.method().as_str(), req.uri().path()) {
        ("GET", "/__admin/health") => (StatusCode::OK, HEALTH),
        ("POST", "/api/v2/partner/card/users") => (StatusCode::CREATED, USER_CREATED),
        ("GET", path) if path.starts_with("/api/v1/inquiries/") => (StatusCode::OK, INQUIRY),
        _ => (StatusCode::NOT_FOUND, NOT_FOUND),
    };
    // Read the body as the sandbox does, so both servers do the same I/O.
    let _ = req.into_body().collect().await;
    let mut response = Response::new(Full::new(Bytes::from_static(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    Ok(response)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "bare-server listening on http://{}",
        listener.local_addr()?
    )?;
    out.flush()?;
    drop(out);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}
