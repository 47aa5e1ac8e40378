//! Answers' JSON rendered into bytes: through serde ([`render_json`]) or written directly
//! ([`render_with`], [`push_json_str`]) where serde's per-byte escaping was a measured share of
//! a request.

use hyper::body::Bytes;

thread_local! {
    /// Where a render writes before copying out: grown once per thread to the largest body seen
    /// (bounded by [`SCRATCH_KEPT`]), so a render allocates only its exact-size result.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A scratch buffer grown past this by one huge body is dropped rather than kept.
const SCRATCH_KEPT: usize = 64 * 1024;

/// `body` as JSON in a buffer of its exact size (the bytes may be kept: journal, idempotent
/// replays). Empty if `body` cannot be serialized.
pub fn render_json(body: &impl serde::Serialize) -> Bytes {
    render_with(|out| {
        if serde_json::to_writer(&mut *out, body).is_err() {
            out.clear();
        }
    })
}

/// What `write` appends to an empty buffer, in a buffer of its exact size. Written into a
/// per-thread scratch buffer and copied: a growing `Vec` reallocates on its way up and a large
/// first guess is one of glibc's slow large allocations, each measured on the create path.
pub fn render_with(write: impl FnOnce(&mut Vec<u8>)) -> Bytes {
    SCRATCH.with(|scratch| {
        let Ok(mut out) = scratch.try_borrow_mut() else {
            // Only if a render starts another (a `Serialize` impl or `write` rendering a body).
            let mut out = Vec::new();
            write(&mut out);
            return Bytes::from(out);
        };
        out.clear();
        write(&mut out);
        let rendered = Bytes::copy_from_slice(&out);
        if out.capacity() > SCRATCH_KEPT {
            *out = Vec::new();
        }
        rendered
    })
}

/// Appends `text` as a JSON string, as serde_json writes it. Text with nothing to escape (ids,
/// URLs, most messages) is copied whole: serde_json looks every byte up in its escape table,
/// which for a Bitmama create's URL and service id was about 1,400 instructions.
pub fn push_json_str(out: &mut Vec<u8>, text: &str) {
    // A fold into a byte with no early exit, which the compiler turns into vector
    // instructions (a byte loop was 4 instructions a byte).
    let escaped = text.as_bytes().iter().fold(0u8, |seen, &b| {
        seen | u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
    });
    if escaped == 0 {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, text).is_err() {
        // Writing to a `Vec` does not fail; a string always serializes.
        out.extend_from_slice(b"\"\"");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_bodies_are_exact_and_independent_of_earlier_ones() {
        let long = serde_json::json!({"data": {"id": "inq_1", "note": "x".repeat(3000)}});
        let short = serde_json::json!({"ok": true});
        let first = render_json(&long);
        let second = render_json(&short);
        assert_eq!(first, serde_json::to_vec(&long).expect("json"));
        // The scratch buffer held the long body: the short one must not carry its tail.
        assert_eq!(&second[..], br#"{"ok":true}"#);
        // A body past the kept size is rendered whole, and the next one is still right.
        let huge = serde_json::json!({"blob": "y".repeat(SCRATCH_KEPT * 2)});
        assert_eq!(render_json(&huge).len(), SCRATCH_KEPT * 2 + 11);
        assert_eq!(&render_json(&short)[..], br#"{"ok":true}"#);
        SCRATCH.with(|scratch| assert!(scratch.borrow().capacity() <= SCRATCH_KEPT));
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let texts = [
            "",
            "plain",
            "http://127.0.0.1:5000/verify?inquiry-id=inq_1&x=%22",
            "quote \" here",
            "back\\slash",
            "line\nbreak\ttab\u{1}\u{1f}",
            "\u{7f} del, é, 😀, </script>",
            "ends with \"",
        ];
        for text in texts {
            let mut out = b"[".to_vec();
            push_json_str(&mut out, text);
            let expected = [b"[".to_vec(), serde_json::to_vec(text).expect("json")].concat();
            assert_eq!(out, expected, "{text:?}");
        }
    }
}
