//! The intermediate representation that every front end produces: definitions as
//! written, with where each part was written, before any rule is checked.
//!
//! Settings the user did not write are `None` here; [`crate::check`] applies the
//! defaults and turns these declarations into a [`crate::model::Catalog`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::source::{Loc, Origin};

/// What reaches the anonymized telemetry payload of a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TelemetryPolicy {
    /// The value itself (the default for fields that are not sensitive).
    Keep,
    /// Nothing (the default for sensitive fields).
    Drop,
    /// `<field>_count` under `derived_properties` (lists and maps only).
    Count,
    /// A keyed HMAC-SHA256 of the value, hex encoded (strings and uuids only).
    Hash,
    /// The value itself, under `derived_properties` rather than `event_properties`: for
    /// values computed for analytics (`projects_count`), as the reference placed them.
    Derived,
}

impl TelemetryPolicy {
    /// Every policy, in the order definitions list them.
    pub const ALL: [TelemetryPolicy; 5] = [
        TelemetryPolicy::Keep,
        TelemetryPolicy::Drop,
        TelemetryPolicy::Count,
        TelemetryPolicy::Hash,
        TelemetryPolicy::Derived,
    ];

    /// The policy named `name` in definition files.
    pub fn named(name: &str) -> Option<TelemetryPolicy> {
        TelemetryPolicy::ALL
            .into_iter()
            .find(|p| p.as_str() == name)
    }

    /// The name used in definition files.
    pub fn as_str(self) -> &'static str {
        match self {
            TelemetryPolicy::Keep => "keep",
            TelemetryPolicy::Drop => "drop",
            TelemetryPolicy::Count => "count",
            TelemetryPolicy::Hash => "hash",
            TelemetryPolicy::Derived => "derived",
        }
    }
}

/// All declarations of one run, from every file and front end.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    /// `[catalog]` tables (a catalog has exactly one).
    pub catalogs: Vec<CatalogDecl>,
    /// `[enums.*]`.
    pub enums: Vec<EnumDecl>,
    /// `[types.*]`.
    pub types: Vec<TypeDecl>,
    /// `[layers.*]`.
    pub layers: Vec<LayerDecl>,
    /// `[events.*]`.
    pub events: Vec<EventDecl>,
    /// Names whose declaration could not be read (already reported): the checker treats
    /// them as defined, so one mistake is not reported again at every reference.
    pub unreadable: Vec<String>,
    /// Whether a `[catalog]` declaration could not be read (already reported): the checker
    /// does not report the catalog as missing.
    pub unreadable_catalog: bool,
}

impl Definitions {
    /// Appends everything declared in `other`.
    pub fn merge(&mut self, other: Definitions) {
        self.catalogs.extend(other.catalogs);
        self.enums.extend(other.enums);
        self.types.extend(other.types);
        self.layers.extend(other.layers);
        self.events.extend(other.events);
        self.unreadable.extend(other.unreadable);
        self.unreadable_catalog |= other.unreadable_catalog;
    }
}

/// The `[catalog]` table.
#[derive(Debug, Clone)]
pub struct CatalogDecl {
    /// The whole table.
    pub origin: Origin,
    /// Names the generated module and the schema `$id` base.
    pub name: Loc<String>,
    /// Prefix of the JSON Schemas' `$id`.
    pub schema_base: Option<Loc<String>>,
    /// What the catalog is about.
    pub description: Option<String>,
}

/// An enum: a closed set of string values.
#[derive(Debug, Clone)]
pub struct EnumDecl {
    /// The name, as in `[enums.job-status]`.
    pub name: Loc<String>,
    /// The description written in the definitions (docs, schemas and rustdoc show it).
    pub description: Option<String>,
    /// The values, in order.
    pub variants: Vec<Loc<String>>,
    /// The `variants` array itself (where "no variants" is reported).
    pub variants_origin: Option<Origin>,
}

/// A named object type.
#[derive(Debug, Clone)]
pub struct TypeDecl {
    /// The name, as in `[types.step]`.
    pub name: Loc<String>,
    /// The description written in the definitions (docs, schemas and rustdoc show it).
    pub description: Option<String>,
    /// Its fields.
    pub fields: Vec<FieldDecl>,
}

/// One level of the hierarchy.
#[derive(Debug, Clone)]
pub struct LayerDecl {
    /// The name, as in `[layers.project]`.
    pub name: Loc<String>,
    /// The description written in the definitions (docs, schemas and rustdoc show it).
    pub description: Option<String>,
    /// The enclosing layer.
    pub parent: Option<Loc<String>>,
    /// No type segment of its own.
    pub is_abstract: Option<Loc<bool>>,
    /// Fields merge into the parent's object.
    pub inline: Option<Loc<bool>>,
    /// Its part of the event type (default: the name).
    pub segment: Option<Loc<String>>,
    /// The payload key of its object (default: the name in snake_case).
    pub key: Option<Loc<String>>,
    /// Its fields.
    pub fields: Vec<FieldDecl>,
}

/// One event type.
#[derive(Debug, Clone)]
pub struct EventDecl {
    /// The full event type, as in `[events."project:created"]`.
    pub event_type: Loc<String>,
    /// What happened.
    pub description: Option<String>,
    /// Recorded in `events` and delivered (default true); false: analytics only.
    pub stored: Option<Loc<bool>>,
    /// May be relayed from front-end clients.
    pub client: Option<Loc<bool>>,
    /// Payload schema version (default 1).
    pub version: Option<Loc<u32>>,
    /// Deprecation notice.
    pub deprecated: Option<DeprecationDecl>,
    /// The chat message template (minijinja, over the notification payload).
    pub message: Option<Loc<String>>,
    /// The event's own fields.
    pub fields: Vec<FieldDecl>,
}

/// `deprecated = { since, note, replaced_by, sunset }` on an event.
#[derive(Debug, Clone)]
pub struct DeprecationDecl {
    /// The whole table.
    pub origin: Origin,
    /// The version that deprecated it.
    pub since: Option<Loc<String>>,
    /// What to do instead.
    pub note: Option<String>,
    /// The event to use instead.
    pub replaced_by: Option<Loc<String>>,
    /// The date (YYYY-MM-DD) after which it must be gone.
    pub sunset: Option<Loc<String>>,
}

/// One field of a layer, event or named type.
#[derive(Debug, Clone)]
pub struct FieldDecl {
    /// The name (snake_case).
    pub name: Loc<String>,
    /// Its type.
    pub ty: Loc<TypeExpr>,
    /// May be absent or null.
    pub optional: Option<Loc<bool>>,
    /// Personal or secret data.
    pub sensitive: Option<Loc<bool>>,
    /// What reaches telemetry.
    pub telemetry: Option<Loc<TelemetryPolicy>>,
    /// Part of the notification payload (default true).
    pub notification: Option<Loc<bool>>,
    /// Subscriptions may filter on it.
    pub scope: Option<Loc<bool>>,
    /// Storage column override.
    pub column: Option<Loc<String>>,
    /// What it holds.
    pub description: Option<String>,
    /// Deprecated field.
    pub deprecated: Option<Loc<bool>>,
    /// Who reviewed the field's latest privacy-relevant change, and where.
    pub privacy_reviewed: Option<Loc<String>>,
    /// A value to show in samples and docs, as JSON (TOML values convert to it).
    pub example: Option<Loc<serde_json::Value>>,
}

/// A field type as written: a name (built-in, enum or named type) or a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// `uuid`, `string`, ..., or the name of an enum or a type.
    Name(Loc<String>),
    /// `list<T>`.
    List(Box<TypeExpr>),
    /// `map<T>` (string keys).
    Map(Box<TypeExpr>),
}

/// Deepest `list<map<...>>` nesting either front end accepts: real types nest two or three
/// levels, and a bound keeps every recursive pass over types (resolving, dropping,
/// printing) shallow.
pub(crate) const MAX_DEPTH: usize = 16;
