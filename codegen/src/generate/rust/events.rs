//! Event structs, their payloads, their storage, and their register functions.
//!
//! Each event gets a struct (its layers, then its own fields) and declares itself to the
//! runtime: `event_api!` (its type, payload methods, base fields and register function:
//! the same for every event, so written once, in the runtime's macro), `Payloads` (its
//! levels, nested after its [`EventShape`]), `Level` for its own fields (see [`level`]),
//! and, when stored, `Stored` (declared: its columns are its levels') and `FromEventRow`.
//! The runtime derives the payloads, `TelemetryEvent` and `StoredEvent` from that, so the
//! per-event code is declarations, not logic. Keeping the per-event code short also keeps
//! generation fast: its time follows the number of tokens parsed and printed.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::named::model_field;
use super::options::Options;
use super::types::{self, doc, ident, rt, type_ident};
use super::{debug, level};
use crate::generate::deprecation;
use crate::model::{Catalog, EventDef, LayerId};
use crate::naming;
use crate::shape::{EventShape, ObjectShape};

/// The Rust member of an event struct that holds a layer.
pub(super) fn layer_member(catalog: &Catalog, id: LayerId) -> Ident {
    ident(&naming::snake_case(&catalog.layer(id).name))
}

/// The layers of an event's chain that have fields (fieldless ones contribute only `{}`):
/// the event struct holds one member each.
pub(super) fn member_layers(catalog: &Catalog, event: &EventDef) -> Vec<LayerId> {
    event
        .layer
        .map(|id| catalog.layer_chain(id))
        .unwrap_or_default()
        .into_iter()
        .filter(|&id| !catalog.layer(id).fields.is_empty())
        .collect()
}

/// Merges the levels in one payload object into one value: `()`, `a`, or `(a, (b, c))`.
fn merge(mut parts: Vec<TokenStream>) -> TokenStream {
    let Some(mut merged) = parts.pop() else {
        return quote!(());
    };
    while let Some(part) = parts.pop() {
        merged = quote!((#part, #merged));
    }
    merged
}

/// The event's levels (the body of `levels()`), following its shape: its own fields at
/// the top, or the nested
/// `Object`s built from the innermost out, each holding its layers' members and the
/// innermost also the event's own fields.
fn levels(catalog: &Catalog, shape: &EventShape<'_>) -> TokenStream {
    let rt = rt();
    let own = (!shape.event.fields.is_empty()).then(|| quote!(self));
    let Some((innermost, outer)) = shape.objects.split_last() else {
        // Fields at the top: the event's own, or none (an empty body is the unit level).
        return own.unwrap_or_default();
    };
    let members = |object: &ObjectShape<'_>| -> Vec<TokenStream> {
        object
            .layers
            .iter()
            .filter(|&&id| !catalog.layer(id).fields.is_empty())
            .map(|&id| {
                let member = layer_member(catalog, id);
                quote!(&self.#member)
            })
            .collect()
    };
    let key = innermost.key;
    let mut innermost_levels = members(innermost);
    innermost_levels.extend(own);
    let innermost_levels = merge(innermost_levels);
    let within = outer.iter().rev().map(|object| {
        let key = object.key;
        let levels = merge(members(object));
        quote!(.within(#key, #levels))
    });
    quote!(#rt::payload::Object::new(#key, #innermost_levels) #(#within)*)
}

pub(super) fn event(catalog: &Catalog, event: &EventDef, options: &Options) -> TokenStream {
    let declaration = declaration(catalog, event, options);
    let impls = impls(catalog, event);
    quote!(#declaration #impls)
}

/// The event's struct.
fn declaration(catalog: &Catalog, event: &EventDef, options: &Options) -> TokenStream {
    let rt = rt();
    let name = type_ident(&event.event_type);
    let event_type = &event.event_type;
    let docs = doc(event.description.as_ref(), || {
        format!("The `{event_type}` event.")
    });
    // The layer's description is on its struct; events link to it rather than repeat it.
    let layer_members = member_layers(catalog, event).into_iter().map(|id| {
        let member = layer_member(catalog, id);
        let ty = type_ident(&catalog.layer(id).name);
        let docs = format!(" The [`{ty}`] this event is about.");
        let added = options.field_attrs(event_type, &member.to_string());
        quote!(#[doc = #docs] #added pub #member: #ty,)
    });
    let own_fields = (event.fields.iter())
        .map(|f| model_field(catalog, f, false, options.field_attrs(event_type, &f.name)));
    let (added_uuid, added_timestamp) = (
        options.field_attrs(event_type, "uuid"),
        options.field_attrs(event_type, "timestamp"),
    );
    let added = options.type_attrs(event_type);
    let derived_debug = debug::derived(&event.fields);
    quote! {
        #docs
        #[derive(#derived_debug Clone, PartialEq)]
        #added
        pub struct #name {
            /// The event's id (`event_runtime::new_event_id()` makes a time-ordered one).
            #added_uuid
            pub uuid: #rt::Uuid,
            /// When it happened (`event_runtime::now()`).
            #added_timestamp
            pub timestamp: #rt::Timestamp,
            #(#layer_members)*
            #(#own_fields)*
        }
    }
}

/// Everything the event implements, without its struct (what `#[derive(Event)]` emits):
/// its redacted `Debug` when it holds a sensitive field, `event_runtime::event_api!` for what every event has (its type, payload methods, base
/// fields and register function), then how its levels nest, and its own level, storage
/// and client parts.
pub(super) fn impls(catalog: &Catalog, event: &EventDef) -> TokenStream {
    let rt = rt();
    let name = type_ident(&event.event_type);
    let event_type = &event.event_type;
    let version = proc_macro2::Literal::u32_unsuffixed(event.version);
    let levels = levels(catalog, &catalog.event_shape(event));
    let own_level = (!event.fields.is_empty()).then(|| {
        level::level(
            catalog,
            &name,
            &event.fields,
            &format!("the own fields of [`{name}`] (those beside its layers')"),
            event.stored,
        )
    });
    let register = event.stored.then(|| {
        let register = format_ident!("{}", naming::register_fn_name(event_type));
        let deprecated = event.deprecated.as_ref().map(|d| {
            let note = deprecation::text(d, deprecation::Form::RustNote);
            quote!(#[deprecated(note = #note)])
        });
        quote!(, #deprecated #register)
    });
    let stored = event.stored.then(|| stored_impls(catalog, event, &name));
    let client = event.client.then(|| client_impls(catalog, event));
    let layer_members = member_layers(catalog, event).into_iter();
    let debug = debug::event_impl(
        event,
        layer_members.map(|id| layer_member(catalog, id)).collect(),
    );

    quote! {
        #debug
        #rt::event_api!(#name, #event_type, #version #register);

        impl #rt::payload::Payloads for #name {
            #[inline]
            fn levels(&self) -> impl #rt::payload::Levels<'_> {
                #levels
            }
        }

        #own_level
        #stored
        #client
    }
}

/// What a client event adds: the schema of the properties front ends send, and the event
/// built from them (for `event_runtime::ClientEventSpec`).
fn client_impls(catalog: &Catalog, event: &EventDef) -> TokenStream {
    let rt = rt();
    let name = type_ident(&event.event_type);
    let schema = serde_json::to_string(&crate::generate::json_schema::client_properties_schema(
        catalog, event,
    ))
    .expect("a schema serializes");
    let serde = types::serde_crate();
    let serde_attr = types::serde_crate_attr();
    let members: Vec<Ident> = event.fields.iter().map(|f| ident(&f.name)).collect();
    let declarations = event.fields.iter().map(|field| {
        let member = ident(&field.name);
        let ty = types::field_ty(catalog, field);
        let default = field.optional.then(|| quote!(#[serde(default)]));
        quote!(#default #member: #ty,)
    });
    quote! {
        #[allow(deprecated)]
        impl #name {
            /// The JSON Schema (2020-12) of the `properties` front ends send: the event's fields.
            pub const PROPERTIES_SCHEMA: &'static str = #schema;

            /// The event from the `properties` a front end sent, which `PROPERTIES_SCHEMA`
            /// accepted, with a new id and the current time.
            #[inline]
            pub fn from_client_properties(
                properties: #rt::reexport::serde_json::Value,
            ) -> Result<Box<dyn #rt::TelemetryEvent + Send>, #rt::reexport::serde_json::Error> {
                #[derive(#serde::Deserialize)]
                #serde_attr
                #[serde(deny_unknown_fields)]
                struct Properties { #(#declarations)* }

                let properties: Properties = #rt::reexport::serde_json::from_value(properties)?;
                Ok(Box::new(Self {
                    uuid: #rt::new_event_id(),
                    timestamp: #rt::now(),
                    #(#members: properties.#members,)*
                }))
            }
        }
    }
}

/// What a stored event implements besides `event_api!`: `Stored` (its columns are its
/// levels'), and loading (from a row of its type).
fn stored_impls(catalog: &Catalog, event: &EventDef, name: &Ident) -> TokenStream {
    let rt = rt();
    let layer_loads = member_layers(catalog, event).into_iter().map(|id| {
        let member = layer_member(catalog, id);
        let ty = type_ident(&catalog.layer(id).name);
        quote!(#member: #ty::load_row(row, event_type)?,)
    });
    let own_loads = event.fields.iter().map(|field| {
        let member = ident(&field.name);
        let value = types::load_field(field);
        quote!(#member: #value,)
    });
    quote! {
        impl #rt::payload::Stored for #name {}

        #[allow(unused_variables, deprecated)]
        impl #rt::FromEventRow for #name {
            fn from_event_row(row: &impl #rt::EventRow) -> Result<Self, #rt::LoadError> {
                let (event_type, uuid, timestamp) = #rt::load::base(row, Self::TYPE)?;
                Ok(Self {
                    uuid,
                    timestamp,
                    #(#layer_loads)*
                    #(#own_loads)*
                })
            }
        }
    }
}
