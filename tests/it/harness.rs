//! The shared test harness: a sandbox started in-process on port 0, a small HTTP client, and a
//! webhook receiver. Tests never sleep to synchronise: they await an event with a timeout.

pub mod browser;
mod webhook_sink;

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vendor_sandbox::Config;

pub use webhook_sink::{ReceivedWebhook, WebhookSink, free_port};

/// How long a test waits for anything before failing.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub addr: SocketAddr,
    /// Coinflow's web-app listener, when started with one.
    pub coinflow_ui: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// The Persona key the tests authenticate with.
pub const PERSONA_KEY: &str = "Bearer persona_sandbox_key";

/// A valid Bitmama create-card-user body for `email`.
pub fn card_user_body(email: &str) -> Value {
    json!({
        "firstName": "Jane", "lastName": "Doe", "email": email,
        "phoneNumber": "+14155555555", "accountPurpose": "personal use",
        "ipAddress": "203.0.113.42", "isTermsOfServiceAccepted": true, "program": "custodial",
    })
}

/// An `App` wired as the server wires it (seed 7), for requests served in-process with
/// `server::serve_in_process`: no sockets, so a test can hold a namespace's lock around one.
pub fn in_process_app() -> vendor_sandbox::app::App {
    use std::sync::Arc;
    let config = Arc::new(Config {
        seed: 7,
        ..Config::default()
    });
    let scenarios = Arc::new(vendor_sandbox::scenario::Catalog::shipped(
        vendor_sandbox::vendors::vocabulary(),
    ));
    vendor_sandbox::app::App::new(config, scenarios, None, "http://127.0.0.1:5000")
}

/// Builds the request as `http::read_head` and `http::read_body` would from what a client sent.
pub fn api_request(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> vendor_sandbox::http::ApiRequest {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    vendor_sandbox::http::ApiRequest {
        method: method.to_string().into(),
        path: path.to_string(),
        query_string: query.to_string(),
        query: vendor_sandbox::http::parse_query(query),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect(),
        body: body.to_vec().into(),
        ..Default::default()
    }
}

impl TestServer {
    /// Creates a Persona inquiry in namespace `ns` from template `itmpl_Test…` plus
    /// `attributes`, and returns its id.
    pub async fn create_inquiry(&self, ns: &str, attributes: Value) -> String {
        let mut attrs = json!({"inquiry-template-id": "itmpl_TestTemplate1"});
        if let (Some(a), Some(extra)) = (attrs.as_object_mut(), attributes.as_object()) {
            a.extend(extra.clone());
        }
        let created = self
            .post("/api/v1/inquiries")
            .header("authorization", PERSONA_KEY)
            .header("x-sandbox-namespace", ns)
            .json(&json!({"data": {"attributes": attrs}}))
            .send()
            .await;
        assert_eq!(created.status, 201, "{}", created.text());
        created.json()["data"]["id"]
            .as_str()
            .expect("inquiry id")
            .to_string()
    }

    /// A Persona API call in namespace `ns`, authenticated, with an optional JSON body.
    pub async fn persona(
        &self,
        ns: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> TestResponse {
        self.request(method, path)
            .header("authorization", PERSONA_KEY)
            .header("x-sandbox-namespace", ns)
            .json_opt(body.as_ref())
            .send()
            .await
    }

    /// Moves namespace `ns`'s sandbox clock forward (and runs what falls due).
    pub async fn advance_clock(&self, ns: &str, seconds: f64) {
        let response = self
            .post("/__admin/clock/advance")
            .header("x-sandbox-namespace", ns)
            .json(&json!({"seconds": seconds}))
            .send()
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
    }

    /// A sandbox with the default configuration and seed 42.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A sandbox also serving Coinflow's web-app pages on `ui` (`--coinflow-ui-port`).
    pub async fn start_with_coinflow_ui(ui: TcpListener) -> Self {
        Self::start_with_coinflow_ui_and(ui, |_| {}).await
    }

    /// [`Self::start_with_coinflow_ui`] with a configuration `adjust` changes first.
    pub async fn start_with_coinflow_ui_and(
        ui: TcpListener,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = Config {
            seed: 42,
            ..Config::default()
        };
        config.webhooks.base_delay = Duration::from_millis(50);
        config.webhooks.max_delay = Duration::from_millis(400);
        adjust(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("local addr");
        let ui_addr = ui.local_addr().expect("ui addr");
        let scenarios = vendor_sandbox::server::load_scenarios(&config).expect("scenarios");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(vendor_sandbox::server::run_with_listeners(
            listener,
            Some(ui),
            config,
            std::sync::Arc::new(scenarios),
            None,
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            coinflow_ui: Some(ui_addr),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A request to Coinflow's web-app listener.
    pub fn ui_request(&self, method: &str, path: &str) -> RequestBuilder {
        let ui = self
            .coinflow_ui
            .expect("started with a Coinflow UI listener");
        RequestBuilder::to(ui, method, path)
    }

    /// A sandbox whose configuration `adjust` changes first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            seed: 42,
            ..Config::default()
        };
        // Fast retries so webhook tests finish quickly; tests that check the schedule set it.
        config.webhooks.base_delay = Duration::from_millis(50);
        config.webhooks.max_delay = Duration::from_millis(400);
        adjust(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(vendor_sandbox::run(listener, config, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            coinflow_ui: None,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn request(&self, method: &str, path: &str) -> RequestBuilder {
        RequestBuilder::to(self.addr, method, path)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request("GET", path)
    }

    /// `GET /__admin/state` of namespace `ns`.
    pub async fn admin_state(&self, ns: &str) -> Value {
        let state = self
            .get("/__admin/state")
            .header("x-sandbox-namespace", ns)
            .send()
            .await;
        assert_eq!(state.status, 200, "{}", state.text());
        state.json()
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request("POST", path)
    }

    /// Triggers graceful shutdown and waits for `run` to return.
    pub async fn stop(mut self) {
        self.stop_in_place().await;
    }

    async fn stop_in_place(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task)
                .await
                .expect("server stops within the wait")
                .expect("server task did not panic")
                .expect("run returned Ok");
        }
    }

    /// Sends the shutdown signal without waiting; `finished` then waits for `run` to return.
    pub fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub async fn finished(mut self) {
        self.stop_in_place().await;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub struct RequestBuilder {
    addr: SocketAddr,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RequestBuilder {
    /// A request to the server at `addr` (a library-mode `Sandbox`'s, say).
    pub fn to(addr: SocketAddr, method: &str, path: &str) -> Self {
        RequestBuilder {
            addr,
            method: method.to_string(),
            path: path.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.body = serde_json::to_vec(body).expect("serialise");
        self.header("content-type", "application/json")
    }

    /// [`json`](Self::json) when there is a body, nothing otherwise.
    pub fn json_opt(self, body: Option<&Value>) -> Self {
        match body {
            Some(body) => self.json(body),
            None => self,
        }
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// An HTML form post.
    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        self.body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes();
        self.header("content-type", "application/x-www-form-urlencoded")
    }

    pub async fn send(self) -> TestResponse {
        tokio::time::timeout(WAIT, self.send_inner())
            .await
            .expect("response within the wait")
    }

    async fn send_inner(self) -> TestResponse {
        let stream = TcpStream::connect(self.addr).await.expect("connect");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        let driver = tokio::spawn(connection);
        let mut request = hyper::Request::builder()
            .method(self.method.as_str())
            .uri(self.path.as_str());
        // A test may send its own Host (the Host check); otherwise the address, as clients do.
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"))
        {
            request = request.header("host", self.addr.to_string());
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::from(self.body)))
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        drop(sender);
        let _ = driver.await;
        TestResponse {
            status,
            headers,
            body,
        }
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// The first value of header `name` (any case) in `headers`.
fn header_in<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}), status {}: {}",
                self.status,
                self.text()
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// GET `url` on a fresh connection with a blocking `std::net` client, as `reqwest::blocking` or
/// `ureq` would: its status and body. Fails after [`WAIT`] without an answer.
pub fn blocking_get(url: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream.set_read_timeout(Some(WAIT)).expect("read timeout");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("write");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("an answer within the wait");
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    (status, body.to_string())
}

pub fn encode(s: &str) -> String {
    vendor_sandbox::http::percent_encode(s)
}

/// Polls `check` (no sleeping in between beyond a yield) until it returns `Some`, or fails after
/// [`WAIT`]. For state that changes asynchronously, e.g. a webhook delivery's recorded attempts.
pub async fn eventually<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(v) = check().await {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("condition met within the wait")
}
