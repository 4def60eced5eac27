//! The catalog as an HTML page: every event and layer of the reference catalog present,
//! the fixture's privacy and deprecation shown as the docs word them, schema links that
//! point at generated schemas, and text from the definitions escaped.

use event_codegen::diagnostic::Style;
use event_codegen::generate::html::{PATH, page};
use event_codegen::generate::{GENERATED_NOTICE, json_schema};
use event_codegen::model::Catalog;

const FIXTURE: &str = include_str!("fixtures/features.toml");

fn load(name: &str, text: &str) -> Catalog {
    let loaded = event_codegen::load_str(name, text);
    let rendered = loaded.render(Style::Plain);
    loaded.catalog.unwrap_or_else(|| panic!("{rendered}"))
}

fn reference() -> Catalog {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");
    load(
        path,
        &std::fs::read_to_string(path).expect("the reference catalog"),
    )
}

/// The values of every `attribute="..."` of the page, with the `/` that HTML escaping
/// writes as `&#x2f;` read back.
fn attributes(page: &str, attribute: &str) -> Vec<String> {
    let opening = format!("{attribute}=\"");
    page.split(opening.as_str())
        .skip(1)
        .map(|rest| rest.split('"').next().expect("a closing quote"))
        .map(|value| value.replace("&#x2f;", "/"))
        .collect()
}

#[test]
fn the_reference_page_has_every_event_and_layer_and_needs_no_network() {
    let catalog = reference();
    let page = page(&catalog);
    assert!(
        page.starts_with(&format!("<!DOCTYPE html>\n<!-- {GENERATED_NOTICE} -->\n")),
        "{}",
        &page[..200]
    );
    let ids = attributes(&page, "id");
    let types = attributes(&page, "data-type");
    for event in &catalog.events {
        let anchor = format!("event-{}", event.event_type.replace(':', "."));
        assert!(ids.contains(&anchor), "no section for {}", event.event_type);
        // Once in the tree, once as a section.
        let listed = types.iter().filter(|t| **t == event.event_type).count();
        assert_eq!(listed, 2, "{} listed {listed} times", event.event_type);
    }
    for layer in &catalog.layers {
        let anchor = format!("layer-{}", layer.name);
        assert!(ids.contains(&anchor), "no row for layer {}", layer.name);
        assert!(
            page.contains(&format!("href=\"#{anchor}\"")),
            "{} not in the tree",
            layer.name
        );
    }
    for attribute in ["src", "href"] {
        for value in attributes(&page, attribute) {
            assert!(!value.contains("//"), "{attribute}={value} leaves the page");
        }
    }
    assert_eq!(page.matches("<script").count(), 1, "one script, inline");
    assert_eq!(page, self::page(&catalog), "the same page twice");
}

#[test]
fn schema_links_point_at_generated_schemas() {
    let catalog = load("fixture.toml", FIXTURE);
    let schemas: Vec<String> = json_schema::files(&catalog)
        .iter()
        .map(|file| file.path.to_string_lossy().replace('\\', "/"))
        .collect();
    let up = "../".repeat(PATH.matches('/').count());
    let page = page(&catalog);
    let links: Vec<String> = attributes(&page, "href")
        .into_iter()
        .filter(|href| !href.starts_with('#'))
        .collect();
    for link in &links {
        let path = link.strip_prefix(&up).unwrap_or_else(|| panic!("{link}"));
        assert!(
            schemas.iter().any(|s| s == path),
            "{link} is not a generated schema"
        );
    }
    // A notification and a telemetry schema for each stored event, a telemetry one for
    // each analytics-only event, and the request schema of a client event.
    let expected: usize = (catalog.events.iter())
        .map(|e| if e.stored { 2 } else { 1 } + usize::from(e.client))
        .sum();
    assert_eq!(links.len(), expected, "{links:#?}");
}

#[test]
fn the_fixture_page_shows_privacy_and_deprecation() {
    let page = page(&load("fixture.toml", FIXTURE));
    // The docs' wording, the replacement linked.
    assert!(
        page.contains(
            "<strong>Deprecated</strong> since 2.0.0: use project:updated. Replaced by \
             <a href=\"#event-project.updated\"><code>project:updated</code></a>. \
             Sunset: 2030-06-30."
        ),
        "{page}"
    );
    for telemetry in ["kept", "hashed", "counted as parameters_count", "dropped"] {
        assert!(
            page.contains(&format!("\">{telemetry}")),
            "no field {telemetry}"
        );
    }
    assert!(page.contains("<span class=\"sensitive\">sensitive</span>"));
    assert!(page.contains("<code>project.job.pipeline_run.parameters</code>"));
    assert!(
        page.contains("kept (telemetry only)"),
        "projects_count reaches telemetry only"
    );
    for marker in ["stored", "analytics-only", "client", "deprecated"] {
        assert!(
            page.contains(&format!("\">{marker}</span>")),
            "no {marker} badge"
        );
    }
}

#[test]
fn text_from_the_definitions_is_escaped() {
    let catalog = load(
        "escaping.toml",
        r#"
[catalog]
name = "escaping"
description = "A <b>catalog</b> & more."

[layers.project]
description = "A <script>alert('layer')</script> layer."
fields.uuid = { type = "uuid", description = "UUID </td></tr> of the project." }

[events."project:created"]
description = "Created <script>alert(\"event\")</script> <img src=x onerror=alert(1)>."
deprecated = { note = "use <em>nothing</em>" }
"#,
    );
    let page = page(&catalog);
    assert_eq!(
        page.matches("<script").count(),
        1,
        "only the page's own script"
    );
    for raw in ["<b>", "<img", "</td></tr> of", "<em>nothing"] {
        assert!(!page.contains(raw), "{raw} is not escaped");
    }
    assert!(page.contains("&lt;script&gt;alert("), "{page}");
    assert!(
        page.contains("A &lt;b&gt;catalog&lt;&#x2f;b&gt; &amp; more."),
        "{page}"
    );
}
