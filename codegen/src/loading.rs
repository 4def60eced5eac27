//! Loading definitions: reading the files (TOML, and Rust sources with derive items),
//! running the front ends and the checker, and comparing the catalog with the lock.

use std::path::{Path, PathBuf};

use crate::check;
use crate::date::Date;
use crate::diagnostic::{self, Diagnostic, Diagnostics, Rule, Style};
use crate::front;
use crate::ir::Definitions;
use crate::lock::{self, Lock, LockError};
use crate::model::Catalog;
use crate::source::{self, Origin, SourceMap};

/// The outcome of loading and checking definitions.
#[derive(Debug)]
pub struct Loaded {
    /// Every file read, for rendering diagnostics.
    pub sources: SourceMap,
    /// Every problem found, errors and warnings.
    pub diagnostics: Diagnostics,
    /// The checked catalog, when there was no error.
    pub catalog: Option<Catalog>,
    /// The lock the catalog was compared with, if there is one.
    pub lock: Option<Lock>,
    /// The path of the lock beside the definitions, whether or not it exists (`None` for
    /// definitions held in memory, or a lock given by the caller).
    pub lock_path: Option<PathBuf>,
}

impl Loaded {
    /// The diagnostics, rendered with their source snippets.
    pub fn render(&self, style: Style) -> String {
        diagnostic::render(&self.diagnostics, &self.sources, style)
    }

    /// Whether a file could not be read at all (as opposed to bad definitions).
    pub fn has_io_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.rule == Rule::Io)
    }
}

/// Reads and checks definitions from files and directories (every `*.toml` directly
/// inside, in name order), against the lock beside them and today's date: see
/// [`Baseline`].
pub fn load<P: AsRef<Path>>(paths: &[P]) -> Loaded {
    Baseline::new().load(paths)
}

/// Checks definitions already in memory (one source per file). There is no lock beside
/// them: only the definitions' own rules apply (sunsets as of today).
pub fn load_sources(sources: SourceMap) -> Loaded {
    Baseline::new().load_sources(sources)
}

/// Checks one definitions file held in memory; `name` is the path diagnostics show.
pub fn load_str(name: impl Into<PathBuf>, text: impl Into<std::sync::Arc<str>>) -> Loaded {
    Baseline::new().load_str(name, text)
}

/// What definitions are checked against besides their own rules: the lock of the last
/// `eventgen generate` (a breaking change needs a version bump, a privacy-relevant change
/// a review, an event a deprecation before it goes) and the day deprecated events' sunsets
/// are compared with.
///
/// By default the lock is `eventgen.lock` beside the definitions (in the first directory
/// given, or beside the first file), and the day is today (UTC).
///
/// ```
/// use event_codegen::{Baseline, date::Date, lock::Lock};
///
/// let text = "[catalog]\nname = \"demo\"\n";
/// let day: Date = "2031-01-01".parse().unwrap();
/// let loaded = Baseline::new().lock(Lock::new()).today(day).load_str("demo.toml", text);
/// assert!(loaded.catalog.is_some());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    lock: LockChoice,
    today: Option<Date>,
    rust_sources: Vec<PathBuf>,
}

#[derive(Debug, Clone, Default)]
enum LockChoice {
    /// `eventgen.lock` beside the definitions files (none for definitions in memory).
    #[default]
    BesideDefinitions,
    /// This lock.
    Given(Box<Lock>),
    /// The lock file at this path (a project's configuration places it).
    At(PathBuf),
    /// No lock: only the definitions' own rules.
    Without,
}

impl Baseline {
    /// The lock beside the definitions, and today.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compares with `lock` instead of the lock beside the definitions.
    #[must_use]
    pub fn lock(mut self, lock: Lock) -> Self {
        self.lock = LockChoice::Given(Box::new(lock));
        self
    }

    /// Compares with the lock file at `path` (which need not exist yet) instead of the
    /// one beside the definitions.
    #[must_use]
    pub fn lock_at(mut self, path: impl Into<PathBuf>) -> Self {
        self.lock = LockChoice::At(path.into());
        self
    }

    /// Compares with no lock: only the definitions' own rules apply.
    #[must_use]
    pub fn without_lock(mut self) -> Self {
        self.lock = LockChoice::Without;
        self
    }

    /// Checks sunsets as of `today` instead of the system clock's day.
    #[must_use]
    pub fn today(mut self, today: Date) -> Self {
        self.today = Some(today);
        self
    }

    /// Also reads the items deriving the `event-macros` derives in these Rust files and
    /// directories (searched recursively), into the same catalog.
    #[must_use]
    pub fn rust_sources<P: AsRef<Path>>(mut self, paths: &[P]) -> Self {
        self.rust_sources
            .extend(paths.iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// Reads and checks definitions from files and directories, like [`load`].
    pub fn load<P: AsRef<Path>>(&self, paths: &[P]) -> Loaded {
        let lock_path = paths.first().map(|first| {
            let first = first.as_ref();
            let dir = if first.is_dir() {
                first
            } else {
                first.parent().unwrap_or(Path::new(""))
            };
            dir.join(lock::FILE_NAME)
        });
        let lock_path = match &self.lock {
            LockChoice::At(path) => Some(path.clone()),
            _ => lock_path,
        };
        let (sources, diagnostics, unreadable) = read_files(paths, &self.rust_sources);
        let mut loaded = self.check(sources, diagnostics, &unreadable, lock_path.as_deref());
        if let LockChoice::BesideDefinitions | LockChoice::At(_) = self.lock {
            loaded.lock_path = lock_path;
        }
        if loaded.sources.files().next().is_none() && !loaded.has_io_errors() {
            loaded.diagnostics.push(
                Diagnostic::error(Rule::Io, "no definition files found")
                    .help("pass definition files or a directory holding `*.toml` definition files"),
            );
            loaded.catalog = None;
        }
        loaded
    }

    /// Checks definitions already in memory, like [`load_sources`].
    pub fn load_sources(&self, sources: SourceMap) -> Loaded {
        self.check(sources, Diagnostics::new(), &[], None)
    }

    /// Checks one definitions file held in memory, like [`load_str`].
    pub fn load_str(
        &self,
        name: impl Into<PathBuf>,
        text: impl Into<std::sync::Arc<str>>,
    ) -> Loaded {
        let mut sources = SourceMap::new();
        sources.add(name, text);
        self.load_sources(sources)
    }

    fn check(
        &self,
        sources: SourceMap,
        diagnostics: Diagnostics,
        skip: &[source::FileId],
        lock_path: Option<&Path>,
    ) -> Loaded {
        let (lock, lock_error) = match (&self.lock, lock_path) {
            (LockChoice::Given(lock), _) => (Some((**lock).clone()), None),
            (LockChoice::BesideDefinitions | LockChoice::At(_), Some(path)) => {
                match Lock::read(path) {
                    Ok(lock) => (lock, None),
                    Err(error) => (None, Some(error)),
                }
            }
            _ => (None, None),
        };
        let today = self.today.unwrap_or_else(Date::today);
        let mut loaded = check_sources(sources, diagnostics, skip, today);
        if let Some(error) = lock_error {
            // After the check: a lock shown as a snippet joins the sources, not the definitions.
            let diagnostic = lock_diagnostic(&error, &mut loaded.sources);
            loaded.diagnostics.push(diagnostic);
            loaded.catalog = None;
        }
        if let (Some(catalog), Some(lock)) = (&loaded.catalog, &lock) {
            let gate = check::evolution::gate(catalog, lock);
            if gate.is_blocking() {
                loaded.diagnostics.extend(gate.diagnostics);
                loaded.catalog = None;
            }
        }
        loaded.lock = lock;
        loaded
    }
}

fn lock_diagnostic(error: &LockError, sources: &mut SourceMap) -> Diagnostic {
    match error {
        LockError::Io { .. } => Diagnostic::error(Rule::Io, error.to_string())
            .help("check that the lock file is readable"),
        LockError::Parse {
            path,
            line,
            column,
            message,
        } => {
            let help = "the lock is generated: restore it from version control (`git checkout -- <lock>`) and run `eventgen generate`";
            // Shown as a snippet of the lock when it can be read again, so the place is a
            // label (file:line:column) rather than part of the wrapped message.
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    let offset = source::Lines::new(&text).offset(&text, *line, *column);
                    let file = sources.add(path.clone(), text);
                    let origin = source::Origin {
                        file,
                        span: offset..offset,
                    };
                    Diagnostic::error(Rule::Lock, format!("invalid lock file: {message}"))
                        .label(&origin, "here")
                        .help(help)
                }
                Err(_) => Diagnostic::error(Rule::Lock, error.to_string()).help(help),
            }
        }
        LockError::Format { .. } => Diagnostic::error(Rule::Lock, error.to_string())
            .help("use the eventgen that wrote the lock, or a newer one"),
    }
}

/// Reads every definitions file (and Rust source); unreadable and non-UTF-8 files are reported.
fn read_files<P: AsRef<Path>>(
    paths: &[P],
    rust_sources: &[PathBuf],
) -> (SourceMap, Diagnostics, Vec<source::FileId>) {
    let mut sources = SourceMap::new();
    let mut diagnostics = Diagnostics::new();
    let mut encoding_errors = Vec::new();
    let mut files = definition_files(paths, &mut diagnostics);
    files.extend(front::rust::source_files(rust_sources, &mut diagnostics));
    for path in files {
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    sources.add(path, text);
                }
                Err(error) => {
                    let offset = error.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                    let file = sources.add(path, text);
                    encoding_errors.push(
                        Diagnostic::error(Rule::Encoding, "the file is not valid UTF-8")
                            .label(
                                &Origin {
                                    file,
                                    span: offset..offset + 1,
                                },
                                "invalid byte",
                            )
                            .help("save the file as UTF-8"),
                    );
                }
            },
            Err(error) => diagnostics.push(
                Diagnostic::error(
                    Rule::Io,
                    format!("cannot read `{}`: {error}", path.display()),
                )
                .help("check that the path exists and is readable"),
            ),
        }
    }
    let unreadable: Vec<_> = encoding_errors
        .iter()
        .filter_map(|d| d.primary().map(|o| o.file))
        .collect();
    diagnostics.extend(encoding_errors);
    (sources, diagnostics, unreadable)
}

fn check_sources(
    sources: SourceMap,
    mut diagnostics: Diagnostics,
    skip: &[source::FileId],
    today: Date,
) -> Loaded {
    let mut definitions = Definitions::default();
    for (file, source) in sources.files() {
        if skip.contains(&file) {
            continue;
        }
        // The front end follows the file: Rust sources hold derive items, the rest is TOML.
        let parsed = if source.path.extension().is_some_and(|e| e == "rs") {
            front::rust::parse(file, &source.text, &mut diagnostics)
        } else {
            front::toml::parse(file, &source.text, &mut diagnostics)
        };
        definitions.merge(parsed);
    }
    // A file that cannot be read, is not UTF-8 or does not parse contributes nothing, so
    // checking the rest would only report what that file defines as missing.
    let unparsable = diagnostics.iter().any(|d| {
        matches!(
            d.rule,
            Rule::Io | Rule::TomlSyntax | Rule::RustSyntax | Rule::Encoding
        )
    });
    let catalog = if unparsable {
        None
    } else {
        check::check_on(&definitions, &mut diagnostics, today)
    };
    // A lock that could not be read leaves the catalog unchecked against it.
    let catalog = catalog.filter(|_| !diagnostics.has_errors());
    Loaded {
        sources,
        diagnostics,
        catalog,
        lock: None,
        lock_path: None,
    }
}

fn definition_files<P: AsRef<Path>>(paths: &[P], diagnostics: &mut Diagnostics) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        let path = path.as_ref();
        if !path.is_dir() {
            files.push(path.to_path_buf());
            continue;
        }
        match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut found: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
                    .collect();
                found.sort();
                files.extend(found);
            }
            Err(error) => diagnostics.push(
                Diagnostic::error(
                    Rule::Io,
                    format!("cannot read directory `{}`: {error}", path.display()),
                )
                .help("check that the directory exists and is readable"),
            ),
        }
    }
    files
}
