//! The feature fixture's generated module: hashed, counted, optional, telemetry-only and
//! deprecated fields behave as declared, and payloads validate against the generated
//! JSON Schemas of the same catalog.

use event_runtime::reexport::chrono::{TimeZone, Utc};
use event_runtime::reexport::uuid::Uuid;
use event_runtime::{StoredEvent, TelemetryEvent, TelemetryKey};
use serde_json::{Value, json};
use workspace_tests::features::*;

fn failed() -> ProjectOneOffJobPipelineRunFailed {
    #[allow(deprecated)]
    let job = Job {
        uuid: Uuid::from_u128(2),
        status: JobStatus::Started,
        legacy: None,
    };
    ProjectOneOffJobPipelineRunFailed {
        uuid: Uuid::from_u128(100),
        timestamp: Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .single()
            .expect("time"),
        project: Project {
            uuid: Uuid::from_u128(1),
            name: "Secret".into(),
            owner: "alice".into(),
        },
        job,
        one_off_job: OneOffJob { total_runs: 3 },
        pipeline_run: PipelineRun {
            uuid: Uuid::from_u128(3),
            number: None,
            parameters: [("seed".to_owned(), json!(1))].into(),
            duration: Some(12.5),
        },
        failed_steps: vec![],
        steps: vec![Step {
            uuid: Uuid::from_u128(9),
            title: "Load".into(),
            tags: vec!["io".into(), "slow".into()],
            owner: Some("bob".into()),
        }],
        error: Some(json!({ "message": "boom" })),
    }
}

fn schema(path: &str) -> jsonschema::Validator {
    // The generated schemas of the fixture, from the same generator the CLI runs.
    let catalog = event_codegen::load_str(
        "features.toml",
        include_str!("../../codegen/tests/fixtures/features.toml"),
    )
    .catalog
    .expect("fixture checks");
    let file = event_codegen::generate::json_schema::files(&catalog)
        .into_iter()
        .find(|f| f.path.to_str() == Some(path))
        .unwrap_or_else(|| panic!("no schema {path}"));
    let schema: Value = serde_json::from_str(&file.contents).expect("JSON");
    jsonschema::draft202012::new(&schema).expect("valid schema")
}

#[test]
fn hashed_fields_are_keyed_hashes_and_counts_replace_collections() {
    let key = TelemetryKey::new(b"secret".to_vec());
    let telemetry = serde_json::to_value(failed().to_telemetry_payload(&key)).expect("JSON");
    let project = &telemetry["event_properties"]["project"];
    assert_eq!(project["owner"], key.hash("alice"));
    assert_eq!(project["owner"].as_str().map(str::len), Some(64));
    assert!(project.get("name").is_none());
    let run = &project["job"]["pipeline_run"];
    assert_eq!(
        run["duration"], 12.5,
        "telemetry-only fields reach telemetry"
    );
    assert_eq!(
        run["steps"][0],
        json!({ "uuid": Uuid::from_u128(9).to_string(), "tags_count": 2, "owner": key.hash("bob") })
    );
    assert!(run.get("error").is_none() && run.get("parameters").is_none());
    assert_eq!(
        telemetry["derived_properties"]["project"]["job"]["pipeline_run"],
        json!({ "parameters_count": 1, "failed_steps_count": 0 })
    );
    let other_key = TelemetryKey::new(b"other".to_vec());
    assert_ne!(
        serde_json::to_value(failed().to_telemetry_payload(&other_key)).expect("JSON"),
        telemetry
    );
}

#[test]
fn notification_leaves_out_telemetry_only_fields() {
    let notification = serde_json::to_value(failed().to_notification_payload()).expect("JSON");
    let run = &notification["project"]["job"]["pipeline_run"];
    assert!(run.get("duration").is_none());
    assert!(run.get("number").is_none(), "absent optional");
    assert_eq!(run["error"], json!({ "message": "boom" }));
}

#[test]
fn generated_payloads_validate_against_the_generated_schemas() {
    let key = TelemetryKey::new(b"secret".to_vec());
    let event = failed();
    let notification: Value =
        serde_json::from_str(&event.notification_json().expect("JSON")).expect("JSON");
    let telemetry: Value =
        serde_json::from_str(&event.telemetry_json(&key).expect("JSON")).expect("JSON");
    let file = "project.one-off-job.pipeline-run.failed/v1.json";
    let notification_schema = schema(&format!("schemas/notification/{file}"));
    let telemetry_schema = schema(&format!("schemas/telemetry/{file}"));
    let errors: Vec<String> = notification_schema
        .iter_errors(&notification)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let errors: Vec<String> = telemetry_schema
        .iter_errors(&telemetry)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut leaked = telemetry.clone();
    leaked["event_properties"]["project"]["name"] = json!("Secret");
    assert!(!telemetry_schema.is_valid(&leaked));
}

#[test]
fn deprecated_events_are_marked_in_the_analytics_enum() {
    #[allow(deprecated)]
    let renamed = AnalyticsEvent::ProjectRenamed;
    assert_eq!(renamed.as_str(), "project:renamed");
    assert!(AnalyticsEvent::ViewLoaded.is_client() && !AnalyticsEvent::ViewLoaded.is_stored());
}
