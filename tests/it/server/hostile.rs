//! Hostile clients over raw TCP: trickled headers, piles of idle connections, oversized heads,
//! bodies that stop half-way. The server must cut them off or answer them, and keep serving.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{TestServer, WAIT, eventually};
use crate::scenario::slow_wallet;

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(server.addr).await.expect("connect")
}

/// Reads until the server closes the connection (or resets it); returns what was read.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(WAIT, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return out,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "server kept the connection open for {WAIT:?}; read so far: {:?}",
                String::from_utf8_lossy(&out)
            ),
        }
    }
}

fn status_of(response: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(response);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// `raw` is an answer with `status`; the whole answer shown otherwise.
fn assert_status(raw: &[u8], status: u16) {
    assert_eq!(
        status_of(raw),
        Some(status),
        "{}",
        String::from_utf8_lossy(raw)
    );
}

async fn health_ok(server: &TestServer) {
    let res = server.get("/__admin/health").send().await;
    assert_eq!(res.status, 200, "{}", res.text());
}

async fn in_flight(server: &TestServer) -> u64 {
    let res = server.get("/__admin/server").send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["requests_in_flight"]
        .as_u64()
        .expect("requests_in_flight")
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off_by_the_header_timeout() {
    let server =
        TestServer::start_with(|c| c.header_read_timeout = Duration::from_millis(300)).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"GET /__admin/health HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .expect("write request line");
    // One header line every 50 ms, never the blank line that ends the head. The server must
    // close the connection; if it does not, the trickle goes on until the test's wait runs out.
    let cut_off = tokio::time::timeout(WAIT, async {
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        let mut buf = [0u8; 1024];
        let mut n = 0u64;
        loop {
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    // Closed (0), reset, or an error answer such as 408: all mean cut off.
                    Ok(0) | Err(_) => return None,
                    Ok(k) => return Some(String::from_utf8_lossy(&buf[..k]).into_owned()),
                },
                _ = tick.tick() => {
                    n += 1;
                    if stream.write_all(format!("X-Trickle-{n}: a\r\n").as_bytes()).await.is_err() {
                        return None;
                    }
                }
            }
        }
    })
    .await
    .expect("the server cuts off a client that never finishes its headers");
    if let Some(answer) = cut_off {
        assert!(
            answer.starts_with("HTTP/1.1 408") || answer.starts_with("HTTP/1.1 4"),
            "a trickling client gets no normal answer: {answer}"
        );
    }
    health_ok(&server).await;
}

/// The header timeout is for a head that does not come, not for a slow answer: a request whose
/// answer takes longer than the timeout is answered, and then the connection, idle, is closed.
#[tokio::test]
async fn a_slow_answer_outlives_the_header_timeout_and_the_idle_connection_is_then_closed() {
    let dir = slow_wallet("slow-answer", 600);
    let path = dir.0.clone();
    let server = TestServer::start_with(move |c| {
        c.scenarios_dir = Some(path);
        c.header_read_timeout = Duration::from_millis(200);
    })
    .await;
    let mut stream = connect(&server).await;
    let started = std::time::Instant::now();
    stream
        .write_all(
            b"GET /api/v1/partner/wallet HTTP/1.1\r\nHost: localhost\r\n\
              Authorization: Bearer sk_staging_slow\r\nX-Sandbox-Scenario: slow\r\n\r\n",
        )
        .await
        .expect("write request");
    // Everything the server sends before it closes the connection: the answer, then nothing.
    let sent = read_to_close(&mut stream).await;
    assert_status(&sent, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "the latency was served"
    );
    health_ok(&server).await;
}

/// Shutting down, hyper closes idle connections at once but waits on one holding half a head:
/// the header timeout still closes it, long before the shutdown grace runs out.
#[tokio::test]
async fn a_half_sent_head_does_not_hold_up_shutdown() {
    let server = TestServer::start_with(|c| {
        c.header_read_timeout = Duration::from_millis(200);
        c.shutdown_grace = WAIT * 6;
    })
    .await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"GET /__admin/health HTTP/1.1\r\nHost: loc")
        .await
        .expect("write half a head");
    // Shutdown closes at once a connection the server has read nothing from (or only whole
    // requests from), so let the half head be read first: another client's round trip gives
    // the server that time. Were it not read, the test would pass without showing anything.
    health_ok(&server).await;
    // `stop` waits `WAIT` (a sixth of the grace) for the server to finish.
    server.stop().await;
}

/// The soft limit on open files, raised towards the hard limit with `prlimit` when it is too low
/// for `wanted` descriptors (no `unsafe` here: the crate forbids it).
fn open_files_limit(wanted: u64) -> u64 {
    let read = || -> Option<u64> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        line.split_whitespace().nth(3)?.parse().ok()
    };
    let soft = read().unwrap_or(1024);
    if soft >= wanted {
        return soft;
    }
    let _ = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &std::process::id().to_string(),
            &format!("--nofile={wanted}:"),
        ])
        .status();
    read().unwrap_or(soft)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_do_not_stop_new_requests() {
    const IDLE: u64 = 1000;
    // Both ends live in this process: two descriptors per connection, plus headroom.
    let limit = open_files_limit(2 * IDLE + 256);
    let idle = IDLE.min(limit.saturating_sub(256) / 2);
    if idle < IDLE {
        eprintln!("open-files limit is {limit}: holding {idle} idle connections, not {IDLE}");
    }
    let server = TestServer::start().await;
    let mut connections = Vec::new();
    for _ in 0..idle {
        connections.push(connect(&server).await);
    }
    // The last idle connection answering proves the accept loop has taken every one before it.
    let last = connections.last_mut().expect("at least one connection");
    last.write_all(b"GET /__admin/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(WAIT, last.read(&mut buf))
        .await
        .expect("answer on the last idle connection")
        .expect("read");
    assert_eq!(status_of(&buf[..n]), Some(200));

    // New clients are served while all of them stay open.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        set.spawn(server.get("/__admin/health").send());
    }
    while let Some(res) = set.join_next().await {
        assert_eq!(res.expect("task").status, 200);
    }
    let res = server
        .post("/api/v1/inquiries")
        .header("authorization", "Bearer persona_sandbox_key")
        .json(&serde_json::json!({"data": {"attributes": {"inquiry-template-id": "itmpl_x"}}}))
        .send()
        .await;
    assert!(res.status < 300, "{}", res.text());
    drop(connections);
}

#[tokio::test]
async fn too_many_headers_get_431() {
    let server = TestServer::start().await;
    let mut stream = connect(&server).await;
    let mut head = String::from("GET /__admin/health HTTP/1.1\r\nHost: localhost\r\n");
    for n in 0..500 {
        head.push_str(&format!("X-Header-{n}: v\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer = read_to_close(&mut stream).await;
    assert_status(&answer, 431);
    health_ok(&server).await;
}

#[tokio::test]
async fn a_huge_header_gets_431() {
    let server = TestServer::start().await;
    let mut stream = connect(&server).await;
    let (mut reader, mut writer) = stream.split();
    let head = format!(
        "GET /__admin/health HTTP/1.1\r\nHost: localhost\r\nX-Huge: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    // Write and read at once: the server answers before it has read all of it.
    let write = async {
        let _ = writer.write_all(head.as_bytes()).await;
    };
    let read = async {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(Ok(n)) = tokio::time::timeout(WAIT, reader.read(&mut buf)).await {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    };
    let ((), answer) = tokio::join!(write, read);
    assert_status(&answer, 431);
    health_ok(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_stop_half_way_leave_nothing_in_flight() {
    let server = TestServer::start().await;
    const CLIENTS: u64 = 40;
    let mut streams = Vec::new();
    for n in 0..CLIENTS {
        let mut stream = connect(&server).await;
        let head = if n % 2 == 0 {
            // Declares 1000 bytes, sends 100.
            format!(
                "POST /api/v2/partner/card/users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer sk_staging_x\r\nIdempotency-Key: k{n}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{}",
                "{".repeat(100)
            )
        } else {
            // Chunked: one chunk announced as 0x400 bytes, 10 of them sent.
            "POST /api/v1/inquiries HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer k\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n0123456789".to_string()
        };
        stream.write_all(head.as_bytes()).await.expect("write");
        streams.push(stream);
    }
    // All are in flight (reading their bodies), plus the request that asks.
    eventually(|| async { (in_flight(&server).await == CLIENTS + 1).then_some(()) }).await;
    drop(streams);
    // Every one of them ends when its client goes: only the asking request is left.
    eventually(|| async { (in_flight(&server).await == 1).then_some(()) }).await;
    health_ok(&server).await;
}

/// A client that sends its head, then a byte of a 100-byte body, then nothing: without a body
/// timeout it would hold its connection (and a request in flight) forever.
#[tokio::test]
async fn a_stalled_body_gets_408_within_the_body_timeout_and_the_connection_closes() {
    let timeout = Duration::from_secs(1);
    let server = TestServer::start_with(|c| c.body_timeout = timeout).await;
    let mut stream = connect(&server).await;
    let started = std::time::Instant::now();
    stream
        .write_all(
            b"POST /api/v1/inquiries HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer k\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .expect("write");
    let answer = read_to_close(&mut stream).await;
    let waited = started.elapsed();
    let text = String::from_utf8_lossy(&answer);
    assert_eq!(status_of(&answer), Some(408), "{text}");
    assert!(
        waited >= timeout,
        "answered after {waited:?}, before the timeout"
    );
    assert!(
        text.contains("\"errors\"") && text.contains("--body-timeout-secs"),
        "Persona's envelope names the option: {text}"
    );
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    eventually(|| async { (in_flight(&server).await == 1).then_some(()) }).await;
    health_ok(&server).await;
}

/// A chunked body that passes the size limit and then stalls is answered 413 when the body
/// timeout ends it (it was too large, not slow), closing the connection: the rest of it may
/// still come.
#[tokio::test]
async fn a_body_that_passes_the_limit_then_stalls_gets_413_and_the_connection_closes() {
    let timeout = Duration::from_millis(300);
    let server = TestServer::start_with(|c| {
        c.body_timeout = timeout;
        c.max_body_bytes = 1024;
    })
    .await;
    let mut stream = connect(&server).await;
    let mut raw =
        b"POST /api/v1/inquiries HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer k\r\n\
        Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n"
            .to_vec();
    raw.extend_from_slice(&[b'x'; 0x800]);
    raw.extend_from_slice(b"\r\n");
    stream.write_all(&raw).await.expect("write");
    let answer = read_to_close(&mut stream).await;
    let text = String::from_utf8_lossy(&answer);
    assert_eq!(status_of(&answer), Some(413), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    health_ok(&server).await;
}
