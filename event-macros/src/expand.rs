//! One derive, in serde_derive's three phases: read the item (every mistake on its token),
//! cross-check it with the catalog it belongs to (the checker's rules, reported on the
//! item's tokens), then expand to the emitter's code for it.

use std::path::PathBuf;

use event_codegen::date::Date;
use event_codegen::diagnostic::{Diagnostic, Diagnostics, Severity};
use event_codegen::ir::{CatalogDecl, Definitions};
use event_codegen::macro_support::{
    self as support, Body, Declared, ItemError, ItemKind, ItemView, LayerMember, Spans,
};
use event_codegen::model::Catalog;
use event_codegen::source::{FileId, Loc, Origin, SourceMap};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput};

use crate::scan::{self, FileItems};
use crate::stub;

/// The item's tokens, numbered: its origins are `index..index + 1` in its own file id, so
/// a diagnostic of the checker finds its way back to the token.
struct ItemSpans {
    file: FileId,
    spans: Vec<Span>,
}

impl Spans for ItemSpans {
    fn origin(&mut self, span: Span) -> Origin {
        self.spans.push(span);
        let index = self.spans.len() - 1;
        Origin {
            file: self.file,
            span: index..index + 1,
        }
    }
}

impl ItemSpans {
    /// The scanned files are file 0 (see `scan`), the item is file 1.
    fn new() -> Self {
        let mut sources = SourceMap::new();
        sources.add("scanned", "");
        Self {
            file: sources.add("item", ""),
            spans: Vec::new(),
        }
    }

    fn span(&self, origin: &Origin) -> Option<Span> {
        (origin.file == self.file)
            .then(|| self.spans.get(origin.span.start).copied())
            .flatten()
    }
}

/// Expands `#[derive(<kind>)]` on `input`.
pub(crate) fn derive(kind: ItemKind, input: &DeriveInput) -> TokenStream {
    let own_file = input
        .ident
        .span()
        .local_file()
        .and_then(|p| p.canonicalize().ok());
    let files = scan::crate_items(own_file.as_deref());
    let scanned = scanned_as(&files, kind, input, own_file.as_ref());
    // One derive is enough to make the compiler re-expand when a scanned file changes:
    // the catalog's (whose code changes with any definition anyway), or when the crate
    // declares none, the first of each file; and any derive the scan did not find. Each
    // tracking constant holds every file's bytes: left out of the other derives, a
    // module whose items did not change keeps its incremental state.
    let has_catalog = files
        .iter()
        .flat_map(|f| f.items.iter())
        .any(|found| found.kind == ItemKind::Catalog);
    let tracks = match scanned {
        None => true,
        Some(_) if has_catalog => kind == ItemKind::Catalog,
        Some((_, index)) => index == 0,
    };
    let tracking = if tracks {
        track(files.iter().map(|f| &f.path))
    } else {
        TokenStream::new()
    };
    let mut spans = ItemSpans::new();

    // Parse: the item on its own.
    let declared = match support::read_item(kind, &item_view(input), &mut spans) {
        Ok(declared) => declared,
        Err(errors) => return failed(kind, input, errors.iter().map(ItemError::to_syn), tracking),
    };
    let name = definition_name(&declared);
    let members = match &declared {
        Declared::Event(_, members) => members.clone(),
        _ => Vec::new(),
    };

    // The crate's catalog as scanned, checked once for every derive of the compilation:
    // when it checks clean and holds this item as scanned, it is this item's catalog.
    if scanned.is_some()
        && let Some(catalog) = scan::checked_catalog(&files)
    {
        if let Some(errors) = cross_check(&catalog, &name, &members, input) {
            return failed(kind, input, errors, tracking);
        }
        let impls = item_impls(kind, &catalog, &name);
        return quote!(#impls #tracking);
    }

    // Cross-check: the catalog of the crate, with this item as the derive sees it.
    let mut definitions = crate_definitions(kind, input, declared, &files, own_file.as_ref());
    if definitions.catalogs.is_empty() {
        definitions
            .catalogs
            .push(placeholder_catalog(input, &mut spans));
    }
    let mut diagnostics = Diagnostics::new();
    let catalog = support::check_on(&definitions, &mut diagnostics, Date::today());
    let scan_failed = files.iter().any(|f| f.failed);
    let Some(catalog) = catalog else {
        return failed(
            kind,
            input,
            catalog_errors(&diagnostics, &spans, input, scan_failed),
            tracking,
        );
    };
    if let Some(errors) = cross_check(&catalog, &name, &members, input) {
        return failed(kind, input, errors, tracking);
    }

    // Expand.
    let impls = item_impls(kind, &catalog, &name);
    quote!(#impls #tracking)
}

/// The item as the front end reads it.
fn item_view(input: &DeriveInput) -> ItemView<'_> {
    let body = match &input.data {
        Data::Struct(data) => Body::Struct(&data.fields),
        Data::Enum(data) => Body::Enum(&data.variants),
        Data::Union(_) => Body::Union,
    };
    ItemView {
        attrs: &input.attrs,
        ident: &input.ident,
        generics: &input.generics,
        body,
    }
}

/// Where the scan found the item being derived: its file's index in `files` and the
/// item's index in that file (`None` when the scan did not find it, e.g. an item written
/// by a macro). A line of 0 (the compiler does not tell) matches the first item of the name.
fn scanned_as(
    files: &[FileItems],
    kind: ItemKind,
    input: &DeriveInput,
    own_file: Option<&PathBuf>,
) -> Option<(usize, usize)> {
    let own_line = input.ident.span().start().line;
    let file = files.iter().position(|f| Some(&f.path) == own_file)?;
    let item = files[file].items.iter().position(|found| {
        found.kind == kind
            && input.ident == found.ident
            && (own_line == 0 || own_line == found.line)
    })?;
    Some((file, item))
}

/// The scanned items of the crate, with `declared` (this item as the derive reads it) in
/// place of its scanned copy, so that the checker reports on this item's tokens; after
/// them when the scan did not find it.
fn crate_definitions(
    kind: ItemKind,
    input: &DeriveInput,
    declared: Declared,
    files: &[FileItems],
    own_file: Option<&PathBuf>,
) -> Definitions {
    // 0 when the compiler does not tell: then the first item of the name is this one.
    let own_line = input.ident.span().start().line;
    let mut definitions = Definitions::default();
    let mut own = Some(declared);
    for file in files {
        for found in file.items.iter() {
            let is_own = Some(&file.path) == own_file
                && found.kind == kind
                && input.ident == found.ident
                && (own_line == 0 || own_line == found.line);
            match (is_own, own.take()) {
                (true, Some(declared)) => support::add(&mut definitions, declared),
                (_, declared) => {
                    own = declared;
                    support::add(&mut definitions, found.declared.clone());
                }
            }
        }
    }
    if let Some(declared) = own {
        support::add(&mut definitions, declared);
    }
    definitions
}

/// A catalog for a crate that declares none: per-item code does not depend on the
/// catalog's name.
fn placeholder_catalog(input: &DeriveInput, spans: &mut ItemSpans) -> CatalogDecl {
    let origin = spans.origin(input.ident.span());
    CatalogDecl {
        origin: origin.clone(),
        name: Loc::new("catalog".to_owned(), origin),
        schema_base: None,
        description: None,
    }
}

/// The emitter's code for the item; the catalog's is the catalog-wide enums.
fn item_impls(kind: ItemKind, catalog: &Catalog, name: &str) -> Option<TokenStream> {
    match kind {
        ItemKind::Catalog => Some(support::catalog_impls(catalog)),
        ItemKind::Layer => support::layer_impls(catalog, name),
        ItemKind::NamedType => support::type_impls(catalog, name),
        ItemKind::NamedEnum => support::enum_impls(catalog, name),
        ItemKind::Event => support::event_impls(catalog, name),
    }
}

/// The name the catalog knows the item by.
fn definition_name(declared: &Declared) -> String {
    match declared {
        Declared::Catalog(decl, _) => decl.name.value.clone(),
        Declared::Layer(decl) => decl.name.value.clone(),
        Declared::Event(decl, _) => decl.event_type.value.clone(),
        Declared::Type(decl) => decl.name.value.clone(),
        Declared::Enum(decl) => decl.name.value.clone(),
    }
}

/// The checker's errors about this item, on its tokens. Errors about other items are
/// theirs to report; when one of them could not be read at all, the catalog is
/// incomplete and this item's errors may only follow from that, so none is reported.
fn catalog_errors(
    diagnostics: &Diagnostics,
    spans: &ItemSpans,
    input: &DeriveInput,
    scan_failed: bool,
) -> Vec<syn::Error> {
    if scan_failed {
        return Vec::new();
    }
    let errors: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let mine: Vec<syn::Error> = errors
        .iter()
        .filter_map(|d| {
            let (label, span) = d
                .labels
                .iter()
                .find_map(|l| spans.span(&l.origin).map(|span| (l, span)))?;
            Some(syn::Error::new(span, message(d, &label.text)))
        })
        .collect();
    let elsewhere = errors
        .iter()
        .any(|d| d.labels.iter().any(|l| l.origin.file != spans.file));
    if !mine.is_empty() || elsewhere {
        return mine;
    }
    // Errors with no place at all (none known today): show them rather than stay silent.
    errors
        .iter()
        .map(|d| syn::Error::new(input.ident.span(), message(d, "")))
        .collect()
}

fn message(diagnostic: &Diagnostic, label: &str) -> String {
    let mut text = format!("[{}] {}", diagnostic.rule.code(), diagnostic.message);
    if !label.is_empty() && label != "here" {
        text.push_str(&format!(" ({label})"));
    }
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    text
}

/// An event's `#[layer]` members against the layers its type puts it in.
fn cross_check(
    catalog: &Catalog,
    event_type: &str,
    members: &[LayerMember],
    input: &DeriveInput,
) -> Option<Vec<syn::Error>> {
    let event = catalog.event(event_type)?;
    let expected = support::event_layer_members(catalog, event);
    let mut errors = Vec::new();
    for member in members {
        match expected.iter().find(|(name, _)| member.ident == name) {
            None => errors.push(syn::Error::new(
                member.span,
                format!(
                    "`{}` is not a layer of event `{event_type}` with fields\nhelp: its layers with fields are: {}",
                    member.ident,
                    list(&expected)
                ),
            )),
            Some((_, ty)) if member.ty.as_ref().is_none_or(|t| t != ty) => {
                errors.push(syn::Error::new(
                    member.span,
                    format!("layer member `{}` holds a `{ty}`\nhelp: write `pub {}: {ty}`", member.ident, member.ident),
                ));
            }
            Some(_) => {}
        }
    }
    for (name, ty) in &expected {
        if !members.iter().any(|m| m.ident == name) {
            errors.push(syn::Error::new(
                input.ident.span(),
                format!(
                    "event `{event_type}` holds its layer `{ty}`\nhelp: add `#[layer] pub {name}: {ty}` (members for its layers with fields: {})",
                    list(&expected)
                ),
            ));
        }
    }
    (!errors.is_empty()).then_some(errors)
}

fn list(members: &[(String, String)]) -> String {
    if members.is_empty() {
        return "none".to_owned();
    }
    members
        .iter()
        .map(|(name, ty)| format!("`{name}: {ty}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The errors (combined, so all show at once), a stub of the item's main impl (so that
/// code using it shows no further errors), and the file tracking.
fn failed(
    kind: ItemKind,
    input: &DeriveInput,
    errors: impl IntoIterator<Item = syn::Error>,
    tracking: TokenStream,
) -> TokenStream {
    let errors = errors.into_iter().reduce(|mut all, error| {
        all.combine(error);
        all
    });
    let errors = errors.map(|e| e.to_compile_error());
    let stub = stub::impls(kind, input);
    quote!(#errors #stub #tracking)
}

/// Makes the compiler re-expand when a scanned file changes (a layer edited in another
/// file changes the code of the events under it).
fn track<'a>(paths: impl Iterator<Item = &'a PathBuf>) -> TokenStream {
    let includes = paths
        .filter_map(|p| p.to_str())
        .map(|path| quote_spanned!(Span::call_site()=> const _: &[u8] = include_bytes!(#path);));
    quote!(#(#includes)*)
}
