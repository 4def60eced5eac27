//! JSON Schemas (draft 2020-12) of the payloads every event produces: per event a
//! notification schema (stored events only: analytics-only events are never delivered as
//! notifications) and a telemetry schema, an `index.json` listing them, and one combined
//! schema per payload kind that dispatches on the event type.
//!
//! The schemas describe exactly the shapes of [`crate::shape`]: the nesting of payload
//! objects and which fields reach each payload come from there. Every object is closed
//! (`additionalProperties: false`) and lists its non-optional members as `required`, so
//! a payload with a missing, unknown or wrongly typed member fails. Optional members may
//! be absent or `null`.
//!
//! Each per-event schema carries its event's sample payload ([`super::sample`]) as its
//! `examples`.
//!
//! Files are written relative to the repository root, under [`SCHEMA_DIR`]. A schema's
//! `$id` is the catalog's `schema_base` followed by its path relative to [`SCHEMA_DIR`]
//! (the bare relative path when there is no base); the combined schemas reference the
//! per-event ones by relative path, so they resolve both under the `$id`s and on disk.
//!
//! Per-event schemas are versioned (`notification/project.created/v2.json`: one folder per
//! event, one file per version) and immutable once published: the lock records each with
//! the hash of its contents, and a file published before is never rewritten (rule
//! `append-only`, in `check`). So a versioned file holds what the
//! version's payload is, and not the event's deprecation, which comes later without a new
//! payload: that is in the combined schemas and `index.json`, which are rewritten at every
//! generation, point at the current versions and list the older ones.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::{Schema, json_schema};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{GENERATED_NOTICE, GeneratedFile, deprecation, in_parallel};
use crate::lock::{LockedSchema, content_hash};
use event_runtime::ClientEventSpec;

use crate::model::{Catalog, EnumId, EventDef, FieldDef, FieldType, TypeId};
use crate::shape::{BASE_FIELDS, EventShape, Form, Tree, VERSION_DESCRIPTION};
use crate::text::push_sentence;

/// The JSON Schema dialect of every generated schema.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// Where the schemas go, relative to the repository root.
pub const SCHEMA_DIR: &str = "schemas";

pub use crate::shape::PayloadKind;

/// The path of one version of an event's schema relative to [`SCHEMA_DIR`]
/// (`notification/project.one-off-job.pipeline-run.failed/v1.json`): a folder per event,
/// a file per version.
pub fn event_schema_path(kind: PayloadKind, event_type: &str, version: u32) -> String {
    format!(
        "{}/{}/v{version}.json",
        kind.as_str(),
        event_type.replace(':', ".")
    )
}

/// The path of the combined schema of a payload kind relative to [`SCHEMA_DIR`]
/// (`notification.json`).
pub fn combined_schema_path(kind: PayloadKind) -> String {
    format!("{}.json", kind.as_str())
}

/// The `$id` of the schema at `path` (relative to [`SCHEMA_DIR`]).
pub(crate) fn schema_id(catalog: &Catalog, path: &str) -> String {
    format!("{}{path}", catalog.schema_base.as_deref().unwrap_or(""))
}

/// Every schema file of the catalog, relative to the repository root, when nothing was
/// published before: see [`schemas`].
pub fn files(catalog: &Catalog) -> Vec<GeneratedFile> {
    schemas(catalog, &BTreeMap::new()).files
}

/// The schema files of one generation, and what the lock records of them.
#[derive(Debug, Clone)]
pub struct Schemas {
    /// The per-event schemas of the current versions, the combined schemas and
    /// `index.json`, relative to the repository root.
    pub files: Vec<GeneratedFile>,
    /// The per-event files among them, by path relative to [`SCHEMA_DIR`], as the lock
    /// records them.
    pub published: BTreeMap<String, LockedSchema>,
}

/// The schema files of the catalog given those `published` before (the lock's, by path
/// relative to [`SCHEMA_DIR`]): the per-event schemas of the current versions, and the
/// combined schemas and `index.json`, which also list the older versions published.
/// Pretty JSON with a trailing newline; the `@generated` notice is the top-level
/// `$comment` of each.
pub fn schemas(catalog: &Catalog, published: &BTreeMap<String, LockedSchema>) -> Schemas {
    let per_event = in_parallel(&catalog.events, |events| {
        let mut files = Vec::with_capacity(events.len() * 2);
        let mut buffer = Vec::new();
        for event in events {
            for kind in PayloadKind::ALL {
                if let Some(schema) = versioned_schema(catalog, event, kind) {
                    let path = event_schema_path(kind, &event.event_type, event.version);
                    let file = file(&path, schema, &mut buffer);
                    let locked = LockedSchema {
                        event_type: event.event_type.clone(),
                        kind: kind.as_str().to_owned(),
                        version: event.version,
                        sha256: content_hash(file.contents.as_bytes()),
                    };
                    files.push((file, (path, locked)));
                }
            }
            if let Some(schema) = request_schema(catalog, event) {
                let path = request_schema_path(&event.event_type, event.version);
                let file = file(&path, schema, &mut buffer);
                let locked = LockedSchema {
                    event_type: event.event_type.clone(),
                    kind: REQUEST.to_owned(),
                    version: event.version,
                    sha256: content_hash(file.contents.as_bytes()),
                };
                files.push((file, (path, locked)));
            }
        }
        files
    });
    let (mut files, current): (Vec<GeneratedFile>, BTreeMap<String, LockedSchema>) =
        per_event.into_iter().unzip();
    let older = Older::new(published, &current);
    let mut buffer = Vec::new();
    for kind in PayloadKind::ALL {
        let path = combined_schema_path(kind);
        let schema = combined_schema(catalog, kind, &older);
        files.push(file(&path, schema, &mut buffer));
    }
    files.push(GeneratedFile::new(
        Path::new(SCHEMA_DIR).join("index.json"),
        serde_json::to_string_pretty(&Index::new(catalog, &older)).expect("the index serializes")
            + "\n",
    ));
    Schemas {
        files,
        published: current,
    }
}

/// The versions published before that are no longer current, by payload kind and event
/// type, oldest first.
pub(crate) struct Older<'p> {
    by_kind: BTreeMap<&'p str, VersionsByEvent<'p>>,
}

/// (version, path) of the older versions of each event, by event type.
type VersionsByEvent<'p> = BTreeMap<&'p str, Vec<(u32, &'p str)>>;

impl<'p> Older<'p> {
    /// The entries of `published` (the lock's) that are not `current`.
    pub(crate) fn new(
        published: &'p BTreeMap<String, LockedSchema>,
        current: &BTreeMap<String, LockedSchema>,
    ) -> Self {
        let mut by_kind: BTreeMap<&str, VersionsByEvent<'_>> = BTreeMap::new();
        for (path, schema) in published {
            if current.contains_key(path) {
                continue;
            }
            by_kind
                .entry(schema.kind.as_str())
                .or_default()
                .entry(schema.event_type.as_str())
                .or_default()
                .push((schema.version, path.as_str()));
        }
        for versions in by_kind.values_mut().flat_map(BTreeMap::values_mut) {
            versions.sort_unstable();
        }
        Self { by_kind }
    }

    /// The older versions of an event's payload of this kind: (version, path).
    fn of(&self, event_type: &str, kind: PayloadKind) -> &[(u32, &'p str)] {
        self.by_kind
            .get(kind.as_str())
            .and_then(|events| events.get(event_type))
            .map_or(&[], Vec::as_slice)
    }

    /// Every older version of this kind, events in type order: (event type, version, path).
    fn all(&self, kind: PayloadKind) -> impl Iterator<Item = (&'p str, u32, &'p str)> + '_ {
        self.by_kind
            .get(kind.as_str())
            .into_iter()
            .flatten()
            .flat_map(|(&event_type, versions)| {
                versions
                    .iter()
                    .map(move |&(version, path)| (event_type, version, path))
            })
    }
}

/// The schema of one payload of an event; `None` for the notification payload of an
/// analytics-only event.
pub fn event_schema(catalog: &Catalog, event: &EventDef, kind: PayloadKind) -> Option<Schema> {
    let mut schema = versioned_schema(catalog, event, kind)?;
    if let Some(deprecation) = &event.deprecated {
        let text = deprecation::text(deprecation, deprecation::Form::Schema);
        let mut description = event.description.clone().unwrap_or_default();
        push_sentence(&mut description, &text);
        schema.insert("description".to_owned(), description.into());
        schema.insert("deprecated".to_owned(), true.into());
    }
    Some(schema)
}

/// The schema of one payload of an event at its current version, as its immutable file
/// holds it: without the event's deprecation, which may come later.
fn versioned_schema(catalog: &Catalog, event: &EventDef, kind: PayloadKind) -> Option<Schema> {
    if !kind.applies_to(event) {
        return None;
    }
    let shape = catalog.event_shape(event);
    let mut builder = Builder::new(catalog, kind);
    let payload = match kind {
        PayloadKind::Notification => builder.notification_payload(&shape),
        PayloadKind::Telemetry => builder.telemetry_payload(&shape),
    };
    let path = event_schema_path(kind, &event.event_type, event.version);
    let mut schema = json_schema!({
        "$id": schema_id(catalog, &path),
        "$schema": DRAFT_2020_12,
        "title": format!("{} v{} ({})", event.event_type, event.version, kind.as_str()),
    });
    if let Some(description) = &event.description {
        schema.insert("description".to_owned(), description.as_str().into());
    }
    let defs = builder.into_defs();
    extend(&mut schema, payload);
    if !defs.is_empty() {
        schema.insert("$defs".to_owned(), Value::Object(defs));
    }
    if let Some(sample) = super::sample::sample(catalog, event, kind) {
        schema.insert("examples".to_owned(), Value::Array(vec![sample]));
    }
    Some(schema)
}

/// The schema of the `properties` a front end relays for a client event: the event's
/// own fields as the event holds them (sensitive ones too: the relay's telemetry drops
/// them), and nothing else. The relay check validates against it, and the event's
/// published request schema ([`request_schema`]) holds it.
pub(crate) fn client_properties_schema(catalog: &Catalog, event: &EventDef) -> Schema {
    let (properties, defs) = request_properties(catalog, event);
    let mut schema = json_schema!({
        "$schema": DRAFT_2020_12,
        "title": format!("{} (client properties)", event.event_type),
    });
    extend(&mut schema, properties);
    if !defs.is_empty() {
        schema.insert("$defs".to_owned(), Value::Object(defs));
    }
    schema
}

/// The `properties` object of a client event's request, and the `$defs` it refers to.
fn request_properties(catalog: &Catalog, event: &EventDef) -> (Schema, Map<String, Value>) {
    let mut builder = Builder::new(catalog, PayloadKind::Notification);
    let members = event
        .fields
        .iter()
        .filter_map(|field| builder.field_member(field, Tree::Request))
        .collect();
    let properties = object(event.description.clone(), members);
    (properties, builder.into_defs())
}

/// The path of a client event's request schema relative to [`SCHEMA_DIR`]
/// (`request/view.loaded/v1.json`), versioned like the payloads' schemas.
pub fn request_schema_path(event_type: &str, version: u32) -> String {
    format!("{REQUEST}/{}/v{version}.json", event_type.replace(':', "."))
}

/// The kind of a request schema, as its folder and the lock name it.
pub const REQUEST: &str = "request";

/// The schema of the body a front end posts to the relay for a client event (`None` for
/// other events): the event type and the properties the relay checks, which are
/// [`client_properties_schema`]'s, so the published file and the relay agree.
pub fn request_schema(catalog: &Catalog, event: &EventDef) -> Option<Schema> {
    if !event.client {
        return None;
    }
    let (properties, defs) = request_properties(catalog, event);
    let path = request_schema_path(&event.event_type, event.version);
    let mut schema = json_schema!({
        "$id": schema_id(catalog, &path),
        "$schema": DRAFT_2020_12,
        "title": format!("{} v{} (request)", event.event_type, event.version),
        "description": format!(
            "The body a front end posts to the relay for `{}`: the event type and its \
             properties. The relay refuses a body this schema does not accept; its telemetry \
             drops the sensitive properties.",
            event.event_type
        ),
    });
    let envelope = object(
        None,
        vec![
            Member {
                name: ClientEventSpec::EVENT_KEY.to_owned(),
                schema: event_type_schema(event),
                required: true,
            },
            Member {
                name: ClientEventSpec::PROPERTIES_KEY.to_owned(),
                schema: properties,
                required: true,
            },
        ],
    );
    extend(&mut schema, envelope);
    if !defs.is_empty() {
        schema.insert("$defs".to_owned(), Value::Object(defs));
    }
    if let Some(sample) = super::sample::request(catalog, event) {
        schema.insert("examples".to_owned(), Value::Array(vec![sample]));
    }
    Some(schema)
}

/// The combined schema of a payload kind: `oneOf` the current version of every event of
/// the catalog that has this kind (each closed, its `type` a `const`, so exactly one
/// matches a valid payload and an unknown type matches none). The older versions are
/// listed in `$defs` (named `<type>.v<version>`), for tools; they take no part in
/// validation, since a payload of an older version may share its type with the current one.
fn combined_schema(catalog: &Catalog, kind: PayloadKind, older: &Older<'_>) -> Schema {
    let (what, location) = match kind {
        PayloadKind::Notification => ("notification", "`type`"),
        PayloadKind::Telemetry => ("telemetry", "`event_properties.type`"),
    };
    let mut schema = json_schema!({
        "$id": schema_id(catalog, &combined_schema_path(kind)),
        "$schema": DRAFT_2020_12,
        "title": format!("{} ({what})", catalog.name),
        "description": format!(
            "A {what} payload of any event of the `{}` catalog at its current version: one \
             of the events' schemas, told apart by the constant {location}.",
            catalog.name
        ),
    });
    let branches: Vec<Value> = catalog
        .events
        .iter()
        .filter(|e| kind.applies_to(e))
        .map(|event| combined_branch(event, kind).to_value())
        .collect();
    // `oneOf: []` would reject everything, as a catalog without events of this kind should.
    schema.insert("oneOf".to_owned(), Value::Array(branches));
    let older: Map<String, Value> = older
        .all(kind)
        .map(|(event_type, version, path)| {
            let name = format!("{}.v{version}", event_type.replace(':', "."));
            (name, json_schema!({ "$ref": path }).to_value())
        })
        .collect();
    if !older.is_empty() {
        schema.insert("$defs".to_owned(), Value::Object(older));
    }
    schema
}

/// The branch of one event in a combined schema: a reference to its current version, with
/// the event's deprecation (which its versioned file does not hold).
fn combined_branch(event: &EventDef, kind: PayloadKind) -> Schema {
    let mut branch = json_schema!({
        "$ref": event_schema_path(kind, &event.event_type, event.version),
    });
    if let Some(deprecation) = &event.deprecated {
        let text = deprecation::text(deprecation, deprecation::Form::Schema);
        branch.insert("description".to_owned(), text.into());
        branch.insert("deprecated".to_owned(), true.into());
    }
    branch
}

/// `schemas/<path>` holding `schema`, with the notice as its first member.
/// `buffer` is scratch space, reused from file to file.
fn file(path: &str, schema: Schema, buffer: &mut Vec<u8>) -> GeneratedFile {
    #[derive(Serialize)]
    struct WithNotice<'a> {
        #[serde(rename = "$comment")]
        comment: &'static str,
        #[serde(flatten)]
        schema: &'a Schema,
    }
    // Object members are written in key order whether or not serde_json keeps insertion
    // order (its `preserve_order` feature may be on in some builds): schemars puts the
    // main keywords first, the rest follow sorted.
    let mut value = schema.to_value();
    value.sort_all_objects();
    let schema = Schema::try_from(value).expect("still a schema");
    buffer.clear();
    let with_notice = WithNotice {
        comment: GENERATED_NOTICE,
        schema: &schema,
    };
    serde_json::to_writer_pretty(&mut *buffer, &with_notice).expect("a schema serializes");
    buffer.push(b'\n');
    let contents = String::from_utf8(buffer.clone()).expect("serde_json writes UTF-8");
    GeneratedFile::new(Path::new(SCHEMA_DIR).join(path), contents)
}

/// Builds the schemas of one payload kind, collecting the enums and named types they
/// reference into `$defs` (each type in the form of that payload kind).
struct Builder<'c> {
    catalog: &'c Catalog,
    kind: PayloadKind,
    /// By name, as `$defs` is keyed.
    referenced: BTreeMap<&'c str, Referenced>,
}

/// A definition a schema refers to in `$defs`.
#[derive(Clone, Copy)]
enum Referenced {
    Enum(EnumId),
    Type(TypeId),
}

/// One member of an object schema.
struct Member {
    name: String,
    schema: Schema,
    required: bool,
}

impl<'c> Builder<'c> {
    fn new(catalog: &'c Catalog, kind: PayloadKind) -> Self {
        Self {
            catalog,
            kind,
            referenced: BTreeMap::new(),
        }
    }

    /// `{ uuid, type, version, timestamp, ... }`, with the event's objects nested under
    /// their keys.
    fn notification_payload(&mut self, shape: &EventShape<'c>) -> Schema {
        let mut members = base_members(shape.event);
        members.extend(self.nested(shape, Tree::Notification));
        object(None, members)
    }

    /// `{ event_properties, derived_properties }`, both with the notification nesting.
    fn telemetry_payload(&mut self, shape: &EventShape<'c>) -> Schema {
        let mut event_properties = base_members(shape.event);
        event_properties.extend(self.nested(shape, Tree::EventProperties));
        let derived_properties = self.nested(shape, Tree::DerivedProperties);
        object(
            None,
            vec![
                Member {
                    name: "event_properties".to_owned(),
                    schema: object(
                        Some(
                            "The event's own properties: the values that may reach telemetry \
                             and keyed hashes, in the nesting of the notification payload."
                                .to_owned(),
                        ),
                        event_properties,
                    ),
                    required: true,
                },
                Member {
                    name: "derived_properties".to_owned(),
                    schema: object(
                        Some(
                            "Values derived from the event's data (the sizes of lists and \
                             maps), in the nesting of the notification payload."
                                .to_owned(),
                        ),
                        derived_properties,
                    ),
                    required: true,
                },
            ],
        )
    }

    /// The members at the top of a payload (or of one of its telemetry trees) below the
    /// base fields: the top fields, or the outermost object with the others nested in it.
    fn nested(&mut self, shape: &EventShape<'c>, tree: Tree) -> Vec<Member> {
        let catalog = self.catalog;
        shape.nest(
            self,
            |builder, field| builder.field_member(field, tree),
            |_, object_shape, members| Member {
                name: object_shape.key.to_owned(),
                schema: object(object_shape.description(catalog), members),
                required: true,
            },
        )
    }

    /// The member a field contributes to `tree`, if any ([`FieldDef::becomes`]).
    fn field_member(&mut self, field: &'c FieldDef, tree: Tree) -> Option<Member> {
        let becomes = field.becomes(tree)?;
        Some(match becomes.form {
            Form::Value => {
                let schema = self.value_schema(&field.ty);
                member(field, &becomes.key, schema, field.description.clone())
            }
            Form::Hash => hash_member(field, &becomes.key),
            Form::Count => count_member(field, &becomes.key),
        })
    }

    /// The schema of a value of a type (named types by reference to `$defs`).
    fn value_schema(&mut self, ty: &'c FieldType) -> Schema {
        match ty {
            FieldType::Uuid => json_schema!({ "type": "string", "format": "uuid" }),
            FieldType::String => json_schema!({ "type": "string" }),
            FieldType::Bool => json_schema!({ "type": "boolean" }),
            FieldType::Int => json_schema!({ "type": "integer" }),
            FieldType::Float => json_schema!({ "type": "number" }),
            FieldType::Timestamp => json_schema!({ "type": "string", "format": "date-time" }),
            FieldType::Json => json_schema!({}),
            &FieldType::Enum(id) => {
                let name = &self.catalog.enum_def(id).name;
                self.reference(name, Referenced::Enum(id))
            }
            &FieldType::Object(id) => {
                let name = &self.catalog.type_def(id).name;
                self.reference(name, Referenced::Type(id))
            }
            FieldType::List(inner) => {
                let mut schema = json_schema!({ "type": "array" });
                schema.insert("items".to_owned(), self.value_schema(inner).to_value());
                schema
            }
            FieldType::Map(inner) => {
                let mut schema = json_schema!({ "type": "object" });
                let values = self.value_schema(inner).to_value();
                schema.insert("additionalProperties".to_owned(), values);
                schema
            }
        }
    }

    /// A reference to the `$defs` entry of an enum or a named type.
    fn reference(&mut self, name: &'c str, referenced: Referenced) -> Schema {
        self.referenced.insert(name, referenced);
        json_schema!({ "$ref": format!("#/$defs/{name}") })
    }

    /// The `$defs` of every enum and named type referenced so far, and of those they
    /// reference, keyed by name.
    fn into_defs(mut self) -> Map<String, Value> {
        let mut defs: BTreeMap<&'c str, Schema> = BTreeMap::new();
        while let Some((name, referenced)) = self
            .referenced
            .iter()
            .map(|(&name, &referenced)| (name, referenced))
            .find(|(name, _)| !defs.contains_key(name))
        {
            let schema = match referenced {
                Referenced::Enum(id) => {
                    let enum_def = self.catalog.enum_def(id);
                    let mut schema = json_schema!({
                        "type": "string",
                        "enum": enum_def.variants.iter().map(|v| v.value.as_str()).collect::<Vec<_>>(),
                    });
                    if let Some(description) = &enum_def.description {
                        schema.insert("description".to_owned(), description.as_str().into());
                    }
                    schema
                }
                Referenced::Type(id) => {
                    let type_def = self.catalog.type_def(id);
                    let mut members = Vec::new();
                    let tree = match self.kind {
                        PayloadKind::Notification => Tree::Notification,
                        PayloadKind::Telemetry => Tree::TypeTelemetry,
                    };
                    for field in &type_def.fields {
                        members.extend(self.field_member(field, tree));
                    }
                    object(type_def.description.clone(), members)
                }
            };
            defs.insert(name, schema);
        }
        defs.into_iter()
            .map(|(name, schema)| (name.to_owned(), schema.to_value()))
            .collect()
    }
}

/// `uuid`, `type`, `version` and `timestamp`, which every payload starts with.
fn base_members(event: &EventDef) -> Vec<Member> {
    let [uuid, type_key, version, timestamp] = BASE_FIELDS;
    vec![
        Member {
            name: uuid.to_owned(),
            schema: json_schema!({
                "description": "UUID of the event.",
                "type": "string",
                "format": "uuid",
            }),
            required: true,
        },
        Member {
            name: type_key.to_owned(),
            schema: event_type_schema(event),
            required: true,
        },
        Member {
            name: version.to_owned(),
            schema: json_schema!({
                "description": VERSION_DESCRIPTION,
                "type": "integer",
                "const": event.version,
            }),
            required: true,
        },
        Member {
            name: timestamp.to_owned(),
            schema: json_schema!({
                "description": "When the event happened (RFC 3339, UTC).",
                "type": "string",
                "format": "date-time",
            }),
            required: true,
        },
    ]
}

/// A field's member: its value schema, `null` allowed when optional, with its
/// description and deprecation.
/// The event type as a payload or a request names it: a constant string.
fn event_type_schema(event: &EventDef) -> Schema {
    json_schema!({
        "description": "The event type.",
        "type": "string",
        "const": event.event_type,
    })
}

fn member(field: &FieldDef, name: &str, schema: Schema, description: Option<String>) -> Member {
    let mut schema = if field.optional {
        nullable(schema)
    } else {
        schema
    };
    if let Some(description) = description {
        schema.insert("description".to_owned(), description.into());
    }
    if field.deprecated {
        schema.insert("deprecated".to_owned(), true.into());
    }
    Member {
        name: name.to_owned(),
        schema,
        required: !field.optional,
    }
}

/// The keyed hash of a field's value: lowercase hex HMAC-SHA256.
fn hash_member(field: &FieldDef, key: &str) -> Member {
    let description = format!(
        "Keyed hash (HMAC-SHA256, lowercase hex) of `{}`{}",
        field.name,
        field
            .description
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_else(|| ".".to_owned())
    );
    member(
        field,
        key,
        json_schema!({ "type": "string", "pattern": "^[0-9a-f]{64}$" }),
        Some(description),
    )
}

/// `<field>_count`: the number of elements of a list or map field.
fn count_member(field: &FieldDef, key: &str) -> Member {
    let description = format!(
        "Number of elements of `{}`{}",
        field.name,
        field
            .description
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_else(|| ".".to_owned())
    );
    member(
        field,
        key,
        json_schema!({ "type": "integer", "minimum": 0 }),
        Some(description),
    )
}

/// The same schema, also accepting `null`.
fn nullable(mut schema: Schema) -> Schema {
    if schema.as_object().is_some_and(Map::is_empty) {
        // `{}` (any JSON value) already accepts null.
        return schema;
    }
    if let Some(Value::String(ty)) = schema.get("type") {
        let types = Value::Array(vec![ty.as_str().into(), "null".into()]);
        schema.insert("type".to_owned(), types);
        return schema;
    }
    let mut either = json_schema!({});
    let branches = vec![
        schema.to_value(),
        json_schema!({ "type": "null" }).to_value(),
    ];
    either.insert("anyOf".to_owned(), Value::Array(branches));
    either
}

/// Moves the members of `from` (an object schema) into `schema`.
fn extend(schema: &mut Schema, from: Schema) {
    if let Value::Object(members) = from.to_value() {
        schema.ensure_object().extend(members);
    }
}

/// A closed object schema of these members.
fn object(description: Option<String>, members: Vec<Member>) -> Schema {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for member in members {
        if member.required {
            required.push(Value::String(member.name.clone()));
        }
        properties.insert(member.name, member.schema.to_value());
    }
    let mut schema = json_schema!({ "type": "object" });
    schema.insert("properties".to_owned(), Value::Object(properties));
    if let Some(description) = description {
        schema.insert("description".to_owned(), description.into());
    }
    if !required.is_empty() {
        schema.insert("required".to_owned(), Value::Array(required));
    }
    schema.insert("additionalProperties".to_owned(), false.into());
    schema
}

/// `schemas/index.json`: what the catalog's schemas are.
#[derive(Serialize)]
struct Index<'c> {
    #[serde(rename = "$comment")]
    comment: &'static str,
    catalog: &'c str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'c str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_base: Option<&'c str>,
    /// The combined schemas, by payload kind.
    schemas: IndexSchemas,
    events: Vec<IndexEvent<'c>>,
}

#[derive(Serialize)]
struct IndexSchemas {
    #[serde(skip_serializing_if = "Option::is_none")]
    notification: Option<String>,
    telemetry: String,
    /// The body front ends post to the relay (client events).
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<String>,
}

#[derive(Serialize)]
struct IndexEvent<'c> {
    #[serde(rename = "type")]
    event_type: &'c str,
    stored: bool,
    client: bool,
    version: u32,
    deprecated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    deprecation: Option<IndexDeprecation<'c>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'c str>,
    /// The schemas of the current version.
    schemas: IndexSchemas,
    /// The versions published before, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    older_versions: Vec<IndexVersion>,
}

/// An older version of an event, and its schemas.
#[derive(Serialize)]
struct IndexVersion {
    version: u32,
    schemas: IndexOlderSchemas,
}

#[derive(Serialize)]
struct IndexOlderSchemas {
    #[serde(skip_serializing_if = "Option::is_none")]
    notification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telemetry: Option<String>,
}

#[derive(Serialize)]
struct IndexDeprecation<'c> {
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<&'c str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'c str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaced_by: Option<&'c str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sunset: Option<String>,
}

impl<'c> Index<'c> {
    fn new(catalog: &'c Catalog, older: &Older<'_>) -> Self {
        Self {
            comment: GENERATED_NOTICE,
            catalog: &catalog.name,
            description: catalog.description.as_deref(),
            schema_base: catalog.schema_base.as_deref(),
            schemas: IndexSchemas {
                notification: Some(combined_schema_path(PayloadKind::Notification)),
                telemetry: combined_schema_path(PayloadKind::Telemetry),
                request: None,
            },
            events: catalog
                .events
                .iter()
                .map(|event| IndexEvent::new(event, older))
                .collect(),
        }
    }
}

impl<'c> IndexEvent<'c> {
    fn new(event: &'c EventDef, older: &Older<'_>) -> Self {
        let path = |kind| event_schema_path(kind, &event.event_type, event.version);
        Self {
            event_type: &event.event_type,
            stored: event.stored,
            client: event.client,
            version: event.version,
            deprecated: event.deprecated.is_some(),
            deprecation: event.deprecated.as_ref().map(|d| IndexDeprecation {
                since: d.since.as_deref(),
                note: d.note.as_deref(),
                replaced_by: d.replaced_by.as_deref(),
                sunset: d.sunset.map(|day| day.to_string()),
            }),
            description: event.description.as_deref(),
            schemas: IndexSchemas {
                notification: PayloadKind::Notification
                    .applies_to(event)
                    .then(|| path(PayloadKind::Notification)),
                telemetry: path(PayloadKind::Telemetry),
                request: event
                    .client
                    .then(|| request_schema_path(&event.event_type, event.version)),
            },
            older_versions: older_versions(event, older),
        }
    }
}

/// The older versions of an event with a schema of either kind, oldest first: (version,
/// notification path, telemetry path), paths relative to [`SCHEMA_DIR`].
pub(crate) fn older_paths(
    event: &EventDef,
    older: &Older<'_>,
) -> Vec<(u32, Option<String>, Option<String>)> {
    older_versions(event, older)
        .into_iter()
        .map(|v| (v.version, v.schemas.notification, v.schemas.telemetry))
        .collect()
}

/// The older versions of an event with a schema of either kind, oldest first.
fn older_versions(event: &EventDef, older: &Older<'_>) -> Vec<IndexVersion> {
    let mut versions: BTreeMap<u32, IndexOlderSchemas> = BTreeMap::new();
    for kind in PayloadKind::ALL {
        for &(version, path) in older.of(&event.event_type, kind) {
            let entry = versions.entry(version).or_insert(IndexOlderSchemas {
                notification: None,
                telemetry: None,
            });
            let slot = match kind {
                PayloadKind::Notification => &mut entry.notification,
                PayloadKind::Telemetry => &mut entry.telemetry,
            };
            *slot = Some(path.to_owned());
        }
    }
    versions
        .into_iter()
        .map(|(version, schemas)| IndexVersion { version, schemas })
        .collect()
}
