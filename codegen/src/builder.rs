//! Generating the Rust module from a build script.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), event_codegen::BuildError> {
//!     event_codegen::Builder::new().definitions("definitions").generate()?;
//!     Ok(())
//! }
//! ```
//!
//! ```text
//! // src/lib.rs
//! pub mod events {
//!     include!(concat!(env!("OUT_DIR"), "/events.rs"));
//! }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::Baseline;
use crate::config::Config;
use crate::diagnostic::Style;
use crate::generate::{rust, write_if_changed};

/// Why a build script could not generate the module.
#[derive(thiserror::Error)]
pub enum BuildError {
    /// The definitions have errors; the text is the rendered diagnostics, as the CLI prints them.
    #[error("invalid event definitions:\n{0}")]
    Definitions(String),
    /// No output directory: `OUT_DIR` is unset outside build scripts.
    #[error("no output directory: call `out_dir`, or run from a build script (which sets OUT_DIR)")]
    NoOutDir,
    /// The project configuration (`eventgen.toml`) cannot be read or is wrong; the text is
    /// its rendered diagnostics.
    #[error("invalid project configuration:\n{0}")]
    Config(String),
    /// An attribute given to `type_attribute` or `field_attribute` is not Rust attributes
    /// (those of `eventgen.toml` are [`BuildError::Config`]).
    #[error("{0}")]
    Attribute(String),
    /// The module could not be written.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

// A build script that returns `Err` prints it with `Debug`: show the diagnostics as they are.
impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Generates the Rust module of a catalog into `OUT_DIR` (or another directory).
#[derive(Debug, Clone, Default)]
pub struct Builder {
    definitions: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    file_name: Option<String>,
    emit_cargo_directives: bool,
    rust: rust::Options,
    serde: Option<bool>,
    config: Option<PathBuf>,
}

impl Builder {
    /// A builder that prints `cargo:` directives (for build scripts).
    pub fn new() -> Self {
        Self {
            emit_cargo_directives: true,
            ..Self::default()
        }
    }

    /// Adds a definitions file or directory (every `*.toml` directly inside). May be
    /// called several times; relative paths are relative to the package (build scripts run
    /// there).
    #[must_use]
    pub fn definitions(mut self, path: impl AsRef<Path>) -> Self {
        self.definitions.push(path.as_ref().to_path_buf());
        self
    }

    /// Reads the project configuration from `path` instead of the nearest `eventgen.toml`
    /// in the package's directory (`CARGO_MANIFEST_DIR`) or above. Definitions given with
    /// [`Builder::definitions`] take precedence over the file's.
    #[must_use]
    pub fn config(mut self, path: impl AsRef<Path>) -> Self {
        self.config = Some(path.as_ref().to_path_buf());
        self
    }

    /// Writes into `dir` instead of `OUT_DIR`.
    #[must_use]
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Names the generated file (default `events.rs`).
    #[must_use]
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Adds attributes to the generated types `path` selects, as prost-build's
    /// `type_attribute`: `"."` for every event, layer, named type and enum, or one
    /// definition by name (`"project"`, `"job-status"`, `"project:created"`). `attribute`
    /// is Rust source: `"#[derive(Hash)]"`, `"#[serde(rename_all = \"camelCase\")]"`.
    #[must_use]
    pub fn type_attribute(mut self, path: impl Into<String>, attribute: impl Into<String>) -> Self {
        self.rust.type_attribute(path, attribute);
        self
    }

    /// Adds attributes to the generated fields `path` selects: `"."` for every field,
    /// a definition's name for all of its fields, or `"<definition>.<field>"`
    /// (`"project.name"`, `"project:created.uuid"`).
    #[must_use]
    pub fn field_attribute(
        mut self,
        path: impl Into<String>,
        attribute: impl Into<String>,
    ) -> Self {
        self.rust.field_attribute(path, attribute);
        self
    }

    /// Whether events and layers implement serde's `Serialize` and `Deserialize` as their
    /// notification payloads (default: off, or `serde` of `[rust]` in `eventgen.toml`),
    /// for a service that receives webhooks: `serde_json::to_value(&event)` is the event's
    /// `to_notification_payload()`, reading it gives the event back, `Event` reads the
    /// payload of any stored event by its `type`, and
    /// `event_runtime::notification::WebhookDelivery<Event>` a webhook's whole body. An
    /// event or layer holding a telemetry-only field (`notification = false`) only
    /// serializes: its payload leaves that field out. Enums and named types derive both
    /// traits either way.
    #[must_use]
    pub fn serde(mut self, on: bool) -> Self {
        self.serde = Some(on);
        self
    }

    /// Whether to print `cargo:rerun-if-changed` and `cargo:warning` lines (default: on).
    #[must_use]
    pub fn cargo_directives(mut self, on: bool) -> Self {
        self.emit_cargo_directives = on;
        self
    }

    /// Checks the definitions and writes the module (only when its content changed, so
    /// an unchanged catalog does not rebuild the crate). Returns the file's path.
    ///
    /// The check is `eventgen check`'s: against the `eventgen.lock` beside the definitions
    /// (a breaking change needs a version bump, a privacy-relevant one a review) and
    /// today's date (a deprecated event past its sunset fails the build).
    pub fn generate(self) -> Result<PathBuf, BuildError> {
        self.rust.check().map_err(BuildError::Attribute)?;
        let config = self.project_config()?;
        let definitions = match (self.definitions.is_empty(), &config) {
            (false, _) => self.definitions,
            (true, Some(config)) => config.definitions(),
            (true, None) => vec![PathBuf::from("definitions")],
        };
        let baseline = match config.as_ref().and_then(Config::lock) {
            Some(lock) => Baseline::new().lock_at(lock),
            None => Baseline::new(),
        };
        let loaded = baseline.load(&definitions);
        if self.emit_cargo_directives {
            if let Some(path) = config.as_ref().and_then(Config::path) {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            for path in &definitions {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            for (_, file) in loaded.sources.files() {
                println!("cargo:rerun-if-changed={}", file.path.display());
            }
            // The lock is a baseline of the check (version bumps, privacy reviews).
            if let Some(lock) = loaded.lock_path.as_ref().filter(|p| p.exists()) {
                println!("cargo:rerun-if-changed={}", lock.display());
            }
        }
        // The file's hooks first, then the calls of the build script.
        let mut options = config
            .as_ref()
            .map(Config::rust_options)
            .unwrap_or_default();
        options.extend(self.rust);
        if let Some(on) = self.serde {
            options.set_serde(on);
        }
        let Some(catalog) = &loaded.catalog else {
            return Err(BuildError::Definitions(loaded.render(Style::Plain)));
        };
        if self.emit_cargo_directives && !loaded.diagnostics.is_empty() {
            for line in loaded
                .render(Style::Plain)
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                println!("cargo:warning={line}");
            }
        }
        let out_dir = match self.out_dir {
            Some(dir) => dir,
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        // The module and, beside it, a file per family of layers and events that it
        // includes: adding an event rewrites one family's file, and the compiler keeps
        // what it knows of the others.
        let file_name = self.file_name.as_deref().unwrap_or(rust::FILE_NAME);
        for (file, text) in rust::module_files(catalog, &options, file_name) {
            let path = out_dir.join(&file);
            write_if_changed(&path, &text).map_err(|source| BuildError::Write { path, source })?;
        }
        Ok(out_dir.join(file_name))
    }

    /// The configuration given, or the nearest `eventgen.toml` from the package up
    /// (`None`: no file, today's layout).
    fn project_config(&self) -> Result<Option<Config>, BuildError> {
        let path = match &self.config {
            Some(path) => Some(path.clone()),
            None => {
                std::env::var_os("CARGO_MANIFEST_DIR").and_then(|dir| Config::find(Path::new(&dir)))
            }
        };
        path.map(|path| Config::load(&path))
            .transpose()
            .map_err(|error| BuildError::Config(error.render(Style::Plain)))
    }
}
