//! Coinflow's KYC webhooks (`KYC Created|Success|Failure`, webhook "Version 2") and how they are
//! authenticated: `Authorization: <validation key>` and
//! `Coinflow-Signature: t=<unix>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>`.

use serde_json::json;

use super::model::Withdrawer;
use super::payout_model::Payout;
use crate::clock::iso8601;
use crate::store::World;
use crate::vendors::{Vendor, timestamped_signature};
use crate::webhooks::AttemptInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KycEvent {
    Created,
    Success,
    Failure,
}

impl KycEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            KycEvent::Created => "KYC Created",
            KycEvent::Success => "KYC Success",
            KycEvent::Failure => "KYC Failure",
        }
    }
}

/// Queues `event` about `withdrawer` (nothing happens without a Coinflow webhook target).
pub fn emit(world: &mut World, event: KycEvent, withdrawer: &Withdrawer) {
    let now = world.clock.now_ms();
    let body = json!({
        "eventType": event.as_str(),
        "category": "KYC",
        "created": iso8601(now),
        "data": {
            "wallet": withdrawer.wallet,
            "blockchain": withdrawer.blockchain,
            "email": withdrawer.email,
        },
    });
    // Owned by the merchant, so its webhook logs list it (`webhook_logs`).
    world.webhooks.enqueue_owned(
        Vendor::Coinflow,
        &withdrawer.merchant_id,
        event.as_str(),
        &body,
        now,
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawEvent {
    Pending,
    Success,
    Failure,
}

impl WithdrawEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawEvent::Pending => "Withdraw Pending",
            WithdrawEvent::Success => "Withdraw Success",
            WithdrawEvent::Failure => "Withdraw Failure",
        }
    }
}

/// Queues `event` about `payout` (`WithdrawWebhookData`), created when the payout last changed:
/// a payout settled late (the clock moved past its due time) reports the moment it fell due.
pub fn emit_withdraw(world: &mut World, event: WithdrawEvent, payout: &Payout) {
    let now = world.clock.now_ms();
    let body = json!({
        "eventType": event.as_str(),
        "category": "Withdraw",
        "created": iso8601(payout.updated_ms),
        "data": payout.webhook_data(),
    });
    world.webhooks.enqueue_owned(
        Vendor::Coinflow,
        &payout.merchant_id,
        event.as_str(),
        &body,
        now,
    );
}

/// The merchant has one Webhook Validation Key: the first configured secret. Without one the
/// webhook goes out unauthenticated.
pub fn webhook_headers(
    secrets: &[String],
    attempt: &AttemptInfo,
    body: &[u8],
) -> Vec<(String, String)> {
    let Some(key) = secrets.first() else {
        return Vec::new();
    };
    vec![
        ("authorization".into(), key.clone()),
        (
            "coinflow-signature".into(),
            timestamped_signature(key, attempt.now_unix, body),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::hmac_sha256_hex;

    #[test]
    fn signature_covers_timestamp_and_body() {
        let attempt = AttemptInfo {
            number: 1,
            max_attempts: 3,
            now_unix: 1_700_000_000,
            first_attempt_unix: 1_700_000_000,
        };
        let headers = webhook_headers(&["key".into()], &attempt, b"{}");
        assert_eq!(headers[0], ("authorization".into(), "key".into()));
        assert_eq!(
            headers[1].1,
            format!(
                "t=1700000000,v1={}",
                hmac_sha256_hex("key", b"1700000000.{}")
            )
        );
        assert!(webhook_headers(&[], &attempt, b"{}").is_empty());
    }
}
