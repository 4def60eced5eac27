//! `Debug` that never shows a sensitive value: a type holding a sensitive field gets a
//! written impl printing `<redacted>` in its place, as derived `Debug` would print the
//! rest; other types derive `Debug`. Values nested in named types or layers are redacted
//! by their own impls, so each type only looks at its own fields.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::types::{ident, type_ident};
use crate::model::{EventDef, FieldDef, Layer, TypeDef};

/// What a redacted `Debug` prints instead of a sensitive value.
const REDACTED: &str = "<redacted>";

/// Whether a type holding `fields` gets the written `Debug` instead of the derived one.
pub(super) fn redacts(fields: &[FieldDef]) -> bool {
    fields.iter().any(|f| f.sensitive)
}

/// `Debug, ` for the derive list of a type that has no sensitive field; nothing otherwise.
pub(super) fn derived(fields: &[FieldDef]) -> TokenStream {
    if redacts(fields) {
        TokenStream::new()
    } else {
        quote!(Debug,)
    }
}

/// The event's written `Debug`, when one of its own fields is sensitive (its layers,
/// held in `layer_members`, redact their own fields).
pub(super) fn event_impl(event: &EventDef, layer_members: Vec<Ident>) -> Option<TokenStream> {
    if !redacts(&event.fields) {
        return None;
    }
    let mut members = vec![(ident("uuid"), false), (ident("timestamp"), false)];
    members.extend(layer_members.into_iter().map(|member| (member, false)));
    members.extend(own_members(&event.fields));
    Some(written(&type_ident(&event.event_type), &members))
}

/// The layer's written `Debug`, when one of its fields is sensitive.
pub(super) fn layer_impl(layer: &Layer) -> Option<TokenStream> {
    redacts(&layer.fields).then(|| written(&type_ident(&layer.name), &own_members(&layer.fields)))
}

/// The named type's written `Debug`, when one of its fields is sensitive.
pub(super) fn type_impl(def: &TypeDef) -> Option<TokenStream> {
    redacts(&def.fields).then(|| written(&type_ident(&def.name), &own_members(&def.fields)))
}

fn own_members(fields: &[FieldDef]) -> Vec<(Ident, bool)> {
    fields
        .iter()
        .map(|f| (ident(&f.name), f.sensitive))
        .collect()
}

/// `impl Debug` printing the members in order, as `derive(Debug)` would, with
/// `<redacted>` for the sensitive ones (`format_args!` prints it without quotes);
/// deprecated fields are printed too.
fn written(name: &Ident, members: &[(Ident, bool)]) -> TokenStream {
    let name_str = name.to_string();
    let fields = members.iter().map(|(member, sensitive)| {
        let label = member.to_string();
        let label = label.strip_prefix("r#").unwrap_or(&label);
        if *sensitive {
            quote!(.field(#label, &::std::format_args!(#REDACTED)))
        } else {
            quote!(.field(#label, &self.#member))
        }
    });
    quote! {
        #[allow(deprecated)]
        impl ::std::fmt::Debug for #name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#name_str) #(#fields)* .finish()
            }
        }
    }
}
