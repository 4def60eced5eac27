//! The project a command works on: its configuration (`--config`, or the nearest
//! `eventgen.toml` from the current directory up) and its definitions, the command line's
//! paths taking precedence over the file's.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use event_codegen::config::FILE_NAME;
use event_codegen::diagnostic::Style;
use event_codegen::generate::Layout;
use event_codegen::lock;
use event_codegen::{Baseline, Config};

use super::USAGE_OR_IO;

pub(crate) struct Project {
    config: Config,
    /// The definition files and directories to read.
    pub(crate) definitions: Vec<PathBuf>,
    /// Whether they come from the command line rather than the configuration.
    pub(crate) definitions_given: bool,
}

impl Project {
    /// The configuration and the definitions; a configuration that cannot be read or is
    /// wrong is reported (exit 2).
    pub(crate) fn open(config: Option<&Path>, definitions: Vec<PathBuf>) -> Result<Self, ExitCode> {
        let loaded = match config.map(Path::to_path_buf).or_else(find_config) {
            Some(path) => Config::load(&path),
            None => Ok(Config::defaults(".")),
        };
        let config = loaded.map_err(|error| {
            let style = Style::detect(std::io::stderr().is_terminal());
            eprint!("{}", error.render(style));
            ExitCode::from(USAGE_OR_IO)
        })?;
        let definitions_given = !definitions.is_empty();
        let definitions = if definitions_given {
            definitions
        } else {
            config.definitions()
        };
        Ok(Self {
            config,
            definitions,
            definitions_given,
        })
    }

    /// What the definitions are checked against: the lock the configuration places, or
    /// the one beside the definitions.
    pub(crate) fn baseline(&self) -> Baseline {
        match self.config.lock() {
            Some(lock) => Baseline::new().lock_at(lock),
            None => Baseline::new(),
        }
    }

    /// The first definitions directory (a file's directory), where the lock goes by default.
    pub(crate) fn definitions_dir(&self) -> PathBuf {
        let Some(first) = self.definitions.first() else {
            return PathBuf::from("definitions");
        };
        if first.is_file() {
            first.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            first.clone()
        }
    }

    /// The lock file: where the configuration places it, or beside the definitions.
    pub(crate) fn lock(&self) -> PathBuf {
        self.config
            .lock()
            .unwrap_or_else(|| self.definitions_dir().join(lock::FILE_NAME))
    }

    /// Where the outputs go, relative to the current directory.
    pub(crate) fn layout(&self) -> Layout {
        self.config.layout(&self.definitions_dir())
    }
}

/// The nearest `eventgen.toml` from the current directory up, as a path relative to it
/// (`../eventgen.toml`), so that messages show short paths.
fn find_config() -> Option<PathBuf> {
    let current = std::env::current_dir().ok()?;
    current
        .ancestors()
        .position(|dir| dir.join(FILE_NAME).is_file())
        .map(|levels| PathBuf::from("../".repeat(levels)).join(FILE_NAME))
}
