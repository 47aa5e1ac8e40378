//! The forms of the ids Bitmama issues, which its two API generations write differently.

use crate::config::BitmamaWebhookStyle;

/// What comes between a partner's slug and the 15 alphanumerics of an id Bitmama issues, in
/// the API generation `--bitmama-webhook-style` picks (vendors.md 3.1): the older generation's
/// `acme-rain-user-…`, the current one's `acme-user-…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdForms {
    pub user: &'static str,
    pub card: &'static str,
    pub transaction: &'static str,
}

impl IdForms {
    pub const fn of(style: BitmamaWebhookStyle) -> Self {
        match style {
            BitmamaWebhookStyle::Legacy => Self {
                user: "-rain-user-",
                card: "-rain-card-",
                transaction: "-rain-card-transactions-",
            },
            BitmamaWebhookStyle::Current => Self {
                user: "-user-",
                card: "-card-",
                transaction: "-card-transactions-",
            },
        }
    }
}

impl Default for IdForms {
    fn default() -> Self {
        Self::of(BitmamaWebhookStyle::default())
    }
}
