//! Partner authentication: `Authorization: Bearer sk_…`. Any `sk_` key is accepted and *is* the
//! partner: within a namespace each distinct key has its own users, wallet, cards and profile.

use crate::http::{ApiRequest, ApiResponse};

/// Longest slug taken from a key, so service ids stay readable.
const MAX_SLUG_LEN: usize = 16;

/// The partner's API key, or Bitmama's 401.
pub fn partner_key(req: &ApiRequest) -> Result<&str, ApiResponse> {
    let unauthorized = |text: &str| super::error_code(401, "UNAUTHORIZED", text);
    let Some(header) = req.header("authorization") else {
        return Err(unauthorized(
            "Missing Authorization header; send Authorization: Bearer sk_staging_<your API key>",
        ));
    };
    let Some(key) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
    else {
        return Err(unauthorized(
            "The Authorization header must be of the form: Bearer sk_staging_<your API key>",
        ));
    };
    check_key(key).map_err(unauthorized)?;
    Ok(key)
}

/// Why `key` is not a partner key the API accepts (a scenario's seeds are held to it too).
pub fn check_key(key: &str) -> Result<(), &'static str> {
    let well_formed = key.len() > 3
        && key.starts_with("sk_")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !well_formed {
        return Err(
            "Invalid API key: a Bitmama secret key starts with sk_ (e.g. sk_staging_...) and has only letters, digits, '_' and '-'",
        );
    }
    // `sk_staging_` alone is a key whose name was left out (an unset variable, say): a partner
    // made of it would catch every such key.
    if !partner_name(key).bytes().any(|b| b.is_ascii_alphanumeric()) {
        return Err(
            "Invalid API key: nothing after sk_ and the environment names the partner (e.g. sk_staging_acme)",
        );
    }
    Ok(())
}

/// The key without `sk_` and its environment (`staging_`, `live_`, `test_`).
fn partner_name(api_key: &str) -> &str {
    let rest = api_key.strip_prefix("sk_").unwrap_or(api_key);
    ["staging_", "live_", "test_"]
        .into_iter()
        .find_map(|env| rest.strip_prefix(env))
        .unwrap_or(rest)
}

/// The partner slug `partnerId` and service ids start from: the [`partner_name`] in lowercase
/// letters and digits only, at most 16; `sk_staging_acme` gives `acme`. A key with nothing left
/// ([`check_key`] refuses one, in requests and scenarios alike) would give `partner`. [`super::model::State::partner`] makes it
/// unique in the namespace.
pub fn partner_slug(api_key: &str) -> String {
    let slug: String = partner_name(api_key)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(MAX_SLUG_LEN)
        .collect();
    if slug.is_empty() {
        "partner".to_string()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(partner_slug("sk_staging_acme"), "acme");
        assert_eq!(partner_slug("sk_live_Acme_Corp"), "acmecorp");
        assert_eq!(partner_slug("sk_staging_your_api_key"), "yourapikey");
        assert_eq!(partner_slug("sk_staging_"), "partner");
        assert_eq!(
            partner_slug("sk_staging_0123456789abcdefXYZ"),
            "0123456789abcdef"
        );
    }
}
