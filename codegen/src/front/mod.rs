//! Front ends: each turns one way of writing definitions into [`crate::ir::Definitions`].

pub(crate) mod rust;
pub(crate) mod toml;
