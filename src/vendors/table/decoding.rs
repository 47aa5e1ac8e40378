//! Path parameters percent-decoded, as Express (`decodeURIComponent`) and Rails hand them to a
//! route: SDKs encode ids with `encodeURIComponent`. Only a request whose parameters hold a `%`
//! pays for it; the rest read their parameters straight from the path.

use super::{Params, Spans};
use crate::http::percent_decode_path;

/// A request's path parameters, decoded.
#[derive(Debug, Default)]
pub struct DecodedParams {
    values: Vec<(&'static str, String)>,
}

impl DecodedParams {
    pub fn params(&self) -> Params<'_> {
        let mut params = Params::default();
        for (name, value) in &self.values {
            params.push(name, value);
        }
        params
    }
}

impl Spans {
    /// The parameters in `path` decoded, when one of them holds a `%` (`None` otherwise: read
    /// them with [`Spans::on`]). `Err` names a parameter whose escapes are not `%` and two hex
    /// digits, or do not decode to UTF-8: Express answers 400 `Failed to decode param`.
    pub fn decoded(&self, path: &str) -> Option<Result<DecodedParams, String>> {
        // Most paths hold no escape at all: one scan of the path, no parameters gathered.
        if !path.as_bytes().contains(&b'%') {
            return None;
        }
        let params = self.on(path);
        let sent = &params.values[..params.len];
        if !sent
            .iter()
            .any(|(_, value)| value.as_bytes().contains(&b'%'))
        {
            return None;
        }
        let decode = |&(name, value): &(&'static str, &str)| match percent_decode_path(value) {
            Some(decoded) => Ok((name, decoded)),
            None => Err(format!(
                "Failed to decode param {name}: {value:?} has a % that is not followed by two hex \
                 digits, or its escapes are not UTF-8"
            )),
        };
        Some(
            sent.iter()
                .map(decode)
                .collect::<Result<_, _>>()
                .map(|values| DecodedParams { values }),
        )
    }
}
