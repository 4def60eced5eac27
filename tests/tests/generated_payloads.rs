//! The generated code for the reference catalog (built by this crate's build script, as a
//! consuming crate builds it): payloads have the reference's shapes, telemetry carries no
//! sensitive value, and the enums round-trip.

use std::collections::BTreeMap;

use event_runtime::{TelemetryEvent, TelemetryKey};
use serde_json::{Value, json};
use workspace_tests::events::*;
use workspace_tests::samples::*;

fn key() -> TelemetryKey {
    TelemetryKey::new(b"test key".to_vec())
}

fn to_json(value: impl event_runtime::reexport::serde::Serialize) -> Value {
    serde_json::to_value(value).expect("serializes")
}

#[test]
fn one_off_pipeline_run_notification_has_the_reference_shape() {
    let event = one_off_run_failed();
    assert_eq!(
        to_json(event.to_notification_payload()),
        json!({
            "uuid": id(100).to_string(),
            "type": "project:one-off-job:pipeline-run:failed",
            "version": 1,
            "timestamp": "2026-11-27T10:00:00Z",
            "project": {
                "uuid": id(1).to_string(),
                "name": "Secret project",
                "job": {
                    "uuid": id(2).to_string(),
                    "name": "Nightly",
                    "status": "STARTED",
                    "pipeline_name": "Train",
                    "url_path": "/job/2",
                    "total_runs": 4,
                    "pipeline_run": {
                        "uuid": id(3).to_string(),
                        "status": "FAILURE",
                        "number": 2,
                        "url_path": "/job/2/run/3",
                        "parameters": {
                            "pipeline_parameters": { "parameters": { "seed": 3 } },
                            "step-1": { "step": { "uuid": "s1", "title": "Load" }, "parameters": { "rows": 10 } }
                        },
                        "failed_steps": [ { "uuid": id(9).to_string(), "title": "Load data" } ]
                    }
                }
            }
        })
    );
}

#[test]
fn one_off_pipeline_run_telemetry_drops_names_and_counts_collections() {
    let event = one_off_run_failed();
    assert_eq!(
        to_json(event.to_telemetry_payload(&key())),
        json!({
            "event_properties": {
                "uuid": id(100).to_string(),
                "type": "project:one-off-job:pipeline-run:failed",
                "version": 1,
                "timestamp": "2026-11-27T10:00:00Z",
                "project": {
                    "uuid": id(1).to_string(),
                    "job": {
                        "uuid": id(2).to_string(),
                        "status": "STARTED",
                        "url_path": "/job/2",
                        "total_runs": 4,
                        "pipeline_run": {
                            "uuid": id(3).to_string(),
                            "status": "FAILURE",
                            "number": 2,
                            "url_path": "/job/2/run/3"
                        }
                    }
                }
            },
            "derived_properties": {
                "project": { "job": { "pipeline_run": { "parameters_count": 2, "failed_steps_count": 1 } } }
            }
        })
    );
}

#[test]
fn cron_jobs_carry_their_schedule_and_run() {
    let event = ProjectCronJobRunPipelineRunFailed {
        uuid: id(200),
        timestamp: at(),
        project: project(),
        job: job(JobStatus::Started),
        cron_job: CronJob {
            schedule: "0 3 * * *".into(),
            next_scheduled_time: None,
        },
        cron_job_run: CronJobRun {
            number: 7,
            total_pipeline_runs: 2,
            status: Some(CronJobRunStatus::Started),
        },
        cron_job_run_pipeline_run: CronJobRunPipelineRun {
            uuid: id(4),
            status: PipelineRunStatus::Failure,
            number: Some(13),
            number_in_run: Some(1),
            url_path: "/job/2/run/4".into(),
            parameters: BTreeMap::new(),
        },
        failed_steps: vec![],
    };
    let notification = to_json(event.to_notification_payload());
    let job = &notification["project"]["job"];
    assert_eq!(job["schedule"], "0 3 * * *");
    assert!(
        job.get("next_scheduled_time").is_none(),
        "absent optional values are left out"
    );
    assert_eq!(job["run"]["number"], 7, "the reference's key");
    assert_eq!(job["run"]["total_pipeline_runs"], 2);
    assert_eq!(job["run"]["pipeline_run"]["number_in_run"], 1);
    let telemetry = to_json(event.to_telemetry_payload(&key()));
    assert_eq!(
        telemetry["derived_properties"],
        json!({ "project": { "job": { "run": { "pipeline_run": { "parameters_count": 0, "failed_steps_count": 0 } } } } })
    );
}

#[test]
fn updates_carry_the_change_list_and_keep_its_values_out_of_telemetry() {
    let event = ProjectPipelineUpdated {
        uuid: id(300),
        timestamp: at(),
        project: project(),
        pipeline: Pipeline {
            uuid: id(5),
            name: "Train".into(),
            url_path: "/pipeline/5".into(),
        },
        update: ChangeList {
            changes: vec![Change {
                r#type: ChangeType::Updated,
                changed_object: "name".into(),
                old_value: Some(json!("Train")),
                new_value: Some(json!("Train v2")),
            }],
        },
    };
    assert_eq!(
        to_json(event.to_notification_payload())["project"]["pipeline"],
        json!({
            "uuid": id(5).to_string(),
            "name": "Train",
            "url_path": "/pipeline/5",
            "update": { "changes": [ { "type": "UPDATED", "changed_object": "name", "old_value": "Train", "new_value": "Train v2" } ] }
        })
    );
    assert_eq!(
        to_json(event.to_telemetry_payload(&key()))["event_properties"]["project"]["pipeline"],
        json!({
            "uuid": id(5).to_string(),
            "url_path": "/pipeline/5",
            "update": { "changes": [ { "type": "UPDATED", "changed_object": "name" } ] }
        })
    );
}

#[test]
fn image_builds_notify_an_empty_object_and_send_times_to_telemetry_only() {
    let event = ProjectEnvironmentImageBuildStarted {
        uuid: id(400),
        timestamp: at(),
        project: project(),
        environment: Environment {
            uuid: id(6),
            name: None,
            url_path: "/environment/6".into(),
        },
        environment_image_build: EnvironmentImageBuild {
            image_tag: 12,
            requested_time: Some(at()),
            started_time: Some(at()),
            finished_time: None,
        },
    };
    assert_eq!(
        to_json(event.to_notification_payload())["project"]["environment"],
        json!({ "uuid": id(6).to_string(), "url_path": "/environment/6", "image_build": {} })
    );
    assert_eq!(
        to_json(event.to_telemetry_payload(&key()))["event_properties"]["project"]["environment"]["image_build"],
        json!({ "image_tag": 12, "requested_time": "2026-11-27T10:00:00Z", "started_time": "2026-11-27T10:00:00Z" })
    );
}

#[test]
fn interactive_sessions_contribute_an_empty_object() {
    let event = ProjectPipelineInteractiveSessionStarted {
        uuid: id(500),
        timestamp: at(),
        project: project(),
        pipeline: Pipeline {
            uuid: id(5),
            name: "Train".into(),
            url_path: "/pipeline/5".into(),
        },
    };
    assert_eq!(
        to_json(event.to_notification_payload())["project"]["pipeline"]["session"],
        json!({})
    );
}

#[test]
fn jupyter_builds_nest_under_jupyter() {
    let event = JupyterImageBuildSucceeded {
        uuid: id(600),
        timestamp: at(),
        jupyter_image_build: JupyterImageBuild {
            uuid: id(7),
            image_tag: 3,
            requested_time: None,
            started_time: None,
            finished_time: Some(at()),
        },
    };
    assert_eq!(
        to_json(event.to_notification_payload()),
        json!({
            "uuid": id(600).to_string(),
            "type": "jupyter:image-build:succeeded",
            "version": 1,
            "timestamp": "2026-11-27T10:00:00Z",
            "jupyter": { "image_build": { "uuid": id(7).to_string() } }
        })
    );
}

#[test]
fn derived_values_go_to_derived_properties_as_the_reference_put_them() {
    let event = project_created(project(), 3);
    let telemetry = to_json(event.to_telemetry_payload(&key()));
    assert_eq!(
        telemetry["derived_properties"]["project"]["projects_count"],
        3
    );
    assert!(
        telemetry["event_properties"]["project"]
            .get("projects_count")
            .is_none(),
        "{telemetry}"
    );
    assert!(
        to_json(event.to_notification_payload())["project"]
            .get("projects_count")
            .is_none()
    );
}

#[test]
fn analytics_only_events_have_telemetry_at_the_top() {
    let event = ViewLoaded {
        uuid: id(700),
        timestamp: at(),
        name: "/pipeline".into(),
    };
    assert_eq!(
        to_json(event.to_telemetry_payload(&key())),
        json!({
            "event_properties": {
                "uuid": id(700).to_string(),
                "type": "view:loaded",
                "version": 1,
                "timestamp": "2026-11-27T10:00:00Z",
                "name": "/pipeline"
            },
            "derived_properties": {}
        })
    );
}

/// Every string that appears in a sensitive field of the sample events.
const SECRETS: &[&str] = &[
    "Secret project",
    "Nightly",
    "Train",
    "Load data",
    "seed",
    "rows",
];

#[test]
fn no_sensitive_value_reaches_telemetry() {
    let telemetry =
        serde_json::to_string(&one_off_run_failed().to_telemetry_payload(&key())).expect("JSON");
    for secret in SECRETS {
        assert!(
            !telemetry.contains(secret),
            "`{secret}` leaked into {telemetry}"
        );
    }
    let stored = one_off_run_failed().telemetry_json(&key()).expect("JSON");
    assert_eq!(stored, telemetry, "the store records the same telemetry");
}

/// What the store records (`StoredEvent`, written by the runtime from the event's levels,
/// the same code for every event) is, byte for byte, what serde writes from the payloads
/// the event's methods return.
#[test]
fn recorded_json_is_the_serialized_payloads_text() {
    fn same_text<E: event_runtime::StoredEvent>(
        event: &E,
        notification: impl event_runtime::reexport::serde::Serialize,
        telemetry: impl event_runtime::reexport::serde::Serialize,
    ) {
        assert_eq!(
            event.notification_json().expect("JSON"),
            serde_json::to_string(&notification).expect("JSON")
        );
        assert_eq!(
            event.telemetry_json(&key()).expect("JSON"),
            serde_json::to_string(&telemetry).expect("JSON")
        );
    }
    let event = one_off_run_failed();
    same_text(
        &event,
        event.to_notification_payload(),
        event.to_telemetry_payload(&key()),
    );
    let event = cron_run_failed();
    same_text(
        &event,
        event.to_notification_payload(),
        event.to_telemetry_payload(&key()),
    );
    let event = project_created(project(), 3);
    same_text(
        &event,
        event.to_notification_payload(),
        event.to_telemetry_payload(&key()),
    );
}

#[test]
fn analytics_enum_round_trips_and_suggests_the_closest_name() {
    // The reference's 66 and the 3 operational events.
    assert_eq!(AnalyticsEvent::ALL.len(), 66 + 3);
    assert_eq!(
        AnalyticsEvent::ALL.iter().filter(|e| e.is_stored()).count(),
        58 + 3
    );
    assert_eq!(
        AnalyticsEvent::ALL.iter().filter(|e| e.is_client()).count(),
        3
    );
    for &event in AnalyticsEvent::ALL {
        assert_eq!(event.as_str().parse::<AnalyticsEvent>(), Ok(event));
        let json = serde_json::to_string(&event).expect("serializes");
        assert_eq!(json, format!("\"{}\"", event.as_str()));
        assert_eq!(
            serde_json::from_str::<AnalyticsEvent>(&json).expect("deserializes"),
            event
        );
    }
    let error = "project:pipline:created"
        .parse::<AnalyticsEvent>()
        .expect_err("unknown");
    assert_eq!(error.suggestion, Some("project:pipeline:created"));
    assert!(
        error
            .to_string()
            .contains("did you mean `project:pipeline:created`?"),
        "{error}"
    );
    assert!(serde_json::from_str::<AnalyticsEvent>("\"nope\"").is_err());
    assert_eq!(AnalyticsEvent::ViewLoaded.to_string(), "view:loaded");
    assert!(!AnalyticsEvent::HeartbeatTrigger.is_stored());
}

#[test]
fn catalog_enums_round_trip() {
    for &status in JobStatus::ALL {
        assert_eq!(status.as_str().parse::<JobStatus>(), Ok(status));
        assert_eq!(to_json(status), json!(status.as_str()));
    }
    let error = "RUNNING".parse::<JobStatus>().expect_err("not a status");
    assert_eq!(
        error.to_string(),
        "`RUNNING` is not a value of `job-status`"
    );
}

/// The committed schema of `schemas/<kind>/<file>`, what client teams validate against.
fn committed_schema(kind: &str, file: &str) -> jsonschema::Validator {
    let path = format!("{}/../schemas/{kind}/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&text).expect("JSON");
    jsonschema::draft202012::new(&schema).expect("valid schema")
}

#[test]
fn payloads_validate_against_the_committed_schemas() {
    let event = one_off_run_failed();
    let file = "project.one-off-job.pipeline-run.failed/v1.json";
    for (kind, payload) in [
        ("notification", to_json(event.to_notification_payload())),
        ("telemetry", to_json(event.to_telemetry_payload(&key()))),
    ] {
        let validator = committed_schema(kind, file);
        let errors: Vec<String> = validator
            .iter_errors(&payload)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{kind}: {errors:?}");
        let mut broken = payload.clone();
        broken.as_object_mut().expect("object").remove("type");
        broken
            .as_object_mut()
            .expect("object")
            .remove("event_properties");
        assert!(
            !validator.is_valid(&broken),
            "{kind}: a missing member is refused"
        );
    }
}
