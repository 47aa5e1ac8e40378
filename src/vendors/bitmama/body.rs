//! A request body read for validation: its members in order, each value seen as JSON's kind
//! with its text borrowed from the request where it has no escapes. A `serde_json::Value` map
//! of the same body cost a create about ten thousand instructions (a `BTreeMap` node, a
//! `String` per key and per value); this reads the same JSON with the same parser.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// A JSON object body. A key given twice means its last value, as in a `Value` map.
#[derive(Debug, Default)]
pub struct Body<'a> {
    members: Vec<(Cow<'a, str>, Member<'a>)>,
}

/// One member's value.
#[derive(Debug, PartialEq)]
pub enum Member<'a> {
    Null,
    Bool(bool),
    /// A number as `Value::as_f64` reads it.
    Number(f64),
    Text(Cow<'a, str>),
    /// An array or an object, kept whole (these bodies have none where a rule looks).
    Nested(Value),
}

impl<'a> Body<'a> {
    /// The body of `bytes` if it is a JSON object, `None` for anything else (the caller then
    /// reads it as a `Value` to say what is wrong in the usual words).
    pub fn parse(bytes: &'a [u8]) -> Option<Body<'a>> {
        // Checked as UTF-8 once, in one pass: `from_str` then trusts each string, which
        // `from_slice` checks again one by one (a tenth of the parse).
        serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()
    }

    /// The member called `name`, `None` when absent.
    pub fn get(&self, name: &str) -> Option<&Member<'a>> {
        (self.members.iter().rev())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// The member called `name` unless absent or `null`.
    pub fn present(&self, name: &str) -> Option<&Member<'a>> {
        self.get(name).filter(|v| **v != Member::Null)
    }
}

impl<'de> Deserialize<'de> for Body<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = Body<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body<'de>, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Text(key)) = map.next_key()? {
                    members.push((key, map.next_value()?));
                }
                Ok(Body { members })
            }
        }
        deserializer.deserialize_map(Object)
    }
}

/// A string, borrowed when the JSON has no escapes in it.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Str;
        impl<'de> Visitor<'de> for Str {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Str)
    }
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Member<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Member<'de>, E> {
                Ok(Member::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Member<'de>, E> {
                Ok(Member::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Member<'de>, E> {
                Ok(Member::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Member<'de>, E> {
                Ok(Member::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Member<'de>, E> {
                Ok(Member::Number(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Member<'de>, E> {
                Ok(Member::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Member<'de>, E> {
                Ok(Member::Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Member<'de>, E> {
                Ok(Member::Text(Cow::Owned(v)))
            }
            // Nested values are read whole, so whatever a `Value` refuses (a number out of
            // range, say) is refused here too.
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Member<'de>, A::Error> {
                Value::deserialize(SeqAccessDeserializer::new(seq)).map(Member::Nested)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Member<'de>, A::Error> {
                Value::deserialize(MapAccessDeserializer::new(map)).map(Member::Nested)
            }
        }
        deserializer.deserialize_any(Any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_is_not_utf8_is_no_object() {
        assert!(Body::parse(b"{\"firstName\":\"Zo\xff\"}").is_none());
        let body = Body::parse("{\"firstName\":\"Zoë\"}".as_bytes()).expect("an object");
        assert_eq!(body.get("firstName"), Some(&Member::Text("Zoë".into())));
    }

    #[test]
    fn reads_what_a_value_map_reads() {
        let json = br#"{"a":"x","b":null,"c":true,"d":1.5,"e":-2,"f":"\u00e9\n","g":[1,{"h":2}],"a":"last"}"#;
        let body = Body::parse(json).expect("an object");
        let value: Value = serde_json::from_slice(json).expect("JSON");
        assert_eq!(body.get("a"), Some(&Member::Text("last".into())));
        assert_eq!(body.get("b"), Some(&Member::Null));
        assert_eq!(body.present("b"), None);
        assert_eq!(body.get("c"), Some(&Member::Bool(true)));
        assert_eq!(body.get("d"), Some(&Member::Number(1.5)));
        assert_eq!(body.get("e"), Some(&Member::Number(-2.0)));
        assert_eq!(body.get("f"), Some(&Member::Text("é\n".into())));
        assert_eq!(body.get("g"), Some(&Member::Nested(value["g"].clone())));
        assert_eq!(body.get("z"), None);
    }

    #[test]
    fn refuses_what_a_value_refuses_and_anything_but_an_object() {
        for json in [
            &br#"{"a":[1e400]}"#[..],
            br#"{"a":1e400}"#,
            br#"{"a":"\x"}"#,
            b"[1]",
            b"\"x\"",
            b"{",
            b"",
        ] {
            assert!(
                Body::parse(json).is_none(),
                "{}",
                String::from_utf8_lossy(json)
            );
        }
    }
}
