//! What a derive emits for an item with errors besides the errors: the item's main
//! implementation, never run (the build fails), so code using it does not add errors of
//! its own to the real ones.

use event_codegen::macro_support::ItemKind;
use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

pub(crate) fn impls(kind: ItemKind, input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() {
        return TokenStream::new();
    }
    let name = &input.ident;
    let rt = quote!(::event_runtime);
    match kind {
        ItemKind::Event => quote! {
            impl #rt::payload::Base for #name {
                const TYPE: &'static str = "";
                const VERSION: u32 = 0;
                fn uuid(&self) -> #rt::Uuid {
                    ::std::unreachable!()
                }
                fn timestamp(&self) -> #rt::Timestamp {
                    ::std::unreachable!()
                }
            }
            impl #rt::payload::Payloads for #name {
                fn levels(&self) -> impl #rt::payload::Levels<'_> {}
            }
        },
        ItemKind::Layer => quote! {
            impl #rt::payload::Level for #name {
                type Telemetry = ();
                fn write_notification<M: #rt::payload::SerializeMap>(&self, _: &mut M) -> ::std::result::Result<(), M::Error> {
                    ::std::unreachable!()
                }
                fn telemetry(&self, _: &#rt::TelemetryKey) {}
            }
        },
        ItemKind::Catalog | ItemKind::NamedType | ItemKind::NamedEnum => TokenStream::new(),
    }
}
