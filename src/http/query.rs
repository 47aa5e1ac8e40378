//! A request's query (and form body) decoded, and query components encoded: percent-encoding
//! as RFC 3986 and HTML forms use it.

/// Decodes `a=1&b=two%20words` into pairs (`+` is a space, as in HTML forms).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    if query.is_empty() {
        // Most requests: no iterator set up to find nothing.
        return Vec::new();
    }
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
            {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A path segment's `%XX` escapes replaced by their bytes (strict, as Express's
/// `decodeURIComponent`: `None` if an escape is not `%` and two hex digits or the bytes are not
/// UTF-8). A `+` stays a `+`: it means a space only in a query.
pub fn percent_decode_path(text: &str) -> Option<String> {
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

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Encodes a query component (RFC 3986 unreserved characters pass through).
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    percent_encode_into(&mut out, input);
    out
}

/// [`percent_encode`] appending to `out`.
pub fn percent_encode_into(out: &mut String, input: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
    // Runs that need no encoding are copied whole (an id is one run). A run is ASCII, so both
    // its ends are character boundaries: `get` misses only an empty run inside a character.
    let mut run = 0;
    for (at, &b) in input.as_bytes().iter().enumerate() {
        if unreserved(b) {
            continue;
        }
        out.push_str(input.get(run..at).unwrap_or_default());
        out.push('%');
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
        run = at + 1;
    }
    out.push_str(input.get(run..).unwrap_or_default());
}

/// An absolute `http`/`https` URL's parts that say where it leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebUrl<'a> {
    /// `https` rather than `http` (the scheme is case-insensitive, RFC 3986 3.1).
    pub https: bool,
    /// The host as written: a name, an IPv4 address or a bracketed IPv6 address.
    pub host: &'a str,
    pub port: Option<u16>,
}

impl WebUrl<'_> {
    /// The port a browser connects to: the one written, else the scheme's.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(if self.https { 443 } else { 80 })
    }
}

/// `uri` as an `http` or `https` URL with a usable host, split as a browser splits it: the
/// authority ends at the first `/`, `?`, `#` or `\` (browsers read `\` as `/` in web URLs,
/// so `https://evil.example\@good.example` leads to evil.example), the host follows the last
/// `@`, and holds none of the code points WHATWG's URL standard forbids in a host (space, `<`,
/// `%`, `^`, …); an IPv6 host is a valid address in brackets; a port is 0-65535. `None` for
/// anything else, and for any control character (a `Location` header could not carry one).
pub fn web_url(uri: &str) -> Option<WebUrl<'_>> {
    if uri.chars().any(char::is_control) {
        return None;
    }
    let (scheme, rest) = uri.split_once(':')?;
    let https = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return None;
    };
    let rest = rest.strip_prefix("//")?;
    let authority = &rest[..rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len())];
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if host_port.starts_with('[') {
        let end = host_port.find(']')?;
        let (host, after) = host_port.split_at(end + 1);
        host[1..end].parse::<std::net::Ipv6Addr>().ok()?;
        if after.is_empty() {
            (host, None)
        } else {
            (host, Some(after.strip_prefix(':')?))
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    let forbidden = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '#' | '/' | ':' | '<' | '>' | '?' | '@' | '[' | '\\' | ']' | '^' | '|' | '%'
            )
    };
    if host.is_empty() || (!host.starts_with('[') && host.chars().any(forbidden)) {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
    };
    Some(WebUrl { https, host, port })
}

/// Whether a browser may be sent to `uri`: [`web_url`] reads it. Not `javascript:` or `data:`.
pub fn is_web_url(uri: &str) -> bool {
    web_url(uri).is_some()
}

/// `uri` with `params` in its query, where a browser sends them: before any `#fragment` (what
/// follows `#` never reaches the server). A parameter the query already has under one of those
/// names is replaced, not repeated, so the receiver reads one value *(choice)*. Bytes a
/// `Location` header cannot carry (spaces, non-ASCII) are percent-encoded; the rest of `uri`
/// is kept as written.
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let (base, fragment) = uri.split_at(uri.find('#').unwrap_or(uri.len()));
    let (path, query) = base.split_once('?').unwrap_or((base, ""));
    let mut location = String::with_capacity(uri.len() + 64);
    push_graphic(&mut location, path);
    let mut separator = '?';
    let replaced = |pair: &str| {
        let name = percent_decode(pair.split_once('=').map_or(pair, |(name, _)| name));
        params.iter().any(|(given, _)| *given == name)
    };
    for pair in query.split('&').filter(|p| !p.is_empty() && !replaced(p)) {
        location.push(separator);
        push_graphic(&mut location, pair);
        separator = '&';
    }
    for (name, value) in params {
        location.push(separator);
        location.push_str(name);
        location.push('=');
        percent_encode_into(&mut location, value);
        separator = '&';
    }
    push_graphic(&mut location, fragment);
    location
}

/// Appends `text`, percent-encoding each byte of a character that is not visible ASCII.
fn push_graphic(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for c in text.chars() {
        if c.is_ascii_graphic() {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_are_http_with_a_usable_host_and_no_control_character() {
        for ok in [
            "https://app.example/done",
            "http://localhost:3000",
            "HTTPS://x?y#z",
            "HTTPS://EXAMPLE.COM/",
            "Http://[::1]:8080/x",
            "https://user:pw@app.example/",
            "https://app.example:443",
            "https://bücher.example/é x",
        ] {
            assert!(is_web_url(ok), "{ok}");
        }
        for refused in [
            "javascript:alert(1)",
            "data:text/html,x",
            "http://",
            "http:///path",
            "https:app.example",
            "ftp://app.example",
            "https://app.example/done\nevil",
            "",
            "https://@",
            "https://user@/x",
            "https://:443/x",
            "https://[/",
            "https://[zz]/",
            "https://[::1]x/",
            "http://a b/",
            "https://a<b/",
            "https://a%2eb/",
            "https://app.example:/",
            "https://app.example:65536/",
            "https://app.example:8x/",
            "https://\\evil.example",
        ] {
            assert!(!is_web_url(refused), "{refused:?}");
        }
    }

    #[test]
    fn web_urls_lead_where_a_browser_goes() {
        let parts = |uri| web_url(uri).map(|u| (u.https, u.host, u.effective_port()));
        assert_eq!(
            parts("https://evil.example\\@good.example/"),
            Some((true, "evil.example", 443)),
            "a backslash ends the authority, as browsers read it"
        );
        assert_eq!(
            parts("http://a@b@[::1]:9/"),
            Some((false, "[::1]", 9)),
            "the host follows the last @"
        );
        assert_eq!(
            parts("HTTP://Host.Example"),
            Some((false, "Host.Example", 80))
        );
    }

    #[test]
    fn path_segments_decode_strictly() {
        assert_eq!(
            percent_decode_path("my%20merchant").as_deref(),
            Some("my merchant")
        );
        assert_eq!(
            percent_decode_path("a%2Fb+c%c3%a9").as_deref(),
            Some("a/b+cé")
        );
        for bad in ["%", "%2", "%zz", "%+1", "%FF", "a%C3"] {
            assert_eq!(percent_decode_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn query_decoding() {
        assert_eq!(
            parse_query("page%5Bsize%5D=2&filter[status]=a,b&x=one+two&empty"),
            vec![
                ("page[size]".to_string(), "2".to_string()),
                ("filter[status]".to_string(), "a,b".to_string()),
                ("x".to_string(), "one two".to_string()),
                ("empty".to_string(), String::new()),
            ]
        );
        assert_eq!(
            parse_query("bad=%zz%4"),
            vec![("bad".into(), "%zz%4".into())]
        );
        assert_eq!(parse_query("x=%é%"), vec![("x".into(), "%é%".into())]);
    }

    #[test]
    fn query_goes_before_the_fragment_once() {
        let id = [("referenceId", "acme-rain-user-1")];
        assert_eq!(
            with_query("https://app.example.com/kyc/done#result", &id),
            "https://app.example.com/kyc/done?referenceId=acme-rain-user-1#result"
        );
        assert_eq!(
            with_query("https://a.example/x?tab=kyc#top?not=query", &id),
            "https://a.example/x?tab=kyc&referenceId=acme-rain-user-1#top?not=query"
        );
        // One referenceId, the given one, where the URL had one (or an encoded name of it).
        assert_eq!(
            with_query(
                "https://a.example/x?referenceId=old&b=1&reference%49d=x",
                &id
            ),
            "https://a.example/x?b=1&referenceId=acme-rain-user-1"
        );
        assert_eq!(
            with_query("https://a.example/x?&", &id),
            "https://a.example/x?referenceId=acme-rain-user-1"
        );
        assert_eq!(
            with_query("https://a.example/é x?q=ü", &[("s", "a b")]),
            "https://a.example/%C3%A9%20x?q=%C3%BC&s=a%20b"
        );
    }

    #[test]
    fn encode_round_trips() {
        let s = "a b&c=d/é";
        assert_eq!(percent_encode(s), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(percent_decode(&percent_encode(s)), s);
        // Runs copied whole between encoded bytes, multi-byte characters next to each other.
        assert_eq!(percent_encode("ééx~y"), "%C3%A9%C3%A9x~y");
        assert_eq!(percent_encode("inq_AbC"), "inq_AbC");
        assert_eq!(percent_encode(""), "");
    }
}
