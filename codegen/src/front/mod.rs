//! Front ends: each turns one way of writing definitions into [`crate::ir::Definitions`].

pub mod rust;
pub mod toml;
