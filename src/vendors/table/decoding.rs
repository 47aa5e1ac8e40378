//! Path parameters percent-decoded, as Express (`decodeURIComponent`) and Rails hand them to a
//! route: SDKs encode ids with `encodeURIComponent`. Only a request whose parameters hold a `%`
//! pays for it; the rest read their parameters straight from the path.

use super::{Params, Spans};

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
        let decode = |&(name, value): &(&'static str, &str)| match percent_decoded(value) {
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

/// `text` with each `%XX` replaced by its byte; `None` if an escape is not `%` and two hex
/// digits or the bytes are not UTF-8. A `+` stays a `+` (it means a space only in a query).
fn percent_decoded(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        if byte == b'%' {
            let high = hex_value(*bytes.get(at + 1)?)?;
            let low = hex_value(*bytes.get(at + 2)?)?;
            out.push(high << 4 | low);
            at += 3;
        } else {
            out.push(byte);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_strictly() {
        assert_eq!(
            percent_decoded("my%20merchant").as_deref(),
            Some("my merchant")
        );
        assert_eq!(percent_decoded("a%2Fb+c%c3%a9").as_deref(), Some("a/b+cé"));
        for bad in ["%", "%2", "%zz", "%+1", "%FF", "a%C3"] {
            assert_eq!(percent_decoded(bad), None, "{bad}");
        }
    }
}
