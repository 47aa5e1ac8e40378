//! What a person can choose on the hosted page, and the statuses each choice walks through.

use crate::vendors::persona::InquiryStatus;

/// What a person can choose on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Pass,
    Fail,
    Approve,
    Decline,
    Review,
}

impl Outcome {
    pub(super) const ALL: [Outcome; 5] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Approve,
        Outcome::Decline,
        Outcome::Review,
    ];

    pub(super) fn form_value(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Approve => "approve",
            Outcome::Decline => "decline",
            Outcome::Review => "review",
        }
    }

    pub(super) fn parse(value: &str) -> Option<Outcome> {
        Self::ALL.into_iter().find(|o| o.form_value() == value)
    }

    /// The whole path from `created`.
    fn path(self) -> &'static [InquiryStatus] {
        use InquiryStatus::*;
        match self {
            Outcome::Pass => &[Pending, Completed],
            Outcome::Fail => &[Pending, Failed],
            Outcome::Approve => &[Pending, Completed, Approved],
            Outcome::Decline => &[Pending, Completed, Declined],
            Outcome::Review => &[Pending, Completed, NeedsReview],
        }
    }

    /// The statuses to move through from `from`, or `None` when this outcome is no longer
    /// possible (every step is checked against the state machine before anything moves).
    pub(super) fn steps_from(self, from: InquiryStatus) -> Option<Vec<InquiryStatus>> {
        let path = self.path();
        let steps: Vec<InquiryStatus> = match path.iter().position(|&s| s == from) {
            Some(i) => path[i + 1..].to_vec(),
            None if from == InquiryStatus::Created => path.to_vec(),
            // e.g. a decision taken on an inquiry that is in review
            None => path.last().map(|&last| vec![last]).unwrap_or_default(),
        };
        let mut at = from;
        for &step in &steps {
            if !at.can_move_to(step) {
                return None;
            }
            at = step;
        }
        (!steps.is_empty()).then_some(steps)
    }

    pub(super) fn label(self, from: InquiryStatus) -> &'static str {
        let passed = matches!(from, InquiryStatus::Completed | InquiryStatus::NeedsReview);
        match (self, passed) {
            (Outcome::Pass, _) => "Pass verification",
            (Outcome::Fail, _) => "Fail verification",
            (Outcome::Approve, false) => "Pass and approve",
            (Outcome::Decline, false) => "Pass and decline",
            (Outcome::Review, false) => "Pass and mark for review",
            (Outcome::Approve, true) => "Approve",
            (Outcome::Decline, true) => "Decline",
            (Outcome::Review, true) => "Mark for review",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InquiryStatus::*;

    #[test]
    fn outcomes_follow_the_state_machine() {
        assert_eq!(
            Outcome::Pass.steps_from(Created),
            Some(vec![Pending, Completed])
        );
        assert_eq!(Outcome::Fail.steps_from(Pending), Some(vec![Failed]));
        assert_eq!(
            Outcome::Approve.steps_from(Created),
            Some(vec![Pending, Completed, Approved])
        );
        assert_eq!(Outcome::Decline.steps_from(Completed), Some(vec![Declined]));
        assert_eq!(
            Outcome::Approve.steps_from(NeedsReview),
            Some(vec![Approved])
        );
        assert_eq!(Outcome::Review.steps_from(NeedsReview), None);
        assert_eq!(Outcome::Pass.steps_from(Completed), None);
        for status in [Failed, Expired, Approved, Declined] {
            assert!(
                Outcome::ALL.iter().all(|o| o.steps_from(status).is_none()),
                "{status} is final"
            );
        }
    }
}
