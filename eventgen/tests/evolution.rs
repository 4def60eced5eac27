//! Evolution against the lock: a matrix of catalog pairs (before, after) covering every
//! class of change, each with its expected classes and exit codes through the library,
//! `eventgen diff` and `eventgen check`; the build failing until a privacy change is
//! reviewed; sunsets; a format 1 lock migrated; deprecation markers in every output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use event_codegen::date::Date;
use event_codegen::diagnostic::{Rule, Style};
use event_codegen::evolution;
use event_codegen::gate;
use event_codegen::generate::{self, rust};
use event_codegen::lock::{self, Lock};
use event_codegen::model::Catalog;
use event_codegen::{Baseline, BuildError, Builder};

/// The "before" of most cases: an enum, a named type with a sensitive field, a layer, a
/// stored event with a counted list and an optional field, an analytics-only event.
const BASE: &str = r#"
[catalog]
name = "evo"

[enums.status]
description = "A status."
variants = ["OPEN", "DONE"]

[types.step]
description = "A step."
fields.title = { type = "string", sensitive = true, description = "Its title." }

[layers.project]
description = "A project."
fields.uuid = { type = "uuid", description = "UUID of the project." }
fields.name = { type = "string", sensitive = true, description = "Name of the project." }
fields.owner_ref = { type = "string", telemetry = "drop", description = "Opaque owner reference." }

[events."project:created"]
description = "A project was created."
fields.status = { type = "status", description = "Its status." }
fields.steps = { type = "list<step>", telemetry = "count", description = "Its steps." }
fields.note = { type = "string", optional = true, description = "A note." }

[events."page:viewed"]
description = "A page was viewed."
stored = false
"#;

const CREATED: &str = "[events.\"project:created\"]\n";
const NOTE: &str =
    "fields.note = { type = \"string\", optional = true, description = \"A note.\" }\n";
const OWNER: &str = "fields.owner_ref = { type = \"string\", telemetry = \"drop\", ";
const VIEWED: &str =
    "[events.\"page:viewed\"]\ndescription = \"A page was viewed.\"\nstored = false\n";

/// One pair: `before` (the base unless given) edited by `edits` into "after".
struct Case {
    name: &'static str,
    before: Option<String>,
    edits: Vec<(&'static str, String)>,
    /// `(class, kind)` of every change, in report order.
    expect: Vec<(&'static str, &'static str)>,
    /// The exit code of `eventgen diff` and `eventgen check`.
    exit: i32,
}

fn case(
    name: &'static str,
    edits: &[(&'static str, &str)],
    expect: &[(&'static str, &'static str)],
    exit: i32,
) -> Case {
    Case {
        name,
        before: None,
        edits: edits.iter().map(|(a, b)| (*a, (*b).to_owned())).collect(),
        expect: expect.to_vec(),
        exit,
    }
}

fn edited(text: &str, edits: &[(&'static str, String)]) -> String {
    let mut text = text.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "`{from}` is not in the catalog");
        text = text.replacen(from, to, 1);
    }
    text
}

fn matrix() -> Vec<Case> {
    let with_note = |extra: &str| {
        format!(
            "fields.note = {{ type = \"string\", optional = true, {extra}description = \"A note.\" }}\n"
        )
    };
    let mut cases = vec![
        case("unchanged", &[], &[], 0),
        case(
            "new event",
            &[(
                VIEWED,
                &format!("{VIEWED}\n[events.\"project:deleted\"]\ndescription = \"Deleted.\"\n"),
            )],
            &[("additive", "event-added")],
            0,
        ),
        case(
            "new optional field",
            &[(
                NOTE,
                &format!(
                    "{NOTE}fields.tag = {{ type = \"string\", optional = true, description = \"A tag.\" }}\n"
                ),
            )],
            &[("additive", "field-added")],
            0,
        ),
        case(
            "new enum value",
            &[("[\"OPEN\", \"DONE\"]", "[\"OPEN\", \"DONE\", \"PAUSED\"]")],
            &[("additive", "values-added")],
            0,
        ),
        case(
            "field removed",
            &[(NOTE, "")],
            &[("breaking", "field-removed")],
            1,
        ),
        case(
            "field removed, version bumped",
            &[(NOTE, ""), (CREATED, &format!("{CREATED}version = 2\n"))],
            &[("breaking", "field-removed")],
            0,
        ),
        case(
            "field renamed",
            &[("fields.note =", "fields.remark =")],
            &[("breaking", "field-removed"), ("additive", "field-added")],
            1,
        ),
        case(
            "field retyped",
            &[(NOTE, &NOTE.replace("\"string\"", "\"int\""))],
            &[("breaking", "field-retyped")],
            1,
        ),
        case(
            "field made required",
            &[(NOTE, &NOTE.replace("optional = true, ", ""))],
            &[("breaking", "made-required")],
            1,
        ),
        case(
            "new required field in a named type",
            &[(
                "fields.title =",
                "fields.order = { type = \"int\", description = \"Its rank.\" }\nfields.title =",
            )],
            &[("breaking", "field-added")],
            1,
        ),
        case(
            "enum value removed",
            &[("[\"OPEN\", \"DONE\"]", "[\"OPEN\"]")],
            &[("breaking", "values-removed")],
            1,
        ),
        case(
            "event removed",
            &[(VIEWED, "")],
            &[("breaking", "event-removed")],
            1,
        ),
        case(
            "drop to hash",
            &[(
                "sensitive = true, description = \"Name",
                "sensitive = true, telemetry = \"hash\", description = \"Name",
            )],
            &[("privacy-relevant", "telemetry-loosened")],
            1,
        ),
        case(
            "drop to hash, reviewed",
            &[(
                "sensitive = true, description = \"Name",
                "sensitive = true, telemetry = \"hash\", privacy_reviewed = \"PRIV-1\", description = \"Name",
            )],
            &[("privacy-relevant", "telemetry-loosened")],
            0,
        ),
        case(
            "count to keep",
            &[(
                "telemetry = \"count\", description = \"Its steps",
                "description = \"Its steps",
            )],
            &[("privacy-relevant", "telemetry-loosened")],
            1,
        ),
        case(
            "sensitive removed",
            &[(
                "fields.name = { type = \"string\", sensitive = true,",
                "fields.name = { type = \"string\", telemetry = \"drop\",",
            )],
            &[("privacy-relevant", "sensitive-removed")],
            1,
        ),
        case(
            "notification-only field reaching telemetry",
            &[(OWNER, "fields.owner_ref = { type = \"string\", ")],
            &[("privacy-relevant", "telemetry-loosened")],
            1,
        ),
        case(
            "telemetry tightened",
            &[(NOTE, &with_note("telemetry = \"drop\", "))],
            &[("compatible", "telemetry-tightened")],
            0,
        ),
        case(
            "event deprecated",
            &[(
                CREATED,
                &format!(
                    "{CREATED}deprecated = {{ since = \"2.0.0\", note = \"use page:viewed\", sunset = \"2099-12-31\" }}\n"
                ),
            )],
            &[("deprecation", "event-deprecated")],
            0,
        ),
        case(
            "field deprecated",
            &[(NOTE, &with_note("deprecated = true, "))],
            &[("deprecation", "field-deprecated")],
            0,
        ),
    ];
    // Removing an event whose deprecation was generated is allowed.
    let deprecated_viewed = BASE.replace(
        VIEWED,
        &format!("{VIEWED}deprecated = {{ since = \"2.0.0\", note = \"gone\" }}\n"),
    );
    cases.push(Case {
        name: "deprecated event removed",
        edits: vec![(
            "[events.\"page:viewed\"]",
            "[events.\"page:gone\"]".to_owned(),
        )],
        before: Some(deprecated_viewed),
        expect: vec![("additive", "event-added"), ("breaking", "event-removed")],
        exit: 0,
    });
    // A review recorded in the lock acknowledged its change, not the next one.
    let reviewed = BASE.replace(
        OWNER,
        "fields.owner_ref = { type = \"string\", telemetry = \"hash\", privacy_reviewed = \"PRIV-1\", ",
    );
    for (name, review, exit) in [
        ("hash to keep, review already spent", "PRIV-1", 1),
        ("hash to keep, reviewed again", "PRIV-2", 0),
    ] {
        cases.push(Case {
            name,
            edits: vec![(
                "telemetry = \"hash\", privacy_reviewed = \"PRIV-1\", ",
                format!("privacy_reviewed = \"{review}\", "),
            )],
            before: Some(reviewed.clone()),
            expect: vec![("privacy-relevant", "telemetry-loosened")],
            exit,
        });
    }
    cases
}

fn catalog(text: &str) -> Catalog {
    let loaded = Baseline::new().without_lock().load_str("evo.toml", text);
    let rendered = loaded.render(Style::Plain);
    loaded.catalog.unwrap_or_else(|| panic!("{rendered}"))
}

/// The lock `eventgen generate` would write for `text`.
fn lock_of(text: &str) -> Lock {
    let mut lock = Lock::new();
    lock.record(&catalog(text));
    lock
}

fn eventgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventgen"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("eventgen runs")
}

fn scratch(name: &str) -> PathBuf {
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let dir =
        std::env::temp_dir().join(format!("eventgen-evolution-{}-{slug}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Definitions `after` in a directory with the lock of `before` beside them.
fn definitions_dir(name: &str, before: &str, after: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("evo.toml"), after).expect("definitions");
    std::fs::write(dir.join(lock::FILE_NAME), lock_of(before).to_toml()).expect("lock");
    dir
}

#[test]
fn every_class_of_change_is_classified_and_gated() {
    let mut failures = Vec::new();
    for case in matrix() {
        let before = case.before.clone().unwrap_or_else(|| BASE.to_owned());
        let after = edited(&before, &case.edits);
        let expect: Vec<(String, String)> = case
            .expect
            .iter()
            .map(|(c, k)| ((*c).to_owned(), (*k).to_owned()))
            .collect();

        // The library.
        let gate = gate(&catalog(&after), &lock_of(&before));
        let classes: Vec<(String, String)> = gate
            .changes
            .iter()
            .map(|g| {
                (
                    g.change.class().as_str().to_owned(),
                    g.change.code().to_owned(),
                )
            })
            .collect();
        let library_exit = i32::from(gate.is_blocking());
        if classes != expect || library_exit != case.exit {
            failures.push(format!(
                "{}: library gave {classes:?}, exit {library_exit}",
                case.name
            ));
        }

        // `eventgen diff --format json` and `eventgen check`, on a lock beside the files.
        let dir = definitions_dir(case.name, &before, &after);
        let dir_arg = dir.to_str().expect("UTF-8 path");
        let diff = eventgen(&["diff", "--definitions", dir_arg, "--format", "json"]);
        let json: serde_json::Value =
            serde_json::from_slice(&diff.stdout).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let reported: Vec<(String, String)> = json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .map(|c| {
                (
                    c["class"].as_str().unwrap_or_default().to_owned(),
                    c["kind"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        if reported != expect || diff.status.code() != Some(case.exit) {
            failures.push(format!(
                "{}: diff gave {reported:?}, exit {:?}\n{}",
                case.name,
                diff.status.code(),
                String::from_utf8_lossy(&diff.stderr)
            ));
        }
        let check = eventgen(&["check", dir_arg]);
        if check.status.code() != Some(case.exit) {
            failures.push(format!(
                "{}: check exited {:?}\n{}",
                case.name,
                check.status.code(),
                String::from_utf8_lossy(&check.stderr)
            ));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diff_says_renamed_and_what_to_do() {
    let after = BASE.replace("fields.note =", "fields.remark =");
    let dir = definitions_dir("renamed-text", BASE, &after);
    let output = eventgen(&["diff", "--definitions", dir.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("against "), "{text}");
    assert!(
        text.contains(
            "  breaking          field `project.note` removed (renamed? `project.remark` was added with the same type)\n\
             \x20                   blocking [version-bump]: set `version = 2`\n"
        ),
        "{text}"
    );
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(errors.contains("[version-bump]"), "{errors}");
    assert!(errors.contains("evo.toml:"), "file:line:column: {errors}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn diff_reads_a_lock_file_or_a_git_revision() {
    let dir = scratch("git");
    let dir_arg = dir.to_str().expect("UTF-8");
    std::fs::write(dir.join("evo.toml"), BASE).expect("definitions");
    std::fs::write(dir.join(lock::FILE_NAME), lock_of(BASE).to_toml()).expect("lock");
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-C",
                dir_arg,
            ])
            .args(args)
            .output()
            .expect("git runs");
        assert!(status.status.success(), "{args:?}: {status:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "before"]);
    // The working tree moves on: the lock and the definitions drop `note`.
    let after = BASE.replace(NOTE, "");
    std::fs::write(dir.join("evo.toml"), &after).expect("definitions");
    std::fs::write(dir.join(lock::FILE_NAME), lock_of(&after).to_toml()).expect("lock");
    let against_head = eventgen(&["diff", "--definitions", dir_arg, "--against", "HEAD"]);
    assert_eq!(against_head.status.code(), Some(1), "{against_head:?}");
    assert!(String::from_utf8_lossy(&against_head.stdout).contains("field `project.note` removed"));
    let against_disk = eventgen(&["diff", "--definitions", dir_arg]);
    assert_eq!(against_disk.status.code(), Some(0), "{against_disk:?}");
    let old = dir.join("old.lock");
    std::fs::write(&old, lock_of(BASE).to_toml()).expect("lock");
    let against_file = eventgen(&[
        "diff",
        "--definitions",
        dir_arg,
        "--against",
        old.to_str().expect("UTF-8"),
    ]);
    assert_eq!(against_file.status.code(), Some(1));
    let bad = eventgen(&["diff", "--definitions", dir_arg, "--against", "no-such-rev"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("neither a lock file nor a git revision")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_privacy_change_fails_the_build_until_reviewed() {
    let loosened = BASE.replace(OWNER, "fields.owner_ref = { type = \"string\", ");
    let dir = definitions_dir("builder", BASE, &loosened);
    let build = || {
        Builder::new()
            .cargo_directives(false)
            .definitions(&dir)
            .out_dir(dir.join("out"))
            .generate()
    };
    match build() {
        Err(BuildError::Definitions(text)) => {
            assert!(text.contains("[privacy-review]"), "{text}");
            assert!(
                text.contains("privacy_reviewed"),
                "the help says what to add: {text}"
            );
        }
        other => panic!("expected a privacy-review error, got {other:?}"),
    }
    let reviewed = BASE.replace(
        OWNER,
        "fields.owner_ref = { type = \"string\", privacy_reviewed = \"PRIV-7: owner refs are opaque\", ",
    );
    std::fs::write(dir.join("evo.toml"), reviewed).expect("definitions");
    build().expect("builds once reviewed");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn after_generate_the_lock_holds_the_change_and_the_review() {
    let reviewed = BASE.replace(
        OWNER,
        "fields.owner_ref = { type = \"string\", privacy_reviewed = \"PRIV-7\", ",
    );
    let lock = lock_of(&reviewed);
    assert_eq!(
        lock.privacy_reviews
            .get("layers.project.fields.owner_ref")
            .map(String::as_str),
        Some("PRIV-7")
    );
    let loaded = Baseline::new().lock(lock).load_str("evo.toml", reviewed);
    assert!(
        loaded.diagnostics.is_empty(),
        "{}",
        loaded.render(Style::Plain)
    );
}

#[test]
fn sunsets_are_checked_against_an_injectable_day() {
    let fixture = include_str!("../../codegen/tests/fixtures/features.toml");
    let day = |d: &str| d.parse::<Date>().expect("a date");
    let on = |d: &str| {
        Baseline::new()
            .without_lock()
            .today(day(d))
            .load_str("features.toml", fixture)
    };
    // `project:renamed` has `sunset = "2030-06-30"`: it may live through that day.
    assert!(on("2030-06-30").catalog.is_some());
    let after = on("2030-07-01");
    assert!(after.catalog.is_none());
    let sunsets: Vec<_> = after
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::Sunset)
        .collect();
    assert_eq!(sunsets.len(), 1, "{}", after.render(Style::Plain));
    assert!(sunsets[0].message.contains("project:renamed"));
}

#[test]
fn the_cli_checks_sunsets_against_today() {
    let text = BASE.replace(
        VIEWED,
        &format!("{VIEWED}deprecated = {{ since = \"1.0.0\", sunset = \"2001-01-01\" }}\n"),
    );
    let dir = scratch("sunset");
    std::fs::write(dir.join("evo.toml"), text).expect("definitions");
    let output = eventgen(&["check", dir.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(1));
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        errors.contains("[sunset] deprecated event `page:viewed` is past its sunset, 2001-01-01"),
        "{errors}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_format_1_lock_is_migrated_on_generate() {
    let catalog = catalog(BASE);
    let old = Lock::parse("format = 1\n", Path::new("eventgen.lock")).expect("a format 1 lock");
    // Nothing to compare with: no payloads recorded.
    assert!(gate(&catalog, &old).changes.is_empty());
    let outputs = generate::outputs(
        Path::new("."),
        &catalog,
        Path::new("definitions"),
        Some(&old),
        None,
    )
    .expect("outputs");
    let written = outputs
        .files
        .iter()
        .find(|f| f.path == Path::new("definitions").join(lock::FILE_NAME))
        .expect("the lock is written");
    let lock = Lock::parse(&written.contents, Path::new("eventgen.lock")).expect("a valid lock");
    assert_eq!(lock.format, lock::FORMAT);
    assert_eq!(lock.payloads, evolution::snapshot(&catalog));
    assert!(written.contents.contains(
        "\n[payloads.\"project:created\"]\nversion = 1\nfields = [\n    \"project.name: string telemetry=drop sensitive\",\n"
    ), "{}", written.contents);
    assert!(
        written
            .contents
            .contains("\"project.steps[].title: string telemetry=drop sensitive\"")
    );
}

#[test]
fn deprecated_events_are_marked_in_rust_schemas_and_docs() {
    let fixture = catalog(include_str!("../../codegen/tests/fixtures/features.toml"));
    let module = rust::module(&fixture);
    let reason = "\"use project:updated; replaced by `project:updated`; deprecated since 2.0.0; removed after 2030-06-30\"";
    let note = format!("note = {reason}");
    // The register function is declared by `event_api!`, its attributes before its name.
    let register = module
        .find("register_project_renamed_event")
        .expect("register fn");
    let invocation = module[..register]
        .rfind("::event_runtime::event_api!(")
        .expect("the event's event_api! call");
    let attributes = &module[invocation..register];
    assert!(attributes.contains("#[deprecated("), "{attributes}");
    assert!(attributes.contains(reason), "{attributes}");
    let variant = module
        .find("    ProjectRenamed,\n")
        .expect("analytics variant");
    assert!(
        module[..variant][module[..variant]
            .rfind("#[deprecated(")
            .expect("deprecated")..]
            .contains(&note)
    );

    let schema = generate::json_schema::event_schema(
        &fixture,
        fixture.event("project:renamed").expect("event"),
        generate::json_schema::PayloadKind::Notification,
    )
    .expect("a notification schema");
    assert_eq!(
        schema.get("deprecated"),
        Some(&serde_json::Value::Bool(true))
    );
    let docs = generate::docs::markdown(&fixture);
    let section = &docs[docs.find("project:renamed").expect("in the docs")..];
    assert!(section.contains("**deprecated**"), "{section}");
}
