//! `Key-Inflection: camel | snake | kebab`: the casing of every object key in a response body.
//!
//! Objects are built kebab-case (Persona's default), so kebab leaves them as they are; the other
//! two rewrite every key, recursively, `fields` names included. Values are never touched.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Inflection {
    #[default]
    Kebab,
    Snake,
    Camel,
}

impl Inflection {
    /// The header value, case-insensitively. `Err` carries the message for a 400.
    pub fn parse(header: Option<&str>) -> Result<Inflection, String> {
        match header.map(|h| h.trim().to_ascii_lowercase()).as_deref() {
            None | Some("kebab") => Ok(Inflection::Kebab),
            Some("snake") => Ok(Inflection::Snake),
            Some("camel") => Ok(Inflection::Camel),
            Some(other) => Err(format!(
                "Key-Inflection must be one of camel, kebab, snake; got {other:?}"
            )),
        }
    }

    pub fn key(self, key: &str) -> String {
        match self {
            Inflection::Kebab => key.to_string(),
            Inflection::Snake => key.replace('-', "_"),
            Inflection::Camel => camel(key),
        }
    }

    /// `value` with every object key recased.
    pub fn apply(self, value: Value) -> Value {
        if self == Inflection::Kebab {
            return value;
        }
        match value {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.key(&k), self.apply(v)))
                    .collect::<Map<String, Value>>(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.apply(v)).collect()),
            other => other,
        }
    }
}

/// `name-first` → `nameFirst`; `address-street-1` → `addressStreet1`.
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper_next = false;
    for c in key.chars() {
        if c == '-' || c == '_' {
            upper_next = !out.is_empty();
        } else if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A key as the client may send it (`nameFirst`, `name_first`, `name-first`) in Persona's
/// canonical kebab-case.
pub fn to_kebab(key: &str) -> String {
    // In camelCase a digit run is a word of its own (`addressStreet1`); elsewhere it is not.
    let camel = key.chars().any(|c| c.is_ascii_uppercase());
    let mut out = String::with_capacity(key.len() + 4);
    let mut previous: Option<char> = None;
    for c in key.chars() {
        let starts_word = c.is_ascii_uppercase()
            || (camel && c.is_ascii_digit() && previous.is_some_and(|p| p.is_ascii_alphabetic()));
        if c == '_' {
            out.push('-');
        } else if starts_word {
            if previous.is_some() && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recases_keys_not_values() {
        let v = json!({"reference-id": "a-b", "fields": {"address-street-1": {"type": "string"}}, "list": [{"created-at": 1}]});
        assert_eq!(
            Inflection::Camel.apply(v.clone()),
            json!({"referenceId": "a-b", "fields": {"addressStreet1": {"type": "string"}}, "list": [{"createdAt": 1}]})
        );
        assert_eq!(
            Inflection::Snake.apply(v.clone()),
            json!({"reference_id": "a-b", "fields": {"address_street_1": {"type": "string"}}, "list": [{"created_at": 1}]})
        );
        assert_eq!(Inflection::Kebab.apply(v.clone()), v);
    }

    #[test]
    fn parses_header() {
        assert_eq!(Inflection::parse(None), Ok(Inflection::Kebab));
        assert_eq!(Inflection::parse(Some("Camel")), Ok(Inflection::Camel));
        assert!(Inflection::parse(Some("pascal")).is_err());
    }

    #[test]
    fn normalises_request_keys() {
        assert_eq!(to_kebab("nameFirst"), "name-first");
        assert_eq!(to_kebab("name_first"), "name-first");
        assert_eq!(to_kebab("address-street-1"), "address-street-1");
        assert_eq!(to_kebab("addressStreet1"), "address-street-1");
        assert_eq!(to_kebab("address_street_1"), "address-street-1");
    }
}
