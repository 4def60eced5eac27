//! Generated storage code: `register_<type>_event` records the event and its deliveries
//! through the runtime's store (on SQLite and PostgreSQL, with the committed migrations of
//! `definitions/`), its columns and scopes are what the catalog declares, and a row of
//! `events` loads back into the same typed event by its exact type.
//!
//! PostgreSQL tests connect through `EVENTGEN_TEST_POSTGRES_URL` and run in a database of
//! their own; without it they are skipped, except on CI (`CI=true`), where they fail.

use std::collections::HashMap;

use event_runtime::reexport::uuid::Uuid;
use event_runtime::{
    ColumnValue, EventId, EventRow, LoadError, Recorder, StoredEvent, TelemetryEvent, TelemetryKey,
    Timestamp,
};
use workspace_tests::events::*;
use workspace_tests::samples::at;

/// A recorder that keeps what it was given in memory, so that rows can be edited and
/// loaded back without a database.
#[derive(Default)]
struct MemoryRecorder {
    rows: Vec<Row>,
}

/// One `events` row and the payloads computed for its deliveries.
#[derive(Debug, Clone)]
struct Row {
    event_type: String,
    columns: HashMap<String, Owned>,
    scopes: Vec<(&'static str, String)>,
    notification: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Owned {
    Uuid(Uuid),
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Timestamp(Timestamp),
    Json(String),
}

impl Recorder for MemoryRecorder {
    async fn record<'a>(
        &'a mut self,
        event: &'a dyn StoredEvent,
    ) -> event_runtime::Result<EventId> {
        let mut columns = HashMap::new();
        columns.insert("uuid".to_owned(), Owned::Uuid(event.uuid()));
        columns.insert("timestamp".to_owned(), Owned::Timestamp(event.timestamp()));
        for (name, value) in event.columns()? {
            let value = match value {
                ColumnValue::Null => continue,
                ColumnValue::Uuid(v) => Owned::Uuid(v),
                ColumnValue::Text(v) => Owned::Text(v.to_owned()),
                ColumnValue::Int(v) => Owned::Int(v),
                ColumnValue::Float(v) => Owned::Float(v),
                ColumnValue::Bool(v) => Owned::Bool(v),
                ColumnValue::Timestamp(v) => Owned::Timestamp(v),
                ColumnValue::Json(v) => Owned::Json(v),
            };
            assert!(
                columns.insert(name.to_owned(), value).is_none(),
                "column {name} written twice"
            );
        }
        self.rows.push(Row {
            event_type: event.event_type().to_owned(),
            columns,
            scopes: event.scopes(),
            notification: event.notification_json()?,
        });
        Ok(EventId(event.uuid()))
    }
}

impl EventRow for Row {
    fn event_type(&self) -> Result<String, LoadError> {
        Ok(self.event_type.clone())
    }

    fn get_uuid(&self, column: &str) -> Result<Option<Uuid>, LoadError> {
        match self.columns.get(column) {
            None => Ok(None),
            Some(Owned::Uuid(v)) => Ok(Some(*v)),
            Some(other) => Err(LoadError::invalid(column, format!("not a uuid: {other:?}"))),
        }
    }

    fn get_text(&self, column: &str) -> Result<Option<String>, LoadError> {
        match self.columns.get(column) {
            None => Ok(None),
            Some(Owned::Text(v)) => Ok(Some(v.clone())),
            Some(other) => Err(LoadError::invalid(column, format!("not text: {other:?}"))),
        }
    }

    fn get_int(&self, column: &str) -> Result<Option<i64>, LoadError> {
        match self.columns.get(column) {
            None => Ok(None),
            Some(Owned::Int(v)) => Ok(Some(*v)),
            Some(other) => Err(LoadError::invalid(column, format!("not an int: {other:?}"))),
        }
    }

    fn get_float(&self, column: &str) -> Result<Option<f64>, LoadError> {
        match self.columns.get(column) {
            None => Ok(None),
            Some(Owned::Float(v)) => Ok(Some(*v)),
            Some(other) => Err(LoadError::invalid(
                column,
                format!("not a float: {other:?}"),
            )),
        }
    }

    fn get_bool(&self, column: &str) -> Result<Option<bool>, LoadError> {
        match self.columns.get(column) {
            None => Ok(None),
            Some(Owned::Bool(v)) => Ok(Some(*v)),
            Some(other) => Err(LoadError::invalid(column, format!("not a bool: {other:?}"))),
        }
    }

    fn get_timestamp(&self, column: &str) -> Result<Option<Timestamp>, LoadError> {
        match self.columns.get(column) {
            None => Ok(None),
            Some(Owned::Timestamp(v)) => Ok(Some(*v)),
            Some(other) => Err(LoadError::invalid(
                column,
                format!("not a timestamp: {other:?}"),
            )),
        }
    }

    fn get_json(&self, column: &str) -> Result<Option<serde_json::Value>, LoadError> {
        match self.columns.get(column) {
            None => Ok(None),
            Some(Owned::Json(v)) => serde_json::from_str(v)
                .map(Some)
                .map_err(|e| LoadError::invalid(column, e)),
            Some(other) => Err(LoadError::invalid(column, format!("not JSON: {other:?}"))),
        }
    }
}

fn failed_run() -> ProjectOneOffJobPipelineRunFailed {
    ProjectOneOffJobPipelineRunFailed {
        uuid: Uuid::from_u128(100),
        timestamp: at(),
        project: Project {
            uuid: Uuid::from_u128(1),
            name: "Demo".into(),
        },
        job: Job {
            uuid: Uuid::from_u128(2),
            name: "Nightly".into(),
            status: JobStatus::Started,
            pipeline_name: "Train".into(),
            url_path: "/job/2".into(),
        },
        one_off_job: OneOffJob { total_runs: 4 },
        one_off_job_pipeline_run: OneOffJobPipelineRun {
            uuid: Uuid::from_u128(3),
            status: PipelineRunStatus::Failure,
            number: None,
            url_path: "/job/2/run/3".into(),
            parameters: Default::default(),
        },
        failed_steps: vec![Step {
            uuid: Uuid::from_u128(9),
            title: "Load".into(),
        }],
    }
}

#[tokio::test]
async fn register_records_the_columns_scopes_and_payload_of_the_catalog() {
    let mut recorder = MemoryRecorder::default();
    let event = failed_run();
    let id = register_project_one_off_job_pipeline_run_failed_event(&mut recorder, &event)
        .await
        .expect("recorded");
    assert_eq!(id, EventId(event.uuid));
    let row = &recorder.rows[0];
    assert_eq!(row.event_type, "project:one-off-job:pipeline-run:failed");
    // Columns follow the storage rules: <key>_<field>, sibling layers share pipeline_run_uuid.
    assert_eq!(row.columns["project_uuid"], Owned::Uuid(Uuid::from_u128(1)));
    assert_eq!(row.columns["job_status"], Owned::Text("STARTED".into()));
    assert_eq!(row.columns["job_total_runs"], Owned::Int(4));
    assert_eq!(
        row.columns["pipeline_run_uuid"],
        Owned::Uuid(Uuid::from_u128(3))
    );
    assert!(
        !row.columns.contains_key("pipeline_run_number"),
        "NULL for an absent optional"
    );
    assert!(matches!(&row.columns["failed_steps"], Owned::Json(json) if json.contains("Load")));
    // Subscriptions can be scoped by project and job.
    assert_eq!(
        row.scopes,
        [
            ("project_uuid", Uuid::from_u128(1).to_string()),
            ("job_uuid", Uuid::from_u128(2).to_string())
        ]
    );
    let notification: serde_json::Value = serde_json::from_str(&row.notification).expect("JSON");
    assert_eq!(
        notification["project"]["job"]["pipeline_run"]["failed_steps"][0]["title"],
        "Load"
    );
}

#[tokio::test]
async fn a_recorded_row_loads_back_into_the_same_event() {
    let mut recorder = MemoryRecorder::default();
    let event = failed_run();
    register_project_one_off_job_pipeline_run_failed_event(&mut recorder, &event)
        .await
        .expect("recorded");
    let loaded = Event::from_row(&recorder.rows[0]).expect("loads");
    assert_eq!(
        loaded,
        Event::ProjectOneOffJobPipelineRunFailed(event.clone())
    );
    // Equal only to the same variant holding an equal event.
    let mut other_run = event.clone();
    other_run.failed_steps.clear();
    assert_ne!(loaded, Event::ProjectOneOffJobPipelineRunFailed(other_run));
    let created = ProjectCreated {
        uuid: event.uuid,
        timestamp: event.timestamp,
        project: event.project.clone(),
        projects_count: 1,
    };
    assert_ne!(loaded, Event::ProjectCreated(created));
    assert_eq!(
        loaded.as_stored().event_type(),
        "project:one-off-job:pipeline-run:failed"
    );
    let key = TelemetryKey::new(b"k".to_vec());
    assert_eq!(
        loaded.as_stored().telemetry_json(&key).expect("JSON"),
        event.telemetry_json(&key).expect("JSON")
    );
}

#[test]
fn loading_dispatches_on_the_exact_type_and_reports_what_is_wrong() {
    let mut row = Row {
        event_type: "project:created".into(),
        columns: HashMap::from([
            ("uuid".to_owned(), Owned::Uuid(Uuid::from_u128(5))),
            ("timestamp".to_owned(), Owned::Timestamp(at())),
            ("project_uuid".to_owned(), Owned::Uuid(Uuid::from_u128(1))),
            ("project_name".to_owned(), Owned::Text("Demo".into())),
            ("projects_count".to_owned(), Owned::Int(3)),
        ]),
        scopes: Vec::new(),
        notification: String::new(),
    };
    assert!(matches!(
        Event::from_row(&row),
        Ok(Event::ProjectCreated(_))
    ));

    row.columns.remove("project_name");
    let error = Event::from_row(&row).expect_err("a required column is NULL");
    assert_eq!(
        error.to_string(),
        "column `project_name` is NULL, but `project:created` requires it"
    );

    row.event_type = "project:".into();
    assert!(
        matches!(Event::from_row(&row), Err(LoadError::UnknownEventType(t)) if t == "project:")
    );
    row.event_type = "view:loaded".into();
    assert!(
        matches!(Event::from_row(&row), Err(LoadError::UnknownEventType(_))),
        "analytics-only events are never rows"
    );
}

// ---- the real store ---------------------------------------------------------------------

#[path = "support/mod.rs"]
mod support;

mod store {
    use std::time::Duration;

    use event_outbox::store::{
        EventQuery, NewWebhook, Scope, Store, StoreConfig, StoreError, SubscriberKind,
    };
    use event_runtime::reexport::chrono::TimeDelta;
    use event_runtime::{LoadError, StoredEvent, TelemetryEvent, TelemetryKey};
    use sqlx::Row;
    use workspace_tests::events::*;
    use workspace_tests::samples::{at, cron_run_failed, id, one_off_run_failed, project};

    use test_support::Backend;

    use super::support::database::with_store;

    fn config() -> StoreConfig {
        StoreConfig::default().telemetry(TelemetryKey::new(b"k".to_vec()))
    }

    /// The stored event types of the generated catalog.
    fn stored_types() -> impl Iterator<Item = &'static str> {
        AnalyticsEvent::ALL
            .iter()
            .filter(|e| e.is_stored())
            .map(|e| e.as_str())
    }

    /// Records the sample through the generated function and checks the event row, the
    /// deliveries and their payloads.
    async fn scenario(store: Store) {
        store
            .check_event_types(stored_types())
            .await
            .expect("the migrations hold the catalog's event types");
        let event = one_off_run_failed();
        let failed = ProjectOneOffJobPipelineRunFailed::TYPE;
        let in_job = store
            .create_webhook(NewWebhook::new("in-job", "https://a.example/"))
            .await
            .expect("create")
            .subscriber
            .uuid;
        store
            .subscribe(
                in_job,
                failed,
                Scope::global()
                    .with("project_uuid", id(1))
                    .with("job_uuid", id(2)),
            )
            .await
            .expect("subscribe");
        let other_job = store
            .create_webhook(NewWebhook::new("other-job", "https://b.example/"))
            .await
            .expect("create")
            .subscriber
            .uuid;
        store
            .subscribe(
                other_job,
                failed,
                Scope::global()
                    .with("project_uuid", id(1))
                    .with("job_uuid", id(99)),
            )
            .await
            .expect("subscribe");
        store
            .ensure_analytics_subscriber("analytics", stored_types())
            .await
            .expect("the analytics subscriber");

        let mut tx = store.begin().await.expect("begin");
        let recorded = register_project_one_off_job_pipeline_run_failed_event(&mut tx, &event)
            .await
            .expect("recorded");
        tx.commit().await.expect("commit");
        assert_eq!(recorded.0, event.uuid);

        let (job_status, total_runs, run_uuid, number) = match (
            store.sqlite_pool(),
            store.postgres_pool(),
        ) {
            (Some(pool), _) => {
                let row = sqlx::query(r#"SELECT "job_status", "job_total_runs", "pipeline_run_uuid", "pipeline_run_number" FROM "eventgen_events""#)
                    .fetch_one(pool)
                    .await
                    .expect("the event row");
                (
                    row.get::<String, _>(0),
                    row.get::<i64, _>(1),
                    row.get::<String, _>(2),
                    row.get::<Option<i64>, _>(3),
                )
            }
            (_, Some(pool)) => {
                let row = sqlx::query(r#"SELECT "job_status", "job_total_runs", "pipeline_run_uuid"::text, "pipeline_run_number" FROM "eventgen_events""#)
                    .fetch_one(pool)
                    .await
                    .expect("the event row");
                (
                    row.get::<String, _>(0),
                    row.get::<i64, _>(1),
                    row.get::<String, _>(2),
                    row.get::<Option<i64>, _>(3),
                )
            }
            _ => unreachable!("a store has a pool"),
        };
        assert_eq!(job_status, "STARTED");
        assert_eq!(total_runs, 4);
        assert_eq!(run_uuid, id(3).to_string());
        assert_eq!(number, Some(2));

        let claim = store
            .claim("test", 10, Duration::from_secs(60))
            .await
            .expect("claim");
        let mut names: Vec<&str> = claim
            .deliveries
            .iter()
            .map(|d| d.target.name.as_str())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["analytics", "in-job"],
            "scoped to the event's project and job"
        );
        for delivery in &claim.deliveries {
            let expected = match delivery.target.kind {
                SubscriberKind::Analytics => event
                    .telemetry_json(&TelemetryKey::new(b"k".to_vec()))
                    .expect("JSON"),
                SubscriberKind::Webhook => event.notification_json().expect("JSON"),
                other => panic!("no {other:?} subscriber was created"),
            };
            assert_eq!(delivery.payload, expected);
            assert_eq!(delivery.event_timestamp, event.timestamp);
        }
        assert!(
            !claim
                .deliveries
                .iter()
                .any(|d| d.payload.contains("Secret project")
                    && d.target.kind == SubscriberKind::Analytics)
        );
    }

    /// Records events of several shapes (JSON maps and lists, optional values, enums,
    /// booleans, times) and loads them back through the store.
    async fn loading(store: Store) {
        let failed = one_off_run_failed();
        let cron = ProjectCronJobRunPipelineRunFailed {
            cron_job: CronJob {
                schedule: "0 * * * *".into(),
                next_scheduled_time: Some(at() + TimeDelta::hours(1)),
            },
            ..cron_run_failed()
        };
        let restarted = ProjectPipelineInteractiveSessionServiceRestarted {
            uuid: id(300),
            timestamp: at() + TimeDelta::minutes(5),
            project: project(),
            pipeline: Pipeline {
                uuid: id(7),
                name: "Train".into(),
                url_path: "/pipeline/7".into(),
            },
            active_runs: true,
        };
        let mut tx = store.begin().await.expect("begin");
        register_project_one_off_job_pipeline_run_failed_event(&mut tx, &failed)
            .await
            .expect("recorded");
        register_project_cron_job_run_pipeline_run_failed_event(&mut tx, &cron)
            .await
            .expect("recorded");
        register_project_pipeline_interactive_session_service_restarted_event(&mut tx, &restarted)
            .await
            .expect("recorded");
        tx.commit().await.expect("commit");

        let loaded: Option<Event> = store.event(cron.uuid).await.expect("loads");
        assert_eq!(
            loaded,
            Some(Event::ProjectCronJobRunPipelineRunFailed(cron.clone()))
        );
        let loaded: Option<ProjectPipelineInteractiveSessionServiceRestarted> =
            store.event(restarted.uuid).await.expect("loads");
        assert_eq!(loaded.as_ref(), Some(&restarted));
        assert_eq!(
            store.event::<Event>(id(999)).await.expect("no error"),
            None,
            "no such event"
        );
        match store
            .event::<ProjectPipelineInteractiveSessionServiceRestarted>(failed.uuid)
            .await
        {
            Err(StoreError::Load(LoadError::WrongEventType { expected, found })) => {
                assert_eq!(
                    expected,
                    ProjectPipelineInteractiveSessionServiceRestarted::TYPE
                );
                assert_eq!(found, ProjectOneOffJobPipelineRunFailed::TYPE);
            }
            other => panic!("loaded another type's row: {other:?}"),
        }

        // Oldest first, by time and then id.
        let all: Vec<Event> = store.events(&EventQuery::new()).await.expect("loads");
        assert_eq!(
            all,
            [
                Event::ProjectOneOffJobPipelineRunFailed(failed.clone()),
                Event::ProjectCronJobRunPipelineRunFailed(cron.clone()),
                Event::ProjectPipelineInteractiveSessionServiceRestarted(restarted.clone()),
            ]
        );
        let first: Vec<Event> = store
            .events(&EventQuery::new().limit(1))
            .await
            .expect("loads");
        assert_eq!(first, all[..1]);
        let later: Vec<Event> = store
            .events(&EventQuery::new().since(at() + TimeDelta::seconds(1)))
            .await
            .expect("loads");
        assert_eq!(later, all[2..]);
        let of_types: Vec<Event> = store
            .events(
                &EventQuery::new()
                    .event_type(ProjectCronJobRunPipelineRunFailed::TYPE)
                    .event_type(ProjectPipelineInteractiveSessionServiceRestarted::TYPE),
            )
            .await
            .expect("loads");
        assert_eq!(of_types, all[1..]);
        // Pages: the same time, ordered by id; then a later time.
        let next: Vec<Event> = store
            .events(
                &EventQuery::new()
                    .after(failed.timestamp, failed.uuid)
                    .limit(1),
            )
            .await
            .expect("loads");
        assert_eq!(next, all[1..2]);
        let last: Vec<Event> = store
            .events(&EventQuery::new().after(cron.timestamp, cron.uuid))
            .await
            .expect("loads");
        assert_eq!(last, all[2..]);

        // A row the catalog cannot hold says which column is wrong, once.
        let error = load_after(
            &store,
            r#"UPDATE "eventgen_events" SET "pipeline_name" = NULL"#,
            restarted.uuid,
        )
        .await;
        assert_eq!(
            error,
            "cannot load the event: column `pipeline_name` is NULL, but \
             `project:pipeline:interactive-session:service-restarted` requires it"
        );
        if store.backend() == "sqlite" {
            let error = load_after(
                &store,
                r#"UPDATE "eventgen_events" SET "timestamp" = 'yesterday'"#,
                cron.uuid,
            )
            .await;
            assert_eq!(
                error,
                "cannot load the event: column `timestamp` holds an invalid value: \
                 premature end of input"
            );
        }
    }

    /// The error of loading the event `uuid` once `update` (an `UPDATE` of `events`
    /// without its `WHERE`) has changed its row.
    async fn load_after(store: &Store, update: &str, uuid: super::Uuid) -> String {
        test_support::execute(store, &format!(r#"{update} WHERE "uuid" = '{uuid}'"#)).await;
        store
            .event::<Event>(uuid)
            .await
            .expect_err("the changed row does not load")
            .to_string()
    }

    #[tokio::test]
    async fn events_load_back_from_the_sqlite_store() {
        with_store(Backend::Sqlite, config(), loading).await;
    }

    #[tokio::test]
    async fn events_load_back_from_the_postgres_store() {
        with_store(Backend::Postgres, config(), loading).await;
    }

    #[tokio::test]
    async fn register_records_into_the_sqlite_store() {
        with_store(Backend::Sqlite, config(), scenario).await;
    }

    #[tokio::test]
    async fn register_records_into_the_postgres_store() {
        with_store(Backend::Postgres, config(), scenario).await;
    }
}
