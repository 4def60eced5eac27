//! The definitions file format as serde types: what a TOML definition file may contain.
//!
//! The same types give the format's JSON Schema (`definitions/definitions.schema.json`),
//! so editors complete and validate exactly what the parser accepts. Doc comments here
//! become the schema's descriptions.

use std::borrow::Cow;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};

use crate::ir::TelemetryPolicy;

/// A value with its byte span in the file. In the JSON Schema it is just the value.
#[derive(Debug, Clone)]
pub(crate) struct Sp<T>(pub toml::Spanned<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        toml::Spanned::deserialize(deserializer).map(Sp)
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// An event definitions file: part of a catalog. A catalog is one or more such files.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Event definitions")]
// The schema's root only: the parser reads a file's tables one by one, keeping spans.
#[allow(dead_code)]
pub(crate) struct DefinitionsFile {
    /// The catalog's identity. Exactly one file of a catalog has it.
    pub catalog: Option<RawCatalog>,
    /// Enums: closed sets of string values, usable as field types by name.
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][a-z0-9-]*$" }))]
    #[serde(default)]
    pub enums: IndexMap<String, RawEnum>,
    /// Named object types, usable as field types by name.
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][a-z0-9-]*$" }))]
    #[serde(default)]
    pub types: IndexMap<String, RawType>,
    /// The hierarchy: each layer nests its payload object in its parent's.
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][a-z0-9-]*$" }))]
    #[serde(default)]
    pub layers: IndexMap<String, RawLayer>,
    /// Events, keyed by their full type (`project:pipeline:created`).
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)*$", "maxLength": 150 }))]
    #[serde(default)]
    pub events: IndexMap<String, RawEvent>,
}

/// `[catalog]`: the catalog's identity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Catalog")]
pub(crate) struct RawCatalog {
    /// Names the generated module and the JSON Schemas' `$id` base (kebab-case).
    pub name: Sp<String>,
    /// Prefix of the JSON Schemas' `$id`, e.g. `https://schemas.example.com/orchest/`.
    pub schema_base: Option<Sp<String>>,
    /// What the catalog is about.
    pub description: Option<String>,
}

/// An enum: a closed set of string values.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Enum")]
pub(crate) struct RawEnum {
    /// What it is.
    pub description: Option<String>,
    /// The values, in order; at least one, no repeats.
    pub variants: Sp<Vec<Sp<String>>>,
}

/// A named object type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Type")]
pub(crate) struct RawType {
    /// What it is.
    pub description: Option<String>,
    /// Its fields, by name (snake_case).
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][a-z0-9_]*$" }))]
    // Read one by one by the parser, which keeps each field's span; here for the schema.
    #[allow(dead_code)]
    #[serde(default)]
    pub fields: IndexMap<String, RawField>,
}

/// One level of the event hierarchy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Layer")]
pub(crate) struct RawLayer {
    /// What it is.
    pub description: Option<String>,
    /// The enclosing layer, by name.
    pub parent: Option<Sp<String>>,
    /// No type segment of its own: only its children name events.
    #[serde(rename = "abstract")]
    pub is_abstract: Option<Sp<bool>>,
    /// Its fields merge into the parent's payload object instead of nesting under a key.
    pub inline: Option<Sp<bool>>,
    /// Its part of event types. Default: the layer's name.
    pub segment: Option<Sp<String>>,
    /// The key of its payload object in its parent's. Default: the name in snake_case.
    pub key: Option<Sp<String>>,
    /// Its fields, by name (snake_case).
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][a-z0-9_]*$" }))]
    // Read one by one by the parser, which keeps each field's span; here for the schema.
    #[allow(dead_code)]
    #[serde(default)]
    pub fields: IndexMap<String, RawField>,
}

/// One event type.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Event")]
pub(crate) struct RawEvent {
    /// What happened.
    pub description: Option<String>,
    /// Recorded in `events` and delivered to subscribers (default). `false`: analytics only.
    pub stored: Option<Sp<bool>>,
    /// May be relayed from front-end clients (analytics-only events only).
    pub client: Option<Sp<bool>>,
    /// Payload schema version; bump it on a breaking change. Default 1.
    #[schemars(range(min = 1))]
    pub version: Option<Sp<u32>>,
    /// Deprecation notice.
    pub deprecated: Option<Sp<RawDeprecation>>,
    /// The text chat apps (Slack, Discord, Microsoft Teams) show for the event: a minijinja
    /// template over the notification payload, e.g. `Job {{ job.name }} failed`. Default:
    /// generated from the event type and its layers' names.
    pub message: Option<Sp<String>>,
    /// The event's own fields, by name (snake_case).
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z][a-z0-9_]*$" }))]
    // Read one by one by the parser, which keeps each field's span; here for the schema.
    #[allow(dead_code)]
    #[serde(default)]
    pub fields: IndexMap<String, RawField>,
}

/// `deprecated = { since, note, replaced_by, sunset }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Deprecation")]
pub(crate) struct RawDeprecation {
    /// The version that deprecated the event.
    pub since: Option<Sp<String>>,
    /// What to do instead.
    pub note: Option<String>,
    /// The event type to use instead.
    pub replaced_by: Option<Sp<String>>,
    /// The date (`YYYY-MM-DD`) after which the event must be gone.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub sunset: Option<Sp<String>>,
}

/// One field.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Field")]
pub(crate) struct RawField {
    /// `uuid`, `string`, `bool`, `int`, `float`, `timestamp`, `json`, an enum or type name,
    /// `list<T>` or `map<T>`.
    #[serde(rename = "type")]
    pub ty: Sp<String>,
    /// May be absent or null.
    pub optional: Option<Sp<bool>>,
    /// Personal or secret data: dropped from telemetry unless a policy says otherwise.
    pub sensitive: Option<Sp<bool>>,
    /// What reaches telemetry. Default: `keep`, or `drop` for sensitive fields.
    pub telemetry: Option<Sp<TelemetryPolicy>>,
    /// Part of the notification payload. `false` makes a telemetry-only field.
    pub notification: Option<Sp<bool>>,
    /// Subscriptions may filter on this field.
    pub scope: Option<Sp<bool>>,
    /// The `events` column it is stored in. Default: `<layer key>_<field>`, or `<field>`.
    pub column: Option<Sp<String>>,
    /// What it holds.
    pub description: Option<String>,
    /// Marks the field deprecated in rustdoc and schemas.
    pub deprecated: Option<Sp<bool>>,
    /// Acknowledges a privacy-relevant change to this field (more of it reaches telemetry,
    /// or it is no longer sensitive): who reviewed it and where, e.g.
    /// `"PRIV-12, 2025-03-01: hashed names may reach analytics"`. Needed once per change:
    /// after `eventgen generate` the lock records it, and a later change needs a new text.
    pub privacy_reviewed: Option<Sp<String>>,
    /// A value of the field's type, shown in the sample payloads of the schemas, the docs
    /// and `eventgen sample` (default: one made up from the type). Uuids and timestamps
    /// are strings (`"2026-01-01T12:00:00Z"`), an enum's example one of its values, a named
    /// type's a table of its fields.
    pub example: Option<Sp<serde_json::Value>>,
}
