//! Operations, outcomes and the vocabulary: what the engine knows of the vendors, handed to it by
//! the vendor layer (`crate::vendors::vocabulary`), so the engine itself names no vendor's route,
//! outcome, magic word or seed.
//!
//! An operation is either a *request* operation (one row of a vendor's route table, recognised
//! by the router, so raw answers, latency and faults apply without vendor code) or an *event*
//! operation (a moment inside a vendor the vendor asks about itself: an inquiry being decided, a
//! webhook attempt). Only request operations take `raw`, `latency_ms` and `fault`; named
//! outcomes exist where the vendor lists them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Steer;
use crate::store::World;
use crate::vendor::Vendor;

/// An operation name as scenario files write it (`create_user`), and whether it is an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    pub name: &'static str,
    pub event: bool,
}

impl Operation {
    /// Every request to the vendor (not events): for latency and faults across the board.
    pub const ANY: Operation = Operation::request("any");
    /// Event, every vendor: one webhook delivery attempt is about to be sent.
    pub const WEBHOOK: Operation = Operation::event("webhook");

    pub const fn request(name: &'static str) -> Operation {
        Operation { name, event: false }
    }

    pub const fn event(name: &'static str) -> Operation {
        Operation { name, event: true }
    }

    pub fn as_str(self) -> &'static str {
        self.name
    }

    /// Event operations are asked by vendor code; the rest are recognised from the request.
    pub fn is_event(self) -> bool {
        self.event
    }
}

impl Serialize for Operation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name)
    }
}

/// A named outcome; which ones an operation accepts is its vendor's to say.
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
    /// An inquiry whose selfie does not match its ID: that verification fails, the others
    /// pass, and the inquiry needs review.
    SelfieMismatch,
    Failed,
    Expired,
    Pending,
    Rejected,
    MissingFields,
    Deliver,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        OUTCOME_NAMES
            .iter()
            .find(|(o, _)| *o == self)
            .map_or("", |(_, n)| n)
    }
}

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
        (SelfieMismatch, "selfie_mismatch"),
        (Failed, "failed"),
        (Expired, "expired"),
        (Pending, "pending"),
        (Rejected, "rejected"),
        (MissingFields, "missing_fields"),
        (Deliver, "deliver"),
        (Fail, "fail"),
    ]
};

/// One operation a vendor offers scenario files, and the named outcomes it accepts (empty: raw
/// answers and faults only).
#[derive(Debug, Clone, Copy)]
pub struct OperationTerms {
    pub operation: Operation,
    pub outcomes: &'static [Outcome],
}

/// What the engine knows of one vendor.
pub struct VendorTerms {
    pub vendor: Vendor,
    /// Its request operations (one per route-table row that names one) and event operations,
    /// in documentation order.
    pub operations: Vec<OperationTerms>,
    /// The outcome a magic word (`jo+declined@…`) picks for an operation, if any.
    pub magic: fn(operation: Operation, word: &str) -> Option<Steer>,
    /// Every problem of the vendor's section of a scenario's `initial_state`, given as text.
    pub check_seed: fn(&str) -> Vec<super::parse::SectionProblem>,
    /// Seeds the vendor's part of a namespace from that (already checked) section.
    pub seed: fn(&mut World, &Value),
    /// The field names its `missing_fields` outcome may name.
    pub missing_fields: &'static [&'static str],
}

/// What the engine knows of every vendor.
pub struct Vocabulary {
    pub vendors: Vec<VendorTerms>,
}

impl Vocabulary {
    pub fn vendor(&self, vendor: Vendor) -> Option<&VendorTerms> {
        self.vendors.iter().find(|v| v.vendor == vendor)
    }

    /// Every operation `vendor` has, `any` and `webhook` first.
    pub fn operations(&self, vendor: Vendor) -> Vec<Operation> {
        let own = self.vendor(vendor).into_iter().flat_map(|v| &v.operations);
        [Operation::ANY, Operation::WEBHOOK]
            .into_iter()
            .chain(own.map(|t| t.operation))
            .collect()
    }

    /// `vendor`'s operation called `name`.
    pub fn operation(&self, vendor: Vendor, name: &str) -> Option<Operation> {
        self.operations(vendor).into_iter().find(|o| o.name == name)
    }

    /// The named outcomes `operation` of `vendor` accepts.
    pub fn outcomes(&self, vendor: Vendor, operation: Operation) -> &'static [Outcome] {
        if operation == Operation::WEBHOOK {
            return &[Outcome::Deliver, Outcome::Fail];
        }
        self.vendor(vendor)
            .and_then(|v| v.operations.iter().find(|t| t.operation == operation))
            .map_or(&[], |t| t.outcomes)
    }

    /// Every operation name of every vendor, sorted and deduplicated: what `scenarios/schema.json`
    /// lists.
    pub fn all_operation_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&str> = self
            .vendors
            .iter()
            .flat_map(|v| self.operations(v.vendor))
            .map(Operation::as_str)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_names_match_serde() {
        for (outcome, name) in OUTCOME_NAMES {
            assert_eq!(serde_json::to_value(outcome).ok(), Some((*name).into()));
            assert_eq!(outcome.as_str(), *name);
        }
    }

    #[test]
    fn every_vendor_operation_is_named_once() {
        let vocabulary = crate::vendors::vocabulary();
        for terms in &vocabulary.vendors {
            let names: Vec<&str> = vocabulary
                .operations(terms.vendor)
                .iter()
                .map(|o| o.name)
                .collect();
            for (i, name) in names.iter().enumerate() {
                assert!(!names[i + 1..].contains(name), "{} {name}", terms.vendor);
                assert!(
                    name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{name}"
                );
            }
        }
    }
}
