//! The generators' feature fixture (`codegen/tests/fixtures/features.toml`) declared with
//! the `event-macros` derives instead: the parity tests check that both give the same
//! catalog, payloads and schemas. The enum sits outside `src/` (in `derived/`), which the
//! catalog's `src` names so that the derives here see it. Items with a sensitive field do
//! not derive `Debug`: their derive emits a redacted one.
#![allow(deprecated)]

use std::collections::BTreeMap;

use event_macros::{Catalog, Event, Layer, NamedType};
use event_runtime::reexport::serde::{Deserialize, Serialize};
use event_runtime::reexport::serde_json::Value;
use event_runtime::{Timestamp, Uuid};

/// A small catalog covering every feature of the payload schemas.
#[derive(Catalog)]
#[catalog(schema_base = "https://schemas.example.com/fixture/", src = "derived")]
pub struct Fixture;

#[path = "../derived/job_status.rs"]
mod job_status;
pub use job_status::JobStatus;

/// A step of a pipeline.
#[derive(Clone, PartialEq, Serialize, Deserialize, NamedType)]
#[serde(crate = "event_runtime::reexport::serde")]
pub struct Step {
    /// UUID of the step.
    pub uuid: Uuid,
    /// Title of the step | as shown in the editor.
    #[field(sensitive, example = "Load data")]
    pub title: String,
    /// Tags of the step.
    #[field(telemetry = "count", example = ["etl", "nightly"])]
    pub tags: Vec<String>,
    /// Login of the step's owner.
    #[field(telemetry = "hash")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// A project.
#[derive(Clone, PartialEq, Layer)]
pub struct Project {
    /// UUID of the project.
    #[field(scope)]
    pub uuid: Uuid,
    /// Name of the project.
    #[field(sensitive)]
    pub name: String,
    /// Login of the project's owner.
    #[field(telemetry = "hash", example = "ada")]
    pub owner: String,
}

/// A job of a project.
#[derive(Debug, Clone, PartialEq, Layer)]
#[layer(parent = "project", abstract)]
pub struct Job {
    /// UUID of the job.
    #[field(scope)]
    pub uuid: Uuid,
    /// Status of the job.
    #[field(example = "STARTED")]
    pub status: JobStatus,
    /// No longer set.
    #[deprecated]
    #[field(example = false)]
    pub legacy: Option<bool>,
}

/// A job that runs once.
#[derive(Debug, Clone, PartialEq, Layer)]
#[layer(parent = "job", inline)]
pub struct OneOffJob {
    /// Number of runs of the job.
    #[field(example = 3)]
    pub total_runs: i64,
}

/// A pipeline run of a one-off job.
#[derive(Clone, PartialEq, Layer)]
#[layer(parent = "one-off-job", key = "pipeline_run")]
pub struct PipelineRun {
    /// UUID of the run.
    #[field(example = "1b4e28ba-2fa1-41d2-883f-0016d3cca427")]
    pub uuid: Uuid,
    /// Number of the run.
    pub number: Option<i64>,
    /// Parameters of the run.
    #[field(sensitive, telemetry = "count")]
    pub parameters: BTreeMap<String, Value>,
    /// Seconds the run took.
    #[field(notification = false, example = 12)]
    pub duration: Option<f64>,
}

/// A project was created.
#[derive(Debug, Clone, PartialEq, Event)]
#[event(type = "project:created")]
pub struct ProjectCreated {
    /// The event's id.
    pub uuid: Uuid,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The project.
    #[layer]
    pub project: Project,
    /// Number of projects after the creation.
    #[field(notification = false)]
    pub projects_count: i64,
}

/// A project was renamed.
#[derive(Debug, Clone, PartialEq, Event)]
#[event(
    type = "project:renamed",
    deprecated(
        since = "2.0.0",
        note = "use project:updated",
        replaced_by = "project:updated",
        sunset = "2030-06-30"
    )
)]
pub struct ProjectRenamed {
    /// The event's id.
    pub uuid: Uuid,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The project.
    #[layer]
    pub project: Project,
}

/// A project was updated.
#[derive(Debug, Clone, PartialEq, Event)]
#[event(type = "project:updated")]
pub struct ProjectUpdated {
    /// The event's id.
    pub uuid: Uuid,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The project.
    #[layer]
    pub project: Project,
    /// Changed properties.
    #[field(telemetry = "count")]
    pub changes: Option<BTreeMap<String, String>>,
}

/// A one-off job started.
#[derive(Debug, Clone, PartialEq, Event)]
#[event(type = "project:one-off-job:started")]
pub struct ProjectOneOffJobStarted {
    /// The event's id.
    pub uuid: Uuid,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The project.
    #[layer]
    pub project: Project,
    /// The job.
    #[layer]
    pub job: Job,
    /// The one-off job.
    #[layer]
    pub one_off_job: OneOffJob,
}

/// A pipeline run of a one-off job failed.
#[derive(Clone, PartialEq, Event)]
#[event(
    type = "project:one-off-job:pipeline-run:failed",
    message = "Run {{ project.job.pipeline_run.number }} of a job of {{ project.name }} failed{% if project.job.pipeline_run.error %}: {{ project.job.pipeline_run.error.message }}{% endif %}"
)]
pub struct ProjectOneOffJobPipelineRunFailed {
    /// The event's id.
    pub uuid: Uuid,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The project.
    #[layer]
    pub project: Project,
    /// The job.
    #[layer]
    pub job: Job,
    /// The one-off job.
    #[layer]
    pub one_off_job: OneOffJob,
    /// The run.
    #[layer]
    pub pipeline_run: PipelineRun,
    /// The steps that failed.
    #[field(telemetry = "count")]
    pub failed_steps: Vec<Step>,
    /// Every step of the run.
    pub steps: Vec<Step>,
    /// The error.
    #[field(sensitive)]
    pub error: Option<Value>,
}

/// A one-off job was copied.
#[derive(Debug, Clone, PartialEq, Event)]
#[event(type = "project:one-off-job:duplicated", stored = false)]
pub struct ProjectOneOffJobDuplicated {
    /// The event's id.
    pub uuid: Uuid,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The project.
    #[layer]
    pub project: Project,
    /// The job.
    #[layer]
    pub job: Job,
    /// The one-off job.
    #[layer]
    pub one_off_job: OneOffJob,
}

/// A view of the web UI was loaded.
#[derive(Clone, PartialEq, Event)]
#[event(type = "view:loaded", stored = false, client)]
pub struct ViewLoaded {
    /// The event's id.
    pub uuid: Uuid,
    /// When it happened.
    pub timestamp: Timestamp,
    /// Route of the view.
    #[field(example = "/pipeline")]
    pub name: String,
    /// Text shown.
    #[field(sensitive)]
    pub content: Option<String>,
    /// Widgets shown, by name.
    #[field(telemetry = "count")]
    pub widgets: Option<BTreeMap<String, i64>>,
    /// Browser session.
    #[field(telemetry = "hash")]
    pub session: Uuid,
}
