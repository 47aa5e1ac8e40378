//! How Bitmama signs the webhooks it sends (the KYC events themselves are built in `kyc`).

use crate::vendors::hmac_sha256_hex;
use crate::webhooks::AttemptInfo;

/// `X-Webhook-Signature`: hex HMAC-SHA256 of the exact body bytes under the partner's
/// `whsec_…` secret (no timestamp, as Bitmama documents). Unsigned when no secret is set.
pub fn webhook_headers(
    secrets: &[String],
    _attempt: &AttemptInfo,
    body: &[u8],
) -> Vec<(String, String)> {
    secrets
        .first()
        .map(|secret| {
            vec![(
                "X-Webhook-Signature".to_string(),
                hmac_sha256_hex(secret, body),
            )]
        })
        .unwrap_or_default()
}
