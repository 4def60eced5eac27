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
    let mut errors = lock_paths(lock);
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

/// A lock entry whose path is not one of a per-event schema (`<kind>/<folder>/v<N>.json`):
/// the generator keeps and owns the folders of published files, so it must stay inside
/// `schemas/`.
fn lock_paths(lock: &Lock) -> Vec<Diagnostic> {
    lock.schemas
        .keys()
        .filter(|path| !is_schema_path(path))
        .map(|path| {
            Diagnostic::error(
                Rule::Lock,
                format!("the lock lists `{path}` as a published schema, which is no schema path"),
            )
            .help("the lock is generated: restore it from version control (`git checkout -- <lock>`) and run `eventgen generate`")
        })
        .collect()
}

/// Whether `path` has the form of a per-event schema path relative to `schemas/`:
/// `notification|telemetry|request/<folder>/v<digits>.json`, with no `.` or `..` folder.
pub(crate) fn is_schema_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let [kind, folder, file] = parts.as_slice() else {
        return false;
    };
    let version = file
        .strip_prefix('v')
        .and_then(|rest| rest.strip_suffix(".json"));
    matches!(*kind, "notification" | "telemetry" | "request")
        && !matches!(*folder, "" | "." | "..")
        && !folder.contains('\\')
        && version.is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
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
