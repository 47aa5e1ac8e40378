//! Memory per created Bitmama card user, in-process and deterministic: creates `warm` users
//! (enough to fill the request journal, so its entries are replaced, not added), then `n` more,
//! and prints what the heap kept per user across those `n` (live bytes asked of the allocator
//! and live allocations, counted by a counting allocator) and the process's RSS growth per user.
//! Each request goes the way `server::service::serve` takes it after hyper (`serve_in_process`), on a
//! thread of its own as a runtime worker is.
//!
//! `cargo run --release --example mem_probe -- 20000 12000` (n, warm)

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use vendor_sandbox::server;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// `(live bytes, live allocations)` as the counting allocator sees them now.
fn live() -> (i64, i64) {
    let s = GLOBAL.stats();
    (
        s.bytes_allocated as i64 - s.bytes_deallocated as i64,
        s.allocations as i64 - s.deallocations as i64,
    )
}

/// The process's resident set in KiB (`VmRSS`), 0 where `/proc` has none.
fn rss_kib() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    (status.lines())
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().ok());
    let n = args.next().flatten().unwrap_or(20_000).max(1);
    let warm = args.next().flatten().unwrap_or(12_000);
    std::thread::spawn(move || probe(n, warm))
        .join()
        .expect("probe");
}

fn probe(n: usize, warm: usize) {
    let app = server::probe_app();
    let serve = |i: usize| {
        let status =
            server::serve_in_process(&app, server::probe_create(i, "probe.example"), Ok(()))
                .map(|(r, _)| r.status);
        assert_eq!(status, Some(201));
    };
    (0..warm).for_each(serve);
    let (bytes0, allocs0, rss0) = (live().0, live().1, rss_kib());
    (warm..warm + n).for_each(serve);
    let (bytes1, allocs1, rss1) = (live().0, live().1, rss_kib());
    let per = |d: i64| d as f64 / n as f64;
    println!(
        "users {warm}..{}: requested {:.0} B/user, live allocations {:.1}/user, RSS {:.0} B/user",
        warm + n,
        per(bytes1 - bytes0),
        per(allocs1 - allocs0),
        per((rss1 - rss0) * 1024),
    );
}
