//! Sample payloads: one notification and one telemetry payload per event, for the
//! schemas' `examples`, the docs and `eventgen sample`.
//!
//! A field's value is its declared `example`, or else one made up from its type: an
//! enum's first value, a UUID derived from the event type and the field (so samples are
//! the same at every generation), a fixed time, one element per list, one entry per map,
//! optional fields present; members in key order. The telemetry sample is what the runtime sends for the event
//! the notification sample describes: each field becomes what [`FieldDef::becomes`] says,
//! hashes keyed with [`SAMPLE_KEY`].

use event_runtime::reexport::chrono::DateTime;
use event_runtime::reexport::uuid;
use std::cell::RefCell;

use event_runtime::{ClientEventSpec, TelemetryKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::model::{Catalog, EventDef, FieldDef, FieldType, TypeId};
use crate::shape::{BASE_FIELDS, EventShape, Form, PayloadKind, Tree};

/// The telemetry key the samples' hashes are keyed with: a sample's hash is what the
/// runtime sends under this key, and nothing a real key gives.
pub const SAMPLE_KEY: &str = "sample-telemetry-key";

/// The time of every sample event and made-up timestamp.
pub const SAMPLE_TIME: &str = "2026-01-01T12:00:00Z";

/// The sample payload of `kind` of an event, or `None` when the event has none (the
/// notification payload of an analytics-only event).
pub fn sample(catalog: &Catalog, event: &EventDef, kind: PayloadKind) -> Option<Value> {
    if !kind.applies_to(event) {
        return None;
    }
    let shape = catalog.event_shape(event);
    let samples = Samples {
        catalog,
        event,
        key: TelemetryKey::new(SAMPLE_KEY),
        building: RefCell::new(Vec::new()),
    };
    let mut sample = match kind {
        PayloadKind::Notification => {
            let mut payload = samples.base();
            payload.extend(samples.nested(&shape, Tree::Notification));
            Value::Object(payload)
        }
        PayloadKind::Telemetry => {
            let mut event_properties = samples.base();
            event_properties.extend(samples.nested(&shape, Tree::EventProperties));
            let derived_properties = samples.nested(&shape, Tree::DerivedProperties);
            let mut payload = Map::new();
            payload.insert("event_properties".into(), event_properties.into());
            payload.insert(
                "derived_properties".into(),
                derived_properties.into_iter().collect::<Map<_, _>>().into(),
            );
            Value::Object(payload)
        }
    };
    // Members in key order whether or not serde_json keeps insertion order (its
    // `preserve_order` feature may be on in some builds), so every output is stable.
    sample.sort_all_objects();
    Some(sample)
}

/// The sample request body a front end posts to the relay for a client event (`None` for
/// other events): its type and its properties, valued as in the payload samples.
pub fn request(catalog: &Catalog, event: &EventDef) -> Option<Value> {
    if !event.client {
        return None;
    }
    let samples = Samples {
        catalog,
        event,
        key: TelemetryKey::new(SAMPLE_KEY),
        building: RefCell::new(Vec::new()),
    };
    let properties: Map<String, Value> = event
        .fields
        .iter()
        .filter_map(|field| {
            let seed = format!("{}/{}", field.column, field.name);
            samples.member(field, Tree::Request, &samples.value(field, &seed))
        })
        .collect();
    let mut body = Map::new();
    body.insert(
        ClientEventSpec::EVENT_KEY.to_owned(),
        event.event_type.as_str().into(),
    );
    body.insert(
        ClientEventSpec::PROPERTIES_KEY.to_owned(),
        properties.into(),
    );
    let mut body = Value::Object(body);
    body.sort_all_objects();
    Some(body)
}

/// The event of `event_type`, or what to say about a type the catalog lacks: that it
/// is unknown, with the closest type when one is close (`eventgen sample`).
pub fn event<'c>(catalog: &'c Catalog, event_type: &str) -> Result<&'c EventDef, String> {
    catalog.event(event_type).ok_or_else(|| {
        let suggestion = crate::naming::did_you_mean(
            event_type,
            catalog.events.iter().map(|e| e.event_type.as_str()),
        );
        let mut message = format!("unknown event type `{event_type}`");
        if !suggestion.is_empty() {
            message.push_str(": ");
            message.push_str(&suggestion);
        }
        message
    })
}

/// Builds the samples of one event.
struct Samples<'c> {
    catalog: &'c Catalog,
    event: &'c EventDef,
    key: TelemetryKey,
    /// The named types whose made-up value is being built: a type that holds itself
    /// (`node` with `children: list<node>`) gets an empty list there, not an endless one.
    building: RefCell<Vec<TypeId>>,
}

impl<'c> Samples<'c> {
    /// `uuid`, `type`, `version`, `timestamp`.
    fn base(&self) -> Map<String, Value> {
        let [uuid, type_key, version, timestamp] = BASE_FIELDS;
        let mut base = Map::new();
        base.insert(uuid.into(), sample_uuid(&self.event.event_type).into());
        base.insert(type_key.into(), self.event.event_type.as_str().into());
        base.insert(version.into(), self.event.version.into());
        base.insert(timestamp.into(), SAMPLE_TIME.into());
        base
    }

    /// The members of `tree` below the base fields, in payload nesting.
    fn nested(&self, shape: &EventShape<'c>, tree: Tree) -> Vec<(String, Value)> {
        shape.nest(
            &mut (),
            |_, field| {
                // Not the event's type: a layer's field holds one value in every event.
                let seed = format!("{}/{}", field.column, field.name);
                self.member(field, tree, &self.value(field, &seed))
            },
            |_, object, members| {
                let members: Map<String, Value> = members.into_iter().collect();
                (object.key.to_owned(), members.into())
            },
        )
    }

    /// The member `field`, holding `value`, contributes to `tree`, if any.
    fn member(&self, field: &FieldDef, tree: Tree, value: &Value) -> Option<(String, Value)> {
        let becomes = field.becomes(tree)?;
        let value = match becomes.form {
            Form::Value => match tree {
                Tree::Notification | Tree::Request => value.clone(),
                _ => self.telemetry_value(&field.ty, value),
            },
            Form::Hash => match value {
                Value::String(text) => self.key.hash(text).into(),
                _ => Value::Null,
            },
            Form::Count => match value {
                Value::Array(items) => items.len().into(),
                Value::Object(entries) => entries.len().into(),
                _ => Value::Null,
            },
        };
        Some((becomes.key, value))
    }

    /// A field's value: its example, or one made up from its type.
    fn value(&self, field: &FieldDef, seed: &str) -> Value {
        match &field.example {
            Some(example) => self.as_sent(&field.ty, example),
            None => self.made_up(&field.ty, &field.name, seed),
        }
    }

    /// An example as the runtime writes it back: a float as a float (`3` is `3.0`), a
    /// timestamp in the runtime's form (`...:00.000Z` is `...:00Z`), through named types,
    /// lists and maps. Anything else as it is.
    fn as_sent(&self, ty: &FieldType, value: &Value) -> Value {
        match (ty, value) {
            (FieldType::Float, Value::Number(n)) => n
                .as_f64()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| value.clone(), Value::Number),
            (FieldType::Timestamp, Value::String(text)) => DateTime::parse_from_rfc3339(text)
                .ok()
                .and_then(|t| serde_json::to_value(t.to_utc()).ok())
                .unwrap_or_else(|| value.clone()),
            (&FieldType::Object(id), Value::Object(object)) => {
                let fields = &self.catalog.type_def(id).fields;
                object
                    .iter()
                    .map(|(key, value)| {
                        let value = match fields.iter().find(|f| f.name == *key) {
                            Some(field) => self.as_sent(&field.ty, value),
                            None => value.clone(),
                        };
                        (key.clone(), value)
                    })
                    .collect::<Map<_, _>>()
                    .into()
            }
            (FieldType::List(inner), Value::Array(items)) => {
                items.iter().map(|item| self.as_sent(inner, item)).collect()
            }
            (FieldType::Map(inner), Value::Object(entries)) => entries
                .iter()
                .map(|(key, value)| (key.clone(), self.as_sent(inner, value)))
                .collect::<Map<_, _>>()
                .into(),
            _ => value.clone(),
        }
    }

    /// A value of `ty` for a field named `name`; `seed` tells its UUIDs apart.
    fn made_up(&self, ty: &FieldType, name: &str, seed: &str) -> Value {
        match ty {
            FieldType::Uuid => sample_uuid(seed).into(),
            FieldType::String => name.into(),
            FieldType::Bool => true.into(),
            FieldType::Int => 1.into(),
            FieldType::Float => 0.5.into(),
            FieldType::Timestamp => SAMPLE_TIME.into(),
            FieldType::Json => Value::Object(Map::new()),
            &FieldType::Enum(id) => self
                .catalog
                .enum_def(id)
                .variants
                .first()
                .map_or(Value::Null, |v| v.value.as_str().into()),
            &FieldType::Object(id) => {
                if self.building.borrow().contains(&id) {
                    // Only an optional or a collection field can hold its own type.
                    return Value::Null;
                }
                self.building.borrow_mut().push(id);
                let fields = &self.catalog.type_def(id).fields;
                let object: Map<String, Value> = fields
                    .iter()
                    .map(|field| {
                        let seed = format!("{seed}.{}", field.name);
                        (field.name.clone(), self.value(field, &seed))
                    })
                    .collect();
                self.building.borrow_mut().pop();
                object.into()
            }
            FieldType::List(inner) if self.recurs(inner) => Value::Array(Vec::new()),
            FieldType::Map(inner) if self.recurs(inner) => Value::Object(Map::new()),
            FieldType::List(inner) => {
                Value::Array(vec![self.made_up(inner, name, &format!("{seed}[0]"))])
            }
            FieldType::Map(inner) => {
                let value = self.made_up(inner, name, &format!("{seed}[key]"));
                Value::Object(Map::from_iter([("key".to_owned(), value)]))
            }
        }
    }

    /// Whether the elements of a collection of `ty` are (collections of) a named type whose
    /// value is being built.
    fn recurs(&self, ty: &FieldType) -> bool {
        match ty {
            FieldType::List(inner) | FieldType::Map(inner) => self.recurs(inner),
            FieldType::Object(id) => self.building.borrow().contains(id),
            _ => false,
        }
    }

    /// A value of `ty` in its telemetry form: named types as their telemetry objects.
    fn telemetry_value(&self, ty: &FieldType, value: &Value) -> Value {
        match (ty, value) {
            (&FieldType::Object(id), Value::Object(object)) => {
                let mut telemetry = Map::new();
                for field in &self.catalog.type_def(id).fields {
                    let Some(value) = object.get(&field.name) else {
                        continue;
                    };
                    telemetry.extend(self.member(field, Tree::TypeTelemetry, value));
                }
                telemetry.into()
            }
            (FieldType::List(inner), Value::Array(items)) => items
                .iter()
                .map(|item| self.telemetry_value(inner, item))
                .collect(),
            (FieldType::Map(inner), Value::Object(entries)) => entries
                .iter()
                .map(|(key, value)| (key.clone(), self.telemetry_value(inner, value)))
                .collect::<Map<_, _>>()
                .into(),
            _ => value.clone(),
        }
    }
}

/// A version 4 UUID derived from `seed`: the same seed, the same UUID.
fn sample_uuid(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn examples_are_shown_as_the_runtime_writes_them() {
        let catalog = crate::load_str(
            "demo.toml",
            r#"
[catalog]
name = "demo"

[types.run]
description = "A run."
fields.took = { type = "float", description = "Seconds.", example = 3 }

[events."demo:happened"]
description = "It happened."
stored = false
fields.at = { type = "timestamp", description = "When.", example = "2026-01-01T12:00:00.000Z" }
fields.runs = { type = "list<run>", description = "Runs.", example = [{ took = 2 }] }
fields.counts = { type = "map<float>", description = "Counts.", example = { a = 1 } }
"#,
        )
        .catalog
        .expect("the catalog checks");
        let event = catalog.event("demo:happened").expect("the event");
        let sample = sample(&catalog, event, PayloadKind::Telemetry).expect("telemetry");
        let properties = &sample["event_properties"];
        assert_eq!(properties["at"], json!("2026-01-01T12:00:00Z"));
        assert_eq!(properties["runs"], json!([{ "took": 2.0 }]));
        assert_eq!(properties["counts"], json!({ "a": 1.0 }));
        assert!(properties["runs"][0]["took"].is_f64());
    }
}
