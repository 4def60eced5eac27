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
