//! Connections: keep-alive, the header timeout, graceful shutdown with a request in flight.

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::read_head;
use crate::harness::{TestServer, WAIT};

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    // A grace period longer than the wait: shutdown must not sit it out on an idle connection.
    let server =
        TestServer::start_with(|c| c.shutdown_grace = std::time::Duration::from_secs(60)).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    for _ in 0..3 {
        stream
            .write_all(b"GET /__admin/health HTTP/1.1\r\nhost: localhost\r\n\r\n")
            .await
            .expect("write");
        let answer = read_head(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    // The idle keep-alive connection does not hold shutdown up: it is closed and `run` returns
    // (`stop` fails the test after the wait).
    server.stop().await;
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0))), "{closed:?}");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let server =
        TestServer::start_with(|c| c.header_read_timeout = std::time::Duration::from_millis(200))
            .await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"GET /__admin/health HTTP/1.1\r\nhost: localhost\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closes the connection");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

#[tokio::test]
async fn graceful_shutdown_lets_a_request_in_flight_finish() {
    let mut server = TestServer::start().await;
    let addr = server.addr;
    let body = br#"{"seconds": 1}"#;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /__admin/clock/advance HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&body[..5]).await.expect("half the body");
    // Wait until the server is handling it (this status request counts itself too).
    crate::harness::eventually(|| async {
        let stats = server_status(addr).await;
        (stats["requests_in_flight"] == 2).then_some(())
    })
    .await;

    server.signal_stop();
    // Once the listener is closed, shutdown is under way.
    crate::harness::eventually(|| async { TcpStream::connect(addr).await.is_err().then_some(()) })
        .await;

    stream
        .write_all(&body[5..])
        .await
        .expect("rest of the body");
    let answer = read_head(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("offset_seconds"), "{answer}");
    server.finished().await;
}

async fn server_status(addr: std::net::SocketAddr) -> Value {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /__admin/server HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .expect("write");
    let answer = read_head(&mut stream).await;
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or(Value::Null)
}
