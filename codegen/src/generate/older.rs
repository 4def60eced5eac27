//! The payloads of an event's older versions, for the client types, read back from their
//! published JSON Schema files.
//!
//! The catalog describes each event at its current version only; what an older version
//! said survives in its schema file, which never changes once published (the lock holds
//! its hash). So the file is the one record of an older payload, and the types of an older
//! version are derived from it: they cannot drift when the definitions or the emitters
//! change. The files read here are those the generator wrote, so only that subset of JSON
//! Schema is understood; anything else reads as any JSON value rather than failing.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;

use super::client::{Member, Object, Published, Value};
use super::json_schema::{PayloadKind, event_schema_path};
use crate::lock::LockedSchema;
use crate::model::{EventDef, FieldType};
use crate::naming;

/// The published schema file of one older version of an event's payload.
#[derive(Debug, Clone)]
pub(crate) struct OlderSchema {
    pub(crate) event_type: String,
    pub(crate) kind: PayloadKind,
    pub(crate) version: u32,
    pub(crate) schema: Json,
}

/// The older versions published: those `published` (the lock's, paths relative to the
/// schema directory) lists that are not `current`, read from `schemas_dir`, by event type
/// and then version. A file that is missing or not JSON is left out: `generate` refuses to
/// write, and `--check` fails, until it is restored.
pub(crate) fn read(
    schemas_dir: &Path,
    published: &BTreeMap<String, LockedSchema>,
    current: &BTreeMap<String, LockedSchema>,
) -> BTreeMap<String, Vec<OlderSchema>> {
    let mut older: BTreeMap<String, Vec<OlderSchema>> = BTreeMap::new();
    for (path, locked) in published {
        let kind = PayloadKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == locked.kind);
        let Some(kind) = kind else { continue };
        // Only a path the generator itself names is read: a lock entry cannot lead out of
        // the schema folders.
        if current.contains_key(path)
            || !crate::check::is_schema_path(path)
            || *path != event_schema_path(kind, &locked.event_type, locked.version)
        {
            continue;
        }
        let text = std::fs::read_to_string(schemas_dir.join(path));
        let Ok(schema) = text.map(|text| serde_json::from_str::<Json>(&text)) else {
            continue;
        };
        let Ok(schema) = schema else { continue };
        older
            .entry(locked.event_type.clone())
            .or_default()
            .push(OlderSchema {
                event_type: locked.event_type.clone(),
                kind,
                version: locked.version,
                schema,
            });
    }
    for versions in older.values_mut() {
        versions.sort_by_key(|o| (o.version, o.kind));
    }
    older
}

/// The name of an event's payload type at `version`: `ProjectCreatedV1`,
/// `ProjectCreatedV1Telemetry`.
pub(crate) fn versioned_name(event: &EventDef, version: u32, kind: PayloadKind) -> String {
    match kind {
        PayloadKind::Notification => format!("{}V{version}", event.rust_name),
        PayloadKind::Telemetry => format!("{}V{version}Telemetry", event.rust_name),
    }
}

/// An older payload as the client emitters write it: its object, and the named types and
/// enums of its file's `$defs`, each named after the payload (`ProjectCreatedV1_Step`, the
/// `_` keeping them apart from every catalog name).
pub(crate) struct OlderPayload<'s> {
    pub(crate) name: String,
    pub(crate) object: Object<'s>,
    pub(crate) defs: Vec<(String, Def<'s>)>,
}

/// One type of a file's `$defs`.
pub(crate) enum Def<'s> {
    /// An enum: its values.
    Enum(Option<&'s str>, Vec<&'s str>),
    /// A named type's object.
    Object(Object<'s>),
    /// Anything else, as a value.
    Other(Published),
}

impl<'s> OlderPayload<'s> {
    /// The payload the file `older` describes, of `event`.
    pub(crate) fn new(event: &EventDef, older: &'s OlderSchema) -> Self {
        let name = versioned_name(event, older.version, older.kind);
        let reader = Reader { prefix: &name };
        let mut object = reader.object(&older.schema);
        object.description = Some(super::client::payload_doc_of(
            &older.event_type,
            older.version,
            older.kind,
            older.schema["description"].as_str(),
        ));
        let defs = older.schema["$defs"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(def, schema)| (reader.def_name(def), reader.def(schema)))
            .collect();
        Self { name, object, defs }
    }
}

/// Reads the schemas of one file, naming its `$defs` after `prefix`.
struct Reader<'p> {
    prefix: &'p str,
}

static UUID: FieldType = FieldType::Uuid;
static TIMESTAMP: FieldType = FieldType::Timestamp;
static STRING: FieldType = FieldType::String;
static INT: FieldType = FieldType::Int;
static FLOAT: FieldType = FieldType::Float;
static BOOL: FieldType = FieldType::Bool;
static JSON: FieldType = FieldType::Json;

impl Reader<'_> {
    fn def_name(&self, def: &str) -> String {
        format!("{}_{}", self.prefix, naming::pascal_case(def))
    }

    fn def<'s>(&self, schema: &'s Json) -> Def<'s> {
        if let Some(values) = schema["enum"].as_array() {
            let values = values.iter().filter_map(Json::as_str).collect();
            return Def::Enum(schema["description"].as_str(), values);
        }
        if schema["properties"].is_object() {
            return Def::Object(self.object(schema));
        }
        Def::Other(self.published(schema))
    }

    /// An object schema's members: the required ones in their order, then the others.
    fn object<'s>(&self, schema: &'s Json) -> Object<'s> {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        let properties = schema["properties"].as_object();
        let mut members: Vec<(bool, Member<'s>)> = properties
            .into_iter()
            .flatten()
            .map(|(name, member)| {
                let optional = !required.contains(&name.as_str());
                let member = Member {
                    name: name.clone(),
                    value: self.value(member),
                    optional,
                    description: member["description"].as_str().map(str::to_owned),
                    deprecated: member["deprecated"] == true,
                };
                (optional, member)
            })
            .collect();
        members.sort_by_key(|(optional, member)| {
            (*optional, required.iter().position(|r| *r == member.name))
        });
        Object {
            description: schema["description"].as_str().map(str::to_owned),
            members: members.into_iter().map(|(_, member)| member).collect(),
        }
    }

    fn value<'s>(&self, schema: &'s Json) -> Value<'s> {
        let schema = non_null(schema);
        match (&schema["const"], scalar_type(schema)) {
            (Json::String(event_type), _) => return Value::EventType(event_type),
            (Json::Number(n), _) => {
                if let Some(version) = n.as_u64().and_then(|n| u32::try_from(n).ok()) {
                    return Value::Version(version);
                }
            }
            (_, Some("object")) if schema["properties"].is_object() => {
                return Value::Object(self.object(schema));
            }
            (_, Some("string")) if schema["pattern"].is_string() => return Value::Hash,
            (_, Some("integer")) if schema["minimum"] == 0 => return Value::Count,
            _ => {}
        }
        Value::Published(self.published(schema))
    }

    /// A value that is no object of its own: a scalar, a list or map, a `$defs` type.
    fn published(&self, schema: &Json) -> Published {
        let schema = non_null(schema);
        if let Some(def) = schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/$defs/"))
        {
            return Published::Named(self.def_name(def));
        }
        let scalar = match scalar_type(schema) {
            Some("string") => match schema["format"].as_str() {
                Some("uuid") => &UUID,
                Some("date-time") => &TIMESTAMP,
                _ => &STRING,
            },
            Some("integer") => &INT,
            Some("number") => &FLOAT,
            Some("boolean") => &BOOL,
            Some("array") => return Published::List(Box::new(self.published(&schema["items"]))),
            Some("object") if schema["additionalProperties"].is_object() => {
                let values = &schema["additionalProperties"];
                return Published::Map(Box::new(self.published(values)));
            }
            _ => &JSON,
        };
        Published::Scalar(scalar)
    }
}

/// The schema without its `null` alternative (`"type": ["integer", "null"]`, or `anyOf`
/// with `{"type": "null"}`): optional members are also nullable, which their type says.
fn non_null(schema: &Json) -> &Json {
    if let Some(branches) = schema["anyOf"].as_array()
        && let [value, null] = branches.as_slice()
        && null["type"] == "null"
    {
        return value;
    }
    schema
}

/// The type a schema names, `integer` for `["integer", "null"]`.
fn scalar_type(schema: &Json) -> Option<&str> {
    match &schema["type"] {
        Json::String(ty) => Some(ty),
        Json::Array(types) => types.iter().filter_map(Json::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// The older payloads of `event`, oldest first.
pub(crate) fn payloads<'s>(
    older: &'s BTreeMap<String, Vec<OlderSchema>>,
    event: &EventDef,
) -> Vec<OlderPayload<'s>> {
    older
        .get(&event.event_type)
        .into_iter()
        .flatten()
        .map(|schema| OlderPayload::new(event, schema))
        .collect()
}
