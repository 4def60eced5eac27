//! The append-only rules, against the lock of the last `eventgen generate` (rule
//! `append-only`): what the migrations emitted stays. A stored event type stays stored
//! until it is deprecated, a column keeps its type, and the lock names only runtime
//! migrations this eventgen ships.

use std::collections::HashMap;

use event_runtime::schema::{MIGRATIONS as RUNTIME_MIGRATIONS, Tables};

use crate::diagnostic::{Diagnostic, Rule};
use crate::lock::{Lock, LockedTables};
use crate::model::{Catalog, EventDef};

/// Every append-only rule that `catalog` breaks against `lock`.
pub(crate) fn append_only(catalog: &Catalog, lock: &Lock, tables: &Tables) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    check_runtime(lock, &mut errors);
    check_tables(lock, tables, &mut errors);
    check_events(catalog, lock, &mut errors);
    check_columns(catalog, lock, &mut errors);
    errors
}

/// "migration `0002_orchest.sql`" (or its timestamped name), or "migration 2" when the
/// lock does not name it.
fn describe_migration(lock: &Lock, number: u32) -> String {
    match lock.migration_file_name(number) {
        Some(file) => format!("migration `{file}`"),
        None => format!("migration {number}"),
    }
}

/// A runtime migration in the lock that this eventgen does not ship.
fn check_runtime(lock: &Lock, errors: &mut Vec<Diagnostic>) {
    for (name, locked) in &lock.runtime {
        if !RUNTIME_MIGRATIONS.iter().any(|m| m.name == name) {
            errors.push(
                Diagnostic::error(
                    Rule::AppendOnly,
                    format!(
                        "the lock records the runtime migration `{name}` ({}), which this eventgen does not know",
                        describe_migration(lock, locked.migration)
                    ),
                )
                .help("the lock was written by a newer eventgen: generate with that version or a newer one"),
            );
        }
    }
}

/// The runtime's tables keep the names the first runtime migration gave them: the
/// migrations written create and alter them by those names.
fn check_tables(lock: &Lock, tables: &Tables, errors: &mut Vec<Diagnostic>) {
    let Some(emitted) = lock.emitted_tables() else {
        return;
    };
    let configured = LockedTables::of(tables);
    if emitted == configured {
        return;
    }
    let describe = |t: &LockedTables| match &t.schema {
        Some(schema) => format!("prefix `{}` in schema `{schema}`", t.prefix),
        None => format!("prefix `{}`", t.prefix),
    };
    let first = lock
        .runtime
        .values()
        .map(|m| m.migration)
        .min()
        .unwrap_or(1);
    errors.push(
        Diagnostic::error(
            Rule::AppendOnly,
            format!(
                "the runtime's tables were created with {} by {}, but the configuration now names them with {}",
                describe(&emitted),
                describe_migration(lock, first),
                describe(&configured)
            ),
        )
        .help(format!(
            "the migrations written cannot rename tables: set `[tables]` in eventgen.toml back to {} (or rename the tables with a migration of your own, then change `[tables]` in the lock to match)",
            describe(&emitted)
        )),
    );
}

/// A stored event type emitted before must still be a stored event, or be deprecated; it
/// may leave the catalog once the lock records it as deprecated (its row stays).
fn check_events(catalog: &Catalog, lock: &Lock, errors: &mut Vec<Diagnostic>) {
    let by_type: HashMap<&str, &EventDef> = catalog
        .events
        .iter()
        .map(|e| (e.event_type.as_str(), e))
        .collect();
    for (event_type, locked) in &lock.events {
        let event = by_type.get(event_type.as_str()).copied();
        if event.is_some_and(|e| e.stored || e.deprecated.is_some()) {
            continue;
        }
        let deprecated_before = lock
            .payloads
            .get(event_type)
            .is_some_and(|p| p.deprecated.is_some());
        if event.is_none() && deprecated_before {
            continue;
        }
        let added = describe_migration(lock, locked.migration);
        let diagnostic = match event {
            Some(event) => Diagnostic::error(
                Rule::AppendOnly,
                format!(
                    "stored event `{event_type}`, added by {added}, is no longer stored"
                ),
            )
            .label(&event.origin, "analytics-only now")
            .help(format!(
                "its `event_types` row stays: keep it stored, or deprecate it first with `deprecated = {{ since = \"...\", note = \"...\" }}` on `[events.\"{event_type}\"]`"
            )),
            None => Diagnostic::error(
                Rule::AppendOnly,
                format!("stored event `{event_type}`, added by {added}, was removed"),
            )
            .help(format!(
                "an emitted event type is deprecated before it is removed (its `event_types` row stays): restore `[events.\"{event_type}\"]` with `deprecated = {{ since = \"...\", note = \"...\" }}` and run `eventgen generate` before removing it"
            )),
        };
        errors.push(diagnostic);
    }
}

/// A column emitted before keeps its type.
fn check_columns(catalog: &Catalog, lock: &Lock, errors: &mut Vec<Diagnostic>) {
    for (name, field) in catalog.stored_columns() {
        let Some(locked) = lock.columns.get(name) else {
            continue;
        };
        let ty = field.ty.display(catalog).to_string();
        if locked.ty != ty {
            errors.push(
                Diagnostic::error(
                    Rule::AppendOnly,
                    format!(
                        "column `{name}` was added for `{}` by {}, but the catalog now stores `{ty}` in it",
                        locked.ty,
                        describe_migration(lock, locked.migration)
                    ),
                )
                .label(&field.origin, format!("`{}` stored as `{ty}`", field.name))
                .help(format!(
                    "an emitted column cannot be retyped: keep `{}`, or store the field in a new column with `column = \"...\"`",
                    locked.ty
                )),
            );
        }
    }
}
