//! The checker never panics, whatever it reads: arbitrary text, TOML-ish token soup,
//! arbitrary bytes from a file, and mutations of valid catalogs. Every diagnostic label
//! points inside its file, and rendering never panics either.
//!
//! The case counts are small enough for a debug run in seconds; set `PROPTEST_CASES` to
//! run every property with that many cases instead (e.g. `PROPTEST_CASES=20000`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use event_codegen::diagnostic::{Rule, Style};
use event_codegen::{Loaded, load, load_str};
use proptest::prelude::*;
use proptest::sample::Index;
use synthetic_catalog as synthetic;

const REFERENCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../definitions/orchest.toml"
));

/// `default` cases, or `PROPTEST_CASES` when it is set.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // Inputs are cheap to shrink but a debug check is not: bound shrinking.
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

/// Checks one in-memory file and asserts the properties every outcome must have.
fn check_text(text: &str) -> Loaded {
    let loaded = load_str("fuzz.toml", text);
    assert_sound(&loaded);
    loaded
}

/// Every label lies within its file, and rendering works.
fn assert_sound(loaded: &Loaded) {
    for diagnostic in loaded.diagnostics.iter() {
        for label in &diagnostic.labels {
            let text = &loaded.sources.file(label.origin.file).text;
            let span = &label.origin.span;
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "label {span:?} outside a file of {} bytes: {diagnostic:?}",
                text.len()
            );
        }
    }
    assert_eq!(
        loaded.catalog.is_some(),
        !loaded.diagnostics.has_errors(),
        "a catalog exactly when there is no error"
    );
    let _ = loaded.render(Style::Plain);
}

// ---- TOML-ish token soup -------------------------------------------------------------

fn kebab() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}"
}

/// Pieces of TOML and of the definitions format.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "[", "]", "[[", "]]", "\"", "'", "\"\"\"", "=", " = ", "{", "}", ".", ",", ":", "\n",
    "\r\n", " ", "\t", "#", "<", ">", "layers", "events", "enums", "types", "catalog",
    "fields", "type", "parent", "abstract", "inline", "segment", "key", "stored", "client",
    "version", "deprecated", "variants", "name", "description", "sensitive", "telemetry",
    "scope", "column", "optional", "notification", "list<", "map<", "uuid", "string", "int",
    "json", "true", "false", "0", "1", "-1", "2027-06-30", "1e400", "\\u0000", "\\", "\0",
    "\u{feff}", "é", "\u{10ffff}",
];

fn token() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(TOKENS).prop_map(str::to_owned);
    prop_oneof![
        4 => fixed,
        2 => kebab(),
        1 => (kebab(), kebab()).prop_map(|(a, b)| format!("\"{a}:{b}\"")),
        1 => "[a-z_]{1,8}".prop_map(|s| format!("\"{s}\"")),
        1 => (kebab(), kebab()).prop_map(|(section, name)| format!("\n[{section}.{name}]\n")),
        1 => (kebab(), "[a-z<>]{1,12}")
            .prop_map(|(name, ty)| format!("\nfields.{name} = {{ type = \"{ty}\" }}\n")),
    ]
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..80).prop_map(|tokens| tokens.concat())
}

// ---- mutations of valid catalogs -----------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    /// Delete up to `len` bytes at a position.
    Delete(Index, usize),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Insert a token at a char boundary.
    Insert(Index, String),
    /// Replace a quoted string's content with another quoted string or section name.
    ReplaceQuoted(Index, Index),
    /// `true` <-> `false`.
    FlipBool(Index),
    /// Change the value of a `type = "..."`.
    ChangeType(Index, String),
}

fn type_value() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(
        event_codegen::model::FieldType::BUILTINS
            .iter()
            .copied()
            .chain([
                "step",
                "change-list",
                "job-status",
                "list<step>",
                "map<json>",
                "map<list<change>>",
                "list<",
                "list<>",
                "set<int>",
                "",
                " ",
                "list<list<list<list<uuid>>>>",
                "map<unknown-type>",
            ])
            .collect::<Vec<_>>(),
    )
    .prop_map(str::to_owned);
    prop_oneof![3 => fixed, 1 => kebab(), 1 => "[a-z<> ]{0,16}"]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 0usize..64).prop_map(|(at, len)| Mutation::Delete(at, len)),
        any::<Index>().prop_map(Mutation::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<Index>(), token()).prop_map(|(at, token)| Mutation::Insert(at, token)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::ReplaceQuoted(a, b)),
        any::<Index>().prop_map(Mutation::FlipBool),
        (any::<Index>(), type_value()).prop_map(|(at, ty)| Mutation::ChangeType(at, ty)),
    ]
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Byte ranges of the contents of the double-quoted strings of `text` (one line each).
fn quoted(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c, start) {
            ('"', None) => start = Some(i + 1),
            ('"', Some(s)) => {
                ranges.push(s..i);
                start = None;
            }
            ('\n', Some(_)) => start = None,
            _ => {}
        }
    }
    ranges
}

/// Start offsets of every occurrence of `needle`.
fn occurrences(text: &str, needle: &str) -> Vec<usize> {
    text.match_indices(needle).map(|(i, _)| i).collect()
}

fn apply(text: &mut String, mutation: &Mutation) {
    match mutation {
        Mutation::Delete(at, len) => {
            let start = floor_boundary(text, at.index(text.len() + 1));
            let end = floor_boundary(text, start + len);
            text.replace_range(start..end, "");
        }
        Mutation::DuplicateLine(at) | Mutation::SwapLines(at, _) => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            if lines.is_empty() {
                return;
            }
            let i = at.index(lines.len());
            if let Mutation::SwapLines(_, other) = mutation {
                let j = other.index(lines.len());
                lines.swap(i, j);
            } else {
                lines.insert(i, lines[i]);
            }
            *text = lines.concat();
        }
        Mutation::Insert(at, token) => {
            let at = floor_boundary(text, at.index(text.len() + 1));
            text.insert_str(at, token);
        }
        Mutation::ReplaceQuoted(target, source) => {
            let ranges = quoted(text);
            if ranges.is_empty() {
                return;
            }
            let name = text[ranges[source.index(ranges.len())].clone()].to_owned();
            text.replace_range(ranges[target.index(ranges.len())].clone(), &name);
        }
        Mutation::FlipBool(at) => {
            let mut found: Vec<(usize, &str, &str)> = occurrences(text, "true")
                .into_iter()
                .map(|i| (i, "true", "false"))
                .chain(
                    occurrences(text, "false")
                        .into_iter()
                        .map(|i| (i, "false", "true")),
                )
                .collect();
            if found.is_empty() {
                return;
            }
            found.sort_unstable();
            let (i, from, to) = found[at.index(found.len())];
            text.replace_range(i..i + from.len(), to);
        }
        Mutation::ChangeType(at, ty) => {
            let found = occurrences(text, "type = \"");
            if found.is_empty() {
                return;
            }
            let start = found[at.index(found.len())] + "type = \"".len();
            let Some(len) = text[start..].find('"') else {
                return;
            };
            text.replace_range(start..start + len, ty);
        }
    }
}

fn small_synthetic() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| synthetic::catalog(30))
}

// ---- properties ------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(1_000))]

    #[test]
    fn arbitrary_text(text in ".*") {
        check_text(&text);
    }

    #[test]
    fn arbitrary_multiline_text(text in "(?s).{0,400}") {
        check_text(&text);
    }

    #[test]
    fn token_soup_text(text in token_soup()) {
        check_text(&text);
    }

    #[test]
    fn token_soup_after_a_valid_header(text in token_soup()) {
        check_text(&format!("[catalog]\nname = \"fuzz\"\n{text}"));
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn mutated_reference_catalog(mutations in prop::collection::vec(mutation(), 1..=5)) {
        let mut text = REFERENCE.to_owned();
        for m in &mutations {
            apply(&mut text, m);
        }
        check_text(&text);
    }

    #[test]
    fn mutated_synthetic_catalog(mutations in prop::collection::vec(mutation(), 1..=5)) {
        let mut text = small_synthetic().to_owned();
        for m in &mutations {
            apply(&mut text, m);
        }
        check_text(&text);
    }
}

static FILE_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A file under the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!(
            "event-codegen-no-panic-{}-{}.toml",
            std::process::id(),
            FILE_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes).expect("write a temp file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn load_bytes(bytes: &[u8]) -> Loaded {
    let file = TempFile::new(bytes);
    let loaded = load(&[&file.0]);
    assert!(!loaded.has_io_errors(), "{:?}", loaded.diagnostics);
    assert_sound(&loaded);
    loaded
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn arbitrary_bytes_from_a_file(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        load_bytes(&bytes);
    }

    #[test]
    fn a_valid_catalog_with_a_bad_byte(at in any::<Index>(), byte in 0x80u8..=0xff) {
        let mut bytes = REFERENCE.as_bytes().to_vec();
        bytes.insert(at.index(bytes.len() + 1), byte);
        let loaded = load_bytes(&bytes);
        // A lone byte >= 0x80 is never UTF-8 in ASCII surroundings.
        prop_assert!(loaded.diagnostics.iter().any(|d| d.rule == Rule::Encoding));
    }
}

// ---- deterministic edge cases ------------------------------------------------------------

/// Runs `f` on a thread with the default test stack (2 MiB unless RUST_MIN_STACK says
/// otherwise), so that deep recursion shows up as it would in a test, not on a bigger
/// main thread stack.
fn on_test_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().expect("no panic")
}

#[test]
fn deeply_nested_arrays_do_not_overflow_the_stack() {
    on_test_stack(|| {
        let depth = 100_000;
        for text in [
            format!("a = {}", "[".repeat(depth)),
            format!("a = {}\n", "[".repeat(depth)),
            format!("a = {}{}", "[".repeat(depth), "]".repeat(depth)),
            "[".repeat(depth),
            format!(
                "[catalog]\nname = \"deep\"\n[enums.e]\nvariants = {}",
                "[".repeat(depth)
            ),
        ] {
            // toml stops at depth 80 with "cannot recurse further; max recursion depth met".
            let loaded = check_text(&text);
            assert!(loaded.diagnostics.has_errors());
        }
    });
}

#[test]
fn deeply_nested_inline_tables_do_not_overflow_the_stack() {
    on_test_stack(|| {
        let depth = 100_000;
        for text in [
            format!("a = {}", "{".repeat(depth)),
            format!("a = {}\n", "{".repeat(depth)),
            format!("a = {}1{}", "{ b = ".repeat(depth), " }".repeat(depth)),
            format!("[events.\"x:y\"]\nfields = {}", "{ b = ".repeat(depth)),
        ] {
            let loaded = check_text(&text);
            assert!(loaded.diagnostics.has_errors());
        }
    });
}

/// Type strings are parsed by the front end's own recursive parser, not by toml.
#[test]
fn deeply_nested_field_types_do_not_overflow_the_stack() {
    on_test_stack(|| {
        for depth in [100, 1_000, 10_000, 100_000] {
            let ty = format!("{}uuid{}", "list<".repeat(depth), ">".repeat(depth));
            check_text(&format!(
                "[catalog]\nname = \"deep\"\n[types.t]\ndescription = \"d\"\n\
                 fields.f = {{ type = \"{ty}\" }}\n"
            ));
        }
    });
}

/// A label that starts 65,536 or more characters into its line.
#[test]
fn labels_past_column_65535_render() {
    let loaded = check_text(&format!("{}bogus = 1\n", " ".repeat(1 << 16)));
    assert!(loaded.diagnostics.has_errors());
}

#[test]
fn a_20_mb_file_checks_in_linear_time() {
    let mut text = synthetic::catalog(0);
    let header = text.len();
    let mut events = 0;
    while text.len() < 20 << 20 {
        // Events of the root layer of the one family of `catalog(0)`, ~600 bytes each.
        text.push_str(&format!(
            "\n[events.\"project-0:happened-{events}\"]\n\
             description = \"Something happened to a project: {}.\"\n\
             fields.reason = {{ type = \"string\", optional = true, sensitive = true, description = \"Why.\" }}\n\
             fields.attempt = {{ type = \"int\", optional = true }}\n",
            "and it was described at length ".repeat(15)
        ));
        events += 1;
    }
    let time = |text: &str| {
        let start = Instant::now();
        let loaded = check_text(text);
        (start.elapsed(), loaded)
    };
    // A tenth of the file first, to compare.
    let tenth = floor_to_table(&text, header + (text.len() - header) / 10);
    let (t_tenth, small) = time(&text[..tenth]);
    assert!(
        small.diagnostics.is_empty(),
        "{}",
        small.render(Style::Plain)
    );
    let (t_full, loaded) = time(&text);
    assert!(
        loaded.diagnostics.is_empty(),
        "{}",
        loaded.render(Style::Plain)
    );
    let catalog = loaded.catalog.expect("valid");
    assert_eq!(
        catalog
            .events
            .iter()
            .filter(|e| !e.is_operational())
            .count(),
        events
    );
    eprintln!(
        "{} bytes, {events} events: {t_full:?} (a tenth: {t_tenth:?}, ratio {:.1})",
        text.len(),
        t_full.as_secs_f64() / t_tenth.as_secs_f64()
    );
    // Generous: only a quadratic blow-up fails this, not a noisy machine.
    assert!(
        t_full < t_tenth * 30 + Duration::from_secs(1),
        "ten times the input took {t_full:?} against {t_tenth:?}"
    );
}

/// The start of the event table at or before `at`.
fn floor_to_table(text: &str, at: usize) -> usize {
    text[..at].rfind("\n[events.").unwrap_or(at)
}

#[test]
fn empty_and_comment_only_files() {
    for text in [
        "",
        "\n",
        "   \n\t\n",
        "# only a comment",
        "# a\n# b\n\n#c\n",
    ] {
        let loaded = check_text(text);
        assert!(
            loaded.diagnostics.iter().any(|d| d.rule == Rule::Catalog),
            "{text:?}: {:?}",
            loaded.diagnostics
        );
    }
}

#[test]
fn nul_bytes() {
    for text in [
        "\0".to_owned(),
        "\0\0\0\n\0".to_owned(),
        format!("{REFERENCE}\0"),
        REFERENCE.replacen("orchest", "orch\0est", 1),
        REFERENCE.replacen("# ", "# \0", 1),
    ] {
        let loaded = check_text(&text);
        assert!(loaded.diagnostics.has_errors(), "NUL accepted in {text:?}");
        load_bytes(text.as_bytes());
    }
}

#[test]
fn byte_order_mark() {
    let text = format!("\u{feff}{REFERENCE}");
    let loaded = check_text(&text);
    assert!(
        loaded.diagnostics.is_empty(),
        "{}",
        loaded.render(Style::Plain)
    );
    let loaded = load_bytes(text.as_bytes());
    assert!(
        loaded.diagnostics.is_empty(),
        "{}",
        loaded.render(Style::Plain)
    );
}

#[test]
fn crlf_line_endings() {
    for text in [REFERENCE, small_synthetic()] {
        let crlf = text.replace('\n', "\r\n");
        let loaded = check_text(&crlf);
        assert!(
            loaded.diagnostics.is_empty(),
            "{}",
            loaded.render(Style::Plain)
        );
        let loaded = load_bytes(crlf.as_bytes());
        assert!(loaded.diagnostics.is_empty());
        // A diagnostic on a CRLF file renders too.
        let bad = crlf.replacen("parent = \"", "parent = \"no-such-", 1);
        let loaded = check_text(&bad);
        assert!(loaded.diagnostics.has_errors());
    }
}

#[test]
fn lone_carriage_returns_and_mixed_endings() {
    for text in [
        REFERENCE.replace('\n', "\r"),
        REFERENCE.replacen('\n', "\r\n", 40),
        "[catalog]\r\nname = \"x\"\r".to_owned(),
    ] {
        check_text(&text);
    }
}
