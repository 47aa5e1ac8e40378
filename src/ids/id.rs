//! [`Id`]: an id's text kept inline. Every Bitmama card user makes a Persona inquiry, an account
//! and two events, each with a 28-byte id (`inq_` and 24 characters), and the inquiry keeps its
//! account's id: as `String`s that was five heap allocations per user (48 bytes each with the
//! allocator's overhead) besides the 24-byte handles. An `Id` is 32 bytes and holds up to 30
//! bytes of text itself; a longer one (only from a state file or a client) is boxed.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes of text kept inline: with the length and the enum's tag, 32 bytes in all.
const INLINE: usize = 30;

/// An id's text (an immutable string), compared, hashed, ordered, printed and serialized as the
/// `str` it holds.
#[derive(Clone)]
pub struct Id(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Boxed(Box<str>),
}

const _: () = assert!(std::mem::size_of::<Id>() == 32);

impl Id {
    pub fn new(text: &str) -> Self {
        if text.len() > INLINE {
            return Self(Repr::Boxed(text.into()));
        }
        let mut bytes = [0; INLINE];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Self(Repr::Inline {
            len: text.len() as u8,
            bytes,
        })
    }

    /// `prefix` followed by `rest`, both ASCII (the id generator's prefix and alphabet).
    pub(super) fn joined(prefix: &str, rest: &[u8]) -> Self {
        debug_assert!(rest.is_ascii(), "ids are drawn from ASCII");
        let len = prefix.len() + rest.len();
        if len > INLINE {
            let rest = std::str::from_utf8(rest).unwrap_or_default();
            return Self(Repr::Boxed([prefix, rest].concat().into()));
        }
        let mut bytes = [0; INLINE];
        bytes[..prefix.len()].copy_from_slice(prefix.as_bytes());
        bytes[prefix.len()..len].copy_from_slice(rest);
        Self(Repr::Inline {
            len: len as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only whole `str`s and ASCII are copied in, so this never fails (no `unsafe` here
            // to skip the check: it costs a few instructions on 28 bytes).
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Boxed(text) => text,
        }
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new("")
    }
}

impl Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Id {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Id {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Id {}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Id {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Id> for str {
    fn eq(&self, other: &Id) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Id> for &str {
    fn eq(&self, other: &Id) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Id> for String {
    fn eq(&self, other: &Id) -> bool {
        self == other.as_str()
    }
}

impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Id {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// As `str` hashes: maps keyed by `Id` are looked up by `&str` ([`Borrow`]).
impl Hash for Id {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Id {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for Id {
    fn from(text: String) -> Self {
        Self::new(&text)
    }
}

impl From<&String> for Id {
    fn from(text: &String) -> Self {
        Self::new(text)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> Self {
        id.as_str().to_string()
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id (a string)")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Id, E> {
                Ok(Id::new(text))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_ids_read_back_as_given() {
        for text in [
            "",
            "inq_",
            "inq_ABCdef123456789abcdefgh",
            &"x".repeat(31),
            "café_ñ",
        ] {
            let id = Id::new(text);
            assert_eq!(id.as_str(), text);
            assert_eq!(id, Id::from(text.to_string()));
            assert_eq!(format!("{id}"), text);
            assert_eq!(
                serde_json::to_string(&id).ok(),
                serde_json::to_string(text).ok()
            );
            let back: Id = serde_json::from_str(&serde_json::to_string(text).unwrap()).unwrap();
            assert_eq!(back, text);
        }
        assert!(matches!(Id::new(&"x".repeat(30)).0, Repr::Inline { .. }));
        assert!(matches!(Id::new(&"x".repeat(31)).0, Repr::Boxed(_)));
    }

    #[test]
    fn hashes_and_orders_as_its_text() {
        use std::hash::BuildHasher;
        let hasher = std::hash::RandomState::new();
        let (a, b) = (Id::new("act_1"), Id::new("act_2"));
        assert_eq!(hasher.hash_one(&a), hasher.hash_one("act_1"));
        assert!(a < b);
        let map: std::collections::HashMap<Id, u8> = [(a.clone(), 1)].into();
        assert_eq!(map.get("act_1"), Some(&1));
    }
}
