//! What one level of an event (a layer, or an event's own fields) contributes: its
//! `event_runtime::payload::Level` implementation (notification fields, telemetry form,
//! scopes, columns) and its telemetry type. The runtime nests the levels of an event into
//! its payloads, and walks them for its columns and scopes.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::named::telemetry_member;
use super::types::{self, ident, rt};
use crate::model::{Catalog, FieldDef};
use crate::shape::TelemetrySlot;

/// `Level` for `owner`, whose fields (read from `self`) are `fields`, and its telemetry
/// type `<owner>Telemetry` when any field reaches telemetry (described by `what`). With
/// `stored`, the level also gives its fields' columns of `events`.
pub(super) fn level(
    catalog: &Catalog,
    owner: &Ident,
    fields: &[FieldDef],
    what: &str,
    stored: bool,
) -> TokenStream {
    let rt = rt();
    let notification: Vec<TokenStream> = fields
        .iter()
        .filter(|f| f.in_notification())
        .map(|field| write_entry(&field.name, &ident(&field.name), field.optional))
        .collect();
    let notification_map = map_param(&notification);
    let scopes: Vec<TokenStream> = fields
        .iter()
        .filter(|f| f.scope)
        .map(|field| {
            let column = &field.column;
            let member = ident(&field.name);
            if field.optional {
                quote!(if let Some(value) = &self.#member { scopes.push((#column, value.to_string())); })
            } else {
                quote!(scopes.push((#column, self.#member.to_string()));)
            }
        })
        .collect();
    let push_scopes = (!scopes.is_empty()).then(|| {
        quote! {
            #[inline]
            fn push_scopes(&self, scopes: &mut #rt::payload::Scopes) {
                #(#scopes)*
            }
        }
    });
    let push_columns = (stored && !fields.is_empty()).then(|| {
        let columns = columns(fields);
        quote! {
            #[inline]
            fn push_columns<'a>(&'a self, event_type: &'static str, columns: &mut #rt::payload::Columns<'a>) -> #rt::Result<()> {
                #columns
                Ok(())
            }
        }
    });
    let (telemetry_ty, telemetry_value, telemetry_type) = telemetry(catalog, owner, fields, what);
    quote! {
        #[allow(unused_variables, deprecated)]
        impl #rt::payload::Level for #owner {
            type Telemetry = #telemetry_ty;

            fn write_notification<M: #rt::payload::SerializeMap>(&self, #notification_map: &mut M) -> Result<(), M::Error> {
                #(#notification)*
                Ok(())
            }

            #[inline]
            fn telemetry(&self, key: &#rt::TelemetryKey) -> Self::Telemetry {
                #telemetry_value
            }

            #push_scopes
            #push_columns
        }

        #telemetry_type
    }
}

/// The telemetry type's name, its value built from `self`, and its declaration with its
/// `TelemetryFields` (`()` and nothing when no field reaches telemetry).
fn telemetry(
    catalog: &Catalog,
    owner: &Ident,
    fields: &[FieldDef],
    what: &str,
) -> (TokenStream, TokenStream, TokenStream) {
    let rt = rt();
    let mut declarations = Vec::new();
    let mut values = Vec::new();
    let mut properties = Vec::new();
    let mut derived = Vec::new();
    for field in fields {
        let Some(slot) = field.telemetry_slot() else {
            continue;
        };
        let member = ident(&field.name);
        let (declaration, value) =
            telemetry_member(catalog, field, slot, &quote!(self.#member), false);
        declarations.push(declaration);
        values.push(value);
        match slot {
            TelemetrySlot::Count => {
                let key = field.count_key();
                derived.push(write_entry(&key, &format_ident!("{key}"), field.optional));
            }
            TelemetrySlot::Derived => {
                derived.push(write_entry(&field.name, &member, field.optional));
            }
            TelemetrySlot::Value | TelemetrySlot::Hash => {
                properties.push(write_entry(&field.name, &member, field.optional));
            }
        }
    }
    if declarations.is_empty() {
        return (quote!(()), TokenStream::new(), TokenStream::new());
    }
    let name = format_ident!("{owner}Telemetry");
    let docs = format!(
        " The telemetry form of {what}: only what its fields' privacy policies let through."
    );
    // The trait writes nothing by default: only what the level has is written out.
    let write_properties = (!properties.is_empty()).then(|| {
        quote! {
            fn write_properties<M: #rt::payload::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                #(#properties)*
                Ok(())
            }
        }
    });
    let write_derived = (!derived.is_empty()).then(|| {
        quote! {
            fn write_derived<M: #rt::payload::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                #(#derived)*
                Ok(())
            }
        }
    });
    let declaration = quote! {
        #[doc = #docs]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name { #(#declarations)* }

        impl #rt::payload::TelemetryFields for #name {
            #write_properties
            #write_derived
        }
    };
    (quote!(#name), quote!(#name { #(#values)* }), declaration)
}

/// Writes `self.<member>` under `key`; an absent optional value is left out.
fn write_entry(key: &str, member: &Ident, optional: bool) -> TokenStream {
    if optional {
        quote!(if let Some(value) = &self.#member { map.serialize_entry(#key, value)?; })
    } else {
        quote!(map.serialize_entry(#key, &self.#member)?;)
    }
}

/// The name of the map parameter: `_` when nothing is written.
fn map_param(writes: &[TokenStream]) -> TokenStream {
    if writes.is_empty() {
        quote!(_)
    } else {
        quote!(map)
    }
}

/// Appends the column values of `fields` (members of `self`) to `columns`.
fn columns(fields: &[FieldDef]) -> TokenStream {
    let values = fields.iter().map(|field| {
        let column = &field.column;
        let member = ident(&field.name);
        let value = types::column_value(field, &quote!(self.#member), &quote!(event_type));
        quote!((#column, #value))
    });
    quote!(columns.extend([#(#values),*]);)
}
