//! Reading recorded events back: a row of `events` in either backend's encoding, read
//! through [`EventRow`] into the catalog's typed events.

use event_runtime::{EventRow, FromEventRow, LoadError, Timestamp};
use sqlx::Row as _;
use uuid::Uuid;

use super::sql::{Row, Sql, Value};
use super::{Store, StoreError};

/// Which recorded events [`Store::events`] returns: of the given types (all when none is
/// given), from a time on or after a given event, oldest first (by time, then id), at
/// most `limit` (100 by default).
#[derive(Debug, Clone)]
pub struct EventQuery {
    event_types: Vec<String>,
    since: Option<Timestamp>,
    after: Option<(Timestamp, Uuid)>,
    limit: u32,
}

impl Default for EventQuery {
    fn default() -> Self {
        EventQuery {
            event_types: Vec::new(),
            since: None,
            after: None,
            limit: 100,
        }
    }
}

impl EventQuery {
    /// Every event, the 100 oldest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only events of this exact type (call again to add types).
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_types.push(event_type.into());
        self
    }

    /// Only events that happened at `since` or later.
    pub fn since(mut self, since: Timestamp) -> Self {
        self.since = Some(since);
        self
    }

    /// Only events that come after the event `uuid` of time `timestamp` in the order:
    /// the next page after one that ended with that event.
    pub fn after(mut self, timestamp: Timestamp, uuid: Uuid) -> Self {
        self.after = Some((timestamp, uuid));
        self
    }

    /// At most `limit` events.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
}

impl Store {
    /// The recorded event `uuid`, loaded as `E`: the generated `Event` enum, or an event
    /// type (then a row of another type is [`LoadError::WrongEventType`]).
    pub async fn event<E: FromEventRow>(&self, uuid: Uuid) -> Result<Option<E>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let sql = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT * FROM {events} WHERE "uuid" = $1"#,
        )
        .bind(Value::Uuid(uuid));
        let row = sql.fetch_optional(&mut conn).await?;
        Ok(row.map(|row| E::from_event_row(&row)).transpose()?)
    }

    /// The recorded events `query` selects, oldest first (by time, then id).
    pub async fn events<E: FromEventRow>(&self, query: &EventQuery) -> Result<Vec<E>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let mut sql = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT * FROM {events} WHERE 1 = 1"#,
        );
        if !query.event_types.is_empty() {
            sql.push(r#" AND "type" IN "#)
                .list(query.event_types.iter().map(|t| Value::Text(t)));
        }
        if let Some(since) = query.since {
            sql.push(r#" AND "timestamp" >= "#)
                .param(Value::Time(since));
        }
        if let Some((timestamp, uuid)) = query.after {
            sql.push(r#" AND ("timestamp", "uuid") > ("#)
                .param(Value::Time(timestamp))
                .push(", ")
                .param(Value::Uuid(uuid))
                .push(")");
        }
        sql.push(r#" ORDER BY "timestamp", "uuid" LIMIT "#)
            .param(Value::Int(i64::from(query.limit)));
        let rows = sql.fetch_all(&mut conn).await?;
        Ok(rows
            .iter()
            .map(E::from_event_row)
            .collect::<Result<_, _>>()?)
    }
}

/// A type SQLite decodes (any type, without SQLite).
#[cfg(feature = "_sqlite")]
trait SqliteDecode<'r>: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> {}
#[cfg(feature = "_sqlite")]
impl<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>> SqliteDecode<'r> for T {}
#[cfg(not(feature = "_sqlite"))]
trait SqliteDecode<'r> {}
#[cfg(not(feature = "_sqlite"))]
impl<T> SqliteDecode<'_> for T {}

/// A type PostgreSQL decodes (any type, without PostgreSQL).
#[cfg(feature = "postgres")]
trait PostgresDecode<'r>: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> {}
#[cfg(feature = "postgres")]
impl<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>> PostgresDecode<'r>
    for T
{
}
#[cfg(not(feature = "postgres"))]
trait PostgresDecode<'r> {}
#[cfg(not(feature = "postgres"))]
impl<T> PostgresDecode<'_> for T {}

impl Row {
    /// A column of the row as `T`, the backend's errors (a missing column, another type)
    /// as the column's.
    fn column<'r, T>(&'r self, column: &str) -> Result<Option<T>, LoadError>
    where
        T: SqliteDecode<'r> + PostgresDecode<'r>,
    {
        match self {
            #[cfg(feature = "_sqlite")]
            Row::Sqlite(row) => row.try_get::<Option<T>, _>(column),
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => row.try_get::<Option<T>, _>(column),
        }
        .map_err(|e| LoadError::invalid(column, e))
    }
}

/// A store error reading `column`, as the load error it is (the store's own check of a
/// value keeps its message).
fn load_error(column: &str, error: StoreError) -> LoadError {
    match error {
        StoreError::Corrupt { column, message } => LoadError::InvalidValue { column, message },
        other => LoadError::invalid(column, other),
    }
}

impl EventRow for Row {
    fn event_type(&self) -> Result<String, LoadError> {
        self.column("type")?
            .ok_or_else(|| LoadError::invalid("type", "NULL"))
    }

    fn get_uuid(&self, column: &str) -> Result<Option<Uuid>, LoadError> {
        self.opt_uuid(column).map_err(|e| load_error(column, e))
    }

    fn get_text(&self, column: &str) -> Result<Option<String>, LoadError> {
        self.column(column)
    }

    fn get_int(&self, column: &str) -> Result<Option<i64>, LoadError> {
        self.column(column)
    }

    fn get_float(&self, column: &str) -> Result<Option<f64>, LoadError> {
        self.column(column)
    }

    fn get_bool(&self, column: &str) -> Result<Option<bool>, LoadError> {
        self.column(column)
    }

    fn get_timestamp(&self, column: &str) -> Result<Option<Timestamp>, LoadError> {
        self.opt_time(column).map_err(|e| load_error(column, e))
    }

    fn get_json(&self, column: &str) -> Result<Option<serde_json::Value>, LoadError> {
        match self {
            // JSON text on SQLite, JSONB on PostgreSQL.
            #[cfg(feature = "_sqlite")]
            Row::Sqlite(_) => self
                .column::<String>(column)?
                .map(|text| serde_json::from_str(&text).map_err(|e| LoadError::invalid(column, e)))
                .transpose(),
            #[cfg(feature = "postgres")]
            Row::Postgres(_) => self.column(column),
        }
    }
}
