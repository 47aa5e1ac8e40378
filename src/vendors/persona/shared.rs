//! Texts many inquiries have alike, kept once: an inquiry's redirect URI is shared (`Arc`) with
//! the inquiry created before it when they are the same. Every Bitmama inquiry of a namespace
//! has the same return URL, so a created card user keeps no copy of it (about 70 bytes and an
//! allocation less). Only the last one is kept to compare with: no table to grow.

use std::sync::Arc;

/// The last redirect URI an inquiry was created with (not saved: inquiries loaded from a state
/// file share it again as the indexes are rebuilt).
#[derive(Debug, Default)]
pub struct Shared {
    redirect: Option<Arc<str>>,
}

impl Shared {
    /// `uri`, shared with the last one when they are equal.
    pub fn redirect(&mut self, uri: &str) -> Arc<str> {
        match &self.redirect {
            Some(last) if **last == *uri => Arc::clone(last),
            _ => Arc::clone(self.redirect.insert(Arc::from(uri))),
        }
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
}
