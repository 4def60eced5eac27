//! Event definitions in, everything a service needs out.
//!
//! The pipeline runs one way: the front ends (TOML files, and the Rust items of the
//! `event-macros` derives) read definitions into the [`ir`]; the checker enforces every
//! rule, builds the [`model::Catalog`] and compares it with the [`lock`] of the last
//! generation ([`evolution`], [`gate`]); the emitters of [`generate`] read the catalog.
//! Problems are [`diagnostic::Diagnostic`]s, all collected in one run and rendered with
//! the source they point at.
//!
//! ```no_run
//! let loaded = event_codegen::load(&["definitions"]);
//! eprint!("{}", loaded.render(event_codegen::diagnostic::Style::Plain));
//! let catalog = loaded.catalog.expect("valid definitions");
//! println!("{} events", catalog.events.len());
//! ```
//!
//! Build scripts use the [`Builder`]; the `eventgen` command and the `event-macros`
//! derives are thin crates over this library.

mod builder;
mod check;
pub mod config;
pub mod date;
pub mod diagnostic;
pub mod evolution;
pub mod format_schema;
mod front;
pub mod generate;
mod generated;
pub mod ir;
mod loading;
pub mod lock;
#[doc(hidden)]
pub mod macro_support;
pub mod message;
pub mod model;
mod naming;
pub mod shape;
pub mod source;
mod text;
pub mod usage;

pub use builder::{BuildError, Builder};
pub use check::evolution::{Gate, gate};
pub use config::{Config, ConfigError};
pub use loading::{Baseline, Loaded, load, load_sources, load_str};
