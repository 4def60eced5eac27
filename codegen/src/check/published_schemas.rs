//! The immutability of published schemas, against the lock of the last `eventgen
//! generate` (rule `append-only`): the file of a version of an event's schema, once
//! published, never changes. A change to what it describes needs a version bump, which
//! publishes a new file beside the old one.

use std::collections::{BTreeMap, HashMap};

use crate::diagnostic::{Diagnostic, Rule};
use crate::lock::{Lock, LockedSchema};
use crate::model::{Catalog, EventDef};

/// Every published schema that this generation would rewrite: `current` holds the
/// per-event files it generates (by path relative to `schemas/`), `lock` those published.
pub(crate) fn published_schemas(
    catalog: &Catalog,
    lock: &Lock,
    current: &BTreeMap<String, LockedSchema>,
) -> Vec<Diagnostic> {
    let by_type: HashMap<&str, &EventDef> = catalog
        .events
        .iter()
        .map(|e| (e.event_type.as_str(), e))
        .collect();
    let mut errors = Vec::new();
    for (path, schema) in current {
        let Some(published) = lock.schemas.get(path) else {
            continue;
        };
        if published.sha256 == schema.sha256 {
            continue;
        }
        let event = by_type.get(schema.event_type.as_str()).copied();
        errors.push(rewritten(path, schema, event));
    }
    errors
}

/// The error for the published file at `path` that `schema` would rewrite.
fn rewritten(path: &str, schema: &LockedSchema, event: Option<&EventDef>) -> Diagnostic {
    let LockedSchema {
        event_type,
        kind,
        version,
        ..
    } = schema;
    let next = version + 1;
    let diagnostic = Diagnostic::error(
        Rule::AppendOnly,
        format!(
            "the {kind} schema of `{event_type}` version {version} was published as \
             `schemas/{path}`, and this generation would change it"
        ),
    )
    .help(format!(
        "a published schema never changes: to publish the change, bump the event's version \
         (`version = {next}` on `[events.\"{event_type}\"]`), which writes a new file and \
         keeps the old one; otherwise undo the change (to the event, its layers' fields, the \
         types and enums it uses, or the catalog's `schema_base`)"
    ));
    match event {
        Some(event) => diagnostic.label(&event.origin, format!("still version {version}")),
        None => diagnostic,
    }
}
