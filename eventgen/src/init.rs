//! `eventgen init`: a project's configuration and a starter definitions file, and the
//! lines a crate adds to use them. Never overwrites anything.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use event_codegen::config::FILE_NAME;

use super::USAGE_OR_IO;

/// Where the starter definitions go, relative to the project's root.
const DEFINITIONS_FILE: &str = "definitions/events.toml";

/// `eventgen.toml` with every key commented out at its default.
const CONFIG: &str = r#"# The eventgen project configuration. Every key is optional: each one below is commented
# out at its default. Paths are relative to this file's directory. `eventgen` finds this
# file from the current directory up; a build script's `event_codegen::Builder`, from the
# crate's directory up.

# Definition files or directories (every `*.toml` directly inside).
# definitions = ["definitions"]

# The lock: what the migrations hold and which schemas were published. Commit it.
# Default: `eventgen.lock` in the first definitions directory.
# lock = "definitions/eventgen.lock"

# The JSON Schemas for client teams.
# schemas = "schemas"

[migrations]
# One directory per database, as `sqlx::migrate!` reads them.
# sqlite = "migrations/sqlite"
# postgres = "migrations/postgres"
# "sequential" (0001_name.sql) or "timestamp" (20240101000000_name.sql, the time a
# migration is first generated, recorded in the lock so it never changes).
# naming = "sequential"
# The table these migrations record themselves in (`Store::migrate` sets it on the
# `Migrator`): not your own migrations' `_sqlx_migrations`. `name` or `schema.name`.
# table = "_eventgen_migrations"

[tables]
# Put before every table and index name of the runtime (`eventgen_events`,
# `eventgen_deliveries`, ...), so that they never meet your own tables. May be empty.
# prefix = "eventgen_"
# PostgreSQL only: a schema for them (created when missing). Default: none.
# schema = "eventgen"

[docs]
# markdown = "docs/events.md"
# html = "docs/catalog.html"

[clients]
# Directories of the generated types: `events.ts` and `events.py`.
# typescript = "clients/typescript"
# python = "clients/python"

[rust]
# Attributes a build script's `Builder` adds to the generated Rust module, before its own
# `type_attribute`/`field_attribute` calls. `path` is "." (every type or field), a
# definition's name ("account", "account:created"), or for fields "<definition>.<field>":
# [{ path = "account", attribute = '#[derive(Default)]' }].
# type_attributes = []
# field_attributes = []
# Events and layers implement serde's `Serialize`/`Deserialize` as their notification
# payloads, and `Event` reads any stored event's (for a service receiving webhooks).
# serde = false
"#;

/// One layer and one event, every line explained.
const DEFINITIONS: &str = r#"#:schema ./definitions.schema.json

# Event definitions: `eventgen check` checks them, `eventgen generate` writes the
# migrations, JSON Schemas and docs from them, and a build script's
# `event_codegen::Builder` generates the Rust module. The format is in the eventgen
# repository's `docs/definitions-format.md`.

# The catalog's identity; exactly one file of a catalog has it.
[catalog]
name = "app"
description = "Events of the app."

# A layer is one level of the hierarchy: every event under it (`account:...`) carries its
# fields, nested under `account` in the payloads.
[layers.account]
description = "A user account."
# `scope = true`: webhook subscriptions may filter on it.
fields.uuid = { type = "uuid", scope = true, description = "UUID of the account." }
# `sensitive = true`: never sent to analytics as it is (hashed with your key).
fields.email = { type = "string", sensitive = true, description = "E-mail address of the account." }

# An event: its type names its layer (`account`) and what happened (`created`).
[events."account:created"]
description = "An account was created."
fields.plan = { type = "string", description = "The plan the account started on." }
"#;

/// What to add to the crate, printed after the files are written.
const NEXT_STEPS: &str = r#"
Add to Cargo.toml:

    [dependencies]
    event-runtime = "{version}"
    # A database: "sqlite" (the system's library), "sqlite-bundled" or "postgres";
    # "http" (on by default) sends webhooks and analytics.
    event-outbox = { version = "{version}", features = ["sqlite-bundled"] }
    # `sqlx::migrate!` needs "macros" and "migrate"; the database's feature, for transactions
    # of your own ("sqlite-bundled" here, or "postgres").
    sqlx = { version = "0.9", default-features = false, features = ["macros", "migrate", "sqlite-bundled"] }

    [build-dependencies]
    event-codegen = "{version}"

Add build.rs (it reads eventgen.toml, and fails with the diagnostics of `eventgen check`):

    fn main() -> Result<(), event_codegen::BuildError> {
        event_codegen::Builder::new().generate()?;
        Ok(())
    }

And in src/lib.rs:

    pub mod events {
        include!(concat!(env!("OUT_DIR"), "/events.rs"));
    }

Then: `eventgen check`, and `eventgen generate` for the migrations, schemas and docs.
Open the store with the module's table names and apply the generated migrations beside
your own (each set records itself in a table of its own):

    let store = Store::connect_with(url, StoreConfig::default().tables(events::TABLES)).await?;
    store.migrate(&sqlx::migrate!("migrations/sqlite")).await?;
"#;

/// Writes the configuration and the starter definitions into `root`, or nothing (exit 2)
/// when one of them exists.
pub(crate) fn run(root: &Path) -> ExitCode {
    let files = [
        (root.join(FILE_NAME), CONFIG),
        (root.join(DEFINITIONS_FILE), DEFINITIONS),
    ];
    let existing: Vec<&PathBuf> = files
        .iter()
        .map(|(path, _)| path)
        .filter(|path| path.exists())
        .collect();
    if !existing.is_empty() {
        for path in &existing {
            eprintln!("error: `{}` already exists", display(path));
        }
        eprintln!(
            "eventgen init writes nothing when a file it would write exists: move or remove it, or edit it by hand"
        );
        return ExitCode::from(USAGE_OR_IO);
    }
    for (path, contents) in &files {
        if let Err(error) = create(path, contents) {
            eprintln!("error: cannot write `{}`: {error}", display(path));
            return ExitCode::from(USAGE_OR_IO);
        }
        eprintln!("wrote {}", display(path));
    }
    // The crates are released together, at this eventgen's version.
    let steps = NEXT_STEPS.replace("{version}", env!("CARGO_PKG_VERSION"));
    println!("{}", steps.trim_start());
    ExitCode::SUCCESS
}

/// Creates `path` with `contents`, failing rather than replacing a file that appeared since.
fn create(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

/// `path` without the leading `./`.
fn display(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}
