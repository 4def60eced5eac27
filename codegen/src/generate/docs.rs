//! The catalog as one Markdown document (`docs/events.md`): every event with its
//! description, markers and deprecation, and a table of all its fields (the layers'
//! fields too, named by their path in the payload) saying which are sensitive and what
//! reaches each payload; then the enums and named types.
//!
//! Each event ends with its sample payloads (`super::sample`).
//!
//! The document is rendered from `templates/docs/events.md.j2` (minijinja); this module
//! computes everything the template shows, so the template holds layout only.

use minijinja::value::Serde;
use serde::Serialize;

use super::json_schema::PayloadKind;
use super::{GENERATED_NOTICE, deprecation, in_parallel};
use crate::model::{Catalog, EnumDef, EventDef, FieldDef, FieldType, LayerId, TypeDef};
use crate::shape::TelemetrySlot;
use crate::text::plural;

const TEMPLATE_NAME: &str = "events.md";
const TEMPLATE: &str = include_str!("../../templates/docs/events.md.j2");

/// The catalog as a Markdown document, starting with the `@generated` notice in an HTML
/// comment. Deterministic: events in hierarchy order (stored ones first, analytics-only
/// ones in their own section), enums and types in declaration order.
pub fn markdown(catalog: &Catalog) -> String {
    let mut env = super::template_environment();
    env.add_template(TEMPLATE_NAME, TEMPLATE)
        .expect("the docs template parses");
    let document = env
        .get_template(TEMPLATE_NAME)
        .expect("the docs template is registered")
        .render(Serde(&Document::new(catalog)))
        .expect("the docs template renders");
    tidy(&document)
}

/// At most one blank line in a row, no trailing spaces, one final newline: the template
/// can then lay out its blocks without counting newlines.
fn tidy(document: &str) -> String {
    let mut out = String::with_capacity(document.len());
    let mut blank = false;
    for line in document.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if !blank {
                out.push('\n');
            }
            blank = true;
        } else {
            out.push_str(line);
            out.push('\n');
            blank = false;
        }
    }
    out
}

/// A Markdown table cell: `|` escaped (also inside code spans, as GFM requires) and line
/// breaks as `<br>`.
fn cell(text: &str) -> String {
    let text = text.trim();
    if !text.contains(['|', '\n', '\r']) {
        return text.to_owned();
    }
    text.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// Everything the template shows.
#[derive(Serialize)]
struct Document {
    notice: &'static str,
    /// The telemetry key of the samples' hashes.
    sample_key: &'static str,
    name: String,
    description: Option<String>,
    /// "66 events: 58 stored, ...".
    summary: String,
    toc: Vec<TocEntry>,
    layers: Vec<LayerDoc>,
    /// Stored events, then analytics-only ones (sections without events are left out).
    sections: Vec<Section>,
    enums: Vec<EnumDoc>,
    types: Vec<TypeDoc>,
}

/// One line of the table of contents.
#[derive(Serialize)]
struct TocEntry {
    /// Leading spaces for its nesting.
    indent: String,
    /// Markdown.
    text: String,
}

/// A row of the layers table; every cell but the name is Markdown, escaped for a table.
#[derive(Serialize)]
struct LayerDoc {
    anchor: String,
    name: String,
    /// The event type prefix (`project:one-off-job`), or a dash.
    path: String,
    /// Where its fields go (`project.job`, or "merged into ...").
    object: String,
    /// A link to the parent, or a dash.
    parent: String,
    markers: String,
    description: String,
}

/// A section of events.
#[derive(Serialize)]
struct Section {
    anchor: &'static str,
    title: &'static str,
    intro: &'static str,
    events: Vec<EventDoc>,
}

#[derive(Serialize)]
struct EventDoc {
    anchor: String,
    event_type: String,
    description: Option<String>,
    /// `stored · version 1 · layer ...`
    markers: String,
    deprecation: Option<String>,
    /// Stored events: the chat message line (its template, and what it makes of the
    /// sample notification payload).
    message: Option<String>,
    fields: Vec<FieldRow>,
    /// The sample payloads, pretty JSON.
    samples: Vec<SampleDoc>,
}

/// One sample payload of an event.
#[derive(Serialize)]
struct SampleDoc {
    /// `notification` or `telemetry`.
    kind: &'static str,
    json: String,
}

/// The event's sample payloads ([`super::sample`]), notification first.
pub(super) fn samples(catalog: &Catalog, event: &EventDef) -> Vec<(PayloadKind, String)> {
    PayloadKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let sample = super::sample::sample(catalog, event, kind)?;
            let json = serde_json::to_string_pretty(&sample).expect("a sample serializes");
            Some((kind, json))
        })
        .collect()
}

/// A row of a field table; every cell is Markdown, escaped for a table.
#[derive(Serialize)]
struct FieldRow {
    /// Markdown: the payload path, as code.
    name: String,
    /// Markdown: the type, named types linked.
    ty: String,
    optional: &'static str,
    sensitive: &'static str,
    notification: &'static str,
    telemetry: String,
    /// Markdown: the storage column, or a dash.
    column: String,
    description: String,
}

#[derive(Serialize)]
struct EnumDoc {
    anchor: String,
    name: String,
    description: Option<String>,
    variants: String,
}

#[derive(Serialize)]
struct TypeDoc {
    anchor: String,
    name: String,
    description: Option<String>,
    fields: Vec<FieldRow>,
}

/// A section of events, as both the table of contents and the sections show it.
struct SectionKind {
    anchor: &'static str,
    title: &'static str,
    intro: &'static str,
    /// Whether it holds the stored events or the analytics-only ones.
    stored: bool,
}

/// The sections of events, in document order.
const SECTIONS: [SectionKind; 2] = [
    SectionKind {
        anchor: "stored-events",
        title: "Stored events",
        intro: "Recorded in the `events` table; delivered to subscribers (notification \
                payload) and to telemetry.",
        stored: true,
    },
    SectionKind {
        anchor: "analytics-only-events",
        title: "Analytics-only events",
        intro: "Sent to telemetry only: never stored, never delivered to subscribers.",
        stored: false,
    },
];

impl Document {
    fn new(catalog: &Catalog) -> Self {
        let hierarchy = Hierarchy::new(catalog);
        Self {
            notice: GENERATED_NOTICE,
            sample_key: super::sample::SAMPLE_KEY,
            name: catalog.name.clone(),
            description: catalog.description.clone(),
            summary: summary(catalog),
            toc: toc(catalog, &hierarchy),
            layers: hierarchy
                .layers
                .iter()
                .map(|&(id, _)| LayerDoc::new(catalog, id))
                .collect(),
            sections: sections(catalog, &hierarchy),
            enums: catalog.enums.iter().map(EnumDoc::new).collect(),
            types: catalog
                .types
                .iter()
                .map(|t| TypeDoc::new(catalog, t))
                .collect(),
        }
    }
}

/// The sections that have events, each with its events in hierarchy order.
fn sections(catalog: &Catalog, hierarchy: &Hierarchy<'_>) -> Vec<Section> {
    let ordered_events: Vec<&EventDef> = hierarchy
        .layers
        .iter()
        .flat_map(|&(id, _)| hierarchy.events[id.0].iter().copied())
        .chain(hierarchy.outside.iter().copied())
        .collect();
    let mut sections = Vec::new();
    for kind in &SECTIONS {
        let events: Vec<&EventDef> = ordered_events
            .iter()
            .copied()
            .filter(|e| e.stored == kind.stored)
            .collect();
        // Over every core: the events are most of the work, and each is made on its own.
        let events = in_parallel(&events, |events| {
            events.iter().map(|e| EventDoc::new(catalog, e)).collect()
        });
        if !events.is_empty() {
            sections.push(Section {
                anchor: kind.anchor,
                title: kind.title,
                intro: kind.intro,
                events,
            });
        }
    }
    sections
}

/// The table of contents: the layers table, each section that has events with its
/// layers and events, then the enums and types when there are any.
fn toc(catalog: &Catalog, hierarchy: &Hierarchy<'_>) -> Vec<TocEntry> {
    let mut toc = vec![TocEntry::new(0, "[Layers](#layers)")];
    for kind in &SECTIONS {
        if !catalog.events.iter().any(|e| e.stored == kind.stored) {
            continue;
        }
        toc.push(TocEntry::new(
            0,
            format!("[{}](#{})", kind.title, kind.anchor),
        ));
        hierarchy.toc_events(catalog, kind.stored, &mut toc);
    }
    if !catalog.enums.is_empty() || !catalog.types.is_empty() {
        toc.push(TocEntry::new(0, "[Enums and types](#enums-and-types)"));
    }
    toc
}

impl EnumDoc {
    fn new(e: &EnumDef) -> Self {
        Self {
            anchor: enum_anchor(&e.name),
            name: e.name.clone(),
            description: e.description.clone(),
            variants: e
                .variants
                .iter()
                .map(|v| format!("`{}`", v.value))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

impl TypeDoc {
    fn new(catalog: &Catalog, t: &TypeDef) -> Self {
        Self {
            anchor: type_anchor(&t.name),
            name: t.name.clone(),
            description: t.description.clone(),
            fields: t
                .fields
                .iter()
                .map(|f| FieldRow::new(catalog, f, format!("`{}`", f.name), Row::TypeField))
                .collect(),
        }
    }
}

/// The counts of the catalog, as a sentence.
pub(super) fn summary(catalog: &Catalog) -> String {
    let events = &catalog.events;
    let client = events.iter().filter(|e| e.client).count();
    let client = if client > 0 {
        format!(" ({client} of them relayed from clients)")
    } else {
        String::new()
    };
    format!(
        "{}: {} stored, {} analytics-only{client}, {} deprecated; {}, {} and {}.",
        plural(events.len(), "event"),
        catalog.stored_events().count(),
        catalog.analytics_only_events().count(),
        events.iter().filter(|e| e.deprecated.is_some()).count(),
        plural(catalog.layers.len(), "layer"),
        plural(catalog.enums.len(), "enum"),
        plural(catalog.types.len(), "named type"),
    )
}

impl TocEntry {
    fn new(depth: usize, text: impl Into<String>) -> Self {
        Self {
            indent: "  ".repeat(depth),
            text: text.into(),
        }
    }
}

/// The events grouped by layer, in hierarchy order.
struct Hierarchy<'c> {
    /// The layers depth first (roots and children in declaration order), with their depth.
    layers: Vec<(LayerId, usize)>,
    /// Each layer's events, in declaration order (by layer index).
    events: Vec<Vec<&'c EventDef>>,
    /// Events outside the hierarchy, in declaration order.
    outside: Vec<&'c EventDef>,
    /// Whether a layer's subtree has stored events, and analytics-only ones (by index).
    has_events: Vec<[bool; 2]>,
}

impl<'c> Hierarchy<'c> {
    fn new(catalog: &'c Catalog) -> Self {
        fn visit(
            catalog: &Catalog,
            parent: Option<LayerId>,
            depth: usize,
            out: &mut Vec<(LayerId, usize)>,
        ) {
            for id in catalog.children(parent) {
                out.push((id, depth));
                visit(catalog, Some(id), depth + 1, out);
            }
        }
        let mut layers = Vec::new();
        visit(catalog, None, 0, &mut layers);
        let mut events = vec![Vec::new(); catalog.layers.len()];
        let mut outside = Vec::new();
        let mut has_events = vec![[false; 2]; catalog.layers.len()];
        for event in &catalog.events {
            let Some(layer) = event.layer else {
                outside.push(event);
                continue;
            };
            events[layer.0].push(event);
            for id in catalog.layer_chain(layer) {
                has_events[id.0][usize::from(event.stored)] = true;
            }
        }
        Self {
            layers,
            events,
            outside,
            has_events,
        }
    }

    /// Table-of-contents entries for the events of one kind: each layer that has such
    /// events in its subtree, its events below it; then the events outside the hierarchy.
    fn toc_events(&self, catalog: &Catalog, stored: bool, toc: &mut Vec<TocEntry>) {
        for &(id, depth) in &self.layers {
            if !self.has_events[id.0][usize::from(stored)] {
                continue;
            }
            let layer = catalog.layer(id);
            toc.push(TocEntry::new(
                depth + 1,
                format!("layer [`{}`](#{})", layer.name, layer_anchor(&layer.name)),
            ));
            for event in self.events[id.0].iter().filter(|e| e.stored == stored) {
                toc.push(TocEntry::new(depth + 2, event_link(&event.event_type)));
            }
        }
        let outside: Vec<&EventDef> = self
            .outside
            .iter()
            .copied()
            .filter(|e| e.stored == stored)
            .collect();
        if !outside.is_empty() {
            toc.push(TocEntry::new(1, "outside the hierarchy"));
            for event in outside {
                toc.push(TocEntry::new(2, event_link(&event.event_type)));
            }
        }
    }
}

impl LayerDoc {
    fn new(catalog: &Catalog, id: LayerId) -> Self {
        let layer = catalog.layer(id);
        let chain = catalog.layer_chain(id);
        let mut markers = Vec::new();
        if layer.is_abstract {
            markers.push("abstract");
        }
        if layer.inline {
            markers.push("inline");
        }
        let object = object_path(catalog, &chain);
        Self {
            anchor: layer_anchor(&layer.name),
            name: layer.name.clone(),
            // An abstract layer adds no segment: its path is its parent's.
            path: if layer.is_abstract {
                "—".to_owned()
            } else {
                cell(&format!("`{}`", layer.path))
            },
            object: if layer.inline {
                format!("`{object}` (merged into its parent's object)")
            } else {
                format!("`{object}`")
            },
            parent: match layer.parent {
                Some(parent) => {
                    let name = &catalog.layer(parent).name;
                    format!("[`{name}`](#{})", layer_anchor(name))
                }
                None => "—".to_owned(),
            },
            markers: markers.join(", "),
            description: cell(layer.description.as_deref().unwrap_or("")),
        }
    }
}

/// The payload path of the object holding the fields of the last layer of `chain`: the
/// keys of the non-inline layers, joined with dots.
fn object_path(catalog: &Catalog, chain: &[LayerId]) -> String {
    chain
        .iter()
        .map(|&id| catalog.layer(id))
        .filter(|layer| !layer.inline)
        .map(|layer| layer.key.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

impl EventDoc {
    fn new(catalog: &Catalog, event: &EventDef) -> Self {
        let mut markers = vec![
            if event.stored {
                "stored"
            } else {
                "analytics-only"
            }
            .to_owned(),
        ];
        if event.client {
            markers.push("client (may be relayed from front-end clients)".to_owned());
        }
        markers.push(format!("version {}", event.version));
        match event.layer {
            Some(layer) => markers.push(format!(
                "layers {}",
                catalog
                    .layer_chain(layer)
                    .iter()
                    .map(|&id| {
                        let name = &catalog.layer(id).name;
                        format!("[`{name}`](#{})", layer_anchor(name))
                    })
                    .collect::<Vec<_>>()
                    .join(" › ")
            )),
            None => markers.push("outside the hierarchy".to_owned()),
        }
        if event.deprecated.is_some() {
            markers.push("**deprecated**".to_owned());
        }

        let shape = catalog.event_shape(event);
        let row = Row::EventField {
            stored: event.stored,
        };
        let mut fields: Vec<FieldRow> = shape
            .top_fields
            .iter()
            .map(|f| FieldRow::new(catalog, f, format!("`{}`", f.name), row))
            .collect();
        let mut path = Vec::new();
        for object in &shape.objects {
            path.push(object.key);
            for field in &object.fields {
                let name = format!("`{}.{}`", path.join("."), field.name);
                fields.push(FieldRow::new(catalog, field, name, row));
            }
        }

        Self {
            anchor: event_anchor(&event.event_type),
            event_type: event.event_type.clone(),
            description: event.description.clone(),
            markers: markers.join(" · "),
            deprecation: (event.deprecated.as_ref())
                .map(|d| deprecation::text(d, deprecation::Form::Docs { link: &event_link })),
            message: event.stored.then(|| message_line(catalog, event)),
            fields,
            samples: samples(catalog, event)
                .into_iter()
                .map(|(kind, json)| SampleDoc {
                    kind: kind.as_str(),
                    json,
                })
                .collect(),
        }
    }
}

/// Where a field row stands.
#[derive(Clone, Copy)]
enum Row {
    /// In the table of an event, stored or analytics-only (no notification payload, no
    /// column, no subscriptions).
    EventField { stored: bool },
    /// In the table of a named type.
    TypeField,
}

impl FieldRow {
    fn new(catalog: &Catalog, field: &FieldDef, name: String, row: Row) -> Self {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let (has_notification, column) = match row {
            Row::EventField { stored: true } => (true, format!("`{}`", field.column)),
            Row::EventField { stored: false } => (false, "—".to_owned()),
            Row::TypeField => (true, String::new()),
        };
        let mut telemetry = match field.telemetry_slot() {
            None => "dropped".to_owned(),
            Some(TelemetrySlot::Count) => format!("`{}`", field.count_key()),
            Some(TelemetrySlot::Hash) => "hashed".to_owned(),
            Some(TelemetrySlot::Derived) => format!("`derived_properties.{}`", field.name),
            Some(TelemetrySlot::Value) => match named_type(&field.ty) {
                Some(&FieldType::Object(id)) => {
                    let named = &catalog.type_def(id).name;
                    format!(
                        "kept (by the policies of [`{named}`](#{}))",
                        type_anchor(named)
                    )
                }
                _ => "kept".to_owned(),
            },
        };
        if has_notification && !field.in_notification() {
            telemetry.push_str(" (telemetry only)");
        }
        let mut description = String::new();
        if field.deprecated {
            description.push_str("**Deprecated.** ");
        }
        description.push_str(field.description.as_deref().unwrap_or(""));
        if field.scope && matches!(row, Row::EventField { stored: true }) {
            description.push_str(" *Subscriptions may filter on it.*");
        }
        Self {
            name,
            ty: type_markdown(catalog, &field.ty),
            optional: yes_no(field.optional),
            sensitive: yes_no(field.sensitive),
            notification: if has_notification {
                yes_no(field.in_notification())
            } else {
                "—"
            },
            telemetry,
            column,
            // Names, types and columns never hold `|` or line breaks; descriptions may.
            description: cell(&description),
        }
    }
}

/// The enum or named type a type mentions (itself, or inside lists and maps).
pub(super) fn named_type(ty: &FieldType) -> Option<&FieldType> {
    match ty {
        FieldType::Enum(_) | FieldType::Object(_) => Some(ty),
        FieldType::List(inner) | FieldType::Map(inner) => named_type(inner),
        _ => None,
    }
}

/// The type as code, linked to its enum or named type when it mentions one.
fn type_markdown(catalog: &Catalog, ty: &FieldType) -> String {
    let text = ty.display(catalog);
    match named_type(ty) {
        Some(&FieldType::Object(id)) => {
            format!("[`{text}`](#{})", type_anchor(&catalog.type_def(id).name))
        }
        Some(&FieldType::Enum(id)) => {
            format!("[`{text}`](#{})", enum_anchor(&catalog.enum_def(id).name))
        }
        _ => format!("`{text}`"),
    }
}

fn event_link(event_type: &str) -> String {
    format!("[`{event_type}`](#{})", event_anchor(event_type))
}

/// Explicit anchors (`<a id>`), so links do not depend on how a renderer slugs headings.
/// Event types never contain `.`, so `:` → `.` is unique.
pub(super) fn event_anchor(event_type: &str) -> String {
    format!("event-{}", event_type.replace(':', "."))
}

pub(super) fn layer_anchor(name: &str) -> String {
    format!("layer-{name}")
}

pub(super) fn enum_anchor(name: &str) -> String {
    format!("enum-{name}")
}

pub(super) fn type_anchor(name: &str) -> String {
    format!("type-{name}")
}

/// `Chat message (default): `template`, e.g. “text”`: the event's message, declared or
/// default, and its rendering of the sample notification payload.
fn message_line(catalog: &Catalog, event: &EventDef) -> String {
    let template = crate::message::template(catalog, event);
    let which = if event.message.is_some() {
        "Chat message"
    } else {
        "Chat message (default)"
    };
    let sample = super::sample::sample(catalog, event, PayloadKind::Notification)
        .and_then(|payload| crate::message::render(&template, &payload));
    let code = code_span(&template);
    match sample {
        Some(text) => format!("{which}: {code}, e.g. {}", code_span(&text)),
        None => format!("{which}: {code}"),
    }
}

/// `text` as a Markdown code span: delimited by one more backtick than its longest run,
/// on one line.
fn code_span(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}
