//! A `multipart/form-data` body (RFC 7578) split into its parts, borrowed from the body. Only
//! what a form sends is read: each part's `Content-Disposition` name and filename and its
//! `Content-Type`; anything malformed is an error saying what, never a panic.

use memchr::memmem;

/// One part of a form: a field (`filename` is `None`) or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'b> {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: &'b [u8],
}

impl Part<'_> {
    /// The part's data as text, when it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.data).ok()
    }
}

/// The boundary a `Content-Type` names, when it is `multipart/form-data`.
pub fn boundary(content_type: &str) -> Option<String> {
    let (media, params) = content_type.split_once(';').unwrap_or((content_type, ""));
    if !media.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parameters(params)
        .find(|(name, _)| name.eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value)
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// A header's `; name=value` parameters (RFC 2045, 5.1): a value is a token or a quoted string,
/// in which `;` is text and `\\` escapes the next character. A piece without `=` is skipped.
fn parameters(text: &str) -> impl Iterator<Item = (&str, String)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_start_matches([';', ' ', '\t']);
            if rest.is_empty() {
                return None;
            }
            let Some(eq) = rest.find('=').filter(|eq| !rest[..*eq].contains(';')) else {
                rest = rest.split_once(';').map_or("", |(_, after)| after);
                continue;
            };
            let name = rest[..eq].trim();
            let after = rest[eq + 1..].trim_start();
            let value = match after.strip_prefix('"') {
                Some(quoted) => {
                    let mut value = String::new();
                    let mut end = quoted.len();
                    let mut chars = quoted.char_indices();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => value.extend(chars.next().map(|(_, c)| c)),
                            '"' => {
                                end = i + 1;
                                break;
                            }
                            c => value.push(c),
                        }
                    }
                    rest = &quoted[end..];
                    value
                }
                None => {
                    let (token, after) = after.split_once(';').unwrap_or((after, ""));
                    rest = after;
                    token.trim().to_string()
                }
            };
            return Some((name, value));
        }
    })
}

/// The parts of `body`, delimited by `boundary` (RFC 2046, 5.1.1: a delimiter starts a line;
/// blanks may pad it before its line break).
pub fn parse<'b>(boundary: &str, body: &'b [u8]) -> Result<Vec<Part<'b>>, String> {
    let next_delimiter = format!("\r\n--{boundary}");
    let delimiter = &next_delimiter[2..];
    let first = if body.starts_with(delimiter.as_bytes()) {
        Some(delimiter.len())
    } else {
        // After a preamble, on a line of its own.
        memmem::find(body, next_delimiter.as_bytes()).map(|at| at + next_delimiter.len())
    };
    let Some(first) = first else {
        return Err(format!(
            "multipart body has no part: boundary {boundary:?} not found"
        ));
    };
    let mut rest = &body[first..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let padding = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        rest = rest[padding..]
            .strip_prefix(b"\r\n")
            .ok_or("multipart body is malformed: a boundary is not followed by a line break")?;
        let head_end = memmem::find(rest, b"\r\n\r\n")
            .ok_or("multipart body is malformed: a part's headers do not end")?;
        let head = std::str::from_utf8(&rest[..head_end])
            .map_err(|_| "multipart body is malformed: a part's headers are not UTF-8")?;
        let content = &rest[head_end + 4..];
        let end = memmem::find(content, next_delimiter.as_bytes())
            .ok_or("multipart body is malformed: its closing boundary is missing")?;
        parts.push(part(head, &content[..end])?);
        rest = &content[end + next_delimiter.len()..];
    }
}

fn part<'b>(head: &str, data: &'b [u8]) -> Result<Part<'b>, String> {
    let mut disposition = None;
    let mut content_type = None;
    for line in head.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-disposition") {
            disposition = Some(value.trim());
        } else if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_string());
        }
    }
    let disposition =
        disposition.ok_or("multipart body is malformed: a part has no Content-Disposition")?;
    // `form-data; name="…"; filename="…"`: the parameters after the disposition type.
    let params = disposition.split_once(';').map_or("", |(_, params)| params);
    let param = |wanted: &str| {
        parameters(params)
            .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
            .map(|(_, v)| v)
    };
    let name = param("name")
        .filter(|n| !n.is_empty())
        .ok_or("multipart body is malformed: a part's Content-Disposition has no name")?;
    Ok(Part {
        name,
        filename: param("filename"),
        content_type,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files_are_split() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.c\r\n--XyZ\r\nContent-Disposition: form-data; name=\"idFront\"; filename=\"f.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\r\n--XyZ--\r\n";
        let parts = parse("XyZ", body).expect("parsed");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "email");
        assert_eq!(parts[0].text(), Some("a@b.c"));
        assert_eq!(parts[1].filename.as_deref(), Some("f.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n");
    }

    #[test]
    fn the_boundary_is_read_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\""),
            Some("a b".to_string())
        );
        assert_eq!(
            boundary("Multipart/Form-Data;boundary=x"),
            Some("x".to_string())
        );
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn quoted_values_padding_and_a_preamble_are_read_as_the_rfcs_say() {
        let body = b"preamble --b not a delimiter\r\n--b  \r\nContent-Disposition: form-data; filename=\"a;b name=x.png\"; name=\"idFront\"\r\n\r\nx\r\n--b--";
        let parts = parse("b", body).expect("parsed");
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].name, "idFront");
        assert_eq!(parts[0].filename.as_deref(), Some("a;b name=x.png"));
        assert_eq!(
            boundary("multipart/form-data; charset=\"x;y\"; boundary=\"q\\\"b\""),
            Some("q\"b".to_string())
        );
    }

    #[test]
    fn malformed_bodies_are_errors() {
        for body in [
            &b""[..],
            b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nno end",
            b"--b\r\n\r\n\r\nx\r\n--b--",
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
            b"--bX",
        ] {
            assert!(parse("b", body).is_err(), "{body:?}");
        }
    }
}
