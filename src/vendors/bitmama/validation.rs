//! Body validation that reports every invalid field at once.
//!
//! Bitmama documents 422 for body validation (400 for business rules), so a body that parses but
//! breaks field rules gets `422 VALIDATION_ERROR`; `data.error` lists every problem in one
//! sentence and `data.errors` (a sandbox addition) lists them as `{field, message}`.

use serde_json::{Value, json};

use super::body::{Body, Member};
use crate::http::{ApiRequest, ApiResponse, Bom};

/// The request body as a JSON object, or Bitmama's 400.
pub fn json_object(req: &ApiRequest) -> Result<Body<'_>, ApiResponse> {
    let bytes = req.json_bytes(BOM).map_err(|e| bad_body(&e.0))?;
    if let Some(body) = Body::parse(bytes) {
        return Ok(body);
    }
    // Not an object: read as a `Value` to say what it is instead.
    let message = match req.json_value_with(BOM) {
        Ok(Value::Object(_)) => "Request body could not be read as a JSON object".to_string(),
        Ok(_) => "Request body must be a JSON object".to_string(),
        Err(e) => e.0,
    };
    Err(bad_body(&message))
}

/// How Bitmama's server (Express's body-parser) reads a byte order mark before a body.
pub const BOM: Bom = Bom::Skipped;

/// A body Bitmama cannot read: `400 INVALID_REQUEST_BODY`.
pub fn bad_body(message: &str) -> ApiResponse {
    super::error_code(400, "INVALID_REQUEST_BODY", message)
}

/// Reads fields of one body, collecting every problem.
pub struct Fields<'a> {
    body: &'a Body<'a>,
    problems: Vec<(&'static str, String)>,
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a Body<'a>) -> Self {
        Self {
            body,
            problems: Vec::new(),
        }
    }

    pub fn problem(&mut self, field: &'static str, message: impl Into<String>) {
        self.problems.push((field, message.into()));
    }

    fn present(&self, field: &str) -> Option<&'a Member<'a>> {
        self.body.present(field)
    }

    /// A string field of `min..=max` characters (after trimming), or `None` with a problem
    /// recorded. An absent optional field gives `None` and no problem.
    pub fn string(
        &mut self,
        field: &'static str,
        required: bool,
        min: usize,
        max: usize,
    ) -> Option<String> {
        self.text(field, required, min, max).map(str::to_string)
    }

    /// [`Fields::string`], borrowed from the body.
    pub fn text(
        &mut self,
        field: &'static str,
        required: bool,
        min: usize,
        max: usize,
    ) -> Option<&'a str> {
        match self.present(field) {
            None => {
                if required {
                    self.problem(field, "is required");
                }
                None
            }
            Some(Member::Text(s)) => {
                let s = s.trim();
                // A character is one to four bytes: most texts are within bounds by their
                // byte length alone, without counting characters.
                let surely_within = s.len() <= max && s.len().div_ceil(4) >= min;
                let len = if surely_within {
                    min
                } else {
                    s.chars().count()
                };
                if len < min || len > max {
                    self.problem(field, format!("must be {min} to {max} characters"));
                    None
                } else {
                    Some(s)
                }
            }
            Some(_) => {
                self.problem(field, "must be a string");
                None
            }
        }
    }

    /// A string field that must pass `valid`; `rule` says what it must be, whatever its length
    /// (a rule that bounds the length, as a URL's, says so itself).
    pub fn string_matching(
        &mut self,
        field: &'static str,
        required: bool,
        rule: &str,
        valid: impl Fn(&str) -> bool,
    ) -> Option<String> {
        self.text_matching(field, required, rule, valid)
            .map(str::to_string)
    }

    /// [`Fields::string_matching`], borrowed from the body.
    pub fn text_matching(
        &mut self,
        field: &'static str,
        required: bool,
        rule: &str,
        valid: impl Fn(&str) -> bool,
    ) -> Option<&'a str> {
        // No length bound of its own: a 3,000-character `program` breaks `program`'s rule,
        // not a length that would suggest a shorter one is fine.
        let value = self.text(field, required, 0, usize::MAX)?;
        if !value.is_empty() && valid(value) {
            Some(value)
        } else {
            self.problem(field, format!("must be {rule}"));
            None
        }
    }

    pub fn bool(&mut self, field: &'static str) -> Option<bool> {
        match self.present(field) {
            None => {
                self.problem(field, "is required");
                None
            }
            Some(Member::Bool(b)) => Some(*b),
            Some(_) => {
                self.problem(field, "must be a boolean");
                None
            }
        }
    }

    /// A dollar amount with at most two decimals, as cents within `min..=max` cents.
    /// `min_exclusive` makes the lower bound exclusive (`0 < amount`).
    pub fn amount_cents(
        &mut self,
        field: &'static str,
        required: bool,
        min: i64,
        max: i64,
        min_exclusive: bool,
    ) -> Option<i64> {
        let range = if min_exclusive {
            format!("greater than {} and at most {}", min / 100, max / 100)
        } else {
            format!("between {} and {}", min / 100, max / 100)
        };
        let value = match self.present(field) {
            None => {
                if required {
                    self.problem(field, "is required");
                }
                return None;
            }
            Some(v) => v,
        };
        let number = match value {
            Member::Number(n) => Some(*n),
            _ => None,
        };
        let Some(amount) = number.filter(|a| a.is_finite()) else {
            self.problem(field, format!("must be a number {range}"));
            return None;
        };
        let cents = (amount * 100.0).round();
        if (amount * 100.0 - cents).abs() > 1e-6 {
            self.problem(field, "must have at most 2 decimal places");
            return None;
        }
        let cents = cents as i64;
        let too_low = if min_exclusive {
            cents <= min
        } else {
            cents < min
        };
        if too_low || cents > max {
            self.problem(field, format!("must be {range}"));
            return None;
        }
        Some(cents)
    }

    /// `Ok` when no problem was found, else the 422 naming every one.
    pub fn finish(self) -> Result<(), ApiResponse> {
        if self.problems.is_empty() {
            return Ok(());
        }
        let text = self
            .problems
            .iter()
            .map(|(field, message)| format!("{field} {message}"))
            .collect::<Vec<_>>()
            .join("; ");
        let list: Vec<Value> = self
            .problems
            .iter()
            .map(|(field, message)| json!({"field": field, "message": message}))
            .collect();
        Err(ApiResponse::json(
            422,
            json!({
                "status": "error",
                "message": "VALIDATION_ERROR",
                "data": {"error": format!("Validation failed: {text}"), "errors": list},
            }),
        ))
    }
}

/// A plausible email address: one `@`, a local part of dot-separated atoms (no space, no dot
/// first, last or twice in a row: RFC 5322's dot-atom), a dotted domain.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && (local.bytes())
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    // Checked label by label as they are split (no list of them: this runs on every create).
    let tld_ok = domain
        .rsplit_once('.')
        .is_some_and(|(_, tld)| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    let domain_ok = s.len() <= 254 && tld_ok && domain.split('.').all(label_ok);
    local_ok && domain_ok
}

/// E.164: `+`, a non-zero country digit, 8 to 15 digits in all.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

pub fn is_ip_address(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// An Ethereum address: `0x` and 40 hex digits.
pub fn is_eth_address(s: &str) -> bool {
    s.strip_prefix("0x")
        .is_some_and(|hex| hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The host of an absolute `https` (or `http`) URL, if well formed: read as every vendor reads a
/// web URL (`http::web_url`: a usable host, the scheme in any case), no longer than 2048
/// characters and with no white space anywhere.
fn url_host(s: &str, https: bool) -> Option<&str> {
    // 2048 characters, as the refusal says (not bytes).
    if s.chars().count() > 2048 || s.chars().any(char::is_whitespace) {
        return None;
    }
    crate::http::web_url(s)
        .filter(|url| url.https == https)
        .map(|url| url.host)
}

pub fn is_https_url(s: &str) -> bool {
    url_host(s, true).is_some()
}

/// `https`, or `http` on a loopback host: what this local sandbox accepts as a webhook URL.
pub fn is_webhook_url(s: &str) -> bool {
    is_https_url(s)
        || url_host(s, false).is_some_and(|host| {
            host.eq_ignore_ascii_case("localhost")
                || (host.trim_start_matches('[').trim_end_matches(']'))
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("jane@example.com"));
        assert!(is_email("jane.doe+tag@mail.example.co"));
        assert!(is_email("a.b.c@example.com") && is_email("a@example.com"));
        for bad in [
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "a@b@c.com",
            "jane@exa_mple.com",
            "a..b@example.com",
            ".ab@example.com",
            "ab.@example.com",
            "a@b..com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert!(is_e164("+14155555555"));
        assert!(is_e164("+2348012345678"));
        for bad in [
            "14155555555",
            "+1415",
            "+0123456789",
            "+1 415 555 5555",
            "+1234567890123456",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[test]
    fn addresses_and_urls() {
        assert!(is_ip_address("203.0.113.42") && is_ip_address("2001:db8::1"));
        assert!(!is_ip_address("256.1.1.1") && !is_ip_address("localhost"));
        assert!(is_eth_address("0x52908400098527886E0F7030069857D2E4169EE7"));
        assert!(!is_eth_address("52908400098527886E0F7030069857D2E4169EE7"));
        assert!(!is_eth_address(
            "0x52908400098527886E0F7030069857D2E4169EZ7"
        ));
        assert!(is_https_url("https://app.example.com/kyc/done?x=1"));
        assert!(!is_https_url("http://app.example.com") && !is_https_url("https://"));
        assert!(!is_https_url("https://a b.com") && !is_https_url("https://host:notaport/"));
        assert!(is_https_url("HTTPS://EXAMPLE.COM/") && is_webhook_url("HTTP://LOCALHOST/h"));
        for no_host in ["https://@", "https://:443/x", "https://[/", "https://a^b/"] {
            assert!(!is_https_url(no_host), "{no_host}");
        }
        assert!(
            is_webhook_url("http://127.0.0.1:8080/hook") && is_webhook_url("http://localhost/h")
        );
        assert!(is_webhook_url("http://[::1]:9/h") && is_webhook_url("https://hooks.example.com"));
        assert!(
            !is_webhook_url("http://hooks.example.com/h") && !is_webhook_url("ftp://localhost")
        );
    }
}
