//! Enums and named object types, with the telemetry forms of the types.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::debug;
use super::options::Options;
use super::types::{self, doc, ident, rt, serde_crate_attr, type_ident};
use crate::model::{Catalog, EnumDef, FieldDef, TypeDef};
use crate::shape::TelemetrySlot;

pub(super) fn enum_def(def: &EnumDef, options: &Options) -> TokenStream {
    let added = options.type_attrs(&def.name);
    let serde_attr = serde_crate_attr();
    let serde = types::serde_crate();
    let name = type_ident(&def.name);
    let docs = doc(def.description.as_ref(), || {
        format!("The `{}` enum.", def.name)
    });
    let variants = variant_idents(def);
    let values: Vec<&str> = def.variants.iter().map(|v| v.value.as_str()).collect();
    let variant_docs = values.iter().map(|v| format!(" `{v}`"));
    let impls = enum_impls(def);
    quote! {
        #docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, #serde::Serialize, #serde::Deserialize)]
        #serde_attr
        #added
        pub enum #name {
            #( #[doc = #variant_docs] #[serde(rename = #values)] #variants, )*
        }

        #impls
    }
}

pub(super) fn variant_idents(def: &EnumDef) -> Vec<proc_macro2::Ident> {
    def.variants
        .iter()
        .map(|v| format_ident!("{}", v.rust_name))
        .collect()
}

/// What the enum implements besides its derives (what `#[derive(NamedEnum)]` emits, with
/// serde's impls).
pub(super) fn enum_impls(def: &EnumDef) -> TokenStream {
    let rt = rt();
    let name = type_ident(&def.name);
    let name_str = &def.name;
    let variants = variant_idents(def);
    let values: Vec<&str> = def.variants.iter().map(|v| v.value.as_str()).collect();
    quote! {
        impl #name {
            /// Every value, in declaration order.
            pub const ALL: &'static [#name] = &[#(#name::#variants),*];

            /// The value as serialized.
            #[inline]
            pub const fn as_str(self) -> &'static str {
                match self { #(#name::#variants => #values,)* }
            }
        }

        impl ::std::fmt::Display for #name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl #rt::column::ToColumn for #name {
            #[inline]
            fn to_column(&self) -> #rt::ColumnValue<'_> {
                #rt::ColumnValue::Text(self.as_str())
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = #rt::InvalidEnumValue;

            #[inline]
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    #(#values => Ok(#name::#variants),)*
                    _ => Err(#rt::InvalidEnumValue { enum_name: #name_str, value: value.to_owned() }),
                }
            }
        }
    }
}

/// A struct field of a model type, with the attributes `added` for it.
pub(super) fn model_field(
    catalog: &Catalog,
    field: &FieldDef,
    serde: bool,
    added: TokenStream,
) -> TokenStream {
    let name = ident(&field.name);
    let ty = types::field_ty(catalog, field);
    let docs = doc(field.description.as_ref(), || {
        format!("The `{}` field.", field.name)
    });
    let deprecated = field.deprecated.then(|| quote!(#[deprecated]));
    let skip = (serde && field.optional)
        .then(|| quote!(#[serde(default, skip_serializing_if = "Option::is_none")]));
    quote!(#docs #deprecated #skip #added pub #name: #ty,)
}

pub(super) fn type_def(catalog: &Catalog, def: &TypeDef, options: &Options) -> TokenStream {
    let added = options.type_attrs(&def.name);
    let serde_attr = serde_crate_attr();
    let serde = types::serde_crate();
    let name = type_ident(&def.name);
    let docs = doc(def.description.as_ref(), || {
        format!("The `{}` type.", def.name)
    });
    let fields = (def.fields.iter())
        .map(|f| model_field(catalog, f, true, options.field_attrs(&def.name, &f.name)));
    let impls = type_impls(catalog, def);
    let derived_debug = debug::derived(&def.fields);
    quote! {
        #docs
        #[derive(#derived_debug Clone, PartialEq, #serde::Serialize, #serde::Deserialize)]
        #serde_attr
        #added
        pub struct #name { #(#fields)* }

        #impls
    }
}

/// The type's redacted `Debug` when it holds a sensitive field, and its telemetry form,
/// without the type itself (what `#[derive(NamedType)]` emits).
pub(super) fn type_impls(catalog: &Catalog, def: &TypeDef) -> TokenStream {
    let debug = debug::type_impl(def);
    let serde_attr = serde_crate_attr();
    let serde = types::serde_crate();
    let rt = rt();
    let name = type_ident(&def.name);
    let telemetry_name = format_ident!("{}Telemetry", name);
    let telemetry_doc = format!(
        " The telemetry form of [`{name}`]: only what its fields' privacy policies let through."
    );
    let (telemetry_fields, telemetry_values) = telemetry_members(catalog, &def.fields, |field| {
        let name = ident(&field.name);
        quote!(value.#name)
    });
    quote! {
        #debug

        #[doc = #telemetry_doc]
        #[derive(Debug, Clone, PartialEq, #serde::Serialize)]
        #serde_attr
        pub struct #telemetry_name { #(#telemetry_fields)* }

        impl #telemetry_name {
            /// The telemetry form of `value`; hashed fields use `key`.
            #[allow(unused_variables, deprecated)]
            #[inline]
            pub fn new(value: &#name, key: &#rt::TelemetryKey) -> Self {
                Self { #(#telemetry_values)* }
            }
        }
    }
}

/// The members of a telemetry object holding `fields` with all their slots (values,
/// hashes and counts in one object, as inside named types): declarations and
/// initializers. `access` reads a field's model value.
pub(super) fn telemetry_members(
    catalog: &Catalog,
    fields: &[FieldDef],
    access: impl Fn(&FieldDef) -> TokenStream,
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut declarations = Vec::new();
    let mut values = Vec::new();
    for field in fields {
        let Some(slot) = field.telemetry_slot() else {
            continue;
        };
        let (declaration, value) = telemetry_member(catalog, field, slot, &access(field), true);
        declarations.push(declaration);
        values.push(value);
    }
    (declarations, values)
}

/// One telemetry member of a field: its declaration (with serde's attribute to skip an
/// absent optional value when the type derives `Serialize`) and initializer.
pub(super) fn telemetry_member(
    catalog: &Catalog,
    field: &FieldDef,
    slot: TelemetrySlot,
    access: &TokenStream,
    serde: bool,
) -> (TokenStream, TokenStream) {
    let skip = (serde && field.optional)
        .then(|| quote!(#[serde(skip_serializing_if = "Option::is_none")]));
    let (name, ty, value, what) = match slot {
        TelemetrySlot::Value | TelemetrySlot::Derived => (
            ident(&field.name),
            types::telemetry_field_ty(catalog, field),
            types::telemetry_field(catalog, field, access),
            "The",
        ),
        TelemetrySlot::Hash => (
            ident(&field.name),
            types::hash_field_ty(field),
            types::hash_field(field, access),
            "Keyed hash (HMAC-SHA256, hex) of the",
        ),
        TelemetrySlot::Count => (
            format_ident!("{}", field.count_key()),
            types::count_field_ty(field),
            types::count_field(field, access),
            "Number of entries of the",
        ),
    };
    let docs = format!(" {what} `{}` field.", field.name);
    (
        quote!(#[doc = #docs] #skip pub #name: #ty,),
        quote!(#name: #value,),
    )
}
