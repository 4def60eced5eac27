//! The `eventgen` binary: exit codes, outputs and help, as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn eventgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventgen"))
        .args(args)
        .current_dir(workspace())
        .env_remove("NO_COLOR")
        .output()
        .expect("eventgen runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A scratch directory for definition files, unique per test.
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventgen-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("write definitions");
    }
    dir
}

#[test]
fn check_passes_on_the_repository_definitions() {
    let output = eventgen(&["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("ok: 69 events"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn catalog_json_counts_stored_and_analytics_only_events() {
    let output = eventgen(&["catalog", "--format", "json", "definitions/"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    // The reference's 58 stored events and the 3 operational ones.
    assert_eq!(json["counts"]["stored"], 58 + 3);
    assert_eq!(json["counts"]["analytics_only"], 8);
    assert_eq!(json["counts"]["client"], 3);
    assert_eq!(json["counts"]["total"], 66 + 3);
    assert_eq!(json["layers"][0]["name"], "project");
}

#[test]
fn catalog_tree_shows_layers_events_and_markers() {
    let output = eventgen(&["catalog"]);
    assert_eq!(output.status.code(), Some(0));
    let tree = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        tree.starts_with("orchest: 69 events (61 stored, 8 analytics-only of which 3 client;"),
        "{tree}"
    );
    assert!(tree.contains("├── project  [key project]"), "{tree}");
    assert!(tree.contains("job  [key job, abstract]"), "{tree}");
    assert!(tree.contains("one-off-job  [inline]"), "{tree}");
    assert!(
        tree.contains("project:one-off-job:pipeline-run:failed  (stored)"),
        "{tree}"
    );
    assert!(
        tree.contains("view:loaded  (analytics-only, client)"),
        "{tree}"
    );
}

#[test]
fn bad_definitions_exit_1_with_plain_located_diagnostics() {
    let dir = scratch(
        "bad",
        &[(
            "a.toml",
            "[catalog]\nname = \"demo\"\n\n[layers.project]\ndescription = \"A project.\"\nparnet = \"x\"\n",
        )],
    );
    let output = eventgen(&["check", dir.to_str().expect("UTF-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains("[unknown-key] unknown key `parnet` in layer `project`"),
        "{text}"
    );
    assert!(
        text.contains("a.toml:6:1]"),
        "file:line:column of the key: {text}"
    );
    assert!(text.contains("did you mean `parent`?"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no escape codes when stderr is not a terminal: {text}"
    );
    assert!(text.ends_with("1 error and 0 warnings\n"), "{text}");
    std::fs::remove_dir_all(dir).expect("clean up");
}

#[test]
fn warnings_alone_exit_0() {
    let dir = scratch(
        "warn",
        &[(
            "a.toml",
            "[catalog]\nname = \"demo\"\n\n[layers.project]\n\n[events.\"project:created\"]\n",
        )],
    );
    let output = eventgen(&["check", dir.to_str().expect("UTF-8 path")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("0 errors and 2 warnings"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(dir).expect("clean up");
}

#[test]
fn unreadable_paths_and_bad_usage_exit_2() {
    let output = eventgen(&["check", "no/such/definitions.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read `no/such/definitions.toml`"),
        "{}",
        stderr(&output)
    );
    let empty = scratch("empty", &[]);
    let output = eventgen(&["check", empty.to_str().expect("UTF-8 path")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no definition files found"));
    std::fs::remove_dir_all(empty).expect("clean up");
    assert_eq!(
        eventgen(&["check", "--no-such-flag"]).status.code(),
        Some(2)
    );
    assert_eq!(
        eventgen(&["catalog", "--format", "yaml"]).status.code(),
        Some(2)
    );
}

#[test]
fn every_command_has_help() {
    for command in [
        &["--help"][..],
        &["check", "--help"],
        &["catalog", "--help"],
        &["definitions-schema", "--help"],
        &["diff", "--help"],
        &["usage", "--help"],
        &["sample", "--help"],
    ] {
        let output = eventgen(command);
        assert_eq!(output.status.code(), Some(0), "{command:?}");
        let text = String::from_utf8(output.stdout).expect("UTF-8");
        assert!(text.contains("Usage: eventgen"), "{command:?}: {text}");
    }
}

/// `eventgen` run in `dir`.
fn eventgen_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventgen"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("eventgen runs")
}

#[test]
fn published_schemas_are_kept_and_never_rewritten() {
    const FIXTURE: &str = include_str!("../../codegen/tests/fixtures/features.toml");
    const CREATED: &str = "[events.\"project:created\"]\n";
    let dir = scratch("published", &[]);
    std::fs::create_dir_all(dir.join("definitions")).expect("mkdir");
    let catalog = dir.join("definitions/catalog.toml");
    let args = ["generate", "--definitions", "definitions"];
    std::fs::write(&catalog, FIXTURE).expect("write");
    assert_eq!(eventgen_in(&dir, &args).status.code(), Some(0));
    let v1 = dir.join("schemas/notification/project.created/v1.json");
    let published = std::fs::read(&v1).expect("v1 written");

    // A change without a bump is refused, located on the event.
    let changed = FIXTURE.replace("A project was created.", "A project was set up.");
    std::fs::write(&catalog, &changed).expect("write");
    let output = eventgen_in(&dir, &args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("[append-only]"), "{text}");
    assert!(text.contains("catalog.toml:"), "{text}");

    // With a bump, v2 is written beside v1, which stays as published.
    let bumped = changed.replace(CREATED, &format!("{CREATED}version = 2\n"));
    std::fs::write(&catalog, bumped).expect("write");
    let output = eventgen_in(&dir, &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        dir.join("schemas/notification/project.created/v2.json")
            .exists()
    );
    assert_eq!(std::fs::read(&v1).expect("v1 kept"), published);

    // An edited published file fails the check, and generating does not overwrite it.
    std::fs::write(&v1, "{}\n").expect("edit v1");
    let check = eventgen_in(
        &dir,
        &["generate", "--definitions", "definitions", "--check"],
    );
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let text = stderr(&check);
    assert!(
        text.contains("edited published file: schemas/notification/project.created/v1.json"),
        "{text}"
    );
    assert!(text.contains("restore it from version control"), "{text}");
    let output = eventgen_in(&dir, &args);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("git checkout"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read(&v1).expect("v1"), b"{}\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sample_prints_the_schemas_example_of_an_event() {
    let output = eventgen(&["sample", "project:one-off-job:pipeline-run:failed"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(text.starts_with("{\n  \""), "pretty JSON: {text}");
    let sample: serde_json::Value = serde_json::from_str(&text).expect("JSON on stdout");
    let schema_path =
        workspace().join("schemas/notification/project.one-off-job.pipeline-run.failed/v1.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("the schema"))
            .expect("JSON");
    assert_eq!(schema["examples"][0], sample);
    assert_eq!(sample["type"], "project:one-off-job:pipeline-run:failed");

    let output = eventgen(&["sample", "view:loaded", "--telemetry"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let sample: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(sample["event_properties"]["type"], "view:loaded");
    assert!(sample["derived_properties"].is_object(), "{sample}");

    // A client event's request body, as its request schema's example.
    let output = eventgen(&["sample", "alert:shown", "--request"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let sample: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("schemas/request/alert.shown/v1.json"))
            .expect("the request schema"),
    )
    .expect("JSON");
    assert_eq!(schema["examples"][0], sample);
    assert_eq!(sample["event"], "alert:shown");
    assert!(sample["properties"]["content"].is_string(), "{sample}");
}

#[test]
fn sample_of_an_unknown_type_suggests_the_closest_and_exits_2() {
    let output = eventgen(&["sample", "project:craeted"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(
        stderr(&output)
            .contains("unknown event type `project:craeted`: did you mean `project:created`?"),
        "{}",
        stderr(&output)
    );
    // An analytics-only event has no notification payload: say how to get its telemetry.
    let output = eventgen(&["sample", "project:created", "--request"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not a client event"),
        "{}",
        stderr(&output)
    );
    let output = eventgen(&["sample", "view:loaded"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--telemetry"),
        "{}",
        stderr(&output)
    );
}
