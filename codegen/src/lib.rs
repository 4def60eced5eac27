//! Event definitions in, everything a service needs out.
//!
//! The pipeline: front ends ([`front`]) read definitions into the [`ir`]; [`check`]
//! enforces every rule and builds the [`model::Catalog`]; emitters read the catalog.
//! Problems are [`diagnostic::Diagnostic`]s, all collected in one run and rendered with
//! the source they point at.
//!
//! ```no_run
//! let loaded = event_codegen::load(&["definitions"]);
//! eprint!("{}", loaded.render(event_codegen::diagnostic::Style::Plain));
//! let catalog = loaded.catalog.expect("valid definitions");
//! println!("{} events", catalog.events.len());
//! ```

mod builder;
pub mod catalog_view;
pub mod check;
pub mod diagnostic;
pub mod format_schema;
pub mod front;
pub mod generate;
pub mod ir;
pub mod lock;
pub mod model;
pub mod naming;
pub mod shape;
pub mod source;
pub mod synthetic;

use std::path::{Path, PathBuf};

pub use builder::{BuildError, Builder};
use diagnostic::{Diagnostic, Diagnostics, Rule, Style};
use ir::Definitions;
use model::Catalog;
use source::{Origin, SourceMap};

/// The outcome of loading and checking definitions.
#[derive(Debug)]
pub struct Loaded {
    /// Every file read, for rendering diagnostics.
    pub sources: SourceMap,
    /// Every problem found, errors and warnings.
    pub diagnostics: Diagnostics,
    /// The checked catalog, when there was no error.
    pub catalog: Option<Catalog>,
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
/// inside, in name order).
pub fn load<P: AsRef<Path>>(paths: &[P]) -> Loaded {
    let mut sources = SourceMap::new();
    let mut diagnostics = Diagnostics::new();
    let mut encoding_errors = Vec::new();
    for path in definition_files(paths, &mut diagnostics) {
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
    let mut loaded = check_sources(sources, diagnostics, &unreadable);
    if loaded.sources.files().next().is_none() && !loaded.has_io_errors() {
        loaded.diagnostics.push(
            Diagnostic::error(Rule::Io, "no definition files found")
                .help("pass definition files or a directory holding `*.toml` definition files"),
        );
        loaded.catalog = None;
    }
    loaded
}

/// Checks definitions already in memory (one source per file).
pub fn load_sources(sources: SourceMap) -> Loaded {
    check_sources(sources, Diagnostics::new(), &[])
}

/// Checks one definitions file held in memory; `name` is the path diagnostics show.
pub fn load_str(name: impl Into<PathBuf>, text: impl Into<std::sync::Arc<str>>) -> Loaded {
    let mut sources = SourceMap::new();
    sources.add(name, text);
    load_sources(sources)
}

fn check_sources(
    sources: SourceMap,
    mut diagnostics: Diagnostics,
    skip: &[source::FileId],
) -> Loaded {
    let mut definitions = Definitions::default();
    for (file, source) in sources.files() {
        if !skip.contains(&file) {
            definitions.merge(front::toml::parse(file, &source.text, &mut diagnostics));
        }
    }
    // A file that cannot be read, is not UTF-8 or is not TOML contributes nothing, so
    // checking the rest would only report what that file defines as missing.
    let unparsable = diagnostics
        .iter()
        .any(|d| matches!(d.rule, Rule::Io | Rule::TomlSyntax | Rule::Encoding));
    let catalog = if unparsable {
        None
    } else {
        check::check(&definitions, &mut diagnostics)
    };
    Loaded {
        sources,
        diagnostics,
        catalog,
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
