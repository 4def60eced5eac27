//! The Rust front end: items carrying `#[derive(Event)]`, `#[derive(Layer)]`,
//! `#[derive(NamedType)]`, `#[derive(NamedEnum)]` and `#[derive(Catalog)]` (the
//! `event-macros` derives) into the same [`Definitions`] as the TOML front end, with
//! origins pointing into the Rust source, so the same checks run.
//!
//! As serde_derive does, an item is read in one pass that collects every mistake
//! ([`ItemError`], on the offending token); the catalog-level rules are the checker's.
//! `eventgen generate --rust-src` reads whole files ([`parse`]); the derives read their
//! own item ([`read_item`]) and the rest of the crate the same way.

pub(crate) mod attrs;
mod events;
mod fields;
mod files;
mod items;
mod named;
mod types;
mod view;

use proc_macro2::Span;

use crate::diagnostic::{Diagnostic, Rule};
use crate::source::{FileId, Origin};
pub(crate) use files::parse;
pub use files::{Found, add, scan, source_files};
pub use items::read as read_item;
pub use view::{Body, Declared, ItemView, LayerMember};

/// The kinds of items the derives declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// `#[derive(Catalog)]`: the catalog's name and schema base.
    Catalog,
    /// `#[derive(Layer)]`: one level of the hierarchy.
    Layer,
    /// `#[derive(Event)]`: one event type.
    Event,
    /// `#[derive(NamedType)]`: a named object type.
    NamedType,
    /// `#[derive(NamedEnum)]`: an enum.
    NamedEnum,
}

impl ItemKind {
    /// Every kind.
    pub const ALL: [ItemKind; 5] = [
        ItemKind::Catalog,
        ItemKind::Layer,
        ItemKind::Event,
        ItemKind::NamedType,
        ItemKind::NamedEnum,
    ];

    /// The derive's name.
    pub fn derive_name(self) -> &'static str {
        match self {
            ItemKind::Catalog => "Catalog",
            ItemKind::Layer => "Layer",
            ItemKind::Event => "Event",
            ItemKind::NamedType => "NamedType",
            ItemKind::NamedEnum => "NamedEnum",
        }
    }

    /// The container attribute's name.
    pub fn attribute(self) -> &'static str {
        match self {
            ItemKind::Catalog => attrs::CATALOG,
            ItemKind::Layer => attrs::LAYER,
            ItemKind::Event => attrs::EVENT,
            ItemKind::NamedType => attrs::NAMED_TYPE,
            ItemKind::NamedEnum => attrs::NAMED_ENUM,
        }
    }

    /// What the definitions format calls it.
    pub fn what(self) -> &'static str {
        match self {
            ItemKind::Catalog => "catalog",
            ItemKind::Layer => "layer",
            ItemKind::Event => "event",
            ItemKind::NamedType => "type",
            ItemKind::NamedEnum => "enum",
        }
    }

    fn rust_kind(self) -> &'static str {
        match self {
            ItemKind::NamedEnum => "enum",
            _ => "struct",
        }
    }
}

/// A mistake in one item, on the token that is wrong.
#[derive(Debug, Clone)]
pub struct ItemError {
    /// The rule it breaks (as the checker names rules).
    pub rule: Rule,
    /// The offending token.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

impl ItemError {
    /// A new error at `span`.
    pub fn new(
        rule: Rule,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            rule,
            span,
            message: message.into(),
            help: help.into(),
        }
    }

    /// As a compiler error (the macros' form).
    pub fn to_syn(&self) -> syn::Error {
        syn::Error::new(self.span, format!("{}\nhelp: {}", self.message, self.help))
    }

    /// As a diagnostic (the CLI's form).
    pub fn to_diagnostic(&self, spans: &mut dyn Spans) -> Diagnostic {
        Diagnostic::error(self.rule, self.message.clone())
            .label(&spans.origin(self.span), "here")
            .help(self.help.clone())
    }
}

/// Turns token spans into the origins the IR records.
pub trait Spans {
    /// The origin of a token.
    fn origin(&mut self, span: Span) -> Origin;
}

/// Spans of a file parsed outside a macro: byte ranges into its text.
pub(crate) struct FileSpans(pub FileId);

impl Spans for FileSpans {
    fn origin(&mut self, span: Span) -> Origin {
        Origin {
            file: self.0,
            span: span.byte_range(),
        }
    }
}

/// The definition name of a Rust item: `OneOffJob` becomes `one-off-job`.
pub(crate) use crate::naming::kebab_case as kebab_name;
