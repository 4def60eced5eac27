//! Recording events and their deliveries in the caller's transaction (the transactional
//! outbox): the `Recorder` of generated `register_<type>_event` functions.
//!
//! One event costs three statements on SQLite: its row, the subscriptions of its type,
//! and one multi-row insert of its deliveries; two on PostgreSQL, where the lookup rides
//! on the event's insert (a data-modifying `WITH`). A batch costs one insert per set of
//! non-NULL columns, one lookup for all its types, and multi-row inserts of all
//! deliveries.

use std::collections::{BTreeSet, HashMap};

use event_runtime::{ColumnValue, EventId, Recorder, StoredEvent};
use uuid::Uuid;

use event_runtime::schema::Tables;

use super::sql::{Conn, MAX_PARAMS, Row, Sql, Value, database_now, quote};
use super::subscription::{Scope, SubscriberKind};
use super::{NOTIFY_CHANNEL, Store, StoreError, WriteTx};
use crate::stream::StreamPayload;

/// A write transaction of the store: record events in it (it is a [`Recorder`]), run
/// statements of your own on [`Transaction::conn`], then commit. Dropping it rolls back.
pub struct Transaction {
    store: Store,
    tx: WriteTx,
    notified: bool,
}

impl Transaction {
    pub(super) async fn begin(store: Store) -> Result<Transaction, StoreError> {
        let tx = store.write().await?;
        Ok(Transaction {
            store,
            tx,
            notified: false,
        })
    }

    /// The transaction's connection, for statements of the caller's own.
    pub fn conn(&mut self) -> Conn<'_> {
        self.tx.conn()
    }

    /// Records many events with few statements; their ids, in order.
    pub async fn record_batch(
        &mut self,
        events: &[&dyn StoredEvent],
    ) -> Result<Vec<EventId>, StoreError> {
        let mut conn = self.tx.conn();
        record(&self.store, &mut conn, events, &mut self.notified).await
    }

    /// Commits, then wakes the workers of this process when deliveries were recorded.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.store.commit_waking(self.tx, self.notified).await
    }

    /// Rolls back: nothing recorded in it remains.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await
    }
}

impl Recorder for Transaction {
    async fn record<'a>(
        &'a mut self,
        event: &'a dyn StoredEvent,
    ) -> event_runtime::Result<EventId> {
        let ids = self.record_batch(&[event]).await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| StoreError::invalid("recording", "no id returned").into())
    }
}

/// Records into a transaction of the caller's own connection ([`Store::recorder`]).
pub struct Recording<'c> {
    store: &'c Store,
    conn: Conn<'c>,
    notified: bool,
}

impl<'c> Recording<'c> {
    pub(super) fn new(store: &'c Store, conn: Conn<'c>) -> Self {
        Recording {
            store,
            conn,
            notified: false,
        }
    }

    /// Records many events with few statements; their ids, in order.
    pub async fn record_batch(
        &mut self,
        events: &[&dyn StoredEvent],
    ) -> Result<Vec<EventId>, StoreError> {
        record(self.store, &mut self.conn, events, &mut self.notified).await
    }

    /// Whether deliveries were recorded (call [`Store::wake`] after committing).
    pub fn recorded_deliveries(&self) -> bool {
        self.notified
    }
}

impl Recorder for Recording<'_> {
    async fn record<'a>(
        &'a mut self,
        event: &'a dyn StoredEvent,
    ) -> event_runtime::Result<EventId> {
        let ids = self.record_batch(&[event]).await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| StoreError::invalid("recording", "no id returned").into())
    }
}

/// One `deliveries` row to insert.
struct NewDelivery<'e> {
    uuid: Uuid,
    event: &'e dyn StoredEvent,
    subscriber: Uuid,
    payload: usize,
}

/// A subscription as recording needs it.
struct Target {
    event_type: String,
    subscriber: Uuid,
    /// Whether it receives the telemetry payload (the analytics subscriber, and streams
    /// of telemetry) rather than the notification.
    telemetry: bool,
    scope: Vec<(String, String)>,
}

/// Inserts the events and one delivery per enabled subscriber with a matching
/// subscription; on PostgreSQL the first delivery insert of a transaction also notifies
/// [`NOTIFY_CHANNEL`] (delivered at commit). `notified` says whether deliveries were
/// recorded in this transaction before.
pub(super) async fn record(
    store: &Store,
    conn: &mut Conn<'_>,
    events: &[&dyn StoredEvent],
    notified: &mut bool,
) -> Result<Vec<EventId>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let targets = insert_events(conn, store.tables(), events).await?;
    let telemetry = store.config().telemetry.as_ref();
    // Payloads are computed once per event and kind, only when someone receives them.
    let mut payloads: Vec<String> = Vec::new();
    let mut deliveries: Vec<NewDelivery<'_>> = Vec::new();
    for &event in events {
        let Some(candidates) = targets.get(event.event_type()) else {
            continue;
        };
        let scopes = event.scopes();
        let (mut notification, mut analytics) = (None, None);
        let mut seen = BTreeSet::new();
        for target in candidates {
            if !matches(&target.scope, &scopes) || !seen.insert(target.subscriber) {
                continue;
            }
            let payload = if target.telemetry {
                let Some(key) = telemetry else {
                    continue;
                };
                match analytics {
                    Some(index) => index,
                    None => {
                        payloads.push(event.telemetry_json(key)?);
                        *analytics.insert(payloads.len() - 1)
                    }
                }
            } else {
                match notification {
                    Some(index) => index,
                    None => {
                        payloads.push(event.notification_json()?);
                        *notification.insert(payloads.len() - 1)
                    }
                }
            };
            deliveries.push(NewDelivery {
                uuid: Uuid::now_v7(),
                event,
                subscriber: target.subscriber,
                payload,
            });
        }
    }
    if !deliveries.is_empty() {
        insert_deliveries(conn, store.tables(), &deliveries, &payloads, !*notified).await?;
        *notified = true;
    }
    Ok(events.iter().map(|e| EventId(e.uuid())).collect())
}

/// Whether an event carrying `scopes` matches a subscription scoped by `scope`: every
/// value the subscription names, the event carries (a global subscription names none).
fn matches(scope: &[(String, String)], scopes: &[(&'static str, String)]) -> bool {
    scope
        .iter()
        .all(|(column, value)| scopes.iter().any(|(c, v)| c == column && v == value))
}

/// Inserts the `events` rows, one multi-row insert per set of non-NULL columns (NULL
/// columns are left out rather than bound, so that no untyped NULL meets a typed column),
/// and looks up the subscriptions to their types in the same call as the last insert,
/// saving a round trip: on PostgreSQL in its statement, on SQLite as a second statement
/// of the same query (the per-statement hand-off to sqlx's connection thread is most of
/// what a small transaction costs there).
async fn insert_events(
    conn: &mut Conn<'_>,
    tables: &Tables,
    events: &[&dyn StoredEvent],
) -> Result<HashMap<String, Vec<Target>>, StoreError> {
    let mut rows = Vec::with_capacity(events.len());
    for &event in events {
        let columns: Vec<(&'static str, ColumnValue<'_>)> = event
            .columns()?
            .into_iter()
            .filter(|(_, value)| !matches!(value, ColumnValue::Null))
            .collect();
        rows.push((event, columns));
    }
    // Group rows by their column names, keeping the order of first appearance.
    let mut groups: Vec<(Vec<&'static str>, Vec<usize>)> = Vec::new();
    for (index, (_, columns)) in rows.iter().enumerate() {
        let names: Vec<&'static str> = columns.iter().map(|(name, _)| *name).collect();
        match groups.iter_mut().find(|(n, _)| *n == names) {
            Some((_, members)) => members.push(index),
            None => groups.push((names, vec![index])),
        }
    }
    let types: BTreeSet<&str> = events.iter().map(|e| e.event_type()).collect();
    let mut remaining = groups
        .iter()
        .map(|(names, members)| {
            members
                .len()
                .div_ceil((MAX_PARAMS / (names.len() + 3)).max(1))
        })
        .sum::<usize>();
    for (names, members) in &groups {
        let per_row = names.len() + 3;
        for chunk in members.chunks((MAX_PARAMS / per_row).max(1)) {
            remaining -= 1;
            let lookup = remaining == 0;
            let postgres = conn.is_postgres();
            let mut sql = Sql::new(conn, tables, "");
            if lookup && postgres {
                sql.push(r#"WITH "recorded" AS ("#);
            }
            sql.push(r#"INSERT INTO {events} ("uuid", "type", "timestamp""#);
            for name in names {
                sql.push(", ").push(&quote(name));
            }
            sql.push(") VALUES ");
            for (i, &index) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let (event, columns) = &rows[index];
                let values = [
                    Value::Uuid(event.uuid()),
                    Value::Text(event.event_type()),
                    Value::Time(event.timestamp()),
                ]
                .into_iter()
                .chain(columns.iter().map(|(_, value)| column_value(value)));
                sql.list(values);
            }
            if lookup {
                sql.push(if postgres { r#" RETURNING 1) "# } else { "; " });
                subscriptions_query(&mut sql, &types);
                return targets(sql.fetch_all(conn).await?);
            }
            sql.execute(conn).await?;
        }
    }
    let mut sql = Sql::new(conn, tables, "");
    subscriptions_query(&mut sql, &types);
    targets(sql.fetch_all(conn).await?)
}

/// A column value as a bound value.
fn column_value<'a>(value: &'a ColumnValue<'a>) -> Value<'a> {
    match value {
        ColumnValue::Null => Value::OptText(None),
        ColumnValue::Uuid(v) => Value::Uuid(*v),
        ColumnValue::Text(v) => Value::Text(v),
        ColumnValue::Int(v) => Value::Int(*v),
        ColumnValue::Float(v) => Value::Float(*v),
        ColumnValue::Bool(v) => Value::Bool(*v),
        ColumnValue::Timestamp(v) => Value::Time(*v),
        ColumnValue::Json(v) => Value::Json(v),
    }
}

/// Appends the lookup of the subscriptions of enabled subscribers to `types`.
fn subscriptions_query<'a>(sql: &mut Sql<'a>, types: &BTreeSet<&'a str>) {
    sql.push(
        r#"SELECT s."event_type", s."subscriber_uuid", s."scope", sub."kind", sub."stream_payload"
           FROM {subscriptions} s JOIN {subscribers} sub ON sub."uuid" = s."subscriber_uuid"
           WHERE sub."enabled" AND s."event_type" IN "#,
    );
    sql.list(types.iter().map(|t| Value::Text(t)));
}

/// The subscriptions looked up, by event type.
fn targets(rows: Vec<Row>) -> Result<HashMap<String, Vec<Target>>, StoreError> {
    let mut targets: HashMap<String, Vec<Target>> = HashMap::new();
    for row in rows {
        let scope = row.text("scope")?;
        let telemetry = match SubscriberKind::read(&row)? {
            SubscriberKind::Analytics => true,
            SubscriberKind::Stream => {
                row.opt_text("stream_payload")?.as_deref()
                    == Some(StreamPayload::Telemetry.as_str())
            }
            SubscriberKind::Webhook => false,
        };
        let target = Target {
            event_type: row.text("event_type")?,
            subscriber: row.uuid("subscriber_uuid")?,
            telemetry,
            scope: Scope::parse_stored(&scope)?.into_pairs(),
        };
        targets
            .entry(target.event_type.clone())
            .or_default()
            .push(target);
    }
    Ok(targets)
}

/// Inserts the deliveries, due now; `notify` also notifies [`NOTIFY_CHANNEL`] on
/// PostgreSQL, in the same statement.
async fn insert_deliveries(
    conn: &mut Conn<'_>,
    tables: &Tables,
    deliveries: &[NewDelivery<'_>],
    payloads: &[String],
    notify: bool,
) -> Result<(), StoreError> {
    // Due on the clock claims compare with (see `database_now`).
    let now = database_now(conn).await?;
    let rows: Vec<_> = deliveries
        .iter()
        .map(|delivery| {
            [
                Value::Uuid(delivery.uuid),
                Value::Uuid(delivery.event.uuid()),
                Value::Text(delivery.event.event_type()),
                Value::Time(delivery.event.timestamp()),
                Value::Uuid(delivery.subscriber),
                Value::Text(&payloads[delivery.payload]),
                Value::Time(now),
                Value::Time(now),
            ]
        })
        .collect();
    let columns = r#""uuid", "event_uuid", "event_type", "event_timestamp", "subscriber_uuid", "payload", "next_attempt_at", "created_at""#;
    insert_rows(conn, tables, columns, &rows, notify).await
}

/// Inserts `rows` of `columns` into `deliveries`, in statements as large as the backends
/// bind; `notify` also notifies [`NOTIFY_CHANNEL`] on PostgreSQL, in the first statement.
async fn insert_rows<const N: usize>(
    conn: &mut Conn<'_>,
    tables: &Tables,
    columns: &str,
    rows: &[[Value<'_>; N]],
    notify: bool,
) -> Result<(), StoreError> {
    let mut notify = notify && conn.is_postgres();
    for chunk in rows.chunks(MAX_PARAMS / N) {
        let mut sql = Sql::new(conn, tables, "");
        if notify {
            sql.push("WITH inserted AS (");
        }
        sql.push(r#"INSERT INTO {deliveries} ("#)
            .push(columns)
            .push(") VALUES ");
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.list(row.iter().cloned());
        }
        if notify {
            sql.push(") SELECT pg_notify('")
                .push(NOTIFY_CHANNEL)
                .push("', '')");
            notify = false;
        }
        sql.execute(conn).await?;
    }
    Ok(())
}

// Analytics-only events (the relay's client events): added for the relay, separate from
// the recording of stored events above.

impl Transaction {
    /// Records analytics-only events (never stored, e.g. the client events the relay
    /// accepted): one delivery each for the analytics subscriber, which the worker sends
    /// like any other. They have no `events` row (the delivery's `event_uuid` is NULL) and
    /// no subscription (their types are not in `event_types`). Nothing is recorded while
    /// telemetry is disabled or without an enabled analytics subscriber. Returns how many
    /// deliveries were recorded.
    pub async fn record_telemetry(
        &mut self,
        events: &[&dyn event_runtime::TelemetryEvent],
    ) -> Result<usize, StoreError> {
        let Some(key) = self.store.config().telemetry.clone() else {
            return Ok(0);
        };
        let mut conn = self.tx.conn();
        let analytics = Sql::new(
            &conn,
            self.store.tables(),
            r#"SELECT "uuid" FROM {subscribers} WHERE "kind" = 'analytics' AND "enabled""#,
        )
        .fetch_optional(&mut conn)
        .await?;
        let (Some(subscriber), false) = (analytics, events.is_empty()) else {
            return Ok(0);
        };
        let subscriber = subscriber.uuid("uuid")?;
        let payloads = events
            .iter()
            .map(|event| event.telemetry_json(&key))
            .collect::<Result<Vec<String>, _>>()?;
        let notify = !self.notified;
        insert_telemetry_deliveries(
            &mut conn,
            self.store.tables(),
            events,
            &payloads,
            subscriber,
            notify,
        )
        .await?;
        self.notified = true;
        Ok(events.len())
    }
}

/// Inserts one delivery per event for `subscriber`, due now, without `event_uuid`;
/// `notify` as in [`insert_deliveries`].
async fn insert_telemetry_deliveries(
    conn: &mut Conn<'_>,
    tables: &Tables,
    events: &[&dyn event_runtime::TelemetryEvent],
    payloads: &[String],
    subscriber: Uuid,
    notify: bool,
) -> Result<(), StoreError> {
    // Due on the clock claims compare with, as in `insert_deliveries`.
    let now = database_now(conn).await?;
    let rows: Vec<_> = events
        .iter()
        .zip(payloads)
        .map(|(event, payload)| {
            [
                Value::Uuid(Uuid::now_v7()),
                Value::Text(event.event_type()),
                Value::Time(event.timestamp()),
                Value::Uuid(subscriber),
                Value::Text(payload),
                Value::Time(now),
                Value::Time(now),
            ]
        })
        .collect();
    let columns = r#""uuid", "event_type", "event_timestamp", "subscriber_uuid", "payload", "next_attempt_at", "created_at""#;
    insert_rows(conn, tables, columns, &rows, notify).await
}
