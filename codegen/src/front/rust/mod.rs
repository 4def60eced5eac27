//! The Rust front end: items carrying `#[derive(Event)]`, `#[derive(Layer)]`,
//! `#[derive(NamedType)]`, `#[derive(NamedEnum)]` and `#[derive(Catalog)]` (the
//! `event-macros` derives) into the same [`Definitions`] as the TOML front end, with
//! origins pointing into the Rust source, so the same checks run.
//!
//! As serde_derive does, an item is read in one pass that collects every mistake
//! ([`ItemError`], on the offending token); the catalog-level rules are the checker's.
//! `eventgen generate --rust-src` reads whole files ([`parse`]); the derives read their
//! own item ([`items::read`]) and the rest of the crate the same way.

pub mod attrs;
pub mod items;
mod types;

use std::path::{Path, PathBuf};

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, Rule};
use crate::ir::Definitions;
use crate::source::{FileId, Origin};
use items::{Body, Declared, ItemView};

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
pub struct FileSpans(pub FileId);

impl Spans for FileSpans {
    fn origin(&mut self, span: Span) -> Origin {
        Origin {
            file: self.0,
            span: span.byte_range(),
        }
    }
}

/// `OneOffJob` becomes `one-off-job`.
pub fn kebab_name(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 4);
    let mut previous: Option<char> = None;
    for c in ident.chars() {
        if c.is_ascii_uppercase()
            && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
        {
            out.push('-');
        }
        if c == '_' {
            out.push('-');
        } else {
            out.push(c.to_ascii_lowercase());
        }
        previous = Some(c);
    }
    out
}

/// One derive item found in a file: its kind, its Rust name, and what it declares.
#[derive(Debug, Clone)]
pub struct Found {
    /// The derive.
    pub kind: ItemKind,
    /// The struct or enum's name.
    pub ident: String,
    /// The 1-based line of its name (tells apart items of one name in two modules).
    pub line: usize,
    /// What it declares.
    pub declared: Declared,
}

/// Reads the derive items of one Rust file. Problems go to `diagnostics`.
pub fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> Definitions {
    let mut definitions = Definitions::default();
    let mut unreadable = Vec::new();
    for found in scan_with(file, text, diagnostics, &mut unreadable) {
        add(&mut definitions, found.declared);
    }
    definitions.unreadable = unreadable;
    definitions
}

/// Reads the derive items of one Rust file, each with its name. Problems go to
/// `diagnostics`.
pub fn scan(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> Vec<Found> {
    scan_with(file, text, diagnostics, &mut Vec::new())
}

/// [`scan`], adding to `unreadable` the names of the items that could not be read (so
/// that the checker does not report them missing wherever they are used).
fn scan_with(
    file: FileId,
    text: &str,
    diagnostics: &mut Diagnostics,
    unreadable: &mut Vec<String>,
) -> Vec<Found> {
    let mut spans = FileSpans(file);
    let syntax = match syn::parse_file(text) {
        Ok(syntax) => syntax,
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(
                    Rule::RustSyntax,
                    format!("the file is not valid Rust: {error}"),
                )
                .label(&spans.origin(error.span()), "here")
                .help("fix the Rust syntax at this place"),
            );
            return Vec::new();
        }
    };
    let mut walker = Walker {
        spans: &mut spans,
        diagnostics,
        unreadable,
        found: Vec::new(),
    };
    walker.walk(&syntax.items);
    walker.found
}

struct Walker<'a> {
    spans: &'a mut FileSpans,
    diagnostics: &'a mut Diagnostics,
    unreadable: &'a mut Vec<String>,
    found: Vec<Found>,
}

impl Walker<'_> {
    fn walk(&mut self, items: &[syn::Item]) {
        for item in items {
            let view = match item {
                syn::Item::Struct(s) => ItemView {
                    attrs: &s.attrs,
                    ident: &s.ident,
                    generics: &s.generics,
                    body: Body::Struct(&s.fields),
                },
                syn::Item::Enum(e) => ItemView {
                    attrs: &e.attrs,
                    ident: &e.ident,
                    generics: &e.generics,
                    body: Body::Enum(&e.variants),
                },
                syn::Item::Union(u) => ItemView {
                    attrs: &u.attrs,
                    ident: &u.ident,
                    generics: &u.generics,
                    body: Body::Union,
                },
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        self.walk(items);
                    }
                    continue;
                }
                _ => continue,
            };
            let kinds = derives(view.attrs);
            let Some(&(kind, _)) = kinds.first() else {
                continue;
            };
            if let Some((second, span)) = kinds.get(1) {
                self.diagnostics.push(
                    ItemError::new(
                        Rule::InvalidValue,
                        *span,
                        format!(
                            "`{}` derives both `{}` and `{}`",
                            view.ident,
                            kind.derive_name(),
                            second.derive_name()
                        ),
                        "an item declares one definition: derive one of them",
                    )
                    .to_diagnostic(self.spans),
                );
                continue;
            }
            match items::read(kind, &view, self.spans) {
                Ok(declared) => self.found.push(Found {
                    kind,
                    ident: view.ident.to_string(),
                    line: view.ident.span().start().line,
                    declared,
                }),
                Err(errors) => {
                    self.unreadable.push(kebab_name(&view.ident.to_string()));
                    for error in errors {
                        self.diagnostics.push(error.to_diagnostic(self.spans));
                    }
                }
            }
        }
    }
}

/// The derives of this front end among the item's `#[derive(...)]` lists, by the last
/// segment of their path (`Event`, `event_macros::Event`).
fn derives(item_attrs: &[syn::Attribute]) -> Vec<(ItemKind, Span)> {
    let mut kinds = Vec::new();
    for attr in attrs::named(item_attrs, "derive") {
        let Ok(paths) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) else {
            continue;
        };
        for path in paths {
            let Some(last) = path.segments.last() else {
                continue;
            };
            if let Some(kind) = ItemKind::ALL
                .into_iter()
                .find(|k| last.ident == k.derive_name())
            {
                kinds.push((kind, path.span()));
            }
        }
    }
    kinds
}

/// Adds a declaration to `definitions`.
pub fn add(definitions: &mut Definitions, declared: Declared) {
    match declared {
        Declared::Catalog(decl) => definitions.catalogs.push(decl),
        Declared::Layer(decl) => definitions.layers.push(decl),
        Declared::Event(decl, _) => definitions.events.push(decl),
        Declared::Type(decl) => definitions.types.push(decl),
        Declared::Enum(decl) => definitions.enums.push(decl),
    }
}

/// The `.rs` files of `paths`: files as given, directories searched recursively (skipping
/// `target` and hidden directories), in name order. Unreadable directories are reported.
pub fn source_files<P: AsRef<Path>>(paths: &[P], diagnostics: &mut Diagnostics) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        collect(path.as_ref(), &mut files, diagnostics);
    }
    files
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Diagnostics) {
    if !path.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(
                    Rule::Io,
                    format!("cannot read directory `{}`: {error}", path.display()),
                )
                .help("check that the directory exists and is readable"),
            );
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    children.sort();
    for child in children {
        let name = child
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if child.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect(&child, files, diagnostics);
            }
        } else if name.ends_with(".rs") {
            files.push(child);
        }
    }
}
