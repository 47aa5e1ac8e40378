//! An inquiry's status and the transitions Persona allows between them.

use serde::{Deserialize, Serialize};

/// An inquiry's status (vendors.md 1.5). `as_str` is the wire form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InquiryStatus {
    Created,
    Pending,
    Completed,
    Failed,
    Expired,
    NeedsReview,
    Approved,
    Declined,
}

impl InquiryStatus {
    pub const ALL: [InquiryStatus; 8] = [
        InquiryStatus::Created,
        InquiryStatus::Pending,
        InquiryStatus::Completed,
        InquiryStatus::Failed,
        InquiryStatus::Expired,
        InquiryStatus::NeedsReview,
        InquiryStatus::Approved,
        InquiryStatus::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InquiryStatus::Created => "created",
            InquiryStatus::Pending => "pending",
            InquiryStatus::Completed => "completed",
            InquiryStatus::Failed => "failed",
            InquiryStatus::Expired => "expired",
            InquiryStatus::NeedsReview => "needs_review",
            InquiryStatus::Approved => "approved",
            InquiryStatus::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<InquiryStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The event Persona fires when an inquiry enters this status.
    pub fn event_name(self) -> &'static str {
        match self {
            InquiryStatus::Created => "inquiry.created",
            InquiryStatus::Pending => "inquiry.started",
            InquiryStatus::Completed => "inquiry.completed",
            InquiryStatus::Failed => "inquiry.failed",
            InquiryStatus::Expired => "inquiry.expired",
            InquiryStatus::NeedsReview => "inquiry.marked-for-review",
            InquiryStatus::Approved => "inquiry.approved",
            InquiryStatus::Declined => "inquiry.declined",
        }
    }

    /// Whether the state machine allows `self → to` (vendors.md 1.5; `expired → pending` is
    /// what `resume` does).
    pub fn can_move_to(self, to: InquiryStatus) -> bool {
        use InquiryStatus::*;
        matches!(
            (self, to),
            (Created, Pending)
                | (Pending, Completed | Failed)
                | (Completed, Approved | Declined | NeedsReview)
                | (NeedsReview, Approved | Declined)
                | (Created | Pending, Expired)
                | (Expired, Pending)
        )
    }

    /// The verb of the action that leads here, for error messages ("cannot be approved").
    pub fn verb(self) -> &'static str {
        match self {
            InquiryStatus::Created => "created",
            InquiryStatus::Pending => "started",
            InquiryStatus::Completed => "completed",
            InquiryStatus::Failed => "failed",
            InquiryStatus::Expired => "expired",
            InquiryStatus::NeedsReview => "marked for review",
            InquiryStatus::Approved => "approved",
            InquiryStatus::Declined => "declined",
        }
    }
}

impl std::fmt::Display for InquiryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
