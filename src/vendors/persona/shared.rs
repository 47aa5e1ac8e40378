//! Texts many inquiries have alike, kept once: an inquiry's redirect URI is shared (`Arc`) with
//! the inquiry created before it when they are the same. Every Bitmama inquiry of a namespace
//! has the same return URL, so a created card user keeps no copy of it (about 70 bytes and an
//! allocation less). Only the last one is kept to compare with: no table to grow. Tags alike
//! ([`Tags`]: every Bitmama inquiry has `["bitmama"]`, two allocations a copy).

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An inquiry's tags: none without an allocation, else a list shared with the inquiry created
/// before it when equal. Saved and rendered as the array of names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Option<Arc<[String]>>);

impl Tags {
    pub fn as_slice(&self) -> &[String] {
        self.0.as_deref().unwrap_or(&[])
    }
}

impl From<Vec<String>> for Tags {
    fn from(tags: Vec<String>) -> Self {
        Tags((!tags.is_empty()).then(|| Arc::from(tags)))
    }
}

impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(deserializer).map(Tags::from)
    }
}

/// The last redirect URI an inquiry was created with (not saved: inquiries loaded from a state
/// file share it again as the indexes are rebuilt).
#[derive(Debug, Default)]
pub struct Shared {
    redirect: Option<Arc<str>>,
    tags: Tags,
}

impl Shared {
    /// `uri`, shared with the last one when they are equal.
    pub fn redirect(&mut self, uri: &str) -> Arc<str> {
        match &self.redirect {
            Some(last) if **last == *uri => Arc::clone(last),
            _ => Arc::clone(self.redirect.insert(Arc::from(uri))),
        }
    }

    /// `tags`, shared with the last ones when they are equal.
    pub fn tags(&mut self, tags: &[String]) -> Tags {
        if self.tags.as_slice() != tags {
            self.tags = Tags::from(tags.to_vec());
        }
        self.tags.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_are_one_allocation() {
        let mut shared = Shared::default();
        let a = shared.redirect("https://x.test/return");
        let b = shared.redirect("https://x.test/return");
        assert!(Arc::ptr_eq(&a, &b));
        let c = shared.redirect("https://y.test/");
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(&*c, "https://y.test/");
    }

    #[test]
    fn equal_tags_are_shared_and_none_allocate_nothing() {
        let mut shared = Shared::default();
        let bitmama = vec!["bitmama".to_string()];
        let (a, b) = (shared.tags(&bitmama), shared.tags(&bitmama));
        assert!(
            a.0.as_ref()
                .zip(b.0.as_ref())
                .is_some_and(|(a, b)| Arc::ptr_eq(a, b))
        );
        assert_eq!(a.as_slice(), bitmama.as_slice());
        assert!(shared.tags(&[]).0.is_none() && Tags::from(Vec::new()).0.is_none());
        assert_eq!(
            serde_json::to_string(&a).ok().as_deref(),
            Some(r#"["bitmama"]"#)
        );
        assert_eq!(
            serde_json::to_string(&Tags::default()).ok().as_deref(),
            Some("[]")
        );
        let loaded: Option<Tags> = serde_json::from_str(r#"["x"]"#).ok();
        assert_eq!(
            loaded.as_ref().map(Tags::as_slice),
            Some(&["x".to_string()][..])
        );
        assert_eq!(size_of::<Tags>(), 16);
    }
}
