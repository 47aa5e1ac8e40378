//! The vendors (`src/vendors/`): one folder per vendor, the route tables, the indexes that keep
//! requests cheap as state grows.

mod bitmama;
pub mod coinflow;
mod frame;
mod indexes;
mod persona;
mod settle;
mod table;
