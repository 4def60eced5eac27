//! Comparing two canonical catalogs and classifying every change.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::TelemetryPolicy;

use super::canonical::{EventSnapshot, FieldRecord, is_inside};

/// How a change affects the consumers of an event and the people whose data it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Consumers keep working: a new event, a new optional field, a new enum value.
    Additive,
    /// Consumers (or loading stored rows) may break: needs a version bump.
    Breaking,
    /// More reaches telemetry than before: needs a privacy review.
    PrivacyRelevant,
    /// An event or field was deprecated, undeprecated, or its deprecation changed.
    Deprecation,
    /// Neither: less reaches telemetry, a field may now be absent.
    Compatible,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Class; 5] = [
        Class::Breaking,
        Class::PrivacyRelevant,
        Class::Deprecation,
        Class::Additive,
        Class::Compatible,
    ];

    /// Its name in reports (`privacy-relevant`).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Additive => "additive",
            Class::Breaking => "breaking",
            Class::PrivacyRelevant => "privacy-relevant",
            Class::Deprecation => "deprecation",
            Class::Compatible => "compatible",
        }
    }
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new event.
    EventAdded,
    /// An event is gone; `was_deprecated`: the lock recorded it as deprecated.
    EventRemoved {
        /// Whether it was deprecated before.
        was_deprecated: bool,
    },
    /// A new field.
    FieldAdded {
        /// It may be absent (additive), or not (old payloads lack it: breaking).
        optional: bool,
    },
    /// A field is gone; `renamed_to`: a new field beside it with the same type.
    FieldRemoved {
        /// The likely new name, when one was added with the same type.
        renamed_to: Option<String>,
    },
    /// A field's type changed.
    FieldRetyped {
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// An enum gained values only.
    ValuesAdded {
        /// The new values.
        values: Vec<String>,
    },
    /// An enum lost values.
    ValuesRemoved {
        /// The values gone.
        values: Vec<String>,
    },
    /// An optional field became required.
    MadeRequired,
    /// A required field became optional.
    MadeOptional,
    /// A field left the notification payload (telemetry-only now).
    LeftNotification,
    /// A telemetry-only field joined the notification payload.
    JoinedNotification,
    /// More of a field reaches telemetry.
    TelemetryLoosened {
        /// Before.
        from: TelemetryPolicy,
        /// After.
        to: TelemetryPolicy,
    },
    /// As much of a field reaches telemetry, elsewhere: between `event_properties`
    /// (`keep`) and `derived_properties` (`derived`).
    TelemetryMoved {
        /// Before.
        from: TelemetryPolicy,
        /// After.
        to: TelemetryPolicy,
    },
    /// Less of a field reaches telemetry.
    TelemetryTightened {
        /// Before.
        from: TelemetryPolicy,
        /// After.
        to: TelemetryPolicy,
    },
    /// `sensitive` was removed.
    SensitiveRemoved,
    /// `sensitive` was added.
    SensitiveAdded,
    /// The event was deprecated.
    EventDeprecated,
    /// The event's deprecation was removed.
    EventUndeprecated,
    /// The event's `since`, `replaced_by` or `sunset` changed.
    DeprecationChanged,
    /// A field was deprecated.
    FieldDeprecated,
    /// A field's deprecation was removed.
    FieldUndeprecated,
}

/// One change to one event (and field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The event type.
    pub event: String,
    /// The field path, for field changes.
    pub field: Option<String>,
    /// What changed.
    pub kind: ChangeKind,
}

impl Change {
    /// Its class.
    pub fn class(&self) -> Class {
        match &self.kind {
            ChangeKind::EventAdded
            | ChangeKind::FieldAdded { optional: true }
            | ChangeKind::ValuesAdded { .. }
            | ChangeKind::JoinedNotification => Class::Additive,
            ChangeKind::EventRemoved { .. }
            | ChangeKind::FieldAdded { optional: false }
            | ChangeKind::FieldRemoved { .. }
            | ChangeKind::FieldRetyped { .. }
            | ChangeKind::ValuesRemoved { .. }
            | ChangeKind::MadeRequired
            | ChangeKind::LeftNotification
            | ChangeKind::TelemetryMoved { .. } => Class::Breaking,
            ChangeKind::TelemetryLoosened { .. } | ChangeKind::SensitiveRemoved => {
                Class::PrivacyRelevant
            }
            ChangeKind::EventDeprecated
            | ChangeKind::EventUndeprecated
            | ChangeKind::DeprecationChanged
            | ChangeKind::FieldDeprecated
            | ChangeKind::FieldUndeprecated => Class::Deprecation,
            ChangeKind::MadeOptional
            | ChangeKind::TelemetryTightened { .. }
            | ChangeKind::SensitiveAdded => Class::Compatible,
        }
    }

    /// A stable kebab-case name of the kind, for JSON output.
    pub fn code(&self) -> &'static str {
        match &self.kind {
            ChangeKind::EventAdded => "event-added",
            ChangeKind::EventRemoved { .. } => "event-removed",
            ChangeKind::FieldAdded { .. } => "field-added",
            ChangeKind::FieldRemoved { .. } => "field-removed",
            ChangeKind::FieldRetyped { .. } => "field-retyped",
            ChangeKind::ValuesAdded { .. } => "values-added",
            ChangeKind::ValuesRemoved { .. } => "values-removed",
            ChangeKind::MadeRequired => "made-required",
            ChangeKind::MadeOptional => "made-optional",
            ChangeKind::LeftNotification => "left-notification",
            ChangeKind::JoinedNotification => "joined-notification",
            ChangeKind::TelemetryLoosened { .. } => "telemetry-loosened",
            ChangeKind::TelemetryMoved { .. } => "telemetry-moved",
            ChangeKind::TelemetryTightened { .. } => "telemetry-tightened",
            ChangeKind::SensitiveRemoved => "sensitive-removed",
            ChangeKind::SensitiveAdded => "sensitive-added",
            ChangeKind::EventDeprecated => "event-deprecated",
            ChangeKind::EventUndeprecated => "event-undeprecated",
            ChangeKind::DeprecationChanged => "deprecation-changed",
            ChangeKind::FieldDeprecated => "field-deprecated",
            ChangeKind::FieldUndeprecated => "field-undeprecated",
        }
    }

    /// One phrase saying what changed, without the event (`field removed: project.name`).
    pub fn describe(&self) -> String {
        let field = self.field.as_deref().unwrap_or("");
        match &self.kind {
            ChangeKind::EventAdded => "new event".to_owned(),
            ChangeKind::EventRemoved {
                was_deprecated: true,
            } => "event removed (it was deprecated)".to_owned(),
            ChangeKind::EventRemoved {
                was_deprecated: false,
            } => "event removed without being deprecated first".to_owned(),
            ChangeKind::FieldAdded { optional: true } => format!("new optional field `{field}`"),
            ChangeKind::FieldAdded { optional: false } => {
                format!("new required field `{field}` (earlier payloads lack it)")
            }
            ChangeKind::FieldRemoved { renamed_to: None } => format!("field `{field}` removed"),
            ChangeKind::FieldRemoved {
                renamed_to: Some(to),
            } => format!("field `{field}` removed (renamed? `{to}` was added with the same type)"),
            ChangeKind::FieldRetyped { from, to } => {
                format!("field `{field}` retyped from `{from}` to `{to}`")
            }
            ChangeKind::ValuesAdded { values } => {
                format!("field `{field}` takes new values: {}", values.join(", "))
            }
            ChangeKind::ValuesRemoved { values } => {
                format!("field `{field}` no longer takes: {}", values.join(", "))
            }
            ChangeKind::MadeRequired => format!("field `{field}` made required"),
            ChangeKind::MadeOptional => format!("field `{field}` made optional"),
            ChangeKind::LeftNotification => {
                format!("field `{field}` left the notification payload (telemetry-only now)")
            }
            ChangeKind::JoinedNotification => {
                format!("field `{field}` joined the notification payload")
            }
            ChangeKind::TelemetryLoosened { from, to } => format!(
                "field `{field}` reaches telemetry more: `{}` -> `{}`",
                from.as_str(),
                to.as_str()
            ),
            ChangeKind::TelemetryMoved { from, to } => format!(
                "field `{field}` moves in telemetry (between event_properties and \
                 derived_properties): `{}` -> `{}`",
                from.as_str(),
                to.as_str()
            ),
            ChangeKind::TelemetryTightened { from, to } => format!(
                "field `{field}` reaches telemetry less: `{}` -> `{}`",
                from.as_str(),
                to.as_str()
            ),
            ChangeKind::SensitiveRemoved => format!("field `{field}` no longer sensitive"),
            ChangeKind::SensitiveAdded => format!("field `{field}` marked sensitive"),
            ChangeKind::EventDeprecated => "event deprecated".to_owned(),
            ChangeKind::EventUndeprecated => "event no longer deprecated".to_owned(),
            ChangeKind::DeprecationChanged => {
                "deprecation changed (since, replacement or sunset)".to_owned()
            }
            ChangeKind::FieldDeprecated => format!("field `{field}` deprecated"),
            ChangeKind::FieldUndeprecated => format!("field `{field}` no longer deprecated"),
        }
    }
}

/// Every change from `before` to `after` (events by type), sorted by event, then field.
pub fn diff(
    before: &BTreeMap<String, EventSnapshot>,
    after: &BTreeMap<String, EventSnapshot>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    let types: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for event in types {
        let change = |field: Option<&str>, kind| Change {
            event: event.clone(),
            field: field.map(str::to_owned),
            kind,
        };
        match (before.get(event), after.get(event)) {
            (None, Some(_)) => changes.push(change(None, ChangeKind::EventAdded)),
            (Some(old), None) => changes.push(change(
                None,
                ChangeKind::EventRemoved {
                    was_deprecated: old.deprecated.is_some(),
                },
            )),
            (Some(old), Some(new)) => {
                match (&old.deprecated, &new.deprecated) {
                    (None, Some(_)) => changes.push(change(None, ChangeKind::EventDeprecated)),
                    (Some(_), None) => changes.push(change(None, ChangeKind::EventUndeprecated)),
                    (Some(a), Some(b)) if a != b => {
                        changes.push(change(None, ChangeKind::DeprecationChanged));
                    }
                    _ => {}
                }
                for (field, kind) in field_changes(&old.fields, &new.fields) {
                    changes.push(change(Some(&field), kind));
                }
            }
            (None, None) => {}
        }
    }
    changes
}

/// Changes between two events' records, as `(path, kind)`, by path. A change inside a
/// field that was itself added, removed or retyped is left out (the field's change says
/// it), and so is a privacy change inside a field whose own privacy changed.
fn field_changes(old: &[FieldRecord], new: &[FieldRecord]) -> Vec<(String, ChangeKind)> {
    let old: BTreeMap<&str, &FieldRecord> = old.iter().map(|r| (r.path.as_str(), r)).collect();
    let new: BTreeMap<&str, &FieldRecord> = new.iter().map(|r| (r.path.as_str(), r)).collect();
    let mut structural: Vec<&str> = Vec::new();
    let mut privacy: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    let removed: Vec<&FieldRecord> = old
        .iter()
        .filter(|(path, _)| !new.contains_key(*path))
        .map(|(_, r)| *r)
        .collect();
    let added: Vec<&FieldRecord> = new
        .iter()
        .filter(|(path, _)| !old.contains_key(*path))
        .map(|(_, r)| *r)
        .collect();
    let renames = pair_renames(&removed, &added);
    let paths: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    for path in paths {
        let inside = |list: &[&str]| list.iter().any(|a| is_inside(path, a));
        if inside(&structural) {
            continue;
        }
        match (old.get(path), new.get(path)) {
            (Some(_), None) => {
                structural.push(path);
                let renamed_to = renames.get(path).map(|to| (*to).to_owned());
                out.push((path.to_owned(), ChangeKind::FieldRemoved { renamed_to }));
            }
            (None, Some(record)) => {
                structural.push(path);
                let optional = record.optional;
                out.push((path.to_owned(), ChangeKind::FieldAdded { optional }));
            }
            (Some(a), Some(b)) => {
                let before = out.len();
                compare(a, b, &mut out);
                if out[before..]
                    .iter()
                    .any(|(_, k)| matches!(k, ChangeKind::FieldRetyped { .. }))
                {
                    structural.push(path);
                }
                let privacy_inside = inside(&privacy);
                let mut kept = Vec::new();
                for (p, kind) in out.drain(before..) {
                    let is_privacy = matches!(
                        kind,
                        ChangeKind::TelemetryLoosened { .. } | ChangeKind::SensitiveRemoved
                    );
                    if is_privacy && privacy_inside {
                        continue;
                    }
                    if is_privacy {
                        privacy.push(path);
                    }
                    kept.push((p, kind));
                }
                out.extend(kept);
            }
            (None, None) => {}
        }
    }
    out
}

/// A removed field and an added one beside it (same parent path) with the same type:
/// probably a rename. Each field pairs at most once, in path order.
fn pair_renames<'r>(
    removed: &[&'r FieldRecord],
    added: &[&'r FieldRecord],
) -> BTreeMap<&'r str, &'r str> {
    let parent = |path: &str| path.rfind('.').map_or("", |i| &path[..i]).to_owned();
    let mut taken = BTreeSet::new();
    let mut pairs = BTreeMap::new();
    for old in removed {
        let candidate = added.iter().find(|new| {
            !taken.contains(new.path.as_str())
                && new.ty == old.ty
                && parent(&new.path) == parent(&old.path)
        });
        if let Some(new) = candidate {
            taken.insert(new.path.as_str());
            pairs.insert(old.path.as_str(), new.path.as_str());
        }
    }
    pairs
}

/// The changes to one field present before and after.
fn compare(a: &FieldRecord, b: &FieldRecord, out: &mut Vec<(String, ChangeKind)>) {
    let mut push = |kind| out.push((a.path.clone(), kind));
    if a.ty != b.ty {
        match (enum_values(&a.ty), enum_values(&b.ty)) {
            (Some(old), Some(new)) if wrapper(&a.ty) == wrapper(&b.ty) => {
                let gone: Vec<String> = old.iter().filter(|v| !new.contains(v)).cloned().collect();
                let fresh: Vec<String> = new.iter().filter(|v| !old.contains(v)).cloned().collect();
                if !gone.is_empty() {
                    push(ChangeKind::ValuesRemoved { values: gone });
                }
                if !fresh.is_empty() {
                    push(ChangeKind::ValuesAdded { values: fresh });
                }
            }
            _ => push(ChangeKind::FieldRetyped {
                from: a.ty.clone(),
                to: b.ty.clone(),
            }),
        }
    }
    match (a.optional, b.optional) {
        (true, false) => push(ChangeKind::MadeRequired),
        (false, true) => push(ChangeKind::MadeOptional),
        _ => {}
    }
    match (a.notification, b.notification) {
        (true, false) => push(ChangeKind::LeftNotification),
        (false, true) => push(ChangeKind::JoinedNotification),
        _ => {}
    }
    if a.telemetry != b.telemetry {
        let (from, to) = (a.telemetry, b.telemetry);
        let value = [TelemetryPolicy::Keep, TelemetryPolicy::Derived];
        if value.contains(&from) && value.contains(&to) {
            push(ChangeKind::TelemetryMoved { from, to });
        } else if reach(to) >= reach(from) {
            push(ChangeKind::TelemetryLoosened { from, to });
        } else {
            push(ChangeKind::TelemetryTightened { from, to });
        }
    }
    match (a.sensitive, b.sensitive) {
        (true, false) => push(ChangeKind::SensitiveRemoved),
        (false, true) => push(ChangeKind::SensitiveAdded),
        _ => {}
    }
    match (a.deprecated, b.deprecated) {
        (false, true) => push(ChangeKind::FieldDeprecated),
        (true, false) => push(ChangeKind::FieldUndeprecated),
        _ => {}
    }
}

/// How much of a value reaches telemetry: nothing, something derived from it, itself.
/// `hash` and `count` rank alike, so a change between them counts as a loosening.
fn reach(policy: TelemetryPolicy) -> u8 {
    match policy {
        TelemetryPolicy::Drop => 0,
        TelemetryPolicy::Hash | TelemetryPolicy::Count => 1,
        TelemetryPolicy::Keep | TelemetryPolicy::Derived => 2,
    }
}

/// The values of an enum type text (`enum(A|B)`, also inside `list<...>`).
fn enum_values(ty: &str) -> Option<Vec<String>> {
    let start = ty.find("enum(")? + "enum(".len();
    let end = start + ty[start..].find(')')?;
    Some(ty[start..end].split('|').map(str::to_owned).collect())
}

/// A type text with its enum values left out (`list<enum>`).
fn wrapper(ty: &str) -> String {
    match (ty.find("enum("), ty.find(')')) {
        (Some(start), Some(end)) => format!("{}enum{}", &ty[..start], &ty[end + 1..]),
        _ => ty.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(fields: &[&str]) -> EventSnapshot {
        EventSnapshot {
            version: 1,
            deprecated: None,
            fields: fields.iter().map(|f| f.parse().unwrap()).collect(),
        }
    }

    fn changes(old: &[&str], new: &[&str]) -> Vec<String> {
        let before = BTreeMap::from([("e".to_owned(), event(old))]);
        let after = BTreeMap::from([("e".to_owned(), event(new))]);
        diff(&before, &after)
            .iter()
            .map(|c| format!("{} {}", c.class().as_str(), c.describe()))
            .collect()
    }

    #[test]
    fn renames_are_guessed_from_matching_types() {
        assert_eq!(
            changes(
                &["p.name: string telemetry=keep"],
                &["p.title: string telemetry=keep"]
            ),
            [
                "breaking field `p.name` removed (renamed? `p.title` was added with the same type)",
                "breaking new required field `p.title` (earlier payloads lack it)",
            ]
        );
        assert_eq!(
            changes(
                &["p.name: string telemetry=keep"],
                &["p.title: int telemetry=keep optional"]
            ),
            [
                "breaking field `p.name` removed",
                "additive new optional field `p.title`"
            ]
        );
    }

    #[test]
    fn changes_inside_a_changed_field_are_folded_into_it() {
        assert_eq!(
            changes(
                &[
                    "p.steps: list<object> telemetry=count",
                    "p.steps[].title: string telemetry=drop"
                ],
                &["p.steps: string telemetry=keep"]
            ),
            [
                "breaking field `p.steps` retyped from `list<object>` to `string`",
                "privacy-relevant field `p.steps` reaches telemetry more: `count` -> `keep`",
            ]
        );
        assert_eq!(
            changes(
                &[
                    "p.steps: list<object> telemetry=count",
                    "p.steps[].title: string telemetry=drop"
                ],
                &[
                    "p.steps: list<object> telemetry=keep",
                    "p.steps[].title: string telemetry=keep"
                ]
            ),
            ["privacy-relevant field `p.steps` reaches telemetry more: `count` -> `keep`"]
        );
    }

    #[test]
    fn enum_values() {
        assert_eq!(
            changes(
                &["p.s: enum(A|B) telemetry=keep"],
                &["p.s: enum(A|B|C) telemetry=keep"]
            ),
            ["additive field `p.s` takes new values: C"]
        );
        assert_eq!(
            changes(
                &["p.s: list<enum(A|B)> telemetry=keep"],
                &["p.s: list<enum(B)> telemetry=keep"]
            ),
            ["breaking field `p.s` no longer takes: A"]
        );
    }
}
