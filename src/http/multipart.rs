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
pub fn boundary(content_type: &str) -> Option<&str> {
    let mut params = content_type.split(';');
    let media = params.next()?.trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// The parts of `body`, delimited by `boundary`.
pub fn parse<'b>(boundary: &str, body: &'b [u8]) -> Result<Vec<Part<'b>>, String> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let Some(first) = memmem::find(body, delimiter.as_bytes()) else {
        return Err(format!(
            "multipart body has no part: boundary {boundary:?} not found"
        ));
    };
    let mut rest = &body[first + delimiter.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
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
    let param = |wanted: &str| {
        disposition
            .split(';')
            .skip(1)
            .filter_map(|p| p.split_once('='))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(wanted))
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
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
            Some("a b")
        );
        assert_eq!(boundary("Multipart/Form-Data;boundary=x"), Some("x"));
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
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
