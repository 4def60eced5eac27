//! Payload shapes: which fields of an event sit in which payload object, and which of
//! them reach each payload. Every emitter (Rust, JSON Schema, docs) reads these, so the
//! nesting and privacy rules are written once.
//!
//! A payload is `{ uuid, type, timestamp, ... }`; an event in the hierarchy adds one object
//! per non-inline layer of its chain, nested under the layer's key, each holding the
//! fields of that layer and of its inline descendants on the chain; the innermost object
//! also holds the event's own fields. An event outside the hierarchy has its fields at the
//! top.

use crate::ir::TelemetryPolicy;
use crate::model::{Catalog, EventDef, FieldDef, LayerId};

/// The names at the top of every payload, owned by the event.
pub const BASE_FIELDS: [&str; 3] = ["uuid", "type", "timestamp"];

/// Where a value of a field goes in the telemetry payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelemetrySlot {
    /// The value, under `event_properties`.
    Value,
    /// A keyed hash of the value, under `event_properties`.
    Hash,
    /// `<field>_count`, under `derived_properties`.
    Count,
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
            TelemetryPolicy::Drop => None,
        }
    }

    /// The key of its count in `derived_properties`.
    pub fn count_key(&self) -> String {
        format!("{}_count", self.name)
    }
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

/// The shape of one event's payloads.
#[derive(Debug, Clone)]
pub struct EventShape<'c> {
    /// The event.
    pub event: &'c EventDef,
    /// Fields at the top, beside `uuid`, `type`, `timestamp` (events outside the hierarchy).
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
