//! Which vendor: the identity every layer names (config, webhooks, scenario files, the router).
//! A leaf: it imports nothing of this crate. What a vendor *does* is behind
//! [`crate::vendors::VendorApi`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Persona,
    Coinflow,
    Bitmama,
}

impl Vendor {
    pub const ALL: [Vendor; 3] = [Vendor::Persona, Vendor::Coinflow, Vendor::Bitmama];

    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Persona => "persona",
            Vendor::Coinflow => "coinflow",
            Vendor::Bitmama => "bitmama",
        }
    }

    pub fn parse(name: &str) -> Option<Vendor> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
