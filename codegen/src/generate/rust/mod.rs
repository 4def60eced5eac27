//! The Rust module of a catalog: enums and named types, layer and event structs with
//! their payload methods, `register_<type>_event` functions, and the catalog-wide
//! `AnalyticsEvent` and `Event` enums. Written with quote and formatted with prettyplease.
//!
//! The module is meant to be `include!`d inside a module of the consuming crate; it names
//! only the standard library and `event_runtime` by absolute path.

mod analytics;
mod debug;
mod derive;
mod events;
mod layers;
mod level;
mod named;
mod notification;
mod options;
mod types;

use proc_macro2::TokenStream;

pub use options::Options;

pub use derive::{
    catalog_impls, enum_impls, event_impls, event_layer_members, layer_impls, type_impls,
};

use super::{GENERATED_NOTICE, in_parallel};
use crate::model::{Catalog, EnumDef, EventDef, Layer, TypeDef};

/// The file name the build.rs `Builder` writes to `OUT_DIR`.
pub const FILE_NAME: &str = "events.rs";

/// One top-level part of the module, generated and formatted on its own.
enum Part<'c> {
    Enum(&'c EnumDef),
    Type(&'c TypeDef),
    Layer(&'c Layer),
    Event(&'c EventDef),
    AnalyticsEnum,
    EventEnum,
    ClientEvents,
    Tables,
}

impl Part<'_> {
    fn tokens(&self, catalog: &Catalog, options: &Options) -> TokenStream {
        let mut tokens = match self {
            Part::Enum(def) => named::enum_def(def, options),
            Part::Type(def) => named::type_def(catalog, def, options),
            Part::Layer(layer) => layers::layer(catalog, layer, options),
            Part::Event(event) => events::event(catalog, event, options),
            Part::AnalyticsEnum => analytics::analytics_enum(catalog),
            Part::EventEnum => analytics::event_enum(catalog),
            Part::ClientEvents => analytics::client_events(catalog),
            Part::Tables => tables_const(options),
        };
        if options.serde() {
            tokens.extend(match self {
                Part::Layer(layer) => notification::layer(layer),
                Part::Event(event) => notification::event(catalog, event),
                Part::EventEnum => notification::event_enum(catalog),
                // Enums and named types derive serde's traits with or without the option.
                Part::Enum(_)
                | Part::Type(_)
                | Part::AnalyticsEnum
                | Part::ClientEvents
                | Part::Tables => TokenStream::new(),
            });
        }
        tokens
    }
}

/// The Rust source of the catalog's module.
///
/// Each part is parsed and pretty-printed on its own and the texts are concatenated,
/// which gives the text of the whole file formatted at once (prettyplease puts nothing
/// between items) while keeping the syntax trees small; large catalogs are split over
/// threads, in order, so the text does not depend on the thread count.
pub fn module(catalog: &Catalog) -> String {
    module_with(catalog, &Options::default())
}

/// The Rust source of the catalog's module, with the attributes `options` adds to its
/// declarations (checked with [`Options::check`] first: one that does not parse is left
/// out).
pub fn module_with(catalog: &Catalog, options: &Options) -> String {
    let parts: Vec<Part<'_>> = (catalog.enums.iter().map(Part::Enum))
        .chain(catalog.types.iter().map(Part::Type))
        .chain(catalog.layers.iter().map(Part::Layer))
        .chain(catalog.events.iter().map(Part::Event))
        .chain([
            Part::AnalyticsEnum,
            Part::EventEnum,
            Part::ClientEvents,
            Part::Tables,
        ])
        .collect();
    let texts = in_parallel(&parts, |parts| {
        parts
            .iter()
            .map(|part| format(part.tokens(catalog, options)))
            .collect()
    });
    let mut module = format!(
        "// {GENERATED_NOTICE}\n// The `{}` event catalog. Include it in a module: \
         `mod events {{ include!(concat!(env!(\"OUT_DIR\"), \"/events.rs\")); }}`\n\n",
        catalog.name
    );
    module.reserve(texts.iter().map(String::len).sum());
    for text in texts {
        module.push_str(&text);
    }
    module
}

/// `TABLES`: the names the project's migrations gave the runtime's tables, for the store's
/// configuration, so that the two cannot disagree.
fn tables_const(options: &Options) -> TokenStream {
    let tables = options.tables();
    let prefix = tables.prefix();
    let schema = match tables.schema() {
        Some(schema) => quote::quote!(Some(#schema)),
        None => quote::quote!(None),
    };
    let migrations_table = tables.migrations_table();
    quote::quote! {
        /// Where the runtime's tables are, as the project's `eventgen.toml` names them (and
        /// its migrations created them): give it to the store,
        /// `StoreConfig::default().tables(TABLES)`.
        pub const TABLES: ::event_runtime::schema::Tables =
            ::event_runtime::schema::Tables::from_static(#prefix, #schema, #migrations_table);
    }
}

/// Formats generated items.
fn format(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("generated Rust parses");
    prettyplease::unparse(&file)
}
