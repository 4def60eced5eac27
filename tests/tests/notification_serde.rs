//! The `serde` option on the reference catalog and the feature fixture (`build.rs` turns it
//! on for `events` and `hooked`): an event
//! serializes as its notification payload and reads back from it, `Event` reads the payload
//! of any stored event by its `type`, a webhook's whole body reads into
//! `WebhookDelivery<Event>`, and a wrong payload is an error naming what is wrong.

use std::collections::BTreeMap;

use event_codegen::generate::json_schema;
use event_codegen::model::Catalog;
use event_runtime::StoredEvent;
use event_runtime::notification::{DeliveredFor, WebhookDelivery};
use event_runtime::reexport::serde::Serialize;
use event_runtime::reexport::serde::de::DeserializeOwned;
use serde_json::{Value, json};
use workspace_tests::events::*;
use workspace_tests::samples::*;

fn to_json(value: impl Serialize) -> Value {
    serde_json::to_value(value).expect("serializes")
}

/// What the store records for `event`, which webhooks receive.
fn recorded(event: &dyn StoredEvent) -> Value {
    serde_json::from_str(&event.notification_json().expect("payload")).expect("JSON")
}

/// `event` serializes exactly as its notification payload and reads back from it.
fn round_trips<E>(event: &E, payload: &Value)
where
    E: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(&to_json(event), payload);
    let read: E = serde_json::from_value(payload.clone()).expect("reads back");
    assert_eq!(&read, event);
}

#[test]
fn samples_serialize_as_their_notification_payloads_and_read_back() {
    let one_off = one_off_run_failed();
    round_trips(&one_off, &to_json(one_off.to_notification_payload()));
    let cron = cron_run_failed();
    round_trips(&cron, &to_json(cron.to_notification_payload()));
    assert_eq!(to_json(&cron), recorded(&cron));
    // Sensitive values are part of the notification payload.
    assert_eq!(to_json(&one_off)["project"]["name"], "Secret project");
}

#[test]
fn layers_and_named_types_serialize_as_their_objects() {
    round_trips(
        &project(),
        &json!({ "uuid": id(1), "name": "Secret project" }),
    );
    let job = job(JobStatus::Started);
    round_trips(
        &job,
        &json!({ "uuid": id(2), "name": "Nightly", "status": "STARTED", "pipeline_name": "Train", "url_path": "/job/2" }),
    );
    round_trips(
        &failed_steps(),
        &json!([{ "uuid": id(9), "title": "Load data" }]),
    );
    // A layer reads its own fields from the object that holds them, whatever else it holds.
    let project_object = &to_json(one_off_run_failed())["project"];
    assert_eq!(
        serde_json::from_value::<Project>(project_object.clone()).expect("reads"),
        project()
    );
}

#[test]
fn an_event_with_a_telemetry_only_field_serializes_but_event_refuses_its_payload() {
    let created = project_created(project(), 3);
    let payload = to_json(&created);
    assert_eq!(payload, to_json(created.to_notification_payload()));
    assert!(payload.get("projects_count").is_none());
    let error = serde_json::from_value::<Event>(payload).expect_err("cannot be read back");
    assert!(
        error
            .to_string()
            .contains("`projects_count` is telemetry-only"),
        "{error}"
    );
}

/// A notification payload of the schema `schema` (in the JSON Schema file `root`), every
/// optional member present when `full`. Values vary with `seed`, so that two fields of
/// one type are told apart.
fn sample(root: &Value, schema: &Value, full: bool, seed: &mut u64) -> Value {
    *seed += 1;
    let n = *seed;
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/$defs/");
        return sample(root, &root["$defs"][name], full, seed);
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(values) = schema["enum"].as_array() {
        return values[n as usize % values.len()].clone();
    }
    for choice in ["anyOf", "oneOf"] {
        if let Some(choices) = schema[choice].as_array() {
            let first = choices
                .iter()
                .find(|c| c["type"] != "null")
                .expect("a value");
            return sample(root, first, full, seed);
        }
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types.iter().find(|t| *t != "null").cloned(),
        other => Some(other.clone()),
    };
    match ty.as_ref().and_then(Value::as_str) {
        Some("string") => match schema["format"].as_str() {
            Some("uuid") => json!(id(u128::from(n))),
            Some("date-time") => json!(format!("2026-11-27T10:{:02}:00Z", n % 60)),
            _ => json!(format!("text {n}")),
        },
        Some("integer") => json!(n),
        Some("number") => json!(n as f64 + 0.5),
        Some("boolean") => json!(n.is_multiple_of(2)),
        Some("array") => json!([sample(root, &schema["items"], full, seed)]),
        Some("object") => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut object = serde_json::Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (key, property) in properties {
                    if full || required.contains(&key.as_str()) {
                        object.insert(key.clone(), sample(root, property, full, seed));
                    }
                }
            } else if let Some(values) = schema.get("additionalProperties") {
                object.insert(format!("key {n}"), sample(root, values, full, seed));
            }
            Value::Object(object)
        }
        // A `json` value: anything.
        _ => json!({ "any": [n, "value", null] }),
    }
}

/// The notification payloads of every stored event at its current version, from its JSON
/// Schema (`schema` reads a file by its path in the schemas directory): one with every
/// optional member, one with none.
fn schema_samples(schema: impl Fn(&str) -> Value) -> Vec<(String, Value)> {
    let index = schema("index.json");
    let mut samples = Vec::new();
    let mut seed = 0;
    for event in index["events"].as_array().expect("events") {
        if event["stored"] != true {
            continue;
        }
        let event_type = event["type"].as_str().expect("type");
        let file = format!(
            "notification/{}/v{}.json",
            event_type.replace(':', "."),
            event["version"]
        );
        let schema = schema(&file);
        for full in [true, false] {
            let payload = sample(&schema, &schema, full, &mut seed);
            samples.push((event_type.to_owned(), payload));
        }
    }
    samples
}

/// The checked catalog of `definitions` (a path from this crate's directory).
fn catalog(definitions: &str) -> Catalog {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(definitions);
    let loaded = event_codegen::load(&[path]);
    let rendered = loaded.render(event_codegen::diagnostic::Style::Plain);
    loaded.catalog.unwrap_or_else(|| panic!("{rendered}"))
}

/// The first telemetry-only field (`notification = false`) of each stored event, from the
/// checked definitions: those events cannot be read back from their payloads.
fn telemetry_only_fields(catalog: &Catalog) -> BTreeMap<String, Option<String>> {
    catalog
        .stored_events()
        .map(|event| {
            let shape = catalog.event_shape(event);
            let field = shape.fields().find(|f| !f.notification);
            (event.event_type.clone(), field.map(|f| f.name.clone()))
        })
        .collect()
}

/// Every sample reads into the catalog's `Event` (`E`) and writes back as it was, also as
/// the store records it, unless its event holds a telemetry-only field: then the error
/// names that field. Returns how many were refused.
fn every_sample_reads_and_writes_back<E>(
    catalog: &Catalog,
    samples: Vec<(String, Value)>,
    as_stored: impl Fn(&E) -> &dyn StoredEvent,
) -> usize
where
    E: Serialize + DeserializeOwned + std::fmt::Debug,
{
    let telemetry_only = telemetry_only_fields(catalog);
    assert_eq!(samples.len(), 2 * telemetry_only.len(), "two of each");
    for (event_type, payload) in samples {
        let read = serde_json::from_value::<E>(payload.clone());
        match (read, &telemetry_only[&event_type]) {
            (Ok(event), None) => {
                let stored = as_stored(&event);
                assert_eq!(stored.event_type(), event_type);
                assert_eq!(to_json(&event), payload, "{event_type}");
                assert_eq!(recorded(stored), payload, "{event_type}");
            }
            (Err(error), Some(field)) => assert_eq!(
                error.to_string(),
                format!(
                    "a `{event_type}` event cannot be read from its notification payload: its \
                     field `{field}` is telemetry-only (`notification = false`)"
                )
            ),
            (read, field) => panic!("{event_type} ({field:?}): {read:?}\n{payload:#}"),
        }
    }
    telemetry_only.values().filter(|f| f.is_some()).count()
}

#[test]
fn every_stored_event_reads_from_its_payload_into_event_and_writes_it_back() {
    let catalog = catalog("../definitions");
    let schemas = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let samples = schema_samples(|path| {
        let path = schemas.join(path);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        serde_json::from_str(&text).expect("JSON")
    });
    let refused = every_sample_reads_and_writes_back(&catalog, samples, Event::as_stored);
    // Image builds and the events counting projects or pipelines.
    assert!(refused > 0 && refused < catalog.stored_events().count());
}

#[test]
fn the_feature_fixture_reads_and_writes_back_with_the_hooks_added() {
    // Inline and abstract layers, a deprecated event and a deprecated field, maps; `hooked`
    // has the Builder's attributes too.
    let catalog = catalog("../codegen/tests/fixtures/features.toml");
    let files = json_schema::files(&catalog);
    let samples = schema_samples(|path| {
        let file = files
            .iter()
            .find(|f| f.path.starts_with("schemas") && f.path.ends_with(path))
            .unwrap_or_else(|| panic!("no schema {path}"));
        serde_json::from_str(&file.contents).expect("JSON")
    });
    let refused = every_sample_reads_and_writes_back(
        &catalog,
        samples,
        workspace_tests::hooked::Event::as_stored,
    );
    // `projects_count`, and the pipeline run's `duration`.
    assert_eq!(refused, 2);
}

/// The body the outbox's worker sends: `{"delivered_for": {uuid, name}, "event": payload}`,
/// the payload as the store recorded it.
fn webhook_body(event: &dyn StoredEvent) -> String {
    let payload = event.notification_json().expect("payload");
    let subscriber = id(77);
    let name = Value::from("Ops \"alerts\"");
    format!(r#"{{"delivered_for":{{"uuid":"{subscriber}","name":{name}}},"event":{payload}}}"#)
}

#[test]
fn a_webhook_body_reads_into_the_delivery_and_its_event() {
    let event = one_off_run_failed();
    let body = webhook_body(&event);
    let value: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        value["event"]["version"],
        ProjectOneOffJobPipelineRunFailed::VERSION
    );
    let delivery: WebhookDelivery<Event> = serde_json::from_str(&body).expect("reads");
    assert_eq!(
        delivery.delivered_for,
        DeliveredFor {
            uuid: id(77),
            name: "Ops \"alerts\"".into()
        }
    );
    match &delivery.event {
        Event::ProjectOneOffJobPipelineRunFailed(read) => assert_eq!(read, &event),
        other => panic!("dispatched to {other:?}"),
    }
    assert_eq!(
        to_json(&delivery),
        serde_json::from_str::<Value>(&body).expect("JSON")
    );
    // One event's type reads it too.
    let typed: WebhookDelivery<ProjectCronJobRunPipelineRunFailed> =
        serde_json::from_str(&webhook_body(&cron_run_failed())).expect("reads");
    assert_eq!(typed.event, cron_run_failed());
}

#[test]
fn a_wrong_payload_is_an_error_naming_what_is_wrong() {
    let payload = to_json(one_off_run_failed());
    let error = |payload: Value| -> String {
        serde_json::from_value::<Event>(payload)
            .expect_err("refused")
            .to_string()
    };

    let mut missing = payload.clone();
    let run = &mut missing["project"]["job"]["pipeline_run"];
    run.as_object_mut().expect("object").remove("url_path");
    assert_eq!(
        error(missing),
        "missing field `project.job.pipeline_run.url_path`"
    );

    let mut mistyped = payload.clone();
    mistyped["project"]["job"]["pipeline_run"]["number"] = json!("two");
    let text = error(mistyped);
    assert!(
        text.starts_with("field `project.job.pipeline_run.number`: invalid type: string"),
        "{text}"
    );

    let mut no_object = payload.clone();
    no_object["project"]["job"] = json!([]);
    assert_eq!(
        error(no_object),
        "field `project.job`: expected an object, found an array"
    );

    let mut unknown = payload.clone();
    unknown["type"] = json!("project:one-off-job:pipeline-run:faild");
    assert_eq!(
        error(unknown),
        "unknown event type `project:one-off-job:pipeline-run:faild` (did you mean \
         `project:one-off-job:pipeline-run:failed`?)"
    );

    // One event's type refuses another's payload.
    let text = serde_json::from_value::<ProjectCronJobRunPipelineRunFailed>(payload.clone())
        .expect_err("another type")
        .to_string();
    assert_eq!(
        text,
        "expected a `project:cron-job:run:pipeline-run:failed` payload, found `type` \
         `project:one-off-job:pipeline-run:failed`"
    );

    // A payload of another version follows another schema; one without a version (written
    // before payloads carried it) reads.
    let mut other_version = payload.clone();
    other_version["version"] = json!(2);
    assert_eq!(
        error(other_version),
        "expected version 1 of `project:one-off-job:pipeline-run:failed`, found `version` 2: \
         the payload follows another schema than this type"
    );
    let mut text_version = payload.clone();
    text_version["version"] = json!("1");
    assert_eq!(
        error(text_version),
        "field `version`: expected a non-negative integer, found a string"
    );
    let mut unversioned = payload.clone();
    unversioned
        .as_object_mut()
        .expect("object")
        .remove("version");
    serde_json::from_value::<Event>(unversioned).expect("reads without a version");

    let mut untyped = payload;
    untyped.as_object_mut().expect("object").remove("type");
    assert_eq!(error(untyped), "missing field `type`");
}
