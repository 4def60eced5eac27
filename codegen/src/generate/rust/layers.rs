//! Layer structs: the fields one level of the hierarchy contributes to its events, shared
//! by every event under it, with their storage in the `events` row.

use proc_macro2::TokenStream;
use quote::quote;

use super::named::model_field;
use super::types::{self, doc, ident, rt};
use crate::model::{FieldDef, Layer};

pub(super) fn layer(layer: &Layer) -> TokenStream {
    let rt = rt();
    let name = types::type_ident(&layer.name);
    let docs = doc(layer.description.as_ref(), || {
        format!("The `{}` layer.", layer.name)
    });
    let fields = layer.fields.iter().map(|f| model_field(f, false));
    let loads = layer.fields.iter().map(|field| {
        let name = ident(&field.name);
        let value = types::load_field(field);
        quote!(#name: #value,)
    });
    let columns = columns(&layer.fields, |name| quote!(self.#name));
    let scopes = scopes(&layer.fields, |name| quote!(self.#name));
    let has_scopes = layer.fields.iter().any(|f| f.scope);
    let push_scopes = has_scopes.then(|| {
        quote! {
            fn push_scopes(&self, scopes: &mut ::std::vec::Vec<(&'static str, ::std::string::String)>) {
                #scopes
            }
        }
    });
    // Fieldless layers contribute `{}` to payloads and nothing to rows: no methods.
    let methods = (!layer.fields.is_empty()).then(|| {
        quote! {
            // Used by the events under the layer; a layer may have none that are stored.
            #[allow(unused_variables, deprecated, dead_code)]
            impl #name {
                fn load_row(row: &impl #rt::EventRow, event_type: &'static str) -> ::std::result::Result<Self, #rt::LoadError> {
                    ::std::result::Result::Ok(Self { #(#loads)* })
                }

                fn push_columns<'a>(
                    &'a self,
                    event_type: &'static str,
                    columns: &mut ::std::vec::Vec<(&'static str, #rt::ColumnValue<'a>)>,
                ) -> #rt::Result<()> {
                    #columns
                    ::std::result::Result::Ok(())
                }

                #push_scopes
            }
        }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name { #(#fields)* }

        #methods
    }
}

/// Pushes the column values of `fields` (read through `access`) onto `columns`.
pub(super) fn columns(
    fields: &[FieldDef],
    access: impl Fn(&proc_macro2::Ident) -> TokenStream,
) -> TokenStream {
    let pushes = fields.iter().map(|field| {
        let column = &field.column;
        let value = types::column_value(field, &access(&ident(&field.name)), &quote!(event_type));
        quote!(columns.push((#column, #value));)
    });
    quote!(#(#pushes)*)
}

/// Pushes the scope values of `fields` onto `scopes`.
pub(super) fn scopes(
    fields: &[FieldDef],
    access: impl Fn(&proc_macro2::Ident) -> TokenStream,
) -> TokenStream {
    let pushes = fields.iter().filter(|f| f.scope).map(|field| {
        let column = &field.column;
        let value = access(&ident(&field.name));
        if field.optional {
            quote!(if let ::std::option::Option::Some(value) = &#value { scopes.push((#column, value.to_string())); })
        } else {
            quote!(scopes.push((#column, #value.to_string()));)
        }
    });
    quote!(#(#pushes)*)
}
