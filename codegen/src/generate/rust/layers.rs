//! Layer structs: the fields one level of the hierarchy contributes to its events, shared
//! by every event under it, with their storage in the `events` row and their part of the
//! payloads.

use proc_macro2::TokenStream;
use quote::quote;

use super::named::model_field;
use super::options::Options;
use super::types::{self, doc, ident, rt};
use super::{debug, level};
use crate::model::{Catalog, Layer};

pub(super) fn layer(catalog: &Catalog, layer: &Layer, options: &Options) -> TokenStream {
    let declaration = declaration(catalog, layer, options);
    let impls = impls(catalog, layer);
    quote!(#declaration #impls)
}

/// The layer's struct.
fn declaration(catalog: &Catalog, layer: &Layer, options: &Options) -> TokenStream {
    let added = options.type_attrs(&layer.name);
    let name = types::type_ident(&layer.name);
    let docs = doc(layer.description.as_ref(), || {
        format!("The `{}` layer.", layer.name)
    });
    let fields = (layer.fields.iter())
        .map(|f| model_field(catalog, f, false, options.field_attrs(&layer.name, &f.name)));
    let derived_debug = debug::derived(&layer.fields);
    quote! {
        #docs
        #[derive(#derived_debug Clone, PartialEq)]
        #added
        pub struct #name { #(#fields)* }
    }
}

/// Everything the layer implements, without its struct (what `#[derive(Layer)]` emits):
/// its redacted `Debug` when it holds a sensitive field, loading and its level.
pub(super) fn impls(catalog: &Catalog, layer: &Layer) -> TokenStream {
    // A fieldless layer contributes `{}` to payloads and nothing to rows: events hold no
    // member for it, so it needs no methods (and has nothing to redact).
    if layer.fields.is_empty() {
        return TokenStream::new();
    }
    let debug = debug::layer_impl(layer);
    let rt = rt();
    let name = types::type_ident(&layer.name);
    let loads = layer.fields.iter().map(|field| {
        let name = ident(&field.name);
        let value = types::load_field(field);
        quote!(#name: #value,)
    });
    // Every layer gives its columns: which of its events are stored is theirs to say.
    let what = format!("the `{}` layer", layer.name);
    let level = level::level(catalog, &name, &layer.fields, &what, true);
    quote! {
        #debug

        // Used by the events under the layer; a layer may have none that are stored.
        #[allow(unused_variables, deprecated, dead_code)]
        impl #name {
            fn load_row(row: &impl #rt::EventRow, event_type: &'static str) -> Result<Self, #rt::LoadError> {
                Ok(Self { #(#loads)* })
            }
        }

        #level
    }
}
