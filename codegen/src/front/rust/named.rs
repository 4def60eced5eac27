//! `#[derive(NamedType)]` and `#[derive(NamedEnum)]`: named object types and enums.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Fields, Variant};

use super::attrs::{self, Entry};
use super::fields::field;
use super::view::{Body, Declared, ItemView, definition_name, misplaced, struct_fields};
use super::{ItemError, ItemKind, Spans};
use crate::diagnostic::Rule;
use crate::ir::{EnumDecl, TypeDecl};
use crate::naming;
use crate::source::Loc;

pub(super) fn named_type(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<Declared> {
    let name = explicit_name(entries, "`#[named_type(...)]`", errors);
    let name = definition_name(ItemKind::NamedType, item.ident, name, spans, errors);
    let fields = struct_fields(ItemKind::NamedType, item, errors)?;
    let mut decls = Vec::new();
    for f in fields {
        let Some(decl) = field(f, spans, errors) else {
            continue;
        };
        if decl.optional.is_some() && !skips_none(&f.attrs) {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                f.ty.span(),
                format!("optional field `{}` of a named type is serialized as `null` when absent", decl.name.value),
                "add `#[serde(default, skip_serializing_if = \"Option::is_none\")]`: payloads leave absent fields out",
            ));
        }
        decls.push(decl);
    }
    Some(Declared::Type(TypeDecl {
        name,
        description,
        fields: decls,
    }))
}

/// `name = "..."`, the only setting of a named type or enum.
fn explicit_name(
    entries: Vec<Entry>,
    place: &str,
    errors: &mut Vec<ItemError>,
) -> Option<(String, Span)> {
    let mut name = None;
    attrs::each_known(entries, &[attrs::NAME], place, errors, |entry, errors| {
        name = entry.string(errors);
    });
    name
}

/// Whether a `#[serde(...)]` attribute skips `None` when serializing.
fn skips_none(field_attrs: &[Attribute]) -> bool {
    attrs::named(field_attrs, "serde").any(|attr| {
        let text = quote::ToTokens::to_token_stream(&attr.meta).to_string();
        text.contains("skip_serializing_if")
    })
}

pub(super) fn named_enum(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<Declared> {
    let name = explicit_name(entries, "`#[named_enum(...)]`", errors);
    let name = definition_name(ItemKind::NamedEnum, item.ident, name, spans, errors);
    let Body::Enum(variants) = item.body else {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            item.ident.span(),
            "`#[derive(NamedEnum)]` goes on an enum",
            "declare the enum's values as the unit variants of an `enum`",
        ));
        return None;
    };
    let values = variants
        .iter()
        .filter_map(|variant| variant_value(variant, spans, errors))
        .collect();
    Some(Declared::Enum(EnumDecl {
        variants_origin: Some(spans.origin(item.ident.span())),
        name,
        description,
        variants: values,
    }))
}

/// The string one variant stands for; `None` for a variant holding data (it stands for
/// no string).
fn variant_value(
    variant: &Variant,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<Loc<String>> {
    if !matches!(variant.fields, Fields::Unit) {
        errors.push(ItemError::new(
            Rule::EnumVariants,
            variant.fields.span(),
            format!("variant `{}` holds data", variant.ident),
            "an enum of the catalog is a closed set of strings: use unit variants",
        ));
        return None;
    }
    if let Some((_, expr)) = &variant.discriminant {
        errors.push(ItemError::new(
            Rule::EnumVariants,
            expr.span(),
            format!("variant `{}` has a discriminant", variant.ident),
            "remove it: the value is a string, set with `#[variant(value = \"...\")]`",
        ));
    }
    let (value, span) = variant_attribute(variant, errors).unwrap_or_else(|| {
        (
            naming::screaming_snake_case(&variant.ident.to_string()),
            variant.ident.span(),
        )
    });
    check_variant_name(variant, &value, errors);
    Some(Loc::new(value, spans.origin(span)))
}

/// `value = "..."` of the variant's `#[variant(...)]`; the other helper attributes are
/// misplaced on a variant.
fn variant_attribute(variant: &Variant, errors: &mut Vec<ItemError>) -> Option<(String, Span)> {
    let mut value = None;
    for attr in &variant.attrs {
        let Some(helper) = attrs::HELPERS.iter().find(|h| attr.path().is_ident(h)) else {
            continue;
        };
        if *helper != attrs::VARIANT {
            errors.push(misplaced(attr, helper, "an enum variant"));
            continue;
        }
        let entries = attrs::entries(attr, errors);
        attrs::each_known(
            entries,
            &[attrs::VALUE],
            "`#[variant(...)]`",
            errors,
            |entry, errors| {
                value = entry.string(errors);
            },
        );
    }
    value
}

/// The variant must be named after its value: the generated code refers to it by that
/// name.
fn check_variant_name(variant: &Variant, value: &str, errors: &mut Vec<ItemError>) {
    let expected = naming::pascal_case(value);
    if naming::is_variant(value) && variant.ident != expected {
        errors.push(ItemError::new(
            Rule::EnumVariants,
            variant.ident.span(),
            format!(
                "the Rust variant of value `{value}` is `{expected}`, not `{}`",
                variant.ident
            ),
            format!(
                "rename the variant to `{expected}` (the generated code refers to it by that name)"
            ),
        ));
    }
}
