//! SQL migrations for SQLite and PostgreSQL: the runtime's base tables, the columns of
//! `events` and the rows of `event_types` that a catalog needs.
//!
//! Migrations are append-only (sqlx checksums the ones it applied), so they are not
//! regenerated from the catalog: [`migrations`] compares the catalog with the [`Lock`] of
//! what was emitted before and returns only the new files (none when nothing is new) and
//! the updated lock. Files go to `migrations/sqlite/NNNN_<name>.sql` and
//! `migrations/postgres/NNNN_<name>.sql`, the same numbers for both backends, in the
//! layout `sqlx::migrate!` and `sqlx::migrate::Migrator` read.
//!
//! Numbering: first each runtime migration ([`event_runtime::schema::MIGRATIONS`]) not
//! emitted yet (`0001_eventgen_base.sql`: the runtime's SQL verbatim), then one catalog
//! migration (`0002_<catalog>.sql`) adding every column and event type the lock lacks.
//! Every statement is idempotent where the backend allows it (`ON CONFLICT DO NOTHING`,
//! `ADD COLUMN IF NOT EXISTS` on PostgreSQL; SQLite has no guarded column addition, so
//! the lock is what adds each column once).

use event_runtime::schema::{MIGRATIONS as RUNTIME_MIGRATIONS, RuntimeMigration, Tables};
use minijinja::{Environment, Value};
use serde::Serialize;

use crate::check;
use crate::diagnostic::Diagnostic;
use crate::generate::{GENERATED_NOTICE, GeneratedFile};
use crate::lock::{
    self, Lock, LockedColumn, LockedEvent, LockedMigration, LockedRuntimeMigration, LockedTables,
};
use crate::model::{Catalog, FieldDef, FieldType};
use crate::text::plural;

/// The directory, relative to the repository root, that holds one directory of
/// migrations per backend.
pub const DIR: &str = "migrations";

/// A database the migrations are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Backend {
    /// SQLite (3.24 or newer: upserts).
    Sqlite,
    /// PostgreSQL (9.6 or newer).
    Postgres,
}

impl Backend {
    /// Every backend, in the order files are listed.
    pub const ALL: [Backend; 2] = [Backend::Postgres, Backend::Sqlite];

    /// The directory of its migrations, relative to the repository root
    /// (`migrations/sqlite`).
    pub fn dir(self) -> String {
        format!("{DIR}/{}", self.name())
    }

    /// Its name, as in the directory (`sqlite`, `postgres`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The SQL type of a column holding values of `ty`. Composites (json, named types,
    /// lists, maps) are stored as JSON.
    pub(crate) fn column_type(self, ty: &FieldType) -> &'static str {
        match (self, ty) {
            (Backend::Sqlite, FieldType::Int | FieldType::Bool) => "INTEGER",
            (Backend::Sqlite, FieldType::Float) => "REAL",
            (Backend::Sqlite, _) => "TEXT",
            (Backend::Postgres, FieldType::Uuid) => "UUID",
            (Backend::Postgres, FieldType::String | FieldType::Enum(_)) => "TEXT",
            (Backend::Postgres, FieldType::Int) => "BIGINT",
            (Backend::Postgres, FieldType::Float) => "DOUBLE PRECISION",
            (Backend::Postgres, FieldType::Bool) => "BOOLEAN",
            (Backend::Postgres, FieldType::Timestamp) => "TIMESTAMPTZ",
            (
                Backend::Postgres,
                FieldType::Json | FieldType::Object(_) | FieldType::List(_) | FieldType::Map(_),
            ) => "JSONB",
        }
    }

    /// What a column of `ty` holds, for the comment beside it: the field type, and how
    /// SQLite encodes what it has no type for.
    fn column_comment(self, catalog: &Catalog, ty: &FieldType) -> String {
        let encoding = match (self, ty) {
            (Backend::Postgres, _) | (_, FieldType::Json) => None,
            (Backend::Sqlite, FieldType::Object(_) | FieldType::List(_) | FieldType::Map(_)) => {
                Some("JSON")
            }
            (Backend::Sqlite, FieldType::Bool) => Some("0 or 1"),
            (Backend::Sqlite, FieldType::Timestamp) => Some("RFC 3339, UTC"),
            (Backend::Sqlite, _) => None,
        };
        let ty = ty.display(catalog);
        match encoding {
            Some(encoding) => format!("{ty} ({encoding})"),
            None => ty.to_string(),
        }
    }

    /// Its name in prose (`SQLite`, `PostgreSQL`).
    fn title(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// The SQL of a runtime migration for this backend, on `tables`.
    fn runtime_sql(self, migration: &RuntimeMigration, tables: &Tables) -> String {
        match self {
            Backend::Sqlite => migration.sqlite_sql(tables),
            Backend::Postgres => migration.postgres_sql(tables),
        }
    }
}

/// The migrations to write, and the lock that records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations {
    /// The new files, paths relative to the repository root, sorted by path; empty when
    /// nothing is new. Files written before are not among them and must stay as they are.
    pub files: Vec<GeneratedFile>,
    /// The lock after these files: the previous one plus what they add (equal to the
    /// previous one when nothing is new).
    pub lock: Lock,
}

/// The migrations to write given what `lock` says was emitted before (`None`: nothing
/// was): nothing new → no files. The runtime's tables are named as `tables` says.
///
/// Errors (rule `append-only`) when the catalog takes back something emitted: a stored
/// event type that is gone or no longer stored without being deprecated, a column whose
/// type changed, a runtime migration this eventgen does not know, or tables named
/// otherwise than the migrations written created them.
pub fn migrations(
    catalog: &Catalog,
    lock: Option<&Lock>,
    tables: &Tables,
) -> Result<Migrations, Vec<Diagnostic>> {
    let previous = lock.cloned().unwrap_or_default();
    let errors = check::append_only(catalog, &previous, tables);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut pending = Pending::new(&previous, tables);
    // The runtime's tables come first: the catalog's migration alters them.
    for runtime in RUNTIME_MIGRATIONS {
        if !previous.runtime.contains_key(runtime.name) {
            pending.add_runtime(runtime);
        }
    }
    pending.add_catalog(catalog, &previous);
    Ok(pending.finish())
}

/// The migrations written so far, and the lock recording them.
struct Pending<'t> {
    env: Environment<'static>,
    tables: &'t Tables,
    files: Vec<GeneratedFile>,
    /// The previous lock plus what `files` add.
    next: Lock,
    /// The number of the next migration.
    number: u32,
}

impl<'t> Pending<'t> {
    fn new(previous: &Lock, tables: &'t Tables) -> Self {
        Self {
            env: environment(),
            tables,
            files: Vec::new(),
            next: previous.clone(),
            number: previous.next_migration(),
        }
    }

    /// One runtime migration: the runtime's SQL for each backend, its tables named.
    fn add_runtime(&mut self, runtime: &RuntimeMigration) {
        let name = format!("eventgen_{}", runtime.name);
        for backend in Backend::ALL {
            let contents = render(
                &self.env,
                "runtime.sql",
                &RuntimeContext {
                    notice: GENERATED_NOTICE,
                    name: runtime.name,
                    backend: backend.title(),
                    sql: &backend.runtime_sql(runtime, self.tables),
                },
            );
            self.add_file(backend, &name, contents);
        }
        self.next.tables = Some(LockedTables::of(self.tables));
        self.next.runtime.insert(
            runtime.name.to_owned(),
            LockedRuntimeMigration {
                migration: self.number,
            },
        );
        self.record(name);
    }

    /// The catalog's migration: the columns and event types `previous` lacks (none when
    /// it lacks nothing).
    fn add_catalog(&mut self, catalog: &Catalog, previous: &Lock) {
        let columns = catalog.stored_columns();
        let new_columns: Vec<(&str, &FieldDef)> = columns
            .iter()
            .filter(|(name, _)| !previous.columns.contains_key(**name))
            .map(|(name, field)| (*name, *field))
            .collect();
        let new_events: Vec<&str> = catalog
            .stored_events()
            .map(|e| e.event_type.as_str())
            .filter(|t| !previous.events.contains_key(*t))
            .collect();
        if new_columns.is_empty() && new_events.is_empty() {
            return;
        }
        let name = catalog.name.replace('-', "_");
        let summary = summary(new_columns.len(), new_events.len());
        for backend in Backend::ALL {
            // The template names the runtime's tables as the runtime's SQL does.
            let contents = render(
                &self.env,
                "catalog.sql",
                &CatalogContext {
                    notice: GENERATED_NOTICE,
                    catalog: &catalog.name,
                    number: self.number,
                    backend: backend.title(),
                    postgres: backend == Backend::Postgres,
                    summary: &summary,
                    columns: column_contexts(catalog, backend, &new_columns),
                    event_types: &new_events,
                },
            );
            let tables = match backend {
                Backend::Sqlite => self.tables.without_schema(),
                Backend::Postgres => self.tables.clone(),
            };
            self.add_file(backend, &name, tables.render(&contents));
        }
        self.lock_catalog(catalog, &new_columns, &new_events);
        self.record(name);
    }

    /// Records the columns and event types the catalog's migration adds, so that the next
    /// run leaves them out.
    fn lock_catalog(
        &mut self,
        catalog: &Catalog,
        columns: &[(&str, &FieldDef)],
        event_types: &[&str],
    ) {
        for (column, field) in columns {
            self.next.columns.insert(
                (*column).to_owned(),
                LockedColumn {
                    ty: field.ty.display(catalog).to_string(),
                    migration: self.number,
                },
            );
        }
        for event_type in event_types {
            self.next.events.insert(
                (*event_type).to_owned(),
                LockedEvent {
                    migration: self.number,
                },
            );
        }
    }

    fn add_file(&mut self, backend: Backend, name: &str, contents: String) {
        self.files.push(GeneratedFile::new(
            file_path(backend, self.number, name),
            contents,
        ));
    }

    /// Records the migration just written and moves on to the next number.
    fn record(&mut self, name: String) {
        self.next.migrations.push(LockedMigration {
            number: self.number,
            name,
            version: None,
        });
        self.number += 1;
    }

    fn finish(mut self) -> Migrations {
        // A lock written by an older eventgen is upgraded only when there is something
        // new to record in it.
        if !self.files.is_empty() {
            self.next.format = lock::FORMAT;
        }
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        Migrations {
            files: self.files,
            lock: self.next,
        }
    }
}

/// The new columns as one backend's migration declares them.
fn column_contexts<'a>(
    catalog: &Catalog,
    backend: Backend,
    columns: &[(&'a str, &FieldDef)],
) -> Vec<ColumnContext<'a>> {
    columns
        .iter()
        .map(|&(name, field)| ColumnContext {
            name,
            sql_type: backend.column_type(&field.ty),
            comment: backend.column_comment(catalog, &field.ty),
        })
        .collect()
}

/// `migrations/<backend>/NNNN_<name>.sql`.
fn file_path(backend: Backend, number: u32, name: &str) -> String {
    format!("{}/{number:04}_{name}.sql", backend.dir())
}

/// "adds 2 columns and 3 event types".
fn summary(columns: usize, events: usize) -> String {
    match (columns, events) {
        (0, e) => format!("adds {}", plural(e, "event type")),
        (c, 0) => format!("adds {}", plural(c, "column")),
        (c, e) => format!(
            "adds {} and {}",
            plural(c, "column"),
            plural(e, "event type")
        ),
    }
}

#[derive(Serialize)]
struct RuntimeContext<'a> {
    notice: &'a str,
    name: &'a str,
    backend: &'a str,
    sql: &'a str,
}

#[derive(Serialize)]
struct CatalogContext<'a> {
    notice: &'a str,
    catalog: &'a str,
    number: u32,
    backend: &'a str,
    postgres: bool,
    summary: &'a str,
    columns: Vec<ColumnContext<'a>>,
    event_types: &'a [&'a str],
}

#[derive(Serialize)]
struct ColumnContext<'a> {
    name: &'a str,
    sql_type: &'a str,
    comment: String,
}

/// The template environment: the SQL templates and the `ident` and `literal` filters that
/// quote SQL.
fn environment() -> Environment<'static> {
    let mut env = super::template_environment();
    env.add_filter("ident", |name: &str| quote_identifier(name));
    env.add_filter("literal", |text: &str| quote_literal(text));
    env.add_template(
        "runtime.sql",
        include_str!("../../templates/sql/runtime.sql.j2"),
    )
    .expect("the runtime template parses");
    env.add_template(
        "catalog.sql",
        include_str!("../../templates/sql/catalog.sql.j2"),
    )
    .expect("the catalog template parses");
    env
}

fn render<T: Serialize>(env: &Environment<'_>, template: &str, context: &T) -> String {
    env.get_template(template)
        .and_then(|t| t.render(Value::from(minijinja::value::Serde(context))))
        .unwrap_or_else(|error| panic!("the `{template}` template renders: {error:#}"))
}

/// A quoted SQL identifier (`"update"`), valid on both backends.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A quoted SQL string literal (`'it''s'`), valid on both backends (standard strings:
/// backslashes are not escapes).
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        assert_eq!(quote_identifier("update"), "\"update\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "'a\\b'");
    }

    #[test]
    fn summaries() {
        assert_eq!(summary(1, 0), "adds 1 column");
        assert_eq!(summary(0, 2), "adds 2 event types");
        assert_eq!(summary(3, 1), "adds 3 columns and 1 event type");
    }
}
