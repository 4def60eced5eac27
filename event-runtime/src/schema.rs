//! The SQL of the runtime's own tables, for SQLite and PostgreSQL, and where they are.
//!
//! The runtime owns these tables (`event_types`, `events`, and the outbox's `subscribers`,
//! `subscriptions`, `deliveries` and `delivery_attempts`); a catalog only adds rows of
//! `event_types` and columns of `events`. The code generator embeds these migrations at
//! the start of a catalog's migration directory, each rendered for the project's
//! [`Tables`], so the schema the runtime reads and the one the migrations create never
//! disagree.
//!
//! Their names carry a prefix, `eventgen_` unless configured ([`Tables`]), so that they
//! sit beside a service's own `events` or `subscriptions` without touching them; on
//! PostgreSQL they may also live in a schema of their own. The migrations record
//! themselves in a table of their own too (`_eventgen_migrations`), so that a service's
//! own sqlx migrations and these never see each other's versions.
//!
//! [`MIGRATIONS`] is append-only: a migration, once released, never changes (sqlx refuses
//! to run a directory whose applied migrations changed), and new tables or columns come
//! as new migrations at the end of the list. Every statement is idempotent
//! (`CREATE ... IF NOT EXISTS`).

use std::borrow::Cow;

/// One migration of the runtime's own tables, for both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeMigration {
    /// Its name: snake_case, unique in [`MIGRATIONS`], part of the generated file name
    /// (`0001_eventgen_<name>.sql`).
    pub name: &'static str,
    /// The SQL for SQLite, with the tables written as [`Tables::render`] reads them.
    pub sqlite: &'static str,
    /// The SQL for PostgreSQL, likewise.
    pub postgres: &'static str,
}

impl RuntimeMigration {
    /// Its SQLite statements for `tables` (SQLite has no schemas: a schema is left out).
    pub fn sqlite_sql(&self, tables: &Tables) -> String {
        tables.without_schema().render(self.sqlite)
    }

    /// Its PostgreSQL statements for `tables`; the first migration creates their schema
    /// when they have one.
    pub fn postgres_sql(&self, tables: &Tables) -> String {
        let sql = tables.render(self.postgres);
        match tables.schema() {
            Some(schema) if self.name == MIGRATIONS[0].name => {
                format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\";\n\n{sql}")
            }
            _ => sql,
        }
    }
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

/// One of the runtime's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// The event types a catalog declares.
    EventTypes,
    /// The events recorded.
    Events,
    /// Webhooks and the analytics subscriber.
    Subscribers,
    /// Which events each subscriber receives.
    Subscriptions,
    /// The outbox: what is still to deliver.
    Deliveries,
    /// The log of every delivery attempt.
    DeliveryAttempts,
}

impl Table {
    /// Every table.
    pub const ALL: [Table; 6] = [
        Table::EventTypes,
        Table::Events,
        Table::Subscribers,
        Table::Subscriptions,
        Table::Deliveries,
        Table::DeliveryAttempts,
    ];

    /// Its name without the prefix (`events`), also its token in SQL (`{events}`).
    pub const fn base_name(self) -> &'static str {
        match self {
            Table::EventTypes => "event_types",
            Table::Events => "events",
            Table::Subscribers => "subscribers",
            Table::Subscriptions => "subscriptions",
            Table::Deliveries => "deliveries",
            Table::DeliveryAttempts => "delivery_attempts",
        }
    }
}

/// The prefix of the runtime's table and index names unless configured otherwise.
pub const DEFAULT_TABLE_PREFIX: &str = "eventgen_";

/// The table the generated migrations record themselves in unless configured otherwise
/// (sqlx's `Migrator::dangerous_set_table_name`): not sqlx's `_sqlx_migrations`, which a
/// service's own migrations use.
pub const DEFAULT_MIGRATIONS_TABLE: &str = "_eventgen_migrations";

/// The longest table prefix: PostgreSQL cuts identifiers at 63 bytes, silently, and the
/// longest name the runtime makes (an index) has 28 bytes after the prefix.
pub const MAX_TABLE_PREFIX_LEN: usize = 26;

/// Where the runtime's tables are: a prefix on every table and index name, on PostgreSQL
/// optionally a schema, and the table the migrations record themselves in.
///
/// The code generator writes the project's `Tables` into the migrations and into the
/// generated module (`TABLES`), and the store reads the same value from its
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tables {
    prefix: Cow<'static, str>,
    schema: Option<Cow<'static, str>>,
    migrations_table: Cow<'static, str>,
}

impl Default for Tables {
    fn default() -> Self {
        Tables::DEFAULT
    }
}

/// A table prefix, schema or migrations table name that [`Tables`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} `{value}`: {problem}")]
pub struct InvalidTables {
    /// Which setting (`table prefix`, `schema`, `migrations table`).
    pub what: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it, and what to write.
    pub problem: &'static str,
}

impl Tables {
    /// `eventgen_` names in the connection's default schema; migrations recorded in
    /// `_eventgen_migrations`.
    pub const DEFAULT: Tables =
        Tables::from_static(DEFAULT_TABLE_PREFIX, None, DEFAULT_MIGRATIONS_TABLE);

    /// For generated code: the values as written in the configuration, checked by the
    /// code generator.
    #[doc(hidden)]
    pub const fn from_static(
        prefix: &'static str,
        schema: Option<&'static str>,
        migrations_table: &'static str,
    ) -> Tables {
        Tables {
            prefix: Cow::Borrowed(prefix),
            schema: match schema {
                Some(schema) => Some(Cow::Borrowed(schema)),
                None => None,
            },
            migrations_table: Cow::Borrowed(migrations_table),
        }
    }

    /// Tables named `<prefix><name>` (`""` for the bare names); checked like
    /// [`Tables::check_prefix`].
    pub fn with_prefix(
        mut self,
        prefix: impl Into<Cow<'static, str>>,
    ) -> Result<Tables, InvalidTables> {
        let prefix = prefix.into();
        Tables::check_prefix(&prefix)?;
        self.prefix = prefix;
        Ok(self)
    }

    /// On PostgreSQL, the tables in `schema` (created by the migrations when missing);
    /// SQLite ignores it.
    pub fn in_schema(
        mut self,
        schema: impl Into<Cow<'static, str>>,
    ) -> Result<Tables, InvalidTables> {
        let schema = schema.into();
        Tables::check_schema(&schema)?;
        self.schema = Some(schema);
        Ok(self)
    }

    /// The migrations recorded in `table` (`name` or `schema.name`).
    pub fn with_migrations_table(
        mut self,
        table: impl Into<Cow<'static, str>>,
    ) -> Result<Tables, InvalidTables> {
        let table = table.into();
        Tables::check_migrations_table(&table)?;
        self.migrations_table = table;
        Ok(self)
    }

    /// The same tables without a schema: how SQLite, which has none, names them.
    pub fn without_schema(&self) -> Tables {
        Tables {
            schema: None,
            ..self.clone()
        }
    }

    /// The prefix of table and index names.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The PostgreSQL schema, if any.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The table the migrations record themselves in, as sqlx takes it.
    pub fn migrations_table(&self) -> &str {
        &self.migrations_table
    }

    /// The name of `table` as SQL writes it: quoted, schema-qualified when there is a
    /// schema (`"eventgen_events"`, `"events"."eventgen_events"`).
    pub fn name(&self, table: Table) -> String {
        let name = format!("\"{}{}\"", self.prefix, table.base_name());
        match &self.schema {
            Some(schema) => format!("\"{schema}\".{name}"),
            None => name,
        }
    }

    /// `sql` with every `{<table>}` (`{events}`, `{delivery_attempts}`, the
    /// [`Table::base_name`]s) replaced by [`Tables::name`], and every `{prefix}` by the
    /// prefix (for index names, which live in their table's schema). Other braces are
    /// left as they are.
    pub fn render(&self, sql: &str) -> String {
        let mut out = String::with_capacity(sql.len() + 64);
        let mut rest = sql;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let token = after.find('}').map(|close| &after[..close]);
            match token.and_then(|token| self.token(token).map(|value| (token, value))) {
                Some((token, value)) => {
                    out.push_str(&value);
                    rest = &after[token.len() + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn token(&self, token: &str) -> Option<Cow<'_, str>> {
        if token == "prefix" {
            return Some(Cow::Borrowed(&self.prefix));
        }
        Table::ALL
            .into_iter()
            .find(|table| table.base_name() == token)
            .map(|table| Cow::Owned(self.name(table)))
    }

    /// Checks a table prefix: ASCII letters, digits and `_`, not starting with a digit,
    /// at most [`MAX_TABLE_PREFIX_LEN`] bytes.
    pub fn check_prefix(prefix: &str) -> Result<(), InvalidTables> {
        let invalid = |problem| InvalidTables {
            what: "table prefix",
            value: prefix.to_owned(),
            problem,
        };
        if prefix.len() > MAX_TABLE_PREFIX_LEN {
            return Err(invalid(
                "at most 26 characters: PostgreSQL cuts longer names",
            ));
        }
        if !is_identifier(prefix) && !prefix.is_empty() {
            return Err(invalid(
                "use ASCII letters, digits and `_`, not starting with a digit (`eventgen_`)",
            ));
        }
        Ok(())
    }

    /// Checks a schema name: an identifier of ASCII letters, digits and `_`, not starting
    /// with a digit, at most 63 bytes.
    pub fn check_schema(schema: &str) -> Result<(), InvalidTables> {
        if is_identifier(schema) && schema.len() <= 63 {
            return Ok(());
        }
        Err(InvalidTables {
            what: "schema",
            value: schema.to_owned(),
            problem: "use ASCII letters, digits and `_`, not starting with a digit, at most 63 characters (`events`)",
        })
    }

    /// Checks a migrations table name: an identifier, optionally after a schema and a dot.
    pub fn check_migrations_table(table: &str) -> Result<(), InvalidTables> {
        let parts: Vec<&str> = table.split('.').collect();
        if parts.len() <= 2
            && parts
                .iter()
                .all(|part| is_identifier(part) && part.len() <= 63)
        {
            return Ok(());
        }
        Err(InvalidTables {
            what: "migrations table",
            value: table.to_owned(),
            problem: "use letters, digits and `_`, not starting with a digit, optionally after a schema and a dot (`events._eventgen_migrations`)",
        })
    }
}

/// ASCII letters, digits and `_`, not empty, not starting with a digit.
fn is_identifier(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

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
    fn render_names_every_table_and_leaves_other_braces() {
        let sql = r#"CREATE INDEX "{prefix}x" ON {deliveries} ("a") WHERE "s" = '{}' AND {nope}"#;
        assert_eq!(
            Tables::DEFAULT.render(sql),
            r#"CREATE INDEX "eventgen_x" ON "eventgen_deliveries" ("a") WHERE "s" = '{}' AND {nope}"#
        );
        let svc = Tables::DEFAULT
            .with_prefix("")
            .unwrap()
            .in_schema("outbox")
            .unwrap();
        assert_eq!(
            svc.render("{events}{event_types"),
            r#""outbox"."events"{event_types"#
        );
        for table in Table::ALL {
            assert_eq!(
                Tables::DEFAULT.render(&format!("{{{}}}", table.base_name())),
                format!("\"eventgen_{}\"", table.base_name())
            );
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(Tables::DEFAULT.with_prefix("svc_events_").is_ok());
        assert!(Tables::DEFAULT.with_prefix("").is_ok());
        for bad in [
            "1x_",
            "a-b",
            "a\"b",
            "x".repeat(MAX_TABLE_PREFIX_LEN + 1).as_str(),
        ] {
            let error = Tables::DEFAULT.with_prefix(bad.to_owned()).unwrap_err();
            assert_eq!(error.what, "table prefix", "{bad}");
        }
        assert!(Tables::DEFAULT.in_schema("").is_err());
        assert!(Tables::DEFAULT.in_schema("my schema").is_err());
        assert!(Tables::DEFAULT.with_migrations_table("svc._m").is_ok());
        assert!(Tables::DEFAULT.with_migrations_table("a.b.c").is_err());
        assert!(Tables::DEFAULT.with_migrations_table("a.").is_err());
    }

    #[test]
    fn every_table_and_index_is_rendered_with_the_prefix() {
        for migration in MIGRATIONS {
            for sql in [migration.sqlite, migration.postgres] {
                for line in sql
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("--"))
                {
                    for table in Table::ALL {
                        let bare = format!("\"{}\"", table.base_name());
                        assert!(
                            !line.contains(&bare),
                            "{bare} not written as a token: {line}"
                        );
                    }
                    if line.contains("INDEX") {
                        assert!(
                            line.contains("\"{prefix}"),
                            "an index without the prefix: {line}"
                        );
                    }
                }
            }
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
