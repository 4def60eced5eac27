//! Definitions declared with the derives, read from Rust sources: `eventgen generate
//! --rust-src` merges them with the TOML definitions into one catalog, a definition in
//! both places is reported at both, and mistakes in items point at their tokens.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use event_codegen::Baseline;
use event_codegen::diagnostic::{Rule, Style};

const TOML: &str = r#"[catalog]
name = "shop"

[layers.project]
description = "A project."
fields.uuid = { type = "uuid", scope = true, description = "UUID of the project." }

[events."project:created"]
description = "A project was created."
"#;

const RUST: &str = r#"use event_macros::{Event, Layer};

/// A pipeline of a project.
#[derive(Layer)]
#[layer(parent = "project")]
pub struct Pipeline {
    /// UUID of the pipeline.
    #[field(scope)]
    pub uuid: Uuid,
}

/// A pipeline was created.
#[derive(Event)]
#[event(type = "project:pipeline:created", version = 2)]
pub struct ProjectPipelineCreated {
    /// The event's id.
    pub uuid: Uuid,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The project.
    #[layer]
    pub project: Project,
    /// The pipeline.
    #[layer]
    pub pipeline: Pipeline,
    /// Its steps.
    #[field(telemetry = "count")]
    pub steps: Vec<String>,
}
"#;

/// A scratch directory holding `definitions/shop.toml` and `src/*.rs`.
fn scratch(name: &str, rust: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventgen-rust-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("definitions")).expect("scratch dir");
    std::fs::create_dir_all(dir.join("src/nested")).expect("scratch dir");
    std::fs::write(dir.join("definitions/shop.toml"), TOML).expect("definitions");
    for (file, text) in rust {
        std::fs::write(dir.join("src").join(file), text).expect("source");
    }
    dir
}

fn eventgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventgen"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("eventgen runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn generate_merges_rust_sources_with_the_toml_definitions() {
    let dir = scratch("merge", &[("nested/pipeline.rs", RUST)]);
    let output = eventgen(
        &dir,
        &["generate", "--rust-src", "src", "--rust-out", "events.rs"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let schema = dir.join("schemas/notification/project.pipeline.created/v2.json");
    let schema = std::fs::read_to_string(&schema).expect("the Rust event's schema");
    assert!(schema.contains("\"pipeline\""), "{schema}");
    assert!(
        dir.join("schemas/notification/project.created/v1.json")
            .exists()
    );
    let lock = std::fs::read_to_string(dir.join("definitions/eventgen.lock")).expect("lock");
    assert!(lock.contains("project:pipeline:created"), "{lock}");
    let module = std::fs::read_to_string(dir.join("events.rs")).expect("module");
    assert!(module.contains("pub struct ProjectPipelineCreated"));
    // Declared by `event_api!` in the module.
    assert!(module.contains("register_project_pipeline_created_event"));
    let check = eventgen(
        &dir,
        &[
            "generate",
            "--rust-src",
            "src",
            "--rust-out",
            "events.rs",
            "--check",
        ],
    );
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let without = eventgen(&dir, &["generate", "--rust-out", "events.rs", "--check"]);
    assert_eq!(
        without.status.code(),
        Some(1),
        "the Rust event's outputs are stale without it"
    );
    std::fs::remove_dir_all(dir).expect("clean up");
}

#[test]
fn a_definition_in_both_places_is_reported_at_both() {
    let both = r#"
/// A project was created.
#[derive(Event)]
#[event(type = "project:created")]
pub struct ProjectCreated {
    /// The event's id.
    pub uuid: Uuid,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The project.
    #[layer]
    pub project: Project,
}

/// A project.
#[derive(Layer)]
pub struct Project {
    /// Its name.
    pub name: String,
}
"#;
    let dir = scratch("both", &[("events.rs", both)]);
    let output = eventgen(&dir, &["generate", "--rust-src", "src", "--check"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains("[duplicate] event `project:created` is defined twice"),
        "{text}"
    );
    assert!(
        text.contains("[duplicate] layer `project` is defined twice"),
        "{text}"
    );
    assert!(text.contains("definitions/shop.toml:8:9"), "{text}");
    assert!(text.contains("definitions/shop.toml:4:9"), "{text}");
    assert!(text.contains("src/events.rs:4:16"), "{text}");
    assert!(text.contains("src/events.rs:17:12"), "{text}");
    assert!(!dir.join("schemas").exists(), "nothing written");
    std::fs::remove_dir_all(dir).expect("clean up");
}

#[test]
fn rust_sources_that_do_not_parse_are_reported() {
    let dir = scratch("syntax", &[("broken.rs", "pub struct {")]);
    let loaded = Baseline::new()
        .without_lock()
        .rust_sources(&[dir.join("src")])
        .load(&[dir.join("definitions")]);
    let rules: Vec<Rule> = loaded.diagnostics.iter().map(|d| d.rule).collect();
    assert_eq!(rules, [Rule::RustSyntax], "{}", loaded.render(Style::Plain));
    assert!(loaded.catalog.is_none());
    std::fs::remove_dir_all(dir).expect("clean up");
}

#[test]
fn item_mistakes_are_all_reported_at_their_tokens() {
    let source = r#"#[derive(Catalog)] struct Shop;
/// A pipeline.
#[derive(event_macros::Layer)]
#[layer(parent = "project", parnet = "x", inline = "yes")]
pub struct Pipeline {
    /// Bad.
    #[field(telemetry = "hide", sensitive, sensitive)]
    pub uuid: u32,
    /// Bad too.
    pub map: BTreeMap<i64, String>,
}
"#;
    let loaded = event_codegen::load_str("src/pipeline.rs", source);
    let found: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| {
            let place = d
                .primary()
                .map(|o| loaded.sources.describe(o))
                .unwrap_or_default();
            format!("{} {place}", d.rule.code())
        })
        .collect();
    assert_eq!(
        found,
        [
            "unknown-key src/pipeline.rs:4:29",
            "invalid-value src/pipeline.rs:4:52",
            "invalid-type src/pipeline.rs:8:15",
            "invalid-value src/pipeline.rs:7:25",
            "invalid-value src/pipeline.rs:7:44",
            "invalid-type src/pipeline.rs:10:23",
        ],
        "{}",
        loaded.render(Style::Plain)
    );
}

#[test]
fn no_prefix_of_a_derive_source_panics() {
    // Every cut of a real source: unfinished items, attributes and types must be
    // reported, never panic.
    let source = include_str!("../../tests/src/derived.rs");
    let mut cuts = 0;
    for (end, _) in source.char_indices().step_by(5) {
        let loaded = event_codegen::load_str("derived.rs", &source[..end]);
        assert!(loaded.catalog.is_some() || loaded.diagnostics.has_errors());
        cuts += 1;
    }
    assert!(cuts > 1000);
}
