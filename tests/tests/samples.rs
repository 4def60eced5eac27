//! The generator's sample payloads are what the runtime produces: the fixture's event
//! that exercises every telemetry policy (hashed, counted and dropped fields, inside a
//! named type too, and a telemetry-only one), built with the sample's values through the
//! generated code, gives the notification sample and, under the samples' key, the
//! telemetry sample; so does every stored event of the reference catalog, read back from
//! its notification sample.

use std::collections::BTreeMap;

use event_codegen::generate::json_schema::PayloadKind;
use event_codegen::generate::sample::{self, SAMPLE_KEY};
use event_runtime::reexport::chrono::DateTime;
use event_runtime::reexport::uuid::Uuid;
use event_runtime::{StoredEvent, TelemetryEvent, TelemetryKey};
use serde_json::Value;
use workspace_tests::{events, features};

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a string: {value}"))
        .to_owned()
}

fn id(value: &Value) -> Uuid {
    Uuid::parse_str(&text(value)).expect("a uuid")
}

fn step(value: &Value) -> features::Step {
    features::Step {
        uuid: id(&value["uuid"]),
        title: text(&value["title"]),
        tags: value["tags"]
            .as_array()
            .expect("a list")
            .iter()
            .map(text)
            .collect(),
        owner: Some(text(&value["owner"])),
    }
}

#[test]
fn the_runtime_gives_the_samples_from_the_samples_values() {
    let catalog = event_codegen::load_str(
        "features.toml",
        include_str!("../../codegen/tests/fixtures/features.toml"),
    )
    .catalog
    .expect("the fixture checks");
    let def = catalog
        .event("project:one-off-job:pipeline-run:failed")
        .expect("the event");
    let notification = sample::sample(&catalog, def, PayloadKind::Notification).expect("stored");
    let telemetry = sample::sample(&catalog, def, PayloadKind::Telemetry).expect("telemetry");

    let project = &notification["project"];
    let job = &project["job"];
    let run = &job["pipeline_run"];
    // Telemetry-only: only in the telemetry sample.
    let duration = &telemetry["event_properties"]["project"]["job"]["pipeline_run"]["duration"];
    #[allow(deprecated)]
    let event = features::ProjectOneOffJobPipelineRunFailed {
        uuid: id(&notification["uuid"]),
        timestamp: DateTime::parse_from_rfc3339(&text(&notification["timestamp"]))
            .expect("a time")
            .to_utc(),
        project: features::Project {
            uuid: id(&project["uuid"]),
            name: text(&project["name"]),
            owner: text(&project["owner"]),
        },
        job: features::Job {
            uuid: id(&job["uuid"]),
            status: serde_json::from_value(job["status"].clone()).expect("a status"),
            legacy: job["legacy"].as_bool(),
        },
        one_off_job: features::OneOffJob {
            total_runs: job["total_runs"].as_i64().expect("an int"),
        },
        pipeline_run: features::PipelineRun {
            uuid: id(&run["uuid"]),
            number: run["number"].as_i64(),
            parameters: serde_json::from_value::<BTreeMap<String, Value>>(
                run["parameters"].clone(),
            )
            .expect("a map"),
            duration: duration.as_f64(),
        },
        failed_steps: vec![step(&run["failed_steps"][0])],
        steps: vec![step(&run["steps"][0])],
        error: Some(run["error"].clone()),
    };
    let json = |text: String| -> Value { serde_json::from_str(&text).expect("JSON") };
    assert_eq!(
        json(event.notification_json().expect("notification")),
        notification
    );
    let key = TelemetryKey::new(SAMPLE_KEY);
    assert_eq!(
        json(event.telemetry_json(&key).expect("telemetry")),
        telemetry
    );
}

#[test]
fn every_reference_event_read_from_its_sample_gives_both_samples() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");
    let text = std::fs::read_to_string(path).expect("the reference catalog");
    let catalog = event_codegen::load_str(path, text.as_str())
        .catalog
        .expect("the reference catalog checks");
    let key = TelemetryKey::new(SAMPLE_KEY);
    let json = |text: String| -> Value { serde_json::from_str(&text).expect("JSON") };
    let mut checked = 0;
    for def in catalog.stored_events() {
        let notification =
            sample::sample(&catalog, def, PayloadKind::Notification).expect("stored");
        let telemetry = sample::sample(&catalog, def, PayloadKind::Telemetry).expect("telemetry");
        let read = serde_json::from_value::<events::Event>(notification.clone());
        // A telemetry-only value is not in the notification payload to read it from.
        if catalog.event_shape(def).fields().any(|f| !f.notification) {
            assert!(read.is_err(), "{}", def.event_type);
            continue;
        }
        let event = read.unwrap_or_else(|e| panic!("{}: {e}", def.event_type));
        let stored = event.as_stored();
        assert_eq!(
            json(stored.notification_json().expect("notification")),
            notification,
            "{}",
            def.event_type
        );
        assert_eq!(
            json(stored.telemetry_json(&key).expect("telemetry")),
            telemetry,
            "{}",
            def.event_type
        );
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} events checked");
}
