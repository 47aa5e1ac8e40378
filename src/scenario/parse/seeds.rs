//! A vendor's section of `initial_state`, checked from its text so every problem found has a
//! place: what serde refuses (an unknown field, a wrong type) piece by piece, what the vendor's
//! own check refuses (a negative balance, an email its API would refuse) at the value it names.

use serde::de::DeserializeOwned;

use super::json_text;

/// What a vendor's check of its section finds wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedProblem {
    /// Member names and item numbers inside the section: `["users", "1", "email"]`.
    pub path: Vec<String>,
    pub message: String,
}

impl SeedProblem {
    pub fn at(path: &[&str], message: String) -> Self {
        SeedProblem {
            path: path.iter().map(|s| s.to_string()).collect(),
            message,
        }
    }
}

/// A problem in a section, at byte `offset` of the section's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionProblem {
    pub offset: usize,
    pub message: String,
}

/// Every problem of the section `text` read as `T`, in the order they appear. The vendor's
/// `check` runs once the section reads as `T`; until then each piece (an item of a list, an
/// entry of a map, a member) is read alone, which needs every member of `T` to have a default.
pub fn seed_problems<T: DeserializeOwned>(
    text: &str,
    check: fn(&T) -> Vec<SeedProblem>,
) -> Vec<SectionProblem> {
    let first = match serde_json::from_str::<T>(text) {
        Ok(seed) => {
            return check(&seed)
                .into_iter()
                .map(|p| SectionProblem {
                    offset: json_text::locate(text, &p.path),
                    message: p.message,
                })
                .collect();
        }
        Err(e) => placed(text, &e),
    };
    let mut found: Vec<SectionProblem> = Vec::new();
    if serde_json::from_str::<T>("{}").is_ok() {
        for piece in json_text::pieces(text) {
            if let Err(e) = serde_json::from_str::<T>(&piece) {
                let problem = placed(&piece, &e);
                if !found.contains(&problem) {
                    found.push(problem);
                }
            }
        }
    }
    // Pieces read alone find what the whole found, unless `T` is read in some other way.
    if !found.iter().any(|p| p.message == first.message) {
        found.push(first);
    }
    found.sort_by_key(|p| p.offset);
    found
}

/// serde_json's message without its position, and that position as an offset of `text`.
fn placed(text: &str, e: &serde_json::Error) -> SectionProblem {
    SectionProblem {
        offset: json_text::offset_at(text, e.line(), e.column()),
        message: super::message_of(e),
    }
}
