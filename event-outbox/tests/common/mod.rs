//! What the store tests share: a real database per test (a SQLite file, or a PostgreSQL
//! database of its own, from `test-support`), a small catalog of events written by hand,
//! and a fake deliverer.
//!
//! PostgreSQL tests connect through `EVENTGEN_TEST_POSTGRES_URL`
//! (`postgres://postgres@127.0.0.1:5432/test`) and create and drop a database per test.
//! Without the variable they are skipped, except on CI (`CI=true`), where they fail.

#![allow(dead_code, missing_docs)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use event_outbox::delivery::{AnalyticsMessage, Deliverer, WebhookRequest};
use event_outbox::store::{NewWebhook, Scope, Store, StoreConfig};
use event_outbox::{Attempt, Outcome};
use event_runtime::{
    ColumnValue, Recorder as _, StoredEvent, TelemetryEvent, TelemetryKey, Timestamp,
};
use uuid::Uuid;

// Not every test file uses each of them.
#[allow(unused_imports)]
pub(crate) use test_support::{Backend, count, execute};

/// The event types of the test catalog.
pub(crate) const EVENT_TYPES: [&str; 3] = ["project:created", "job:failed", "job:succeeded"];

/// Runs `body` on a store over a fresh database of `backend` holding the runtime's
/// tables and the test catalog; the database is removed afterwards, also on panic.
/// Returns without running when PostgreSQL tests are skipped.
pub(crate) async fn with_store<F, Fut>(backend: Backend, config: StoreConfig, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    test_support::with_store(backend, "eventgen_rt", config, install, body).await;
}

/// The runtime's migrations, then the test catalog's columns and event types.
pub(crate) async fn install(store: &Store) {
    for migration in event_runtime::schema::MIGRATIONS {
        let tables = store.tables();
        let sql = pick(
            store,
            &migration.sqlite_sql(tables),
            &migration.postgres_sql(tables),
        )
        .to_owned();
        execute(store, &sql).await;
    }
    let uuid = pick(store, "TEXT", "UUID");
    let catalog = format!(
        r#"ALTER TABLE {{events}} ADD COLUMN "project_uuid" {uuid};
           ALTER TABLE {{events}} ADD COLUMN "job_uuid" {uuid};
           ALTER TABLE {{events}} ADD COLUMN "name" TEXT;
           INSERT INTO {{event_types}} ("name") VALUES ('project:created'), ('job:failed'), ('job:succeeded');"#
    );
    execute(store, &store.tables().render(&catalog)).await;
}

fn pick<'a>(store: &Store, sqlite: &'a str, postgres: &'a str) -> &'a str {
    if store.backend() == "sqlite" {
        sqlite
    } else {
        postgres
    }
}

/// An event of the test catalog: a project, optionally a job, and a (sensitive) name.
#[derive(Debug, Clone)]
pub(crate) struct TestEvent {
    pub uuid: Uuid,
    pub event_type: &'static str,
    pub timestamp: Timestamp,
    pub project: Uuid,
    pub job: Option<Uuid>,
    pub name: Option<String>,
}

impl TestEvent {
    pub(crate) fn new(event_type: &'static str, project: Uuid, job: Option<Uuid>) -> Self {
        TestEvent {
            uuid: event_runtime::new_event_id(),
            event_type,
            timestamp: event_runtime::now(),
            project,
            job,
            name: Some("Secret name".into()),
        }
    }
}

impl TelemetryEvent for TestEvent {
    fn event_type(&self) -> &'static str {
        self.event_type
    }

    fn uuid(&self) -> Uuid {
        self.uuid
    }

    fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    fn telemetry_json(&self, key: &TelemetryKey) -> event_runtime::Result<String> {
        Ok(serde_json::json!({
            "event_properties": { "project": { "uuid": self.project } },
            "derived_properties": { "name_hash": key.hash(self.name.as_deref().unwrap_or("")) },
        })
        .to_string())
    }
}

impl StoredEvent for TestEvent {
    fn columns(&self) -> event_runtime::Result<Vec<(&'static str, ColumnValue<'_>)>> {
        Ok(vec![
            ("project_uuid", ColumnValue::Uuid(self.project)),
            (
                "job_uuid",
                self.job.map_or(ColumnValue::Null, ColumnValue::Uuid),
            ),
            (
                "name",
                self.name
                    .as_deref()
                    .map_or(ColumnValue::Null, ColumnValue::Text),
            ),
        ])
    }

    fn scopes(&self) -> Vec<(&'static str, String)> {
        let mut scopes = vec![("project_uuid", self.project.to_string())];
        if let Some(job) = self.job {
            scopes.push(("job_uuid", job.to_string()));
        }
        scopes
    }

    fn notification_json(&self) -> event_runtime::Result<String> {
        Ok(serde_json::json!({
            "uuid": self.uuid,
            "type": self.event_type,
            "project": { "uuid": self.project, "name": self.name },
        })
        .to_string())
    }
}

/// A webhook request as the fake deliverer received it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub url: String,
    pub message_id: String,
    pub body: String,
    pub secrets: Vec<String>,
}

/// What a fake deliverer answers, per URL (default: delivered).
#[derive(Default)]
pub(crate) struct FakeDeliverer {
    pub answers: Mutex<HashMap<String, Outcome>>,
    pub analytics_answer: Mutex<Option<Outcome>>,
    /// Deliveries received, by `webhook-id` (or analytics uuid): how many times each.
    pub received: Mutex<HashMap<String, usize>>,
    /// The webhook requests received, in order.
    pub webhooks: Mutex<Vec<Received>>,
    /// The analytics messages received: (event type, uuid, properties).
    pub analytics: Mutex<Vec<(String, Uuid, String)>>,
    /// How long each send takes.
    pub delay: Duration,
}

impl FakeDeliverer {
    pub(crate) fn answer(&self, url: &str, outcome: Outcome) {
        self.answers
            .lock()
            .expect("not poisoned")
            .insert(url.to_owned(), outcome);
    }

    pub(crate) fn received_total(&self) -> usize {
        self.received.lock().expect("not poisoned").values().sum()
    }

    pub(crate) fn received_distinct(&self) -> usize {
        self.received.lock().expect("not poisoned").len()
    }

    pub(crate) fn max_per_delivery(&self) -> usize {
        self.received
            .lock()
            .expect("not poisoned")
            .values()
            .copied()
            .max()
            .unwrap_or(0)
    }
}

pub(crate) fn attempt(outcome: Outcome) -> Attempt {
    let status = match outcome {
        Outcome::Delivered => Some(200),
        Outcome::Retry { .. } => Some(503),
        Outcome::Gone => Some(410),
        Outcome::Refused => None,
    };
    Attempt {
        outcome,
        status,
        duration: Duration::from_millis(3),
        detail: format!("{outcome:?}"),
    }
}

impl Deliverer for FakeDeliverer {
    async fn webhook(&self, request: WebhookRequest<'_>) -> Attempt {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        *self
            .received
            .lock()
            .expect("not poisoned")
            .entry(request.message_id.to_owned())
            .or_default() += 1;
        self.webhooks.lock().expect("not poisoned").push(Received {
            url: request.url.to_owned(),
            message_id: request.message_id.to_owned(),
            body: request.payload.to_owned(),
            secrets: request
                .secrets
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
        });
        let outcome = self
            .answers
            .lock()
            .expect("not poisoned")
            .get(request.url)
            .copied()
            .unwrap_or(Outcome::Delivered);
        attempt(outcome)
    }

    async fn analytics(&self, batch: &[AnalyticsMessage<'_>]) -> Attempt {
        let mut received = self.received.lock().expect("not poisoned");
        let mut analytics = self.analytics.lock().expect("not poisoned");
        for message in batch {
            *received.entry(message.uuid.to_string()).or_default() += 1;
            analytics.push((
                message.event_type.to_owned(),
                message.uuid,
                message.properties.to_owned(),
            ));
        }
        attempt(
            self.analytics_answer
                .lock()
                .expect("not poisoned")
                .unwrap_or(Outcome::Delivered),
        )
    }
}

/// Polls `condition` every 10 ms until it holds, failing after `timeout`.
pub(crate) async fn eventually<F, Fut>(timeout: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until a delivery is dead, failing after 10 s.
pub(crate) async fn a_dead_delivery(store: &Store) {
    eventually(Duration::from_secs(10), "a dead delivery", || {
        let store = store.clone();
        async move {
            !store
                .dead_deliveries(None, 10)
                .await
                .expect("dead")
                .is_empty()
        }
    })
    .await;
}

/// A test for each backend: `both!(name, scenario)` runs `scenario(store)` on SQLite as
/// `name::sqlite` and on PostgreSQL as `name::postgres`, with the default configuration
/// plus telemetry.
#[macro_export]
macro_rules! both {
    ($name:ident, $scenario:expr) => {
        both!($name, $scenario, common::config());
    };
    ($name:ident, $scenario:expr, $config:expr) => {
        both!($name, $scenario, $config, common::with_store);
    };
    // `$with(backend, config, scenario)` makes the store (the database set up its own way).
    ($name:ident, $scenario:expr, $config:expr, $with:path) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $with(common::Backend::Sqlite, $config, $scenario).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $with(common::Backend::Postgres, $config, $scenario).await;
            }
        }
    };
}

/// The default configuration with telemetry enabled.
pub(crate) fn config() -> StoreConfig {
    StoreConfig::default().telemetry(TelemetryKey::new(b"test key".to_vec()))
}

/// An `Arc` of a default fake deliverer.
pub(crate) fn deliverer() -> Arc<FakeDeliverer> {
    Arc::new(FakeDeliverer::default())
}

/// A webhook subscribed to `project:created`, and `n` events recorded for it.
pub(crate) async fn webhook_with_events(store: &Store, n: usize) -> Uuid {
    let hook = store
        .create_webhook(NewWebhook::new("hook", "https://hook.example/"))
        .await
        .expect("create")
        .subscriber
        .uuid;
    store
        .subscribe(hook, "project:created", Scope::global())
        .await
        .expect("subscribe");
    record_created(store, n).await;
    hook
}

/// Records `n` `project:created` events in one transaction.
pub(crate) async fn record_created(store: &Store, n: usize) {
    let mut tx = store.begin().await.expect("begin");
    for _ in 0..n {
        tx.record(&TestEvent::new("project:created", Uuid::new_v4(), None))
            .await
            .expect("record");
    }
    tx.commit().await.expect("commit");
}
