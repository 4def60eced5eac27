//! `eventgen`: check event definitions, show the catalog, generate from it, and gate its
//! evolution.
//!
//! Exit codes: 0 success (warnings allowed), 1 the definitions have errors (or, for
//! `diff` and `usage --deny-unused`, a blocking change or an unused event), 2 usage or I/O
//! error.

mod catalog_view;
mod diff;
mod init;
mod project;
mod usage;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use catalog_view::CatalogView;
use clap::{Parser, Subcommand, ValueEnum};
use event_codegen::diagnostic::{Diagnostics, Style, render};
use event_codegen::{Loaded, format_schema, generate};
use project::Project;

// Generating a large catalog's Rust module allocates for every token it quotes, parses
// and prints; mimalloc makes that about a third faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Event definitions in, everything a service needs out.
#[derive(Debug, Parser)]
#[command(name = "eventgen", version, about, long_about = None)]
struct Cli {
    /// The project configuration. Default: the nearest `eventgen.toml` in the current
    /// directory or above (none: today's layout, relative to the current directory).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check definitions and report every problem with its place in the source.
    ///
    /// Besides the definitions' own rules, compares them with `eventgen.lock` beside them
    /// (a breaking change needs a version bump, a privacy-relevant change a
    /// `privacy_reviewed`, an event a deprecation before it is removed) and checks sunsets
    /// against today's date.
    ///
    /// Exits 0 when there are no errors (warnings are printed), 1 when there are, and 2
    /// when a file cannot be read.
    Check {
        /// Definition files or directories (every `*.toml` directly inside). Default: the
        /// configuration's `definitions`.
        paths: Vec<PathBuf>,
    },
    /// Print the catalog: the layer hierarchy with each layer's events and their markers.
    Catalog {
        /// Definition files or directories (every `*.toml` directly inside). Default: the
        /// configuration's `definitions`.
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Tree)]
        format: Format,
    },
    /// Generate from the definitions: migrations (append-only, recorded in
    /// `<definitions>/eventgen.lock`), JSON Schemas, the catalog docs and, with
    /// `--rust-out`, the Rust module.
    ///
    /// Outputs go where `eventgen.toml` says, relative to its directory; without it,
    /// relative to the current directory (the repository root).
    Generate {
        /// The definitions directory. Default: the configuration's `definitions`.
        #[arg(long)]
        definitions: Option<PathBuf>,
        /// Also write the Rust module to this file (build scripts use the `Builder` instead).
        #[arg(long)]
        rust_out: Option<PathBuf>,
        /// Also read the definitions declared with the `event-macros` derives in these Rust
        /// files or directories (searched recursively), into the same catalog.
        #[arg(long = "rust-src", value_name = "PATH")]
        rust_sources: Vec<PathBuf>,
        /// Write nothing: list every missing, stale or obsolete output and exit 1 if any.
        #[arg(long)]
        check: bool,
    },
    /// List what changed since a lock, classified as additive, breaking,
    /// privacy-relevant, deprecation or compatible, and which changes are blocking.
    ///
    /// A breaking change blocks until the event's `version` is bumped, a privacy-relevant
    /// one until the field has a new `privacy_reviewed`, a removed event unless it was
    /// deprecated. Changes go to standard output, the diagnostics of blocking ones to
    /// standard error.
    ///
    /// Exits 0 when no change is blocking, 1 when one is (or the definitions have errors),
    /// and 2 when a file, the lock or the git revision cannot be read.
    Diff {
        /// The definitions directory. Default: the configuration's first `definitions`.
        #[arg(long)]
        definitions: Option<PathBuf>,
        /// A lock file, or a git revision (`HEAD`, `origin/main`) whose version of the
        /// project's lock to read. Default: the project's lock (`lock` in `eventgen.toml`,
        /// or beside the definitions).
        #[arg(long, value_name = "LOCK_FILE_OR_GIT_REV")]
        against: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// List the stored events whose `register_<event>_event` function no Rust source uses.
    ///
    /// Sources are parsed whole; calls, functions passed as values, method calls and macro
    /// arguments count, comments, strings and `use` lines do not.
    ///
    /// Exits 0, or 1 with `--deny-unused` when a stored event that is not deprecated is
    /// never registered (or the definitions have errors), and 2 when a source cannot be
    /// read or parsed.
    Usage {
        /// Rust files or directories (searched recursively, skipping `target` and hidden
        /// directories).
        #[arg(long = "src", value_name = "PATH", required = true, num_args = 1..)]
        sources: Vec<PathBuf>,
        /// The definitions directory. Default: the configuration's first `definitions`.
        #[arg(long)]
        definitions: Option<PathBuf>,
        /// Exit 1 when a stored event that is not deprecated is never registered.
        #[arg(long)]
        deny_unused: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Print the sample payload of an event (pretty JSON): its notification payload, with
    /// `--telemetry` its telemetry payload, or with `--request` the body a front end posts
    /// to the relay for a client event.
    ///
    /// The same sample as the event's JSON Schema `examples` and the catalog docs: fields
    /// hold their `example` or a value made up from their type; the telemetry sample is
    /// what the runtime sends for that event, its hashes keyed with the samples' key.
    ///
    /// Exits 1 when the definitions have errors, and 2 for an event type the catalog lacks
    /// (naming the closest one), the notification of an analytics-only event, the request
    /// of an event that is not a client event, or a file that cannot be read.
    Sample {
        /// The event type, e.g. `project:created`.
        #[arg(value_name = "TYPE")]
        event_type: String,
        /// Print the telemetry payload instead of the notification payload.
        #[arg(long, conflicts_with = "request")]
        telemetry: bool,
        /// Print the request body a front end posts to the relay (client events only).
        #[arg(long)]
        request: bool,
        /// The definitions directory. Default: the configuration's `definitions`.
        #[arg(long)]
        definitions: Option<PathBuf>,
    },
    /// Print the JSON Schema of the definitions format (for editors, via `#:schema`).
    DefinitionsSchema {
        /// Write it to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Print the JSON Schema of the project configuration, `eventgen.toml` (for editors).
    ConfigSchema {
        /// Write it to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Start a project here: write `eventgen.toml` (every key with its default) and a
    /// starter definitions file, and print the `Cargo.toml` lines and `build.rs` to add.
    ///
    /// Writes nothing, and exits 2, when any of the files exists.
    Init,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// A text tree.
    Tree,
    /// JSON, with the counts of stored and analytics-only events.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// Text for people.
    Text,
    /// JSON for programs.
    Json,
}

const DEFINITION_ERRORS: u8 = 1;
/// A blocking change (`diff`) or an unused event (`usage --deny-unused`).
const BLOCKING: u8 = 1;
const USAGE_OR_IO: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config.as_deref();
    let open = |definitions: Vec<PathBuf>| Project::open(config, definitions);
    let project = match cli.command {
        Command::Check { paths } => open(paths).map(|p| check(&p)),
        Command::Catalog { paths, format } => open(paths).map(|p| catalog(&p, format)),
        Command::Generate {
            definitions,
            rust_out,
            rust_sources,
            check,
        } => open(definitions.into_iter().collect())
            .map(|p| generate(&p, &rust_sources, rust_out.as_deref(), check)),
        Command::Diff {
            definitions,
            against,
            format,
        } => open(definitions.into_iter().collect())
            .map(|p| diff::run(&p.definitions_dir(), &p.lock(), against.as_deref(), format)),
        Command::Usage {
            sources,
            definitions,
            deny_unused,
            format,
        } => open(definitions.into_iter().collect())
            .map(|p| usage::run(&p.definitions_dir(), &sources, deny_unused, format)),
        Command::Sample {
            event_type,
            telemetry,
            request,
            definitions,
        } => {
            let form = match (telemetry, request) {
                (true, _) => SampleForm::Telemetry,
                (_, true) => SampleForm::Request,
                _ => SampleForm::Notification,
            };
            open(definitions.into_iter().collect()).map(|p| sample(&p, &event_type, form))
        }
        Command::DefinitionsSchema { output } => Ok(print_or_write(
            &format_schema::definitions_schema(),
            output.as_deref(),
        )),
        Command::ConfigSchema { output } => Ok(print_or_write(
            &event_codegen::config::schema(),
            output.as_deref(),
        )),
        Command::Init => Ok(init::run(Path::new("."))),
    };
    project.unwrap_or_else(|code| code)
}

fn check(project: &Project) -> ExitCode {
    let loaded = report(project.baseline().load(&project.definitions));
    match exit_code(&loaded) {
        0 => {
            let catalog = loaded.catalog.as_ref().expect("no errors, so a catalog");
            let events = catalog.events.len();
            let files = loaded.sources.files().count();
            eprintln!("ok: {events} events in {files} file(s)");
            ExitCode::SUCCESS
        }
        code => ExitCode::from(code),
    }
}

fn catalog(project: &Project, format: Format) -> ExitCode {
    let loaded = report(project.baseline().load(&project.definitions));
    let Some(catalog) = &loaded.catalog else {
        return ExitCode::from(exit_code(&loaded));
    };
    let view = CatalogView::new(catalog);
    let text = match format {
        Format::Tree => view.to_tree(),
        Format::Json => view.to_json(),
    };
    print_or_fail(&text)
}

/// Which sample `eventgen sample` prints.
#[derive(Debug, Clone, Copy)]
enum SampleForm {
    Notification,
    Telemetry,
    Request,
}

fn sample(project: &Project, event_type: &str, form: SampleForm) -> ExitCode {
    let loaded = report(project.baseline().load(&project.definitions));
    let Some(catalog) = &loaded.catalog else {
        return ExitCode::from(exit_code(&loaded));
    };
    let event = match generate::sample::event(catalog, event_type) {
        Ok(event) => event,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(USAGE_OR_IO);
        }
    };
    use generate::json_schema::PayloadKind;
    let (sample, missing) = match form {
        SampleForm::Notification => (
            generate::sample::sample(catalog, event, PayloadKind::Notification),
            "is analytics-only: it has no notification payload; add `--telemetry` for its \
             telemetry payload",
        ),
        SampleForm::Telemetry => (
            generate::sample::sample(catalog, event, PayloadKind::Telemetry),
            "has no telemetry payload",
        ),
        SampleForm::Request => (
            generate::sample::request(catalog, event),
            "is not a client event: front ends cannot post it to the relay",
        ),
    };
    let Some(sample) = sample else {
        eprintln!("error: `{event_type}` {missing}");
        return ExitCode::from(USAGE_OR_IO);
    };
    let text = serde_json::to_string_pretty(&sample).expect("a sample serializes");
    print_or_fail(&(text + "\n"))
}

/// Prints `text`, or writes it to `output`.
fn print_or_write(text: &str, output: Option<&Path>) -> ExitCode {
    let Some(path) = output else {
        return print_or_fail(text);
    };
    match std::fs::write(path, text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            ExitCode::from(USAGE_OR_IO)
        }
    }
}

fn generate(
    project: &Project,
    rust_sources: &[PathBuf],
    rust_out: Option<&Path>,
    check: bool,
) -> ExitCode {
    let loaded = project
        .baseline()
        .rust_sources(rust_sources)
        .load(&project.definitions);
    let mut loaded = report(loaded);
    let Some(catalog) = loaded.catalog.take() else {
        return ExitCode::from(exit_code(&loaded));
    };
    let lock = loaded.lock.take();
    let root = Path::new(".");
    let outputs =
        match generate::outputs_in(root, &project.layout(), &catalog, lock.as_ref(), rust_out) {
            Ok(outputs) => outputs,
            Err(problems) => {
                let mut diagnostics = Diagnostics::new();
                diagnostics.extend(problems);
                let style = Style::detect(std::io::stderr().is_terminal());
                eprint!("{}", render(&diagnostics, &loaded.sources, style));
                return ExitCode::from(DEFINITION_ERRORS);
            }
        };
    if check {
        match outputs.stale(root) {
            Ok(stale) if stale.is_empty() => {
                eprintln!("ok: {} generated files are up to date", outputs.files.len());
                ExitCode::SUCCESS
            }
            Ok(stale) => {
                for (path, why) in &stale {
                    eprintln!("{}: {}", why.describe(), path.display());
                }
                if stale.iter().any(|(_, why)| why.is_published()) {
                    eprintln!(
                        "a published file never changes: restore it from version control (`git checkout -- <path>`)"
                    );
                }
                let definitions = match &project.definitions[..] {
                    [given] if project.definitions_given => {
                        format!(" --definitions {}", given.display())
                    }
                    _ => String::new(),
                };
                eprintln!(
                    "{} generated file(s) out of date: run `eventgen generate{definitions}`",
                    stale.len(),
                );
                ExitCode::from(DEFINITION_ERRORS)
            }
            Err(error) => {
                eprintln!("error: cannot compare the generated files: {error}");
                ExitCode::from(USAGE_OR_IO)
            }
        }
    } else {
        match outputs.write(root) {
            Ok(touched) => {
                for path in &touched {
                    eprintln!("wrote {}", path.display());
                }
                eprintln!(
                    "ok: {} generated files, {} changed",
                    outputs.files.len(),
                    touched.len()
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: cannot write the generated files: {error}");
                ExitCode::from(USAGE_OR_IO)
            }
        }
    }
}

/// Prints the diagnostics of `loaded` to standard error.
fn report(loaded: Loaded) -> Loaded {
    if !loaded.diagnostics.is_empty() {
        let style = Style::detect(std::io::stderr().is_terminal());
        eprint!("{}", loaded.render(style));
    }
    loaded
}

fn exit_code(loaded: &Loaded) -> u8 {
    if loaded.has_io_errors() {
        USAGE_OR_IO
    } else if loaded.catalog.is_none() {
        DEFINITION_ERRORS
    } else {
        0
    }
}

fn print_or_fail(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`eventgen catalog | head`) is not an error worth a message.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write the output: {error}");
            ExitCode::from(USAGE_OR_IO)
        }
    }
}
