//! A card user, its texts joined in one allocation.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use super::{Program, UserStatus};
use crate::clock::Millis;

/// A card user's fields as given and as saved: `CardUserFields<String>` makes a [`CardUser`]
/// (and is what a state file holds), `CardUserFields<&str>` is how one is written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardUserFields<S> {
    pub service_id: S,
    pub first_name: S,
    pub last_name: S,
    pub email: S,
    pub phone_number: S,
    pub account_purpose: S,
    pub ip_address: S,
    pub program: Program,
    pub wallet_address: Option<S>,
    pub redirect_url: Option<S>,
    pub status: UserStatus,
    /// The Persona inquiry currently deciding this user's KYC (a new one on each retry).
    pub inquiry_id: S,
    pub verification_url: S,
    pub retry_count: u32,
    pub created_at: Millis,
    pub last_card_created_at: Option<Millis>,
}

/// The texts of a card user, in [`CardUser::text`]'s order.
#[derive(Clone, Copy)]
enum Part {
    ServiceId,
    FirstName,
    LastName,
    Email,
    PhoneNumber,
    AccountPurpose,
    IpAddress,
    WalletAddress,
    RedirectUrl,
    InquiryId,
    VerificationUrl,
}

const PARTS: usize = Part::VerificationUrl as usize + 1;

/// A card user. A partner keeps one per user it ever created, so its eleven texts are joined in
/// one allocation (eleven `String`s were eleven allocations and 264 bytes of pointers, about
/// half of a user's Bitmama memory); the state file sees the fields ([`CardUserFields`]).
#[derive(Debug, Clone)]
pub struct CardUser {
    /// Every text, one after the other; `ends` says where each stops.
    text: Box<str>,
    ends: [u32; PARTS],
    /// Whether `wallet_address` (bit 0) and `redirect_url` (bit 1) were given.
    given: u8,
    pub program: Program,
    pub status: UserStatus,
    pub retry_count: u32,
    pub created_at: Millis,
    pub last_card_created_at: Option<Millis>,
}

impl<S: AsRef<str>> From<CardUserFields<S>> for CardUser {
    fn from(f: CardUserFields<S>) -> Self {
        let parts = [
            f.service_id.as_ref(),
            f.first_name.as_ref(),
            f.last_name.as_ref(),
            f.email.as_ref(),
            f.phone_number.as_ref(),
            f.account_purpose.as_ref(),
            f.ip_address.as_ref(),
            optional(&f.wallet_address),
            optional(&f.redirect_url),
            f.inquiry_id.as_ref(),
            f.verification_url.as_ref(),
        ];
        let (text, ends) = join(parts);
        CardUser {
            text,
            ends,
            given: u8::from(f.wallet_address.is_some()) | u8::from(f.redirect_url.is_some()) << 1,
            program: f.program,
            status: f.status,
            retry_count: f.retry_count,
            created_at: f.created_at,
            last_card_created_at: f.last_card_created_at,
        }
    }
}

/// The text of an optional field (none: empty, and the bit in `given` says so).
fn optional<S: AsRef<str>>(o: &Option<S>) -> &str {
    o.as_ref().map_or("", AsRef::as_ref)
}

/// `parts` in one text, and where each ends.
fn join(parts: [&str; PARTS]) -> (Box<str>, [u32; PARTS]) {
    let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    let mut ends = [0; PARTS];
    for (end, part) in ends.iter_mut().zip(parts) {
        text.push_str(part);
        // Request bodies are far below 4 GiB; a saved text that long is cut, not wrapped.
        *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
    }
    (text.into_boxed_str(), ends)
}

impl CardUser {
    fn part(&self, part: Part) -> &str {
        let i = part as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize).unwrap_or("")
    }

    pub fn service_id(&self) -> &str {
        self.part(Part::ServiceId)
    }

    pub fn first_name(&self) -> &str {
        self.part(Part::FirstName)
    }

    pub fn last_name(&self) -> &str {
        self.part(Part::LastName)
    }

    pub fn email(&self) -> &str {
        self.part(Part::Email)
    }

    pub fn phone_number(&self) -> &str {
        self.part(Part::PhoneNumber)
    }

    pub fn wallet_address(&self) -> Option<&str> {
        (self.given & 1 != 0).then(|| self.part(Part::WalletAddress))
    }

    pub fn redirect_url(&self) -> Option<&str> {
        (self.given & 2 != 0).then(|| self.part(Part::RedirectUrl))
    }

    /// The Persona inquiry currently deciding this user's KYC (a new one on each retry).
    pub fn inquiry_id(&self) -> &str {
        self.part(Part::InquiryId)
    }

    pub fn verification_url(&self) -> &str {
        self.part(Part::VerificationUrl)
    }

    /// The user's fields, borrowed (what the state file keeps).
    pub fn fields(&self) -> CardUserFields<&str> {
        CardUserFields {
            service_id: self.service_id(),
            first_name: self.first_name(),
            last_name: self.last_name(),
            email: self.email(),
            phone_number: self.phone_number(),
            account_purpose: self.part(Part::AccountPurpose),
            ip_address: self.part(Part::IpAddress),
            program: self.program,
            wallet_address: self.wallet_address(),
            redirect_url: self.redirect_url(),
            status: self.status,
            inquiry_id: self.inquiry_id(),
            verification_url: self.verification_url(),
            retry_count: self.retry_count,
            created_at: self.created_at,
            last_card_created_at: self.last_card_created_at,
        }
    }

    /// A new KYC inquiry (a retry). Not the indexed `service_id` or `email`: those stay.
    pub fn set_inquiry(&mut self, inquiry_id: &str, verification_url: &str) {
        let mut fields = self.fields();
        fields.inquiry_id = inquiry_id;
        fields.verification_url = verification_url;
        *self = CardUser::from(fields);
    }

    /// The list-users item.
    pub fn summary(&self) -> Value {
        json!({
            "serviceId": self.service_id(),
            "email": self.email(),
            "firstName": self.first_name(),
            "lastName": self.last_name(),
            "status": self.status.as_str(),
            "program": self.program.as_str(),
            "createdAt": crate::clock::iso8601(self.created_at),
        })
    }
}

impl Serialize for CardUser {
    fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        self.fields().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CardUser {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CardUserFields::<String>::deserialize(deserializer).map(CardUser::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(wallet: Option<&'static str>) -> CardUserFields<&'static str> {
        CardUserFields {
            service_id: "bench-rain-user-abc",
            first_name: "Zoë",
            last_name: "",
            email: "Jane@x.io",
            phone_number: "+14155555555",
            account_purpose: "test",
            ip_address: "203.0.113.1",
            program: Program::NonCustodial,
            wallet_address: wallet,
            redirect_url: None,
            status: UserStatus::Pending,
            inquiry_id: "inq_1",
            verification_url: "http://127.0.0.1/verify?inquiry-id=inq_1",
            retry_count: 2,
            created_at: 5,
            last_card_created_at: Some(6),
        }
    }

    /// A saved user reads back the same, and writes the same JSON as the fields do (the state
    /// file's shape), an empty optional text apart from none.
    #[test]
    fn saved_as_its_fields() {
        for wallet in [None, Some(""), Some("0xabc")] {
            let saved = serde_json::to_string(&fields(wallet)).expect("JSON");
            let user: CardUser = serde_json::from_str(&saved).expect("a user");
            assert_eq!(serde_json::to_string(&user).expect("JSON"), saved);
            assert_eq!(user.wallet_address(), wallet);
            assert_eq!(user.redirect_url(), None);
            assert_eq!((user.first_name(), user.last_name()), ("Zoë", ""));
        }
    }

    #[test]
    fn a_retry_changes_the_inquiry_only() {
        let mut user = CardUser::from(fields(Some("0xabc")));
        user.set_inquiry("inq_22", "http://x/verify?inquiry-id=inq_22");
        assert_eq!(user.inquiry_id(), "inq_22");
        assert_eq!(user.verification_url(), "http://x/verify?inquiry-id=inq_22");
        assert_eq!(user.email(), "Jane@x.io");
        assert_eq!(user.wallet_address(), Some("0xabc"));
        assert_eq!(user.retry_count, 2);
    }

    /// Kept per created user (issue 16): one text and its ends, not eleven `String`s (328 bytes).
    #[test]
    fn a_card_user_is_small() {
        assert!(std::mem::size_of::<CardUser>() <= 96);
    }
}
