//! The catalog as one self-contained HTML page (`docs/catalog.html`): the hierarchy as a
//! navigable tree, every event with its description, markers, version, deprecation, links
//! to its JSON Schemas and a table of its fields (type, privacy, what reaches telemetry),
//! the enums and named types, and a search box that filters events by name. CSS and
//! script are inline: the page needs no network.
//!
//! The page is rendered from `templates/docs/catalog.html.j2` with minijinja's HTML
//! auto-escaping, so text from the definitions (descriptions are user text) is always
//! escaped; this module computes what the template shows.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::value::Serde;
use serde::Serialize;

use super::docs::{enum_anchor, event_anchor, layer_anchor, named_type, summary, type_anchor};
use super::json_schema::{self, Older, PayloadKind};
use super::{GENERATED_NOTICE, deprecation, in_parallel};
use crate::model::{Catalog, EnumDef, EventDef, FieldDef, FieldType, LayerId, TypeDef};
use crate::shape::TelemetrySlot;

/// Where `eventgen generate` writes the page, relative to the repository root.
pub const PATH: &str = "docs/catalog.html";

const TEMPLATE_NAME: &str = "catalog.html";
const TEMPLATE: &str = include_str!("../../templates/docs/catalog.html.j2");

/// The catalog as an HTML page, starting with the `@generated` notice in an HTML comment.
/// Deterministic: layers depth first and events in hierarchy order (events outside the
/// hierarchy last), enums and types in declaration order.
pub fn page(catalog: &Catalog) -> String {
    page_with(catalog, &Older::new(&BTreeMap::new(), &BTreeMap::new()))
}

/// [`page`], each event with its `older` versions and their schemas.
pub(crate) fn page_with(catalog: &Catalog, older: &Older<'_>) -> String {
    let mut env = super::template_environment();
    // The page is HTML: everything printed is escaped unless the template says otherwise.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template(TEMPLATE_NAME, TEMPLATE)
        .expect("the catalog page template parses");
    let mut page = env
        .get_template(TEMPLATE_NAME)
        .expect("the catalog page template is registered")
        .render(Serde(&Page::new(catalog, older)))
        .expect("the catalog page template renders");
    page.push('\n');
    page
}

/// Everything the template shows.
#[derive(Serialize)]
struct Page {
    notice: &'static str,
    /// The telemetry key of the samples' hashes.
    sample_key: &'static str,
    name: String,
    description: Option<String>,
    /// "66 events: 58 stored, ...", as in the Markdown docs.
    summary: String,
    tree: Vec<TreeLayer>,
    /// Events outside the hierarchy, for the tree.
    outside: Vec<TreeEvent>,
    layers: Vec<LayerView>,
    /// Every event, in the order of the tree.
    events: Vec<EventView>,
    enums: Vec<EnumView>,
    types: Vec<TypeView>,
}

/// A layer of the tree, with its events and child layers.
#[derive(Serialize)]
struct TreeLayer {
    name: String,
    anchor: String,
    events: Vec<TreeEvent>,
    children: Vec<TreeLayer>,
}

/// An event of the tree.
#[derive(Serialize)]
struct TreeEvent {
    event_type: String,
    /// Its type without its layer's prefix (`created`), as the tree shows it.
    label: String,
    anchor: String,
    markers: Vec<Marker>,
}

/// A badge: its CSS class and its words.
#[derive(Serialize)]
struct Marker {
    class: &'static str,
    label: &'static str,
}

/// A row of the layers table.
#[derive(Serialize)]
struct LayerView {
    anchor: String,
    name: String,
    /// The event type prefix; `None` for an abstract layer, which adds no segment.
    path: Option<String>,
    parent: Option<Link>,
    markers: Vec<&'static str>,
    description: Option<String>,
}

/// A link inside the page.
#[derive(Serialize)]
struct Link {
    text: String,
    href: String,
}

#[derive(Serialize)]
struct EventView {
    anchor: String,
    event_type: String,
    description: Option<String>,
    markers: Vec<Marker>,
    version: u32,
    /// The layer chain, outermost first.
    layers: Vec<Link>,
    /// The docs' wording, in pieces; empty when not deprecated.
    deprecation: Vec<DeprecationPiece>,
    /// Relative links to the JSON Schemas of the event's current version.
    schemas: Vec<Link>,
    /// The versions published before, newest first, each with links to its schemas.
    older: Vec<VersionView>,
    fields: Vec<FieldView>,
    /// The sample payloads, as the Markdown docs show them.
    samples: Vec<SampleView>,
}

/// An older version of an event and its published schemas.
#[derive(Serialize)]
struct VersionView {
    version: u32,
    schemas: Vec<Link>,
}

/// One sample payload of an event.
#[derive(Serialize)]
struct SampleView {
    kind: &'static str,
    json: String,
}

/// A piece of a deprecation sentence: strong, linked to an event, or plain.
#[derive(Serialize)]
struct DeprecationPiece {
    text: String,
    strong: bool,
    href: Option<String>,
}

/// A row of a field table.
#[derive(Serialize)]
struct FieldView {
    /// The payload path (`project.job.uuid`).
    name: String,
    ty: String,
    /// The enum or named type it mentions.
    type_href: Option<String>,
    optional: bool,
    sensitive: bool,
    /// "yes", "no", or "—" for an analytics-only event (no notification payload).
    notification: &'static str,
    /// What reaches telemetry: "kept", "hashed", "counted as `x_count`", "dropped".
    telemetry: String,
    /// The CSS class of the telemetry cell.
    telemetry_class: &'static str,
    deprecated: bool,
    /// Subscriptions may filter on it.
    scope: bool,
    description: Option<String>,
}

#[derive(Serialize)]
struct EnumView {
    anchor: String,
    name: String,
    description: Option<String>,
    variants: Vec<String>,
}

#[derive(Serialize)]
struct TypeView {
    anchor: String,
    name: String,
    description: Option<String>,
    fields: Vec<FieldView>,
}

impl Page {
    fn new(catalog: &Catalog, older: &Older<'_>) -> Self {
        let tree = tree(catalog, None);
        let outside: Vec<&EventDef> = catalog
            .events
            .iter()
            .filter(|e| e.layer.is_none())
            .collect();
        let mut ordered = Vec::with_capacity(catalog.events.len());
        events_in_tree_order(catalog, None, &mut ordered);
        ordered.extend(&outside);
        Self {
            notice: GENERATED_NOTICE,
            sample_key: super::sample::SAMPLE_KEY,
            name: catalog.name.clone(),
            description: catalog.description.clone(),
            summary: summary(catalog),
            tree,
            outside: outside.iter().map(|e| TreeEvent::new(e, None)).collect(),
            layers: layers_depth_first(catalog)
                .into_iter()
                .map(|id| LayerView::new(catalog, id))
                .collect(),
            // Over every core: the events are most of the work, and each is made on its own.
            events: in_parallel(&ordered, |events| {
                events
                    .iter()
                    .map(|e| EventView::new(catalog, e, older))
                    .collect()
            }),
            enums: catalog.enums.iter().map(EnumView::new).collect(),
            types: catalog
                .types
                .iter()
                .map(|t| TypeView::new(catalog, t))
                .collect(),
        }
    }
}

/// The layers under `parent` (the roots for `None`), each with its events and children.
fn tree(catalog: &Catalog, parent: Option<LayerId>) -> Vec<TreeLayer> {
    catalog
        .children(parent)
        .map(|id| {
            let layer = catalog.layer(id);
            TreeLayer {
                name: layer.name.clone(),
                anchor: layer_anchor(&layer.name),
                events: (events_of(catalog, id))
                    .map(|e| TreeEvent::new(e, Some(&layer.path)))
                    .collect(),
                children: tree(catalog, Some(id)),
            }
        })
        .collect()
}

/// The events of one layer, in declaration order.
fn events_of(catalog: &Catalog, id: LayerId) -> impl Iterator<Item = &EventDef> {
    catalog.events.iter().filter(move |e| e.layer == Some(id))
}

/// The events of the layers under `parent`, in the order of the tree.
fn events_in_tree_order<'c>(
    catalog: &'c Catalog,
    parent: Option<LayerId>,
    out: &mut Vec<&'c EventDef>,
) {
    for id in catalog.children(parent) {
        out.extend(events_of(catalog, id));
        events_in_tree_order(catalog, Some(id), out);
    }
}

/// Every layer, depth first.
fn layers_depth_first(catalog: &Catalog) -> Vec<LayerId> {
    fn visit(catalog: &Catalog, parent: Option<LayerId>, out: &mut Vec<LayerId>) {
        for id in catalog.children(parent) {
            out.push(id);
            visit(catalog, Some(id), out);
        }
    }
    let mut layers = Vec::with_capacity(catalog.layers.len());
    visit(catalog, None, &mut layers);
    layers
}

/// The badges of an event: stored or analytics-only, client, deprecated.
fn markers(event: &EventDef) -> Vec<Marker> {
    let mut markers = vec![if event.stored {
        Marker {
            class: "stored",
            label: "stored",
        }
    } else {
        Marker {
            class: "analytics",
            label: "analytics-only",
        }
    }];
    if event.client {
        markers.push(Marker {
            class: "client",
            label: "client",
        });
    }
    if event.deprecated.is_some() {
        markers.push(Marker {
            class: "deprecated",
            label: "deprecated",
        });
    }
    markers
}

impl TreeEvent {
    /// The event as the tree shows it under the layer whose event type prefix is
    /// `layer_path` (at the top for `None`).
    fn new(event: &EventDef, layer_path: Option<&str>) -> Self {
        let label = layer_path
            .and_then(|prefix| event.event_type.strip_prefix(prefix))
            .and_then(|rest| rest.strip_prefix(':'))
            .unwrap_or(&event.event_type);
        Self {
            event_type: event.event_type.clone(),
            label: label.to_owned(),
            anchor: event_anchor(&event.event_type),
            markers: markers(event),
        }
    }
}

impl LayerView {
    fn new(catalog: &Catalog, id: LayerId) -> Self {
        let layer = catalog.layer(id);
        let mut markers = Vec::new();
        if layer.is_abstract {
            markers.push("abstract");
        }
        if layer.inline {
            markers.push("inline");
        }
        Self {
            anchor: layer_anchor(&layer.name),
            name: layer.name.clone(),
            path: (!layer.is_abstract).then(|| layer.path.clone()),
            parent: layer.parent.map(|parent| layer_link(catalog, parent)),
            markers,
            description: layer.description.clone(),
        }
    }
}

fn layer_link(catalog: &Catalog, id: LayerId) -> Link {
    let name = &catalog.layer(id).name;
    Link {
        text: name.clone(),
        href: format!("#{}", layer_anchor(name)),
    }
}

impl EventView {
    fn new(catalog: &Catalog, event: &EventDef, older: &Older<'_>) -> Self {
        let shape = catalog.event_shape(event);
        let row = Row::EventField {
            stored: event.stored,
        };
        let mut fields: Vec<FieldView> = (shape.top_fields.iter())
            .map(|f| FieldView::new(catalog, f, f.name.clone(), row))
            .collect();
        let mut path = Vec::new();
        for object in &shape.objects {
            path.push(object.key);
            for field in &object.fields {
                let name = format!("{}.{}", path.join("."), field.name);
                fields.push(FieldView::new(catalog, field, name, row));
            }
        }
        Self {
            anchor: event_anchor(&event.event_type),
            event_type: event.event_type.clone(),
            description: event.description.clone(),
            markers: markers(event),
            version: event.version,
            layers: (event
                .layer
                .map(|id| catalog.layer_chain(id))
                .unwrap_or_default())
            .into_iter()
            .map(|id| layer_link(catalog, id))
            .collect(),
            deprecation: (event.deprecated.as_ref())
                .map(deprecation_pieces)
                .unwrap_or_default(),
            schemas: schema_links(event),
            older: json_schema::older_paths(event, older)
                .into_iter()
                .rev()
                .map(|(version, notification, telemetry)| VersionView {
                    version,
                    schemas: [("notification", notification), ("telemetry", telemetry)]
                        .into_iter()
                        .filter_map(|(text, path)| Some(schema_link(text, &path?)))
                        .collect(),
                })
                .collect(),
            fields,
            samples: super::docs::samples(catalog, event)
                .into_iter()
                .map(|(kind, json)| SampleView {
                    kind: kind.as_str(),
                    json,
                })
                .collect(),
        }
    }
}

/// The docs' wording of a deprecation, the replacing event linked.
fn deprecation_pieces(d: &crate::model::Deprecation) -> Vec<DeprecationPiece> {
    deprecation::docs_pieces(d)
        .into_iter()
        .map(|piece| match piece {
            deprecation::Piece::Text(text) => DeprecationPiece {
                text,
                strong: false,
                href: None,
            },
            deprecation::Piece::Strong(text) => DeprecationPiece {
                text,
                strong: true,
                href: None,
            },
            deprecation::Piece::Event(event_type) => DeprecationPiece {
                href: Some(format!("#{}", event_anchor(&event_type))),
                text: event_type,
                strong: false,
            },
        })
        .collect()
}

/// Links to the schemas of the event's current version, relative to the page: one per
/// payload it has, and the request body of a client event.
fn schema_links(event: &EventDef) -> Vec<Link> {
    let mut links: Vec<Link> = PayloadKind::ALL
        .into_iter()
        .filter(|kind| kind.applies_to(event))
        .map(|kind| {
            let path = json_schema::event_schema_path(kind, &event.event_type, event.version);
            schema_link(kind.as_str(), &path)
        })
        .collect();
    if event.client {
        let path = json_schema::request_schema_path(&event.event_type, event.version);
        links.push(schema_link(json_schema::REQUEST, &path));
    }
    links
}

/// A link to the schema at `path` (relative to the schema directory), relative to the page.
fn schema_link(text: &str, path: &str) -> Link {
    // From the page's folder up to the root, then into the schemas.
    let up = "../".repeat(Path::new(PATH).components().count() - 1);
    Link {
        text: text.to_owned(),
        href: format!("{up}{}/{path}", json_schema::SCHEMA_DIR),
    }
}

/// Where a field row stands.
#[derive(Clone, Copy)]
enum Row {
    /// In the table of an event, stored or analytics-only (no notification payload).
    EventField { stored: bool },
    /// In the table of a named type.
    TypeField,
}

impl FieldView {
    fn new(catalog: &Catalog, field: &FieldDef, name: String, row: Row) -> Self {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let has_notification = !matches!(row, Row::EventField { stored: false });
        let (mut telemetry, telemetry_class) = match field.telemetry_slot() {
            None => ("dropped".to_owned(), "dropped"),
            Some(TelemetrySlot::Count) => (format!("counted as {}", field.count_key()), "counted"),
            Some(TelemetrySlot::Hash) => ("hashed".to_owned(), "hashed"),
            Some(TelemetrySlot::Derived) => ("kept, in derived_properties".to_owned(), "kept"),
            Some(TelemetrySlot::Value) => ("kept".to_owned(), "kept"),
        };
        if has_notification && !field.in_notification() {
            telemetry.push_str(" (telemetry only)");
        }
        Self {
            name,
            ty: field.ty.display(catalog).to_string(),
            type_href: type_href(catalog, &field.ty),
            optional: field.optional,
            sensitive: field.sensitive,
            notification: if has_notification {
                yes_no(field.in_notification())
            } else {
                "—"
            },
            telemetry,
            telemetry_class,
            deprecated: field.deprecated,
            scope: field.scope && matches!(row, Row::EventField { stored: true }),
            description: field.description.clone(),
        }
    }
}

/// The anchor of the enum or named type a type mentions.
fn type_href(catalog: &Catalog, ty: &FieldType) -> Option<String> {
    match *named_type(ty)? {
        FieldType::Object(id) => Some(format!("#{}", type_anchor(&catalog.type_def(id).name))),
        FieldType::Enum(id) => Some(format!("#{}", enum_anchor(&catalog.enum_def(id).name))),
        _ => None,
    }
}

impl EnumView {
    fn new(e: &EnumDef) -> Self {
        Self {
            anchor: enum_anchor(&e.name),
            name: e.name.clone(),
            description: e.description.clone(),
            variants: e.variants.iter().map(|v| v.value.clone()).collect(),
        }
    }
}

impl TypeView {
    fn new(catalog: &Catalog, t: &TypeDef) -> Self {
        Self {
            anchor: type_anchor(&t.name),
            name: t.name.clone(),
            description: t.description.clone(),
            fields: (t.fields.iter())
                .map(|f| FieldView::new(catalog, f, f.name.clone(), Row::TypeField))
                .collect(),
        }
    }
}
