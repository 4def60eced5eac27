//! The rules of evolution, against the lock of the last `eventgen generate`: a breaking
//! change to an event needs a version bump (`version-bump`), a privacy-relevant change to
//! a field needs a new review (`privacy-review`), and an event is deprecated before it is
//! removed (`event-removed`). `eventgen check`, `generate`, the build.rs `Builder` and
//! `eventgen diff` all apply them through [`gate`].

use std::collections::{BTreeMap, HashMap};

use crate::diagnostic::{Diagnostic, Rule};
use crate::evolution::canonical::{DeprecationSnapshot, field_records};
use crate::evolution::{self, Change, ChangeKind, Class, EventSnapshot, Owner};
use crate::lock::Lock;
use crate::model::{Catalog, EventDef, FieldDef};
use crate::source::Origin;

/// Every change since the lock, each saying whether a rule blocks it, and the diagnostics
/// of the blocked ones.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    /// The changes, by event, then field.
    pub changes: Vec<Gated>,
    /// One error per blocked event (version, removal) or field (privacy review).
    pub diagnostics: Vec<Diagnostic>,
}

/// A change, and what it still needs.
#[derive(Debug, Clone)]
pub struct Gated {
    /// The change.
    pub change: Change,
    /// The rule it breaks, when it is blocking.
    pub blocked_by: Option<Rule>,
    /// What to do about it, when it is blocking.
    pub to_do: Option<String>,
}

impl Gate {
    /// Whether any change is blocking (or a version went down).
    pub fn is_blocking(&self) -> bool {
        !self.diagnostics.is_empty()
    }
}

/// Compares `catalog` with what `lock` recorded. A lock that records no payloads (format
/// 1) gives no changes.
pub fn gate(catalog: &Catalog, lock: &Lock) -> Gate {
    if !lock.records_payloads() {
        return Gate::default();
    }
    let mut after = BTreeMap::new();
    let mut defs: HashMap<&str, HashMap<String, &FieldDef>> = HashMap::new();
    for event in &catalog.events {
        let records = field_records(catalog, event);
        let by_path = records
            .iter()
            .map(|(record, def)| (record.path.clone(), *def))
            .collect();
        defs.insert(&event.event_type, by_path);
        after.insert(
            event.event_type.clone(),
            EventSnapshot {
                version: event.version,
                deprecated: event.deprecated.as_ref().map(DeprecationSnapshot::of),
                fields: records.into_iter().map(|(record, _)| record).collect(),
            },
        );
    }
    let changes = evolution::diff::diff(&lock.payloads, &after);
    let mut gate = Gate {
        changes: changes
            .into_iter()
            .map(|change| Gated {
                change,
                blocked_by: None,
                to_do: None,
            })
            .collect(),
        diagnostics: Vec::new(),
    };
    let field_def = |change: &Change| {
        let path = change.field.as_deref()?;
        defs.get(change.event.as_str())?.get(path).copied()
    };
    versions(catalog, lock, &mut gate, &field_def);
    removals(&mut gate);
    privacy(catalog, lock, &mut gate, &field_def);
    gate
}

/// `version-bump`: breaking changes to an event kept in the catalog need a higher version.
fn versions<'c>(
    catalog: &'c Catalog,
    lock: &Lock,
    gate: &mut Gate,
    field_def: &dyn Fn(&Change) -> Option<&'c FieldDef>,
) {
    for event in &catalog.events {
        let Some(locked) = lock.payloads.get(&event.event_type) else {
            continue;
        };
        if event.version < locked.version {
            gate.diagnostics
                .push(lowered_version(event, locked.version));
        } else if event.version == locked.version {
            unbumped_changes(event, gate, field_def);
        }
    }
}

/// A version below the lock's.
fn lowered_version(event: &EventDef, locked: u32) -> Diagnostic {
    let event_type = &event.event_type;
    let needed = locked + 1;
    Diagnostic::error(
        Rule::VersionBump,
        format!(
            "event `{event_type}` has version {}, lower than the {locked} the lock records",
            event.version
        ),
    )
    .label(&event.origin, format!("version {}", event.version))
    .help(format!(
        "versions only go up: set `version = {locked}` on `[events.\"{event_type}\"]` (or `{needed}` if its payloads changed incompatibly)"
    ))
}

/// Blocks the breaking changes to `event`, which keeps the version the lock records.
fn unbumped_changes<'c>(
    event: &'c EventDef,
    gate: &mut Gate,
    field_def: &dyn Fn(&Change) -> Option<&'c FieldDef>,
) {
    let event_type = &event.event_type;
    let breaking: Vec<usize> = gate
        .changes
        .iter()
        .enumerate()
        .filter(|(_, g)| {
            &g.change.event == event_type
                && g.change.class() == Class::Breaking
                && !matches!(g.change.kind, ChangeKind::EventRemoved { .. })
        })
        .map(|(i, _)| i)
        .collect();
    if breaking.is_empty() {
        return;
    }
    let needed = event.version + 1;
    let to_do = format!("set `version = {needed}`");
    let mut descriptions = Vec::new();
    let mut labels: Vec<(&Origin, String)> = Vec::new();
    for &i in &breaking {
        let gated = &mut gate.changes[i];
        gated.blocked_by = Some(Rule::VersionBump);
        gated.to_do = Some(to_do.clone());
        let description = gated.change.describe();
        if let Some(def) = field_def(&gated.change)
            && !labels.iter().any(|(o, _)| *o == &def.origin)
        {
            labels.push((&def.origin, description.clone()));
        }
        descriptions.push(description);
    }
    labels.push((
        &event.origin,
        format!("still version {}, as the lock records", event.version),
    ));
    let mut diagnostic = Diagnostic::error(
        Rule::VersionBump,
        format!(
            "event `{event_type}` changes its payloads incompatibly without a version bump: {}",
            descriptions.join("; ")
        ),
    );
    for (origin, text) in labels {
        diagnostic = diagnostic.label(origin, text);
    }
    gate.diagnostics.push(diagnostic.help(format!(
        "bump the event's payload version so consumers can tell the payloads apart: set `version = {needed}` on `[events.\"{event_type}\"]`"
    )));
}

/// `event-removed`: an event leaves the catalog only after it was deprecated (and the
/// deprecation generated into the lock).
fn removals(gate: &mut Gate) {
    for gated in &mut gate.changes {
        if gated.change.kind
            != (ChangeKind::EventRemoved {
                was_deprecated: false,
            })
        {
            continue;
        }
        let event_type = &gated.change.event;
        gated.blocked_by = Some(Rule::EventRemoved);
        gated.to_do = Some("deprecate it first".to_owned());
        gate.diagnostics.push(
            Diagnostic::error(
                Rule::EventRemoved,
                format!("event `{event_type}` was removed without being deprecated first"),
            )
            .help(format!(
                "restore `[events.\"{event_type}\"]` with `deprecated = {{ since = \"...\", note = \"...\", sunset = \"YYYY-MM-DD\" }}` and run `eventgen generate`; remove it once consumers have moved on (at the latest after its sunset)"
            )),
        );
    }
}

/// `privacy-review`: a privacy-relevant change to a field needs a `privacy_reviewed` that
/// the lock does not already record (one review per change). Reported once per field
/// definition, however many events carry it.
fn privacy<'c>(
    catalog: &'c Catalog,
    lock: &Lock,
    gate: &mut Gate,
    field_def: &dyn Fn(&Change) -> Option<&'c FieldDef>,
) {
    for (def, owner, indices) in privacy_changes(catalog, gate, field_def) {
        let key = evolution::declaration_key(owner, &def.name);
        let spent = lock.privacy_reviews.get(&key);
        if def.privacy_reviewed.is_some() && def.privacy_reviewed.as_ref() != spent {
            continue;
        }
        let mut what: Vec<String> = Vec::new();
        let mut events: Vec<String> = Vec::new();
        for &i in &indices {
            let gated = &mut gate.changes[i];
            gated.blocked_by = Some(Rule::PrivacyReview);
            gated.to_do = Some(format!("add a new `privacy_reviewed` to `{key}`"));
            let phrase = privacy_phrase(&gated.change.kind);
            if !what.contains(&phrase) {
                what.push(phrase);
            }
            if !events.contains(&gated.change.event) {
                events.push(gated.change.event.clone());
            }
        }
        gate.diagnostics
            .push(unreviewed(def, owner, &what, &events, spent));
    }
}

/// The privacy-relevant changes, by field definition in order of first change: the
/// definition, its owner and the indices of its changes.
fn privacy_changes<'c>(
    catalog: &'c Catalog,
    gate: &Gate,
    field_def: &dyn Fn(&Change) -> Option<&'c FieldDef>,
) -> Vec<(&'c FieldDef, Owner<'c>, Vec<usize>)> {
    let owners: HashMap<&Origin, Owner<'_>> = evolution::declared_fields(catalog)
        .map(|(owner, field)| (&field.origin, owner))
        .collect();
    let mut fields: Vec<(&FieldDef, Owner<'_>, Vec<usize>)> = Vec::new();
    for (i, gated) in gate.changes.iter().enumerate() {
        if gated.change.class() != Class::PrivacyRelevant {
            continue;
        }
        let Some(def) = field_def(&gated.change) else {
            continue;
        };
        let Some(owner) = owners.get(&def.origin).copied() else {
            continue;
        };
        match fields.iter_mut().find(|(d, _, _)| d.origin == def.origin) {
            Some((_, _, changes)) => changes.push(i),
            None => fields.push((def, owner, vec![i])),
        }
    }
    fields
}

/// "its telemetry goes from `drop` to `keep`".
fn privacy_phrase(kind: &ChangeKind) -> String {
    match kind {
        ChangeKind::TelemetryLoosened { from, to } => {
            format!(
                "its telemetry goes from `{}` to `{}`",
                from.as_str(),
                to.as_str()
            )
        }
        _ => "it is no longer sensitive".to_owned(),
    }
}

/// The error for a field whose privacy-relevant changes (`what`, in `events`) need a review.
fn unreviewed(
    def: &FieldDef,
    owner: Owner<'_>,
    what: &[String],
    events: &[String],
    spent: Option<&String>,
) -> Diagnostic {
    let place = match owner {
        Owner::Layer(name) => format!("of layer `{name}`"),
        Owner::Type(name) => format!("of type `{name}`"),
        Owner::Event(event_type) => format!("of event `{event_type}`"),
    };
    let shown = if events.len() > 3 {
        format!(
            "{} and {} more events",
            events[..3].join(", "),
            events.len() - 3
        )
    } else {
        events.join(", ")
    };
    let help = match spent {
        Some(review) => format!(
            "the review `{review}` is recorded in the lock for an earlier change: have this change reviewed and replace it with a new `privacy_reviewed = \"...\"` on the field"
        ),
        None => "have this change reviewed, then acknowledge it on the field: `privacy_reviewed = \"<who, ticket or date: why this may reach telemetry>\"`".to_owned(),
    };
    Diagnostic::error(
        Rule::PrivacyReview,
        format!(
            "privacy-relevant change to field `{}` {place} without a privacy review: {} (in {shown})",
            def.name,
            what.join(", and ")
        ),
    )
    .label(&def.origin, what.join("; "))
    .help(help)
}
