//! Claiming due deliveries under a lease, completing them with the attempt's outcome,
//! and the dead letters.
//!
//! A claim sets `leased_by` to a token of its own and moves `next_attempt_at` to the end of
//! the lease, so one index (pending rows by `next_attempt_at`) finds both due rows and rows
//! whose lease expired. Completion only applies while the row still carries the claim's
//! token, so a worker whose lease expired cannot overwrite the next owner's result.
//! Delivered rows are deleted; their attempts stay in `delivery_attempts` until
//! [`Store::prune_attempts`].

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use event_runtime::Timestamp;
use uuid::Uuid;

use event_runtime::schema::Tables;

use super::operational;
use super::retry::{MAX_RETRY_DELAY, RetrySchedule};
use super::sql::{Conn, Row, Sql, Value, database_now};
use super::subscribers::{disable, stream_settings, webhook_tls};
use super::subscription::SubscriberKind;
use super::{NOTIFY_CHANNEL, Store, StoreError, chrono_duration};
use crate::delivery::ContentType;
use crate::secret::{Secret, SecretKey};
use crate::stream::StreamSettings;
use crate::tls::WebhookTls;
use crate::{Attempt, Outcome};

/// The longest `detail` kept in the attempt log, in bytes.
const MAX_DETAIL: usize = 2048;

/// The hold of one claim on its deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The token in `leased_by`: the worker's name and a fresh id.
    pub token: String,
    /// When the deliveries become claimable again.
    pub expires_at: Timestamp,
}

/// Where and how a claimed delivery goes: its subscriber as the sender needs it.
#[derive(Clone)]
#[non_exhaustive]
pub struct Target {
    /// The subscriber.
    pub uuid: Uuid,
    /// Webhook, analytics or stream.
    pub kind: SubscriberKind,
    /// Its name.
    pub name: String,
    /// Its URL (webhooks), or its NATS server (streams).
    pub url: Option<String>,
    /// A stream's subject prefix and payload (streams).
    pub stream: Option<StreamSettings>,
    /// How webhook bodies are encoded.
    pub content_type: ContentType,
    /// How a webhook's server certificate is checked.
    pub tls: WebhookTls,
    /// The secrets to sign with, current first (webhooks).
    pub secrets: Vec<Secret>,
    /// Whether it is enabled; a disabled subscriber's deliveries are not sent.
    pub enabled: bool,
    /// Whether its failure window was open when it was claimed (`failing_since` set): a
    /// success then closes it; otherwise a success writes nothing to the subscriber.
    pub failing: bool,
    /// Why the secrets could not be read, if they could not (the delivery is refused).
    pub secret_error: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("uuid", &self.uuid)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("url", &crate::redact::Redacted(self.url.as_deref()))
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// One claimed delivery.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClaimedDelivery {
    /// Its id (the `webhook-id`).
    pub uuid: Uuid,
    /// The event's type.
    pub event_type: String,
    /// When the event happened.
    pub event_timestamp: Timestamp,
    /// The payload computed when the event was recorded.
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// Its subscriber.
    pub target: Arc<Target>,
}

/// Deliveries claimed together, under one lease.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The lease.
    pub lease: Lease,
    /// The deliveries, oldest due first.
    pub deliveries: Vec<ClaimedDelivery>,
}

/// The outcome of one claimed delivery's attempt, to complete it with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Completion {
    /// The delivery.
    pub delivery: Uuid,
    /// Its subscriber.
    pub subscriber: Uuid,
    /// The lease token it was claimed under.
    pub lease: String,
    /// Its attempt count after the claim.
    pub attempts: u32,
    /// What the attempt came to.
    pub attempt: Attempt,
    /// Whether the subscriber's failure window was open at the claim
    /// ([`Target::failing`]).
    pub subscriber_failing: bool,
}

impl Completion {
    /// The completion of `delivery`, claimed under `lease`, with what its attempt came to.
    pub fn new(delivery: &ClaimedDelivery, lease: &str, attempt: Attempt) -> Completion {
        Completion {
            delivery: delivery.uuid,
            subscriber: delivery.target.uuid,
            lease: lease.to_owned(),
            attempts: delivery.attempts,
            attempt,
            subscriber_failing: delivery.target.failing,
        }
    }
}

/// A delivery that ran out of attempts or was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadDelivery {
    /// Its id.
    pub uuid: Uuid,
    /// The event, unless it was deleted since.
    pub event_uuid: Option<Uuid>,
    /// The event's type.
    pub event_type: String,
    /// The subscriber.
    pub subscriber: Uuid,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When it was recorded.
    pub created_at: Timestamp,
}

/// One row of the attempt log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptRecord {
    /// The delivery.
    pub delivery: Uuid,
    /// The subscriber.
    pub subscriber: Uuid,
    /// Which attempt (1 for the first).
    pub attempt: u32,
    /// `delivered`, `retry`, `gone` or `refused`.
    pub outcome: String,
    /// The HTTP status; 0 when no response arrived.
    pub status_code: u16,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// The start of the response body, or the error.
    pub detail: String,
    /// When it was made.
    pub at: Timestamp,
    /// When the next attempt is due, if there is one.
    pub next_attempt_at: Option<Timestamp>,
}

/// How many deliveries wait, and how many are dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    /// Pending deliveries (due, scheduled or leased).
    pub pending: u64,
    /// Dead deliveries.
    pub dead: u64,
}

impl Store {
    /// Claims up to `limit` due deliveries for `lease_for` (PostgreSQL: `FOR UPDATE SKIP
    /// LOCKED`, so concurrent workers never claim the same row; SQLite: inside
    /// `BEGIN IMMEDIATE`). `worker` names the claimant in `leased_by`. Due times and the
    /// lease are the database's time, never the caller's.
    pub async fn claim(
        &self,
        worker: &str,
        limit: usize,
        lease_for: Duration,
    ) -> Result<Claim, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let now = database_now(&mut conn).await?;
        let lease = Lease {
            token: format!("{}/{}", storable(worker), Uuid::new_v4()),
            expires_at: later(now, lease_for),
        };
        let skip_locked = if conn.is_postgres() {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let text = format!(
            r#"UPDATE {{deliveries}} SET "attempts" = "attempts" + 1, "leased_by" = $1,
               "lease_expires_at" = $2, "next_attempt_at" = $2
               WHERE "uuid" IN (SELECT "uuid" FROM {{deliveries}}
                   WHERE "status" = 'pending' AND "next_attempt_at" <= $3
                   ORDER BY "next_attempt_at" LIMIT $4{skip_locked})
               RETURNING "uuid", "event_type", "event_timestamp", "subscriber_uuid", "payload", "attempts""#
        );
        let rows = Sql::new(&conn, self.tables(), &text)
            .bind(Value::Text(&lease.token))
            .bind(Value::Time(lease.expires_at))
            .bind(Value::Time(now))
            .bind(Value::Int(limit))
            .fetch_all(&mut conn)
            .await?;
        let subscribers: BTreeSet<Uuid> = rows
            .iter()
            .map(|row| row.uuid("subscriber_uuid"))
            .collect::<Result<_, _>>()?;
        let targets = targets(
            &mut conn,
            self.tables(),
            &subscribers,
            now,
            &self.config().secret_keys,
        )
        .await?;
        tx.commit().await?;
        let mut deliveries = rows
            .iter()
            .map(|row| claimed_delivery(row, &targets))
            .collect::<Result<Vec<_>, _>>()?;
        deliveries.sort_by_key(|d| d.uuid);
        Ok(Claim { lease, deliveries })
    }

    /// Completes attempts: delivered ⇒ the row is deleted; retry ⇒ rescheduled by the
    /// retry schedule (at least `not_before`), or dead after the last attempt; gone ⇒ the
    /// subscriber is disabled and the delivery dead; refused ⇒ dead. Every attempt goes to
    /// the log, and moves its subscriber's failure window. Completions whose lease was
    /// lost are ignored; returns how many applied.
    ///
    /// What a response put in an attempt's detail is made storable on both backends
    /// first (no NUL, at most 2,048 bytes). When the database still refuses the
    /// batch, it is written again in halves, down to single completions, so that one bad
    /// row does not send the others again after their lease; a completion that cannot be
    /// written even alone ends its delivery dead, with the database's reason. An error
    /// of the connection (not a refusal) is returned as is: nothing is ended for it.
    pub async fn complete(&self, completions: &[Completion]) -> Result<usize, StoreError> {
        let error = match self.complete_batch(completions).await {
            Err(error) if error.refused_by_database() && !completions.is_empty() => error,
            other => return other,
        };
        tracing::warn!(%error, deliveries = completions.len(), "the database refused a batch of completions; writing it in parts");
        let mut applied = 0;
        let (first, second) = completions.split_at(completions.len() / 2);
        let mut parts = vec![second, first];
        let mut last_error = error;
        while let Some(part) = parts.pop() {
            if part.is_empty() {
                continue;
            }
            match self.complete_batch(part).await {
                Ok(n) => applied += n,
                Err(error) if !error.refused_by_database() => return Err(error),
                Err(error) if part.len() > 1 => {
                    let (first, second) = part.split_at(part.len() / 2);
                    parts.extend([second, first]);
                    last_error = error;
                }
                Err(error) => {
                    applied += self.end_unwritable(&part[0], &error).await?;
                    last_error = error;
                }
            }
        }
        tracing::debug!(error = %last_error, applied, "completions written in parts");
        Ok(applied)
    }

    /// Ends a delivery whose completion the database refuses: dead, with the reason, and
    /// without an attempt in the log (writing it may be what fails). Fenced by the lease.
    async fn end_unwritable(
        &self,
        completion: &Completion,
        error: &StoreError,
    ) -> Result<usize, StoreError> {
        tracing::error!(delivery = %completion.delivery, %error, "a completion cannot be written; the delivery is ended dead");
        let reason = format!(
            "its attempt ({}) could not be recorded: {error}",
            outcome_name(completion.attempt.outcome)
        );
        let reason = storable(&reason);
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let ended = dead(&conn, self.tables(), completion, &reason)
            .execute(&mut conn)
            .await?;
        let now = database_now(&mut conn).await?;
        let recorded = ended > 0
            && operational::deliveries_dead(self, &mut conn, &[completion.delivery], now).await?;
        self.commit_waking(tx, recorded).await?;
        Ok(usize::from(ended > 0))
    }

    /// Completes attempts in one transaction (see [`Store::complete`]).
    async fn complete_batch(&self, completions: &[Completion]) -> Result<usize, StoreError> {
        if completions.is_empty() {
            return Ok(0);
        }
        let schedule = &self.config().retry;
        let details: Vec<Cow<'_, str>> = completions
            .iter()
            .map(|c| storable(&c.attempt.detail))
            .collect();
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let now = database_now(&mut conn).await?;
        let mut applied = Vec::with_capacity(completions.len());
        let mut windows = FailureWindows::default();
        let delivered = delete_delivered(&mut conn, self.tables(), completions).await?;
        for (completion, detail) in completions.iter().zip(&details) {
            let (sql, next) =
                completion_statement(&conn, self.tables(), schedule, completion, detail, now);
            let held = match sql {
                None => delivered.contains(&completion.delivery),
                Some(sql) => sql.execute(&mut conn).await? > 0,
            };
            if !held {
                continue; // The lease was lost: the next owner decides.
            }
            windows.count(completion);
            applied.push((completion, next, detail.as_ref()));
        }
        log_attempts(&mut conn, self.tables(), &applied, now).await?;
        lock_subscribers(&mut conn, self.tables(), &windows).await?;
        let dead: Vec<Uuid> = applied
            .iter()
            .filter(|(completion, next, _)| {
                next.is_none() && completion.attempt.outcome != Outcome::Delivered
            })
            .map(|(completion, ..)| completion.delivery)
            .collect();
        let mut recorded = operational::deliveries_dead(self, &mut conn, &dead, now).await?;
        for subscriber in &windows.gone {
            let reason = "the endpoint answered 410 Gone";
            recorded |= disable(self, &mut conn, *subscriber, reason, now).await?;
        }
        recorded |= track_failures(self, &mut conn, &windows, now).await?;
        self.commit_waking(tx, recorded).await?;
        Ok(applied.len())
    }

    /// Gives claimed deliveries back without an attempt (a worker shutting down): due at
    /// once, their attempt count restored. Returns how many were still held.
    pub async fn release(&self, lease: &str, deliveries: &[Uuid]) -> Result<u64, StoreError> {
        if deliveries.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let now = database_now(&mut conn).await?;
        let mut sql = Sql::new(
            &conn,
            self.tables(),
            r#"UPDATE {deliveries} SET "leased_by" = NULL, "lease_expires_at" = NULL,
               "next_attempt_at" = $1, "attempts" = "attempts" - 1
               WHERE "leased_by" = $2 AND "uuid" IN "#,
        )
        .bind(Value::Time(now))
        .bind(Value::Text(lease));
        sql.list(deliveries.iter().map(|d| Value::Uuid(*d)));
        let released = sql.execute(&mut conn).await?;
        tx.commit().await?;
        Ok(released)
    }

    /// Dead deliveries, oldest first, of one subscriber or of all.
    pub async fn dead_deliveries(
        &self,
        subscriber: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<DeadDelivery>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let mut sql = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT "uuid", "event_uuid", "event_type", "subscriber_uuid", "attempts", "last_error", "created_at"
               FROM {deliveries} WHERE "status" = 'dead'"#,
        );
        if let Some(subscriber) = subscriber {
            sql.push(r#" AND "subscriber_uuid" = "#)
                .param(Value::Uuid(subscriber));
        }
        sql.push(r#" ORDER BY "created_at", "uuid" LIMIT "#)
            .param(Value::Int(i64::from(limit)));
        sql.fetch_all(&mut conn)
            .await?
            .iter()
            .map(|row| {
                Ok(DeadDelivery {
                    uuid: row.uuid("uuid")?,
                    event_uuid: row.opt_uuid("event_uuid")?,
                    event_type: row.text("event_type")?,
                    subscriber: row.uuid("subscriber_uuid")?,
                    attempts: u32::try_from(row.int("attempts")?).unwrap_or(u32::MAX),
                    last_error: row.opt_text("last_error")?,
                    created_at: row.time("created_at")?,
                })
            })
            .collect()
    }

    /// Makes dead deliveries pending again, due now with a fresh schedule, when their
    /// subscriber is enabled; `None` redrives every dead delivery of such subscribers.
    /// Returns how many.
    pub async fn redrive(&self, deliveries: Option<&[Uuid]>) -> Result<u64, StoreError> {
        self.redrive_where(None, deliveries).await
    }

    /// [`Store::redrive`] of one subscriber's dead deliveries only: all of them, or those
    /// of `deliveries` that are its own (the others are left as they are). Nothing when
    /// the subscriber is disabled. Returns how many.
    pub async fn redrive_subscriber(
        &self,
        subscriber: Uuid,
        deliveries: Option<&[Uuid]>,
    ) -> Result<u64, StoreError> {
        self.redrive_where(Some(subscriber), deliveries).await
    }

    async fn redrive_where(
        &self,
        subscriber: Option<Uuid>,
        deliveries: Option<&[Uuid]>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let now = database_now(&mut conn).await?;
        let mut sql = Sql::new(
            &conn,
            self.tables(),
            r#"UPDATE {deliveries} SET "status" = 'pending', "attempts" = 0, "next_attempt_at" = $1,
               "leased_by" = NULL, "lease_expires_at" = NULL
               WHERE "status" = 'dead'
               AND "subscriber_uuid" IN (SELECT "uuid" FROM {subscribers} WHERE "enabled")"#,
        )
        .bind(Value::Time(now));
        if let Some(subscriber) = subscriber {
            sql.push(r#" AND "subscriber_uuid" = "#)
                .param(Value::Uuid(subscriber));
        }
        if let Some(deliveries) = deliveries {
            if deliveries.is_empty() {
                return Ok(0);
            }
            sql.push(r#" AND "uuid" IN "#);
            sql.list(deliveries.iter().map(|d| Value::Uuid(*d)));
        }
        let redriven = sql.execute(&mut conn).await?;
        if redriven > 0 && conn.is_postgres() {
            notify(&mut conn, self.tables()).await?;
        }
        tx.commit().await?;
        if redriven > 0 {
            self.wake();
        }
        Ok(redriven)
    }

    /// The attempt log of one delivery, in order.
    pub async fn attempts(&self, delivery: Uuid) -> Result<Vec<AttemptRecord>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let sql = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT "delivery_uuid", "subscriber_uuid", "attempt", "outcome", "status_code",
               "duration_ms", "detail", "at", "next_attempt_at"
               FROM {delivery_attempts} WHERE "delivery_uuid" = $1 ORDER BY "id""#,
        )
        .bind(Value::Uuid(delivery));
        sql.fetch_all(&mut conn)
            .await?
            .iter()
            .map(attempt_record)
            .collect()
    }

    /// A subscriber as the senders need it, with its secrets (current first), e.g. to
    /// send it a test delivery; `None` when it does not exist.
    #[cfg_attr(not(feature = "router"), allow(dead_code))]
    pub(crate) async fn target(&self, subscriber: Uuid) -> Result<Option<Arc<Target>>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let now = database_now(&mut conn).await?;
        let wanted = BTreeSet::from([subscriber]);
        let mut found = targets(
            &mut conn,
            self.tables(),
            &wanted,
            now,
            &self.config().secret_keys,
        )
        .await?;
        Ok(found.remove(&subscriber))
    }

    /// How many deliveries are pending and dead.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let rows = Sql::new(
            &conn,
            self.tables(),
            r#"SELECT "status", COUNT(*) AS "n" FROM {deliveries} GROUP BY "status""#,
        )
        .fetch_all(&mut conn)
        .await?;
        let mut counts = OutboxCounts::default();
        for row in rows {
            let n = u64::try_from(row.int("n")?).unwrap_or(0);
            match row.text("status")?.as_str() {
                "pending" => counts.pending = n,
                _ => counts.dead = n,
            }
        }
        Ok(counts)
    }
}

/// Deletes the delivered deliveries whose leases are still held, with one statement per
/// lease (not one per delivery); returns those deleted.
async fn delete_delivered(
    conn: &mut Conn<'_>,
    tables: &Tables,
    completions: &[Completion],
) -> Result<BTreeSet<Uuid>, StoreError> {
    let mut by_lease: HashMap<&str, Vec<Uuid>> = HashMap::new();
    for completion in completions {
        if completion.attempt.outcome == Outcome::Delivered {
            let uuids = by_lease.entry(completion.lease.as_str()).or_default();
            uuids.push(completion.delivery);
        }
    }
    let mut deleted = BTreeSet::new();
    for (lease, uuids) in by_lease {
        for chunk in uuids.chunks(super::sql::MAX_PARAMS - 1) {
            let mut sql = Sql::new(
                conn,
                tables,
                r#"DELETE FROM {deliveries} WHERE "leased_by" = "#,
            );
            sql.param(Value::Text(lease)).push(r#" AND "uuid" IN "#);
            sql.list(chunk.iter().map(|d| Value::Uuid(*d)));
            sql.push(r#" RETURNING "uuid""#);
            for row in sql.fetch_all(conn).await? {
                deleted.insert(row.uuid("uuid")?);
            }
        }
    }
    Ok(deleted)
}

/// Marks a claimed delivery dead (fenced by its lease).
fn dead<'a>(
    conn: &Conn<'_>,
    tables: &'a Tables,
    completion: &'a Completion,
    detail: &'a str,
) -> Sql<'a> {
    Sql::new(
        conn,
        tables,
        r#"UPDATE {deliveries} SET "status" = 'dead', "leased_by" = NULL, "lease_expires_at" = NULL,
           "last_error" = $3 WHERE "uuid" = $1 AND "leased_by" = $2"#,
    )
    .bind(Value::Uuid(completion.delivery))
    .bind(Value::Text(&completion.lease))
    .bind(Value::Text(detail))
}

/// The subscribers of claimed deliveries, as the senders need them.
async fn targets(
    conn: &mut Conn<'_>,
    tables: &Tables,
    subscribers: &BTreeSet<Uuid>,
    now: Timestamp,
    keys: &[SecretKey],
) -> Result<HashMap<Uuid, Arc<Target>>, StoreError> {
    if subscribers.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(
        conn,
        tables,
        r#"SELECT "uuid", "kind", "name", "url", "content_type", "secret", "previous_secret",
           "previous_secret_expires_at", "enabled", "failing_since" IS NOT NULL AS "failing",
           "stream_subject_prefix", "stream_payload", "tls_ca_pem", "tls_verify"
           FROM {subscribers} WHERE "uuid" IN "#,
    );
    sql.list(subscribers.iter().map(|s| Value::Uuid(*s)));
    let mut targets = HashMap::new();
    for row in sql.fetch_all(conn).await? {
        let kind = SubscriberKind::read(&row)?;
        let mut secrets = Vec::new();
        let mut secret_error = None;
        let previous_valid = row
            .opt_time("previous_secret_expires_at")?
            .is_some_and(|t| t > now);
        let texts = [
            Some(row.opt_text("secret")?),
            previous_valid
                .then(|| row.opt_text("previous_secret"))
                .transpose()?,
        ];
        let subscriber = row.uuid("uuid")?;
        for text in texts.into_iter().flatten().flatten() {
            match crate::secret::open(keys, subscriber, &text) {
                Ok(secret) => secrets.push(secret),
                Err(error) => secret_error = Some(error),
            }
        }
        let content_type = row.text("content_type")?;
        let uuid = row.uuid("uuid")?;
        targets.insert(
            uuid,
            Arc::new(Target {
                uuid,
                kind,
                name: row.text("name")?,
                url: row.opt_text("url")?,
                stream: stream_settings(&row, kind)?,
                content_type: ContentType::from_name(&content_type).unwrap_or_default(),
                tls: webhook_tls(&row)?,
                secrets,
                enabled: row.bool("enabled")?,
                failing: row.bool("failing")?,
                secret_error,
            }),
        );
    }
    Ok(targets)
}

/// An applied completion, when its next attempt is due, and its storable detail.
type Applied<'a> = (&'a Completion, Option<Timestamp>, &'a str);

/// Appends applied attempts to the log, in one statement per chunk.
async fn log_attempts(
    conn: &mut Conn<'_>,
    tables: &Tables,
    applied: &[Applied<'_>],
    now: Timestamp,
) -> Result<(), StoreError> {
    const COLUMNS: usize = 9;
    for chunk in applied.chunks(super::sql::MAX_PARAMS / COLUMNS) {
        let mut sql = Sql::new(
            conn,
            tables,
            r#"INSERT INTO {delivery_attempts} ("delivery_uuid", "subscriber_uuid", "attempt", "outcome",
               "status_code", "duration_ms", "detail", "at", "next_attempt_at") VALUES "#,
        );
        for (i, (completion, next, detail)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let attempt = &completion.attempt;
            sql.list([
                Value::Uuid(completion.delivery),
                Value::Uuid(completion.subscriber),
                Value::Int(i64::from(completion.attempts)),
                Value::Text(outcome_name(attempt.outcome)),
                Value::Int(i64::from(attempt.status.unwrap_or(0))),
                Value::Int(i64::try_from(attempt.duration.as_millis()).unwrap_or(i64::MAX)),
                Value::Text(detail),
                Value::Time(now),
                Value::OptTime(*next),
            ]);
        }
        sql.execute(conn).await?;
    }
    Ok(())
}

/// The subscribers of one batch whose failure windows change: those that failed or were
/// gone, and those that succeeded while their window was open. A success of a subscriber
/// that was not failing at the claim writes nothing (the common case: a batch of first
/// attempts that succeed costs its delete and its attempt log only). A failure recorded
/// by another worker between this claim and this completion stays open until the next
/// success claimed after it.
#[derive(Default)]
struct FailureWindows {
    succeeded: BTreeSet<Uuid>,
    /// Those of `succeeded` whose window was open.
    closing: BTreeSet<Uuid>,
    failed: BTreeSet<Uuid>,
    gone: Vec<Uuid>,
}

impl FailureWindows {
    fn count(&mut self, completion: &Completion) {
        let subscriber = completion.subscriber;
        match completion.attempt.outcome {
            Outcome::Delivered => {
                self.succeeded.insert(subscriber);
                if completion.subscriber_failing {
                    self.closing.insert(subscriber);
                }
            }
            Outcome::Gone => {
                self.failed.insert(subscriber);
                self.gone.push(subscriber);
            }
            Outcome::Retry { .. } | Outcome::Refused => {
                self.failed.insert(subscriber);
            }
        }
    }
}

/// Locks the subscribers of a batch in one order (by uuid) before their failure windows
/// or their `enabled` change. Without it, the writers of several workers lock them in the
/// orders of their batches' updates, and deadlock one another on PostgreSQL. SQLite has
/// one writer at a time.
async fn lock_subscribers(
    conn: &mut Conn<'_>,
    tables: &Tables,
    windows: &FailureWindows,
) -> Result<(), StoreError> {
    let subscribers: BTreeSet<Uuid> = windows.closing.union(&windows.failed).copied().collect();
    if !conn.is_postgres() || subscribers.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        conn,
        tables,
        r#"SELECT "uuid" FROM {subscribers} WHERE "uuid" IN "#,
    );
    sql.list(subscribers.iter().map(|s| Value::Uuid(*s)));
    sql.push(r#" ORDER BY "uuid" FOR NO KEY UPDATE"#);
    sql.fetch_all(conn).await?;
    Ok(())
}

/// Success resets a subscriber's failure window; failure starts it, and disables the
/// subscriber once it is older than the configured `disable_after`. Returns whether the
/// disabling recorded deliveries.
async fn track_failures(
    store: &Store,
    conn: &mut Conn<'_>,
    windows: &FailureWindows,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let (tables, window) = (store.tables(), store.config().disable_after);
    let (succeeded, failed) = (&windows.succeeded, &windows.failed);
    if !windows.closing.is_empty() {
        let mut sql = Sql::new(
            conn,
            tables,
            r#"UPDATE {subscribers} SET "failing_since" = NULL WHERE "failing_since" IS NOT NULL AND "uuid" IN "#,
        );
        sql.list(windows.closing.iter().map(|s| Value::Uuid(*s)));
        sql.execute(conn).await?;
    }
    let failing: Vec<Uuid> = failed.difference(succeeded).copied().collect();
    if failing.is_empty() {
        return Ok(false);
    }
    let mut sql = Sql::new(
        conn,
        tables,
        r#"UPDATE {subscribers} SET "failing_since" = $1 WHERE "failing_since" IS NULL AND "uuid" IN "#,
    )
    .bind(Value::Time(now));
    sql.list(failing.iter().map(|s| Value::Uuid(*s)));
    sql.execute(conn).await?;

    let cutoff = now
        .checked_sub_signed(chrono_duration(window))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let mut sql = Sql::new(
        conn,
        tables,
        r#"SELECT "uuid", "failing_since" FROM {subscribers} WHERE "enabled" AND "failing_since" <= $1 AND "uuid" IN "#,
    )
    .bind(Value::Time(cutoff));
    sql.list(failing.iter().map(|s| Value::Uuid(*s)));
    let mut recorded = false;
    for row in sql.fetch_all(conn).await? {
        let since = row.time("failing_since")?;
        let reason = format!(
            "deliveries failed continuously since {}",
            since.to_rfc3339()
        );
        recorded |= disable(store, conn, row.uuid("uuid")?, &reason, now).await?;
    }
    Ok(recorded)
}

/// Notifies [`NOTIFY_CHANNEL`] (PostgreSQL; delivered at commit).
async fn notify(conn: &mut Conn<'_>, tables: &Tables) -> Result<(), StoreError> {
    Sql::new(conn, tables, "SELECT pg_notify($1, '')")
        .bind(Value::Text(NOTIFY_CHANNEL))
        .execute(conn)
        .await?;
    Ok(())
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Delivered => "delivered",
        Outcome::Retry { .. } => "retry",
        Outcome::Gone => "gone",
        Outcome::Refused => "refused",
    }
}

/// `text` as both backends store it: NUL (which PostgreSQL refuses in text) replaced,
/// and at most [`MAX_DETAIL`] bytes, cut at a character boundary.
fn storable(text: &str) -> Cow<'_, str> {
    let mut end = text.len().min(MAX_DETAIL);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = &text[..end];
    if cut.contains('\0') {
        Cow::Owned(cut.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(cut)
    }
}

/// `now` plus `duration`, cut to [`MAX_RETRY_DELAY`] so that it never overflows nor
/// leaves the range both backends keep times in.
fn later(now: Timestamp, duration: Duration) -> Timestamp {
    now.checked_add_signed(chrono_duration(duration.min(MAX_RETRY_DELAY)))
        .unwrap_or(now)
}

/// The statement completing one attempt (`None` for a delivered one, deleted already),
/// and when the next attempt is due.
fn completion_statement<'a>(
    conn: &Conn<'_>,
    tables: &'a Tables,
    schedule: &RetrySchedule,
    completion: &'a Completion,
    detail: &'a str,
    now: Timestamp,
) -> (Option<Sql<'a>>, Option<Timestamp>) {
    let not_before = match completion.attempt.outcome {
        Outcome::Delivered => return (None, None),
        Outcome::Gone | Outcome::Refused => {
            return (Some(dead(conn, tables, completion, detail)), None);
        }
        Outcome::Retry { not_before } => not_before,
    };
    let Some(delay) = schedule.next_delay(completion.attempts, not_before) else {
        return (Some(dead(conn, tables, completion, detail)), None);
    };
    let at = later(now, delay);
    let sql = Sql::new(
        conn,
        tables,
        r#"UPDATE {deliveries} SET "next_attempt_at" = $3, "leased_by" = NULL,
           "lease_expires_at" = NULL, "last_error" = $4
           WHERE "uuid" = $1 AND "leased_by" = $2"#,
    )
    .bind(Value::Uuid(completion.delivery))
    .bind(Value::Text(&completion.lease))
    .bind(Value::Time(at))
    .bind(Value::Text(detail));
    (Some(sql), Some(at))
}

/// A claimed row with its subscriber.
fn claimed_delivery(
    row: &Row,
    targets: &HashMap<Uuid, Arc<Target>>,
) -> Result<ClaimedDelivery, StoreError> {
    let subscriber = row.uuid("subscriber_uuid")?;
    let target = targets
        .get(&subscriber)
        .cloned()
        .ok_or(StoreError::NoSubscriber(subscriber))?;
    Ok(ClaimedDelivery {
        uuid: row.uuid("uuid")?,
        event_type: row.text("event_type")?,
        event_timestamp: row.time("event_timestamp")?,
        payload: row.text("payload")?,
        attempts: u32::try_from(row.int("attempts")?).unwrap_or(u32::MAX),
        target,
    })
}

fn attempt_record(row: &Row) -> Result<AttemptRecord, StoreError> {
    Ok(AttemptRecord {
        delivery: row.uuid("delivery_uuid")?,
        subscriber: row.uuid("subscriber_uuid")?,
        attempt: u32::try_from(row.int("attempt")?).unwrap_or(0),
        outcome: row.text("outcome")?,
        status_code: u16::try_from(row.int("status_code")?).unwrap_or(0),
        duration_ms: u64::try_from(row.int("duration_ms")?).unwrap_or(0),
        detail: row.text("detail")?,
        at: row.time("at")?,
        next_attempt_at: row.opt_time("next_attempt_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storable_text_has_no_nul_and_a_bounded_length_cut_at_a_character() {
        assert_eq!(storable("ok"), "ok");
        assert_eq!(storable("bad\0body"), "bad\u{FFFD}body");
        let long = "é".repeat(MAX_DETAIL);
        let cut = storable(&long);
        assert!(cut.len() <= MAX_DETAIL && cut.len() >= MAX_DETAIL - 1);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn later_never_overflows_nor_leaves_the_backends_range() {
        let now = event_runtime::now();
        let far = later(now, Duration::MAX);
        assert_eq!(far, now + chrono_duration(MAX_RETRY_DELAY));
        let edge = chrono::DateTime::<chrono::Utc>::MAX_UTC;
        assert_eq!(later(edge, Duration::from_secs(1)), edge);
    }
}
