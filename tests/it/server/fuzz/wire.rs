//! Random bytes over loopback into the real server (hyper's parser, then the router).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;
use crate::harness::TestServer;

const PREFIXES: &[&str] = &[
    "",
    "GET / HTTP/1.1\r\n",
    "GET /__admin/health HTTP/1.1\r\nHost: localhost\r\n",
    "POST /api/v2/partner/card/users HTTP/1.1\r\nHost: localhost\r\nContent-Length: 12\r\n\r\n",
    "POST /api/v1/inquiries HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n",
    "GET /ns/",
];

#[test]
fn wire_survives_random_bytes() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = runtime.block_on(TestServer::start_with(|c| {
        c.header_read_timeout = Duration::from_millis(200);
    }));
    let addr = server.addr;
    let input = (
        prop::sample::select(PREFIXES),
        prop::collection::vec(any::<u8>(), 0..1024),
        any::<bool>(),
    );
    fuzz("wire", 100, input, |(prefix, noise, end_head)| {
        runtime.block_on(async {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            let mut bytes = prefix.as_bytes().to_vec();
            bytes.extend_from_slice(&noise);
            if end_head {
                bytes.extend_from_slice(b"\r\n\r\n");
            }
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
            // Whatever it answers, the server closes the connection within its header timeout.
            let mut sink = Vec::new();
            let closed =
                tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut sink)).await;
            prop_assert!(closed.is_ok(), "connection left open after {bytes:?}");
            Ok(())
        })
    });
    runtime.block_on(async {
        let res = server.get("/__admin/health").send().await;
        assert_eq!(res.status, 200, "still serving after the noise");
        server.stop().await;
    });
}
