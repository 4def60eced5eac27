//! An item deriving `Catalog`, `Layer`, `Event`, `NamedType` or `NamedEnum` as every
//! reader sees it, what reading it gives, and the helpers the readers share.

use proc_macro2::{Ident, Span};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Fields, Generics, Token, Variant};

use super::attrs::{self, Entry};
use super::{ItemError, ItemKind, Spans, kebab_name};
use crate::diagnostic::Rule;
use crate::ir::{CatalogDecl, EnumDecl, EventDecl, LayerDecl, TypeDecl};
use crate::naming;
use crate::source::Loc;

/// An item as both `syn::DeriveInput` (in the macro) and `syn::Item` (when scanning) show it.
pub struct ItemView<'a> {
    /// Its attributes.
    pub attrs: &'a [Attribute],
    /// Its name.
    pub ident: &'a Ident,
    /// Its generics (the derives take none).
    pub generics: &'a Generics,
    /// Its body.
    pub body: Body<'a>,
}

/// The body of an item.
pub enum Body<'a> {
    /// A struct's fields.
    Struct(&'a Fields),
    /// An enum's variants.
    Enum(&'a Punctuated<Variant, Token![,]>),
    /// A union (never a definition).
    Union,
}

/// What one item declares.
#[derive(Debug, Clone)]
pub enum Declared {
    /// `#[derive(Catalog)]`, with the sources the derives also read (`src = "..."`).
    Catalog(CatalogDecl, Option<String>),
    /// `#[derive(Layer)]`.
    Layer(LayerDecl),
    /// `#[derive(Event)]`, with the members holding its layers.
    Event(EventDecl, Vec<LayerMember>),
    /// `#[derive(NamedType)]`.
    Type(TypeDecl),
    /// `#[derive(NamedEnum)]`.
    Enum(EnumDecl),
}

/// A `#[layer]` member of an event struct: the event holds that layer's fields.
#[derive(Debug, Clone)]
pub struct LayerMember {
    /// The member's name.
    pub ident: Ident,
    /// The last segment of its type's path (the layer's Rust name).
    pub ty: Option<Ident>,
    /// The member's span (for errors).
    pub span: Span,
}

/// The entries of the item's own attribute; the other helper attributes are misplaced.
pub(super) fn container_entries(
    kind: ItemKind,
    item_attrs: &[Attribute],
    errors: &mut Vec<ItemError>,
) -> Vec<Entry> {
    let mut entries = Vec::new();
    for attr in item_attrs {
        let Some(name) = attrs::HELPERS.iter().find(|h| attr.path().is_ident(h)) else {
            continue;
        };
        if *name == kind.attribute() {
            entries.extend(attrs::entries(attr, errors));
        } else {
            errors.push(misplaced(
                attr,
                name,
                &format!("a `#[derive({})]` item", kind.derive_name()),
            ));
        }
    }
    entries
}

pub(super) fn misplaced(attr: &Attribute, name: &str, here: &str) -> ItemError {
    let belongs = match ItemKind::ALL.iter().find(|k| k.attribute() == name) {
        Some(kind) if name == attrs::LAYER => format!(
            "`#[layer(...)]` goes on a struct deriving `{}`; a bare `#[layer]` marks a member of an event holding a layer",
            kind.derive_name()
        ),
        Some(kind) => format!(
            "`#[{name}(...)]` goes on an item deriving `{}`",
            kind.derive_name()
        ),
        None if name == attrs::VARIANT => {
            "`#[variant(...)]` goes on a variant of an enum deriving `NamedEnum`".to_owned()
        }
        None => format!("`#[{name}(...)]` goes on a field of a layer, event or named type"),
    };
    ItemError::new(
        Rule::InvalidValue,
        attr.path().span(),
        format!("`#[{name}]` is not allowed on {here}"),
        belongs,
    )
}

/// The definition name: `name = "..."` or the Rust name in kebab-case; its Rust name must
/// be the item's (the generated code names it).
pub(super) fn definition_name(
    kind: ItemKind,
    ident: &Ident,
    explicit: Option<(String, Span)>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Loc<String> {
    let (name, span) = explicit.unwrap_or_else(|| (kebab_name(&ident.to_string()), ident.span()));
    let expected = naming::pascal_case(&name);
    if naming::is_kebab(&name) && *ident != expected {
        errors.push(ItemError::new(
            Rule::RustNameClash,
            ident.span(),
            format!("the Rust name of {} `{name}` is `{expected}`, not `{ident}`", kind.what()),
            format!("rename the {} to `{expected}` (the generated code refers to it by that name), or set `name`", kind.rust_kind()),
        ));
    }
    Loc::new(name, spans.origin(span))
}

pub(super) fn loc<T>(value: Option<(T, Span)>, spans: &mut dyn Spans) -> Option<Loc<T>> {
    value.map(|(v, s)| Loc::new(v, spans.origin(s)))
}

/// The named fields of a struct item.
pub(super) fn struct_fields<'a>(
    kind: ItemKind,
    item: &ItemView<'a>,
    errors: &mut Vec<ItemError>,
) -> Option<Vec<&'a syn::Field>> {
    match item.body {
        Body::Struct(Fields::Named(named)) => Some(named.named.iter().collect()),
        Body::Struct(Fields::Unit) => Some(Vec::new()),
        Body::Struct(fields @ Fields::Unnamed(_)) => {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                fields.span(),
                format!("`#[derive({})]` needs named fields", kind.derive_name()),
                "write the fields as `name: Type`: their names are the payload keys",
            ));
            None
        }
        Body::Enum(_) | Body::Union => {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                item.ident.span(),
                format!("`#[derive({})]` goes on a struct", kind.derive_name()),
                "declare it as a struct with named fields",
            ));
            None
        }
    }
}
