//! `#[derive(NamedType)]` and `#[derive(NamedEnum)]`: named object types and enums.

use syn::spanned::Spanned;
use syn::{Attribute, Fields};

use super::attrs::{self, Entry};
use super::fields::field;
use super::items::{Body, Declared, ItemView, definition_name, misplaced, struct_fields};
use super::{ItemError, ItemKind, Spans, kebab_name};
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
    let mut name = None;
    attrs::each_known(
        entries,
        &[attrs::NAME],
        "`#[named_type(...)]`",
        errors,
        |entry, errors| {
            name = entry.string(errors);
        },
    );
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
    let mut name = None;
    attrs::each_known(
        entries,
        &[attrs::NAME],
        "`#[named_enum(...)]`",
        errors,
        |entry, errors| {
            name = entry.string(errors);
        },
    );
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
    let mut values = Vec::new();
    for variant in variants {
        if !matches!(variant.fields, Fields::Unit) {
            errors.push(ItemError::new(
                Rule::EnumVariants,
                variant.fields.span(),
                format!("variant `{}` holds data", variant.ident),
                "an enum of the catalog is a closed set of strings: use unit variants",
            ));
            continue;
        }
        if let Some((_, expr)) = &variant.discriminant {
            errors.push(ItemError::new(
                Rule::EnumVariants,
                expr.span(),
                format!("variant `{}` has a discriminant", variant.ident),
                "remove it: the value is a string, set with `#[variant(value = \"...\")]`",
            ));
        }
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
        let (value, span) = value.unwrap_or_else(|| {
            (
                screaming_snake(&variant.ident.to_string()),
                variant.ident.span(),
            )
        });
        let expected = naming::pascal_case(&value);
        if naming::is_variant(&value) && variant.ident != expected {
            errors.push(ItemError::new(
                Rule::EnumVariants,
                variant.ident.span(),
                format!("the Rust variant of value `{value}` is `{expected}`, not `{}`", variant.ident),
                format!("rename the variant to `{expected}` (the generated code refers to it by that name)"),
            ));
        }
        values.push(Loc::new(value, spans.origin(span)));
    }
    Some(Declared::Enum(EnumDecl {
        variants_origin: Some(spans.origin(item.ident.span())),
        name,
        description,
        variants: values,
    }))
}

/// `InProgress` becomes `IN_PROGRESS`.
fn screaming_snake(ident: &str) -> String {
    kebab_name(ident).replace('-', "_").to_ascii_uppercase()
}
