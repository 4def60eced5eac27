//! Reading notification payloads back into the generated types, for services that receive
//! webhooks: the inverse of [`payload::notification`](crate::payload::notification).
//!
//! With the generator's `serde` option, events and layers serialize through the payload
//! itself ([`Level::write_notification`]) and deserialize through [`Fields`], taking each
//! field from the object the payload nests it in, so both directions follow the one shape
//! the generator gives. A payload is read into a JSON object first: every field of a
//! level is then found wherever the payload puts it (a layer's object also holds its
//! inline layers' fields, the next object and, innermost, the event's own fields).
//! Unknown keys are ignored, so a receiver keeps reading payloads after an additive change
//! to the definitions. A payload's `version` must be the generated type's: a payload of
//! another version follows another schema, which the type does not describe.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::UnknownEventType;
use crate::payload::{Base, Level};

/// A JSON object of a notification payload being read: the payload, or an object nested
/// in it under a layer's key. Reading a field takes it out.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    map: Map<String, Value>,
    /// Where the object is in the payload (`project.job`), for errors; empty at the top.
    path: String,
}

/// Why a notification payload could not be read into a type: a missing or mistyped field
/// (named with its path in the payload), or a payload of another event type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReadError(String);

impl ReadError {
    /// A payload of `event_type`, which cannot be read because its event holds `field`,
    /// which notification payloads leave out (`notification = false`).
    pub fn not_in_payload(event_type: &str, field: &str) -> Self {
        Self(format!(
            "a `{event_type}` event cannot be read from its notification payload: its field \
             `{field}` is telemetry-only (`notification = false`)"
        ))
    }
}

impl From<UnknownEventType> for ReadError {
    fn from(error: UnknownEventType) -> Self {
        Self(error.to_string())
    }
}

impl Fields {
    /// The object `deserializer` holds (a payload, or a layer's object), to read fields from.
    pub fn from_deserializer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self {
            map: Map::deserialize(deserializer)?,
            path: String::new(),
        })
    }

    /// The payload's `type`.
    pub fn event_type(&self) -> Result<&str, ReadError> {
        match self.map.get("type") {
            Some(Value::String(event_type)) => Ok(event_type),
            Some(other) => Err(self.invalid("type", other, "a string")),
            None => Err(self.missing("type")),
        }
    }

    /// The payload's `version`; `None` when it has none (a payload written before payloads
    /// carried their version).
    pub fn version(&self) -> Result<Option<u64>, ReadError> {
        match self.map.get("version") {
            None => Ok(None),
            Some(Value::Number(number)) if number.as_u64().is_some() => Ok(number.as_u64()),
            Some(other) => Err(self.invalid("version", other, "a non-negative integer")),
        }
    }

    /// The value of a field that is always in the payload.
    pub fn required<T: DeserializeOwned>(&mut self, key: &str) -> Result<T, ReadError> {
        match self.map.remove(key) {
            Some(value) => self.parse(key, value),
            None => Err(self.missing(key)),
        }
    }

    /// The value of an optional field: the payload leaves it out when absent (`null` is
    /// read as absent too).
    pub fn optional<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>, ReadError> {
        match self.map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => self.parse(key, value).map(Some),
        }
    }

    /// The object nested under `key` (a layer's).
    pub fn object(&mut self, key: &str) -> Result<Fields, ReadError> {
        match self.map.remove(key) {
            Some(Value::Object(map)) => Ok(Fields {
                map,
                path: self.path_of(key),
            }),
            Some(other) => Err(self.invalid(key, &other, "an object")),
            None => Err(self.missing(key)),
        }
    }

    fn parse<T: DeserializeOwned>(&self, key: &str, value: Value) -> Result<T, ReadError> {
        T::deserialize(value)
            .map_err(|error| ReadError(format!("field `{}`: {error}", self.path_of(key))))
    }

    fn missing(&self, key: &str) -> ReadError {
        ReadError(format!("missing field `{}`", self.path_of(key)))
    }

    fn invalid(&self, key: &str, value: &Value, expected: &str) -> ReadError {
        let found = match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        };
        ReadError(format!(
            "field `{}`: expected {expected}, found {found}",
            self.path_of(key)
        ))
    }

    fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

/// A level (a layer, or an event's own fields) read from the object that holds its fields.
/// Generated, with the `serde` option, for every layer whose fields are all in the
/// notification payload.
pub trait ReadLevel: Sized {
    /// Takes the level's fields out of `fields`.
    fn read_level(fields: &mut Fields) -> Result<Self, ReadError>;
}

/// An event read from its notification payload. Generated, with the `serde` option, for
/// every event whose fields are all in the notification payload.
pub trait FromNotification: Base + Sized {
    /// Takes the event's fields out of `payload`, whose `type` is the event's.
    fn from_fields(payload: &mut Fields) -> Result<Self, ReadError>;
}

/// The event `E` from a notification payload, which must be of its type and version.
pub fn read<E: FromNotification>(mut payload: Fields) -> Result<E, ReadError> {
    let found = payload.event_type()?;
    if found != E::TYPE {
        return Err(ReadError(format!(
            "expected a `{}` payload, found `type` `{found}`",
            E::TYPE
        )));
    }
    if let Some(found) = payload.version()?
        && found != u64::from(E::VERSION)
    {
        return Err(ReadError(format!(
            "expected version {} of `{}`, found `version` {found}: the payload follows \
             another schema than this type",
            E::VERSION,
            E::TYPE
        )));
    }
    E::from_fields(&mut payload)
}

/// `Deserialize` of a generated event: its notification payload.
pub fn deserialize_event<'de, D: Deserializer<'de>, E: FromNotification>(
    deserializer: D,
) -> Result<E, D::Error> {
    read(Fields::from_deserializer(deserializer)?).map_err(D::Error::custom)
}

/// `Deserialize` of a generated layer: the object of its fields.
pub fn deserialize_level<'de, D: Deserializer<'de>, L: ReadLevel>(
    deserializer: D,
) -> Result<L, D::Error> {
    let mut fields = Fields::from_deserializer(deserializer)?;
    L::read_level(&mut fields).map_err(D::Error::custom)
}

/// `Serialize` of a generated layer: an object of its notification fields, as the payload
/// writes them.
pub fn serialize_level<S: Serializer, L: Level>(
    level: &L,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    level.write_notification(&mut map)?;
    map.end()
}

/// The body of a webhook delivery, as the outbox's worker sends it: the subscriber it was
/// delivered for, and the event's notification payload (`E` is the generated `Event`, or
/// one event's type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery<E> {
    /// The subscriber (webhook) the delivery was made for.
    pub delivered_for: DeliveredFor,
    /// The event.
    pub event: E,
}

/// The subscriber a webhook delivery was made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveredFor {
    /// Its id.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
}
