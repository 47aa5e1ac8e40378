//! Magic values: email addresses that pick an outcome without any scenario, the way the vendors'
//! own sandboxes use test values. A word after `+` in the local part (`jo+declined@example.com`)
//! steers the operations below exactly as a scenario rule naming that outcome would; a scenario
//! rule that decides an outcome (or answers raw, or faults) wins.
//!
//! The word is the letters right after a `+`: anything after them is ignored, so
//! `jo+declined-2@example.com` and `jo+declined7@example.com` are distinct emails with the same
//! effect. Case does not matter.
//!
//! | word | bitmama `create_user` | persona `inquiry_decision` | coinflow `register_withdrawer` |
//! |---|---|---|---|
//! | `duplicate` | `duplicate_user` (400 `DUP_USER`) | | |
//! | `insufficient` | `insufficient_balance` (402) | | |
//! | `declined`, `rejected` | | `declined` | `rejected` |
//! | `review` | | `needs_review` | `pending` |
//! | `pending` | | `approved` after [`PENDING_SECONDS`] of sandbox time | `pending` |
//! | `missing` | | | `missing_fields` (every required field) |
//!
//! The email is read from the subject's body: `email`, `emailAddress`, `email-address`,
//! `email_address`, `info.email`, or `fields.email-address` (plain or `{"value": ...}`), so a
//! request body and a Persona inquiry's attributes both work. A Bitmama card user's inquiry is
//! prefilled with the user's email, so `+declined@` on the user declines its KYC.

use serde_json::Value;

use super::{Operation, Outcome, Steer, Subject, Timing};
use crate::vendors::Vendor;

/// How long `+pending@` holds a Persona decision: the `pending-verification` scenario's delay.
pub const PENDING_SECONDS: f64 = 300.0;

/// The fields `+missing@` asks Coinflow for: all of Get Withdrawer's required fields.
pub const MISSING_FIELDS: [&str; 8] = [
    "firstName",
    "surName",
    "dob",
    "physicalAddress",
    "city",
    "state",
    "zip",
    "country",
];

/// Body paths an email is looked for at, in order.
const EMAIL_PATHS: &[&[&str]] = &[
    &["email"],
    &["emailAddress"],
    &["email-address"],
    &["email_address"],
    &["info", "email"],
    &["fields", "email-address", "value"],
    &["fields", "email-address"],
];

/// The outcome a magic email in `subject` picks for `operation`, if any.
pub fn steer(vendor: Vendor, operation: Operation, subject: &Subject) -> Option<Steer> {
    let email = email_of(subject)?;
    words(email).find_map(|word| outcome(vendor, operation, &word))
}

/// The first email-looking string at one of [`EMAIL_PATHS`].
pub fn email_of(subject: &Subject) -> Option<&str> {
    EMAIL_PATHS.iter().find_map(|path| {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        match subject.body_at(&path) {
            Some(Value::String(s)) if s.contains('@') => Some(s.as_str()),
            _ => None,
        }
    })
}

/// The lowercased leading letters of each `+` tag of the local part.
fn words(email: &str) -> impl Iterator<Item = String> + '_ {
    let local = email.rsplit_once('@').map_or(email, |(local, _)| local);
    local.split('+').skip(1).map(|tag| {
        tag.chars()
            .take_while(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_ascii_lowercase()
    })
}

fn outcome(vendor: Vendor, operation: Operation, word: &str) -> Option<Steer> {
    use Operation::{CreateUser, InquiryDecision, RegisterWithdrawer};
    let now = |outcome| Steer {
        outcome,
        fields: Vec::new(),
        timing: Timing::Now,
    };
    let steer = match (vendor, operation, word) {
        (Vendor::Bitmama, CreateUser, "duplicate") => now(Outcome::DuplicateUser),
        (Vendor::Bitmama, CreateUser, "insufficient") => now(Outcome::InsufficientBalance),
        (Vendor::Persona, InquiryDecision, "declined" | "rejected") => now(Outcome::Declined),
        (Vendor::Persona, InquiryDecision, "review") => now(Outcome::NeedsReview),
        (Vendor::Persona, InquiryDecision, "pending") => Steer {
            timing: Timing::AfterSeconds(PENDING_SECONDS),
            ..now(Outcome::Approved)
        },
        (Vendor::Coinflow, RegisterWithdrawer, "declined" | "rejected") => now(Outcome::Rejected),
        (Vendor::Coinflow, RegisterWithdrawer, "review" | "pending") => now(Outcome::Pending),
        (Vendor::Coinflow, RegisterWithdrawer, "missing") => Steer {
            fields: MISSING_FIELDS.iter().map(|f| f.to_string()).collect(),
            ..now(Outcome::MissingFields)
        },
        _ => return None,
    };
    Some(steer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decide(vendor: Vendor, operation: Operation, body: Value) -> Option<Outcome> {
        steer(vendor, operation, &Subject::from_json(body)).map(|s| s.outcome)
    }

    #[test]
    fn words_after_plus_pick_outcomes_per_operation() {
        let bitmama = |email: &str| {
            decide(
                Vendor::Bitmama,
                Operation::CreateUser,
                json!({"email": email}),
            )
        };
        assert_eq!(bitmama("jo+duplicate@x.com"), Some(Outcome::DuplicateUser));
        assert_eq!(
            bitmama("JO+Insufficient-2@x.com"),
            Some(Outcome::InsufficientBalance)
        );
        assert_eq!(
            bitmama("jo+work+duplicate7@x.com"),
            Some(Outcome::DuplicateUser)
        );
        for plain in [
            "jo@x.com",
            "jo+duplicates@x.com",
            "duplicate@x.com",
            "jo+@x.com",
        ] {
            assert_eq!(bitmama(plain), None, "{plain}");
        }
        // The domain is not the local part.
        assert_eq!(bitmama("jo@x+duplicate.com"), None);
        // A word only steers the operations it is documented for.
        assert_eq!(
            decide(
                Vendor::Bitmama,
                Operation::CreateCard,
                json!({"email": "a+duplicate@x.com"})
            ),
            None
        );
        assert_eq!(
            decide(
                Vendor::Coinflow,
                Operation::RegisterWithdrawer,
                json!({"info": {"email": "a+declined@x.com"}})
            ),
            Some(Outcome::Rejected)
        );
    }

    #[test]
    fn persona_reads_the_inquiry_attributes() {
        let attributes = |email: &str| {
            json!({"status": "completed", "email-address": email,
                   "fields": {"email-address": {"type": "string", "value": email}}})
        };
        let op = Operation::InquiryDecision;
        assert_eq!(
            decide(Vendor::Persona, op, attributes("a+review@x.com")),
            Some(Outcome::NeedsReview)
        );
        let only_fields = json!({"fields": {"email-address": {"value": "a+declined@x.com"}}});
        assert_eq!(
            decide(Vendor::Persona, op, only_fields),
            Some(Outcome::Declined)
        );
        let pending = steer(
            Vendor::Persona,
            op,
            &Subject::from_json(attributes("a+pending@x.com")),
        )
        .expect("steered");
        assert_eq!(pending.outcome, Outcome::Approved);
        assert_eq!(pending.due_at_ms(0), Some(300_000));
        assert_eq!(
            decide(Vendor::Persona, op, json!({"email-address": null})),
            None
        );
    }
}
