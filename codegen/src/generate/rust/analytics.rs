//! The catalog-wide items: `AnalyticsEvent` (every event, as analytics names them),
//! `Event` (any stored event, loaded from a row), `CLIENT_EVENTS` (for the relay check),
//! `STORED_EVENTS` (for the store's checks of scopes, and its erasure) and
//! `CHAT_MESSAGES` (for chat deliveries).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::types::{doc, rt, type_ident};
use crate::generate::deprecation;
use crate::model::{Catalog, EventDef, FieldDef};

/// `AnalyticsEvent`: one variant per event, named by its Rust name, and the impls that
/// turn it to and from its event type string.
pub(super) fn analytics_enum(catalog: &Catalog) -> TokenStream {
    let variants: Vec<_> = catalog
        .events
        .iter()
        .map(|e| format_ident!("{}", e.rust_name))
        .collect();
    let types: Vec<&str> = catalog
        .events
        .iter()
        .map(|e| e.event_type.as_str())
        .collect();
    let declaration = analytics_declaration(catalog, &variants);
    let methods = analytics_methods(catalog, &variants, &types);
    let strings = analytics_string_impls(&variants, &types);
    let serde = analytics_serde_impls();
    quote!(#declaration #methods #strings #serde)
}

fn analytics_declaration(catalog: &Catalog, variants: &[Ident]) -> TokenStream {
    let declarations = catalog
        .events
        .iter()
        .zip(variants)
        .map(|(event, variant)| analytics_variant(event, variant));
    quote! {
        /// Every event of the catalog, stored and analytics-only, as analytics names them.
        /// It serializes as the event type string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AnalyticsEvent {
            #(#declarations)*
        }
    }
}

/// One variant, documented with its event type (and deprecated like its event).
fn analytics_variant(event: &EventDef, variant: &Ident) -> TokenStream {
    let docs = doc(event.description.as_ref(), || {
        format!("`{}`.", event.event_type)
    });
    let type_doc = format!(" Type: `{}`.", event.event_type);
    let deprecated = event.deprecated.as_ref().map(|d| {
        let note = deprecation::text(d, deprecation::Form::RustNote);
        quote!(#[deprecated(note = #note)])
    });
    quote!(#docs #[doc = ""] #[doc = #type_doc] #deprecated #variant,)
}

fn analytics_methods(catalog: &Catalog, variants: &[Ident], types: &[&str]) -> TokenStream {
    let stored_pattern = pattern(&variants_where(catalog, variants, |e| e.stored));
    let client_pattern = pattern(&variants_where(catalog, variants, |e| e.client));
    // Naming a deprecated variant warns: the generated code itself must not.
    quote! {
        #[allow(deprecated)]
        impl AnalyticsEvent {
            /// Every event, in declaration order.
            pub const ALL: &'static [AnalyticsEvent] = &[#(AnalyticsEvent::#variants),*];

            /// Every event type string, in declaration order.
            pub const TYPES: &'static [&'static str] = &[#(#types),*];

            /// The event type string.
            #[inline]
            pub const fn as_str(self) -> &'static str {
                match self { #(AnalyticsEvent::#variants => #types,)* }
            }

            /// Whether the event is stored in `events` and delivered (otherwise analytics-only).
            #[inline]
            pub const fn is_stored(self) -> bool {
                #stored_pattern
            }

            /// Whether front-end clients may relay it.
            #[inline]
            pub const fn is_client(self) -> bool {
                #client_pattern
            }
        }
    }
}

/// The variants of the events `keep` selects, in declaration order.
fn variants_where<'a>(
    catalog: &Catalog,
    variants: &'a [Ident],
    keep: impl Fn(&EventDef) -> bool,
) -> Vec<&'a Ident> {
    catalog
        .events
        .iter()
        .zip(variants)
        .filter(|(e, _)| keep(e))
        .map(|(_, v)| v)
        .collect()
}

/// `Display` and `FromStr`: the event type string.
fn analytics_string_impls(variants: &[Ident], types: &[&str]) -> TokenStream {
    let rt = rt();
    quote! {
        impl ::std::fmt::Display for AnalyticsEvent {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[allow(deprecated)]
        impl ::std::str::FromStr for AnalyticsEvent {
            type Err = #rt::UnknownEventType;

            /// Parses an event type; an unknown one is an error naming the closest event type.
            #[inline]
            fn from_str(name: &str) -> Result<Self, Self::Err> {
                match name {
                    #(#types => Ok(AnalyticsEvent::#variants),)*
                    _ => Err(#rt::UnknownEventType::new(
                        name,
                        AnalyticsEvent::ALL.iter().map(|event| event.as_str()),
                    )),
                }
            }
        }
    }
}

/// Serde goes through the string impls, so a payload names the event by its type.
fn analytics_serde_impls() -> TokenStream {
    let rt = rt();
    quote! {
        impl #rt::reexport::serde::Serialize for AnalyticsEvent {
            fn serialize<S: #rt::reexport::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> #rt::reexport::serde::Deserialize<'de> for AnalyticsEvent {
            fn deserialize<D: #rt::reexport::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <::std::borrow::Cow<'de, str> as #rt::reexport::serde::Deserialize>::deserialize(deserializer)?;
                name.parse().map_err(<D::Error as #rt::reexport::serde::de::Error>::custom)
            }
        }
    }
}

fn pattern(variants: &[&Ident]) -> TokenStream {
    if variants.is_empty() {
        quote!(false)
    } else {
        quote!(matches!(self, #(AnalyticsEvent::#variants)|*))
    }
}

/// `CLIENT_EVENTS`: what the relay check needs of each client event.
pub(super) fn client_events(catalog: &Catalog) -> TokenStream {
    let rt = rt();
    let client: Vec<_> = catalog
        .events
        .iter()
        .filter(|e| e.client)
        .map(|e| type_ident(&e.event_type))
        .collect();
    quote! {
        /// The events front ends may relay, for the relay check:
        /// `event_outbox::relay::Relay::new(CLIENT_EVENTS, AnalyticsEvent::TYPES)`.
        #[allow(deprecated)]
        pub const CLIENT_EVENTS: &[#rt::ClientEventSpec] = &[
            #(#rt::ClientEventSpec {
                event_type: #client::TYPE,
                properties_schema: #client::PROPERTIES_SCHEMA,
                parse: #client::from_client_properties,
            },)*
        ];
    }
}

/// `STORED_EVENTS`: each stored event type with the scope keys and sensitive columns of
/// its layers and its own fields.
pub(super) fn stored_events(catalog: &Catalog) -> TokenStream {
    let rt = rt();
    let specs = catalog.stored_events().map(|event| {
        let chain = event
            .layer
            .map(|l| catalog.layer_chain(l))
            .unwrap_or_default();
        let fields: Vec<&FieldDef> = (chain.iter())
            .flat_map(|id| &catalog.layer(*id).fields)
            .chain(&event.fields)
            .collect();
        let scope_keys = fields.iter().filter(|f| f.scope).map(|f| f.column.as_str());
        let sensitive = fields
            .iter()
            .filter(|f| f.sensitive)
            .map(|f| f.column.as_str());
        let event_type = event.event_type.as_str();
        let version = event.version;
        let description = event.description.as_deref().unwrap_or_default();
        quote! {
            #rt::EventTypeSpec {
                event_type: #event_type,
                version: #version,
                description: #description,
                scope_keys: &[#(#scope_keys),*],
                sensitive_columns: &[#(#sensitive),*],
            },
        }
    });
    quote! {
        /// Every stored event type, with the scope keys subscriptions to it may name and
        /// its sensitive columns: `StoreConfig::default().catalog(STORED_EVENTS)`.
        pub const STORED_EVENTS: &[#rt::EventTypeSpec] = &[#(#specs)*];
    }
}

pub(super) fn event_enum(catalog: &Catalog) -> TokenStream {
    let rt = rt();
    let stored: Vec<_> = catalog.stored_events().collect();
    let variants: Vec<_> = stored
        .iter()
        .map(|e| format_ident!("{}", e.rust_name))
        .collect();
    let types: Vec<_> = stored.iter().map(|e| type_ident(&e.event_type)).collect();
    let docs = stored.iter().map(|e| format!(" `{}`.", e.event_type));
    quote! {
        /// Any stored event of the catalog: what a row of `events` holds.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone)]
        pub enum Event {
            #(#[doc = #docs] #variants(#types),)*
        }

        // Not derived: rustc checks a `match` on `Event` with a wildcard arm (the derive's
        // `_`, or a `matches!` per variant) in time that grows with the variants times
        // their fields' types, once per such `match`: 30 s of the build at 5,000 events.
        // Downcasting the other event to this one's type needs no wildcard.
        impl ::std::cmp::PartialEq for Event {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                let other = other.as_any();
                match self {
                    #(Event::#variants(event) => other.downcast_ref::<#types>() == Some(event),)*
                }
            }
        }

        impl Event {
            /// Reads an event from a row of `events`, dispatching on its exact `type`.
            pub fn from_row(row: &impl #rt::EventRow) -> Result<Self, #rt::LoadError> {
                let event_type = row.event_type()?;
                match event_type.as_str() {
                    #(#types::TYPE => #rt::FromEventRow::from_event_row(row).map(Event::#variants),)*
                    _ => Err(#rt::LoadError::UnknownEventType(event_type)),
                }
            }

            /// The event, as the store records it.
            #[inline]
            pub fn as_stored(&self) -> &dyn #rt::StoredEvent {
                match self { #(Event::#variants(event) => event,)* }
            }

            /// The event, to downcast to its type.
            #[inline]
            pub fn as_any(&self) -> &dyn ::std::any::Any {
                match self { #(Event::#variants(event) => event,)* }
            }
        }

        impl #rt::FromEventRow for Event {
            fn from_event_row(row: &impl #rt::EventRow) -> Result<Self, #rt::LoadError> {
                Self::from_row(row)
            }
        }
    }
}

/// `CHAT_MESSAGES`: every stored event's chat message template, declared or default.
pub(super) fn chat_messages(catalog: &Catalog) -> TokenStream {
    let rt = rt();
    let (types, templates): (Vec<&str>, Vec<String>) = catalog
        .stored_events()
        .map(|e| (e.event_type.as_str(), crate::message::template(catalog, e)))
        .unzip();
    quote! {
        /// The chat message of every stored event (its `message`, or the default made from
        /// its definition), for the text of Slack, Discord and Microsoft Teams deliveries:
        /// `event_outbox::webhook::ChatMessages::new(CHAT_MESSAGES)`.
        pub const CHAT_MESSAGES: &[#rt::MessageTemplate] = &[
            #(#rt::MessageTemplate {
                event_type: #types,
                template: #templates,
            },)*
        ];
    }
}
