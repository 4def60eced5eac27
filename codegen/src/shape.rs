//! Payload shapes: which fields of an event sit in which payload object, and which of
//! them reach each payload. Every emitter (Rust, JSON Schema, docs) reads these, so the
//! nesting and privacy rules are written once.
//!
//! What a field becomes in each payload is [`FieldDef::becomes`]: the JSON Schemas, the
//! client types and the sample payloads all ask it, rather than each restating the
//! privacy policies.
//!
//! A payload is `{ uuid, type, version, timestamp, ... }`; an event in the hierarchy adds one object
//! per non-inline layer of its chain, nested under the layer's key, each holding the
//! fields of that layer and of its inline descendants on the chain; the innermost object
//! also holds the event's own fields. An event outside the hierarchy has its fields at the
//! top.

use crate::ir::TelemetryPolicy;
use crate::model::{Catalog, EventDef, FieldDef, LayerId};

/// The two payloads of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PayloadKind {
    /// `{ uuid, type, version, timestamp, <nested objects> }`, delivered to subscribers.
    Notification,
    /// `{ event_properties, derived_properties }`, sent to analytics.
    Telemetry,
}

impl PayloadKind {
    /// Both kinds.
    pub const ALL: [PayloadKind; 2] = [PayloadKind::Notification, PayloadKind::Telemetry];

    /// Its name: the directory of its per-event schemas and the stem of its combined one.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadKind::Notification => "notification",
            PayloadKind::Telemetry => "telemetry",
        }
    }

    /// Whether an event has a payload of this kind (analytics-only events have no
    /// notification payload).
    pub fn applies_to(self, event: &EventDef) -> bool {
        match self {
            PayloadKind::Notification => event.stored,
            PayloadKind::Telemetry => true,
        }
    }
}

/// The names at the top of every payload (telemetry: of its `event_properties`), owned by
/// the event. `version` is the event's version, so `(type, version)` names the one
/// published schema a payload follows; the runtime's payload writer writes the same keys.
pub const BASE_FIELDS: [&str; 4] = ["uuid", "type", "version", "timestamp"];

/// What the `version` base field says, in every output that describes it.
pub const VERSION_DESCRIPTION: &str = "The version of the event's payload schemas: with `type`, it names \
     the one published schema this payload follows.";

/// The base columns of `events`: the base fields an event row stores (its version is the
/// generated code's, not a column).
pub const BASE_COLUMNS: [&str; 3] = ["uuid", "type", "timestamp"];

/// Where a value of a field goes in the telemetry payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelemetrySlot {
    /// The value, under `event_properties`.
    Value,
    /// A keyed hash of the value, under `event_properties`.
    Hash,
    /// `<field>_count`, under `derived_properties`.
    Count,
    /// The value, under `derived_properties`.
    Derived,
}

impl FieldDef {
    /// Part of the notification payload.
    pub fn in_notification(&self) -> bool {
        self.notification
    }

    /// Where it goes in telemetry; `None` when it is dropped.
    pub fn telemetry_slot(&self) -> Option<TelemetrySlot> {
        match self.telemetry {
            TelemetryPolicy::Keep => Some(TelemetrySlot::Value),
            TelemetryPolicy::Hash => Some(TelemetrySlot::Hash),
            TelemetryPolicy::Count => Some(TelemetrySlot::Count),
            TelemetryPolicy::Derived => Some(TelemetrySlot::Derived),
            TelemetryPolicy::Drop => None,
        }
    }

    /// The key of its count in `derived_properties`.
    pub fn count_key(&self) -> String {
        format!("{}_count", self.name)
    }

    /// What the field becomes in `tree`; `None` when the tree has nothing of it (a
    /// telemetry-only field in notifications, a dropped one in telemetry, a count outside
    /// `derived_properties`).
    pub fn becomes(&self, tree: Tree) -> Option<Becomes> {
        let form = match tree {
            Tree::Notification => self.in_notification().then_some(Form::Value)?,
            Tree::Request => Form::Value,
            Tree::EventProperties => match self.telemetry_slot()? {
                TelemetrySlot::Value => Form::Value,
                TelemetrySlot::Hash => Form::Hash,
                TelemetrySlot::Count | TelemetrySlot::Derived => return None,
            },
            Tree::DerivedProperties => match self.telemetry_slot()? {
                TelemetrySlot::Count => Form::Count,
                TelemetrySlot::Derived => Form::Value,
                TelemetrySlot::Value | TelemetrySlot::Hash => return None,
            },
            // A named type's object has no `derived_properties`: a derived value sits
            // beside the others.
            Tree::TypeTelemetry => match self.telemetry_slot()? {
                TelemetrySlot::Value | TelemetrySlot::Derived => Form::Value,
                TelemetrySlot::Hash => Form::Hash,
                TelemetrySlot::Count => Form::Count,
            },
        };
        let key = match form {
            Form::Count => self.count_key(),
            Form::Value | Form::Hash => self.name.clone(),
        };
        Some(Becomes { key, form })
    }
}

/// A tree of members that fields contribute to: a payload, or one of telemetry's two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tree {
    /// The notification payload, and a named type's notification form.
    Notification,
    /// Telemetry's `event_properties`: kept values and keyed hashes.
    EventProperties,
    /// Telemetry's `derived_properties`: counts and derived values.
    DerivedProperties,
    /// A named type's telemetry form: values, hashes and counts side by side (a named
    /// type's object has no `derived_properties` of its own).
    TypeTelemetry,
    /// The `properties` a front end posts for a client event (the relay's request body):
    /// every own field as the event holds it, sensitive ones too, since the relay's
    /// telemetry is what drops them.
    Request,
}

/// What a field's value becomes in a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The value itself, named types in the tree's payload kind.
    Value,
    /// The keyed hash of its text (lowercase hex HMAC-SHA256).
    Hash,
    /// The number of its elements.
    Count,
}

/// A field's member in a tree: its key and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Becomes {
    /// The member's key: the field's name, or `<field>_count` for a count.
    pub key: String,
    /// What it holds.
    pub form: Form,
}

/// One payload object: a non-inline layer with its inline descendants on the chain.
#[derive(Debug, Clone)]
pub struct ObjectShape<'c> {
    /// The key it nests under in its parent object (or at the top).
    pub key: &'c str,
    /// The layers whose fields it holds: the owning layer first, then inline ones.
    pub layers: Vec<LayerId>,
    /// Its fields in order: the layers' fields, then (innermost object) the event's.
    pub fields: Vec<&'c FieldDef>,
}

impl ObjectShape<'_> {
    /// What the object is: its layers' descriptions, joined; `None` when none has one.
    pub fn description(&self, catalog: &Catalog) -> Option<String> {
        let descriptions: Vec<&str> = self
            .layers
            .iter()
            .filter_map(|&id| catalog.layer(id).description.as_deref())
            .collect();
        (!descriptions.is_empty()).then(|| descriptions.join(" "))
    }
}

/// The shape of one event's payloads.
#[derive(Debug, Clone)]
pub struct EventShape<'c> {
    /// The event.
    pub event: &'c EventDef,
    /// Fields at the top, beside the base fields (events outside the hierarchy).
    pub top_fields: Vec<&'c FieldDef>,
    /// Nested objects, outermost first; each nests under its key inside the previous one.
    pub objects: Vec<ObjectShape<'c>>,
}

impl<'c> EventShape<'c> {
    /// Every field of the event, in payload order.
    pub fn fields(&self) -> impl Iterator<Item = &'c FieldDef> + '_ {
        self.top_fields
            .iter()
            .chain(self.objects.iter().flat_map(|o| &o.fields))
            .copied()
    }

    /// The members of one tree below the base fields, in payload nesting: the top fields'
    /// members, then the outermost object with the others nested in it. `field` gives the
    /// members a field contributes, `object` makes the member of an object from its
    /// shape and members; both get `state`, which the emitters build their output in.
    pub fn nest<S, M>(
        &self,
        state: &mut S,
        mut field: impl FnMut(&mut S, &'c FieldDef) -> Option<M>,
        mut object: impl FnMut(&mut S, &ObjectShape<'c>, Vec<M>) -> M,
    ) -> Vec<M> {
        let mut top: Vec<M> = Vec::new();
        for &f in &self.top_fields {
            top.extend(field(state, f));
        }
        let mut inner: Option<M> = None;
        for shape in self.objects.iter().rev() {
            let mut members = Vec::new();
            for &f in &shape.fields {
                members.extend(field(state, f));
            }
            members.extend(inner.take());
            inner = Some(object(state, shape, members));
        }
        top.extend(inner);
        top
    }
}

impl Catalog {
    /// The payload shape of an event.
    pub fn event_shape<'c>(&'c self, event: &'c EventDef) -> EventShape<'c> {
        let Some(layer) = event.layer else {
            return EventShape {
                event,
                top_fields: event.fields.iter().collect(),
                objects: Vec::new(),
            };
        };
        let mut objects: Vec<ObjectShape<'c>> = Vec::new();
        for id in self.layer_chain(layer) {
            let layer = self.layer(id);
            match objects.last_mut() {
                Some(object) if layer.inline => {
                    object.layers.push(id);
                    object.fields.extend(&layer.fields);
                }
                _ => objects.push(ObjectShape {
                    key: &layer.key,
                    layers: vec![id],
                    fields: layer.fields.iter().collect(),
                }),
            }
        }
        if let Some(innermost) = objects.last_mut() {
            innermost.fields.extend(&event.fields);
        }
        EventShape {
            event,
            top_fields: Vec::new(),
            objects,
        }
    }
}
