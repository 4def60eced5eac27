//! The project configuration, `eventgen.toml` at a project's root: where the definitions
//! are and where every output goes. Every key is optional; the defaults are the layout
//! `eventgen generate` uses without the file. Paths are relative to the file's directory.
//!
//! ```toml
//! definitions = ["definitions"]
//!
//! [migrations]
//! sqlite = "db/migrations/sqlite"
//! naming = "timestamp"
//! ```
//!
//! The keys are the serde types below, which also give the file's JSON Schema
//! ([`schema`]); unknown keys are found by comparing the
//! TOML tree with their field names, like the definitions front end does.

use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{self, Diagnostic, Diagnostics, Rule, Style};
use crate::format_schema;
use crate::front::toml::serde_fields;
use crate::generate::{Layout, MigrationNaming, rust};
use crate::naming;
use crate::source::{FileId, Origin, SourceMap};
use event_runtime::schema::{InvalidTables, Tables};

/// The configuration file's name.
pub const FILE_NAME: &str = "eventgen.toml";

/// Where the repository commits the schema of `eventgen.toml` ([`schema`]), relative to
/// the root.
pub const SCHEMA_COMMITTED_PATH: &str = "docs/eventgen.toml.schema.json";

/// The JSON Schema of `eventgen.toml` (draft 2020-12), with every key's default, for
/// editors.
pub fn schema() -> String {
    let settings = SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(format_schema::NoNullDefault));
    format_schema::schema_of::<RawConfig>(settings)
}

pub use event_runtime::schema::{DEFAULT_MIGRATIONS_TABLE, DEFAULT_TABLE_PREFIX};

/// `eventgen.toml`: where the definitions are and where the outputs go.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "eventgen.toml")]
struct RawConfig {
    /// Definition files or directories (every `*.toml` directly inside).
    definitions: Vec<String>,
    /// The lock file. Default: `eventgen.lock` in the first definitions directory.
    lock: Option<String>,
    /// The SQL migrations.
    migrations: RawMigrations,
    /// The directory of the JSON Schemas.
    schemas: String,
    /// The catalog's documentation.
    docs: RawDocs,
    /// The types for client teams: one directory per language.
    clients: RawClients,
    /// The generated Rust module, for build scripts' `Builder`.
    rust: RawRust,
    /// The names of the runtime's tables in the database.
    tables: RawTables,
}

/// `[migrations]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(rename = "Migrations")]
struct RawMigrations {
    /// The directory of the SQLite migrations.
    sqlite: String,
    /// The directory of the PostgreSQL migrations.
    postgres: String,
    /// How new migration files are named: `sequential` (`0001_name.sql`) or `timestamp`
    /// (`20240101000000_name.sql`, the time of the generation that first wrote it,
    /// recorded in the lock).
    naming: RawNaming,
    /// The table these migrations record themselves in (sqlx's
    /// `Migrator::dangerous_set_table_name`, which `Store::migrate` applies): not
    /// `_sqlx_migrations`, so that a service's own sqlx migrations and these never see
    /// each other's versions. `name` or `schema.name`.
    table: String,
}

/// `[tables]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(rename = "Tables")]
struct RawTables {
    /// Put before the name of every table and index of the runtime (`eventgen_events`,
    /// `eventgen_deliveries`, ...), so that they never meet a service's own `events` or
    /// `subscriptions`. ASCII letters, digits and `_`; may be empty.
    prefix: String,
    /// PostgreSQL only: the schema the tables are created in (created when missing).
    /// Default: none, the connection's `search_path`.
    schema: Option<String>,
}

impl Default for RawTables {
    fn default() -> Self {
        Self {
            prefix: DEFAULT_TABLE_PREFIX.to_owned(),
            schema: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "MigrationNaming")]
enum RawNaming {
    /// `0001_name.sql`.
    #[default]
    Sequential,
    /// `20240101000000_name.sql`.
    Timestamp,
}

/// `[docs]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(rename = "Docs")]
struct RawDocs {
    /// The Markdown catalog.
    markdown: String,
    /// The browsable HTML catalog.
    html: String,
}

/// `[clients]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(rename = "Clients")]
struct RawClients {
    /// The directory of the TypeScript types (`events.ts`).
    typescript: String,
    /// The directory of the Python types (`events.py`).
    python: String,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            definitions: vec!["definitions".to_owned()],
            lock: None,
            migrations: RawMigrations::default(),
            schemas: "schemas".to_owned(),
            docs: RawDocs::default(),
            clients: RawClients::default(),
            rust: RawRust::default(),
            tables: RawTables::default(),
        }
    }
}

impl Default for RawMigrations {
    fn default() -> Self {
        Self {
            sqlite: "migrations/sqlite".to_owned(),
            postgres: "migrations/postgres".to_owned(),
            naming: RawNaming::Sequential,
            table: DEFAULT_MIGRATIONS_TABLE.to_owned(),
        }
    }
}

impl Default for RawDocs {
    fn default() -> Self {
        Self {
            markdown: "docs/events.md".to_owned(),
            html: "docs/catalog.html".to_owned(),
        }
    }
}

impl Default for RawClients {
    fn default() -> Self {
        Self {
            typescript: "clients/typescript".to_owned(),
            python: "clients/python".to_owned(),
        }
    }
}

/// `[rust]`: what a build script's `Builder` adds to the generated Rust module, before
/// its own calls.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(rename = "Rust")]
struct RawRust {
    /// Attributes on the generated event, layer, named-type and enum types. `path` is `.`
    /// (every type) or a definition's name (`project`, `job-status`, `project:created`).
    type_attributes: Vec<RawAttribute>,
    /// Attributes on the fields of those types. `path` is `.` (every field), a definition's
    /// name (all of its fields) or `<definition>.<field>` (`step.title`).
    field_attributes: Vec<RawAttribute>,
    /// Events and layers implement serde's `Serialize` and `Deserialize` as their
    /// notification payloads, and `Event` as the payload of any stored event (for webhook
    /// receivers).
    serde: bool,
}

/// One attribute of `[rust]`, as the `Builder`'s `type_attribute(path, attribute)`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RustAttribute")]
struct RawAttribute {
    /// Which declarations get it.
    path: String,
    /// Rust outer attributes, as in source: `#[derive(Hash)]`.
    #[schemars(with = "String")]
    attribute: Spanned<String>,
}

/// A project's configuration, its paths resolved against its root.
#[derive(Debug)]
pub struct Config {
    /// The directory paths are relative to (`.` when it is the current one).
    root: PathBuf,
    /// The file read, if any.
    path: Option<PathBuf>,
    raw: RawConfig,
}

impl Config {
    /// The defaults, paths relative to `root`: the layout without a configuration file.
    pub fn defaults(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            path: None,
            raw: RawConfig::default(),
        }
    }

    /// The nearest `eventgen.toml` in `start` or a directory above it (a relative `start`
    /// is taken from the current directory, so `.` walks up too).
    pub fn find(start: &Path) -> Option<PathBuf> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        start
            .ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|path| path.is_file())
    }

    /// The configuration of the nearest `eventgen.toml` in `start` or above, or the
    /// defaults relative to `start` when there is none.
    pub fn discover(start: &Path) -> Result<Self, ConfigError> {
        match Self::find(start) {
            Some(path) => Self::load(&path),
            None => Ok(Self::defaults(start)),
        }
    }

    /// Reads `path`; its paths are relative to its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let mut sources = SourceMap::new();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                let diagnostic = Diagnostic::error(
                    Rule::Io,
                    format!("cannot read `{}`: {error}", path.display()),
                )
                .help("check that the configuration file exists and is readable (UTF-8)");
                return Err(ConfigError::new(sources, diagnostic));
            }
        };
        let file = sources.add(path, text.as_str());
        let mut diagnostics = Diagnostics::new();
        let raw = parse(file, &text, &mut diagnostics);
        match raw {
            Some(raw) if !diagnostics.has_errors() => Ok(Self {
                root: path.parent().unwrap_or(Path::new("")).to_path_buf(),
                path: Some(path.to_path_buf()),
                raw,
            }),
            _ => Err(ConfigError {
                sources,
                diagnostics,
            }),
        }
    }

    /// The file read (`None` for the defaults).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The directory every path is relative to.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// What the file's `[rust]` adds to the generated Rust module (checked when the file
    /// was read).
    pub fn rust_options(&self) -> rust::Options {
        let raw = &self.raw.rust;
        let mut options = rust::Options::default();
        for RawAttribute { path, attribute } in &raw.type_attributes {
            options.type_attribute(path, attribute.get_ref());
        }
        for RawAttribute { path, attribute } in &raw.field_attributes {
            options.field_attribute(path, attribute.get_ref());
        }
        options.set_serde(raw.serde);
        options.set_tables(self.tables());
        options
    }

    /// The definition files and directories.
    pub fn definitions(&self) -> Vec<PathBuf> {
        self.raw
            .definitions
            .iter()
            .map(|p| self.at_root(p))
            .collect()
    }

    /// The lock, when the file names one (otherwise it is beside the definitions).
    pub fn lock(&self) -> Option<PathBuf> {
        self.raw.lock.as_deref().map(|p| self.at_root(p))
    }

    /// Where the runtime's tables are, and the table the generated migrations record
    /// themselves in. The values were checked when the file was read.
    pub fn tables(&self) -> Tables {
        let raw = &self.raw;
        let tables = Tables::DEFAULT
            .with_prefix(raw.tables.prefix.clone())
            .and_then(|t| t.with_migrations_table(raw.migrations.table.clone()));
        let tables = match &raw.tables.schema {
            Some(schema) => tables.and_then(|t| t.in_schema(schema.clone())),
            None => tables,
        };
        tables.unwrap_or_default()
    }

    /// Where the outputs go, given the definitions directory (the lock and the format's
    /// schema go there unless the file places the lock).
    pub fn layout(&self, definitions_dir: &Path) -> Layout {
        let mut layout = Layout::beside(definitions_dir);
        if let Some(lock) = self.lock() {
            layout.lock = lock;
        }
        let migrations = &self.raw.migrations;
        layout.sqlite_migrations = self.at_root(&migrations.sqlite);
        layout.postgres_migrations = self.at_root(&migrations.postgres);
        layout.migration_naming = match migrations.naming {
            RawNaming::Sequential => MigrationNaming::Sequential,
            RawNaming::Timestamp => MigrationNaming::Timestamp,
        };
        layout.schemas = self.at_root(&self.raw.schemas);
        layout.docs_markdown = self.at_root(&self.raw.docs.markdown);
        layout.docs_html = self.at_root(&self.raw.docs.html);
        layout.typescript = self.at_root(&self.raw.clients.typescript);
        layout.python = self.at_root(&self.raw.clients.python);
        layout.tables = self.tables();
        layout
    }

    /// `path` relative to the root; the root itself is left out when it is `.`, so that
    /// messages show the paths as the user wrote them.
    fn at_root(&self, path: &str) -> PathBuf {
        if self.root == Path::new(".") || self.root.as_os_str().is_empty() {
            PathBuf::from(path)
        } else {
            self.root.join(path)
        }
    }
}

/// Why a configuration file cannot be used: its problems, each located in the file.
#[derive(Debug)]
pub struct ConfigError {
    sources: SourceMap,
    diagnostics: Diagnostics,
}

impl ConfigError {
    fn new(sources: SourceMap, diagnostic: Diagnostic) -> Self {
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(diagnostic);
        Self {
            sources,
            diagnostics,
        }
    }

    /// The problems.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// The problems, rendered with their source snippets.
    pub fn render(&self, style: Style) -> String {
        diagnostic::render(&self.diagnostics, &self.sources, style)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Style::Plain))
    }
}

impl std::error::Error for ConfigError {}

/// The configuration in `text`, or `None` with every problem in `diagnostics`.
fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> Option<RawConfig> {
    let origin = |span: std::ops::Range<usize>| Origin { file, span };
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(error) => {
            diagnostics.push(toml_error(
                &error,
                Rule::TomlSyntax,
                origin,
                "check the TOML syntax at this place",
            ));
            return None;
        }
    };
    let root = root.into_inner();
    unknown_keys(
        &root,
        serde_fields::<RawConfig>(),
        "at the top level",
        &origin,
        diagnostics,
    );
    let sections: [(&str, &[&str]); 5] = [
        ("migrations", serde_fields::<RawMigrations>()),
        ("docs", serde_fields::<RawDocs>()),
        ("clients", serde_fields::<RawClients>()),
        ("tables", serde_fields::<RawTables>()),
        ("rust", serde_fields::<RawRust>()),
    ];
    for (section, known) in sections {
        if let Some(DeValue::Table(table)) = root.get(section).map(|v| v.get_ref()) {
            let place = format!("in `[{section}]`");
            unknown_keys(table, known, &place, &origin, diagnostics);
        }
    }
    if diagnostics.has_errors() {
        return None;
    }
    match toml::from_str::<RawConfig>(text) {
        Ok(raw) => {
            check_values(&raw, &root, &origin, diagnostics);
            check_rust(&raw.rust, &origin, diagnostics);
            Some(raw)
        }
        Err(error) => {
            let help = "fix the value; `eventgen config-schema` describes every key and its type";
            diagnostics.push(toml_error(&error, Rule::InvalidValue, origin, help));
            None
        }
    }
}

/// Reports the keys of `table` that are not among `known`, with the closest known one.
fn unknown_keys(
    table: &DeTable<'_>,
    known: &[&str],
    place: &str,
    origin: &impl Fn(std::ops::Range<usize>) -> Origin,
    diagnostics: &mut Diagnostics,
) {
    for key in table
        .keys()
        .filter(|k| !known.contains(&k.get_ref().as_ref()))
    {
        let name = key.get_ref();
        let suggestion = naming::did_you_mean(name, known.iter().copied());
        let label = if suggestion.is_empty() {
            "unknown key".to_owned()
        } else {
            suggestion.clone()
        };
        let help = format!(
            "{suggestion} The keys allowed here are: {}",
            known.join(", ")
        );
        diagnostics.push(
            Diagnostic::error(Rule::UnknownKey, format!("unknown key `{name}` {place}"))
                .label(&origin(key.span()), label)
                .help(help.trim_start()),
        );
    }
}

/// The rules serde cannot say: no empty path, and names the database takes (the
/// runtime's rules for them, [`Tables`]).
fn check_values(
    raw: &RawConfig,
    root: &DeTable<'_>,
    origin: &impl Fn(std::ops::Range<usize>) -> Origin,
    diagnostics: &mut Diagnostics,
) {
    let names: [(Result<(), InvalidTables>, &[&str]); 3] = [
        (
            Tables::check_migrations_table(&raw.migrations.table),
            &["migrations", "table"],
        ),
        (
            Tables::check_prefix(&raw.tables.prefix),
            &["tables", "prefix"],
        ),
        (
            raw.tables
                .schema
                .as_deref()
                .map_or(Ok(()), Tables::check_schema),
            &["tables", "schema"],
        ),
    ];
    for (error, keys) in names
        .into_iter()
        .filter_map(|(r, keys)| Some((r.err()?, keys)))
    {
        let span = value_span(root, keys).unwrap_or(0..0);
        diagnostics.push(
            Diagnostic::error(
                Rule::InvalidValue,
                format!("`{}` is not a {}", error.value, error.what),
            )
            .label(&origin(span), format!("not a {}", error.what))
            .help(error.problem),
        );
    }
    let mut paths: Vec<(&str, &[&str])> = vec![
        (&raw.schemas, &["schemas"]),
        (&raw.migrations.sqlite, &["migrations", "sqlite"]),
        (&raw.migrations.postgres, &["migrations", "postgres"]),
        (&raw.docs.markdown, &["docs", "markdown"]),
        (&raw.docs.html, &["docs", "html"]),
        (&raw.clients.typescript, &["clients", "typescript"]),
        (&raw.clients.python, &["clients", "python"]),
    ];
    if let Some(lock) = &raw.lock {
        paths.push((lock, &["lock"]));
    }
    for (_, keys) in paths
        .into_iter()
        .filter(|(value, _)| value.trim().is_empty())
    {
        let span = value_span(root, keys).unwrap_or(0..0);
        diagnostics.push(
            Diagnostic::error(Rule::InvalidValue, format!("`{}` is empty", keys.join(".")))
                .label(&origin(span), "empty path")
                .help("give a path relative to the configuration file's directory, or leave the key out for its default"),
        );
    }
}

/// Every attribute of `[rust]` is Rust outer attributes (as the `Builder` checks its own).
fn check_rust(
    rust: &RawRust,
    origin: &impl Fn(std::ops::Range<usize>) -> Origin,
    diagnostics: &mut Diagnostics,
) {
    let all = rust.type_attributes.iter().chain(&rust.field_attributes);
    for RawAttribute { path, attribute } in all {
        if let Err(error) = rust::Options::check_attribute(attribute.get_ref()) {
            diagnostics.push(
                Diagnostic::error(
                    Rule::InvalidValue,
                    format!("the attribute for `{path}` is not Rust attributes: {error}"),
                )
                .label(&origin(attribute.span()), "not `#[...]` attributes")
                .help("write Rust outer attributes as in source, e.g. `attribute = \"#[derive(Hash)]\"` or `attribute = '#[serde(rename = \"name\")]'`; several may follow each other"),
            );
        }
    }
}

/// The span of the value at `keys` (`["migrations", "table"]`).
fn value_span(root: &DeTable<'_>, keys: &[&str]) -> Option<std::ops::Range<usize>> {
    let (last, tables) = keys.split_last()?;
    let mut table = root;
    for key in tables {
        match table.get(*key)?.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => return None,
        }
    }
    table.get(*last).map(Spanned::span)
}

fn toml_error(
    error: &toml::de::Error,
    rule: Rule,
    origin: impl Fn(std::ops::Range<usize>) -> Origin,
    help: &str,
) -> Diagnostic {
    let message = error.message().trim_end().to_owned();
    let mut diagnostic = Diagnostic::error(rule, message).help(help);
    if let Some(span) = error.span() {
        diagnostic = diagnostic.label(&origin(span), "here");
    }
    diagnostic
}
