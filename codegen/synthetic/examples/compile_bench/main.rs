//! How long a consuming crate takes to compile the code generated for a synthetic catalog,
//! on both paths: the TOML definitions through the build script's `Builder`, and the same
//! definitions declared with the `event-macros` derives.
//!
//! For each path and each size it writes a consuming crate in the system's temporary
//! directory (the workspace crates by path), builds its dependencies once in a target
//! directory of its own (kept between runs), then times, in the debug profile:
//!
//! - a clean build of the consuming crate alone (`cargo clean -p` first),
//! - the rebuild after saving the definitions unchanged (the build script or the derives
//!   run again, and the compiler with inputs it has seen: the floor of any rebuild, what
//!   the compiler does over the whole crate however little changed), and
//! - the rebuild after adding one event (to the definitions file, or to one source file).
//!
//! It prints wall and CPU time (user + system of the cargo process tree, as
//! `/usr/bin/time` reports it; wall time only when that is missing): the clean build in
//! seconds and per stored event, each rebuild, and its share of the clean build. CPU time
//! is the steadier figure on a shared machine. Before the builds it prints how long
//! generating the module text takes (the `Builder`'s work, in the release profile).
//!
//! ```text
//! cargo run --release -p synthetic-catalog --example compile_bench -- 1000 5000
//! cargo run --release -p synthetic-catalog --example compile_bench -- --path toml 1000
//! ```
//!
//! Options: `--path toml|derive|both` (default both), `--generation-only`,
//! `--target-dir DIR` (default: `eventgen-compile-bench/target` in the temporary
//! directory; delete it when done, it holds a few GB), `--keep` (keep the crates).

mod derive_source;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use event_codegen::generate::{json_schema, rust};
use event_codegen::model::Catalog;

/// The event added for the rebuild, under the first family's root layer.
const ADDED_TOML: &str = r#"
[events."project-0:bench-added"]
description = "An event added to time the rebuild."
fields.note = { type = "string", optional = true }
fields.count = { type = "int" }
"#;

#[derive(Clone, Copy, PartialEq)]
enum Front {
    Toml,
    Derive,
}

impl Front {
    fn name(self) -> &'static str {
        match self {
            Front::Toml => "toml",
            Front::Derive => "derive",
        }
    }
}

/// Wall and CPU seconds of one command.
#[derive(Clone, Copy)]
struct Times {
    wall: f64,
    cpu: Option<f64>,
}

struct Args {
    sizes: Vec<usize>,
    paths: Vec<Front>,
    generation_only: bool,
    target_dir: PathBuf,
    keep: bool,
}

fn args() -> Args {
    let mut args = Args {
        sizes: Vec::new(),
        paths: vec![Front::Toml, Front::Derive],
        generation_only: false,
        target_dir: std::env::temp_dir().join("eventgen-compile-bench/target"),
        keep: false,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--path" => {
                args.paths = match iter.next().as_deref() {
                    Some("toml") => vec![Front::Toml],
                    Some("derive") => vec![Front::Derive],
                    Some("both") => vec![Front::Toml, Front::Derive],
                    other => panic!("--path toml|derive|both, not {other:?}"),
                }
            }
            "--generation-only" => args.generation_only = true,
            "--keep" => args.keep = true,
            "--target-dir" => args.target_dir = PathBuf::from(iter.next().expect("a directory")),
            // Cargo passes `--bench` to an example run as a bench; nothing else is expected.
            "--bench" => {}
            size => args.sizes.push(size.parse().expect("a number of events")),
        }
    }
    if args.sizes.is_empty() {
        args.sizes = vec![1000, 5000];
    }
    args
}

fn main() {
    let args = args();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace");

    println!("generation of the module text (median of 5, this binary's profile):");
    for &n in &args.sizes {
        generation(n);
    }
    if args.generation_only {
        return;
    }
    let time = Path::new("/usr/bin/time").exists();
    if !time {
        println!("(no /usr/bin/time: wall time only)");
    }
    println!(
        "\n{:<7} {:>6} | {:>7} {:>8} {:>9} {:>6} {:>9} {:>6} | {:>7} {:>8} {:>9} {:>6} {:>9} {:>6}",
        "path",
        "events",
        "clean s",
        "ms/event",
        "unchanged",
        "ratio",
        "rebuild s",
        "ratio",
        "cpu s",
        "ms/event",
        "unchanged",
        "ratio",
        "rebuild",
        "ratio"
    );
    for &path in &args.paths {
        for &n in &args.sizes {
            let dir = std::env::temp_dir()
                .join("eventgen-compile-bench")
                .join(format!("{}-{n}", path.name()));
            let [clean, unchanged, rebuild] =
                measure(&workspace, &args.target_dir, &dir, path, n, time);
            let per_event = |t: f64| t * 1000.0 / n as f64;
            let columns = |c: f64, u: f64, r: f64| {
                format!(
                    "{c:>7.1} {:>8.1} {u:>9.1} {:>5.0}% {r:>9.1} {:>5.0}%",
                    per_event(c),
                    u / c * 100.0,
                    r / c * 100.0
                )
            };
            let cpu = match (clean.cpu, unchanged.cpu, rebuild.cpu) {
                (Some(c), Some(u), Some(r)) => columns(c, u, r),
                _ => String::new(),
            };
            println!(
                "{:<7} {n:>6} | {} | {cpu}",
                path.name(),
                columns(clean.wall, unchanged.wall, rebuild.wall),
            );
            if !args.keep {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
    }
    println!(
        "\ntargets: clean <= 15 ms per event, rebuild <= 30% of the clean build \
         (unchanged: the definitions saved as they were); the target directory is {}",
        args.target_dir.display()
    );
}

fn load(text: &str) -> Catalog {
    let loaded = event_codegen::load_str("synthetic.toml", text);
    let rendered = loaded.render(event_codegen::diagnostic::Style::Plain);
    loaded
        .catalog
        .unwrap_or_else(|| panic!("the synthetic catalog checks:\n{rendered}"))
}

fn generation(n: usize) {
    let text = synthetic_catalog::catalog(n);
    let start = Instant::now();
    let catalog = load(&text);
    let check = start.elapsed();
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(rust::module(&catalog));
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "  {n:>6} events: load and check {:>7.1} ms, module {:>7.1} ms ({} bytes)",
        check.as_secs_f64() * 1000.0,
        times[2].as_secs_f64() * 1000.0,
        rust::module(&catalog).len()
    );
}

/// Writes the crate, builds its dependencies, and times the clean build, the rebuild with
/// the definitions saved unchanged, and the rebuild after adding one event.
fn measure(
    workspace: &Path,
    target_dir: &Path,
    dir: &Path,
    path: Front,
    n: usize,
    time: bool,
) -> [Times; 3] {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("src")).expect("the crate's directory");
    let name = format!("compile-bench-{}-{n}", path.name());
    let by_path = |krate: &str| format!("{{ path = {:?} }}", workspace.join(krate));
    let (dependencies, build) = match path {
        Front::Toml => (
            format!(
                "event-runtime = {}\n\n[build-dependencies]\nevent-codegen = {}\n",
                by_path("event-runtime"),
                by_path("codegen")
            ),
            true,
        ),
        Front::Derive => (
            format!(
                "event-runtime = {}\nevent-macros = {}\n",
                by_path("event-runtime"),
                by_path("event-macros")
            ),
            false,
        ),
    };
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = {name:?}\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{dependencies}\n[workspace]\n"
        ),
    );
    if build {
        write(
            &dir.join("build.rs"),
            "fn main() -> Result<(), event_codegen::BuildError> {\n    \
             event_codegen::Builder::new()\n        .definitions(\"events.toml\")\n        \
             .cargo_directives(true)\n        .generate()?;\n    Ok(())\n}\n",
        );
        write(
            &dir.join("src/lib.rs"),
            "//! A synthetic catalog's generated module.\n#![allow(deprecated, missing_docs)]\n\n\
             /// The events.\npub mod events {\n    \
             include!(concat!(env!(\"OUT_DIR\"), \"/events.rs\"));\n}\n",
        );
    }

    // The dependencies first, with one event (not timed).
    write_catalog(dir, path, 1, false);
    cargo(dir, target_dir, &["build"], false);

    write_catalog(dir, path, n, false);
    cargo(dir, target_dir, &["clean", "-p", &name], false);
    let clean = cargo(dir, target_dir, &["build"], time);
    save_unchanged(dir, path);
    let unchanged = cargo(dir, target_dir, &["build"], time);
    write_catalog(dir, path, n, true);
    let rebuild = cargo(dir, target_dir, &["build"], time);
    [clean, unchanged, rebuild]
}

/// Saves the file that adding an event changes, as it is (a newer modification time).
fn save_unchanged(dir: &Path, path: Front) {
    let file = match path {
        Front::Toml => dir.join("events.toml"),
        Front::Derive => dir.join("src/family_0.rs"),
    };
    let text = std::fs::read_to_string(&file).expect("the definitions");
    write(&file, &text);
}

/// The synthetic catalog of `n` events, with the added event when `added`.
fn write_catalog(dir: &Path, path: Front, n: usize, added: bool) {
    let mut text = synthetic_catalog::catalog(n);
    if added {
        text.push_str(ADDED_TOML);
    }
    match path {
        Front::Toml => write(&dir.join("events.toml"), &text),
        Front::Derive => {
            let catalog = load(&text);
            let files = derive_source::files(&catalog);
            if !added {
                let _ = std::fs::remove_dir_all(dir.join("src"));
                std::fs::create_dir_all(dir.join("src")).expect("src");
                check_parity(&catalog, &files);
                for (file, text) in &files {
                    write(&dir.join("src").join(file), text);
                }
            } else {
                // Only the file that holds the new event changes.
                let event = catalog
                    .event("project-0:bench-added")
                    .expect("the added event");
                let file = dir.join("src/family_0.rs");
                let mut text = std::fs::read_to_string(&file).expect("family_0.rs");
                text.push_str(&derive_source::event_source(&catalog, event));
                write(&file, &text);
            }
        }
    }
}

/// The derive sources declare the catalog of the definitions: no diagnostic, the same
/// JSON Schemas (as sets of lines: lists of every event follow declaration order).
fn check_parity(catalog: &Catalog, files: &[(String, String)]) {
    let mut sources = event_codegen::source::SourceMap::new();
    for (file, text) in files {
        sources.add(file.as_str(), text.as_str());
    }
    let loaded = event_codegen::load_sources(sources);
    let rendered = loaded.render(event_codegen::diagnostic::Style::Plain);
    assert!(loaded.diagnostics.is_empty(), "{rendered}");
    let derived = loaded.catalog.expect("the derive sources check");
    let schemas = |catalog: &Catalog| {
        let mut files: Vec<(String, String)> = json_schema::files(catalog)
            .into_iter()
            .map(|f| {
                // Lists of every event (the index) follow declaration order, which
                // differs: compare the lines of each file in order.
                let mut lines: Vec<&str> = f.contents.lines().collect();
                lines.sort_unstable();
                (f.path.display().to_string(), lines.join("\n"))
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(derived.events.len(), catalog.events.len());
    let (derived, defined) = (schemas(&derived), schemas(catalog));
    assert_eq!(derived.len(), defined.len());
    for (derived, defined) in derived.iter().zip(&defined) {
        assert!(
            derived == defined,
            "the derive sources give the same JSON Schemas: {}\n{}\n{}",
            defined.0,
            derived.1,
            defined.1
        );
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Runs cargo in `dir` with its own target directory; timed when `timed`.
fn cargo(dir: &Path, target_dir: &Path, args: &[&str], timed: bool) -> Times {
    let report = dir.join("time.txt");
    let mut command = if timed {
        let mut command = Command::new("/usr/bin/time");
        command
            .arg("-f")
            .arg("%e %U %S")
            .arg("-o")
            .arg(&report)
            .arg("cargo");
        command
    } else {
        Command::new("cargo")
    };
    command
        .args(args)
        .arg("--offline")
        .arg("--quiet")
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS");
    let start = Instant::now();
    let status = command.status().expect("cargo runs");
    let wall = start.elapsed().as_secs_f64();
    assert!(status.success(), "cargo {args:?} in {}", dir.display());
    let cpu = timed
        .then(|| std::fs::read_to_string(&report).ok())
        .flatten()
        .and_then(|text| {
            let values: Vec<f64> = text
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            (values.len() == 3).then(|| values[1] + values[2])
        });
    Times { wall, cpu }
}
