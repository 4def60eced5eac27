//! Event structs, their two payloads, their storage, and their register functions.
//!
//! Each event gets a struct at the top of the module (its layers, then its own fields)
//! and a module of the same name in snake_case holding its payload types. Payload types
//! follow the event's [`EventShape`]: one struct per payload object, so serialization
//! writes straight from the event's fields, and the telemetry types have no member for a
//! dropped value.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::layers;
use super::named::{model_field, telemetry_member};
use super::types::{self, Scope, doc, ident, rt, serde_crate_attr, type_ident};
use crate::model::{Catalog, EventDef, FieldDef, LayerId};
use crate::naming;
use crate::shape::{EventShape, TelemetrySlot};

/// The Rust member of an event struct that holds a layer.
pub(super) fn layer_member(catalog: &Catalog, id: LayerId) -> Ident {
    ident(&naming::snake_case(&catalog.layer(id).name))
}

/// The layers of an event's chain that have fields (fieldless ones contribute only `{}`).
fn member_layers(catalog: &Catalog, event: &EventDef) -> Vec<LayerId> {
    event
        .layer
        .map(|id| catalog.layer_chain(id))
        .unwrap_or_default()
        .into_iter()
        .filter(|&id| !catalog.layer(id).fields.is_empty())
        .collect()
}

/// A payload object's fields with the expression that reads each from `self`.
struct Member<'c> {
    field: &'c FieldDef,
    access: TokenStream,
}

/// The objects of an event's payloads: top-level members, then each nested object's.
struct Objects<'c> {
    top: Vec<Member<'c>>,
    nested: Vec<(&'c str, Vec<Member<'c>>)>,
}

fn objects<'c>(catalog: &'c Catalog, shape: &EventShape<'c>) -> Objects<'c> {
    let own = |field: &'c FieldDef| {
        let name = ident(&field.name);
        Member {
            field,
            access: quote!(self.#name),
        }
    };
    let top = shape.top_fields.iter().map(|f| own(f)).collect();
    let count = shape.objects.len();
    let nested = shape
        .objects
        .iter()
        .enumerate()
        .map(|(i, object)| {
            let mut members: Vec<Member<'c>> = Vec::new();
            for &id in &object.layers {
                let layer = layer_member(catalog, id);
                for field in &catalog.layer(id).fields {
                    let name = ident(&field.name);
                    members.push(Member {
                        field,
                        access: quote!(self.#layer.#name),
                    });
                }
            }
            if i + 1 == count {
                members.extend(shape.event.fields.iter().map(own));
            }
            (object.key, members)
        })
        .collect();
    Objects { top, nested }
}

pub(super) fn event(catalog: &Catalog, event: &EventDef) -> TokenStream {
    let rt = rt();
    let name = type_ident(&event.event_type);
    let module = ident(&naming::snake_case(&event.event_type));
    let event_type = &event.event_type;
    let shape = catalog.event_shape(event);
    let objects = objects(catalog, &shape);

    let docs = doc(event.description.as_ref(), || {
        format!("The `{event_type}` event.")
    });
    let layer_members = member_layers(catalog, event).into_iter().map(|id| {
        let layer = catalog.layer(id);
        let member = layer_member(catalog, id);
        let ty = type_ident(&layer.name);
        let docs = doc(layer.description.as_ref(), || {
            format!("The `{}` layer.", layer.name)
        });
        quote!(#docs pub #member: #ty,)
    });
    let own_fields = event.fields.iter().map(|f| model_field(f, false));
    let type_doc = format!(" The event type: `{event_type}`.");

    let notification = event.stored.then(|| notification_payload(&objects));
    let telemetry = telemetry_payload(&objects);
    let module_doc = format!(" Payload types of `{event_type}`.");
    let (notification_types, notification_method) = match notification {
        Some((types, value)) => (
            types,
            quote! {
                /// The notification payload, for users and webhooks: the event's layers nested
                /// under their keys. Serialize it, e.g. with `serde_json::to_string`.
                #[allow(deprecated)]
                pub fn to_notification_payload(&self) -> impl #rt::reexport::serde::Serialize + '_ {
                    use #module as payload;
                    #value
                }
            },
        ),
        None => (TokenStream::new(), TokenStream::new()),
    };
    let (telemetry_types, telemetry_value) = telemetry;
    let stored = event.stored.then(|| stored_impls(catalog, event, &name));

    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name {
            /// The event's id (`event_runtime::new_event_id()` makes a time-ordered one).
            pub uuid: #rt::reexport::uuid::Uuid,
            /// When it happened (`event_runtime::now()`).
            pub timestamp: #rt::Timestamp,
            #(#layer_members)*
            #(#own_fields)*
        }

        impl #name {
            #[doc = #type_doc]
            pub const TYPE: &'static str = #event_type;

            #notification_method

            /// The telemetry payload, for analytics: `event_properties` and
            /// `derived_properties`, holding only what the fields' privacy policies let
            /// through. Hashed fields use `key`.
            #[allow(unused_variables, deprecated)]
            pub fn to_telemetry_payload(&self, key: &#rt::TelemetryKey) -> #module::Telemetry {
                use #module as payload;
                #telemetry_value
            }
        }

        impl #rt::TelemetryEvent for #name {
            fn event_type(&self) -> &'static str {
                Self::TYPE
            }

            fn uuid(&self) -> #rt::reexport::uuid::Uuid {
                self.uuid
            }

            fn timestamp(&self) -> #rt::Timestamp {
                self.timestamp
            }

            fn telemetry_json(&self, key: &#rt::TelemetryKey) -> #rt::Result<::std::string::String> {
                #rt::reexport::serde_json::to_string(&self.to_telemetry_payload(key))
                    .map_err(#rt::Error::serialize(Self::TYPE))
            }
        }

        #[doc = #module_doc]
        pub mod #module {
            #notification_types
            #telemetry_types
        }

        #stored
    }
}

/// The private notification view types (borrowing from the event) and the expression that
/// builds the view.
fn notification_payload(objects: &Objects<'_>) -> (TokenStream, TokenStream) {
    let rt = rt();
    let serde_attr = serde_crate_attr();
    let serde = types::serde_crate();
    let mut types = Vec::new();
    // Innermost first: each object holds the next one under its key.
    let mut child: Option<(Ident, Ident, bool, TokenStream)> = None; // key, type, borrows, value
    let names = object_names("Notification", objects);
    for (i, (key, members)) in objects.nested.iter().enumerate().rev() {
        let (declarations, values) = notification_members(members);
        let (child_declaration, child_value, child_borrows) = nest(&child);
        let borrows = !declarations.is_empty() || child_borrows;
        let type_name = &names[i + 1];
        let generics = borrows.then(|| quote!(<'a>));
        types.push(quote! {
            #[derive(#serde::Serialize)]
            #serde_attr
            pub(super) struct #type_name #generics { #(#declarations)* #child_declaration }
        });
        let value = quote!(payload::#type_name { #(#values)* #child_value });
        child = Some((ident(key), type_name.clone(), borrows, value));
    }
    let (declarations, values) = notification_members(&objects.top);
    let (child_declaration, child_value, _) = nest(&child);
    let top = &names[0];
    types.push(quote! {
        #[derive(#serde::Serialize)]
        #serde_attr
        pub(super) struct #top<'a> {
            pub(super) uuid: &'a #rt::reexport::uuid::Uuid,
            #[serde(rename = "type")]
            pub(super) event_type: &'static str,
            pub(super) timestamp: &'a #rt::Timestamp,
            #(#declarations)*
            #child_declaration
        }
    });
    let value = quote! {
        payload::#top {
            uuid: &self.uuid,
            event_type: Self::TYPE,
            timestamp: &self.timestamp,
            #(#values)*
            #child_value
        }
    };
    (quote!(#(#types)*), value)
}

/// The member holding a nested object, and its initializer.
fn nest(child: &Option<(Ident, Ident, bool, TokenStream)>) -> (TokenStream, TokenStream, bool) {
    match child {
        Some((key, type_name, borrows, value)) => {
            let generics = borrows.then(|| quote!(<'a>));
            (
                quote!(pub(super) #key: #type_name #generics,),
                quote!(#key: #value,),
                *borrows,
            )
        }
        None => (TokenStream::new(), TokenStream::new(), false),
    }
}

fn notification_members(members: &[Member<'_>]) -> (Vec<TokenStream>, Vec<TokenStream>) {
    members
        .iter()
        .filter(|m| m.field.in_notification())
        .map(|Member { field, access }| {
            let name = ident(&field.name);
            let ty = types::model_ty(&field.ty, Scope::Payload);
            if field.optional {
                (
                    quote!(#[serde(skip_serializing_if = "Option::is_none")] pub(super) #name: ::std::option::Option<&'a #ty>,),
                    quote!(#name: #access.as_ref(),),
                )
            } else {
                (quote!(pub(super) #name: &'a #ty,), quote!(#name: &#access,))
            }
        })
        .unzip()
}

/// Names of the payload object types of one kind: the top one, then one per nested object
/// named by its key path (`Notification`, `NotificationProject`, `NotificationProjectJob`).
fn object_names(prefix: &str, objects: &Objects<'_>) -> Vec<Ident> {
    let mut names = vec![format_ident!("{prefix}")];
    let mut path = prefix.to_owned();
    for (key, _) in &objects.nested {
        path.push_str(&naming::pascal_case(key));
        names.push(format_ident!("{path}"));
    }
    names
}

/// The public telemetry types and the expression that builds the payload.
fn telemetry_payload(objects: &Objects<'_>) -> (TokenStream, TokenStream) {
    let rt = rt();
    let (properties_types, properties_value) = telemetry_tree(
        objects,
        "EventProperties",
        |slot| slot != TelemetrySlot::Count,
        quote! {
            /// The event's id.
            pub uuid: #rt::reexport::uuid::Uuid,
            /// The event type.
            #[serde(rename = "type")]
            pub event_type: &'static str,
            /// When it happened.
            pub timestamp: #rt::Timestamp,
        },
        quote!(uuid: self.uuid, event_type: Self::TYPE, timestamp: self.timestamp,),
    );
    let (derived_types, derived_value) = telemetry_tree(
        objects,
        "DerivedProperties",
        |slot| slot == TelemetrySlot::Count,
        TokenStream::new(),
        TokenStream::new(),
    );
    let serde_attr = serde_crate_attr();
    let serde = types::serde_crate();
    let types = quote! {
        /// The telemetry payload: what reaches analytics. It has no member for a dropped
        /// value, so sensitive data cannot be put into it.
        #[derive(Debug, Clone, PartialEq, #serde::Serialize)]
        #serde_attr
        pub struct Telemetry {
            /// Values that reach analytics (kept or hashed), nested like the notification.
            pub event_properties: EventProperties,
            /// Values derived from the event (counts of lists and maps), nested the same way.
            pub derived_properties: DerivedProperties,
        }
        #properties_types
        #derived_types
    };
    let value = quote! {
        payload::Telemetry { event_properties: #properties_value, derived_properties: #derived_value }
    };
    (types, value)
}

/// One telemetry tree (`event_properties` or `derived_properties`): the struct per object
/// holding the members whose slot `keep` accepts, and the expression that builds it.
fn telemetry_tree(
    objects: &Objects<'_>,
    prefix: &str,
    keep: impl Fn(TelemetrySlot) -> bool,
    top_declarations: TokenStream,
    top_values: TokenStream,
) -> (TokenStream, TokenStream) {
    let serde_attr = serde_crate_attr();
    let serde = types::serde_crate();
    let names = object_names(prefix, objects);
    let members = |members: &[Member<'_>]| -> (Vec<TokenStream>, Vec<TokenStream>) {
        members
            .iter()
            .filter_map(|m| {
                let slot = m.field.telemetry_slot().filter(|&s| keep(s))?;
                Some(telemetry_member(m.field, slot, &m.access, Scope::Payload))
            })
            .unzip()
    };
    let mut types = Vec::new();
    let mut child: Option<(Ident, Ident, TokenStream)> = None; // key, type, value
    let mut top_value = TokenStream::new();
    let levels: Vec<(Option<&str>, &Vec<Member<'_>>)> = std::iter::once((None, &objects.top))
        .chain(
            objects
                .nested
                .iter()
                .map(|(key, members)| (Some(*key), members)),
        )
        .collect();
    for (i, (key, level_members)) in levels.iter().enumerate().rev() {
        let (mut declarations, mut values) = members(level_members);
        if i == 0 {
            declarations.insert(0, top_declarations.clone());
            values.insert(0, top_values.clone());
        }
        if let Some((child_key, child_type, child_value)) = child.take() {
            let docs = format!(" The `{child_key}` object.");
            declarations.push(quote!(#[doc = #docs] pub #child_key: #child_type,));
            values.push(quote!(#child_key: #child_value,));
        }
        let type_name = &names[i];
        let docs = match key {
            None => format!(
                " The `{}` of the telemetry payload.",
                naming::snake_case(prefix)
            ),
            Some(key) => format!(
                " The `{key}` object of the `{}`.",
                naming::snake_case(prefix)
            ),
        };
        types.push(quote! {
            #[doc = #docs]
            #[derive(Debug, Clone, PartialEq, #serde::Serialize)]
            #serde_attr
            pub struct #type_name { #(#declarations)* }
        });
        let value = quote!(payload::#type_name { #(#values)* });
        match key {
            Some(key) => child = Some((ident(key), type_name.clone(), value)),
            None => top_value = value,
        }
    }
    (quote!(#(#types)*), top_value)
}

/// What a stored event implements: storage, loading, recording.
fn stored_impls(catalog: &Catalog, event: &EventDef, name: &Ident) -> TokenStream {
    let rt = rt();
    let register = format_ident!("{}", naming::register_fn_name(&event.event_type));
    let layers: Vec<(Ident, Ident)> = member_layers(catalog, event)
        .into_iter()
        .map(|id| {
            (
                layer_member(catalog, id),
                type_ident(&catalog.layer(id).name),
            )
        })
        .collect();
    let layer_columns = layers
        .iter()
        .map(|(member, _)| quote!(self.#member.push_columns(event_type, &mut columns)?;));
    let layer_scopes = member_layers(catalog, event)
        .into_iter()
        .filter(|&id| catalog.layer(id).fields.iter().any(|f| f.scope))
        .map(|id| {
            let member = layer_member(catalog, id);
            quote!(self.#member.push_scopes(&mut scopes);)
        });
    let layer_loads = layers
        .iter()
        .map(|(member, ty)| quote!(#member: #ty::load_row(row, event_type)?,));
    let own_columns = layers::columns(&event.fields, |name| quote!(self.#name));
    let own_scopes = layers::scopes(&event.fields, |name| quote!(self.#name));
    let own_loads = event.fields.iter().map(|field| {
        let member = ident(&field.name);
        let value = types::load_field(field);
        quote!(#member: #value,)
    });
    let layer_columns: Vec<TokenStream> = layer_columns.collect();
    let columns_body = if layer_columns.is_empty() && event.fields.is_empty() {
        quote!(::std::result::Result::Ok(::std::vec::Vec::new()))
    } else {
        quote! {
            let event_type = Self::TYPE;
            let mut columns = ::std::vec::Vec::new();
            #(#layer_columns)*
            #own_columns
            ::std::result::Result::Ok(columns)
        }
    };
    let layer_scopes: Vec<TokenStream> = layer_scopes.collect();
    let scopes_body = if layer_scopes.is_empty() && !event.fields.iter().any(|f| f.scope) {
        quote!(::std::vec::Vec::new())
    } else {
        quote! {
            let mut scopes = ::std::vec::Vec::new();
            #(#layer_scopes)*
            #own_scopes
            scopes
        }
    };
    let event_type = &event.event_type;
    let register_doc = format!(
        " Records a `{event_type}` event and its deliveries in the caller's transaction, without committing."
    );
    let deprecated = event.deprecated.as_ref().map(|d| {
        let note = deprecation_note(d);
        quote!(#[deprecated(note = #note)])
    });
    quote! {
        #[allow(unused_variables, deprecated)]
        impl #rt::StoredEvent for #name {
            fn columns(&self) -> #rt::Result<::std::vec::Vec<(&'static str, #rt::ColumnValue<'_>)>> {
                #columns_body
            }

            fn scopes(&self) -> ::std::vec::Vec<(&'static str, ::std::string::String)> {
                #scopes_body
            }

            fn notification_json(&self) -> #rt::Result<::std::string::String> {
                #rt::reexport::serde_json::to_string(&self.to_notification_payload())
                    .map_err(#rt::Error::serialize(Self::TYPE))
            }
        }

        #[allow(unused_variables, deprecated)]
        impl #name {
            fn load_row(row: &impl #rt::EventRow) -> ::std::result::Result<Self, #rt::LoadError> {
                let event_type = Self::TYPE;
                ::std::result::Result::Ok(Self {
                    uuid: #rt::load::required(row.get_uuid("uuid")?, event_type, "uuid")?,
                    timestamp: #rt::load::required(row.get_timestamp("timestamp")?, event_type, "timestamp")?,
                    #(#layer_loads)*
                    #(#own_loads)*
                })
            }
        }

        #[doc = #register_doc]
        #deprecated
        pub async fn #register<R: #rt::Recorder>(conn: &mut R, event: &#name) -> #rt::Result<#rt::EventId> {
            conn.record(event).await
        }
    }
}

/// `#[deprecated]` text: the note, the replacement, the version and the sunset.
pub(super) fn deprecation_note(d: &crate::model::Deprecation) -> String {
    let mut parts = Vec::new();
    if let Some(note) = &d.note {
        parts.push(note.clone());
    }
    if let Some(replacement) = &d.replaced_by {
        parts.push(format!("replaced by `{replacement}`"));
    }
    if let Some(since) = &d.since {
        parts.push(format!("deprecated since {since}"));
    }
    if let Some(sunset) = &d.sunset {
        parts.push(format!("removed after {sunset}"));
    }
    if parts.is_empty() {
        "deprecated".to_owned()
    } else {
        parts.join("; ")
    }
}
