//! The canonical form of an event's payloads: what the lock records and [`super::diff`]
//! compares.
//!
//! One record per field path, sorted by path, each holding everything either payload
//! schema says about that field: its type (named types expanded, enums as their values),
//! whether it is optional, sensitive, in the notification payload, what reaches telemetry
//! and whether it is deprecated. Both payload schemas follow from these records by the
//! rules of [`crate::shape`], so nothing that a consumer of either payload can observe is
//! lost, and nothing they cannot observe (descriptions, columns, type names) is kept:
//! renaming a named type or rewording a description is not a change.
//!
//! A record is one line of text, so the lock shows one field per line and a change to a
//! field is a one-line diff:
//!
//! ```text
//! project.name: string telemetry=drop sensitive
//! pipeline_run.failed_steps: list<object> telemetry=count
//! pipeline_run.failed_steps[].title: string telemetry=drop sensitive
//! job.status: enum(DRAFT|PENDING|STARTED) telemetry=keep
//! ```
//!
//! Paths follow the notification payload: layer keys, then the field; `[]` steps into
//! list elements, `{}` into map values. Policies are effective: a field inside a counted
//! or dropped value is `drop`, whatever its own policy, because nothing of it reaches
//! telemetry.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ir::TelemetryPolicy;
use crate::model::{Catalog, Deprecation, EventDef, FieldDef, FieldType, TypeId};

/// An event as the lock records it: its version, deprecation and field records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSnapshot {
    /// The payload schema version.
    pub version: u32,
    /// The deprecation notice, without its free-text note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<DeprecationSnapshot>,
    /// One record per field path, sorted by path.
    #[serde(default)]
    pub fields: Vec<FieldRecord>,
}

/// A deprecation as the lock records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeprecationSnapshot {
    /// The version that deprecated the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The event to use instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// The date after which the event must be gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset: Option<String>,
}

/// One field path of an event's payloads (see the module docs for its text form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldRecord {
    /// `project.name`, `pipeline_run.failed_steps[].title`.
    pub path: String,
    /// `string`, `list<object>`, `enum(A|B)`.
    pub ty: String,
    /// What reaches telemetry of it, ancestors' policies applied.
    pub telemetry: TelemetryPolicy,
    /// May be absent or null.
    pub optional: bool,
    /// Marked sensitive.
    pub sensitive: bool,
    /// In the notification payload.
    pub notification: bool,
    /// Marked deprecated.
    pub deprecated: bool,
}

/// Whether `path` is strictly inside the value at `ancestor`.
pub(crate) fn is_inside(path: &str, ancestor: &str) -> bool {
    path.strip_prefix(ancestor)
        .is_some_and(|rest| rest.starts_with(['.', '[', '{']))
}

const OPTIONAL: &str = "optional";
const SENSITIVE: &str = "sensitive";
const TELEMETRY_ONLY: &str = "telemetry-only";
const DEPRECATED: &str = "deprecated";
const TELEMETRY: &str = "telemetry=";

impl fmt::Display for FieldRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {TELEMETRY}{}",
            self.path,
            self.ty,
            self.telemetry.as_str()
        )?;
        for (on, flag) in [
            (self.optional, OPTIONAL),
            (self.sensitive, SENSITIVE),
            (!self.notification, TELEMETRY_ONLY),
            (self.deprecated, DEPRECATED),
        ] {
            if on {
                write!(f, " {flag}")?;
            }
        }
        Ok(())
    }
}

impl From<FieldRecord> for String {
    fn from(record: FieldRecord) -> String {
        record.to_string()
    }
}

impl TryFrom<String> for FieldRecord {
    type Error = String;

    fn try_from(text: String) -> Result<FieldRecord, String> {
        text.parse()
    }
}

impl FromStr for FieldRecord {
    type Err = String;

    fn from_str(text: &str) -> Result<FieldRecord, String> {
        let malformed = |why: &str| {
            format!(
                "malformed field record `{text}`: {why} (expected `PATH: TYPE telemetry=POLICY [optional] [sensitive] [telemetry-only] [deprecated]`)"
            )
        };
        let (path, rest) = text.split_once(": ").ok_or_else(|| malformed("no `: `"))?;
        let mut words = rest.split(' ');
        let ty = words.next().filter(|t| !t.is_empty());
        let ty = ty.ok_or_else(|| malformed("no type"))?;
        let mut record = FieldRecord {
            path: path.to_owned(),
            ty: ty.to_owned(),
            telemetry: TelemetryPolicy::Drop,
            optional: false,
            sensitive: false,
            notification: true,
            deprecated: false,
        };
        let mut telemetry = None;
        for word in words {
            match word {
                OPTIONAL => record.optional = true,
                SENSITIVE => record.sensitive = true,
                TELEMETRY_ONLY => record.notification = false,
                DEPRECATED => record.deprecated = true,
                _ => {
                    let policy = word
                        .strip_prefix(TELEMETRY)
                        .and_then(policy_named)
                        .ok_or_else(|| malformed(&format!("unknown flag `{word}`")))?;
                    telemetry = Some(policy);
                }
            }
        }
        record.telemetry = telemetry.ok_or_else(|| malformed("no `telemetry=`"))?;
        Ok(record)
    }
}

fn policy_named(name: &str) -> Option<TelemetryPolicy> {
    TelemetryPolicy::named(name)
}

impl EventSnapshot {
    /// The canonical form of `event`.
    pub fn of(catalog: &Catalog, event: &EventDef) -> EventSnapshot {
        EventSnapshot {
            version: event.version,
            deprecated: event.deprecated.as_ref().map(DeprecationSnapshot::of),
            fields: field_records(catalog, event)
                .into_iter()
                .map(|(record, _)| record)
                .collect(),
        }
    }
}

impl DeprecationSnapshot {
    /// The recorded part of `deprecation`.
    pub fn of(deprecation: &Deprecation) -> DeprecationSnapshot {
        DeprecationSnapshot {
            since: deprecation.since.clone(),
            replaced_by: deprecation.replaced_by.clone(),
            sunset: deprecation.sunset.map(|day| day.to_string()),
        }
    }
}

/// The records of an event's fields, sorted by path, each with the definition it comes
/// from (a layer's, the event's, or a named type's field).
pub fn field_records<'c>(
    catalog: &'c Catalog,
    event: &'c EventDef,
) -> Vec<(FieldRecord, &'c FieldDef)> {
    let shape = catalog.event_shape(event);
    let mut walker = Walker {
        catalog,
        records: Vec::new(),
        open_types: Vec::new(),
    };
    for field in &shape.top_fields {
        walker.field(String::new(), field, event.stored, TelemetryPolicy::Keep);
    }
    let mut prefix = String::new();
    for object in &shape.objects {
        prefix.push_str(object.key);
        prefix.push('.');
        for field in &object.fields {
            walker.field(prefix.clone(), field, event.stored, TelemetryPolicy::Keep);
        }
    }
    walker.records.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    walker.records
}

struct Walker<'c> {
    catalog: &'c Catalog,
    records: Vec<(FieldRecord, &'c FieldDef)>,
    /// Named types being expanded, so that a recursive type is not expanded forever.
    open_types: Vec<TypeId>,
}

impl<'c> Walker<'c> {
    /// Records `field` under `prefix`; `parent` is the policy of the value it sits in.
    fn field(
        &mut self,
        prefix: String,
        field: &'c FieldDef,
        in_notification: bool,
        parent: TelemetryPolicy,
    ) {
        let telemetry = match parent {
            TelemetryPolicy::Keep => field.telemetry,
            _ => TelemetryPolicy::Drop,
        };
        let notification = in_notification && field.notification;
        let path = format!("{prefix}{}", field.name);
        self.records.push((
            FieldRecord {
                path: path.clone(),
                ty: self.type_text(&field.ty),
                telemetry,
                optional: field.optional,
                sensitive: field.sensitive,
                notification,
                deprecated: field.deprecated,
            },
            field,
        ));
        // Into the named type inside lists and maps: `steps[].title`, `by_name{}.title`.
        let mut ty = &field.ty;
        let mut inner = path;
        loop {
            match ty {
                FieldType::List(element) => {
                    inner.push_str("[]");
                    ty = element;
                }
                FieldType::Map(value) => {
                    inner.push_str("{}");
                    ty = value;
                }
                _ => break,
            }
        }
        if let &FieldType::Object(id) = ty
            && !self.open_types.contains(&id)
        {
            let def = self.catalog.type_def(id);
            self.open_types.push(id);
            inner.push('.');
            for sub in &def.fields {
                self.field(inner.clone(), sub, notification, telemetry);
            }
            self.open_types.pop();
        }
    }

    fn type_text(&self, ty: &FieldType) -> String {
        match ty {
            FieldType::Enum(id) => {
                let def = self.catalog.enum_def(*id);
                let values: Vec<&str> = def.variants.iter().map(|v| v.value.as_str()).collect();
                format!("enum({})", values.join("|"))
            }
            FieldType::Object(_) => "object".to_owned(),
            FieldType::List(inner) => format!("list<{}>", self.type_text(inner)),
            FieldType::Map(inner) => format!("map<{}>", self.type_text(inner)),
            scalar => scalar.display(self.catalog).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_text() {
        for text in [
            "project.name: string telemetry=drop sensitive",
            "run.steps[].title: string telemetry=hash optional sensitive telemetry-only deprecated",
            "job.status: enum(DRAFT|PENDING) telemetry=keep",
        ] {
            let record: FieldRecord = text.parse().unwrap();
            assert_eq!(record.to_string(), text);
        }
        for bad in [
            "name string",
            "name: string",
            "name: string telemetry=all",
            "name: string telemetry=keep shiny",
        ] {
            assert!(bad.parse::<FieldRecord>().is_err(), "{bad}");
        }
    }

    #[test]
    fn inside_means_below_a_path_step() {
        assert!(is_inside("run.steps[].title", "run.steps"));
        assert!(is_inside("run.by_name{}.title", "run.by_name"));
        assert!(is_inside("project.name", "project"));
        assert!(!is_inside("project.names", "project.name"));
        assert!(!is_inside("project.name", "project.name"));
    }
}
