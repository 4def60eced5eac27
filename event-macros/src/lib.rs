//! Derive macros for declaring events in Rust.
//!
//! Not implemented yet: events are declared in TOML files under `definitions/` for now.
//! The derives will turn items into the same IR as the TOML front end of `event-codegen`.
