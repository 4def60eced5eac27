//! Whole Rust files: their derive items, found wherever they sit (inline modules too),
//! and the `.rs` files of directories.

use std::path::{Path, PathBuf};

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::items;
use super::view::{Body, Declared, ItemView};
use super::{FileSpans, ItemError, ItemKind, Spans, attrs, kebab_name};
use crate::diagnostic::{Diagnostic, Diagnostics, Rule};
use crate::ir::Definitions;
use crate::source::FileId;

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
pub(crate) fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> Definitions {
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
        Declared::Catalog(decl, _) => definitions.catalogs.push(decl),
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
