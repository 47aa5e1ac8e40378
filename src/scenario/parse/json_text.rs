//! Where things are in a JSON text: an object's members and an array's items as slices of the
//! text, byte offsets turned into lines and columns and back, and copies of a text with all but
//! some pieces blanked out. `vendor-sandbox check` reads a failed file piece by piece with these,
//! so each problem is found on its own and placed where it is.

use std::ops::Range;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// One member of an object, as slices of its text. Offsets are the object text's.
pub struct Member<'a> {
    pub key: String,
    /// The key's opening quote.
    pub key_start: usize,
    /// The key's closing quote: where serde_json places an unknown or duplicate field.
    pub key_end: usize,
    pub value: &'a str,
    pub value_start: usize,
}

impl Member<'_> {
    /// The member from its key to the end of its value.
    fn span(&self) -> Range<usize> {
        self.key_start..self.value_start + self.value.len()
    }
}

/// The members of `text`, in order (duplicates kept), or `None` when it is not an object.
pub fn members(text: &str) -> Option<Vec<Member<'_>>> {
    let entries = serde_json::from_str::<Entries>(text).ok()?;
    entries
        .0
        .into_iter()
        .map(|(key, value)| {
            let value_start = offset_in(text, value.get());
            let (key_start, key_end) = key_span(text, value_start)?;
            Some(Member {
                key,
                key_start,
                key_end,
                value: value.get(),
                value_start,
            })
        })
        .collect()
}

/// The items of `text` with their offsets, or `None` when it is not an array.
pub fn items(text: &str) -> Option<Vec<(usize, &str)>> {
    let items = serde_json::from_str::<Vec<&RawValue>>(text).ok()?;
    Some(
        items
            .into_iter()
            .map(|item| (offset_in(text, item.get()), item.get()))
            .collect(),
    )
}

/// Where `inner`, a slice of `outer`, starts in it.
pub fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

/// The 1-based line and column of byte `offset` of `text`.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// The byte of `text` at serde_json's `line` and `column` (the last byte it read; column 0 is
/// the start of the line). Line 0 is an error serde_json gave no place, one raised after the
/// whole text was read (a conversion of the top value): its last byte, as it would be inside
/// a larger text.
pub fn offset_at(text: &str, line: usize, column: usize) -> usize {
    if line == 0 {
        return text.len().saturating_sub(1);
    }
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// Where `path` (member names and item numbers) leads in `text`: the value found, or the
/// deepest one found on the way.
pub fn locate(text: &str, path: &[String]) -> usize {
    let mut here = text;
    for step in path {
        let next = match (members(here), items(here)) {
            (Some(members), _) => members
                .into_iter()
                .rev()
                .find(|m| &m.key == step)
                .map(|m| m.value),
            (None, Some(items)) => step
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).map(|(_, item)| *item)),
            (None, None) => None,
        };
        match next {
            Some(next) => here = next,
            None => break,
        }
    }
    offset_in(text, here)
}

/// Copies of the object `text`, one per piece, each with every other member and item blanked
/// out (spaces; line breaks kept), so offsets, lines and columns stay those of `text`. A piece
/// is an item of an array member or a member of an object member, or else a whole member.
pub fn pieces(text: &str) -> Vec<String> {
    let Some(members) = members(text) else {
        return Vec::new();
    };
    let ends = [0..1, text.len().saturating_sub(1)..text.len()];
    let mut out = Vec::new();
    for member in &members {
        let value_end = member.value_start + member.value.len();
        // The member's key and its value's brackets, around one of its items.
        let around = [
            member.key_start..member.value_start + 1,
            value_end.saturating_sub(1)..value_end,
        ];
        let inner: Vec<Range<usize>> = match (items(member.value), self::members(member.value)) {
            (Some(items), _) => items
                .iter()
                .map(|&(at, item)| at..at + item.len())
                .collect(),
            (None, Some(entries)) => entries.iter().map(Member::span).collect(),
            (None, None) => Vec::new(),
        };
        if inner.is_empty() {
            out.push(mask(text, &[&ends[..], &[member.span()]].concat()));
        }
        for range in inner {
            let shifted = member.value_start + range.start..member.value_start + range.end;
            out.push(mask(text, &[&ends[..], &around[..], &[shifted]].concat()));
        }
    }
    out
}

/// `text` with every byte outside `keep` turned into a space, line breaks excepted. Ranges
/// start and end at tokens, so whole characters are blanked and the copy stays UTF-8.
fn mask(text: &str, keep: &[Range<usize>]) -> String {
    text.char_indices()
        .map(|(i, c)| {
            if c == '\n' || keep.iter().any(|r| r.contains(&i)) {
                c.to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect()
}

/// The opening and closing quotes of the key before the value at `value_start`.
fn key_span(text: &str, value_start: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let before = |mut i: usize| {
        while i > 0 && bytes[i - 1].is_ascii_whitespace() {
            i -= 1;
        }
        i.checked_sub(1)
    };
    let colon = before(value_start).filter(|&i| bytes[i] == b':')?;
    let close = before(colon).filter(|&i| bytes[i] == b'"')?;
    // The first quote back that no backslash escapes.
    let mut open = close;
    loop {
        open = open.checked_sub(1)?;
        if bytes[open] == b'"' {
            let slashes = bytes[..open]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            if slashes % 2 == 0 {
                return Some((open, close));
            }
        }
    }
}

/// An object's members in order, duplicates kept (a map would keep the last only).
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_placed_at_their_keys_and_values() {
        let text = "{\"a\": 1,\n \"b\\\"c\" :[2, 3], \"a\": {}}";
        let found = members(text).expect("an object");
        let keys: Vec<&str> = found.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["a", "b\"c", "a"]);
        assert_eq!(&text[found[1].key_start..=found[1].key_end], "\"b\\\"c\"");
        assert_eq!(found[1].value, "[2, 3]");
        assert_eq!(position(text, found[1].key_end), (2, 7));
        assert!(members("[1]").is_none() && items("{}").is_none());
    }

    #[test]
    fn offsets_lines_and_columns_convert_both_ways() {
        let text = "{\n  \"x\": [1,\n  2]}";
        for offset in [0, 1, 4, 12, 15] {
            let (line, column) = position(text, offset);
            assert_eq!(offset_at(text, line, column), offset, "{offset}");
        }
        let x = vec!["x".to_string(), "1".to_string()];
        assert_eq!(position(text, locate(text, &x)), (3, 3));
        assert_eq!(offset_at(text, 0, 0), text.len() - 1);
        let nowhere = vec!["y".to_string()];
        assert_eq!(locate(text, &nowhere), 0);
    }

    #[test]
    fn pieces_keep_one_item_each_in_place() {
        let text = "{\"u\": [{\"e\": 1}, {\"é\": 2}],\n \"w\": {\"k\": 3}, \"n\": 4}";
        let pieces = pieces(text);
        assert_eq!(pieces.len(), 4);
        for piece in &pieces {
            assert_eq!(piece.len(), text.len());
            assert!(
                serde_json::from_str::<serde_json::Value>(piece).is_ok(),
                "{piece}"
            );
        }
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pieces[1]).ok(),
            Some(serde_json::json!({"u": [{"é": 2}]}))
        );
        assert_eq!(pieces[1].find("\"é\""), text.find("\"é\""));
    }
}
