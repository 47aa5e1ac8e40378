//! The webhook receiver: a local HTTP server recording every request it gets.

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::WAIT;

/// A webhook as a receiver saw it.
#[derive(Debug, Clone)]
pub struct ReceivedWebhook {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl ReceivedWebhook {
    pub fn header(&self, name: &str) -> Option<&str> {
        super::header_in(&self.headers, name)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
}

/// A local HTTP server that records every request it gets and answers `status`.
pub struct WebhookSink {
    pub addr: SocketAddr,
    received: mpsc::UnboundedReceiver<ReceivedWebhook>,
    task: JoinHandle<()>,
}

impl WebhookSink {
    /// Listens on a free port and answers 200.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("addr"), 200).await
    }

    /// Listens on `addr` (e.g. a port chosen earlier, for a receiver that comes up late).
    pub async fn start_on(addr: SocketAddr, status: u16) -> Self {
        let listener = TcpListener::bind(addr).await.expect("bind webhook sink");
        let addr = listener.local_addr().expect("addr");
        let (tx, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let tx = tx.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                            let tx = tx.clone();
                            async move {
                                let path = req.uri().path().to_string();
                                let headers = req
                                    .headers()
                                    .iter()
                                    .map(|(n, v)| {
                                        (
                                            n.as_str().to_string(),
                                            v.to_str().unwrap_or("").to_string(),
                                        )
                                    })
                                    .collect();
                                let body = req
                                    .into_body()
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                let _ = tx.send(ReceivedWebhook {
                                    path,
                                    headers,
                                    body,
                                });
                                let mut response =
                                    hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
                                *response.status_mut() =
                                    hyper::StatusCode::from_u16(status).expect("status");
                                Ok::<_, std::convert::Infallible>(response)
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            received,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next webhook received, or a panic after [`WAIT`].
    pub async fn next(&mut self) -> ReceivedWebhook {
        tokio::time::timeout(WAIT, self.received.recv())
            .await
            .expect("a webhook arrives within the wait")
            .expect("sink is running")
    }

    /// Waits for the next webhook whose body has `"name"`-like `event` for which `pick` is true.
    pub async fn next_matching(
        &mut self,
        pick: impl Fn(&ReceivedWebhook) -> bool,
    ) -> ReceivedWebhook {
        loop {
            let hook = self.next().await;
            if pick(&hook) {
                return hook;
            }
        }
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A port that was free a moment ago (for a receiver that starts later).
pub async fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr")
}
