//! Versioned, immutable JSON Schemas, generated the way `eventgen generate` does into a
//! temporary directory (definitions and lock): a version bump writes a new file and keeps
//! the old one byte for byte, a change without a bump is an error located on the event,
//! and a published file edited or removed on disk is reported and never overwritten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use event_codegen::diagnostic::{self, Diagnostic, Diagnostics, Rule, Style};
use event_codegen::generate::json_schema::{self, PayloadKind};
use event_codegen::generate::{self, Outputs, Staleness};
use serde_json::Value;

const FIXTURE: &str = include_str!("fixtures/features.toml");
const CREATED_V1: &str = "schemas/notification/project.created/v1.json";
const CREATED_V2: &str = "schemas/notification/project.created/v2.json";

/// A fresh directory with `definitions/catalog.toml` holding `text`.
fn scratch(name: &str, text: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("schema-versions-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("definitions")).expect("create the directory");
    write_definitions(&dir, text);
    dir
}

fn write_definitions(dir: &Path, text: &str) {
    std::fs::write(dir.join("definitions/catalog.toml"), text).expect("write definitions");
}

/// The fixture with `project:created` at `version`, its description `description`.
fn definitions(version: u32, description: &str) -> String {
    FIXTURE.replace(
        "[events.\"project:created\"]\ndescription = \"A project was created.\"\n",
        &format!(
            "[events.\"project:created\"]\nversion = {version}\ndescription = \"{description}\"\n"
        ),
    )
}

/// What `eventgen generate` would write in `dir`, against the lock there; when it
/// refuses, the diagnostics and their rendering.
fn outputs(dir: &Path) -> Result<Outputs, (Vec<Diagnostic>, String)> {
    let loaded = event_codegen::load(&[dir.join("definitions/catalog.toml")]);
    let rendered = loaded.render(Style::Plain);
    let catalog = loaded
        .catalog
        .as_ref()
        .unwrap_or_else(|| panic!("{rendered}"));
    generate::outputs(
        dir,
        catalog,
        Path::new("definitions"),
        loaded.lock.as_ref(),
        None,
    )
    .map_err(|problems| {
        let mut diagnostics = Diagnostics::new();
        diagnostics.extend(problems.clone());
        let rendered = diagnostic::render(&diagnostics, &loaded.sources, Style::Plain);
        (problems, rendered)
    })
}

/// Generates in `dir`, as `eventgen generate` does.
fn generate(dir: &Path) {
    let outputs = outputs(dir).unwrap_or_else(|(_, rendered)| panic!("{rendered}"));
    outputs.write(dir).expect("write the outputs");
    assert_eq!(outputs.stale(dir).expect("compare"), []);
}

fn read(dir: &Path, path: &str) -> Vec<u8> {
    std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(dir: &Path, path: &str) -> Value {
    serde_json::from_slice(&read(dir, path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_version_bump_writes_a_new_file_and_keeps_the_old_one() {
    let dir = scratch("bump", &definitions(1, "A project was created."));
    generate(&dir);
    let v1 = read(&dir, CREATED_V1);
    let lock = std::fs::read_to_string(dir.join("definitions/eventgen.lock")).expect("lock");
    assert!(
        lock.contains("\"notification/project.created/v1.json\" = { type = \"project:created\", kind = \"notification\", version = 1, sha256 = \""),
        "{lock}"
    );

    write_definitions(&dir, &definitions(2, "A project was set up."));
    generate(&dir);
    assert_eq!(read(&dir, CREATED_V1), v1, "the published v1 is unchanged");
    let v2 = json(&dir, CREATED_V2);
    assert_eq!(
        v2["$id"],
        "https://schemas.example.com/fixture/notification/project.created/v2.json"
    );
    assert_eq!(v2["description"], "A project was set up.");

    // Each version's payloads say their version: v1's schema and example 1, v2's 2.
    let v1: Value = serde_json::from_slice(&v1).expect("JSON");
    for (schema, version) in [(&v1, 1), (&v2, 2)] {
        assert_eq!(schema["properties"]["version"]["const"], version);
        assert_eq!(schema["examples"][0]["version"], version);
        assert!(
            schema["required"]
                .as_array()
                .expect("required")
                .contains(&"version".into())
        );
    }
    let telemetry_v2 = json(&dir, "schemas/telemetry/project.created/v2.json");
    let properties = &telemetry_v2["properties"]["event_properties"];
    assert_eq!(properties["properties"]["version"]["const"], 2);
    assert_eq!(
        telemetry_v2["examples"][0]["event_properties"]["version"],
        2
    );

    // The combined schema validates against v2 and lists v1; the index too.
    let combined = json(&dir, "schemas/notification.json");
    let refs: Vec<&str> = combined["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .filter_map(|b| b["$ref"].as_str())
        .collect();
    assert!(
        refs.contains(&"notification/project.created/v2.json"),
        "{refs:?}"
    );
    assert!(
        !refs.contains(&"notification/project.created/v1.json"),
        "{refs:?}"
    );
    assert_eq!(
        combined["$defs"]["project.created.v1"]["$ref"],
        "notification/project.created/v1.json"
    );
    let index = json(&dir, "schemas/index.json");
    let created = index["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["type"] == "project:created")
        .expect("project:created in the index");
    assert_eq!(created["version"], 2);
    assert_eq!(
        created["schemas"]["telemetry"],
        "telemetry/project.created/v2.json"
    );
    assert_eq!(
        created["older_versions"],
        serde_json::json!([{
            "version": 1,
            "schemas": {
                "notification": "notification/project.created/v1.json",
                "telemetry": "telemetry/project.created/v1.json",
            },
        }])
    );

    every_file_is_a_valid_schema_and_the_combined_ones_compile(&dir);
    the_catalog_page_links_every_version(&dir);

    // Generating again changes nothing, and still keeps v1.
    let before = snapshot(&dir);
    generate(&dir);
    assert_eq!(snapshot(&dir), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The HTML catalog lists `project:created`'s older version with links to its files, and
/// every schema link of the page leads to a file.
fn the_catalog_page_links_every_version(dir: &Path) {
    let page = String::from_utf8(read(dir, "docs/catalog.html")).expect("UTF-8");
    let section = &page[page
        .find("id=\"event-project.created\"")
        .expect("the event's section")..];
    let section = &section[..section.find("</section>").expect("its end")];
    let links: Vec<String> = section
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&#x2f;", "/"))
        .filter(|href| href.starts_with("../schemas/"))
        .collect();
    assert_eq!(
        links,
        [
            "../schemas/notification/project.created/v2.json",
            "../schemas/telemetry/project.created/v2.json",
            "../schemas/notification/project.created/v1.json",
            "../schemas/telemetry/project.created/v1.json",
        ],
        "{section}"
    );
    assert!(section.contains("older versions"), "{section}");
    for href in page
        .split("href=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
    {
        let href = href.replace("&#x2f;", "/");
        if let Some(path) = href.strip_prefix("../") {
            assert!(dir.join(path).is_file(), "{href} leads to no file");
        }
    }
}

/// Every schema under `dir/schemas` is a valid 2020-12 schema, and the combined schemas
/// (whose `$defs` name the older versions) compile with every per-event file registered.
fn every_file_is_a_valid_schema_and_the_combined_ones_compile(dir: &Path) {
    let files = snapshot(dir);
    let base = "https://schemas.example.com/fixture/";
    let mut resources = Vec::new();
    for (path, bytes) in &files {
        let relative = path
            .strip_prefix(dir.join("schemas"))
            .map(|p| p.to_str().expect("UTF-8").to_owned());
        let Ok(relative) = relative else { continue };
        if relative == "index.json" {
            continue;
        }
        let schema: Value = serde_json::from_slice(bytes).expect("JSON");
        if let Err(error) = jsonschema::draft202012::meta::validate(&schema) {
            panic!("{relative} is not a valid 2020-12 schema: {error}");
        }
        if relative.contains('/') {
            resources.push((format!("{base}{relative}"), schema));
        }
    }
    assert!(resources.len() > 10, "{resources:?}");
    let registry = jsonschema::Registry::new()
        .extend(resources)
        .expect("valid URIs")
        .prepare()
        .expect("the registry builds");
    for kind in PayloadKind::ALL {
        let combined = json(
            dir,
            &format!("schemas/{}", json_schema::combined_schema_path(kind)),
        );
        jsonschema::draft202012::options()
            .with_registry(&registry)
            .build(&combined)
            .unwrap_or_else(|e| panic!("the combined {} schema compiles: {e}", kind.as_str()));
    }
}

/// Every file under `dir/schemas` and the lock, by path.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read a directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).expect("read"));
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(&dir.join("schemas"), &mut files);
    let lock = dir.join("definitions/eventgen.lock");
    files.insert(lock.clone(), std::fs::read(&lock).expect("lock"));
    files
}

/// The declaration of `name` in a client file: from its line to the next blank line.
fn declaration<'t>(text: &'t str, start: &str) -> &'t str {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in\n{text}"));
    let rest = &text[at..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

#[test]
fn every_version_has_client_types_and_an_older_one_never_changes() {
    const TS: &str = "clients/typescript/events.ts";
    const PY: &str = "clients/python/events.py";
    let text = |dir: &Path, path: &str| String::from_utf8(read(dir, path)).expect("UTF-8");
    let dir = scratch("client-types", &definitions(1, "A project was created."));
    generate(&dir);
    let (ts, py) = (text(&dir, TS), text(&dir, PY));
    // The current version is reachable by its versioned name.
    assert!(
        ts.contains("export type ProjectCreatedV1 = ProjectCreated;"),
        "{ts}"
    );
    assert!(ts.contains("export type ProjectCreatedV1Telemetry = ProjectCreatedTelemetry;"));
    assert!(
        py.contains("ProjectCreatedV1: TypeAlias = ProjectCreated\n"),
        "{py}"
    );

    write_definitions(&dir, &definitions(2, "A project was set up."));
    generate(&dir);
    let (ts, py) = (text(&dir, TS), text(&dir, PY));
    assert!(ts.contains("export type ProjectCreatedV2 = ProjectCreated;"));
    assert!(declaration(&ts, "export interface ProjectCreated {").contains("  version: 2;"));
    // v1, read from its published schema: its own version, its description, its members.
    let v1_ts = declaration(&ts, "export interface ProjectCreatedV1 {").to_owned();
    assert!(v1_ts.contains("  type: \"project:created\";"), "{v1_ts}");
    assert!(v1_ts.contains("  version: 1;"), "{v1_ts}");
    assert!(v1_ts.contains("  timestamp: string;"), "{v1_ts}");
    assert!(v1_ts.contains("  project: {\n"), "{v1_ts}");
    assert!(
        ts.contains(
            "Notification payload of `project:created` (version 1). A project was created."
        ),
        "{ts}"
    );
    let v1_telemetry = declaration(&ts, "export interface ProjectCreatedV1Telemetry {").to_owned();
    assert!(v1_telemetry.contains("    version: 1;"), "{v1_telemetry}");
    assert!(
        v1_telemetry.contains("projects_count: number;"),
        "{v1_telemetry}"
    );
    let v1_py = declaration(&py, "class ProjectCreatedV1(TypedDict):").to_owned();
    let v1_py_members = &py[py.find("class ProjectCreatedV1(TypedDict):").expect("v1")..];
    assert!(
        v1_py_members.contains("    version: Literal[1]\n"),
        "{v1_py_members}"
    );
    assert!(py.contains("ProjectCreatedV2: TypeAlias = ProjectCreated\n"));

    // Another bump leaves v1's types as they were, and reads v2's from its file.
    write_definitions(&dir, &definitions(3, "A project was made."));
    generate(&dir);
    let (ts, py) = (text(&dir, TS), text(&dir, PY));
    assert_eq!(
        declaration(&ts, "export interface ProjectCreatedV1 {"),
        v1_ts
    );
    assert_eq!(
        declaration(&ts, "export interface ProjectCreatedV1Telemetry {"),
        v1_telemetry
    );
    assert_eq!(
        declaration(&py, "class ProjectCreatedV1(TypedDict):"),
        v1_py
    );
    let v2_ts = declaration(&ts, "export interface ProjectCreatedV2 {");
    assert!(v2_ts.contains("  version: 2;"), "{v2_ts}");
    assert_eq!(
        v2_ts
            .replace("V2 {", "V1 {")
            .replace("version: 2", "version: 1"),
        v1_ts,
        "v2 said what v1 said"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_change_without_a_version_bump_is_an_error_on_the_event() {
    let dir = scratch("no-bump", &definitions(1, "A project was created."));
    generate(&dir);
    let before = snapshot(&dir);
    write_definitions(&dir, &definitions(1, "A project was set up."));
    let Err((problems, rendered)) = outputs(&dir) else {
        panic!("a published schema would change");
    };
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "the notification schema of `project:created` version 1 was published as \
             `schemas/notification/project.created/v1.json`, and this generation would change it",
            "the telemetry schema of `project:created` version 1 was published as \
             `schemas/telemetry/project.created/v1.json`, and this generation would change it",
        ]
    );
    for problem in &problems {
        assert_eq!(problem.rule, Rule::AppendOnly);
        assert_eq!(problem.labels.len(), 1);
        assert_eq!(problem.labels[0].text, "still version 1");
        let help = problem.help.as_deref().expect("a help line");
        assert!(
            help.contains("`version = 2` on `[events.\"project:created\"]`"),
            "{help}"
        );
    }
    // Located on the event's table in the definitions.
    assert!(rendered.contains("catalog.toml:50:9]"), "{rendered}");
    assert_eq!(snapshot(&dir), before, "nothing was written");
    // The rule is `append-only`, reported once per published file.
    assert_eq!(
        rendered.matches(Rule::AppendOnly.code()).count(),
        2,
        "{rendered}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_published_file_edited_or_removed_on_disk_fails_the_check() {
    let dir = scratch("edited", &definitions(1, "A project was created."));
    generate(&dir);
    write_definitions(&dir, &definitions(2, "A project was created."));
    generate(&dir);
    let outputs = outputs(&dir).expect("outputs");

    // An older version: generating cannot restore it, and refuses to write.
    let v1 = dir.join(CREATED_V1);
    let published = std::fs::read(&v1).expect("v1");
    std::fs::write(&v1, b"{}\n").expect("edit v1");
    assert_eq!(
        outputs.stale(&dir).expect("compare"),
        [(PathBuf::from(CREATED_V1), Staleness::PublishedEdited)]
    );
    let error = outputs.write(&dir).expect_err("an edited published file");
    assert!(error.to_string().contains(CREATED_V1), "{error}");
    assert!(error.to_string().contains("git checkout"), "{error}");
    assert_eq!(std::fs::read(&v1).expect("v1"), b"{}\n", "not overwritten");
    std::fs::remove_file(&v1).expect("remove v1");
    assert_eq!(
        outputs.stale(&dir).expect("compare"),
        [(PathBuf::from(CREATED_V1), Staleness::PublishedRemoved)]
    );
    assert!(outputs.write(&dir).is_err());
    std::fs::write(&v1, &published).expect("restore v1");
    assert_eq!(outputs.stale(&dir).expect("compare"), []);

    // The current version is generated: an edit is stale, and generating restores it.
    let v2 = dir.join(CREATED_V2);
    std::fs::write(&v2, b"{}\n").expect("edit v2");
    assert_eq!(
        outputs.stale(&dir).expect("compare"),
        [(PathBuf::from(CREATED_V2), Staleness::Changed)]
    );
    outputs.write(&dir).expect("write");
    assert_eq!(outputs.stale(&dir).expect("compare"), []);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_old_unversioned_files_are_obsolete_and_removed() {
    let dir = scratch("obsolete", &definitions(1, "A project was created."));
    let old = dir.join("schemas/notification/project.created.json");
    std::fs::create_dir_all(old.parent().expect("parent")).expect("mkdir");
    std::fs::write(&old, b"{}\n").expect("an unversioned schema");
    let outputs = outputs(&dir).expect("outputs");
    let stale = outputs.stale(&dir).expect("compare");
    assert!(
        stale.contains(&(
            PathBuf::from("schemas/notification/project.created.json"),
            Staleness::Obsolete
        )),
        "{stale:?}"
    );
    outputs.write(&dir).expect("write");
    assert!(!old.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every per-event schema of a generation is recorded for the lock, with the hash of the
/// file's bytes.
#[test]
fn the_lock_records_every_per_event_file_with_its_hash() {
    let catalog = event_codegen::load_str("fixture.toml", FIXTURE)
        .catalog
        .expect("the fixture checks");
    let schemas = json_schema::schemas(&catalog, &BTreeMap::new());
    let per_event = schemas
        .files
        .iter()
        .filter(|f| f.path.components().count() == 4)
        .count();
    assert_eq!(schemas.published.len(), per_event);
    for (path, locked) in &schemas.published {
        let file = schemas
            .files
            .iter()
            .find(|f| f.path == Path::new(json_schema::SCHEMA_DIR).join(path))
            .unwrap_or_else(|| panic!("{path} is generated"));
        assert_eq!(
            locked.sha256,
            event_codegen::lock::content_hash(file.contents.as_bytes())
        );
        if locked.kind == json_schema::REQUEST {
            assert_eq!(
                json_schema::request_schema_path(&locked.event_type, locked.version),
                *path
            );
            continue;
        }
        let kind = PayloadKind::ALL
            .into_iter()
            .find(|k| k.as_str() == locked.kind)
            .expect("a payload kind");
        assert_eq!(
            json_schema::event_schema_path(kind, &locked.event_type, locked.version),
            *path
        );
    }
}

#[test]
fn a_lock_entry_outside_the_schema_folders_is_refused() {
    let dir = scratch("outside", &definitions(1, "A project was created."));
    generate(&dir);
    let lock_path = dir.join("definitions/eventgen.lock");
    let lock = std::fs::read_to_string(&lock_path).expect("lock");
    let entry = "\"notification/../../src/v1.json\" = { type = \"project:created\", \
                 kind = \"notification\", version = 1, sha256 = \"00\" }\n";
    let lock = lock.replacen("[schemas]\n", &format!("[schemas]\n{entry}"), 1);
    std::fs::write(&lock_path, lock).expect("write the lock");
    let Err((problems, _)) = outputs(&dir) else {
        panic!("a lock entry outside schemas/ is refused");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].rule, Rule::Lock);
    assert!(
        problems[0]
            .message
            .contains("`notification/../../src/v1.json`"),
        "{}",
        problems[0].message
    );
    let _ = std::fs::remove_dir_all(&dir);
}
