//! `eventgen.toml` and `eventgen init`, as a user runs them in a project of their own: the
//! file found from a subdirectory, every key honoured, mistakes located, the command line
//! taking precedence, and `init` starting a project that checks and generates.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Runs eventgen in `dir` and expects exit 0.
fn ok(dir: &Path, args: &[&str]) -> Output {
    let output = eventgen(dir, args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    output
}

/// An empty scratch directory, unique per test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventgen-config-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A project made by `eventgen init`, with `config` as its `eventgen.toml`.
fn project(name: &str, config: &str) -> PathBuf {
    let dir = scratch(name);
    ok(&dir, &["init"]);
    std::fs::write(dir.join("eventgen.toml"), config).expect("write config");
    dir
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                let relative = path.strip_prefix(root).expect("under root");
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found.sort();
    found
}

const EVERY_KEY: &str = r#"
definitions = ["events"]
lock = "state/events.lock"
schemas = "public/schemas"
[migrations]
sqlite = "db/sqlite"
postgres = "db/postgres"
naming = "timestamp"
table = "svc_migrations"
[tables]
prefix = "svc_"
schema = "outbox"
[docs]
markdown = "doc/events.md"
html = "doc/catalog.html"
[clients]
typescript = "web/types"
python = "py"
"#;

#[test]
fn init_then_check_and_generate_pass_in_an_empty_directory() {
    let dir = scratch("init");
    let output = ok(&dir, &["init"]);
    let printed = String::from_utf8_lossy(&output.stdout);
    for line in [
        "event-runtime",
        "event-outbox",
        "[build-dependencies]",
        "event-codegen",
        "Builder::new()",
    ] {
        assert!(printed.contains(line), "{line} missing from:\n{printed}");
    }
    assert_eq!(files(&dir), ["definitions/events.toml", "eventgen.toml"]);
    ok(&dir, &["check"]);
    ok(&dir, &["generate"]);
    ok(&dir, &["generate", "--check"]);
    assert!(
        dir.join("migrations/sqlite/0001_eventgen_base.sql")
            .is_file()
    );
    assert!(dir.join("definitions/eventgen.lock").is_file());
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let dir = scratch("init-twice");
    std::fs::write(dir.join("eventgen.toml"), "# mine\n").expect("write");
    let output = eventgen(&dir, &["init"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("`eventgen.toml` already exists"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files(&dir), ["eventgen.toml"], "nothing else written");
    assert_eq!(
        std::fs::read_to_string(dir.join("eventgen.toml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn every_key_is_honoured_from_a_subdirectory() {
    let dir = project("every-key", EVERY_KEY);
    std::fs::rename(dir.join("definitions"), dir.join("events")).expect("move definitions");
    let sub = dir.join("src/deep");
    std::fs::create_dir_all(&sub).expect("subdirectory");
    ok(&sub, &["generate"]);
    let written = files(&dir);
    for expected in [
        "state/events.lock",
        "events/definitions.schema.json",
        "public/schemas/index.json",
        "doc/events.md",
        "doc/catalog.html",
        "web/types/events.ts",
        "py/events.py",
    ] {
        assert!(
            written.iter().any(|f| f == expected),
            "{expected} not in {written:#?}"
        );
    }
    for default in [
        "migrations",
        "schemas",
        "docs",
        "clients",
        "src/deep/schemas",
    ] {
        assert!(
            !dir.join(default).exists(),
            "{default} written despite the configuration"
        );
    }
    let html = std::fs::read_to_string(dir.join("doc/catalog.html")).expect("html");
    assert!(
        html.contains("href=\"..&#x2f;public&#x2f;schemas&#x2f;"),
        "links follow the schemas"
    );
    // Timestamped migrations, the same names for both backends, kept by a second generation.
    let migrations: Vec<&String> = written
        .iter()
        .filter(|f| f.starts_with("db/sqlite/"))
        .collect();
    assert_eq!(migrations.len(), 3, "{written:#?}");
    let name = migrations[0].trim_start_matches("db/sqlite/");
    assert!(
        name.len() > 15 && name[..14].bytes().all(|b| b.is_ascii_digit()),
        "{name}"
    );
    assert!(dir.join("db/postgres").join(name).is_file());
    let lock = std::fs::read_to_string(dir.join("state/events.lock")).expect("lock");
    assert!(
        lock.contains(&format!("version = {}", &name[..14])),
        "{lock}"
    );
    // The tables as `[tables]` names them, recorded in the lock.
    assert!(
        lock.contains("[tables]\nprefix = \"svc_\"\nschema = \"outbox\"\n"),
        "{lock}"
    );
    let base = std::fs::read_to_string(dir.join("db/postgres").join(name)).expect("base");
    assert!(
        base.contains(r#"CREATE TABLE IF NOT EXISTS "outbox"."svc_events""#),
        "{base}"
    );
    let base = std::fs::read_to_string(dir.join("db/sqlite").join(name)).expect("base");
    assert!(
        base.contains(r#"CREATE TABLE IF NOT EXISTS "svc_events""#),
        "{base}"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = ok(&sub, &["generate"]);
    assert!(stderr(&again).contains(", 0 changed"), "{}", stderr(&again));
    assert_eq!(files(&dir), written);
    ok(&sub, &["generate", "--check"]);
}

#[test]
fn a_new_event_gets_a_later_timestamped_migration() {
    let dir = project("timestamp-next", "[migrations]\nnaming = \"timestamp\"\n");
    ok(&dir, &["generate"]);
    let before = files(&dir.join("migrations/sqlite"));
    let definitions = dir.join("definitions/events.toml");
    let mut text = std::fs::read_to_string(&definitions).expect("definitions");
    text.push_str("\n[events.\"account:deleted\"]\ndescription = \"An account was deleted.\"\n");
    std::fs::write(&definitions, text).expect("write");
    ok(&dir, &["generate"]);
    let after = files(&dir.join("migrations/sqlite"));
    assert_eq!(after.len(), before.len() + 1, "{after:#?}");
    assert!(after.starts_with(&before), "earlier files kept: {after:#?}");
    assert!(after.last().unwrap() > before.last().unwrap());
}

#[test]
fn an_unknown_key_is_located_with_a_suggestion() {
    let dir = project(
        "unknown-key",
        "schemas = \"s\"\n\n[migrations]\nnamig = \"timestamp\"\n",
    );
    let output = eventgen(&dir, &["check"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("unknown key `namig` in `[migrations]`"),
        "{text}"
    );
    assert!(text.contains("eventgen.toml:4:1"), "{text}");
    assert!(text.contains("did you mean `naming`?"), "{text}");
}

#[test]
fn wrong_values_are_located() {
    for (name, config, expected) in [
        (
            "bad-naming",
            "[migrations]\nnaming = \"random\"\n",
            "eventgen.toml:2:10",
        ),
        (
            "bad-table",
            "[migrations]\ntable = \"drop table\"\n",
            "`drop table` is not a migrations table",
        ),
        (
            "bad-prefix",
            "[tables]\nprefix = \"my-app\"\n",
            "eventgen.toml:2:10",
        ),
        (
            "bad-schema",
            "[tables]\nschema = \"1st\"\n",
            "`1st` is not a schema",
        ),
        ("empty-path", "schemas = \"\"\n", "`schemas` is empty"),
        ("bad-syntax", "schemas = \n", "eventgen.toml:1"),
    ] {
        let dir = project(name, config);
        let output = eventgen(&dir, &["generate"]);
        assert_eq!(output.status.code(), Some(2), "{name}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(expected),
            "{name}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn the_command_line_overrides_the_file() {
    let dir = project(
        "override",
        "definitions = [\"nowhere\"]\nschemas = \"public\"\n",
    );
    ok(&dir, &["check", "definitions"]);
    ok(&dir, &["generate", "--definitions", "definitions"]);
    assert!(
        dir.join("public/index.json").is_file(),
        "the file's other keys still apply"
    );
    let other = dir.join("other.toml");
    std::fs::write(&other, "schemas = \"elsewhere\"\n").expect("write");
    ok(
        &dir,
        &[
            "--config",
            "other.toml",
            "generate",
            "--definitions",
            "definitions",
        ],
    );
    assert!(dir.join("elsewhere/index.json").is_file());
    let missing = eventgen(&dir, &["--config", "missing.toml", "check"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read `missing.toml`"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn diff_reads_the_lock_the_file_places() {
    let dir = project("diff-lock", "lock = \"state/events.lock\"\n");
    let before = eventgen(&dir, &["diff"]);
    let text = String::from_utf8_lossy(&before.stdout).into_owned() + &stderr(&before);
    assert!(text.contains("state/events.lock (absent"), "{text}");
    ok(&dir, &["generate"]);
    let after = ok(&dir, &["diff"]);
    let text = String::from_utf8_lossy(&after.stdout).into_owned() + &stderr(&after);
    assert!(!text.contains("absent"), "{text}");
    assert!(!dir.join("definitions/eventgen.lock").exists());
}
