//! The `Builder` reads the project configuration: the definitions it names, and a wrong
//! file fails the build with located diagnostics.

use event_codegen::{BuildError, Builder};

const DEFINITIONS: &str = "[catalog]\nname = \"demo\"\n\n[layers.account]\nfields.uuid = { type = \"uuid\", description = \"UUID.\" }\n\n[events.\"account:created\"]\ndescription = \"Created.\"\n";

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eventgen-builder-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("events")).expect("scratch dir");
    std::fs::write(dir.join("events/demo.toml"), DEFINITIONS).expect("definitions");
    dir
}

/// A Builder on the scratch project's `eventgen.toml`, writing into its `out`.
fn builder(dir: &std::path::Path) -> Builder {
    Builder::new()
        .cargo_directives(false)
        .config(dir.join("eventgen.toml"))
        .out_dir(dir.join("out"))
}

#[test]
fn reads_the_definitions_the_configuration_names() {
    let dir = scratch("reads");
    std::fs::write(dir.join("eventgen.toml"), "definitions = [\"events\"]\n").expect("config");
    let path = builder(&dir)
        .generate()
        .unwrap_or_else(|error| panic!("{error}"));
    let module = std::fs::read_to_string(path).expect("module");
    assert!(module.contains("AccountCreated"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn a_wrong_configuration_fails_with_its_place() {
    let dir = scratch("wrong");
    std::fs::write(dir.join("eventgen.toml"), "definitons = [\"events\"]\n").expect("config");
    let error = builder(&dir).generate().expect_err("an unknown key");
    let BuildError::Config(text) = &error else {
        panic!("{error}");
    };
    assert!(text.contains("eventgen.toml:1:1"), "{text}");
    assert!(text.contains("did you mean `definitions`?"), "{text}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn the_configuration_hooks_come_before_the_builders_own() {
    let dir = scratch("hooks");
    let config = r##"definitions = ["events"]

[rust]
serde = true
type_attributes = [{ path = ".", attribute = "#[derive(Default)]" }]

[[rust.field_attributes]]
path = "account.uuid"
attribute = '#[doc(alias = "id")]'
"##;
    std::fs::write(dir.join("eventgen.toml"), config).expect("config");
    let path = builder(&dir)
        .type_attribute("account", "#[non_exhaustive]")
        .generate()
        .unwrap_or_else(|error| panic!("{error}"));
    let module = with_included(&path);
    assert!(
        module.contains("#[derive(Default)]\n#[non_exhaustive]\npub struct Account {"),
        "{module}"
    );
    assert!(module.contains("#[derive(Default)]\npub struct AccountCreated {"));
    assert!(module.contains("#[doc(alias = \"id\")]\n    pub uuid: ::event_runtime::Uuid,"));
    assert!(
        module.contains("impl ::event_runtime::notification::FromNotification for AccountCreated")
    );
    // The Builder's own call wins over the file's `serde`.
    let path = builder(&dir)
        .serde(false)
        .generate()
        .unwrap_or_else(|error| panic!("{error}"));
    let module = std::fs::read_to_string(path).expect("module");
    assert!(!module.contains("event_runtime::notification"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn an_attribute_that_is_not_rust_fails_with_its_place() {
    let dir = scratch("attribute");
    let config = "[rust]\nfield_attributes = [\n  { path = \"account.uuid\", attribute = \"#[serde(rename = \" },\n]\n";
    std::fs::write(dir.join("eventgen.toml"), config).expect("config");
    let error = builder(&dir).generate().expect_err("not an attribute");
    let BuildError::Config(text) = &error else {
        panic!("{error}");
    };
    assert!(text.contains("eventgen.toml:3:40"), "{text}");
    assert!(
        text.contains("the attribute for `account.uuid` is not Rust attributes"),
        "{text}"
    );
    assert!(text.contains("write Rust outer attributes"), "{text}");
    assert!(!dir.join("out").exists(), "nothing written");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn the_module_names_the_tables_the_configuration_gives() {
    let dir = scratch("tables");
    let generate = |config: &str| {
        std::fs::write(dir.join("eventgen.toml"), config).expect("config");
        let path = builder(&dir)
            .generate()
            .unwrap_or_else(|error| panic!("{error}"));
        // Compared without whitespace: the formatter breaks the call over lines.
        let module = std::fs::read_to_string(path).expect("module");
        module.split_whitespace().collect::<String>()
    };
    let module = generate("definitions = [\"events\"]\n");
    assert!(
        module.contains(r#"Tables::from_static("eventgen_",None,"_eventgen_migrations",)"#),
        "{module}"
    );
    let module = generate(
        "definitions = [\"events\"]\n[migrations]\ntable = \"svc._events\"\n[tables]\nprefix = \"svc_\"\nschema = \"svc\"\n",
    );
    assert!(
        module.contains(r#"Tables::from_static("svc_",Some("svc"),"svc._events",)"#),
        "{module}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

/// The module's text followed by the files it includes (a file per family of layers and
/// events, beside it).
fn with_included(path: &std::path::Path) -> String {
    let mut module = std::fs::read_to_string(path).expect("module");
    let dir = path.parent().expect("the module's directory");
    let included: Vec<String> = module
        .lines()
        .filter_map(|line| line.trim().strip_prefix("include!(\""))
        .filter_map(|rest| rest.split('"').next())
        .map(|file| std::fs::read_to_string(dir.join(file)).expect("an included file"))
        .collect();
    assert!(
        !included.is_empty(),
        "the module includes its families' files"
    );
    for text in included {
        module.push_str(&text);
    }
    module
}
