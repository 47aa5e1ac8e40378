//! [`Rare`]: the fields of an inquiry most inquiries never set, boxed behind
//! [`Inquiry::rare`](super::model::Inquiry::rare).

use serde::{Deserialize, Serialize};

use super::entities::VerificationKind;
use super::model::{Intervals, ScheduledDecision};
use crate::clock::Millis;

/// An inquiry's fields most inquiries never set (read with [`Inquiry::rare`](super::model::Inquiry::rare)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rare {
    pub reviewer_comment: Option<String>,
    /// The last session token `resume` handed out.
    pub session_token: Option<String>,
    pub completed_at: Option<Millis>,
    pub failed_at: Option<Millis>,
    pub marked_for_review_at: Option<Millis>,
    pub decisioned_at: Option<Millis>,
    pub expired_at: Option<Millis>,
    /// A scenario's `inquiry_decision` with `after_seconds`: the status the inquiry moves to
    /// when it is due (applied lazily by `settle`). Any other move clears it.
    pub scheduled_decision: Option<ScheduledDecision>,
    /// When `DELETE /inquiries/{id}` redacted it (its fields are gone).
    #[serde(default)]
    pub redacted_at: Option<Millis>,
    /// The verification a scenario made fail while the others pass (`selfie_mismatch`).
    #[serde(default)]
    pub failing_verification: Option<VerificationKind>,
    /// The intervals its creation set (`None`: Persona's defaults).
    #[serde(default)]
    pub intervals: Option<Intervals>,
}

/// What an inquiry without rare fields reads.
pub(super) static NO_RARE: Rare = Rare {
    reviewer_comment: None,
    session_token: None,
    completed_at: None,
    failed_at: None,
    marked_for_review_at: None,
    decisioned_at: None,
    expired_at: None,
    scheduled_decision: None,
    redacted_at: None,
    failing_verification: None,
    intervals: None,
};

impl Rare {
    /// `None` when nothing is set (what [`Inquiry::rare`](super::model::Inquiry::rare) keeps).
    pub fn boxed(self) -> Option<Box<Rare>> {
        (self != NO_RARE).then(|| Box::new(self))
    }
}

/// [`Inquiry::rare`](super::model::Inquiry::rare) as flat fields: all of them written (`null` when unset), a box only when
/// one is set.
pub(super) mod saved {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{NO_RARE, Rare};

    pub fn serialize<S: Serializer>(rare: &Option<Box<Rare>>, s: S) -> Result<S::Ok, S::Error> {
        rare.as_deref().unwrap_or(&NO_RARE).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<Rare>>, D::Error> {
        Rare::deserialize(d).map(Rare::boxed)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::vendors::persona::model::Inquiry;

    #[derive(Serialize, Deserialize)]
    struct Saved {
        id: u8,
        #[serde(flatten, with = "saved")]
        rare: Option<Box<Rare>>,
    }

    /// Every rare field is saved, `null` when unset, as the flat fields were; a saved inquiry
    /// with none set (or an older one without the last two) loads without a box.
    #[test]
    fn saved_flat_and_boxed_only_when_set() {
        let none = serde_json::to_value(Saved { id: 1, rare: None }).unwrap_or(Value::Null);
        let keys = [
            "reviewer_comment",
            "session_token",
            "completed_at",
            "failed_at",
            "marked_for_review_at",
            "decisioned_at",
            "expired_at",
            "scheduled_decision",
            "redacted_at",
            "failing_verification",
            "intervals",
        ];
        assert_eq!(none.as_object().map(|o| o.len()), Some(keys.len() + 1));
        assert!(keys.iter().all(|k| none[k].is_null()));
        let loaded: Option<Saved> = serde_json::from_value(none).ok();
        assert!(loaded.is_some_and(|s| s.rare.is_none()));
        let old = json!({"id": 2, "completed_at": 5});
        let loaded: Option<Saved> = serde_json::from_value(old).ok();
        let completed = loaded.and_then(|s| s.rare).and_then(|r| r.completed_at);
        assert_eq!(completed, Some(5));
    }

    /// The inquiry without its rare fields: 288 bytes with its two ids inline (about 440 with
    /// the rare fields inline).
    #[test]
    fn an_inquiry_is_small() {
        assert!(size_of::<Inquiry>() <= 288, "{}", size_of::<Inquiry>());
        assert_eq!(Rare::default().boxed(), None);
    }
}
