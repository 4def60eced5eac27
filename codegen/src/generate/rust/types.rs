//! Field types as Rust: model types, telemetry types, and the expressions that convert,
//! store and load values.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::model::{FieldDef, FieldType};
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
    if syn::parse_str::<Ident>(name).is_ok() {
        Ident::new(name, Span::call_site())
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

/// Where a type is named: in the catalog's module, or in an event's payload module inside it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// The catalog's module.
    Catalog,
    /// A payload module: catalog types are `super::`.
    Payload,
}

fn catalog_type(name: &str, suffix: &str, scope: Scope) -> TokenStream {
    let name = format_ident!("{}{suffix}", naming::pascal_case(name));
    match scope {
        Scope::Catalog => quote!(#name),
        Scope::Payload => quote!(super::#name),
    }
}

/// The model type of a value.
pub(super) fn model_ty(ty: &FieldType, scope: Scope) -> TokenStream {
    let rt = rt();
    match ty {
        FieldType::Uuid => quote!(#rt::reexport::uuid::Uuid),
        FieldType::String => quote!(::std::string::String),
        FieldType::Bool => quote!(bool),
        FieldType::Int => quote!(i64),
        FieldType::Float => quote!(f64),
        FieldType::Timestamp => quote!(#rt::Timestamp),
        FieldType::Json => quote!(#rt::reexport::serde_json::Value),
        FieldType::Enum(name) | FieldType::Object(name) => catalog_type(name, "", scope),
        FieldType::List(inner) => {
            let inner = model_ty(inner, scope);
            quote!(::std::vec::Vec<#inner>)
        }
        FieldType::Map(inner) => {
            let inner = model_ty(inner, scope);
            quote!(::std::collections::BTreeMap<::std::string::String, #inner>)
        }
    }
}

/// The model type of a field (`Option` when optional).
pub(super) fn field_ty(field: &FieldDef) -> TokenStream {
    let ty = model_ty(&field.ty, Scope::Catalog);
    if field.optional {
        quote!(::std::option::Option<#ty>)
    } else {
        ty
    }
}

/// The telemetry type of a value: named types become their telemetry types.
pub(super) fn telemetry_ty(ty: &FieldType, scope: Scope) -> TokenStream {
    match ty {
        FieldType::Object(name) => catalog_type(name, "Telemetry", scope),
        FieldType::List(inner) => {
            let inner = telemetry_ty(inner, scope);
            quote!(::std::vec::Vec<#inner>)
        }
        FieldType::Map(inner) => {
            let inner = telemetry_ty(inner, scope);
            quote!(::std::collections::BTreeMap<::std::string::String, #inner>)
        }
        other => model_ty(other, scope),
    }
}

fn optional(field: &FieldDef, ty: TokenStream) -> TokenStream {
    if field.optional {
        quote!(::std::option::Option<#ty>)
    } else {
        ty
    }
}

/// The type of a field's telemetry value (`Value` slot).
pub(super) fn telemetry_field_ty(field: &FieldDef, scope: Scope) -> TokenStream {
    optional(field, telemetry_ty(&field.ty, scope))
}

/// The type of a hashed field.
pub(super) fn hash_field_ty(field: &FieldDef) -> TokenStream {
    optional(field, quote!(::std::string::String))
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
pub(super) fn telemetry_value(value: Value, ty: &FieldType, depth: usize) -> TokenStream {
    match ty {
        FieldType::Object(name) => {
            let name = format_ident!("{}Telemetry", naming::pascal_case(name));
            let value = value.by_ref();
            quote!(#name::new(#value, key))
        }
        FieldType::List(inner) => {
            let item = format_ident!("item{}", depth);
            let convert = telemetry_value(Value::Ref(quote!(#item)), inner, depth + 1);
            let value = value.receiver();
            quote!(#value.iter().map(|#item| #convert).collect())
        }
        FieldType::Map(inner) => {
            let item = format_ident!("item{}", depth);
            let convert = telemetry_value(Value::Ref(quote!(#item)), inner, depth + 1);
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
pub(super) fn telemetry_field(field: &FieldDef, access: &TokenStream) -> TokenStream {
    map_field(field, access, |value| telemetry_value(value, &field.ty, 0))
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

/// The `events` column value of a field.
pub(super) fn column_value(
    field: &FieldDef,
    access: &TokenStream,
    event_type: &TokenStream,
) -> TokenStream {
    let rt = rt();
    let convert = |value: Value| match &field.ty {
        FieldType::Uuid => {
            let value = value.copied();
            quote!(#rt::ColumnValue::Uuid(#value))
        }
        FieldType::String | FieldType::Enum(_) => {
            let value = value.receiver();
            quote!(#rt::ColumnValue::Text(#value.as_str()))
        }
        FieldType::Bool => {
            let value = value.copied();
            quote!(#rt::ColumnValue::Bool(#value))
        }
        FieldType::Int => {
            let value = value.copied();
            quote!(#rt::ColumnValue::Int(#value))
        }
        FieldType::Float => {
            let value = value.copied();
            quote!(#rt::ColumnValue::Float(#value))
        }
        FieldType::Timestamp => {
            let value = value.copied();
            quote!(#rt::ColumnValue::Timestamp(#value))
        }
        FieldType::Json | FieldType::Object(_) | FieldType::List(_) | FieldType::Map(_) => {
            let value = value.by_ref();
            quote! {
                #rt::ColumnValue::Json(
                    #rt::reexport::serde_json::to_string(#value)
                        .map_err(#rt::Error::serialize(#event_type))?,
                )
            }
        }
    };
    if field.optional {
        let some = convert(Value::Ref(quote!(value)));
        quote!(match &#access { ::std::option::Option::Some(value) => #some, ::std::option::Option::None => #rt::ColumnValue::Null })
    } else {
        convert(Value::Place(access.clone()))
    }
}

/// Reads a field from a row (`row` and `event_type` in scope).
pub(super) fn load_field(field: &FieldDef) -> TokenStream {
    let rt = rt();
    let column = &field.column;
    let read = match &field.ty {
        FieldType::Uuid => quote!(row.get_uuid(#column)?),
        FieldType::String => quote!(row.get_text(#column)?),
        FieldType::Bool => quote!(row.get_bool(#column)?),
        FieldType::Int => quote!(row.get_int(#column)?),
        FieldType::Float => quote!(row.get_float(#column)?),
        FieldType::Timestamp => quote!(row.get_timestamp(#column)?),
        FieldType::Enum(_) => quote!(#rt::load::parse(row.get_text(#column)?, #column)?),
        FieldType::Json | FieldType::Object(_) | FieldType::List(_) | FieldType::Map(_) => {
            quote!(#rt::load::json(row.get_json(#column)?, #column)?)
        }
    };
    if field.optional {
        read
    } else {
        quote!(#rt::load::required(#read, event_type, #column)?)
    }
}
