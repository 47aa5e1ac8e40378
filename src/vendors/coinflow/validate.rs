//! Field checks shared by the KYC routes and the verification page. Messages follow
//! class-validator's wording (Coinflow is a NestJS service) and always name the field.

use serde_json::{Map, Value};

use crate::clock::Millis;

/// A JSON object body, read field by field; `prefix` names nested objects (`info.`).
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    prefix: &'a str,
}

impl<'a> Fields<'a> {
    pub fn new(value: &'a Value, prefix: &'a str) -> Result<Self, String> {
        match value {
            Value::Object(object) => Ok(Self { object, prefix }),
            _ => Err(if prefix.is_empty() {
                "Request body must be a JSON object".to_string()
            } else {
                format!("{} must be an object", prefix.trim_end_matches('.'))
            }),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.object.get(name).is_some_and(|v| !v.is_null())
    }

    /// A non-empty string, trimmed.
    pub fn required(&self, name: &str) -> Result<String, String> {
        self.optional(name)?
            .ok_or_else(|| format!("{}{name} should not be empty", self.prefix))
    }

    pub fn optional(&self, name: &str) -> Result<Option<String>, String> {
        match self.object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => Err(format!("{}{name} must be a string", self.prefix)),
        }
    }

    pub fn email(&self, name: &str) -> Result<String, String> {
        let value = self.required(name)?;
        check_email(&value).map_err(|e| format!("{}{name} {e}", self.prefix))?;
        Ok(value)
    }

    pub fn country(&self, name: &str) -> Result<String, String> {
        let value = self.required(name)?;
        check_country(&value).map_err(|e| format!("{}{name} {e}", self.prefix))?;
        Ok(value)
    }

    /// `YYYYMMDD` (the documented form) or `YYYY-MM-DD`, of an adult at sandbox time `now`;
    /// returned as `YYYY-MM-DD`.
    pub fn dob(&self, name: &str, now: Millis) -> Result<String, String> {
        let value = self.required(name)?;
        normalize_dob(&value, now).map_err(|e| format!("{}{name} {e}", self.prefix))
    }

    pub fn state(&self, name: &str) -> Result<String, String> {
        let value = self.required(name)?;
        check_state(&value).map_err(|e| format!("{}{name} {e}", self.prefix))?;
        Ok(value)
    }

    pub fn ssn(&self, name: &str, required: bool) -> Result<Option<String>, String> {
        let value = if required {
            Some(self.required(name)?)
        } else {
            self.optional(name)?
        };
        if let Some(ssn) = &value
            && !(ssn.len() == 4 && ssn.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!(
                "{}{name} must be the last 4 digits of the SSN",
                self.prefix
            ));
        }
        Ok(value)
    }
}

pub fn check_email(value: &str) -> Result<(), String> {
    let ok = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !value.chars().any(char::is_whitespace)
        && value.len() <= 254;
    if ok {
        Ok(())
    } else {
        Err("must be an email".into())
    }
}

pub fn check_country(value: &str) -> Result<(), String> {
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err("must match /^[A-Z]{2}$/ regular expression (a 2-letter country code)".into())
    }
}

pub fn check_state(value: &str) -> Result<(), String> {
    if value.chars().count() >= 2 {
        Ok(())
    } else {
        Err("must be longer than or equal to 2 characters".into())
    }
}

/// A date of birth in either form, as `YYYY-MM-DD`, when it is that of someone 18 or older at
/// sandbox time `now` (the namespace's clock, as card expiry reads it, so moving the clock
/// makes a minor an adult).
pub fn normalize_dob(value: &str, now: Millis) -> Result<String, String> {
    let compact: String = value.chars().filter(|c| *c != '-').collect();
    let shape_ok = compact.len() == 8
        && compact.bytes().all(|b| b.is_ascii_digit())
        && (value.len() == 8 || (value.len() == 10 && &value[4..5] == "-" && &value[7..8] == "-"));
    let date = shape_ok
        .then(|| chrono::NaiveDate::parse_from_str(&compact, "%Y%m%d").ok())
        .flatten();
    let today = chrono::DateTime::from_timestamp_millis(now).map(|now| now.date_naive());
    // A withdrawer is an adult *(choice: payouts go to adults; Coinflow documents no age)*.
    let adult_since = today.and_then(|t| t.checked_sub_months(chrono::Months::new(18 * 12)));
    match date {
        Some(d) if today.is_some_and(|t| d <= t) && adult_since.is_some_and(|a| d > a) => {
            Err("must be the date of birth of someone 18 or older".into())
        }
        Some(d)
            if d.format("%Y").to_string().as_str() >= "1900" && today.is_none_or(|t| d <= t) =>
        {
            Ok(d.format("%Y-%m-%d").to_string())
        }
        // Both forms are taken, so the message names both (the form's label shows the second).
        _ => Err("must be a valid date of birth as YYYYMMDD or YYYY-MM-DD".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dob_forms() {
        // 2026-03-15T00:00:00Z
        let now = 1_773_532_800_000;
        let dob = |value| normalize_dob(value, now);
        assert_eq!(dob("19900131").as_deref(), Ok("1990-01-31"));
        assert_eq!(dob("1990-01-31").as_deref(), Ok("1990-01-31"));
        assert!(dob("19901331").is_err());
        assert!(dob("20260316").is_err(), "not born yet");
        let minor = Err("must be the date of birth of someone 18 or older".into());
        assert_eq!(dob("20160315"), minor);
        // 18 on the day, not the day before.
        assert_eq!(dob("20080316"), minor);
        assert_eq!(dob("20080315").as_deref(), Ok("2008-03-15"));
        assert!(dob("18991231").is_err());
        assert!(dob("1990-0131").is_err());
        assert_eq!(
            dob("01/31/1990"),
            Err("must be a valid date of birth as YYYYMMDD or YYYY-MM-DD".into())
        );
    }

    #[test]
    fn emails_and_countries() {
        assert!(check_email("a@b.co").is_ok());
        assert!(check_email("a@b").is_err());
        assert!(check_email("a b@c.de").is_err());
        assert!(check_country("US").is_ok());
        assert!(check_country("us").is_err());
        assert!(check_country("USA").is_err());
    }
}
