//! The SQL of the runtime's own tables, for SQLite and PostgreSQL.
//!
//! The runtime owns these tables (`event_types`, `events`, and the outbox's `subscribers`,
//! `subscriptions`, `deliveries` and `delivery_attempts`); a catalog only adds rows of `event_types` and columns of `events`. The code
//! generator embeds these migrations verbatim at the start of a catalog's migration
//! directory, so the schema the runtime reads and the one the migrations create never
//! disagree.
//!
//! [`MIGRATIONS`] is append-only: a migration, once released, never changes (sqlx refuses
//! to run a directory whose applied migrations changed), and new tables or columns come
//! as new migrations at the end of the list. Every statement is idempotent
//! (`CREATE ... IF NOT EXISTS`).

/// One migration of the runtime's own tables, for both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeMigration {
    /// Its name: snake_case, unique in [`MIGRATIONS`], part of the generated file name
    /// (`0001_eventgen_<name>.sql`).
    pub name: &'static str,
    /// The SQL for SQLite.
    pub sqlite: &'static str,
    /// The SQL for PostgreSQL.
    pub postgres: &'static str,
}

/// The runtime's migrations, in order; append-only (a migration, once released, never
/// changes).
///
/// - `base`: `event_types` (`name`, the event type, at most 150 characters) and `events`
///   (`uuid`, `type` referencing `event_types`, `timestamp`), with an index on
///   `(type, timestamp)`.
/// - `outbox`: `subscribers` (webhooks and the one analytics subscriber, with their
///   secrets and enabled state), `subscriptions` (subscriber, exact event type, scope),
///   `deliveries` (the outbox: one row per event and subscriber until delivered, or dead)
///   and `delivery_attempts` (the log of every attempt).
pub const MIGRATIONS: &[RuntimeMigration] = &[
    RuntimeMigration {
        name: "base",
        sqlite: include_str!("../sql/sqlite/0001_base.sql"),
        postgres: include_str!("../sql/postgres/0001_base.sql"),
    },
    RuntimeMigration {
        name: "outbox",
        sqlite: include_str!("../sql/sqlite/0002_outbox.sql"),
        postgres: include_str!("../sql/postgres/0002_outbox.sql"),
    },
];

/// The longest event type the `event_types` table holds (`VARCHAR(150)` on PostgreSQL).
pub const MAX_EVENT_TYPE_LEN: usize = 150;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case() {
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            assert!(
                !migration.name.is_empty()
                    && migration
                        .name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "bad name `{}`",
                migration.name
            );
            assert!(
                MIGRATIONS[..i].iter().all(|m| m.name != migration.name),
                "`{}` twice",
                migration.name
            );
        }
    }

    #[test]
    fn statements_are_idempotent() {
        for migration in MIGRATIONS {
            for sql in [migration.sqlite, migration.postgres] {
                assert!(sql.starts_with("-- "), "a comment says what it is");
                for line in sql.lines() {
                    let line = line.trim_start();
                    if line.starts_with("CREATE") {
                        assert!(line.contains("IF NOT EXISTS"), "not idempotent: {line}");
                    }
                }
            }
        }
    }
}
