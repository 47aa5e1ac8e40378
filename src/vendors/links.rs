//! Cross-vendor links: the one place where one vendor's state reacts to another's.
//!
//! The Persona part calls [`inquiry_changed`] after every inquiry status change, with the
//! namespace's world still locked, so a Bitmama card user or a Coinflow withdrawer backed by
//! that inquiry moves on in the same critical section.

use crate::app::App;
use crate::store::World;

/// Called by the Persona part after inquiry `inquiry_id` changed status.
pub fn inquiry_changed(app: &App, world: &mut World, inquiry_id: &str) {
    super::bitmama::on_inquiry_changed(app, world, inquiry_id);
    super::coinflow::on_inquiry_changed(app, world, inquiry_id);
}
