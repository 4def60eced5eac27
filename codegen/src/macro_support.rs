//! What the `event-macros` derives need from this library: the Rust front end (reading
//! one derive item, and scanning the crate's sources for the others), the checker, and
//! the Rust emitter's code for one item.
//!
//! Not part of the public API: it follows `event-macros` of the same version and may
//! change in any release.

pub use crate::check::check_on;
pub use crate::front::rust::{
    Body, Declared, Found, ItemError, ItemKind, ItemView, LayerMember, Spans, add, read_item, scan,
    source_files,
};
pub use crate::generate::rust::{
    catalog_impls, enum_impls, event_impls, event_layer_members, layer_impls, type_impls,
};
