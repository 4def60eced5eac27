//! Recording throughput: `register_<type>_event` through the runtime's store, against
//! raw sqlx inserts of the same rows (the event, and one delivery for each of its three
//! subscribers with the payloads computed), one transaction per event and in batches, on
//! SQLite and (when `EVENTGEN_TEST_POSTGRES_URL` is set) PostgreSQL. Prints events per
//! second and the store's share of raw.
//!
//! SQLite runs twice: with the store's default durability (`synchronous = FULL`) and with
//! `SqliteDurability::Normal`, where the reference's own recorder runs beside it at the
//! same setting: `reference/recorder.py`, SQLAlchemy models with single-table inheritance,
//! the event and its three deliveries, a commit per event, WAL (with the pinned SQLAlchemy
//! of `reference/requirements.txt`, installed by `reference/run-recorder` in a venv on
//! first use; skipped, saying why, when that fails).
//!
//! `cargo bench -p workspace-tests --bench recording`

use std::time::{Duration, Instant};

use event_outbox::store::{NewWebhook, Scope, SqliteDurability, Store, StoreConfig};
use event_runtime::reexport::chrono::{DateTime, Utc};
use event_runtime::reexport::uuid::Uuid;
use event_runtime::{ColumnValue, StoredEvent, TelemetryEvent, TelemetryKey};
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, Postgres, Sqlite};
use workspace_tests::events::*;
use workspace_tests::samples::one_off_run_failed;

#[path = "../tests/support/mod.rs"]
mod support;
use support::database::with_store;
use test_support::Backend;

const PER_EVENT: usize = 1_000;
const BATCHED: usize = 20_000;
const BATCH: usize = 100;
const ROUNDS: usize = 5;

fn key() -> TelemetryKey {
    TelemetryKey::new(b"bench key".to_vec())
}

fn events(n: usize) -> Vec<ProjectOneOffJobPipelineRunFailed> {
    (0..n)
        .map(|_| ProjectOneOffJobPipelineRunFailed {
            uuid: event_runtime::new_event_id(),
            ..one_off_run_failed()
        })
        .collect()
}

/// Two webhooks and the analytics subscriber, each subscribed to the sample's type.
async fn subscribers(store: &Store) -> Vec<Uuid> {
    let failed = ProjectOneOffJobPipelineRunFailed::TYPE;
    let mut uuids = Vec::new();
    for name in ["one", "two"] {
        let hook = store
            .create_webhook(NewWebhook::new(name, format!("https://{name}.example/")))
            .await
            .expect("create")
            .subscriber
            .uuid;
        store
            .subscribe(hook, failed, Scope::global())
            .await
            .expect("subscribe");
        uuids.push(hook);
    }
    let analytics = store
        .ensure_analytics_subscriber("analytics", [failed])
        .await
        .expect("analytics");
    uuids.push(analytics.uuid);
    uuids
}

// ---- through the store ------------------------------------------------------------------

async fn store_per_event(store: &Store, events: &[ProjectOneOffJobPipelineRunFailed]) {
    for event in events {
        let mut tx = store.begin().await.expect("begin");
        register_project_one_off_job_pipeline_run_failed_event(&mut tx, event)
            .await
            .expect("record");
        tx.commit().await.expect("commit");
    }
}

async fn store_batched(store: &Store, events: &[ProjectOneOffJobPipelineRunFailed]) {
    for chunk in events.chunks(BATCH) {
        let refs: Vec<&dyn StoredEvent> = chunk.iter().map(|e| e as &dyn StoredEvent).collect();
        let mut tx = store.begin().await.expect("begin");
        tx.record_batch(&refs).await.expect("record");
        tx.commit().await.expect("commit");
    }
}

// ---- raw sqlx ---------------------------------------------------------------------------

/// The statements a hand-written implementation would run for `events`: one multi-row
/// insert of the events, one of their deliveries (subscribers known in advance).
struct Raw<'e> {
    events: Vec<(
        &'e ProjectOneOffJobPipelineRunFailed,
        Vec<(&'static str, ColumnValue<'e>)>,
    )>,
    deliveries: Vec<(Uuid, &'e ProjectOneOffJobPipelineRunFailed, Uuid, String)>,
}

fn raw_rows<'e>(events: &'e [ProjectOneOffJobPipelineRunFailed], subscribers: &[Uuid]) -> Raw<'e> {
    let key = key();
    let mut raw = Raw {
        events: Vec::new(),
        deliveries: Vec::new(),
    };
    for event in events {
        let columns: Vec<_> = event
            .columns()
            .expect("columns")
            .into_iter()
            .filter(|(_, v)| !matches!(v, ColumnValue::Null))
            .collect();
        raw.events.push((event, columns));
        let notification = event.notification_json().expect("JSON");
        let telemetry = event.telemetry_json(&key).expect("JSON");
        for (i, subscriber) in subscribers.iter().enumerate() {
            let payload = if i == 2 {
                telemetry.clone()
            } else {
                notification.clone()
            };
            raw.deliveries
                .push((Uuid::now_v7(), event, *subscriber, payload));
        }
    }
    raw
}

/// A placeholder: `$N` on PostgreSQL, `?` on SQLite (where numbered placeholders bind in
/// time quadratic in their number, as the store avoids too).
fn placeholder(postgres: bool, n: usize) -> String {
    if postgres {
        format!("${n}")
    } else {
        "?".to_owned()
    }
}

fn events_sql(raw: &Raw<'_>, postgres: bool) -> String {
    let names: Vec<&str> = raw.events[0].1.iter().map(|(n, _)| *n).collect();
    let per_row = names.len() + 3;
    let mut sql = format!(
        r#"INSERT INTO "eventgen_events" ("uuid", "type", "timestamp", {}) VALUES "#,
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for row in 0..raw.events.len() {
        let placeholders: Vec<String> = (0..per_row)
            .map(|i| {
                let cast = match (postgres, raw.events[row].1.get(i.wrapping_sub(3))) {
                    (true, Some((_, ColumnValue::Json(_)))) if i >= 3 => "::jsonb",
                    _ => "",
                };
                format!("{}{cast}", placeholder(postgres, row * per_row + i + 1))
            })
            .collect();
        sql.push_str(if row > 0 { ", (" } else { "(" });
        sql.push_str(&placeholders.join(", "));
        sql.push(')');
    }
    sql
}

fn deliveries_sql(n: usize, postgres: bool) -> String {
    let mut sql = String::from(
        r#"INSERT INTO "eventgen_deliveries" ("uuid", "event_uuid", "event_type", "event_timestamp",
           "subscriber_uuid", "payload", "next_attempt_at", "created_at") VALUES "#,
    );
    for row in 0..n {
        let p: Vec<String> = (1..=8)
            .map(|i| placeholder(postgres, row * 8 + i))
            .collect();
        sql.push_str(if row > 0 { ", (" } else { "(" });
        sql.push_str(&p.join(", "));
        sql.push(')');
    }
    sql
}

fn text_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

async fn raw_sqlite(pool: &sqlx::SqlitePool, raw: &Raw<'_>) {
    let now = Utc::now();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
    let mut q: sqlx::query::Query<'_, Sqlite, SqliteArguments> =
        sqlx::query(AssertSqlSafe(events_sql(raw, false)));
    for (event, columns) in &raw.events {
        q = q
            .bind(event.uuid.hyphenated())
            .bind(event.event_type())
            .bind(text_time(&event.timestamp));
        for (_, value) in columns {
            q = match value {
                ColumnValue::Uuid(v) => q.bind(v.hyphenated()),
                ColumnValue::Text(v) => q.bind(*v),
                ColumnValue::Int(v) => q.bind(*v),
                ColumnValue::Float(v) => q.bind(*v),
                ColumnValue::Bool(v) => q.bind(*v),
                ColumnValue::Timestamp(v) => q.bind(text_time(v)),
                ColumnValue::Json(v) => q.bind(v.as_str()),
                ColumnValue::Null => q.bind(None::<String>),
            };
        }
    }
    q.execute(&mut *tx).await.expect("insert events");
    let mut q: sqlx::query::Query<'_, Sqlite, SqliteArguments> =
        sqlx::query(AssertSqlSafe(deliveries_sql(raw.deliveries.len(), false)));
    for (uuid, event, subscriber, payload) in &raw.deliveries {
        q = q
            .bind(uuid.hyphenated())
            .bind(event.uuid.hyphenated())
            .bind(event.event_type())
            .bind(text_time(&event.timestamp))
            .bind(subscriber.hyphenated())
            .bind(payload.as_str())
            .bind(text_time(&now))
            .bind(text_time(&now));
    }
    q.execute(&mut *tx).await.expect("insert deliveries");
    tx.commit().await.expect("commit");
}

async fn raw_postgres(pool: &sqlx::PgPool, raw: &Raw<'_>) {
    let now = Utc::now();
    let mut tx = pool.begin().await.expect("begin");
    let mut q: sqlx::query::Query<'_, Postgres, PgArguments> =
        sqlx::query(AssertSqlSafe(events_sql(raw, true)));
    for (event, columns) in &raw.events {
        q = q
            .bind(event.uuid)
            .bind(event.event_type())
            .bind(event.timestamp);
        for (_, value) in columns {
            q = match value {
                ColumnValue::Uuid(v) => q.bind(*v),
                ColumnValue::Text(v) => q.bind(*v),
                ColumnValue::Int(v) => q.bind(*v),
                ColumnValue::Float(v) => q.bind(*v),
                ColumnValue::Bool(v) => q.bind(*v),
                ColumnValue::Timestamp(v) => q.bind(*v),
                ColumnValue::Json(v) => q.bind(v.as_str()),
                ColumnValue::Null => q.bind(None::<String>),
            };
        }
    }
    q.execute(&mut *tx).await.expect("insert events");
    let mut q: sqlx::query::Query<'_, Postgres, PgArguments> =
        sqlx::query(AssertSqlSafe(deliveries_sql(raw.deliveries.len(), true)));
    for (uuid, event, subscriber, payload) in &raw.deliveries {
        q = q
            .bind(*uuid)
            .bind(event.uuid)
            .bind(event.event_type())
            .bind(event.timestamp)
            .bind(*subscriber)
            .bind(payload.as_str())
            .bind(now)
            .bind(now);
    }
    q.execute(&mut *tx).await.expect("insert deliveries");
    tx.commit().await.expect("commit");
}

async fn raw_run(
    store: &Store,
    subscribers: &[Uuid],
    events: &[ProjectOneOffJobPipelineRunFailed],
    batch: usize,
) {
    for chunk in events.chunks(batch) {
        // Payloads are computed inside the timing, as the store computes them.
        let raw = raw_rows(chunk, subscribers);
        match (store.sqlite_pool(), store.postgres_pool()) {
            (Some(pool), _) => raw_sqlite(pool, &raw).await,
            (_, Some(pool)) => raw_postgres(pool, &raw).await,
            _ => unreachable!("a store has a pool"),
        }
    }
}

// ---- the measurements -------------------------------------------------------------------

/// How long `run` takes over `n` fresh events.
async fn time<F, Fut>(n: usize, run: F) -> Duration
where
    F: FnOnce(Vec<ProjectOneOffJobPipelineRunFailed>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let events = events(n);
    let start = Instant::now();
    run(events).await;
    start.elapsed()
}

/// Store and raw, alternately, [`ROUNDS`] times each; the best of each, in events per
/// second.
async fn compare(store: &Store, subscribers: &[Uuid], n: usize, batch: usize) -> (f64, f64) {
    let (mut through_store, mut raw) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        through_store = through_store.min(
            time(n, |e| async move {
                if batch == 1 {
                    store_per_event(store, &e).await;
                } else {
                    store_batched(store, &e).await;
                }
            })
            .await,
        );
        raw = raw.min(
            time(n, |e| async move {
                raw_run(store, subscribers, &e, batch).await
            })
            .await,
        );
    }
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    (rate(through_store), rate(raw))
}

async fn measure(backend: &'static str, store: Store) {
    let subscribers = subscribers(&store).await;
    let (per_event_store, per_event_raw) = compare(&store, &subscribers, PER_EVENT, 1).await;
    let (batched_store, batched_raw) = compare(&store, &subscribers, BATCHED, BATCH).await;
    println!(
        "{backend:<16} one transaction per event: store {per_event_store:>8.0} events/s, raw {per_event_raw:>8.0} events/s, store/raw {:.2}",
        per_event_store / per_event_raw
    );
    println!(
        "{backend:<16} batches of {BATCH}:           store {batched_store:>8.0} events/s, raw {batched_raw:>8.0} events/s, store/raw {:.2}",
        batched_store / batched_raw
    );
    if backend == SQLITE_NORMAL {
        match reference_recorder() {
            Ok(reference) => println!(
                "{backend:<16} the reference's recorder (SQLAlchemy, a commit per event): {reference:>8.0} events/s, store/reference {:.2}",
                per_event_store / reference
            ),
            Err(why) => println!("{backend:<16} the reference's recorder skipped: {why}"),
        }
    }
}

const SQLITE_NORMAL: &str = "SQLite (NORMAL)";

/// Events per second of `reference/recorder.py`, on a database file of its own.
fn reference_recorder() -> Result<f64, String> {
    let dir = std::env::temp_dir().join(format!("eventgen-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/reference/run-recorder");
    let output = std::process::Command::new("bash")
        .arg(&script)
        .arg(dir.join("reference.db"))
        .arg(PER_EVENT.to_string())
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let output = output.map_err(|e| format!("{}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    stdout
        .trim()
        .parse()
        .map_err(|_| format!("{} printed {stdout:?}", script.display()))
}

fn config() -> StoreConfig {
    StoreConfig::default().telemetry(key())
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once as a smoke test.
    if std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("3 subscribers per event (2 webhooks, analytics), best of {ROUNDS} runs");
    with_store(Backend::Sqlite, config(), |store| {
        measure("SQLite (FULL)", store)
    })
    .await;
    let normal = config().sqlite_durability(SqliteDurability::Normal);
    with_store(Backend::Sqlite, normal, |store| {
        measure(SQLITE_NORMAL, store)
    })
    .await;
    with_store(Backend::Postgres, config(), |store| {
        measure("PostgreSQL", store)
    })
    .await;
}
