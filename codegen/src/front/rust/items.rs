//! One item deriving `Catalog`, `Layer`, `Event`, `NamedType` or `NamedEnum`, read into
//! its declaration: the container attribute, then each field or variant. Catalogs and
//! layers are read here; events, named types and fields in their own modules, with the
//! helpers of [`super::view`].

use syn::spanned::Spanned;

use super::attrs::{self, Entry};
use super::view::{
    Body, Declared, ItemView, container_entries, definition_name, loc, struct_fields,
};
use super::{ItemError, ItemKind, Spans, events, fields, kebab_name, named};
use crate::diagnostic::Rule;
use crate::ir::{CatalogDecl, LayerDecl};
use crate::source::Loc;

/// Reads an item deriving `kind`. Every mistake is returned, not only the first.
pub fn read(
    kind: ItemKind,
    item: &ItemView<'_>,
    spans: &mut dyn Spans,
) -> Result<Declared, Vec<ItemError>> {
    let mut errors = Vec::new();
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            item.generics.span(),
            format!(
                "`#[derive({})]` does not support generics",
                kind.derive_name()
            ),
            "remove the generic parameters: a definition is one concrete type",
        ));
    }
    let entries = container_entries(kind, item.attrs, &mut errors);
    let description = attrs::docs(item.attrs);
    let declared = match kind {
        ItemKind::Catalog => Some(catalog(item, entries, description, spans, &mut errors)),
        ItemKind::Layer => layer(item, entries, description, spans, &mut errors),
        ItemKind::Event => events::event(item, entries, description, spans, &mut errors),
        ItemKind::NamedType => named::named_type(item, entries, description, spans, &mut errors),
        ItemKind::NamedEnum => named::named_enum(item, entries, description, spans, &mut errors),
    };
    match declared {
        Some(declared) if errors.is_empty() => Ok(declared),
        _ => Err(errors),
    }
}

fn catalog(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Declared {
    let (mut name, mut schema_base, mut src) = (None, None, None);
    attrs::each_known(
        entries,
        &[attrs::NAME, attrs::SCHEMA_BASE, attrs::SRC],
        "`#[catalog(...)]`",
        errors,
        |entry, errors| {
            let value = entry.string(errors);
            match entry.key.as_str() {
                attrs::NAME => name = value,
                attrs::SRC => src = value.map(|(v, _)| v),
                _ => schema_base = value,
            }
        },
    );
    let (name, span) =
        name.unwrap_or_else(|| (kebab_name(&item.ident.to_string()), item.ident.span()));
    no_fields(item, errors);
    let decl = CatalogDecl {
        origin: spans.origin(item.ident.span()),
        name: Loc::new(name, spans.origin(span)),
        schema_base: schema_base.map(|(v, s)| Loc::new(v, spans.origin(s))),
        description,
    };
    Declared::Catalog(decl, src)
}

fn no_fields(item: &ItemView<'_>, errors: &mut Vec<ItemError>) {
    if let Body::Struct(fields) = item.body
        && !fields.is_empty()
    {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            fields.span(),
            "a catalog declaration has no fields",
            "declare the catalog on a unit struct: `struct Catalog;`",
        ));
    }
}

fn layer(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<Declared> {
    let known = [
        attrs::NAME,
        attrs::PARENT,
        attrs::ABSTRACT,
        attrs::INLINE,
        attrs::SEGMENT,
        attrs::KEY,
    ];
    let mut decl = LayerDecl {
        name: Loc::new(String::new(), spans.origin(item.ident.span())),
        description,
        parent: None,
        is_abstract: None,
        inline: None,
        segment: None,
        key: None,
        fields: Vec::new(),
    };
    let mut name = None;
    attrs::each_known(
        entries,
        &known,
        "`#[layer(...)]`",
        errors,
        |entry, errors| match entry.key.as_str() {
            attrs::NAME => name = entry.string(errors),
            attrs::PARENT => decl.parent = loc(entry.string(errors), spans),
            attrs::ABSTRACT => decl.is_abstract = loc(entry.flag(errors), spans),
            attrs::INLINE => decl.inline = loc(entry.flag(errors), spans),
            attrs::SEGMENT => decl.segment = loc(entry.string(errors), spans),
            _ => decl.key = loc(entry.string(errors), spans),
        },
    );
    decl.name = definition_name(ItemKind::Layer, item.ident, name, spans, errors);
    let fields = struct_fields(ItemKind::Layer, item, errors)?;
    decl.fields = fields
        .iter()
        .filter_map(|f| fields::field(f, spans, errors))
        .collect();
    Some(Declared::Layer(decl))
}
