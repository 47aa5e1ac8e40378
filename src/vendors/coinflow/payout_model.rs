//! Coinflow's payout data: a withdrawer's payout methods (bank accounts, debit cards), the
//! merchants' payout balances and the payouts themselves. Money is in integer cents (USD).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::{Millis, iso8601};

/// A bank account added with `POST /api/withdraw/account` (or `/v2`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BankAccount {
    /// What a payout names as its `account`.
    pub token: String,
    pub alias: String,
    pub routing_number: String,
    pub last4: String,
    pub account_type: String,
    pub account_hash: String,
    pub reference: String,
    pub holder: Option<String>,
    pub deleted: bool,
    pub created_ms: Millis,
}

impl BankAccount {
    pub fn to_json(&self) -> Value {
        json!({
            "last4": self.last4,
            "accountHash": self.account_hash,
            "alias": self.alias,
            "token": self.token,
            "reference": self.reference,
            "isDeleted": self.deleted,
            "isTokenized": true,
        })
    }
}

/// A debit card added with `POST /api/withdraw/debit-card`, by its tokenization token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    pub token: String,
    pub last4: String,
    /// `VISA`, `MSTR`, `AMEX` or `DISC`.
    pub network: String,
    pub exp_month: String,
    pub exp_year: String,
    pub deleted: bool,
    pub created_ms: Millis,
}

impl Card {
    /// Whether the card is past its expiry at sandbox time `now`.
    pub fn expired(&self, now: Millis) -> bool {
        match (self.exp_month.parse(), self.exp_year.parse()) {
            (Ok(month), Ok(year)) => card_expired(month, year, now),
            // Checked when added; a card whose expiry cannot be read is not refused for it.
            _ => false,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "last4": self.last4,
            "token": self.token,
            "type": self.network,
            "disbursementStatus": "Immediate",
            "createdAt": iso8601(self.created_ms),
            "currency": "USD",
            "expMonth": self.exp_month,
            "expYear": self.exp_year,
            "isDeleted": self.deleted,
        })
    }
}

/// The speeds the sandbox pays out at (Coinflow's `WithdrawSpeed` has more; they quote a zero
/// limit here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speed {
    Standard,
    SameDay,
    Asap,
    Card,
}

impl Speed {
    pub const ALL: [Speed; 4] = [Speed::Standard, Speed::SameDay, Speed::Asap, Speed::Card];

    pub fn as_str(self) -> &'static str {
        match self {
            Speed::Standard => "standard",
            Speed::SameDay => "same_day",
            Speed::Asap => "asap",
            Speed::Card => "card",
        }
    }

    pub fn parse(s: &str) -> Option<Speed> {
        Speed::ALL.into_iter().find(|speed| speed.as_str() == s)
    }

    /// The fee for paying out `cents` at this speed, in cents (paid by the merchant).
    pub fn fee_cents(self, cents: i64) -> i64 {
        match self {
            Speed::Standard => 25,
            Speed::SameDay => 100,
            // 150 cents plus 0.5 %, rounded up.
            Speed::Asap => 150 + (cents.max(0) * 5 + 999) / 1000,
            // 50 cents plus 1.5 %, rounded up.
            Speed::Card => 50 + (cents.max(0) * 15 + 999) / 1000,
        }
    }

    /// The largest payout at this speed, in cents.
    pub fn limit_cents(self) -> i64 {
        match self {
            Speed::Standard | Speed::SameDay => 2_500_000,
            Speed::Asap => 1_000_000,
            Speed::Card => 500_000,
        }
    }

    /// How long, in sandbox time, a payout at this speed stays `pending`.
    pub fn settles_after_ms(self) -> Millis {
        match self {
            Speed::Standard => 72 * 3600 * 1000,
            Speed::SameDay => 4 * 3600 * 1000,
            Speed::Asap => 10 * 1000,
            Speed::Card => 60 * 1000,
        }
    }

    /// A bank account is paid at standard, same_day or asap; a card at card.
    pub fn fits(self, kind: AccountKind) -> bool {
        matches!(
            (self, kind),
            (Speed::Card, AccountKind::Card)
                | (
                    Speed::Standard | Speed::SameDay | Speed::Asap,
                    AccountKind::Bank
                )
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Bank,
    Card,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    Pending,
    Completed,
    Failed,
}

impl PayoutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Pending => "pending",
            PayoutStatus::Completed => "completed",
            PayoutStatus::Failed => "failed",
        }
    }
}

/// How a payout ends once due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutEnd {
    Succeed,
    /// The bank returned it.
    Fail,
    /// Never settles.
    StayPending,
}

/// One delegated payout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payout {
    /// `transferId`.
    pub id: String,
    /// `transaction` / the webhook's `signature`.
    pub signature: String,
    pub merchant_key: String,
    pub merchant_id: String,
    pub withdrawer_id: String,
    pub user_id: String,
    pub wallet: String,
    pub blockchain: String,
    pub account_token: String,
    pub kind: AccountKind,
    pub speed: Speed,
    pub amount_cents: i64,
    pub fee_cents: i64,
    pub idempotency_key: String,
    pub status: PayoutStatus,
    pub end: PayoutEnd,
    /// When it settles (succeeds or fails).
    pub due_ms: Millis,
    pub expected_delivery_ms: Millis,
    pub failure: Option<String>,
    pub created_ms: Millis,
    pub updated_ms: Millis,
}

fn cc(cents: i64) -> Value {
    json!({"cents": cents, "currency": "USD"})
}

impl Payout {
    /// Whether a request under this payout's idempotency key asks for this same payout: the
    /// same user, account, speed and amount. Another payout under a used key is refused
    /// (Coinflow documents no answer for it; returning this one would tell the caller a payout
    /// went out that did not).
    pub fn is_same(&self, user_id: &str, account: &str, speed: &str, cents: i64) -> bool {
        self.user_id == user_id
            && self.account_token == account
            && self.speed.as_str() == speed
            && self.amount_cents == cents
    }

    /// The spec's `IWithdraw`.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "withdrawer": self.withdrawer_id,
            "transferId": self.id,
            "wallet": self.wallet,
            "blockchain": self.blockchain,
            "transaction": self.signature,
            "accountId": self.account_token,
            "amount": cc(self.amount_cents),
            "usdToForeignExchangeRate": 1,
            "userPaidFees": {"swapFees": cc(0), "gasFees": cc(0), "fees": cc(0)},
            "merchantPaidFees": {"swapFees": cc(0), "gasFees": cc(0), "fees": cc(self.fee_cents)},
            "status": self.status.as_str(),
            "expectedDeliveryDate": iso8601(self.expected_delivery_ms),
            // A reference to the merchant's document, as the withdrawer's `merchant` is.
            "merchant": super::auth::merchant_object_id(&self.merchant_id),
            "createdAt": iso8601(self.created_ms),
            "updatedAt": iso8601(self.updated_ms),
            "speed": self.speed.as_str(),
            "provider": PROVIDER,
            "userId": self.user_id,
            "idempotencyKey": self.idempotency_key,
            "payoutInitiated": true,
        });
        if let (Some(reason), Value::Object(map)) = (&self.failure, &mut v) {
            map.insert("detailMessage".into(), json!(reason));
            map.insert("returnStatus".into(), json!("return_completed"));
            map.insert("returnedAt".into(), json!(iso8601(self.updated_ms)));
        }
        v
    }

    /// The spec's `WithdrawWebhookData`: the merchant pays the fees; `total` is what the
    /// merchant was debited.
    pub fn webhook_data(&self) -> Value {
        json!({
            "wallet": self.wallet,
            "blockchain": self.blockchain,
            "signature": self.signature,
            "userFees": cc(0),
            "userGasFees": cc(0),
            "userCustomFees": cc(0),
            "merchantFees": cc(self.fee_cents),
            "merchantGasFees": cc(0),
            "total": cc(self.amount_cents + self.fee_cents),
            "currency": "USD",
            "merchantId": self.merchant_id,
            "userId": self.user_id,
            "idempotencyKey": self.idempotency_key,
        })
    }
}

/// Who pays a payout out here: every payout's `provider`, what Get Withdraws' `provider` filter
/// matches.
pub const PROVIDER: &str = "sandbox";

/// The ABA routing number checksum: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10).
pub fn aba_valid(routing: &str) -> bool {
    let digits: Vec<u32> = routing.chars().filter_map(|c| c.to_digit(10)).collect();
    if routing.len() != 9 || digits.len() != 9 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| d * [3, 7, 1][i % 3])
        .sum();
    sum.is_multiple_of(10)
}

/// Whether a card expiring in `month` of `20yy` (`yy` = `year`, as the card shows it) is past
/// its expiry at `now`: a card is good through the last day of its expiry month (UTC).
pub fn card_expired(month: u32, year: u32, now: Millis) -> bool {
    use chrono::Datelike;
    let Some(today) = chrono::DateTime::from_timestamp_millis(now) else {
        return false;
    };
    (2000 + i64::from(year), month) < (i64::from(today.year()), today.month())
}

/// The card network of a tokenized card (`sixTOKENfour`: the first six digits are the BIN).
pub fn card_network(token: &str) -> Option<&'static str> {
    let bin: u32 = token.get(..6)?.parse().ok()?;
    let two = bin / 10_000;
    let four = bin / 100;
    Some(match bin {
        _ if bin / 100_000 == 4 => "VISA",
        _ if (51..=55).contains(&two) || (2221..=2720).contains(&four) => "MSTR",
        _ if two == 34 || two == 37 => "AMEX",
        _ if four == 6011 || two == 65 => "DISC",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aba_checksum() {
        for good in ["021000021", "011000015", "111000025", "122105278"] {
            assert!(aba_valid(good), "{good}");
        }
        for bad in ["021000022", "12345678", "0210000210", "02100002a"] {
            assert!(!aba_valid(bad), "{bad}");
        }
    }

    #[test]
    fn networks_from_the_bin() {
        assert_eq!(card_network("411111abcdef1111"), Some("VISA"));
        assert_eq!(card_network("555555abcdef4444"), Some("MSTR"));
        assert_eq!(card_network("378282abcde0005"), Some("AMEX"));
        assert_eq!(card_network("601111abcdef1117"), Some("DISC"));
        assert_eq!(card_network("123456abcdef1111"), None);
        assert_eq!(card_network("41é"), None);
    }

    #[test]
    fn a_card_is_good_through_its_expiry_month() {
        // 2026-03-15T00:00:00Z
        let now = 1_773_532_800_000;
        assert!(!card_expired(3, 26, now));
        assert!(!card_expired(1, 27, now));
        assert!(card_expired(2, 26, now));
        assert!(card_expired(12, 25, now));
        assert!(card_expired(1, 20, now));
        // 2026-03-31T23:59:59.999Z, then 2026-04-01.
        assert!(!card_expired(3, 26, 1_775_001_599_999));
        assert!(card_expired(3, 26, 1_775_001_600_000));
    }

    #[test]
    fn fees_round_up() {
        assert_eq!(Speed::Standard.fee_cents(10_000), 25);
        assert_eq!(Speed::Asap.fee_cents(10_001), 150 + 51);
        assert_eq!(Speed::Card.fee_cents(10_000), 50 + 150);
    }
}
