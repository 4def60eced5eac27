//! Generated storage code: `register_<type>_event` hands the event to the runtime's
//! recorder, its columns and scopes are what the catalog declares, and a row of `events`
//! loads back into the same typed event by its exact type.

use std::collections::HashMap;

use event_runtime::reexport::uuid::Uuid;
use event_runtime::{
    ColumnValue, EventId, EventRow, LoadError, Recorder, StoredEvent, TelemetryEvent, TelemetryKey,
    Timestamp,
};
use workspace_tests::events::*;
use workspace_tests::samples::at;

/// A recorder that keeps what it was given, as the outbox store will insert it.
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
