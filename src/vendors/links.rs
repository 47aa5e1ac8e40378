//! Cross-vendor links: the one place where one vendor's state reacts to another's.
//!
//! A vendor that changed something others may depend on calls [`changed`] with the namespace's
//! world still locked, so a Bitmama card user or a Coinflow withdrawer backed by an inquiry moves
//! on in the same critical section. Every other registered vendor gets to [`VendorApi::react`].
//!
//! [`VendorApi::react`]: super::VendorApi::react

use crate::app::App;
use crate::store::World;
use crate::vendor::Vendor;

/// A change other vendors may react to.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// A Persona inquiry changed status (called once per step of a flow, after all its moves).
    InquiryChanged { inquiry_id: &'a str },
}

impl Change<'_> {
    fn source(&self) -> Vendor {
        match self {
            Change::InquiryChanged { .. } => Vendor::Persona,
        }
    }
}

/// Lets every vendor but the one that made `change` react to it.
pub fn changed(app: &App, world: &mut World, change: Change) {
    for api in super::REGISTRY {
        if api.vendor() != change.source() {
            api.react(app, world, &change);
        }
    }
}
