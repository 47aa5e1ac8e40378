//! A small webhook receiver of our own, one per vendor scheme, that verifies correctly or makes
//! one classic mistake on purpose, so the tests can show `webhooks check` catches each one. It
//! uses the `hmac` crate directly, not the sandbox's signing code, so it is an independent
//! reading of the vendors' rules.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use vendor_sandbox::vendors::Vendor;

/// How the receiver verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Raw bytes, timing-safe full compare, 300 s tolerance both ways, any rotation set,
    /// each (t, v1) (Bitmama: each signature) accepted once.
    Correct,
    AcceptsEverything,
    IgnoresTimestamp,
    /// Hashes `serde_json::to_vec` of the parsed body (compact, keys sorted: serde_json is
    /// built without `preserve_order` here) instead of the bytes received.
    Reserializes,
    NoReplayProtection,
    /// Persona: looks at the first `t=,v1=` set only, so a rotation's second set is refused.
    FirstSignatureOnly,
    /// Coinflow: compares the `Authorization` header with the key and nothing else.
    AuthorizationOnly,
    /// Accepts a signature the right one starts with (a compare over the shorter length).
    PrefixCompare,
}

const TOLERANCE_SECS: i64 = 300;

struct Rules {
    vendor: Vendor,
    secret: String,
    mode: Mode,
    seen: Mutex<HashSet<String>>,
}

impl Rules {
    /// The status to answer.
    fn decide(&self, header: &dyn Fn(&str) -> Option<String>, body: &[u8], now: i64) -> u16 {
        match self.mode {
            Mode::AcceptsEverything => return 200,
            Mode::AuthorizationOnly => {
                let right = header("authorization").as_deref() == Some(self.secret.as_str());
                return if right { 200 } else { 401 };
            }
            _ => {}
        }
        let body: Vec<u8> = if self.mode == Mode::Reserializes {
            match serde_json::from_slice::<Value>(body) {
                Ok(value) => serde_json::to_vec(&value).unwrap_or_default(),
                Err(_) => return 400,
            }
        } else {
            body.to_vec()
        };
        match self.vendor {
            Vendor::Bitmama => {
                let Some(signature) = header("x-webhook-signature") else {
                    return 401;
                };
                if self.matches(&body, &signature) {
                    self.first_time(signature)
                } else {
                    401
                }
            }
            Vendor::Persona | Vendor::Coinflow => {
                let name = if self.vendor == Vendor::Persona {
                    "persona-signature"
                } else {
                    "coinflow-signature"
                };
                let Some(value) = header(name) else {
                    return 401;
                };
                let mut sets: Vec<&str> = value.split(' ').filter(|s| !s.is_empty()).collect();
                if self.mode == Mode::FirstSignatureOnly {
                    sets.truncate(1);
                }
                for set in sets {
                    let Some((t, v1)) = parse_set(set) else {
                        continue;
                    };
                    let timely =
                        self.mode == Mode::IgnoresTimestamp || (now - t).abs() <= TOLERANCE_SECS;
                    let mut signed = format!("{t}.").into_bytes();
                    signed.extend_from_slice(&body);
                    if timely && self.matches(&signed, v1) {
                        return self.first_time(format!("{t},{v1}"));
                    }
                }
                401
            }
        }
    }

    fn matches(&self, message: &[u8], given_hex: &str) -> bool {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.secret.as_bytes()) else {
            return false;
        };
        mac.update(message);
        if self.mode == Mode::PrefixCompare {
            let expected = hex::encode(mac.finalize().into_bytes());
            return expected.starts_with(&given_hex.to_ascii_lowercase());
        }
        hex::decode(given_hex).is_ok_and(|given| mac.verify_slice(&given).is_ok())
    }

    /// 200 the first time `key` is seen, 409 after (the replay).
    fn first_time(&self, key: String) -> u16 {
        if self.mode == Mode::NoReplayProtection {
            return 200;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.insert(key) { 200 } else { 409 }
    }
}

/// `t=<digits>,v1=<hex>` with both parts, in any order.
fn parse_set(set: &str) -> Option<(i64, &str)> {
    let mut t = None;
    let mut v1 = None;
    for part in set.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    Some((t?, v1?))
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The receiver, listening on 127.0.0.1 at a free port until dropped.
pub struct Verifier {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Verifier {
    pub async fn start(vendor: Vendor, secret: &str, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let rules = Arc::new(Rules {
            vendor,
            secret: secret.to_string(),
            mode,
            seen: Mutex::new(HashSet::new()),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let rules = rules.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                            let rules = rules.clone();
                            async move {
                                let (parts, body) = req.into_parts();
                                let body = body
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                let header = |name: &str| {
                                    parts
                                        .headers
                                        .get(name)
                                        .and_then(|v| v.to_str().ok())
                                        .map(str::to_string)
                                };
                                let status = rules.decide(&header, &body, now_unix());
                                let mut response = hyper::Response::new(Full::new(Bytes::new()));
                                *response.status_mut() = hyper::StatusCode::from_u16(status)
                                    .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
                                Ok::<_, std::convert::Infallible>(response)
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Verifier { addr, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        self.task.abort();
    }
}
