//! The Rust module of a catalog: enums and named types, layer and event structs with
//! their payload methods, `register_<type>_event` functions, and the catalog-wide
//! `AnalyticsEvent` and `Event` enums. Written with quote and formatted with prettyplease.
//!
//! The module is meant to be `include!`d inside a module of the consuming crate; it names
//! only the standard library and `event_runtime` by absolute path.
//!
//! Every function it declares is generic or `#[inline]` (as are those of the runtime's
//! `event_api!`): the compiler then generates machine code for a function only in a crate
//! that calls it, as for generic ones. Without that, a crate holding the module compiled
//! every event's methods, and through the vtables of `Event::as_stored` every event's
//! payload writers, whether it used them or not (34,420 functions at 1,000 synthetic
//! events; 2,241 with it). See `docs/compile-time.md`.

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
    StoredEvents,
    ChatMessages,
    Tables,
    /// A root layer's layers and the events under them (or, with no root, the events
    /// outside the hierarchy), in a module of their own.
    Family(String, Vec<Part<'c>>),
}

impl Part<'_> {
    fn tokens(&self, catalog: &Catalog, options: &Options) -> TokenStream {
        if let Part::Family(module, parts) = self {
            let module = quote::format_ident!("{module}");
            let items = parts.iter().map(|part| part.tokens(catalog, options));
            return quote::quote! {
                #[allow(unused_imports)]
                mod #module {
                    use super::*;
                    #(#items)*
                }
                pub use #module::*;
            };
        }
        let mut tokens = match self {
            Part::Enum(def) => named::enum_def(def, options),
            Part::Type(def) => named::type_def(catalog, def, options),
            Part::Layer(layer) => layers::layer(catalog, layer, options),
            Part::Event(event) => events::event(catalog, event, options),
            Part::AnalyticsEnum => analytics::analytics_enum(catalog),
            Part::EventEnum => analytics::event_enum(catalog),
            Part::ClientEvents => analytics::client_events(catalog),
            Part::StoredEvents => analytics::stored_events(catalog),
            Part::ChatMessages => analytics::chat_messages(catalog),
            Part::Tables => tables_const(options),
            Part::Family(..) => TokenStream::new(),
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
                | Part::StoredEvents
                | Part::ChatMessages
                | Part::Tables
                | Part::Family(..) => TokenStream::new(),
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
    let mut files = render(catalog, options, None);
    files.swap_remove(0).1
}

/// The catalog's module as [`module_with`] writes it, but with each family of layers and
/// events (see `families`) in a module of its own, written in a file that the module
/// `include!`s and re-exported whole, in a
/// directory named after `file_name` (`events/` for `events.rs`): the files' paths,
/// relative to the module's directory, and texts, `file_name` first. Adding an event then
/// changes the text of its family's file only: the compiler's incremental state of the
/// other files' items stays valid (their places in their files did not move).
pub fn module_files(
    catalog: &Catalog,
    options: &Options,
    file_name: &str,
) -> Vec<(String, String)> {
    let stem = file_name.strip_suffix(".rs").unwrap_or(file_name);
    let mut files = render(catalog, options, Some(stem));
    files[0].0 = file_name.to_owned();
    files
}

/// The module's text (first, named ""), and with `split`, the families' files in that
/// directory.
fn render(catalog: &Catalog, options: &Options, split: Option<&str>) -> Vec<(String, String)> {
    // In one file, the layers and events are items of the module itself.
    let layers_and_events: Vec<Part<'_>> = match split {
        Some(_) => families(catalog),
        None => (catalog.layers.iter().map(Part::Layer))
            .chain(catalog.events.iter().map(Part::Event))
            .collect(),
    };
    let parts: Vec<Part<'_>> = (catalog.enums.iter().map(Part::Enum))
        .chain(catalog.types.iter().map(Part::Type))
        .chain(layers_and_events)
        .chain([
            Part::AnalyticsEnum,
            Part::EventEnum,
            Part::ClientEvents,
            Part::StoredEvents,
            Part::ChatMessages,
            Part::Tables,
        ])
        .collect();
    // A family's items are formatted one by one like the other parts, so that its file is
    // made over every core too (a catalog may have a single root layer).
    let items: Vec<&Part<'_>> = (parts.iter())
        .flat_map(|part| match (part, split) {
            (Part::Family(_, items), Some(_)) => items.iter().collect(),
            _ => vec![part],
        })
        .collect();
    let texts = in_parallel(&items, |items| {
        (items.iter())
            .map(|item| format(item.tokens(catalog, options)))
            .collect()
    });
    let mut module = format!(
        "// {GENERATED_NOTICE}\n// The `{}` event catalog. Include it in a module: \
         `mod events {{ include!(concat!(env!(\"OUT_DIR\"), \"/events.rs\")); }}`\n\n",
        catalog.name
    );
    module.reserve(texts.iter().map(String::len).sum());
    let mut files = vec![(String::new(), String::new())];
    let mut texts = texts.into_iter();
    for part in &parts {
        match (part, split) {
            (Part::Family(name, items), Some(dir)) => {
                let path = format!("{dir}/{name}.rs");
                let ident = quote::format_ident!("{name}");
                module.push_str(&format(quote::quote! {
                    #[allow(unused_imports)]
                    mod #ident {
                        use super::*;
                        include!(#path);
                    }
                    pub use #ident::*;
                }));
                let mut text = format!("// {GENERATED_NOTICE}\n\n");
                text.extend(texts.by_ref().take(items.len()));
                files.push((path, text));
            }
            _ => module.push_str(&texts.next().expect("a text for every item")),
        }
    }
    files[0].1 = module;
    files
}

/// The layers and events, one module per root layer (its layers and the events under
/// them) and one for the events outside the hierarchy, each re-exported whole, in the
/// order of the roots. The compiler checks some things a module at a time, and keeps
/// what it learned of a module that did not change: adding an event recompiles its
/// family's module, not every event's code.
fn families(catalog: &Catalog) -> Vec<Part<'_>> {
    let root = |mut id: crate::model::LayerId| {
        while let Some(parent) = catalog.layer(id).parent {
            id = parent;
        }
        id
    };
    let mut families: Vec<(Option<crate::model::LayerId>, Vec<Part<'_>>)> = Vec::new();
    let mut add = |root: Option<crate::model::LayerId>, part| match families
        .iter_mut()
        .find(|(r, _)| *r == root)
    {
        Some((_, parts)) => parts.push(part),
        None => families.push((root, vec![part])),
    };
    for (index, layer) in catalog.layers.iter().enumerate() {
        add(Some(root(crate::model::LayerId(index))), Part::Layer(layer));
    }
    for event in &catalog.events {
        add(event.layer.map(root), Part::Event(event));
    }
    families
        .into_iter()
        .map(|(root, parts)| {
            let name = match root {
                Some(id) => format!(
                    "root_{}",
                    crate::naming::snake_case(&catalog.layer(id).name)
                ),
                None => "outside_hierarchy".to_owned(),
            };
            Part::Family(name, parts)
        })
        .collect()
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
