//! Outgoing webhooks: a per-namespace outbox and one worker task that delivers from it.
//!
//! Vendors put an event in their namespace's [`Outbox`] while they hold the world's lock; that
//! only records it and wakes the worker. The worker does the network I/O with no lock held,
//! signs each attempt through the owning vendor ([`crate::vendors::webhook_headers`]), records
//! every attempt, and retries with capped exponential backoff. The outbox knows no vendor: it
//! keeps the exact body bytes and the secrets, and asks the vendor module for the headers.
//!
//! Retries are scheduled in sandbox time: each pending delivery keeps when its next attempt is
//! due on the namespace clock. The retry sleeps in real time, but wakes whenever the outbox
//! signals (a clock advance, an admin flush) and checks the sandbox clock again, so advancing a
//! namespace's clock past a retry sends it at once, and a flush sends every pending one now.

mod client;
pub use client::{deliverable, post};
mod outbox;
mod saved;
mod worker;

use std::sync::atomic::AtomicU64;

use hyper::body::Bytes;
use serde::{Deserialize, Serialize};

use crate::clock::{Millis, iso8601};
use crate::vendor::Vendor;

pub use outbox::Outbox;
pub use worker::{Signer, Stop, backoff, run_worker};

/// Finished deliveries (delivered, failed, abandoned, dropped) kept per namespace for the admin
/// API; beyond it the oldest finished ones go. Pending ones are never evicted: they are bounded
/// by `WebhookConfig::pending_max` instead.
const FINISHED_KEPT: usize = 1_000;

/// Where one vendor's webhooks go in a namespace, and the secrets that sign them (more than one
/// while a rotated secret is still valid).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub url: String,
    pub secrets: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    Abandoned,
    /// Never queued: the namespace already had `--webhook-pending-max` pending deliveries.
    Dropped,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Abandoned => "abandoned",
            Self::Dropped => "dropped",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub number: u32,
    pub at: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    pub vendor: Vendor,
    pub event: String,
    pub url: String,
    pub status: DeliveryStatus,
    pub created_at: String,
    /// Why a `dropped` delivery was never sent; `None` otherwise.
    pub reason: Option<String>,
    /// The exact bytes sent on every attempt.
    pub body: String,
    pub attempts: Vec<Attempt>,
    /// Sandbox time of the next attempt while the delivery waits for a retry.
    #[serde(serialize_with = "serialize_time")]
    pub next_attempt_at: Option<Millis>,
    /// Whose event this is, as the vendor that queued it names its clients (a Coinflow
    /// merchant id), so the vendor can show a client its own deliveries only; `None` when the
    /// vendor names none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip)]
    secrets: Vec<String>,
    #[serde(skip)]
    first_attempt_unix: Option<i64>,
}

/// What the worker needs for one attempt, copied out of the outbox so no lock is held while
/// sending.
#[derive(Debug, Clone)]
pub struct AttemptPlan {
    pub vendor: Vendor,
    pub url: String,
    pub body: Bytes,
    pub secrets: Vec<String>,
    pub info: AttemptInfo,
}

/// The facts a vendor signs or reports in its webhook headers.
#[derive(Debug, Clone, Copy)]
pub struct AttemptInfo {
    /// 1 for the first attempt.
    pub number: u32,
    pub max_attempts: u32,
    pub now_unix: i64,
    pub first_attempt_unix: i64,
}

/// Sent to the worker: "delivery `delivery_id` of `namespace` is waiting". `generation` names
/// the outbox it was queued in: a reset replaces the outbox, and delivery ids start again, so a
/// job of the old outbox must not drive the new one's delivery of the same id.
#[derive(Debug, Clone)]
pub struct Job {
    pub namespace: String,
    pub generation: u64,
    pub delivery_id: String,
}

/// Gives every outbox its own generation, process-wide.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

fn serialize_time<S: serde::Serializer>(at: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(ms) => s.serialize_some(&iso8601(*ms)),
        None => s.serialize_none(),
    }
}
