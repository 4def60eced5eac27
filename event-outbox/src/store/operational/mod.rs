//! The operational events: the store's own events (a subscriber disabled, a delivery
//! dead, a secret rotated), recorded in the transaction that makes the change and
//! delivered like any other event to the subscribers subscribed to them.
//!
//! Every catalog has them (the generator adds them), so a project's migrations hold their
//! columns and `event_types` rows. A database without their rows (migrations generated
//! before they existed) records none: the change itself must not fail for want of them.
//!
//! Deliveries of operational events that end dead record no `delivery:dead` event, so a
//! receiver failing on them cannot make more of them.

// The generator's code for the operational events, committed as written (a test keeps it
// current, so rustfmt leaves it alone).
#[rustfmt::skip]
#[allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::all,
    clippy::pedantic
)]
mod events;

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use event_runtime::{StoredEvent, Timestamp};
use uuid::Uuid;

use self::events::{
    OperationalDelivery, OperationalSubscriber, OperationalSubscriberDeliveryDead,
    OperationalSubscriberDisabled, OperationalSubscriberSecretRotated,
};
use super::sql::{Conn, Row, Sql, Value};
use super::{Store, StoreError};

/// The subscriber an operational event is about, read from its row (`name`, `kind`).
pub(super) struct Subject {
    uuid: Uuid,
    name: String,
    kind: String,
}

impl Subject {
    /// From a row with the subscriber's `uuid`, `name` and `kind` under those names, or
    /// with the prefix `subscriber_` (`subscriber_uuid`, ...).
    pub(super) fn read(row: &Row, prefix: &str) -> Result<Subject, StoreError> {
        Ok(Subject {
            uuid: row.uuid(&format!("{prefix}uuid"))?,
            name: row.text(&format!("{prefix}name"))?,
            kind: row.text(&format!("{prefix}kind"))?,
        })
    }

    fn layer(&self) -> OperationalSubscriber {
        OperationalSubscriber {
            uuid: self.uuid,
            name: self.name.clone(),
            kind: self.kind.clone(),
        }
    }
}

/// `operational:subscriber:disabled`.
pub(super) async fn disabled(
    store: &Store,
    conn: &mut Conn<'_>,
    subject: &Subject,
    reason: &str,
    dead_deliveries: u64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let event = OperationalSubscriberDisabled {
        uuid: event_runtime::new_event_id(),
        timestamp: now,
        operational_subscriber: subject.layer(),
        reason: reason.to_owned(),
        dead_deliveries: i64::try_from(dead_deliveries).unwrap_or(i64::MAX),
    };
    record(store, conn, &[&event]).await
}

/// `operational:subscriber:secret-rotated`.
pub(super) async fn secret_rotated(
    store: &Store,
    conn: &mut Conn<'_>,
    subject: &Subject,
    previous_secret_expires_at: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let event = OperationalSubscriberSecretRotated {
        uuid: event_runtime::new_event_id(),
        timestamp: now,
        operational_subscriber: subject.layer(),
        previous_secret_expires_at,
    };
    record(store, conn, &[&event]).await
}

/// `operational:subscriber:delivery:dead` for each of `deliveries` just ended dead,
/// except those of operational events.
pub(super) async fn deliveries_dead(
    store: &Store,
    conn: &mut Conn<'_>,
    deliveries: &[Uuid],
    now: Timestamp,
) -> Result<bool, StoreError> {
    if deliveries.is_empty() {
        return Ok(false);
    }
    let mut sql = Sql::new(
        conn,
        store.tables(),
        r#"SELECT d."uuid", d."event_uuid", d."event_type", d."attempts", d."last_error",
           s."uuid" AS "subscriber_uuid", s."name" AS "subscriber_name", s."kind" AS "subscriber_kind"
           FROM {deliveries} d JOIN {subscribers} s ON s."uuid" = d."subscriber_uuid"
           WHERE d."event_type" NOT LIKE 'operational:%' AND d."uuid" IN "#,
    );
    sql.list(deliveries.iter().map(|d| Value::Uuid(*d)));
    sql.push(r#" ORDER BY d."uuid""#);
    let mut events = Vec::new();
    for row in sql.fetch_all(conn).await? {
        events.push(OperationalSubscriberDeliveryDead {
            uuid: event_runtime::new_event_id(),
            timestamp: now,
            operational_subscriber: Subject::read(&row, "subscriber_")?.layer(),
            operational_delivery: OperationalDelivery {
                uuid: row.uuid("uuid")?,
                event_uuid: row.opt_uuid("event_uuid")?,
                event_type: row.text("event_type")?,
                attempts: row.int("attempts")?,
                last_error: row.opt_text("last_error")?,
            },
        });
    }
    let events: Vec<&dyn StoredEvent> = events.iter().map(|e| e as &dyn StoredEvent).collect();
    record(store, conn, &events).await
}

/// Records `events` when the database knows their types; whether deliveries were
/// recorded (the caller wakes the workers after its commit).
async fn record(
    store: &Store,
    conn: &mut Conn<'_>,
    events: &[&dyn StoredEvent],
) -> Result<bool, StoreError> {
    let Some(first) = events.first() else {
        return Ok(false);
    };
    // Their types came with one migration: one tells for all.
    let known = Sql::new(
        conn,
        store.tables(),
        r#"SELECT 1 AS "known" FROM {event_types} WHERE "name" = $1"#,
    )
    .bind(Value::Text(first.event_type()))
    .fetch_optional(conn)
    .await?
    .is_some();
    if !known {
        warn_once(first.event_type());
        return Ok(false);
    }
    let mut notified = false;
    super::record::record(store, conn, events, &mut notified).await?;
    Ok(notified)
}

/// Says once per process and type that the database lacks an operational event type.
fn warn_once(event_type: &'static str) {
    static WARNED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    if WARNED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(event_type)
    {
        tracing::warn!(
            event_type,
            "the database has no `event_types` row for this operational event: none is recorded; \
             run `eventgen generate` and apply the migration it adds"
        );
    }
}
