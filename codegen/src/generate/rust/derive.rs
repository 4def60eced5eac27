//! The code `event-macros` emits for one item declared with a derive: exactly what the
//! module emits for that definition, without the declaration the user wrote, plus what
//! the declaration carried in the module (serde for enums). The catalog's item carries
//! the catalog-wide enums, `CLIENT_EVENTS`, `STORED_EVENTS` and `CHAT_MESSAGES`.

use proc_macro2::TokenStream;
use quote::quote;

use super::types::type_ident;
use super::{Options, analytics, events, layers, named};
use crate::model::{Catalog, EventDef};
use crate::naming;

/// The code the `Catalog` derive emits: `AnalyticsEvent`, `Event`, `CLIENT_EVENTS`,
/// `STORED_EVENTS` and `CHAT_MESSAGES`, as the module has them. They name the event
/// structs, which must be in scope where the catalog is declared. The operational
/// events, which no crate declares, come whole (declarations and impls) as the module
/// has them.
pub fn catalog_impls(catalog: &Catalog) -> TokenStream {
    let options = Options::default();
    let operational_layers = (catalog.layers.iter())
        .filter(|layer| layer.is_operational())
        .map(|layer| layers::layer(catalog, layer, &options));
    let operational_events = (catalog.events.iter())
        .filter(|event| event.is_operational())
        .map(|event| events::event(catalog, event, &options));
    let operational = quote!(#(#operational_layers)* #(#operational_events)*);
    let analytics = analytics::analytics_enum(catalog);
    let events = analytics::event_enum(catalog);
    let client = analytics::client_events(catalog);
    let stored = analytics::stored_events(catalog);
    let messages = analytics::chat_messages(catalog);
    quote!(#operational #analytics #events #client #stored #messages)
}

/// The code the `Layer` derive emits for the layer `name`; `None` when the catalog has no
/// such layer.
pub fn layer_impls(catalog: &Catalog, name: &str) -> Option<TokenStream> {
    Some(layers::impls(
        catalog,
        catalog.layers.iter().find(|l| l.name == name)?,
    ))
}

/// The code the `NamedType` derive emits for the named type `name`.
pub fn type_impls(catalog: &Catalog, name: &str) -> Option<TokenStream> {
    let def = catalog.type_def(catalog.type_id(name)?);
    Some(named::type_impls(catalog, def))
}

/// The code the `NamedEnum` derive emits for the enum `name`.
pub fn enum_impls(catalog: &Catalog, name: &str) -> Option<TokenStream> {
    let def = catalog.enum_def(catalog.enum_id(name)?);
    let impls = named::enum_impls(def);
    let serde = enum_serde(&type_ident(&def.name));
    Some(quote!(#impls #serde))
}

/// The code the `Event` derive emits for the event `event_type`.
pub fn event_impls(catalog: &Catalog, event_type: &str) -> Option<TokenStream> {
    Some(events::impls(catalog, catalog.event(event_type)?))
}

/// The members an event's struct holds for its layers, as `(member, layer type)`.
pub fn event_layer_members(catalog: &Catalog, event: &EventDef) -> Vec<(String, String)> {
    events::member_layers(catalog, event)
        .into_iter()
        .map(|id| {
            let layer = catalog.layer(id);
            (
                naming::snake_case(&layer.name),
                naming::pascal_case(&layer.name),
            )
        })
        .collect()
}

/// Serializes an enum as its value, as the module's `#[serde(rename)]`d variants do.
fn enum_serde(name: &proc_macro2::Ident) -> TokenStream {
    let serde = quote!(::event_runtime::reexport::serde);
    quote! {
        impl #serde::Serialize for #name {
            fn serialize<S: #serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> #serde::Deserialize<'de> for #name {
            fn deserialize<D: #serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as #serde::Deserialize>::deserialize(deserializer)?;
                value.parse().map_err(<D::Error as #serde::de::Error>::custom)
            }
        }
    }
}
