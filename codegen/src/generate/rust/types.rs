//! Field types as Rust: model types, telemetry types, and the expressions that convert,
//! store and load values.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};

use crate::model::{Catalog, FieldDef, FieldType};
use crate::naming;

/// Paths into the runtime crate: generated code names nothing else, so consumers depend
/// on `event-runtime` alone.
pub(super) fn rt() -> TokenStream {
    quote!(::event_runtime)
}

pub(super) fn serde_crate() -> TokenStream {
    quote!(::event_runtime::reexport::serde)
}

/// `#[serde(crate = "...")]`, so derives find serde through the runtime.
pub(super) fn serde_crate_attr() -> TokenStream {
    quote!(#[serde(crate = "::event_runtime::reexport::serde")])
}

/// A field or module name as an identifier (`type` becomes `r#type`).
pub(super) fn ident(name: &str) -> Ident {
    let ident = Ident::new(name, Span::call_site());
    // syn parses any identifier but a keyword as an `Ident`. Parsing the token, not the
    // text, skips lexing, which with span locations also records the text for good.
    if syn::parse2::<Ident>(ident.to_token_stream()).is_ok() {
        ident
    } else {
        Ident::new_raw(name, Span::call_site())
    }
}

/// A type name from a definition name (`job-status` becomes `JobStatus`).
pub(super) fn type_ident(name: &str) -> Ident {
    format_ident!("{}", naming::pascal_case(name))
}

/// `#[doc = "..."]` from a description, or a fallback.
pub(super) fn doc(description: Option<&String>, fallback: impl FnOnce() -> String) -> TokenStream {
    let text = match description {
        Some(d) if !d.trim().is_empty() => d.trim().to_owned(),
        _ => fallback(),
    };
    let lines = text.lines().map(|line| format!(" {line}"));
    quote!(#(#[doc = #lines])*)
}

/// A catalog type's Rust name with a suffix (`Step`, `StepTelemetry`).
fn catalog_type(rust_name: &str, suffix: &str) -> TokenStream {
    let name = format_ident!("{rust_name}{suffix}");
    quote!(#name)
}

/// The model type of a value.
pub(super) fn model_ty(catalog: &Catalog, ty: &FieldType) -> TokenStream {
    let rt = rt();
    match ty {
        FieldType::Uuid => quote!(#rt::Uuid),
        FieldType::String => quote!(String),
        FieldType::Bool => quote!(bool),
        FieldType::Int => quote!(i64),
        FieldType::Float => quote!(f64),
        FieldType::Timestamp => quote!(#rt::Timestamp),
        FieldType::Json => quote!(#rt::reexport::serde_json::Value),
        &FieldType::Enum(id) => catalog_type(&catalog.enum_def(id).rust_name, ""),
        &FieldType::Object(id) => catalog_type(&catalog.type_def(id).rust_name, ""),
        FieldType::List(inner) => {
            let inner = model_ty(catalog, inner);
            quote!(Vec<#inner>)
        }
        FieldType::Map(inner) => {
            let inner = model_ty(catalog, inner);
            quote!(::std::collections::BTreeMap<String, #inner>)
        }
    }
}

/// The model type of a field (`Option` when optional).
pub(super) fn field_ty(catalog: &Catalog, field: &FieldDef) -> TokenStream {
    let ty = model_ty(catalog, &field.ty);
    if field.optional {
        quote!(Option<#ty>)
    } else {
        ty
    }
}

/// The telemetry type of a value: named types become their telemetry types.
pub(super) fn telemetry_ty(catalog: &Catalog, ty: &FieldType) -> TokenStream {
    match ty {
        &FieldType::Object(id) => catalog_type(&catalog.type_def(id).rust_name, "Telemetry"),
        FieldType::List(inner) => {
            let inner = telemetry_ty(catalog, inner);
            quote!(Vec<#inner>)
        }
        FieldType::Map(inner) => {
            let inner = telemetry_ty(catalog, inner);
            quote!(::std::collections::BTreeMap<String, #inner>)
        }
        other => model_ty(catalog, other),
    }
}

fn optional(field: &FieldDef, ty: TokenStream) -> TokenStream {
    if field.optional {
        quote!(Option<#ty>)
    } else {
        ty
    }
}

/// The type of a field's telemetry value (`Value` slot).
pub(super) fn telemetry_field_ty(catalog: &Catalog, field: &FieldDef) -> TokenStream {
    optional(field, telemetry_ty(catalog, &field.ty))
}

/// The type of a hashed field.
pub(super) fn hash_field_ty(field: &FieldDef) -> TokenStream {
    optional(field, quote!(String))
}

/// The type of a counted field.
pub(super) fn count_field_ty(field: &FieldDef) -> TokenStream {
    optional(field, quote!(u64))
}

/// An expression for a value: a place (`self.project.uuid`) or a reference bound to a
/// name (`value` in a closure). Each use picks the form that needs no extra punctuation.
#[derive(Clone)]
pub(super) enum Value {
    /// A place of the value's type.
    Place(TokenStream),
    /// A name bound to a reference to the value.
    Ref(TokenStream),
}

impl Value {
    /// A `&T` expression.
    fn by_ref(&self) -> TokenStream {
        match self {
            Value::Place(place) => quote!(&#place),
            Value::Ref(name) => name.clone(),
        }
    }

    /// A `T` expression, for `Copy` types.
    fn copied(&self) -> TokenStream {
        match self {
            Value::Place(place) => place.clone(),
            Value::Ref(name) => quote!(*#name),
        }
    }

    /// A receiver for method calls (auto-ref makes both forms work).
    fn receiver(&self) -> TokenStream {
        match self {
            Value::Place(expr) | Value::Ref(expr) => expr.clone(),
        }
    }
}

/// Applies `convert` to a field read through `access` (a place of the field's model
/// type), mapping inside the `Option` of an optional field.
fn map_field(
    field: &FieldDef,
    access: &TokenStream,
    convert: impl Fn(Value) -> TokenStream,
) -> TokenStream {
    if field.optional {
        let inner = convert(Value::Ref(quote!(value)));
        quote!(#access.as_ref().map(|value| #inner))
    } else {
        convert(Value::Place(access.clone()))
    }
}

/// Converts a model value into its telemetry value.
pub(super) fn telemetry_value(
    catalog: &Catalog,
    value: Value,
    ty: &FieldType,
    depth: usize,
) -> TokenStream {
    match ty {
        &FieldType::Object(id) => {
            let name = format_ident!("{}Telemetry", catalog.type_def(id).rust_name);
            let value = value.by_ref();
            quote!(#name::new(#value, key))
        }
        FieldType::List(inner) => {
            let item = format_ident!("item{}", depth);
            let convert = telemetry_value(catalog, Value::Ref(quote!(#item)), inner, depth + 1);
            let value = value.receiver();
            quote!(#value.iter().map(|#item| #convert).collect())
        }
        FieldType::Map(inner) => {
            let item = format_ident!("item{}", depth);
            let convert = telemetry_value(catalog, Value::Ref(quote!(#item)), inner, depth + 1);
            let value = value.receiver();
            quote!(#value.iter().map(|(name, #item)| (name.clone(), #convert)).collect())
        }
        FieldType::String | FieldType::Json => {
            let value = value.receiver();
            quote!(#value.clone())
        }
        _ => value.copied(),
    }
}

/// The telemetry value of a field (`Value` slot).
pub(super) fn telemetry_field(
    catalog: &Catalog,
    field: &FieldDef,
    access: &TokenStream,
) -> TokenStream {
    map_field(field, access, |value| {
        telemetry_value(catalog, value, &field.ty, 0)
    })
}

/// The keyed hash of a field (`Hash` slot: strings and uuids).
pub(super) fn hash_field(field: &FieldDef, access: &TokenStream) -> TokenStream {
    map_field(field, access, |value| match field.ty {
        FieldType::Uuid => {
            let value = value.receiver();
            quote!(key.hash(#value.to_string()))
        }
        _ => {
            let value = value.by_ref();
            quote!(key.hash(#value))
        }
    })
}

/// The size of a field (`Count` slot: lists and maps).
pub(super) fn count_field(field: &FieldDef, access: &TokenStream) -> TokenStream {
    map_field(field, access, |value| {
        let value = value.receiver();
        quote!(#value.len() as u64)
    })
}

/// Whether a value is stored as JSON text (lists, maps, named types, JSON).
fn stored_as_json(ty: &FieldType) -> bool {
    matches!(
        ty,
        FieldType::Json | FieldType::Object(_) | FieldType::List(_) | FieldType::Map(_)
    )
}

/// The `events` column value of a field read through `access` (`event_type` names the
/// event in serialization errors).
pub(super) fn column_value(
    field: &FieldDef,
    access: &TokenStream,
    event_type: &TokenStream,
) -> TokenStream {
    let rt = rt();
    match (stored_as_json(&field.ty), field.optional) {
        (true, false) => quote!(#rt::column::json(&#access, #event_type)?),
        (true, true) => quote!(#rt::column::optional_json(&#access, #event_type)?),
        (false, _) => quote!(#rt::column::value(&#access)),
    }
}

/// Reads a field from a row (`row` and `event_type` in scope).
pub(super) fn load_field(field: &FieldDef) -> TokenStream {
    let rt = rt();
    let column = &field.column;
    let presence = if field.optional {
        "optional"
    } else {
        "required"
    };
    let read = match &field.ty {
        FieldType::Enum(_) => format_ident!("{presence}_parsed"),
        ty if stored_as_json(ty) => format_ident!("{presence}_json"),
        _ => format_ident!("{presence}"),
    };
    if field.optional {
        quote!(#rt::load::#read(row, #column)?)
    } else {
        quote!(#rt::load::#read(row, #column, event_type)?)
    }
}
