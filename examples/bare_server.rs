//! The benchmark baseline: a bare hyper 1.x server on the same stack as the sandbox (tokio
//! multi-thread runtime, HTTP/1.1 keep-alive, nodelay) that answers the same JSON shapes with no
//! logic, no state and no journal. `bench/run.sh` drives it next to the sandbox so each sandbox
//! throughput can be given as a ratio of what the machine allows.
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

const HEALTH: &[u8] = br#"{"status":"ok","version":"0.1.0"}"#;
const USER_CREATED: &[u8] = br#"{"status":"success","message":"User created successfully","data":{"serviceId":"bench-rain-user-0123456789abcdef","verificationUrl":"http://127.0.0.1:5000/verify?inquiry-id=inq_0123456789abcdefghijklmn"}}"#;
const INQUIRY: &[u8] = br#"{"data":{"type":"inquiry","id":"inq_0123456789abcdefghijklmn","attributes":{"status":"created","reference-id":null,"note":null,"behaviors":{},"tags":[],"creator":"API","reviewer-comment":null,"updated-at":"2024-01-01T00:00:00.000Z","created-at":"2024-01-01T00:00:00.000Z","started-at":null,"completed-at":null,"failed-at":null,"marked-for-review-at":null,"decisioned-at":null,"expired-at":null,"redacted-at":null,"previous-step-name":null,"next-step-name":"start","name-first":"Jane","name-middle":null,"name-last":"Doe","birthdate":null,"address-street-1":null,"address-city":null,"address-subdivision":null,"address-postal-code":null,"address-country-code":null,"email-address":"jane@example.com","phone-number":"+14155555555","fields":{}},"relationships":{"account":{"data":null},"template":{"data":null},"inquiry-template":{"data":{"type":"inquiry-template","id":"itmpl_sandbox"}},"reports":{"data":[]},"verifications":{"data":[]},"sessions":{"data":[]},"documents":{"data":[]},"selfies":{"data":[]}}},"meta":{"session-token":null}}"#;
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
