//! Sample events of the reference catalog, shared by the tests and the benchmarks.

use std::collections::BTreeMap;

use event_runtime::Timestamp;
use event_runtime::reexport::chrono::{TimeZone, Utc};
use event_runtime::reexport::uuid::Uuid;
use serde_json::{Value, json};

use crate::events::*;

/// A fixed uuid.
pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// A fixed time: 2026-11-27T10:00:00Z.
pub fn at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .single()
        .expect("valid time")
}

/// A project (its name is sensitive).
pub fn project() -> Project {
    Project {
        uuid: id(1),
        name: "Secret project".into(),
    }
}

/// A job in `status` (its names are sensitive).
pub fn job(status: JobStatus) -> Job {
    Job {
        uuid: id(2),
        name: "Nightly".into(),
        status,
        pipeline_name: "Train".into(),
        url_path: "/job/2".into(),
    }
}

/// Run parameters in the reference's shape: per step, and the pipeline's.
pub fn parameters() -> BTreeMap<String, Value> {
    BTreeMap::from([
        (
            "step-1".to_owned(),
            json!({ "step": { "uuid": "s1", "title": "Load" }, "parameters": { "rows": 10 } }),
        ),
        (
            "pipeline_parameters".to_owned(),
            json!({ "parameters": { "seed": 3 } }),
        ),
    ])
}

/// One failed step (its title is sensitive).
pub fn failed_steps() -> Vec<Step> {
    vec![Step {
        uuid: id(9),
        title: "Load data".into(),
    }]
}

/// `project:one-off-job:pipeline-run:failed` with every field set.
pub fn one_off_run_failed() -> ProjectOneOffJobPipelineRunFailed {
    ProjectOneOffJobPipelineRunFailed {
        uuid: id(100),
        timestamp: at(),
        project: project(),
        job: job(JobStatus::Started),
        one_off_job: OneOffJob { total_runs: 4 },
        one_off_job_pipeline_run: OneOffJobPipelineRun {
            uuid: id(3),
            status: PipelineRunStatus::Failure,
            number: Some(2),
            url_path: "/job/2/run/3".into(),
            parameters: parameters(),
        },
        failed_steps: failed_steps(),
    }
}

/// `project:cron-job:run:pipeline-run:failed` of another job (uuid 5) in the same project.
pub fn cron_run_failed() -> ProjectCronJobRunPipelineRunFailed {
    ProjectCronJobRunPipelineRunFailed {
        uuid: id(200),
        timestamp: at(),
        project: project(),
        job: Job {
            uuid: id(5),
            name: "Hourly".into(),
            ..job(JobStatus::Started)
        },
        cron_job: CronJob {
            schedule: "0 * * * *".into(),
            next_scheduled_time: None,
        },
        cron_job_run: CronJobRun {
            number: 7,
            total_pipeline_runs: 2,
            status: Some(CronJobRunStatus::Started),
        },
        cron_job_run_pipeline_run: CronJobRunPipelineRun {
            uuid: id(6),
            status: PipelineRunStatus::Failure,
            number: Some(13),
            number_in_run: Some(1),
            url_path: "/job/5/run/6".into(),
            parameters: parameters(),
        },
        failed_steps: failed_steps(),
    }
}

/// `project:created` of `project`, with a fresh event id.
pub fn project_created(project: Project, projects_count: i64) -> ProjectCreated {
    ProjectCreated {
        uuid: event_runtime::new_event_id(),
        timestamp: at(),
        project,
        projects_count,
    }
}

/// The sensitive values the samples carry (names, titles, parameters): none of them may
/// reach telemetry.
pub const SENSITIVE: &[&str] = &[
    "Secret project",
    "Nightly",
    "Hourly",
    "Train",
    "Load data",
    "\"Load\"",
    "\"rows\"",
    "\"seed\"",
];
