//! The Rust module of a catalog: enums and named types, layer and event structs with
//! their payload methods, `register_<type>_event` functions, and the catalog-wide
//! `AnalyticsEvent` and `Event` enums. Written with quote and formatted with prettyplease.
//!
//! The module is meant to be `include!`d inside a module of the consuming crate; it names
//! only the standard library and `event_runtime` by absolute path.

mod analytics;
mod events;
mod layers;
mod named;
mod types;

use quote::quote;

use super::GENERATED_NOTICE;
use crate::model::Catalog;

/// The file name the build.rs `Builder` writes to `OUT_DIR`.
pub const FILE_NAME: &str = "events.rs";

/// The Rust source of the catalog's module.
pub fn module(catalog: &Catalog) -> String {
    let enums = catalog.enums.iter().map(named::enum_def);
    let types = catalog.types.iter().map(named::type_def);
    let layers = catalog.layers.iter().map(layers::layer);
    let events = catalog
        .events
        .iter()
        .map(|event| events::event(catalog, event));
    let analytics = analytics::analytics_enum(catalog);
    let event_enum = analytics::event_enum(catalog);
    let tokens = quote! {
        #(#enums)*
        #(#types)*
        #(#layers)*
        #(#events)*
        #analytics
        #event_enum
    };
    let file: syn::File = syn::parse2(tokens).expect("generated Rust parses");
    let header = format!(
        "// {GENERATED_NOTICE}\n// The `{}` event catalog. Include it in a module: \
         `mod events {{ include!(concat!(env!(\"OUT_DIR\"), \"/events.rs\")); }}`\n\n",
        catalog.name
    );
    header + &prettyplease::unparse(&file)
}
