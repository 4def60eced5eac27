//! The catalog as people read it: a tree of layers and their events, or the same as JSON.

use serde::Serialize;

use event_codegen::model::{Catalog, EventDef, LayerId};

/// The catalog's hierarchy with its events and the counts of each kind.
#[derive(Debug, Serialize)]
pub(crate) struct CatalogView {
    /// The catalog's name.
    pub catalog: String,
    /// How many events of each kind.
    pub counts: Counts,
    /// Root layers, each with its events and child layers.
    pub layers: Vec<LayerView>,
    /// Analytics-only events outside the hierarchy.
    pub unlayered_events: Vec<EventView>,
}

/// Event counts.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Rows of `event_types`: recorded and delivered.
    pub stored: usize,
    /// Sent to analytics only.
    pub analytics_only: usize,
    /// Analytics-only events that front-end clients may relay.
    pub client: usize,
    /// Deprecated events.
    pub deprecated: usize,
    /// All events (the analytics enum).
    pub total: usize,
    /// Layers.
    pub layers: usize,
}

/// One layer.
#[derive(Debug, Serialize)]
pub(crate) struct LayerView {
    /// Its name.
    pub name: String,
    /// The event type prefix it owns.
    pub path: String,
    /// Its payload object's key.
    pub key: String,
    /// Contributes no segment.
    #[serde(rename = "abstract")]
    pub is_abstract: bool,
    /// Merges into its parent's object.
    pub inline: bool,
    /// Its events.
    pub events: Vec<EventView>,
    /// Its child layers.
    pub children: Vec<LayerView>,
}

/// One event.
#[derive(Debug, Serialize)]
pub(crate) struct EventView {
    /// The event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Recorded and delivered.
    pub stored: bool,
    /// Relayable from front-end clients.
    pub client: bool,
    /// Deprecated.
    pub deprecated: bool,
    /// Payload version.
    pub version: u32,
}

impl CatalogView {
    /// The view of a checked catalog.
    pub(crate) fn new(catalog: &Catalog) -> Self {
        let events = &catalog.events;
        Self {
            catalog: catalog.name.clone(),
            counts: Counts {
                stored: catalog.stored_events().count(),
                analytics_only: catalog.analytics_only_events().count(),
                client: events.iter().filter(|e| e.client).count(),
                deprecated: events.iter().filter(|e| e.deprecated.is_some()).count(),
                total: events.len(),
                layers: catalog.layers.len(),
            },
            layers: catalog
                .children(None)
                .map(|id| layer_view(catalog, id))
                .collect(),
            unlayered_events: events
                .iter()
                .filter(|e| e.layer.is_none())
                .map(event_view)
                .collect(),
        }
    }

    /// Pretty JSON.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the view serializes") + "\n"
    }

    /// A text tree of layers and events with their markers.
    pub(crate) fn to_tree(&self) -> String {
        let c = &self.counts;
        let mut out = format!(
            "{}: {} events ({} stored, {} analytics-only of which {} client; {} deprecated)\n",
            self.catalog, c.total, c.stored, c.analytics_only, c.client, c.deprecated
        );
        let mut nodes: Vec<Node<'_>> = self.layers.iter().map(Node::Layer).collect();
        if !self.unlayered_events.is_empty() {
            nodes.push(Node::Unlayered(&self.unlayered_events));
        }
        write_nodes(&mut out, &nodes, "");
        out
    }
}

enum Node<'a> {
    Layer(&'a LayerView),
    Event(&'a EventView),
    Unlayered(&'a [EventView]),
}

fn write_nodes(out: &mut String, nodes: &[Node<'_>], indent: &str) {
    for (i, node) in nodes.iter().enumerate() {
        let last = i + 1 == nodes.len();
        let (branch, next_indent) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        out.push_str(indent);
        out.push_str(branch);
        let children: Vec<Node<'_>> = match node {
            Node::Layer(layer) => {
                let mut markers = Vec::new();
                if layer.inline {
                    markers.push("inline".to_owned());
                } else {
                    markers.push(format!("key {}", layer.key));
                }
                if layer.is_abstract {
                    markers.push("abstract".to_owned());
                }
                out.push_str(&format!("{}  [{}]\n", layer.name, markers.join(", ")));
                layer
                    .events
                    .iter()
                    .map(Node::Event)
                    .chain(layer.children.iter().map(Node::Layer))
                    .collect()
            }
            Node::Event(event) => {
                out.push_str(&format!(
                    "{}  ({})\n",
                    event.event_type,
                    event_markers(event)
                ));
                Vec::new()
            }
            Node::Unlayered(events) => {
                out.push_str("(outside the hierarchy)\n");
                events.iter().map(Node::Event).collect()
            }
        };
        write_nodes(out, &children, &format!("{indent}{next_indent}"));
    }
}

fn event_markers(event: &EventView) -> String {
    let mut markers = vec![
        if event.stored {
            "stored"
        } else {
            "analytics-only"
        }
        .to_owned(),
    ];
    if event.client {
        markers.push("client".to_owned());
    }
    if event.deprecated {
        markers.push("deprecated".to_owned());
    }
    if event.version > 1 {
        markers.push(format!("v{}", event.version));
    }
    markers.join(", ")
}

fn layer_view(catalog: &Catalog, id: LayerId) -> LayerView {
    let layer = catalog.layer(id);
    LayerView {
        name: layer.name.clone(),
        path: layer.path.clone(),
        key: layer.key.clone(),
        is_abstract: layer.is_abstract,
        inline: layer.inline,
        events: catalog
            .events
            .iter()
            .filter(|e| e.layer == Some(id))
            .map(event_view)
            .collect(),
        children: catalog
            .children(Some(id))
            .map(|child| layer_view(catalog, child))
            .collect(),
    }
}

fn event_view(event: &EventDef) -> EventView {
    EventView {
        event_type: event.event_type.clone(),
        stored: event.stored,
        client: event.client,
        deprecated: event.deprecated.is_some(),
        version: event.version,
    }
}
