//! Magic values: email addresses that pick an outcome without any scenario, the way the vendors'
//! own sandboxes use test values. A word after `+` in the local part (`jo+declined@example.com`)
//! steers an operation exactly as a scenario rule naming that outcome would; a scenario rule
//! that decides an outcome (or answers raw, or faults) wins. Which word steers which operation
//! is each vendor's to say ([`super::VendorTerms::magic`]; the table is in docs/scenarios.md).
//!
//! The word is the letters right after a `+`: anything after them is ignored, so
//! `jo+declined-2@example.com` and `jo+declined7@example.com` are distinct emails with the same
//! effect. Case does not matter.
//!
//! The email is read from the subject's body: `email`, `emailAddress`, `email-address`,
//! `email_address`, `info.email`, or `fields.email-address` (plain or `{"value": ...}`), so a
//! request body and a Persona inquiry's attributes both work.

mod probe;

use serde_json::Value;

use super::{Operation, Steer, Subject, Vocabulary};
use crate::http::ApiRequest;
use crate::vendor::Vendor;

/// Body paths an email is looked for at, in order.
const EMAIL_PATHS: &[&[&str]] = &[
    &["email"],
    &["emailAddress"],
    &["email-address"],
    &["email_address"],
    &["info", "email"],
    &["fields", "email-address", "value"],
    &["fields", "email-address"],
];

/// The outcome a magic email in `subject` picks for `operation`, if any.
pub fn steer(
    vocabulary: &Vocabulary,
    vendor: Vendor,
    operation: Operation,
    subject: &Subject,
) -> Option<Steer> {
    let magic = vocabulary.vendor(vendor)?.magic;
    let email = email_of(subject)?;
    words(email).find_map(|word| magic(operation, &word))
}

/// [`steer`] for a request's subject, without building the subject for a JSON body (the
/// common case, and with no scenario selected the only steering a request gets).
pub fn steer_request(
    vocabulary: &Vocabulary,
    vendor: Vendor,
    operation: Operation,
    req: &ApiRequest,
) -> Option<Steer> {
    if req.body.is_empty() {
        return None; // Nowhere for an email (most reads): not even a header to look up.
    }
    if Subject::has_form_body(req) {
        return steer(vocabulary, vendor, operation, &Subject::from_request(req));
    }
    if !may_have_word(&req.body) {
        return None;
    }
    let magic = vocabulary.vendor(vendor)?.magic;
    let email = probe::email_in_json(&req.body)?;
    words(&email).find_map(|word| magic(operation, &word))
}

/// Whether a JSON body may hold a string with a `+` somewhere before an `@`, the shape of an
/// email with a magic word: a byte scan that spares most bodies the probe. Without escapes a
/// string's bytes are the body's, and the first `"` after a `+` in a string closes it.
fn may_have_word(body: &[u8]) -> bool {
    // `memchr`: every create's body is scanned, and a byte-at-a-time loop was most of the
    // steering's cost.
    if memchr::memchr(b'\\', body).is_some() {
        return true;
    }
    let mut rest = body;
    while let Some(plus) = memchr::memchr(b'+', rest) {
        rest = &rest[plus + 1..];
        match memchr::memchr2(b'@', b'"', rest) {
            Some(at) if rest[at] == b'@' => return true,
            Some(quote) => rest = &rest[quote..],
            None => return false,
        }
    }
    false
}

/// The first email-looking string at one of `EMAIL_PATHS`.
pub fn email_of(subject: &Subject) -> Option<&str> {
    EMAIL_PATHS.iter().find_map(|path| {
        let found = path
            .iter()
            .try_fold(&subject.body, |value, key| match value {
                Value::Object(map) => map.get(*key),
                // No email path has an index in it.
                _ => None,
            });
        match found {
            Some(Value::String(s)) if s.contains('@') => Some(s.as_str()),
            _ => None,
        }
    })
}

/// The lowercased leading letters of each `+` tag of the local part.
fn words(email: &str) -> impl Iterator<Item = String> + '_ {
    let local = email.rsplit_once('@').map_or(email, |(local, _)| local);
    local.split('+').skip(1).map(|tag| {
        tag.chars()
            .take_while(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_ascii_lowercase()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_without_a_plus_before_an_at_in_a_string_have_no_word() {
        for (body, may) in [
            (r#"{"email":"a+b@x"}"#, true),
            (r#"{"email":"a@x","phone":"+1415"}"#, false),
            (r#"{"phone":"+1415","email":"a@x"}"#, false),
            (r#"{"n":1e+5,"email":"a@x"}"#, false),
            (r#"{"n":1e+5,"email":"a+b@x"}"#, true),
            (r#"{"email":"a+b+c@x"}"#, true),
            (r#"{"email":"a\u002bb@x"}"#, true),
            (r#"{"a":"+","b":"@"}"#, false),
            ("", false),
        ] {
            assert_eq!(may_have_word(body.as_bytes()), may, "{body}");
        }
    }

    #[test]
    fn words_are_the_letters_after_each_plus_of_the_local_part() {
        let all = |email: &str| words(email).collect::<Vec<_>>();
        assert_eq!(all("jo+Declined-2@x.com"), ["declined"]);
        assert_eq!(all("jo+work+duplicate7@x.com"), ["work", "duplicate"]);
        assert_eq!(all("jo+@x.com"), [""]);
        assert!(all("jo@x+duplicate.com").is_empty());
        let subject = Subject::from_json(json!({"fields": {"email-address": {"value": "a+b@x"}}}));
        assert_eq!(email_of(&subject), Some("a+b@x"));
        assert_eq!(
            email_of(&Subject::from_json(json!({"email-address": null}))),
            None
        );
    }
}
