//! A matcher read from a scenario file. By hand rather than serde's derive: the derived enum
//! says `expected value` at a `{}` or at a second test, which tells nothing of the rule.

use serde::de::{Error, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::scenario::Matcher;

const EXACTLY_ONE: &str = "a matcher is exactly one of equals, contains or regex";

impl<'de> Deserialize<'de> for Matcher {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(MatcherVisitor)
    }
}

struct MatcherVisitor;

impl<'de> Visitor<'de> for MatcherVisitor {
    type Value = Matcher;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "a matcher: {{\"equals\": JSON}}, {{\"contains\": JSON}} or {{\"regex\": STRING}}"
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Matcher, A::Error> {
        let mut tests: Vec<(String, Matcher)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let matcher = match key.as_str() {
                "equals" => Matcher::Equals(map.next_value()?),
                "contains" => Matcher::Contains(map.next_value()?),
                "regex" => Matcher::Regex(map.next_value()?),
                other => {
                    return Err(A::Error::custom(format!(
                        "unknown matcher `{other}`, expected one of equals, contains or regex"
                    )));
                }
            };
            tests.push((key, matcher));
        }
        let mut names: Vec<&str> = tests.iter().map(|(name, _)| name.as_str()).collect();
        match (tests.len(), names.pop()) {
            (1, _) => Ok(tests.remove(0).1),
            (_, None) => Err(A::Error::custom(format!(
                "{EXACTLY_ONE}; this one has none"
            ))),
            (_, Some(last)) => Err(A::Error::custom(format!(
                "{EXACTLY_ONE}; this one has {} and {last}",
                names.join(", ")
            ))),
        }
    }
}
