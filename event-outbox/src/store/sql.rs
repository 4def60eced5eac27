//! One statement text for both backends, values bound the way each stores them.
//!
//! Statements use `$N` placeholders, which both SQLite and PostgreSQL read. What differs is
//! the encoding of values: SQLite keeps UUIDs as hyphenated text and times as fixed-width
//! RFC 3339 text (so they compare as text), PostgreSQL as `UUID` and `TIMESTAMPTZ`. [`Sql`]
//! collects the text and the values, and binds them for the connection it runs on.
//!
//! On SQLite the `$N` placeholders are sent as anonymous `?`, the values in the order the
//! text uses them: SQLite finds a numbered parameter by a linear scan of the statement's
//! parameter names and sqlx looks up every one, so binding numbered parameters takes time
//! quadratic in their number (a 1,000-row attempt log insert spent most of the worker's
//! time there).

use std::fmt::Write as _;

use event_runtime::Timestamp;
use event_runtime::schema::Tables;
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgArguments, PgConnection, PgRow, Postgres};
#[cfg(feature = "_sqlite")]
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteConnection, SqliteRow};
use sqlx::{AssertSqlSafe, Row as _};
use uuid::Uuid;

use super::StoreError;

/// The most values one statement binds: below SQLite's limit (32766) and PostgreSQL's
/// (65535).
pub(crate) const MAX_PARAMS: usize = 30_000;

/// A connection of either backend, borrowed: a transaction's or a pool's. Its variants
/// are those of the backend features turned on.
#[non_exhaustive]
pub enum Conn<'c> {
    /// SQLite.
    #[cfg(feature = "_sqlite")]
    Sqlite(&'c mut SqliteConnection),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(&'c mut PgConnection),
}

#[cfg(feature = "_sqlite")]
impl<'c> From<&'c mut SqliteConnection> for Conn<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Self {
        Conn::Sqlite(conn)
    }
}

#[cfg(feature = "postgres")]
impl<'c> From<&'c mut PgConnection> for Conn<'c> {
    fn from(conn: &'c mut PgConnection) -> Self {
        Conn::Postgres(conn)
    }
}

impl Conn<'_> {
    pub(crate) fn is_postgres(&self) -> bool {
        match self {
            #[cfg(feature = "_sqlite")]
            Conn::Sqlite(_) => false,
            #[cfg(feature = "postgres")]
            Conn::Postgres(_) => true,
        }
    }
}

/// A quoted identifier (a column name of the catalog's).
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The database's current time: every due time and lease is compared on this one clock,
/// so that a worker whose own clock is off neither steals live leases nor skips due
/// deliveries. PostgreSQL's is read from the server. SQLite runs in this process, so its
/// clock is this host's, read here with microseconds (SQLite's own `'now'` keeps
/// milliseconds, and would find a delivery recorded in the same millisecond not yet due).
pub(crate) async fn database_now(conn: &mut Conn<'_>) -> Result<Timestamp, StoreError> {
    if !conn.is_postgres() {
        return Ok(event_runtime::now());
    }
    let row = Sql::new(
        conn,
        &Tables::DEFAULT,
        r#"SELECT clock_timestamp() AS "now""#,
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| StoreError::corrupt("now", "no row"))?;
    row.time("now")
}

/// A value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Uuid(Uuid),
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(Timestamp),
    OptTime(Option<Timestamp>),
    /// JSON text for a JSON column (`JSONB` on PostgreSQL, text on SQLite).
    Json(&'a str),
}

/// A statement and its values. The text names the runtime's tables as tokens
/// (`{deliveries}`), which it runs with the names of the store's [`Tables`].
pub(crate) struct Sql<'a> {
    text: String,
    values: Vec<Value<'a>>,
    postgres: bool,
    tables: &'a Tables,
}

impl<'a> Sql<'a> {
    /// A statement for the backend of `conn`, on `tables`.
    pub(crate) fn new(conn: &Conn<'_>, tables: &'a Tables, text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            values: Vec::new(),
            postgres: conn.is_postgres(),
            tables,
        }
    }

    /// Appends text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn param(&mut self, value: Value<'a>) -> &mut Self {
        let json = matches!(value, Value::Json(_));
        self.values.push(value);
        let _ = write!(self.text, "${}", self.values.len());
        if json && self.postgres {
            self.text.push_str("::jsonb");
        }
        self
    }

    /// Binds `value` as the next value, for a placeholder written in the text.
    pub(crate) fn bind(mut self, value: Value<'a>) -> Self {
        self.values.push(value);
        self
    }

    /// Appends `(p1, p2, ...)`: a placeholder per value.
    pub(crate) fn list(&mut self, values: impl IntoIterator<Item = Value<'a>>) -> &mut Self {
        self.text.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.param(value);
        }
        self.text.push(')');
        self
    }

    /// Runs it; the number of rows it changed.
    pub(crate) async fn execute(self, conn: &mut Conn<'_>) -> Result<u64, StoreError> {
        Ok(match conn {
            #[cfg(feature = "_sqlite")]
            Conn::Sqlite(c) => self.sqlite().execute(&mut **c).await?.rows_affected(),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => self.postgres().execute(&mut **c).await?.rows_affected(),
        })
    }

    /// Runs it; the rows it returned.
    pub(crate) async fn fetch_all(self, conn: &mut Conn<'_>) -> Result<Vec<Row>, StoreError> {
        Ok(match conn {
            #[cfg(feature = "_sqlite")]
            Conn::Sqlite(c) => self
                .sqlite()
                .fetch_all(&mut **c)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => self
                .postgres()
                .fetch_all(&mut **c)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    /// Runs it; the first row it returned, if any.
    pub(crate) async fn fetch_optional(
        self,
        conn: &mut Conn<'_>,
    ) -> Result<Option<Row>, StoreError> {
        Ok(match conn {
            #[cfg(feature = "_sqlite")]
            Conn::Sqlite(c) => self
                .sqlite()
                .fetch_optional(&mut **c)
                .await?
                .map(Row::Sqlite),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => self
                .postgres()
                .fetch_optional(&mut **c)
                .await?
                .map(Row::Postgres),
        })
    }

    #[cfg(feature = "_sqlite")]
    fn sqlite(self) -> sqlx::query::Query<'a, Sqlite, SqliteArguments> {
        let text = self.tables.render(&self.text);
        let (text, values) = anonymous_placeholders(&text, &self.values);
        let mut query = sqlx::query(AssertSqlSafe(text));
        for value in values {
            query = match value {
                Value::Uuid(v) => query.bind(v.hyphenated()),
                Value::Text(v) | Value::Json(v) => query.bind(v),
                Value::OptText(v) => query.bind(v),
                Value::Int(v) => query.bind(v),
                Value::Float(v) => query.bind(v),
                Value::Bool(v) => query.bind(v),
                Value::Time(v) => query.bind(time_text(&v)),
                Value::OptTime(v) => query.bind(v.map(|v| time_text(&v))),
            };
        }
        query
    }

    #[cfg(feature = "postgres")]
    fn postgres(self) -> sqlx::query::Query<'a, Postgres, PgArguments> {
        let mut query = sqlx::query(AssertSqlSafe(self.tables.render(&self.text)));
        for value in self.values {
            query = match value {
                Value::Uuid(v) => query.bind(v),
                Value::Text(v) | Value::Json(v) => query.bind(v),
                Value::OptText(v) => query.bind(v),
                Value::Int(v) => query.bind(v),
                Value::Float(v) => query.bind(v),
                Value::Bool(v) => query.bind(v),
                Value::Time(v) => query.bind(v),
                Value::OptTime(v) => query.bind(v),
            };
        }
        query
    }
}

/// `text` with each `$N` outside quotes replaced by `?`, and the values in the order of
/// the placeholders (a value used twice appears twice).
#[cfg(feature = "_sqlite")]
fn anonymous_placeholders<'a>(text: &str, values: &[Value<'a>]) -> (String, Vec<Value<'a>>) {
    let mut out = String::with_capacity(text.len());
    let mut ordered = Vec::with_capacity(values.len());
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') if chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) => {
                let mut end = at + 1;
                while let Some(&(i, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    end = i + d.len_utf8();
                    chars.next();
                }
                let value = text[at + 1..end]
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| values.get(n.checked_sub(1)?));
                match value {
                    Some(value) => {
                        out.push('?');
                        ordered.push(value.clone());
                    }
                    // What SQLite makes of a parameter without a value.
                    None => out.push_str("NULL"),
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    (out, ordered)
}

/// A time as SQLite keeps it: RFC 3339 UTC with microseconds, fixed width.
#[cfg(feature = "_sqlite")]
fn time_text(time: &Timestamp) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A row of either backend, read column by column in the backend's encoding.
pub(crate) enum Row {
    #[cfg(feature = "_sqlite")]
    Sqlite(SqliteRow),
    #[cfg(feature = "postgres")]
    Postgres(PgRow),
}

impl Row {
    pub(crate) fn uuid(&self, column: &str) -> Result<Uuid, StoreError> {
        self.opt_uuid(column)?
            .ok_or_else(|| StoreError::corrupt(column, "NULL"))
    }

    pub(crate) fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError> {
        match self {
            #[cfg(feature = "_sqlite")]
            Row::Sqlite(row) => row
                .try_get::<Option<&str>, _>(column)?
                .map(|text| Uuid::parse_str(text).map_err(|e| StoreError::corrupt(column, e)))
                .transpose(),
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => Ok(row.try_get(column)?),
        }
    }

    pub(crate) fn text(&self, column: &str) -> Result<String, StoreError> {
        self.opt_text(column)?
            .ok_or_else(|| StoreError::corrupt(column, "NULL"))
    }

    pub(crate) fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(match self {
            #[cfg(feature = "_sqlite")]
            Row::Sqlite(row) => row.try_get(column)?,
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => row.try_get(column)?,
        })
    }

    pub(crate) fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(match self {
            #[cfg(feature = "_sqlite")]
            Row::Sqlite(row) => row.try_get(column)?,
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => match row.try_get::<i64, _>(column) {
                Ok(v) => v,
                Err(_) => i64::from(row.try_get::<i32, _>(column)?),
            },
        })
    }

    pub(crate) fn bool(&self, column: &str) -> Result<bool, StoreError> {
        Ok(match self {
            #[cfg(feature = "_sqlite")]
            Row::Sqlite(row) => row.try_get(column)?,
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => row.try_get(column)?,
        })
    }

    pub(crate) fn time(&self, column: &str) -> Result<Timestamp, StoreError> {
        self.opt_time(column)?
            .ok_or_else(|| StoreError::corrupt(column, "NULL"))
    }

    pub(crate) fn opt_time(&self, column: &str) -> Result<Option<Timestamp>, StoreError> {
        match self {
            #[cfg(feature = "_sqlite")]
            Row::Sqlite(row) => row
                .try_get::<Option<&str>, _>(column)?
                .map(|text| parse_time(text).map_err(|e| StoreError::corrupt(column, e)))
                .transpose(),
            #[cfg(feature = "postgres")]
            Row::Postgres(row) => Ok(row.try_get(column)?),
        }
    }
}

/// Reads an RFC 3339 time.
#[cfg(feature = "_sqlite")]
fn parse_time(text: &str) -> Result<Timestamp, chrono::ParseError> {
    chrono::DateTime::parse_from_rfc3339(text).map(|t| t.to_utc())
}

#[cfg(all(test, feature = "_sqlite"))]
mod tests {
    use super::*;

    fn texts(values: &[Value<'_>]) -> Vec<String> {
        values.iter().map(|v| format!("{v:?}")).collect()
    }

    #[test]
    fn placeholders_become_anonymous_in_text_order() {
        let values = [Value::Int(1), Value::Text("two"), Value::Int(3)];
        let (text, ordered) = anonymous_placeholders(
            r#"UPDATE "t" SET "a" = $3, "b" = $2, "c" = $2 WHERE "id" = $1"#,
            &values,
        );
        assert_eq!(
            text,
            r#"UPDATE "t" SET "a" = ?, "b" = ?, "c" = ? WHERE "id" = ?"#
        );
        assert_eq!(
            texts(&ordered),
            texts(&[
                values[2].clone(),
                values[1].clone(),
                values[1].clone(),
                values[0].clone()
            ])
        );
    }

    #[test]
    fn quoted_dollars_and_numbers_past_nine_are_kept_apart() {
        let values: Vec<Value<'_>> = (1..=12).map(Value::Int).collect();
        let (text, ordered) =
            anonymous_placeholders(r#"SELECT '$1', "$2", $12, $1 FROM "x$""#, &values);
        assert_eq!(text, r#"SELECT '$1', "$2", ?, ? FROM "x$""#);
        assert_eq!(texts(&ordered), texts(&[Value::Int(12), Value::Int(1)]));
    }

    #[test]
    fn times_are_fixed_width_utc_text() {
        use chrono::TimeZone as _;
        let whole = chrono::Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        assert_eq!(time_text(&whole), "2024-05-01T12:00:00.000000Z");
        let fine = whole + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(time_text(&fine), "2024-05-01T12:00:00.123456Z");
    }

    #[test]
    fn a_placeholder_without_a_value_is_null() {
        let (text, ordered) = anonymous_placeholders("SELECT $2, $1", &[Value::Int(7)]);
        assert_eq!(text, "SELECT NULL, ?");
        assert_eq!(texts(&ordered), texts(&[Value::Int(7)]));
    }
}
