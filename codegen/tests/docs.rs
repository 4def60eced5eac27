//! The catalog as Markdown: a snapshot for a small fixture catalog, and for the reference
//! catalog every event as a heading and no sensitive field described as reaching
//! telemetry.

use event_codegen::diagnostic::Style;
use event_codegen::generate::GENERATED_NOTICE;
use event_codegen::generate::docs::markdown;
use event_codegen::model::Catalog;

/// The fixture of `json_schemas.rs`: a 3-level hierarchy with an inline layer, a named
/// type with a sensitive field, an enum, every telemetry policy, optional, deprecated and
/// telemetry-only fields, a deprecated event, analytics-only events inside and outside
/// the hierarchy, and a `|` in a description.
const FIXTURE: &str = include_str!("fixtures/features.toml");

fn load(name: &str, text: &str) -> Catalog {
    let loaded = event_codegen::load_str(name, text);
    let rendered = loaded.render(Style::Plain);
    loaded.catalog.unwrap_or_else(|| panic!("{rendered}"))
}

fn fixture() -> Catalog {
    load("fixture.toml", FIXTURE)
}

fn reference() -> Catalog {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");
    load(
        path,
        &std::fs::read_to_string(path).expect("the reference catalog"),
    )
}

/// The cells of a Markdown table row (split on unescaped `|`), trimmed.
fn cells(row: &str) -> Vec<String> {
    let inner = row
        .trim()
        .strip_prefix('|')
        .and_then(|r| r.strip_suffix('|'))
        .unwrap_or_else(|| panic!("not a table row: {row}"));
    let mut cells = vec![String::new()];
    let mut escaped = false;
    for c in inner.chars() {
        match c {
            '|' if !escaped => cells.push(String::new()),
            _ => cells.last_mut().expect("a cell").push(c),
        }
        escaped = c == '\\' && !escaped;
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

/// Every table of the document: its header cells and its rows' cells.
fn tables(document: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let mut tables = Vec::new();
    let mut lines = document.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with('|') {
            continue;
        }
        let header = cells(line);
        let separator = lines.next().expect("a separator row");
        assert!(separator.starts_with("|---"), "{separator}");
        let mut rows = Vec::new();
        while let Some(row) = lines.next_if(|l| l.starts_with('|')) {
            let row = cells(row);
            assert_eq!(row.len(), header.len(), "{row:?} does not match {header:?}");
            rows.push(row);
        }
        tables.push((header, rows));
    }
    tables
}

#[test]
fn fixture_markdown_snapshot() {
    let document = markdown(&fixture());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/docs");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("fixture", document));
}

#[test]
fn starts_with_the_notice_and_is_deterministic() {
    for catalog in [fixture(), reference()] {
        let document = markdown(&catalog);
        assert!(document.starts_with(&format!("<!-- {GENERATED_NOTICE} -->\n")));
        assert!(document.ends_with("\n") && !document.ends_with("\n\n"));
        assert!(!document.contains("\n\n\n"), "no runs of blank lines");
        assert_eq!(document, markdown(&catalog));
    }
}

#[test]
fn table_cells_escape_pipes() {
    let document = markdown(&fixture());
    assert!(document.contains("Title of the step \\| as shown in the editor."));
    // `tables` checks that every row has as many cells as its header.
    let tables = tables(&document);
    assert!(tables.len() > 8);
}

#[test]
fn every_reference_event_is_a_heading() {
    let catalog = reference();
    let document = markdown(&catalog);
    let headings: Vec<&str> = document.lines().filter(|l| l.starts_with("### ")).collect();
    for event in &catalog.events {
        let heading = format!("### `{}`", event.event_type);
        assert_eq!(
            headings.iter().filter(|h| **h == heading).count(),
            1,
            "{heading}"
        );
        assert!(
            document.contains(&format!(
                "<a id=\"event-{}\"></a>",
                event.event_type.replace(':', ".")
            )),
            "anchor of {}",
            event.event_type
        );
    }
    let stored = document.find("## Stored events").expect("stored section");
    let analytics = document
        .find("## Analytics-only events")
        .expect("analytics-only section");
    for event in &catalog.events {
        let at = document
            .find(&format!("### `{}`\n", event.event_type))
            .expect("heading");
        assert_eq!(
            at > analytics,
            !event.stored,
            "{} in the wrong section",
            event.event_type
        );
        assert!(at > stored);
    }
}

#[test]
fn no_sensitive_field_is_described_as_reaching_telemetry() {
    for catalog in [fixture(), reference()] {
        let document = markdown(&catalog);
        let mut sensitive_rows = 0;
        for (header, rows) in tables(&document) {
            let Some(sensitive) = header.iter().position(|h| h == "sensitive") else {
                continue;
            };
            let telemetry = header
                .iter()
                .position(|h| h == "telemetry")
                .expect("telemetry column");
            for row in rows {
                if row[sensitive] != "yes" {
                    assert_eq!(row[sensitive], "no");
                    continue;
                }
                sensitive_rows += 1;
                let what = &row[telemetry];
                assert!(
                    what.starts_with("dropped")
                        || what.starts_with("hashed")
                        || (what.starts_with('`') && what.contains("_count`")),
                    "sensitive field {} described as reaching telemetry: {what}",
                    row[0]
                );
            }
        }
        assert!(sensitive_rows > 3, "only {sensitive_rows} sensitive rows");
    }
}

#[test]
fn fields_are_named_by_their_payload_path() {
    let document = markdown(&reference());
    let section = document
        .split("### `project:one-off-job:pipeline-run:failed`\n")
        .nth(1)
        .expect("the event")
        .split("\n### ")
        .next()
        .expect("its section");
    let (_, rows) = tables(section).into_iter().next().expect("its field table");
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "`project.uuid`",
            "`project.name`",
            "`project.job.uuid`",
            "`project.job.name`",
            "`project.job.status`",
            "`project.job.pipeline_name`",
            "`project.job.url_path`",
            "`project.job.total_runs`",
            "`project.job.pipeline_run.uuid`",
            "`project.job.pipeline_run.status`",
            "`project.job.pipeline_run.number`",
            "`project.job.pipeline_run.url_path`",
            "`project.job.pipeline_run.parameters`",
            "`project.job.pipeline_run.failed_steps`",
        ]
    );
}
