//! The committed JSON Schema of the definitions format is current, and it accepts the
//! repository's catalog and rejects what the parser rejects.

use event_codegen::format_schema::{COMMITTED_PATH, definitions_schema};

fn workspace_file(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&definitions_schema()).expect("schema is JSON");
    jsonschema::draft202012::new(&schema).expect("schema is a valid 2020-12 schema")
}

fn toml_as_json(text: &str) -> serde_json::Value {
    let value: toml::Value = toml::from_str(text).expect("valid TOML");
    serde_json::to_value(value).expect("TOML converts to JSON")
}

#[test]
fn committed_schema_is_current() {
    let committed =
        std::fs::read_to_string(workspace_file(COMMITTED_PATH)).expect("schema is committed");
    assert!(
        committed == definitions_schema(),
        "{COMMITTED_PATH} is stale: run `cargo run -p eventgen -- definitions-schema --output {COMMITTED_PATH}`"
    );
}

#[test]
fn schema_accepts_the_reference_catalog() {
    let text =
        std::fs::read_to_string(workspace_file("definitions/orchest.toml")).expect("catalog");
    let errors: Vec<String> = validator()
        .iter_errors(&toml_as_json(&text))
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn schema_rejects_unknown_keys_bad_policies_and_bad_names() {
    let validator = validator();
    for (text, why) in [
        ("[layers.project]\nparnet = \"x\"\n", "unknown layer key"),
        (
            "[layers.project]\nfields.uuid = { type = \"uuid\", telemetry = \"keepp\" }\n",
            "unknown policy",
        ),
        ("[layers.Project]\n", "layer name not kebab-case"),
        (
            "[events.\"project:created\"]\nversion = 0\n",
            "version below 1",
        ),
        (
            "[layers.project]\nfields.uuid = { sensitive = true }\n",
            "field without type",
        ),
        ("[catalogue]\nname = \"x\"\n", "unknown section"),
    ] {
        assert!(
            !validator.is_valid(&toml_as_json(text)),
            "schema accepted: {why}"
        );
    }
}
