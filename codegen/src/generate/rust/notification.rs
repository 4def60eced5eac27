//! With the `serde` option ([`Options::set_serde`](super::Options::set_serde)): events and
//! layers implement `Serialize` and `Deserialize` as their notification payloads, and
//! `Event` as the payload of any stored event, dispatching on its `type`; enums and named
//! types derive both anyway. Serializing goes through the runtime's payload (what
//! `to_notification_payload` writes), reading through `event_runtime::notification`,
//! following the event's [`EventShape`]. Without the option nothing here is generated.
//!
//! A type holding a telemetry-only field (`notification = false`) only serializes: its
//! payload leaves that field out, so the value cannot be read back from it.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::events::{layer_member, member_layers};
use super::types::{ident, rt, serde_crate, type_ident};
use crate::model::{Catalog, EventDef, FieldDef, Layer};
use crate::shape::EventShape;

/// The first field of `fields` that notification payloads leave out.
fn telemetry_only<'f>(mut fields: impl Iterator<Item = &'f FieldDef>) -> Option<&'f FieldDef> {
    fields.find(|field| !field.in_notification())
}

/// The first field of an event (its layers' or its own) that its payload leaves out.
fn event_telemetry_only<'c>(catalog: &'c Catalog, event: &'c EventDef) -> Option<&'c FieldDef> {
    telemetry_only(catalog.event_shape(event).fields())
}

/// `Serialize` for `name`, through `serialize` (an expression of `self` and `serializer`).
fn serialize_impl(name: &Ident, serialize: &TokenStream) -> TokenStream {
    let serde = serde_crate();
    quote! {
        impl #serde::Serialize for #name {
            fn serialize<S: #serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                #serialize
            }
        }
    }
}

/// `Deserialize` for `name`, through `deserialize` (an expression of `deserializer`).
fn deserialize_impl(name: &Ident, deserialize: &TokenStream) -> TokenStream {
    let serde = serde_crate();
    quote! {
        impl<'de> #serde::Deserialize<'de> for #name {
            fn deserialize<D: #serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                #deserialize
            }
        }
    }
}

/// A field's member read from `object` (a `Fields` of the runtime), as a struct field.
fn read_field(field: &FieldDef, object: &Ident) -> TokenStream {
    let member = ident(&field.name);
    let key = &field.name;
    let read = if field.optional {
        format_ident!("optional")
    } else {
        format_ident!("required")
    };
    quote!(#member: #object.#read(#key)?,)
}

/// A layer's serde impls: the object of its notification fields. A fieldless layer is in
/// no event struct, so it gets none.
pub(super) fn layer(layer: &Layer) -> TokenStream {
    if layer.fields.is_empty() {
        return TokenStream::new();
    }
    let rt = rt();
    let name = type_ident(&layer.name);
    let serialize = serialize_impl(
        &name,
        &quote!(#rt::notification::serialize_level(self, serializer)),
    );
    if telemetry_only(layer.fields.iter()).is_some() {
        return serialize;
    }
    let fields = format_ident!("fields");
    let reads = layer.fields.iter().map(|field| read_field(field, &fields));
    let deserialize = deserialize_impl(
        &name,
        &quote!(#rt::notification::deserialize_level(deserializer)),
    );
    quote! {
        #serialize

        #[allow(deprecated)]
        impl #rt::notification::ReadLevel for #name {
            #[inline]
            fn read_level(fields: &mut #rt::notification::Fields) -> Result<Self, #rt::notification::ReadError> {
                Ok(Self { #(#reads)* })
            }
        }

        #deserialize
    }
}

/// An event's serde impls: its notification payload.
pub(super) fn event(catalog: &Catalog, event: &EventDef) -> TokenStream {
    let rt = rt();
    let serde = serde_crate();
    let name = type_ident(&event.event_type);
    let serialize = serialize_impl(
        &name,
        &quote!(#serde::Serialize::serialize(&#rt::payload::notification(self), serializer)),
    );
    if event_telemetry_only(catalog, event).is_some() {
        return serialize;
    }
    let from_fields = from_fields(catalog, &catalog.event_shape(event));
    let deserialize = deserialize_impl(
        &name,
        &quote!(#rt::notification::deserialize_event(deserializer)),
    );
    quote! {
        #serialize

        #[allow(deprecated, unused_mut, unused_variables)]
        impl #rt::notification::FromNotification for #name {
            #[inline]
            fn from_fields(payload: &mut #rt::notification::Fields) -> Result<Self, #rt::notification::ReadError> {
                #from_fields
            }
        }

        #deserialize
    }
}

/// The body of `from_fields`: the payload's objects taken out from the outermost in, then
/// the event with each layer read from its object and its own fields from the innermost
/// (or the top).
fn from_fields(catalog: &Catalog, shape: &EventShape<'_>) -> TokenStream {
    let rt = rt();
    let top = format_ident!("payload");
    let objects: Vec<Ident> = (0..shape.objects.len())
        .map(|i| format_ident!("object{i}"))
        .collect();
    let takes = shape.objects.iter().enumerate().map(|(i, object)| {
        let (variable, key) = (&objects[i], object.key);
        let parent = i.checked_sub(1).map_or(&top, |parent| &objects[parent]);
        quote!(let mut #variable = #parent.object(#key)?;)
    });
    let layers = member_layers(catalog, shape.event).into_iter().map(|id| {
        let member = layer_member(catalog, id);
        let at = shape
            .objects
            .iter()
            .position(|object| object.layers.contains(&id))
            .map_or(&top, |i| &objects[i]);
        quote!(#member: #rt::notification::ReadLevel::read_level(&mut #at)?,)
    });
    let own_object = objects.last().unwrap_or(&top);
    let own = shape
        .event
        .fields
        .iter()
        .map(|field| read_field(field, own_object));
    quote! {
        #(#takes)*
        Ok(Self {
            uuid: payload.required("uuid")?,
            timestamp: payload.required("timestamp")?,
            #(#layers)*
            #(#own)*
        })
    }
}

/// `Event`'s serde impls: the payload of the event it holds, and reading one by its
/// `type` (an event that cannot be read back is an error naming its telemetry-only field).
pub(super) fn event_enum(catalog: &Catalog) -> TokenStream {
    let rt = rt();
    let serde = serde_crate();
    let stored: Vec<&EventDef> = catalog.stored_events().collect();
    let variants: Vec<Ident> = stored
        .iter()
        .map(|e| format_ident!("{}", e.rust_name))
        .collect();
    let types: Vec<Ident> = stored.iter().map(|e| type_ident(&e.event_type)).collect();
    let reads = stored.iter().zip(&variants).zip(&types).map(|((event, variant), ty)| {
        match event_telemetry_only(catalog, event) {
            Some(field) => {
                let field = &field.name;
                quote!(#ty::TYPE => Err(#rt::notification::ReadError::not_in_payload(#ty::TYPE, #field)),)
            }
            None => quote!(#ty::TYPE => #rt::notification::read(payload).map(Event::#variant),),
        }
    });
    let serialize = serialize_impl(
        &format_ident!("Event"),
        &quote!(match self { #(Event::#variants(event) => #serde::Serialize::serialize(event, serializer),)* }),
    );
    let deserialize = deserialize_impl(
        &format_ident!("Event"),
        &quote! {
            let payload = #rt::notification::Fields::from_deserializer(deserializer)?;
            let custom = <D::Error as #serde::de::Error>::custom;
            let event_type = payload.event_type().map_err(custom)?.to_owned();
            let read = match event_type.as_str() {
                #(#reads)*
                unknown => Err(#rt::UnknownEventType::new(unknown, [#(#types::TYPE),*]).into()),
            };
            read.map_err(custom)
        },
    );
    quote!(#serialize #deserialize)
}
