//! The checked catalog: every rule holds, every default is applied, every name resolves.
//! Emitters read only this.

use std::collections::BTreeMap;
use std::fmt;

use crate::date::Date;
use crate::ir::TelemetryPolicy;
use crate::source::Origin;

/// Index of a layer in [`Catalog::layers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerId(pub usize);

/// Index of an enum in [`Catalog::enums`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumId(pub usize);

/// Index of a named object type in [`Catalog::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub usize);

/// A whole, checked catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Names the generated module and the schema `$id` base.
    pub name: String,
    /// Prefix of the JSON Schemas' `$id`.
    pub schema_base: Option<String>,
    /// What the catalog is about.
    pub description: Option<String>,
    /// Enums, in declaration order.
    pub enums: Vec<EnumDef>,
    /// Named object types, in declaration order.
    pub types: Vec<TypeDef>,
    /// Layers, in declaration order; parents may come after their children.
    pub layers: Vec<Layer>,
    /// Events, in declaration order.
    pub events: Vec<EventDef>,
}

/// A closed set of string values.
#[derive(Debug, Clone)]
pub struct EnumDef {
    /// Name in definitions (`job-status`).
    pub name: String,
    /// Generated Rust type name (`JobStatus`).
    pub rust_name: String,
    /// The description written in the definitions (docs, schemas and rustdoc show it).
    pub description: Option<String>,
    /// Values, in order.
    pub variants: Vec<Variant>,
    /// Where it was declared.
    pub origin: Origin,
}

/// One value of an enum.
#[derive(Debug, Clone)]
pub struct Variant {
    /// As serialized (`DRAFT`).
    pub value: String,
    /// Generated Rust variant name (`Draft`).
    pub rust_name: String,
}

/// A named object type.
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// Name in definitions (`step`).
    pub name: String,
    /// Generated Rust type name (`Step`).
    pub rust_name: String,
    /// The description written in the definitions (docs, schemas and rustdoc show it).
    pub description: Option<String>,
    /// Its fields.
    pub fields: Vec<FieldDef>,
    /// Where it was declared.
    pub origin: Origin,
}

/// One level of the hierarchy.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Name in definitions (`one-off-job`).
    pub name: String,
    /// Generated Rust type name (`OneOffJob`).
    pub rust_name: String,
    /// The description written in the definitions (docs, schemas and rustdoc show it).
    pub description: Option<String>,
    /// The enclosing layer.
    pub parent: Option<LayerId>,
    /// Contributes no segment to event types.
    pub is_abstract: bool,
    /// Its fields merge into its parent's payload object.
    pub inline: bool,
    /// Its part of event types; `None` for abstract layers.
    pub segment: Option<String>,
    /// Key of its payload object in its parent's (unused when inline).
    pub key: String,
    /// The event type prefix it owns (`project:one-off-job`), without the action.
    pub path: String,
    /// Its own fields.
    pub fields: Vec<FieldDef>,
    /// Where it was declared.
    pub origin: Origin,
}

impl Layer {
    /// Whether it is a layer of the operational events every catalog has.
    pub fn is_operational(&self) -> bool {
        self.origin.file == crate::source::FileId::BUILT_IN
    }
}

/// One event type.
#[derive(Debug, Clone)]
pub struct EventDef {
    /// The full event type (`project:one-off-job:pipeline-run:failed`).
    pub event_type: String,
    /// Generated Rust name (`ProjectOneOffJobPipelineRunFailed`).
    pub rust_name: String,
    /// What happened.
    pub description: Option<String>,
    /// The layer whose path prefixes the type; `None` for analytics-only events at the top.
    pub layer: Option<LayerId>,
    /// Recorded in `events` and delivered; false: analytics only.
    pub stored: bool,
    /// May be relayed from front-end clients.
    pub client: bool,
    /// Payload schema version.
    pub version: u32,
    /// Deprecation notice.
    pub deprecated: Option<Deprecation>,
    /// The chat message template as declared (`None`: the default, see
    /// [`crate::message`]).
    pub message: Option<String>,
    /// The event's own fields (in its layer's payload object, or at the top).
    pub fields: Vec<FieldDef>,
    /// Where it was declared.
    pub origin: Origin,
}

impl EventDef {
    /// Whether it is one of the operational events every catalog has (the outbox records
    /// them): their types, and theirs only, start with `operational:`.
    pub fn is_operational(&self) -> bool {
        self.origin.file == crate::source::FileId::BUILT_IN
    }

    /// The generated function that records it (`register_project_created_event`).
    pub fn register_fn_name(&self) -> String {
        crate::naming::register_fn_name(&self.event_type)
    }
}

/// A deprecation notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    /// The version that deprecated it.
    pub since: Option<String>,
    /// What to do instead.
    pub note: Option<String>,
    /// The event to use instead (it exists).
    pub replaced_by: Option<String>,
    /// The day after which it must be gone.
    pub sunset: Option<Date>,
}

/// One field.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// Name (snake_case).
    pub name: String,
    /// Resolved type.
    pub ty: FieldType,
    /// May be absent or null.
    pub optional: bool,
    /// Personal or secret data.
    pub sensitive: bool,
    /// What reaches telemetry (defaults applied).
    pub telemetry: TelemetryPolicy,
    /// Part of the notification payload.
    pub notification: bool,
    /// Subscriptions may filter on it.
    pub scope: bool,
    /// Storage column in `events` (for layer and event fields; empty inside named types).
    pub column: String,
    /// What it holds.
    pub description: Option<String>,
    /// Deprecated field.
    pub deprecated: bool,
    /// The privacy review acknowledging its latest privacy-relevant change.
    pub privacy_reviewed: Option<String>,
    /// A value to show in samples and docs (checked against the type).
    pub example: Option<serde_json::Value>,
    /// Where it was declared.
    pub origin: Origin,
}

/// A resolved field type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A UUID.
    Uuid,
    /// UTF-8 text.
    String,
    /// true or false.
    Bool,
    /// A 64-bit signed integer.
    Int,
    /// A 64-bit float.
    Float,
    /// An RFC 3339 UTC timestamp.
    Timestamp,
    /// Any JSON value.
    Json,
    /// An enum.
    Enum(EnumId),
    /// A named object type.
    Object(TypeId),
    /// A list.
    List(Box<FieldType>),
    /// A map with string keys.
    Map(Box<FieldType>),
}

impl FieldType {
    /// Built-in scalar names, as written in definitions.
    pub const BUILTINS: &'static [&'static str] = &[
        "uuid",
        "string",
        "bool",
        "int",
        "float",
        "timestamp",
        "json",
    ];

    /// The built-in type of that name.
    pub fn builtin(name: &str) -> Option<FieldType> {
        Some(match name {
            "uuid" => FieldType::Uuid,
            "string" => FieldType::String,
            "bool" => FieldType::Bool,
            "int" => FieldType::Int,
            "float" => FieldType::Float,
            "timestamp" => FieldType::Timestamp,
            "json" => FieldType::Json,
            _ => return None,
        })
    }

    /// Lists and maps.
    pub fn is_collection(&self) -> bool {
        matches!(self, FieldType::List(_) | FieldType::Map(_))
    }

    /// Stored in a column of its own rather than as JSON.
    pub fn is_scalar(&self) -> bool {
        !matches!(
            self,
            FieldType::Json | FieldType::Object(_) | FieldType::List(_) | FieldType::Map(_)
        )
    }

    /// The type as definitions write it (`list<job-status>`), enums and named types by
    /// their names in `names`.
    pub fn display<'a>(&'a self, names: &'a dyn TypeNames) -> impl fmt::Display + 'a {
        DisplayType { ty: self, names }
    }
}

/// The names of the enums and named types that [`FieldType`]s refer to by id: the
/// [`Catalog`]'s, or (in the checker, before there is a catalog) the declarations'.
pub trait TypeNames {
    /// The name of an enum.
    fn enum_name(&self, id: EnumId) -> &str;
    /// The name of a named type.
    fn type_name(&self, id: TypeId) -> &str;
}

struct DisplayType<'a> {
    ty: &'a FieldType,
    names: &'a dyn TypeNames,
}

impl fmt::Display for DisplayType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = |ty| DisplayType {
            ty,
            names: self.names,
        };
        match self.ty {
            FieldType::Uuid => f.write_str("uuid"),
            FieldType::String => f.write_str("string"),
            FieldType::Bool => f.write_str("bool"),
            FieldType::Int => f.write_str("int"),
            FieldType::Float => f.write_str("float"),
            FieldType::Timestamp => f.write_str("timestamp"),
            FieldType::Json => f.write_str("json"),
            FieldType::Enum(id) => f.write_str(self.names.enum_name(*id)),
            FieldType::Object(id) => f.write_str(self.names.type_name(*id)),
            FieldType::List(ty) => write!(f, "list<{}>", inner(ty)),
            FieldType::Map(ty) => write!(f, "map<{}>", inner(ty)),
        }
    }
}

/// The layers of `layers` from the root down to `id` (inclusive): the checker walks them
/// before the catalog exists.
pub(crate) fn layer_chain(layers: &[Layer], id: LayerId) -> Vec<LayerId> {
    let mut chain = vec![id];
    while let Some(parent) = layers[chain[chain.len() - 1].0].parent {
        chain.push(parent);
    }
    chain.reverse();
    chain
}

impl Catalog {
    /// The layer with this id.
    pub fn layer(&self, id: LayerId) -> &Layer {
        &self.layers[id.0]
    }

    /// The layers from the root down to `id` (inclusive).
    pub fn layer_chain(&self, id: LayerId) -> Vec<LayerId> {
        layer_chain(&self.layers, id)
    }

    /// The children of a layer (or the roots, for `None`), in declaration order.
    pub fn children(&self, parent: Option<LayerId>) -> impl Iterator<Item = LayerId> + '_ {
        (0..self.layers.len())
            .map(LayerId)
            .filter(move |&id| self.layer(id).parent == parent)
    }

    /// Events that are rows of `events` and delivered.
    pub fn stored_events(&self) -> impl Iterator<Item = &EventDef> {
        self.events.iter().filter(|e| e.stored)
    }

    /// Every column of `events` the catalog stores something in, by name, with the first
    /// field stored there (fields sharing a column have one type: the checker makes sure):
    /// the fields of every layer on a stored event's chain, and the stored events' own.
    pub(crate) fn stored_columns(&self) -> BTreeMap<&str, &FieldDef> {
        let mut used = vec![false; self.layers.len()];
        for event in self.stored_events() {
            if let Some(layer) = event.layer {
                for id in self.layer_chain(layer) {
                    used[id.0] = true;
                }
            }
        }
        let layer_fields = self
            .layers
            .iter()
            .zip(&used)
            .filter(|(_, used)| **used)
            .flat_map(|(layer, _)| &layer.fields);
        let event_fields = self.stored_events().flat_map(|e| &e.fields);
        let mut columns = BTreeMap::new();
        for field in layer_fields.chain(event_fields) {
            columns.entry(field.column.as_str()).or_insert(field);
        }
        columns
    }

    /// Events sent to analytics only.
    pub fn analytics_only_events(&self) -> impl Iterator<Item = &EventDef> {
        self.events.iter().filter(|e| !e.stored)
    }

    /// The event of that type.
    pub fn event(&self, event_type: &str) -> Option<&EventDef> {
        self.events.iter().find(|e| e.event_type == event_type)
    }

    /// The enum with this id.
    pub fn enum_def(&self, id: EnumId) -> &EnumDef {
        &self.enums[id.0]
    }

    /// The named type with this id.
    pub fn type_def(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }

    /// The enum of that name (for callers that hold a name, like the derive of one item).
    pub fn enum_id(&self, name: &str) -> Option<EnumId> {
        self.enums.iter().position(|e| e.name == name).map(EnumId)
    }

    /// The named type of that name (for callers that hold a name, like the derive of one
    /// item).
    pub fn type_id(&self, name: &str) -> Option<TypeId> {
        self.types.iter().position(|t| t.name == name).map(TypeId)
    }
}

impl TypeNames for Catalog {
    fn enum_name(&self, id: EnumId) -> &str {
        &self.enum_def(id).name
    }

    fn type_name(&self, id: TypeId) -> &str {
        &self.type_def(id).name
    }
}
