//! The format reference, `docs/definitions-format.md`, is itself a fixture: its example
//! checks clean, and it documents every rule the checker reports.

use event_codegen::diagnostic::{Rule, Style};

fn format_doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/definitions-format.md");
    std::fs::read_to_string(path).expect("docs/definitions-format.md exists")
}

fn toml_example(doc: &str) -> &str {
    let start = doc.find("```toml\n").expect("the doc has a TOML example") + "```toml\n".len();
    let len = doc[start..].find("```").expect("the example is closed");
    &doc[start..start + len]
}

#[test]
fn the_documented_example_checks_clean() {
    let doc = format_doc();
    let loaded = event_codegen::load_str("docs/definitions-format.md#example", toml_example(&doc));
    assert!(
        loaded.diagnostics.is_empty(),
        "{}",
        loaded.render(Style::Plain)
    );
    let catalog = loaded.catalog.expect("a catalog");
    assert_eq!(catalog.name, "orchest");
    assert_eq!(
        catalog
            .events
            .iter()
            .filter(|e| !e.is_operational())
            .count(),
        5
    );
    let failed = catalog
        .event("project:one-off-job:pipeline-run:failed")
        .expect("event");
    let layer = catalog.layer(failed.layer.expect("in the hierarchy"));
    assert_eq!(layer.name, "one-off-job-pipeline-run");
    assert_eq!(layer.path, "project:one-off-job:pipeline-run");
    let view = catalog.event("view:loaded").expect("event");
    assert!(view.client && !view.stored && view.layer.is_none());
}

#[test]
fn every_rule_is_documented() {
    let doc = format_doc();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|rule| rule.code())
        .filter(|code| !doc.contains(&format!("| `{code}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "rules missing from the doc's table: {missing:?}"
    );
}
