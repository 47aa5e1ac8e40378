//! [`Headers`]: a request's headers as text.

/// Request headers that change what a vendor answers (lowercase): the journal keeps them, and
/// one that is not ASCII text is refused.
pub const VENDOR_HEADERS: [&str; 11] = [
    "authorization",
    "content-type",
    "idempotency-key",
    "key-inflection",
    "persona-version",
    "x-coinflow-auth-user-id",
    "x-coinflow-auth-wallet",
    "x-coinflow-auth-blockchain",
    "x-coinflow-auth-session-key",
    "x-sandbox-namespace",
    "x-sandbox-scenario",
];

/// A request's headers in one text, each name (lowercase, as hyper gives it) followed by its
/// value, and where each ends. Two allocations whatever the count: a `String` per value, and
/// one per uncommon name, were most of the allocations of reading a request.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    text: String,
    /// Where each header's name, then its value, ends in `text`.
    ends: Vec<(usize, usize)>,
    /// Names of headers whose value is not visible ASCII, left out (rare: empty, no allocation).
    unreadable: Vec<Box<str>>,
    /// Bit `n % 64` set for each name of `n` bytes: most headers a request is asked for are
    /// absent, and a name of a length none has is answered without a scan.
    name_lengths: u64,
}

impl Headers {
    /// Room for `count` headers of `text` bytes in all, names and values.
    pub fn with_capacity(count: usize, text: usize) -> Self {
        Self {
            text: String::with_capacity(text),
            ends: Vec::with_capacity(count),
            unreadable: Vec::new(),
            name_lengths: 0,
        }
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.unreadable.clear();
        self.name_lengths = 0;
    }

    /// Bytes of names and values.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Bytes the text has room for.
    pub fn text_capacity(&self) -> usize {
        self.text.capacity()
    }

    pub fn shrink_text_to_fit(&mut self) {
        self.text.shrink_to_fit();
    }

    pub fn push(&mut self, name: &str, value: &str) {
        self.name_lengths |= length_bit(name);
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(value);
        self.ends.push((name_end, self.text.len()));
    }

    /// Notes a header whose value is left out: it is not visible ASCII.
    pub fn push_unreadable(&mut self, name: &str) {
        self.unreadable.push(name.into());
    }

    /// The names of the headers whose value was left out, as they came (hyper's: lowercase).
    pub fn unreadable(&self) -> impl Iterator<Item = &str> {
        self.unreadable.iter().map(|name| &**name)
    }

    /// The value of the first header called `name` (any case). A request asks for a dozen
    /// headers: a name's length is read from `ends` and its text compared only when it matches.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&str> {
        if self.name_lengths & length_bit(name) == 0 {
            return None;
        }
        let mut start = 0;
        for &(name_end, end) in &self.ends {
            if name_end - start == name.len() {
                let candidate = self
                    .text
                    .as_bytes()
                    .get(start..name_end)
                    .unwrap_or_default();
                // Names are kept lowercase, as they are asked for: byte-equal is the usual match.
                if candidate == name.as_bytes() || candidate.eq_ignore_ascii_case(name.as_bytes()) {
                    return self.text.get(name_end..end);
                }
            }
            start = end;
        }
        None
    }

    /// Names and values, in the order they came.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let starts = std::iter::once(0).chain(self.ends.iter().map(|&(_, end)| end));
        self.ends
            .iter()
            .zip(starts)
            .map(|(&(name_end, end), start)| {
                let text = |range| self.text.get(range).unwrap_or_default();
                (text(start..name_end), text(name_end..end))
            })
    }
}

/// `name`'s bit in [`Headers::name_lengths`].
#[inline]
fn length_bit(name: &str) -> u64 {
    1 << (name.len() % 64)
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Self {
        let mut headers = Headers::default();
        for (name, value) in pairs {
            headers.push(name.as_ref(), value.as_ref());
        }
        headers
    }
}

impl<N: AsRef<str>, V: AsRef<str>, const K: usize> From<[(N, V); K]> for Headers {
    fn from(pairs: [(N, V); K]) -> Self {
        pairs.into_iter().collect()
    }
}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Headers;

    #[test]
    fn headers_read_back_in_order_by_any_case() {
        let headers = Headers::from([
            ("host", "localhost"),
            ("x-empty", ""),
            ("authorization", "Bearer k"),
            ("x-team", "a"),
            ("x-team", "b"),
        ]);
        assert_eq!(headers.iter().count(), 5);
        assert_eq!(headers.get("Authorization"), Some("Bearer k"));
        assert_eq!(headers.get("x-empty"), Some(""));
        assert_eq!(headers.get("x-team"), Some("a"), "the first of two");
        assert_eq!(headers.get("host2"), None);
        // A length no name has is answered at once; one a name shares (modulo 64) still scans.
        assert_eq!(headers.get("persona-version"), None);
        let long = "x".repeat(68);
        let aliased = Headers::from([("host", "h"), (long.as_str(), "v")]);
        assert_eq!(aliased.get(&long), Some("v"));
        assert_eq!(aliased.get(&"y".repeat(68)), None);
        assert_eq!(aliased.get("HOST"), Some("h"));
        let pairs: Vec<_> = headers.iter().collect();
        assert_eq!(pairs[1], ("x-empty", ""));
        assert_eq!(pairs[4], ("x-team", "b"));
        assert!(
            Headers::default().iter().next().is_none() && Headers::default().get("host").is_none()
        );
        assert_eq!(
            format!("{:?}", Headers::from([("a", "1")])),
            r#"{"a": "1"}"#
        );
    }
}
