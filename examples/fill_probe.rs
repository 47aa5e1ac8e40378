//! Creates N Bitmama card users in one partner in-process, one after the other, the way the
//! server handles each request after hyper (no HTTP, no other thread), and prints how long each
//! took: the distribution, and per 50,000 users how many took 1 ms or more and the slowest. It
//! shows a stall of the handler itself (a container growing under the namespace lock) apart
//! from the scheduling noise a wrk run on a shared machine has. `PROBE_ALL=1` lists every
//! request of 1 ms or more with the user count it came at.
//!
//! `cargo run --release --example fill_probe -- 1000000` (about 6 GiB of memory at 1M users)

use std::time::Instant;

use vendor_sandbox::app::App;
use vendor_sandbox::http::ApiRequest;
use vendor_sandbox::server;

fn serve(app: &App, req: ApiRequest) -> u16 {
    server::serve_in_process(app, req, Ok(())).map_or(0, |(response, _)| response.status)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300_000)
        .max(1);
    // On another thread, as the server's requests run (glibc gives it its own arena).
    std::thread::spawn(move || fill(n)).join().expect("fill");
}

fn fill(n: usize) {
    let app = server::probe_app();
    let mut times: Vec<(u64, usize)> = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let req = server::probe_create(i, "probe.example");
        let t = Instant::now();
        let status = serve(&app, req);
        let us = t.elapsed().as_micros() as u64;
        assert_eq!(status, 201);
        times.push((us, i));
    }
    let total = started.elapsed();
    let mut sorted: Vec<u64> = times.iter().map(|t| t.0).collect();
    sorted.sort_unstable();
    let pct = |p: f64| sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
    println!(
        "n={n} total={:.1}s mean={:.1}us p50={} p99={} p99.9={} p99.99={} max={}",
        total.as_secs_f64(),
        total.as_micros() as f64 / n as f64,
        pct(0.5),
        pct(0.99),
        pct(0.999),
        pct(0.9999),
        sorted[sorted.len() - 1]
    );
    let over: Vec<&(u64, usize)> = times.iter().filter(|t| t.0 >= 1000).collect();
    println!("requests >= 1 ms: {}", over.len());
    for window in times.chunks(50_000) {
        let slow: Vec<&(u64, usize)> = window.iter().filter(|t| t.0 >= 1000).collect();
        let max = window.iter().max().copied().unwrap_or((0, 0));
        println!(
            "  users {}..: >=1ms {:4}  >=5ms {:3}  max {} us at {}",
            window[0].1,
            slow.len(),
            slow.iter().filter(|t| t.0 >= 5000).count(),
            max.0,
            max.1
        );
    }
    if std::env::var_os("PROBE_ALL").is_some() {
        for (us, i) in over {
            println!("  user {i}: {us} us");
        }
    }
}
