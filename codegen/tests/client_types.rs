//! The TypeScript and Python types for client teams: snapshots for the feature fixture,
//! and for the reference catalog a type per payload, unions that list every payload,
//! `track` for client events only, and both files among `eventgen generate`'s outputs.
//! `bash clients/check` compiles the committed files with `tsc` and `mypy`.

use std::path::Path;

use event_codegen::diagnostic::Style;
use event_codegen::generate::{self, GENERATED_NOTICE, python, typescript};
use event_codegen::model::Catalog;

/// A 3-level hierarchy with an abstract and an inline layer, an enum, a named type, every
/// telemetry policy, optional, deprecated and telemetry-only fields, a deprecated event,
/// analytics-only events inside and outside the hierarchy, a client event.
const FIXTURE: &str = include_str!("fixtures/features.toml");

fn load(name: &str, text: &str) -> Catalog {
    let loaded = event_codegen::load_str(name, text);
    let rendered = loaded.render(Style::Plain);
    loaded.catalog.unwrap_or_else(|| panic!("{rendered}"))
}

fn reference() -> Catalog {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");
    load(
        path,
        &std::fs::read_to_string(path).expect("the reference catalog"),
    )
}

fn snapshot(name: &str, contents: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/client_types");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, contents));
}

#[test]
fn fixture_typescript_snapshot() {
    snapshot(
        "events.ts",
        &typescript::module(&load("fixture.toml", FIXTURE)),
    );
}

#[test]
fn fixture_python_snapshot() {
    snapshot("events.py", &python::module(&load("fixture.toml", FIXTURE)));
}

#[test]
fn every_payload_has_a_type_in_both_languages_and_in_its_union() {
    let catalog = reference();
    let ts = typescript::module(&catalog);
    let py = python::module(&catalog);
    assert!(ts.starts_with(&format!("// {GENERATED_NOTICE}\n")));
    assert!(py.starts_with(&format!("# {GENERATED_NOTICE}\n")));
    for event in &catalog.events {
        let name = &event.rust_name;
        let telemetry = format!("{name}Telemetry");
        assert!(ts.contains(&format!("export interface {telemetry} {{")));
        assert!(
            ts.contains(&format!("\n  | {telemetry}\n"))
                || ts.contains(&format!("\n  | {telemetry};"))
        );
        assert!(py.contains(&format!("class {telemetry}(TypedDict):")));
        assert!(py.contains(&format!("\n    {telemetry},\n")));
        let notification = format!("export interface {name} {{");
        assert_eq!(ts.contains(&notification), event.stored, "{name}");
        let class = format!("class {name}(TypedDict):");
        assert_eq!(py.contains(&class), event.stored, "{name}");
    }
}

#[test]
fn track_accepts_client_events_only() {
    let catalog = reference();
    let ts = typescript::module(&catalog);
    let start = ts
        .find("export interface ClientEvents {")
        .expect("ClientEvents");
    let end = start + ts[start..].find("\n}\n").expect("its end");
    let client_events = &ts[start..end];
    for event in &catalog.events {
        let key = format!("\n  \"{}\": {{", event.event_type);
        assert_eq!(
            client_events.contains(&key),
            event.client,
            "{}",
            event.event_type
        );
    }
    assert!(ts.contains("body: JSON.stringify({ event, properties }),"));
}

#[test]
fn typescript_never_uses_any() {
    let ts = typescript::module(&reference());
    let code = ts
        .lines()
        .filter(|line| !line.trim_start().starts_with(['/', '*']));
    for line in code {
        let words: Vec<&str> = line
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .collect();
        assert!(!words.contains(&"any"), "{line}");
    }
}

#[test]
fn a_python_keyword_as_a_key_takes_the_functional_syntax() {
    let catalog = load(
        "keywords.toml",
        r#"
[catalog]
name = "keywords"

[events."lesson:given"]
description = "A lesson was given."
stored = false
fields.class = { type = "string", description = "The class taught." }
fields.from = { type = "timestamp", optional = true, description = "When it started." }
"#,
    );
    let py = python::module(&catalog);
    assert!(
        py.contains(
            "LessonGivenTelemetry_event_properties = TypedDict(\n    \"LessonGivenTelemetry_event_properties\",\n    {\n"
        ),
        "{py}"
    );
    assert!(py.contains("        \"class\": \"str\",\n"), "{py}");
    assert!(
        py.contains("        \"from\": \"NotRequired[str | None]\",\n"),
        "{py}"
    );
}

#[test]
fn eventgen_generate_writes_both_files() {
    let catalog = reference();
    let outputs = generate::outputs(
        Path::new("."),
        &catalog,
        Path::new("definitions"),
        None,
        None,
    )
    .expect("the reference catalog generates");
    for (path, expected) in [
        (typescript::PATH, typescript::module(&catalog)),
        (python::PATH, python::module(&catalog)),
    ] {
        let file = outputs
            .files
            .iter()
            .find(|file| file.path == Path::new(path))
            .unwrap_or_else(|| panic!("{path} is an output"));
        assert_eq!(file.contents, expected);
    }
}

#[test]
fn a_catalog_name_the_files_use_themselves_takes_an_underscore() {
    let catalog = load(
        "reserved.toml",
        r#"
[catalog]
name = "reserved"

[enums.literal]
description = "A literal."
variants = ["A"]

[types.record]
description = "A record."
fields.value = { type = "literal", description = "Its value." }

[events."notification:payload"]
description = "A payload."
stored = false
client = true
fields.records = { type = "map<record>", description = "The records." }
"#,
    );
    let ts = typescript::module(&catalog);
    assert!(ts.contains("export type Literal_ = \"A\";"), "{ts}");
    assert!(ts.contains("export interface Record_ {"), "{ts}");
    assert!(ts.contains("records: Record<string, Record_>;"), "{ts}");
    assert!(
        ts.contains("export interface NotificationPayloadTelemetry {"),
        "{ts}"
    );
    let py = python::module(&catalog);
    assert!(py.contains("Literal_: TypeAlias = Literal[\"A\"]"), "{py}");
    assert!(py.contains("class Record_(TypedDict):"), "{py}");
    assert!(py.contains("    value: Literal_\n"), "{py}");
}

#[test]
fn descriptions_cannot_end_a_comment_or_a_docstring() {
    let catalog = load(
        "quotes.toml",
        r#"
[catalog]
name = "quotes"

[events."note:taken"]
description = "Ends */ a comment, \"\"\" a docstring, \\ escapes,\nand spans lines\""
stored = false
fields.text = { type = "string", description = "Ends */ here" }
"#,
    );
    let ts = typescript::module(&catalog);
    assert!(ts.contains(
        "/** Telemetry payload of `note:taken` (version 1). Ends *\\/ a comment, \"\"\" a docstring, \\ escapes, and spans lines\" */"
    ), "{ts}");
    assert!(ts.contains("/** Ends *\\/ here */"), "{ts}");
    let py = python::module(&catalog);
    assert!(py.contains(
        "\"\"\"Telemetry payload of `note:taken` (version 1). Ends */ a comment, \\\"\\\"\\\" a docstring, \\\\ escapes, and spans lines\\\"\"\"\""
    ), "{py}");
}
