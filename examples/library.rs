//! Library mode: start the sandbox inside a Rust program (or test), drive it, read its admin API.
//!
//! Run with `cargo run --example library`.

use vendor_sandbox::Sandbox;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // An ephemeral port, a fixed seed (the same ids every run), a scenario for the default
    // namespace. Dropping `sandbox` would shut it down too (blocking until it has stopped);
    // sync code starts one with `start_blocking()`.
    let sandbox = Sandbox::builder()
        .seed(7)
        .scenario("happy-path")
        .start()
        .await?;
    println!("sandbox at {}", sandbox.base_url());

    let health = get(&sandbox.admin_url("/health")).await?;
    println!("GET /__admin/health -> {health}");
    let scenario = get(&sandbox.admin_url("/scenario")).await?;
    println!("GET /__admin/scenario -> {scenario}");

    sandbox.shutdown().await?;
    println!("stopped");
    Ok(())
}

/// A minimal HTTP/1.1 GET over a plain TCP stream, so the example needs no HTTP client crate;
/// a real test would use its own client (reqwest, hyper...) against `base_url()`.
async fn get(url: &str) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or(response))
}
