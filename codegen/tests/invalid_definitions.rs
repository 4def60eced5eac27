//! The invalid-definitions corpus: every case under `tests/invalid` is loaded, its
//! diagnostics are compared with the `# expect:` lines at its top (rule code and
//! `line:column` of the primary label, exactly), and its rendering is pinned by a snapshot.
//!
//! A case is `tests/invalid/<name>.toml`, or a directory `tests/invalid/<name>/` whose
//! `*.toml` files are loaded together in name order (for rules across files). Its first
//! comment lines declare what must be reported, one line per diagnostic:
//!
//! ```toml
//! # expect: unknown-key 7:1            (a single-file case: line:column)
//! # expect: duplicate b.toml:3:9       (a directory case: file:line:column)
//! # expect: catalog -                  (a diagnostic without a label)
//! ```

use std::fmt::Write as _;
use std::path::{MAIN_SEPARATOR, Path, PathBuf};

use event_codegen::diagnostic::{Rule, Severity, Style};
use event_codegen::{Loaded, load};

/// Rules reported as warnings: a case expecting only these must still produce a catalog.
const WARNING_RULES: &[Rule] = &[Rule::MissingDescription];

const EXPECT: &str = "# expect:";

/// One case of the corpus.
struct Case {
    /// The file name without `.toml`, or the directory name.
    name: String,
    /// The case file, or the case directory.
    path: PathBuf,
    /// The file holding the `# expect:` lines (the first in name order for a directory).
    first_file: PathBuf,
}

impl Case {
    fn is_dir(&self) -> bool {
        self.path.is_dir()
    }
}

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Every case, sorted by name.
fn cases() -> Vec<Case> {
    let root = tests_dir().join("invalid");
    let mut cases: Vec<Case> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter_map(|path| {
            if path.is_dir() {
                let first_file = toml_files(&path).into_iter().next().unwrap_or_else(|| {
                    panic!("case directory {} holds no *.toml file", path.display())
                });
                let name = path.file_name()?.to_str()?.to_owned();
                Some(Case {
                    name,
                    first_file,
                    path,
                })
            } else if path.extension().is_some_and(|e| e == "toml") {
                let name = path.file_stem()?.to_str()?.to_owned();
                Some(Case {
                    name,
                    first_file: path.clone(),
                    path,
                })
            } else {
                None
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!cases.is_empty(), "no cases under {}", root.display());
    cases
}

/// One expected or reported diagnostic: its rule code and the place of its primary label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expectation {
    code: String,
    place: String,
}

impl std::fmt::Display for Expectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.place)
    }
}

/// The `# expect:` lines among the leading comment lines of the case's first file.
fn expectations(case: &Case) -> Vec<Expectation> {
    let bytes = std::fs::read(&case.first_file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", case.first_file.display()));
    // Lossy: the encoding case holds an invalid byte (after its expect lines).
    let text = String::from_utf8_lossy(&bytes);
    let mut expected: Vec<Expectation> = text
        .lines()
        .take_while(|line| line.starts_with('#'))
        .filter_map(|line| line.strip_prefix(EXPECT))
        .map(|rest| {
            let mut words = rest.split_whitespace();
            let (Some(code), Some(place), None) = (words.next(), words.next(), words.next())
            else {
                panic!(
                    "case `{}`: malformed expect line `{EXPECT}{rest}`: write `{EXPECT} <code> <place>`",
                    case.name
                );
            };
            assert!(
                rule(code).is_some(),
                "case `{}` expects the unknown rule code `{code}`",
                case.name
            );
            Expectation {
                code: code.to_owned(),
                place: place.to_owned(),
            }
        })
        .collect();
    assert!(
        !expected.is_empty(),
        "case `{}` declares no `{EXPECT}` line at its top",
        case.name
    );
    expected.sort();
    expected
}

fn rule(code: &str) -> Option<Rule> {
    Rule::ALL.iter().copied().find(|r| r.code() == code)
}

/// What was reported, in the form of the expect lines.
fn reported(case: &Case, loaded: &Loaded) -> Vec<Expectation> {
    let mut reported: Vec<Expectation> = loaded
        .diagnostics
        .iter()
        .map(|d| {
            let place = match d.primary() {
                None => "-".to_owned(),
                Some(origin) => {
                    let (line, column) = loaded.sources.line_col(origin.file, origin.span.start);
                    if case.is_dir() {
                        let path = loaded.sources.path(origin.file);
                        let file = path.strip_prefix(&case.path).unwrap_or(path);
                        format!("{}:{line}:{column}", file.display())
                    } else {
                        format!("{line}:{column}")
                    }
                }
            };
            Expectation {
                code: d.rule.code().to_owned(),
                place,
            }
        })
        .collect();
    reported.sort();
    reported
}

/// The plain rendering, with paths relative to `tests/` (`invalid/<case>.toml`).
fn render(loaded: &Loaded) -> String {
    let prefix = format!("{}{MAIN_SEPARATOR}", tests_dir().display());
    let rendered = loaded.render(Style::Plain).replace(&prefix, "");
    assert!(
        !rendered.contains(env!("CARGO_MANIFEST_DIR")),
        "an absolute path is left in the rendering:\n{rendered}"
    );
    rendered
}

fn list(items: &[Expectation]) -> String {
    if items.is_empty() {
        return "    (nothing)\n".to_owned();
    }
    items.iter().map(|e| format!("    {e}\n")).collect()
}

#[test]
fn every_case_reports_exactly_what_it_expects() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/invalid");
    settings.set_omit_expression(true);
    let _guard = settings.bind_to_scope();

    let mut failures = String::new();
    for case in cases() {
        let expected = expectations(&case);
        let loaded = load(std::slice::from_ref(&case.path));
        let rendered = render(&loaded);
        let actual = reported(&case, &loaded);

        if actual != expected {
            let _ = write!(
                failures,
                "\ncase `{}`:\n  expected:\n{}  reported:\n{}  rendered:\n{}\n",
                case.name,
                list(&expected),
                list(&actual),
                rendered
            );
        }
        for d in loaded.diagnostics.iter() {
            let is_warning = WARNING_RULES.contains(&d.rule);
            let severity = if is_warning {
                Severity::Warning
            } else {
                Severity::Error
            };
            if d.severity != severity {
                let _ = writeln!(
                    failures,
                    "\ncase `{}`: `{}` reported as {:?}, expected {severity:?}",
                    case.name,
                    d.rule.code(),
                    d.severity
                );
            }
        }
        let expects_error = expected
            .iter()
            .any(|e| rule(&e.code).is_some_and(|r| !WARNING_RULES.contains(&r)));
        match (expects_error, loaded.catalog.is_some()) {
            (true, true) => {
                let _ = writeln!(
                    failures,
                    "\ncase `{}` expects errors but produced a catalog",
                    case.name
                );
            }
            (false, false) => {
                let _ = writeln!(
                    failures,
                    "\ncase `{}` expects only warnings but produced no catalog",
                    case.name
                );
            }
            _ => {}
        }

        insta::assert_snapshot!(case.name.as_str(), rendered);
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn every_rule_has_a_case() {
    let expected: Vec<Rule> = cases()
        .iter()
        .flat_map(expectations)
        .filter_map(|e| rule(&e.code))
        .collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        // `append-only` compares the catalog with what the migrations hold, which only
        // `eventgen generate` does: its cases live in tests/migrations.rs. `rust-syntax` is
        // about Rust sources: its cases live in tests/rust_sources.rs.
        .filter(|&&r| {
            r != Rule::Io
                && r != Rule::AppendOnly
                && r != Rule::RustSyntax
                && !expected.contains(&r)
        })
        .map(|r| r.code())
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a case under tests/invalid: {}",
        missing.join(", ")
    );
}

#[test]
fn a_missing_path_is_an_io_error() {
    let missing = tests_dir().join("invalid").join("no-such-case.toml");
    let loaded = load(&[&missing]);
    assert!(loaded.has_io_errors(), "{}", loaded.render(Style::Plain));
    assert!(loaded.catalog.is_none());
    let io: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::Io)
        .collect();
    assert_eq!(io.len(), 1, "{}", loaded.render(Style::Plain));
    let io = io[0];
    assert_eq!(io.severity, Severity::Error);
    assert!(io.message.contains("no-such-case.toml"), "{}", io.message);
    assert!(io.primary().is_none(), "an io error points at no source");
}
