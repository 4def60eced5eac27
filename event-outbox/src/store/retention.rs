//! Pruning by age: the attempt log, dead deliveries and events. Rows go in batches, each
//! its own short transaction, so that on SQLite (one writer at a time) recording and the
//! worker get the write lock between batches instead of waiting for the whole prune.

use std::time::Duration;

use event_runtime::Timestamp;

use super::sql::{Sql, Value};
use super::{Store, StoreError, chrono_duration};

/// How long rows are kept; `None` keeps them for ever.
///
/// Default: attempts and dead deliveries 30 days, events for ever (they are the
/// application's record; [`Store::erase`] removes what is sensitive in them instead),
/// batches of 1,000 rows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retention {
    /// The attempt log (`delivery_attempts`), by the attempt's time.
    pub attempts: Option<Duration>,
    /// Dead deliveries, by when they were recorded; pending ones are never pruned.
    pub dead_deliveries: Option<Duration>,
    /// Events, by their timestamp. Their deliveries stay (they carry their payloads);
    /// their `event_uuid` becomes NULL.
    pub events: Option<Duration>,
    /// The most rows deleted per transaction.
    pub batch_size: usize,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

impl Default for Retention {
    fn default() -> Self {
        Retention {
            attempts: Some(30 * DAY),
            dead_deliveries: Some(30 * DAY),
            events: None,
            batch_size: 1000,
        }
    }
}

impl Retention {
    /// Keeps the attempt log for `age` (`None`: for ever).
    pub fn attempts(mut self, age: Option<Duration>) -> Self {
        self.attempts = age;
        self
    }

    /// Keeps dead deliveries for `age` (`None`: for ever).
    pub fn dead_deliveries(mut self, age: Option<Duration>) -> Self {
        self.dead_deliveries = age;
        self
    }

    /// Keeps events for `age` (`None`: for ever).
    pub fn events(mut self, age: Option<Duration>) -> Self {
        self.events = age;
        self
    }

    /// Deletes at most `n` rows per transaction (at least 1).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }
}

/// What one prune deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Rows of the attempt log.
    pub attempts: u64,
    /// Dead deliveries.
    pub dead_deliveries: u64,
    /// Events.
    pub events: u64,
}

/// One kind of row to prune: its table, its key, and the condition that makes a row old.
struct Prunable {
    table: &'static str,
    key: &'static str,
    old: &'static str,
}

const ATTEMPTS: Prunable = Prunable {
    table: "{delivery_attempts}",
    key: r#""id""#,
    old: r#""at" < $1"#,
};
const DEAD_DELIVERIES: Prunable = Prunable {
    table: "{deliveries}",
    key: r#""uuid""#,
    old: r#""status" = 'dead' AND "created_at" < $1"#,
};
const EVENTS: Prunable = Prunable {
    table: "{events}",
    key: r#""uuid""#,
    old: r#""timestamp" < $1"#,
};

impl Store {
    /// Deletes what `retention` no longer keeps, as of the database's time, in batches.
    pub async fn prune(&self, retention: &Retention) -> Result<Pruned, StoreError> {
        let now = {
            let mut read = self.read().await?;
            super::sql::database_now(&mut read.conn()).await?
        };
        let before = |age: Option<Duration>| {
            age.map(|age| {
                now.checked_sub_signed(chrono_duration(age))
                    .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
            })
        };
        let batch = retention.batch_size.max(1);
        let mut pruned = Pruned::default();
        if let Some(before) = before(retention.attempts) {
            pruned.attempts = self.prune_batched(&ATTEMPTS, before, batch).await?;
        }
        if let Some(before) = before(retention.dead_deliveries) {
            pruned.dead_deliveries = self.prune_batched(&DEAD_DELIVERIES, before, batch).await?;
        }
        if let Some(before) = before(retention.events) {
            pruned.events = self.prune_batched(&EVENTS, before, batch).await?;
        }
        Ok(pruned)
    }

    /// Deletes the attempt log older than `before`, in batches; how many rows.
    pub async fn prune_attempts(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.prune_batched(&ATTEMPTS, before, Retention::default().batch_size)
            .await
    }

    /// Deletes the old rows of one kind, `batch` per transaction, until none is left.
    async fn prune_batched(
        &self,
        rows: &Prunable,
        before: Timestamp,
        batch: usize,
    ) -> Result<u64, StoreError> {
        let text = format!(
            "DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {old} LIMIT $2)",
            table = rows.table,
            key = rows.key,
            old = rows.old,
        );
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        let mut total = 0;
        loop {
            let mut tx = self.write().await?;
            let mut conn = tx.conn();
            let deleted = Sql::new(&conn, self.tables(), &text)
                .bind(Value::Time(before))
                .bind(Value::Int(limit))
                .execute(&mut conn)
                .await?;
            tx.commit().await?;
            total += deleted;
            if deleted < batch as u64 {
                return Ok(total);
            }
            // Others may write between two batches.
            tokio::task::yield_now().await;
        }
    }
}
