//! The email a magic word is looked for in, read from a JSON request body without building the
//! body as a `Value`: with no scenario selected, magic words are all a vendor request is steered
//! by, and parsing the whole body into a tree (then dropping it) was most of that cost.
//!
//! The answer is exactly `email_of(&Subject::from_request(req))` for a JSON body: the same parser
//! (every value is read through `deserialize_any`, so the same UTF-8, number-range and depth
//! errors make the body `Null`), a repeated key replaces the earlier value (as `serde_json::Map`
//! does), and the same paths in the same order.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Where the strings of `EMAIL_PATHS` are kept, in its order: `email`, `emailAddress`,
/// `email-address`, `email_address`, `info.email`, `fields.email-address.value`,
/// `fields.email-address`.
type Slots<'de> = [Option<Cow<'de, str>>; 7];

/// The email `email_of` finds in a JSON `body` (`None`: none, or not valid JSON).
pub fn email_in_json(body: &[u8]) -> Option<Cow<'_, str>> {
    if !may_hold(body, b'@') {
        return None;
    }
    let mut slots: Slots = Default::default();
    let mut de = serde_json::Deserializer::from_slice(body);
    Node {
        at: At::Root,
        slots: &mut slots,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    slots
        .into_iter()
        .flatten()
        .find(|email| email.contains('@'))
}

/// Whether a JSON `body` may have `byte` in one of its strings: JSON can only hide it behind
/// an escape.
fn may_hold(body: &[u8], byte: u8) -> bool {
    body.contains(&byte) || body.contains(&b'\\')
}

/// Where a value sits in the body, for the probe.
#[derive(Clone, Copy)]
enum At {
    /// The body: an object whose keys may hold emails.
    Root,
    /// `info`: an object whose `email` may hold one.
    Info,
    /// `fields`: an object whose `email-address` may.
    Fields,
    /// `fields.email-address`: a string (slot 6), or an object whose `value` may be one.
    FieldEmail,
    /// A string kept in this slot.
    Text(usize),
}

/// A value at `at`, its strings kept in `slots`.
struct Node<'s, 'de> {
    at: At,
    slots: &'s mut Slots<'de>,
}

impl Node<'_, '_> {
    /// The slot a string here goes to.
    fn slot(&self) -> Option<usize> {
        match self.at {
            At::Text(i) => Some(i),
            At::FieldEmail => Some(6),
            _ => None,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<(), E> {
        if let Some(i) = self.slot() {
            self.slots[i] = Some(Cow::Borrowed(s));
        }
        Ok(())
    }

    /// An escaped string, decoded into the parser's scratch buffer.
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        if let Some(i) = self.slot() {
            self.slots[i] = Some(Cow::Owned(s.to_owned()));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Node { at, slots } = self;
        while let Some(key) = map.next_key_seed(Key)? {
            let next = match (at, key.as_ref()) {
                (At::Root, "email") => At::Text(0),
                (At::Root, "emailAddress") => At::Text(1),
                (At::Root, "email-address") => At::Text(2),
                (At::Root, "email_address") => At::Text(3),
                (At::Root, "info") => At::Info,
                (At::Root, "fields") => At::Fields,
                (At::Info, "email") => At::Text(4),
                (At::Fields, "email-address") => At::FieldEmail,
                (At::FieldEmail, "value") => At::Text(5),
                _ => {
                    map.next_value_seed(Skip)?;
                    continue;
                }
            };
            // A repeated key replaces what the earlier one held, nested slots included.
            let cleared: &[usize] = match next {
                At::Text(i) => &[i][..],
                At::Info => &[4],
                At::Fields | At::FieldEmail => &[5, 6],
                At::Root => &[],
            };
            for &i in cleared {
                slots[i] = None;
            }
            map.next_value_seed(Node {
                at: next,
                slots: &mut *slots,
            })?;
        }
        Ok(())
    }
}

/// A value read (and checked, as `Value` would be) and forgotten.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
}

/// An object key, decoded (borrowed unless it had escapes).
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::email_of;
    use crate::http::ApiRequest;
    use crate::scenario::Subject;

    /// What the subject built from the whole body says.
    fn from_subject(body: &str) -> Option<String> {
        let req = ApiRequest {
            body: body.to_string().into(),
            ..ApiRequest::default()
        };
        email_of(&Subject::from_request(&req)).map(str::to_string)
    }

    #[test]
    fn finds_what_the_subject_finds() {
        let bodies = [
            r#"{"email":"a+declined@x.com"}"#,
            r#"{"email":"no-at","emailAddress":"b+x@y"}"#,
            r#"{"email":5,"email-address":"c+x@y","email_address":"d+x@y"}"#,
            r#"{"email_address":"d+x@y","email-address":"c+x@y"}"#,
            r#"{"info":{"email":"e+x@y"},"email":"plain"}"#,
            r#"{"info":{"email":"e+x@y"},"info":5}"#,
            r#"{"info":{"email":"e+x@y"},"info":{"other":1}}"#,
            r#"{"fields":{"email-address":{"value":"f+x@y"}}}"#,
            r#"{"fields":{"email-address":"g+x@y"}}"#,
            r#"{"fields":{"email-address":{"value":"f+x@y"}},"fields":{"email-address":"g+x@y"}}"#,
            r#"{"fields":{"email-address":"g+x@y","email-address":{"value":5}}}"#,
            r#"{"fields":{"email-address":{"value":"f+x@y","value":null}}}"#,
            r#"{"email":"a+x@y","email":"b+z@y"}"#,
            r#"{"email":"a+x@y","email":7}"#,
            r#"{"em\u0061il":"esc\u002bdeclined\u0040x"}"#,
            r#"{"email":"a+x@y"} trailing"#,
            r#"{"email":"a+x@y","n":1e400}"#,
            r#"{"email":"a+x@y","n":[1,{"a":[]}],"t":true,"z":null}"#,
            r#"[{"email":"a+x@y"}]"#,
            r#""a+x@y""#,
            r#"{"email":"a+x@y""#,
            r#"{"email":"a+x@y",}"#,
            r#"{"info":[{"email":"a+x@y"}],"fields":[1]}"#,
            r#"{"Email":"a+x@y","EMAIL":"b+x@y"}"#,
            "",
            "  ",
            r#"{"email":"a+x@y"}   "#,
            r#"{"email":"a@y"}"#,
        ];
        for body in bodies {
            let probed = super::email_in_json(body.as_bytes()).map(|e| e.into_owned());
            assert_eq!(probed, from_subject(body), "{body}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let body = format!(r#"{{"email":"a+x@y","deep":{deep}}}"#);
        assert_eq!(
            super::email_in_json(body.as_bytes()).map(|e| e.into_owned()),
            from_subject(&body)
        );
        // Invalid UTF-8 inside a skipped string makes the whole body invalid, as for `Value`.
        let mut bytes = br#"{"email":"a+x@y","x":"#.to_vec();
        bytes.extend_from_slice(&[b'"', 0xff, b'"', b'}']);
        let req = ApiRequest {
            body: bytes.clone().into(),
            ..ApiRequest::default()
        };
        assert_eq!(
            super::email_in_json(&bytes).map(|e| e.into_owned()),
            email_of(&Subject::from_request(&req)).map(str::to_string)
        );
    }

    proptest::proptest! {
        /// Bodies made of the probed keys and values, nested and repeated at random.
        #[test]
        fn random_bodies_agree(parts in proptest::collection::vec(0usize..16, 0..24)) {
            const PIECES: [&str; 16] = [
                r#""email":"a+x@y""#, r#""email":1"#, r#""emailAddress":"b+y@z""#,
                r#""email-address":"c+w@v""#, r#""email_address":"nope""#,
                r#""info":{"email":"d+q@r"}"#, r#""info":{"email":[]}"#, r#""info":"s@t""#,
                r#""fields":{"email-address":{"value":"e+p@o"}}"#,
                r#""fields":{"email-address":"f+n@m"}"#, r#""fields":{"email-address":null}"#,
                r#""fields":{"email-address":{"value":"g+l@k"},"email-address":"h+j@i"}"#,
                r#""x":{"email":"i+h@g"}"#, r#""y":[{"email":"j+f@e"}]"#,
                r#""email":"k\u002bd@c""#, r#""n":-1.5e3"#,
            ];
            let body = format!(
                "{{{}}}",
                parts.iter().map(|&i| PIECES[i]).collect::<Vec<_>>().join(",")
            );
            let probed = super::email_in_json(body.as_bytes()).map(|e| e.into_owned());
            proptest::prop_assert_eq!(probed, from_subject(&body));
        }
    }
}
