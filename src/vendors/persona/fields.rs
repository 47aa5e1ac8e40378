//! An inquiry's fields (`name-first`, `birthdate`, ...): plain values by name, kept as a vector
//! sorted by name. An inquiry has a handful; a `BTreeMap` node holds eleven slots (about 640
//! bytes) whatever the count, and an inquiry is kept for every user a partner creates. A name
//! Persona defines (`name-first`, ...) is kept as a `&'static str`, not a copy of its own.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The field names Persona's templates define: a field of one of these names keeps the static
/// text instead of an allocation (every Bitmama inquiry has four of them).
const KNOWN: [&str; 16] = [
    "address-city",
    "address-country-code",
    "address-postal-code",
    "address-postal-code-abbr",
    "address-street-1",
    "address-street-2",
    "address-subdivision",
    "address-subdivision-abbr",
    "birthdate",
    "email-address",
    "identification-number",
    "name-first",
    "name-last",
    "name-middle",
    "phone-number",
    "social-security-number",
];

/// A field's name: the static text of a [`KNOWN`] name, or its own copy.
type Name = Cow<'static, str>;

/// `name` as a [`Name`]: borrowed from [`KNOWN`] when it is one of them.
fn name_of(name: String) -> Name {
    match KNOWN.binary_search(&name.as_str()) {
        Ok(at) => Cow::Borrowed(KNOWN[at]),
        Err(_) => Cow::Owned(name),
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Vec<(Name, Value)>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&Value> {
        let at = self.position(name).ok()?;
        Some(&self.0[at].1)
    }

    /// Sets `name`; the value it had, if any.
    pub fn insert(&mut self, name: String, value: Value) -> Option<Value> {
        match self.position(&name) {
            Ok(at) => Some(std::mem::replace(&mut self.0[at].1, value)),
            Err(at) => {
                self.0.insert(at, (name_of(name), value));
                None
            }
        }
    }

    /// The value of `name`, set to `make()` first if there is none.
    pub fn get_or_insert_with(&mut self, name: &str, make: impl FnOnce() -> Value) -> &mut Value {
        let at = match self.position(name) {
            Ok(at) => at,
            Err(at) => {
                self.0.insert(at, (name_of(name.to_string()), make()));
                at
            }
        };
        &mut self.0[at].1
    }

    /// Name and value, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(name, value)| (&**name, value))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(have, _)| (**have).cmp(name))
    }
}

impl Extend<(String, Value)> for Fields {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, items: I) {
        for (name, value) in items {
            self.insert(name, value);
        }
    }
}

impl Fields {
    /// Fields of names Persona defines (`name-first`, ...), in any order: nothing to look up
    /// or copy for a name, one allocation.
    pub fn of_known<const N: usize>(known: [(&'static str, Value); N]) -> Self {
        Self::sorted(Vec::from(
            known.map(|(name, value)| (Cow::Borrowed(name), value)),
        ))
    }

    /// `fields` in name order, as [`Fields`] keeps them.
    fn sorted(mut fields: Vec<(Name, Value)>) -> Self {
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields.shrink_to_fit();
        Fields(fields)
    }
}

impl From<Map<String, Value>> for Fields {
    /// A `Map` iterates by name already.
    fn from(map: Map<String, Value>) -> Self {
        let fields = (map.into_iter())
            .map(|(name, value)| (name_of(name), value))
            .collect();
        Fields::sorted(fields)
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Name, Value)>,
        fn(&'a (Name, Value)) -> (&'a str, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(name, value)| (&**name, value))
    }
}

/// A JSON object, as the `Map` it replaced was (state files stay as they were).
impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Map::deserialize(d).map(Fields::from)
    }
}

/// `<at>.fields` of a request body: names in kebab-case, each value plain (`{"type", "value"}`,
/// as Persona renders a field, gives its value), checked by [`refusal`].
pub(super) fn given(
    attrs: &Map<String, Value>,
    at: &str,
) -> Result<Map<String, Value>, super::request::Refusal> {
    let given = match attrs.get("fields") {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(given)) => given,
        Some(_) => return Err((400, format!("{at}.fields must be an object"), "/")),
    };
    let mut fields = super::request::kebab_keys(given.clone(), &format!("{at}.fields"))?;
    for value in fields.values_mut() {
        untype(value);
    }
    if let Some(bad) = refusal(&fields) {
        let field = format!("{at}.fields.{}", bad.name);
        return Err((400, bad.describe(&field), "/"));
    }
    Ok(fields)
}

/// A value given as Persona renders it (`{"type", "value"}`, a hash's entries and an array's
/// items typed too) made plain, in place; a plain value stays as it is.
fn untype(value: &mut Value) {
    if let Value::Object(m) = value
        && m.contains_key("value")
        && m.keys().all(|k| k == "value" || k == "type")
    {
        *value = m.remove("value").unwrap_or(Value::Null);
    }
    match value {
        Value::Object(entries) => entries.values_mut().for_each(untype),
        Value::Array(items) => items.iter_mut().for_each(untype),
        _ => {}
    }
}

/// A field value an inquiry cannot hold: its name and what it is.
#[derive(Debug, PartialEq)]
pub(super) struct BadField<'a> {
    pub name: &'a str,
    value: &'a Value,
}

impl BadField<'_> {
    /// What is wrong, the field called `field` (`data.attributes.fields.name-first`).
    pub fn describe(&self, field: &str) -> String {
        match (self.name, self.value) {
            ("birthdate", Value::String(date)) => {
                format!("{field} must be a date as YYYY-MM-DD, got {date:?}")
            }
            (COUNTRY_CODE, Value::Null) => {
                format!("{field} must be a string: it cannot be null or emptied")
            }
            (COUNTRY_CODE, other) => format!("{field} must be a string, got {other}"),
            (_, other) => format!("{field} must be a string or null, got {other}"),
        }
    }
}

/// The one field the spec's `inquiry-fields` types as a string that may not be null.
const COUNTRY_CODE: &str = "address-country-code";

/// The first field of `fields` an inquiry cannot hold: a field Persona defines ([`KNOWN`])
/// that is not text (the spec types each as a string, or null but `address-country-code`;
/// the inquiry renders each as one, and approval copies them into the account), or a
/// `birthdate` that is not a date as YYYY-MM-DD (the spec's `format: date`; other vendors read
/// it as one; empty is no birthdate). Custom fields may hold any JSON value, as the spec allows.
pub(super) fn refusal(fields: &Map<String, Value>) -> Option<BadField<'_>> {
    refusal_among(fields, &KNOWN)
}

/// [`refusal`] for the fields of `names` (an account's attributes are a few more).
pub(super) fn refusal_among<'a>(
    fields: &'a Map<String, Value>,
    names: &[&'a str],
) -> Option<BadField<'a>> {
    names.iter().find_map(|&name| {
        let value = fields.get(name)?;
        let bad = match value {
            Value::Null => name == COUNTRY_CODE,
            Value::String(date) if name == "birthdate" => !date.is_empty() && !is_date(date),
            Value::String(_) => false,
            _ => true,
        };
        bad.then_some(BadField { name, value })
    })
}

/// Exactly `YYYY-MM-DD`, a real day (chrono alone also takes `1990-1-5`, or a leading `+`).
pub(super) fn is_date(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keeps_names_sorted_and_unique_and_serializes_as_an_object() {
        let mut fields = Fields::default();
        assert_eq!(fields.insert("name-last".into(), json!("Doe")), None);
        fields.insert("birthdate".into(), json!("1990-01-02"));
        assert_eq!(
            fields.insert("name-last".into(), json!("Roe")),
            Some(json!("Doe"))
        );
        fields.extend([("address-city".to_string(), json!("Oslo"))]);
        *fields.get_or_insert_with("nested", || json!({})) = json!({"a": 1});
        let names: Vec<&str> = fields.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["address-city", "birthdate", "name-last", "nested"]);
        assert_eq!(fields.get("name-last"), Some(&json!("Roe")));
        assert_eq!(fields.get("missing"), None);
        let text = serde_json::to_string(&fields).expect("JSON");
        assert_eq!(
            text,
            r#"{"address-city":"Oslo","birthdate":"1990-01-02","name-last":"Roe","nested":{"a":1}}"#
        );
        let back: Fields = serde_json::from_str(&text).expect("an object");
        assert_eq!(back, fields);
        let map: Map<String, Value> = serde_json::from_str(&text).expect("an object");
        assert_eq!(Fields::from(map), fields);
    }

    #[test]
    fn known_names_are_sorted_and_kept_without_a_copy() {
        assert!(KNOWN.is_sorted(), "binary search needs KNOWN sorted");
        let mut fields = Fields::default();
        fields.insert("name-first".into(), json!("Jane"));
        fields.insert("custom".into(), json!(1));
        assert!(matches!(&fields.0[1].0, Cow::Borrowed("name-first")));
        assert!(matches!(&fields.0[0].0, Cow::Owned(name) if name == "custom"));
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"email-address":"a@b.c"}"#).expect("an object");
        assert!(matches!(&Fields::from(map).0[0].0, Cow::Borrowed(_)));
        let known = Fields::of_known([("name-last", json!("Doe")), ("name-first", json!("J"))]);
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"name-last":"Doe","name-first":"J"}"#).expect("an object");
        assert_eq!(known, Fields::from(map), "the same fields, in name order");
    }
}
