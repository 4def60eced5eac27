//! `definitions/orchest.toml` declares the whole reference catalog (Orchest's event
//! system): every event type, the hierarchy and its payload keys, and telemetry policies
//! that reproduce the reference's anonymization.

use std::collections::BTreeSet;

use event_codegen::diagnostic::Style;
use event_codegen::ir::TelemetryPolicy;
use event_codegen::model::{Catalog, FieldDef, FieldType};

fn catalog() -> Catalog {
    let loaded = event_codegen::load(&[concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions")]);
    assert!(
        loaded.diagnostics.is_empty(),
        "{}",
        loaded.render(Style::Plain)
    );
    loaded.catalog.expect("the reference catalog checks")
}

/// The stored event types of the reference, by prefix.
const STORED: &[(&str, &[&str])] = &[
    ("project", &["created", "updated", "deleted"]),
    ("project:pipeline", &["created", "updated", "deleted"]),
    (
        "project:pipeline:interactive-session",
        &[
            "started",
            "stopped",
            "service-restarted",
            "failed",
            "succeeded",
        ],
    ),
    (
        "project:pipeline:interactive-session:pipeline-run",
        &["created", "started", "cancelled", "failed", "succeeded"],
    ),
    ("project:environment", &["created", "deleted"]),
    (
        "project:environment:image-build",
        &["created", "started", "cancelled", "failed", "succeeded"],
    ),
    (
        "jupyter:image-build",
        &["created", "started", "cancelled", "failed", "succeeded"],
    ),
    (
        "project:one-off-job",
        &[
            "created",
            "started",
            "deleted",
            "cancelled",
            "failed",
            "updated",
            "succeeded",
        ],
    ),
    (
        "project:one-off-job:pipeline-run",
        &[
            "created",
            "started",
            "cancelled",
            "failed",
            "deleted",
            "succeeded",
        ],
    ),
    (
        "project:cron-job",
        &[
            "created",
            "started",
            "deleted",
            "cancelled",
            "failed",
            "updated",
            "paused",
            "unpaused",
        ],
    ),
    ("project:cron-job:run", &["started", "succeeded", "failed"]),
    (
        "project:cron-job:run:pipeline-run",
        &[
            "created",
            "started",
            "cancelled",
            "failed",
            "deleted",
            "succeeded",
        ],
    ),
];

const CLIENT: &[&str] = &["alert:shown", "confirm:shown", "view:loaded"];
const SERVER_ANALYTICS: &[&str] = &[
    "heartbeat-trigger",
    "project:one-off-job:duplicated",
    "project:cron-job:duplicated",
    "project:pipeline:saved",
    "debug-ping",
];

#[test]
fn declares_exactly_the_reference_event_types() {
    let catalog = catalog();
    let expected: BTreeSet<String> = STORED
        .iter()
        .flat_map(|(prefix, actions)| actions.iter().map(move |a| format!("{prefix}:{a}")))
        .collect();
    assert_eq!(expected.len(), 58);
    let stored: BTreeSet<String> = catalog
        .stored_events()
        .filter(|e| !e.is_operational())
        .map(|e| e.event_type.clone())
        .collect();
    assert_eq!(stored, expected);

    let analytics: BTreeSet<&str> = catalog
        .analytics_only_events()
        .map(|e| e.event_type.as_str())
        .collect();
    let expected: BTreeSet<&str> = CLIENT.iter().chain(SERVER_ANALYTICS).copied().collect();
    assert_eq!(analytics, expected);
    let client: BTreeSet<&str> = catalog
        .events
        .iter()
        .filter(|e| e.client)
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(client, CLIENT.iter().copied().collect());
    assert_eq!(catalog.events.len(), 66 + 3, "and the 3 operational events");
}

#[test]
fn every_event_and_layer_is_described() {
    let catalog = catalog();
    assert!(catalog.events.iter().all(|e| e.description.is_some()));
    assert!(catalog.layers.iter().all(|l| l.description.is_some()));
}

#[test]
fn hierarchy_nests_under_the_reference_keys() {
    let catalog = catalog();
    let key_path = |event_type: &str| -> Vec<String> {
        let event = catalog.event(event_type).expect("event exists");
        let mut keys: Vec<String> = Vec::new();
        for id in catalog.layer_chain(event.layer.expect("stored events have a layer")) {
            let layer = catalog.layer(id);
            if !layer.inline {
                keys.push(layer.key.clone());
            }
        }
        keys
    };
    assert_eq!(key_path("project:created"), ["project"]);
    assert_eq!(
        key_path("project:pipeline:interactive-session:pipeline-run:failed"),
        ["project", "pipeline", "session", "pipeline_run"]
    );
    assert_eq!(
        key_path("project:environment:image-build:failed"),
        ["project", "environment", "image_build"]
    );
    assert_eq!(
        key_path("jupyter:image-build:succeeded"),
        ["jupyter", "image_build"]
    );
    // Both job kinds nest under `job`; their own fields merge into it.
    assert_eq!(
        key_path("project:one-off-job:pipeline-run:failed"),
        ["project", "job", "pipeline_run"]
    );
    assert_eq!(
        key_path("project:cron-job:run:pipeline-run:failed"),
        ["project", "job", "run", "pipeline_run"]
    );
}

fn field<'c>(catalog: &'c Catalog, layer: &str, name: &str) -> &'c FieldDef {
    let layer = catalog
        .layers
        .iter()
        .find(|l| l.name == layer)
        .expect("layer exists");
    layer
        .fields
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{} has no field {name}", layer.name))
}

#[test]
fn the_reference_defects_are_not_copied() {
    let catalog = catalog();
    // The pipeline layer reports the pipeline's own uuid (the reference sent the event's).
    let uuid = field(&catalog, "pipeline", "uuid");
    assert_eq!(uuid.column, "pipeline_uuid");
    assert!(uuid.scope);
    // Cron jobs carry their schedule (the reference reused the one-off builder).
    assert_eq!(
        field(&catalog, "cron-job", "schedule").ty,
        FieldType::String
    );
    assert_eq!(
        field(&catalog, "one-off-job", "total_runs").column,
        "job_total_runs"
    );
}

#[test]
fn telemetry_reproduces_the_reference_anonymization() {
    let catalog = catalog();
    let all_fields = catalog
        .layers
        .iter()
        .flat_map(|l| &l.fields)
        .chain(catalog.events.iter().flat_map(|e| &e.fields))
        .chain(catalog.types.iter().flat_map(|t| &t.fields));
    for field in all_fields {
        let name = field.name.as_str();
        if matches!(name, "name" | "title" | "pipeline_name") && field.sensitive {
            assert_eq!(field.telemetry, TelemetryPolicy::Drop, "{name} is dropped");
        }
        if name == "uuid" || name == "url_path" {
            assert_eq!(field.telemetry, TelemetryPolicy::Keep, "{name} is kept");
        }
        if matches!(name, "parameters" | "failed_steps") {
            assert_eq!(field.telemetry, TelemetryPolicy::Count, "{name} is counted");
        }
        assert_ne!(
            field.telemetry,
            TelemetryPolicy::Hash,
            "the reference hashes nothing"
        );
    }
    for layer in ["project", "pipeline", "job"] {
        let name = field(&catalog, layer, "name");
        assert!(
            name.sensitive && name.telemetry == TelemetryPolicy::Drop,
            "{layer} name"
        );
    }
    assert!(field(&catalog, "job", "pipeline_name").sensitive);
    let title = catalog
        .type_def(catalog.type_id("step").expect("step"))
        .fields
        .iter()
        .find(|f| f.name == "title")
        .expect("title");
    assert_eq!(title.telemetry, TelemetryPolicy::Drop);
    // Image-build times and tags reach telemetry only.
    for layer in ["environment-image-build", "jupyter-image-build"] {
        for name in [
            "image_tag",
            "requested_time",
            "started_time",
            "finished_time",
        ] {
            let f = field(&catalog, layer, name);
            assert!(
                !f.notification && f.telemetry == TelemetryPolicy::Keep,
                "{layer}.{name}"
            );
        }
    }
}

#[test]
fn sibling_layers_share_the_reference_columns() {
    let catalog = catalog();
    for layer in [
        "interactive-pipeline-run",
        "one-off-job-pipeline-run",
        "cron-job-run-pipeline-run",
    ] {
        assert_eq!(field(&catalog, layer, "uuid").column, "pipeline_run_uuid");
    }
    assert_eq!(
        field(&catalog, "jupyter-image-build", "uuid").column,
        "build_uuid"
    );
    assert_eq!(
        field(&catalog, "cron-job-run", "number").column,
        "run_index"
    );
    assert_eq!(
        field(&catalog, "cron-job-run", "total_pipeline_runs").column,
        "total_pipeline_runs"
    );
    let change_list = FieldType::Object(catalog.type_id("change-list").expect("change-list"));
    let updated: Vec<&str> = catalog
        .events
        .iter()
        .filter(|e| {
            e.fields
                .iter()
                .any(|f| f.column == "update" && f.ty == change_list)
        })
        .map(|e| e.event_type.as_str())
        .collect();
    assert_eq!(
        updated,
        [
            "project:updated",
            "project:pipeline:updated",
            "project:one-off-job:updated",
            "project:cron-job:updated"
        ]
    );
}
