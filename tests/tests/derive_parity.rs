//! The feature fixture declared twice, in TOML (`codegen/tests/fixtures/features.toml`)
//! and with the derives (`src/derived.rs`): the same checked catalog, the same JSON
//! Schemas, and the same payloads, columns, scopes, redacted `Debug` and catalog-wide
//! enums (`#[derive(Catalog)]`'s) from the code each path generates.

use event_codegen::generate::{json_schema, sample};
use event_codegen::model::Catalog;
use event_codegen::source::{Origin, SourceMap};
use event_runtime::reexport::chrono::{TimeZone, Utc};
use event_runtime::reexport::uuid::Uuid;
use event_runtime::{StoredEvent, TelemetryEvent, TelemetryKey};
use serde_json::{Value, json};
use workspace_tests::{derived, features};

fn from_toml() -> Catalog {
    let loaded = event_codegen::load_str(
        "features.toml",
        include_str!("../../codegen/tests/fixtures/features.toml"),
    );
    let rendered = loaded.render(event_codegen::diagnostic::Style::Plain);
    loaded.catalog.unwrap_or_else(|| panic!("{rendered}"))
}

/// The derived fixture's sources, as `eventgen generate --rust-src` reads them.
fn rust_sources() -> SourceMap {
    let mut sources = SourceMap::new();
    sources.add("derived.rs", include_str!("../src/derived.rs"));
    sources.add("job_status.rs", include_str!("../derived/job_status.rs"));
    sources
}

fn from_rust() -> Catalog {
    let loaded = event_codegen::load_sources(rust_sources());
    let rendered = loaded.render(event_codegen::diagnostic::Style::Plain);
    assert!(loaded.diagnostics.is_empty(), "{rendered}");
    loaded.catalog.unwrap_or_else(|| panic!("{rendered}"))
}

/// The catalog with every origin replaced by one place: what was declared, not where.
fn without_origins(mut catalog: Catalog) -> String {
    let mut sources = SourceMap::new();
    let nowhere = Origin {
        file: sources.add("nowhere", ""),
        span: 0..0,
    };
    let fields = |fields: &mut Vec<event_codegen::model::FieldDef>| {
        for field in fields {
            field.origin = nowhere.clone();
        }
    };
    for def in &mut catalog.enums {
        def.origin = nowhere.clone();
    }
    for def in &mut catalog.types {
        def.origin = nowhere.clone();
        fields(&mut def.fields);
    }
    for layer in &mut catalog.layers {
        layer.origin = nowhere.clone();
        fields(&mut layer.fields);
    }
    for event in &mut catalog.events {
        event.origin = nowhere.clone();
        fields(&mut event.fields);
    }
    format!("{catalog:#?}")
}

#[test]
fn both_paths_give_the_same_catalog() {
    let (toml, rust) = (without_origins(from_toml()), without_origins(from_rust()));
    assert!(toml.contains("one-off-job") && toml.contains("Hash"));
    assert_eq!(toml, rust);
}

#[test]
fn both_paths_give_the_same_json_schemas() {
    let (toml, rust) = (
        json_schema::files(&from_toml()),
        json_schema::files(&from_rust()),
    );
    assert!(toml.len() > 10);
    assert_eq!(toml, rust);
}

#[test]
fn both_paths_give_the_same_examples_and_samples() {
    let (toml, rust) = (from_toml(), from_rust());
    let examples = |catalog: &Catalog| -> Vec<(String, Value)> {
        let layers = catalog.layers.iter().flat_map(|l| &l.fields);
        let types = catalog.types.iter().flat_map(|t| &t.fields);
        let events = catalog.events.iter().flat_map(|e| &e.fields);
        layers
            .chain(types)
            .chain(events)
            .filter_map(|f| Some((f.name.clone(), f.example.clone()?)))
            .collect()
    };
    let expected = examples(&toml);
    assert!(
        expected.contains(&("tags".to_owned(), json!(["etl", "nightly"])))
            && expected.contains(&("duration".to_owned(), json!(12)))
            && expected.contains(&("legacy".to_owned(), json!(false))),
        "{expected:?}"
    );
    assert_eq!(expected, examples(&rust));
    for (a, b) in toml.events.iter().zip(&rust.events) {
        for kind in json_schema::PayloadKind::ALL {
            assert_eq!(
                sample::sample(&toml, a, kind),
                sample::sample(&rust, b, kind),
                "{}",
                a.event_type
            );
        }
    }
}

#[test]
fn origins_point_into_the_rust_source() {
    let loaded = event_codegen::load_sources(rust_sources());
    let catalog = loaded.catalog.expect("checks");
    let run = catalog
        .layers
        .iter()
        .find(|l| l.name == "pipeline-run")
        .expect("layer");
    let text = &loaded.sources.file(run.origin.file).text;
    assert_eq!(&text[run.origin.span.clone()], "PipelineRun");
    let parameters = &run.fields[2].origin;
    assert_eq!(&text[parameters.span.clone()], "parameters");
    assert_eq!(loaded.sources.describe(parameters), "derived.rs:92:9");
}

/// The same event, built from either module (their types have the same shape).
macro_rules! failed {
    ($m:ident) => {{
        #[allow(deprecated)]
        let job = $m::Job {
            uuid: Uuid::from_u128(2),
            status: $m::JobStatus::Started,
            legacy: Some(true),
        };
        $m::ProjectOneOffJobPipelineRunFailed {
            uuid: Uuid::from_u128(100),
            timestamp: Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).single().expect("time"),
            project: $m::Project {
                uuid: Uuid::from_u128(1),
                name: "Secret".into(),
                owner: "alice".into(),
            },
            job,
            one_off_job: $m::OneOffJob { total_runs: 3 },
            pipeline_run: $m::PipelineRun {
                uuid: Uuid::from_u128(3),
                number: None,
                parameters: [("seed".to_owned(), json!(1))].into(),
                duration: Some(12.5),
            },
            failed_steps: vec![$m::Step {
                uuid: Uuid::from_u128(8),
                title: "Build".into(),
                tags: vec![],
                owner: None,
            }],
            steps: vec![$m::Step {
                uuid: Uuid::from_u128(9),
                title: "Load".into(),
                tags: vec!["io".into(), "slow".into()],
                owner: Some("bob".into()),
            }],
            error: Some(json!({ "message": "boom" })),
        }
    }};
}

macro_rules! updated {
    ($m:ident) => {
        $m::ProjectUpdated {
            uuid: Uuid::from_u128(101),
            timestamp: Utc
                .with_ymd_and_hms(2026, 11, 27, 11, 0, 0)
                .single()
                .expect("time"),
            project: $m::Project {
                uuid: Uuid::from_u128(1),
                name: "Secret".into(),
                owner: "alice".into(),
            },
            changes: Some([("name".to_owned(), "New".to_owned())].into()),
        }
    };
}

macro_rules! viewed {
    ($m:ident) => {
        $m::ViewLoaded {
            uuid: Uuid::from_u128(102),
            timestamp: Utc
                .with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
                .single()
                .expect("time"),
            name: "/projects".into(),
            content: Some("text".into()),
            widgets: None,
            session: Uuid::from_u128(7),
        }
    };
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

fn stored(event: &dyn StoredEvent, key: &TelemetryKey) -> (Value, Value, String, String) {
    (
        json(&event.notification_json().expect("notification")),
        json(&event.telemetry_json(key).expect("telemetry")),
        format!("{:?}", event.columns().expect("columns")),
        format!("{:?}", event.scopes()),
    )
}

#[test]
fn both_paths_give_the_same_payloads_columns_and_scopes() {
    let key = TelemetryKey::new(b"secret".to_vec());
    let (toml, rust) = (failed!(features), failed!(derived));
    let payloads = stored(&toml, &key);
    assert_eq!(payloads, stored(&rust, &key));
    assert_eq!(
        payloads.0["project"]["job"]["pipeline_run"]["error"],
        json!({ "message": "boom" })
    );
    assert_eq!(
        stored(&updated!(features), &key),
        stored(&updated!(derived), &key)
    );
    let (toml, rust) = (viewed!(features), viewed!(derived));
    assert_eq!(
        json(&toml.telemetry_json(&key).expect("telemetry")),
        json(&rust.telemetry_json(&key).expect("telemetry"))
    );
    assert_eq!(derived::ViewLoaded::TYPE, features::ViewLoaded::TYPE);
    // Both paths give the version to the runtime's base fields.
    assert_eq!(
        payloads.0["version"],
        features::ProjectOneOffJobPipelineRunFailed::VERSION
    );
    assert_eq!(
        payloads.1["event_properties"]["version"],
        derived::ProjectOneOffJobPipelineRunFailed::VERSION
    );
}

#[test]
fn derived_enums_serialize_as_their_values() {
    let value = serde_json::to_value(derived::JobStatus::Failure).expect("JSON");
    assert_eq!(value, json!("FAILURE"));
    assert_eq!(
        value,
        serde_json::to_value(features::JobStatus::Failure).expect("JSON")
    );
    let back: derived::JobStatus = serde_json::from_value(json!("STARTED")).expect("parses");
    assert_eq!(back, derived::JobStatus::Started);
    assert!(serde_json::from_value::<derived::JobStatus>(json!("Started")).is_err());
    assert_eq!(derived::JobStatus::ALL.len(), 4);
}

/// Redaction at every level: an event's own field (`error`), a layer's (`project.name`,
/// `pipeline_run.parameters`), a named type's (`title`) in a list and in a map of them.
#[test]
fn both_paths_redact_sensitive_values_in_debug() {
    let (toml, rust) = (failed!(features), failed!(derived));
    for (toml, rust) in [
        (format!("{toml:?}"), format!("{rust:?}")),
        (format!("{toml:#?}"), format!("{rust:#?}")),
    ] {
        assert_eq!(toml, rust);
        for secret in ["Secret", "boom", "Build", "Load", "seed"] {
            assert!(!toml.contains(secret), "{secret} shows in {toml}");
        }
        assert_eq!(toml.matches("<redacted>").count(), 5, "{toml}");
        for shown in ["alice", "bob", "slow", "12.5", "total_runs: 3"] {
            assert!(toml.contains(shown), "{shown} is missing from {toml}");
        }
    }
    let steps = std::collections::BTreeMap::from([("a", toml.steps[0].clone())]);
    let steps = format!("{steps:#?}");
    assert!(steps.contains("title: <redacted>") && !steps.contains("Load"));
    assert!(steps.contains("\"bob\""), "{steps}");
    // The value stays reachable through the field itself.
    assert_eq!(toml.project.name, "Secret");

    let (toml, rust) = (viewed!(features), viewed!(derived));
    assert_eq!(format!("{toml:?}"), format!("{rust:?}"));
    assert!(format!("{toml:?}").contains("content: <redacted>, widgets: None"));
    assert!(format!("{toml:?}").contains("name: \"/projects\""));
    // A type without a sensitive field prints as derived `Debug` does.
    let run = format!("{:?}", failed!(features).one_off_job);
    assert_eq!(run, "OneOffJob { total_runs: 3 }");
}

#[test]
fn both_paths_give_the_same_catalog_enums() {
    use event_codegen::macro_support::catalog_impls;
    let tokens = catalog_impls(&from_toml()).to_string();
    assert_eq!(tokens, catalog_impls(&from_rust()).to_string());
    assert!(tokens.contains("CLIENT_EVENTS"));

    let toml: Vec<_> = (features::AnalyticsEvent::ALL.iter())
        .map(|e| (e.to_string(), e.is_stored(), e.is_client()))
        .collect();
    let rust: Vec<_> = (derived::AnalyticsEvent::ALL.iter())
        .map(|e| (e.to_string(), e.is_stored(), e.is_client()))
        .collect();
    assert_eq!(toml, rust);
    assert_eq!(
        features::AnalyticsEvent::TYPES,
        derived::AnalyticsEvent::TYPES
    );
    let parsed: derived::AnalyticsEvent = "view:loaded".parse().expect("parses");
    assert_eq!(
        parsed.as_str(),
        features::AnalyticsEvent::ViewLoaded.as_str()
    );

    let client = |specs: &[event_runtime::ClientEventSpec]| -> Vec<(String, String)> {
        (specs.iter())
            .map(|s| (s.event_type.to_owned(), s.properties_schema.to_owned()))
            .collect()
    };
    assert_eq!(
        client(features::CLIENT_EVENTS),
        client(derived::CLIENT_EVENTS)
    );
    assert_eq!(derived::CLIENT_EVENTS.len(), 1);

    let (toml, rust) = (
        features::Event::ProjectUpdated(updated!(features)),
        derived::Event::ProjectUpdated(updated!(derived)),
    );
    assert_eq!(format!("{toml:?}"), format!("{rust:?}"));
    assert_eq!(toml.as_stored().event_type(), rust.as_stored().event_type());
}
