//! The committed JSON Schema of `eventgen.toml` is current, accepts every key and rejects
//! unknown ones, as the loader does.

use event_codegen::config::{
    SCHEMA_COMMITTED_PATH as CONFIG_COMMITTED_PATH, schema as config_schema,
};

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(&config_schema()).expect("schema is JSON");
    jsonschema::draft202012::new(&schema).expect("schema is a valid 2020-12 schema")
}

fn toml_as_json(text: &str) -> serde_json::Value {
    let value: toml::Value = toml::from_str(text).expect("valid TOML");
    serde_json::to_value(value).expect("TOML converts to JSON")
}

/// Every key, at a value other than its default.
const FULL: &str = r#"
definitions = ["events", "more/events.toml"]
lock = "state/eventgen.lock"
schemas = "public/schemas"
[migrations]
sqlite = "db/sqlite"
postgres = "db/postgres"
naming = "timestamp"
table = "svc._svc_events_migrations"
[tables]
prefix = "svc_"
schema = "outbox"
[docs]
markdown = "doc/events.md"
html = "doc/catalog.html"
[clients]
typescript = "web/src/events"
python = "py/events"
[rust]
serde = true
type_attributes = [{ path = ".", attribute = '#[derive(Hash)]' }]
field_attributes = [{ path = "step.title", attribute = '#[serde(rename = "name")]' }]
"#;

#[test]
fn committed_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(CONFIG_COMMITTED_PATH);
    let committed = std::fs::read_to_string(path).expect("schema is committed");
    assert!(
        committed == config_schema(),
        "{CONFIG_COMMITTED_PATH} is stale: run `cargo run -p eventgen -- config-schema --output {CONFIG_COMMITTED_PATH}`"
    );
}

#[test]
fn schema_accepts_every_key_and_rejects_unknown_ones() {
    let validator = validator();
    assert!(validator.is_valid(&toml_as_json(FULL)));
    assert!(validator.is_valid(&toml_as_json("")));
    for text in [
        "definitons = [\"d\"]\n",
        "[migrations]\nnaming = \"random\"\n",
        "[docs]\npdf = \"x.pdf\"\n",
        "[tables]\nprefixes = \"x_\"\n",
        "[rust]\ntype_attributes = [{ path = \".\" }]\n",
    ] {
        assert!(!validator.is_valid(&toml_as_json(text)), "accepted: {text}");
    }
}

#[test]
fn loader_reads_every_key() {
    let dir = std::env::temp_dir().join(format!("eventgen-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("eventgen.toml");
    std::fs::write(&path, FULL).expect("write");
    let config = event_codegen::Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.definitions(),
        [dir.join("events"), dir.join("more/events.toml")]
    );
    assert_eq!(config.lock(), Some(dir.join("state/eventgen.lock")));
    assert!(config.rust_options().serde());
    let tables = config.tables();
    assert_eq!(
        (tables.prefix(), tables.schema(), tables.migrations_table()),
        ("svc_", Some("outbox"), "svc._svc_events_migrations")
    );
    assert_eq!(config.layout(&dir.join("events")).tables, tables);
    let layout = config.layout(&dir.join("events"));
    assert_eq!(layout.sqlite_migrations, dir.join("db/sqlite"));
    assert_eq!(layout.schemas, dir.join("public/schemas"));
    assert_eq!(layout.typescript, dir.join("web/src/events"));
    assert_eq!(
        layout.migration_naming,
        event_codegen::generate::MigrationNaming::Timestamp
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn find_walks_up_to_the_nearest_file() {
    let dir = std::env::temp_dir().join(format!("eventgen-find-{}", std::process::id()));
    let deep = dir.join("crates/service/src");
    std::fs::create_dir_all(&deep).expect("dirs");
    std::fs::write(dir.join("eventgen.toml"), "").expect("write");
    assert_eq!(
        event_codegen::Config::find(&deep),
        Some(dir.join("eventgen.toml"))
    );
    std::fs::write(dir.join("crates/eventgen.toml"), "").expect("write");
    assert_eq!(
        event_codegen::Config::find(&deep),
        Some(dir.join("crates/eventgen.toml"))
    );
    let config = event_codegen::Config::discover(&deep).expect("an empty file is valid");
    assert_eq!(config.definitions(), [dir.join("crates/definitions")]);
    std::fs::remove_dir_all(&dir).expect("clean up");
}
