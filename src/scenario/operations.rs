//! The documented operation names and the outcome catalogue.
//!
//! An operation is either a *request* operation (one vendor route, recognised from the method
//! and routed path, so the router can apply raw answers, latency and faults without vendor code)
//! or an *event* operation (a moment inside a vendor the vendor asks about itself: an inquiry
//! being decided, a webhook attempt). Only request operations take `raw`, `latency_ms` and
//! `fault`; named outcomes exist where the catalogue lists them.

use serde::{Deserialize, Serialize};

use crate::vendors::Vendor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Every request to the vendor (not events): for latency and faults across the board.
    Any,
    /// Event, every vendor: one webhook delivery attempt is about to be sent.
    Webhook,
    // Persona
    CreateInquiry,
    ListInquiries,
    RetrieveInquiry,
    ApproveInquiry,
    DeclineInquiry,
    ExpireInquiry,
    ResumeInquiry,
    SimulateInquiryActions,
    ListEvents,
    RetrieveEvent,
    CreateShareToken,
    ListShareTokens,
    RetrieveShareToken,
    ExpireShareToken,
    RedeemShareToken,
    HostedPage,
    HostedSubmit,
    /// Event: an inquiry is completed and about to be decided.
    InquiryDecision,
    // Coinflow
    RegisterWithdrawer,
    GetWithdrawer,
    SessionKey,
    VerificationPage,
    VerificationSubmit,
    // Bitmama
    CreateUser,
    ListUsers,
    DeleteUser,
    RetryKyc,
    CreateCard,
    SetCardStatus,
    FundCard,
    WithdrawCard,
    TerminateCard,
    ListTransactions,
    GetWallet,
    SetWebhookUrl,
    SetRedirectUrl,
    KycReturn,
}

/// A named outcome; which ones an operation accepts is [`outcomes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    DuplicateUser,
    InsufficientBalance,
    ValidationError,
    UserNotApproved,
    Approved,
    Declined,
    NeedsReview,
    Failed,
    Expired,
    Pending,
    Rejected,
    MissingFields,
    Deliver,
    Fail,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        NAMES
            .iter()
            .find(|(op, _)| *op == self)
            .map_or("", |(_, n)| n)
    }

    /// Event operations are asked by vendor code; the rest are recognised from the request.
    pub fn is_event(self) -> bool {
        matches!(self, Operation::Webhook | Operation::InquiryDecision)
    }
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        OUTCOME_NAMES
            .iter()
            .find(|(o, _)| *o == self)
            .map_or("", |(_, n)| n)
    }
}

const NAMES: &[(Operation, &str)] = {
    use Operation::*;
    &[
        (Any, "any"),
        (Webhook, "webhook"),
        (CreateInquiry, "create_inquiry"),
        (ListInquiries, "list_inquiries"),
        (RetrieveInquiry, "retrieve_inquiry"),
        (ApproveInquiry, "approve_inquiry"),
        (DeclineInquiry, "decline_inquiry"),
        (ExpireInquiry, "expire_inquiry"),
        (ResumeInquiry, "resume_inquiry"),
        (SimulateInquiryActions, "simulate_inquiry_actions"),
        (ListEvents, "list_events"),
        (RetrieveEvent, "retrieve_event"),
        (CreateShareToken, "create_share_token"),
        (ListShareTokens, "list_share_tokens"),
        (RetrieveShareToken, "retrieve_share_token"),
        (ExpireShareToken, "expire_share_token"),
        (RedeemShareToken, "redeem_share_token"),
        (HostedPage, "hosted_page"),
        (HostedSubmit, "hosted_submit"),
        (InquiryDecision, "inquiry_decision"),
        (RegisterWithdrawer, "register_withdrawer"),
        (GetWithdrawer, "get_withdrawer"),
        (SessionKey, "session_key"),
        (VerificationPage, "verification_page"),
        (VerificationSubmit, "verification_submit"),
        (CreateUser, "create_user"),
        (ListUsers, "list_users"),
        (DeleteUser, "delete_user"),
        (RetryKyc, "retry_kyc"),
        (CreateCard, "create_card"),
        (SetCardStatus, "set_card_status"),
        (FundCard, "fund_card"),
        (WithdrawCard, "withdraw_card"),
        (TerminateCard, "terminate_card"),
        (ListTransactions, "list_transactions"),
        (GetWallet, "get_wallet"),
        (SetWebhookUrl, "set_webhook_url"),
        (SetRedirectUrl, "set_redirect_url"),
        (KycReturn, "kyc_return"),
    ]
};

const OUTCOME_NAMES: &[(Outcome, &str)] = {
    use Outcome::*;
    &[
        (Created, "created"),
        (DuplicateUser, "duplicate_user"),
        (InsufficientBalance, "insufficient_balance"),
        (ValidationError, "validation_error"),
        (UserNotApproved, "user_not_approved"),
        (Approved, "approved"),
        (Declined, "declined"),
        (NeedsReview, "needs_review"),
        (Failed, "failed"),
        (Expired, "expired"),
        (Pending, "pending"),
        (Rejected, "rejected"),
        (MissingFields, "missing_fields"),
        (Deliver, "deliver"),
        (Fail, "fail"),
    ]
};

/// The operations `vendor` has, in documentation order.
pub fn operations(vendor: Vendor) -> Vec<Operation> {
    use Operation::*;
    let own: &[Operation] = match vendor {
        Vendor::Persona => &[
            CreateInquiry,
            ListInquiries,
            RetrieveInquiry,
            ApproveInquiry,
            DeclineInquiry,
            ExpireInquiry,
            ResumeInquiry,
            SimulateInquiryActions,
            ListEvents,
            RetrieveEvent,
            CreateShareToken,
            ListShareTokens,
            RetrieveShareToken,
            ExpireShareToken,
            RedeemShareToken,
            HostedPage,
            HostedSubmit,
            InquiryDecision,
        ],
        Vendor::Coinflow => &[
            RegisterWithdrawer,
            GetWithdrawer,
            SessionKey,
            VerificationPage,
            VerificationSubmit,
        ],
        Vendor::Bitmama => &[
            CreateUser,
            ListUsers,
            DeleteUser,
            RetryKyc,
            CreateCard,
            SetCardStatus,
            FundCard,
            WithdrawCard,
            TerminateCard,
            ListTransactions,
            GetWallet,
            SetWebhookUrl,
            SetRedirectUrl,
            KycReturn,
        ],
    };
    let mut all = vec![Any, Webhook];
    all.extend_from_slice(own);
    all
}

/// The named outcomes `operation` of `vendor` accepts (empty: raw answers and faults only).
pub fn outcomes(vendor: Vendor, operation: Operation) -> &'static [Outcome] {
    use Outcome::*;
    match (vendor, operation) {
        (_, Operation::Webhook) => &[Deliver, Fail],
        (Vendor::Bitmama, Operation::CreateUser) => {
            &[Created, DuplicateUser, InsufficientBalance, ValidationError]
        }
        (Vendor::Bitmama, Operation::CreateCard) => {
            &[Created, InsufficientBalance, UserNotApproved]
        }
        (Vendor::Persona, Operation::InquiryDecision) => {
            &[Approved, Declined, NeedsReview, Failed, Expired]
        }
        (Vendor::Coinflow, Operation::RegisterWithdrawer | Operation::GetWithdrawer) => {
            &[Pending, Approved, Rejected, MissingFields]
        }
        _ => &[],
    }
}

/// Which request operation a routed request is, from its vendor, method and path (the
/// `/ns/NAME` prefix already removed). `None`: a route no operation names (only `any` matches).
pub fn classify(vendor: Vendor, method: &str, path: &str) -> Option<Operation> {
    use Operation::*;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let op = match (vendor, method, segments.as_slice()) {
        (Vendor::Persona, "POST", ["api", "v1", "inquiries"]) => CreateInquiry,
        (Vendor::Persona, "GET", ["api", "v1", "inquiries"]) => ListInquiries,
        (Vendor::Persona, "GET", ["api", "v1", "inquiries", _]) => RetrieveInquiry,
        (Vendor::Persona, "POST", ["api", "v1", "inquiries", _, action]) => match *action {
            "approve" => ApproveInquiry,
            "decline" => DeclineInquiry,
            "expire" => ExpireInquiry,
            "resume" => ResumeInquiry,
            "perform-simulate-actions" => SimulateInquiryActions,
            _ => return None,
        },
        (Vendor::Persona, "GET", ["api", "v1", "events"]) => ListEvents,
        (Vendor::Persona, "GET", ["api", "v1", "events", _]) => RetrieveEvent,
        (Vendor::Persona, "POST", ["api", "v1", "connect", "share-tokens"]) => CreateShareToken,
        (Vendor::Persona, "GET", ["api", "v1", "connect", "share-tokens"]) => ListShareTokens,
        (Vendor::Persona, "GET", ["api", "v1", "connect", "share-tokens", _]) => RetrieveShareToken,
        (Vendor::Persona, "POST", ["api", "v1", "connect", "share-tokens", _, "expire"]) => {
            ExpireShareToken
        }
        (Vendor::Persona, "POST", ["api", "v1", "connect", "share-tokens", _, "redeem"]) => {
            RedeemShareToken
        }
        (Vendor::Persona, "GET", ["verify" | "widget"]) => HostedPage,
        (Vendor::Persona, "POST", ["verify" | "widget", ..]) => HostedSubmit,
        (Vendor::Coinflow, "POST", ["api", "withdraw", "kyc"]) => RegisterWithdrawer,
        (Vendor::Coinflow, "POST", ["api", "withdraw", "kyc", "share-token" | "attested"]) => {
            RegisterWithdrawer
        }
        (Vendor::Coinflow, "GET", ["api", "withdraw"]) => GetWithdrawer,
        (Vendor::Coinflow, "GET", ["api", "auth", "session-key"]) => SessionKey,
        (Vendor::Coinflow, "GET", ["coinflow", "verify", _]) => VerificationPage,
        (Vendor::Coinflow, "POST", ["coinflow", "verify", _]) => VerificationSubmit,
        (Vendor::Bitmama, "POST", ["api", "v2", "partner", "card", "users"]) => CreateUser,
        (Vendor::Bitmama, "GET", ["api", "v1" | "v2", "partner", "card", "users"]) => ListUsers,
        (Vendor::Bitmama, "DELETE", ["api", "v1", "partner", "card", "users", _]) => DeleteUser,
        (Vendor::Bitmama, "POST", ["api", "v2", "partner", "card", "users", _, "retry-kyc"]) => {
            RetryKyc
        }
        (Vendor::Bitmama, "POST", ["api", "v1", "partner", "card"]) => CreateCard,
        (Vendor::Bitmama, "PATCH", ["api", "v1", "partner", "card"]) => SetCardStatus,
        (Vendor::Bitmama, "POST", ["api", "v1", "partner", "card", "fund"]) => FundCard,
        (Vendor::Bitmama, "POST", ["api", "v1", "partner", "card", "withdraw"]) => WithdrawCard,
        (Vendor::Bitmama, "DELETE", ["api", "v1", "partner", "card", "terminate", _]) => {
            TerminateCard
        }
        (Vendor::Bitmama, "GET", ["api", "v1", "partner", "card", "transactions"]) => {
            ListTransactions
        }
        (Vendor::Bitmama, "GET", ["api", "v1", "partner", "wallet"]) => GetWallet,
        (Vendor::Bitmama, "POST", ["api", "v1", "partner", "profile", "webhook"]) => SetWebhookUrl,
        (Vendor::Bitmama, "POST", ["api", "v1", "partner", "profile", "redirect-url"]) => {
            SetRedirectUrl
        }
        (Vendor::Bitmama, "GET", ["bitmama", "kyc", "return"]) => KycReturn,
        _ => return None,
    };
    Some(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_every_operation_belongs_to_a_vendor() {
        for (op, name) in NAMES {
            assert_eq!(serde_json::to_value(op).ok(), Some((*name).into()));
            assert_eq!(op.as_str(), *name);
            assert!(
                Vendor::ALL.iter().any(|v| operations(*v).contains(op)),
                "{name}"
            );
        }
        for (outcome, name) in OUTCOME_NAMES {
            assert_eq!(serde_json::to_value(outcome).ok(), Some((*name).into()));
        }
    }

    #[test]
    fn classifies_vendor_routes() {
        use Operation::*;
        let cases = [
            (
                Vendor::Bitmama,
                "POST",
                "/api/v2/partner/card/users",
                Some(CreateUser),
            ),
            (
                Vendor::Bitmama,
                "POST",
                "/api/v1/partner/card",
                Some(CreateCard),
            ),
            (
                Vendor::Coinflow,
                "GET",
                "/api/withdraw",
                Some(GetWithdrawer),
            ),
            (
                Vendor::Coinflow,
                "POST",
                "/api/withdraw/kyc/share-token",
                Some(RegisterWithdrawer),
            ),
            (
                Vendor::Persona,
                "POST",
                "/api/v1/inquiries/inq_1/approve",
                Some(ApproveInquiry),
            ),
            (
                Vendor::Persona,
                "POST",
                "/verify/submit",
                Some(HostedSubmit),
            ),
            (Vendor::Persona, "GET", "/api/v1/webhooks", None),
        ];
        for (vendor, method, path, expected) in cases {
            assert_eq!(classify(vendor, method, path), expected, "{method} {path}");
        }
    }
}
