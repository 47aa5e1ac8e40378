//! How an outbox's deliveries are kept in the state file: all of each one, including what the
//! admin API does not show (the signing secrets, when the first attempt went) and the next
//! attempt's due time in exact sandbox milliseconds.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Attempt, Delivery, DeliveryStatus};
use crate::clock::Millis;
use crate::vendor::Vendor;

#[derive(Serialize)]
struct SavedRef<'a> {
    id: &'a str,
    vendor: Vendor,
    event: &'a str,
    url: &'a str,
    status: DeliveryStatus,
    created_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    body: &'a str,
    attempts: &'a [Attempt],
    next_attempt_ms: Option<Millis>,
    secrets: &'a [String],
    first_attempt_unix: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<&'a str>,
}

#[derive(Deserialize)]
struct Saved {
    id: String,
    vendor: Vendor,
    event: String,
    url: String,
    status: DeliveryStatus,
    created_at: String,
    /// Absent in files written before `dropped` existed.
    #[serde(default)]
    reason: Option<String>,
    body: String,
    attempts: Vec<Attempt>,
    next_attempt_ms: Option<Millis>,
    secrets: Vec<String>,
    first_attempt_unix: Option<i64>,
    /// Absent in files written before deliveries named their owner.
    #[serde(default)]
    owner: Option<String>,
}

pub(super) fn serialize<S: Serializer>(
    deliveries: &BTreeMap<u64, Delivery>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(deliveries.values().map(|d| SavedRef {
        id: &d.id,
        vendor: d.vendor,
        event: &d.event,
        url: &d.url,
        status: d.status,
        created_at: &d.created_at,
        reason: d.reason.as_deref(),
        body: &d.body,
        attempts: &d.attempts,
        next_attempt_ms: d.next_attempt_at,
        secrets: &d.secrets,
        first_attempt_unix: d.first_attempt_unix,
        owner: d.owner.as_deref(),
    }))
}

pub(super) fn deserialize<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<u64, Delivery>, D::Error> {
    let saved = Vec::<Saved>::deserialize(d)?;
    saved
        .into_iter()
        .map(|s| {
            let seq = super::outbox::seq_of(&s.id)
                .ok_or_else(|| D::Error::custom(format!("{:?} is not a delivery id", s.id)))?;
            let delivery = Delivery {
                id: s.id,
                vendor: s.vendor,
                event: s.event,
                url: s.url,
                status: s.status,
                created_at: s.created_at,
                reason: s.reason,
                body: s.body,
                attempts: s.attempts,
                next_attempt_at: s.next_attempt_ms,
                secrets: s.secrets,
                first_attempt_unix: s.first_attempt_unix,
                owner: s.owner,
            };
            Ok((seq, delivery))
        })
        .collect()
}
