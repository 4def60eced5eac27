//! Synthetic catalogs of any size, for benchmarks and stress tests.
//!
//! [`catalog`] writes a definitions file shaped like a real one (the reference catalog
//! in `definitions/orchest.toml`), scaled to a given number of stored events: a
//! `[catalog]`, enums and named types, then a hierarchy that grows with the event count,
//! then the events. The checker accepts it with no error and no warning, so a benchmark
//! of checking or of a generator measures the work done on valid input, not the
//! reporting of problems.
//!
//! The hierarchy is made of *families* of eight layers, one family per
//! [`EVENTS_PER_FAMILY`] stored events:
//!
//! ```text
//! project-0                      root, scope uuid, sensitive name, list<tag> counted
//! ├── project-0-job              abstract, key `job`, enum status
//! │   ├── project-0-one-off      inline (segment `one-off`)
//! │   │   └── project-0-one-off-run    segment `run`, key `run`, map<json> counted
//! │   └── project-0-cron         inline (segment `cron`)
//! │       └── project-0-cron-run       segment `run`, key `run` (shares run_* columns)
//! └── project-0-environment      segment/key `environment`, map<build> counted
//!     └── project-0-image-build  segment `image-build`, telemetry-only fields
//! ```
//!
//! Each of the seven concrete layers gets [`EVENTS_PER_LAYER`] events (`created`,
//! `updated` with a `change-list`, `failed` with a counted `list<step>`, ...); the root's
//! `archived` event is deprecated in favour of its `deleted` event. On top of the stored
//! events come [`analytics_events`]`(events)` analytics-only events: half of them under
//! a root layer, half outside the hierarchy and relayed from clients.
//!
//! The text is deterministic: the same count always gives the same text.
//!
//! ```
//! let text = synthetic_catalog::catalog(100);
//! let loaded = event_codegen::load_str("synthetic.toml", text);
//! assert!(loaded.diagnostics.is_empty());
//! let catalog = loaded.catalog.expect("a valid catalog");
//! let own = catalog.events.iter().filter(|e| !e.is_operational());
//! assert_eq!(own.count(), synthetic_catalog::total_events(100));
//! assert_eq!(catalog.stored_events().count(), 100 + 3, "and the operational events");
//! ```

use std::fmt::Write as _;

/// Stored events per concrete layer (the last layers of the last family may get fewer).
pub const EVENTS_PER_LAYER: usize = 10;

/// Concrete (event-bearing) layers per family.
const CONCRETE_LAYERS: usize = 7;

/// Stored events per family of layers: each family has seven concrete layers (and one
/// abstract one), each with [`EVENTS_PER_LAYER`] events.
pub const EVENTS_PER_FAMILY: usize = CONCRETE_LAYERS * EVENTS_PER_LAYER;

/// Layers per family (seven concrete, one abstract).
pub const LAYERS_PER_FAMILY: usize = CONCRETE_LAYERS + 1;

/// Root layer names; a family's root is one of these followed by a number.
const ROOTS: &[&str] = &[
    "project",
    "workspace",
    "team",
    "billing-account",
    "dataset",
    "model",
    "notebook",
    "cluster",
    "report",
    "dashboard",
    "secret-store",
    "integration",
];

/// The event actions, one per event of a layer ([`EVENTS_PER_LAYER`] of them).
const ACTIONS: [&str; EVENTS_PER_LAYER] = [
    "created",
    "updated",
    "deleted",
    "started",
    "succeeded",
    "failed",
    "cancelled",
    "paused",
    "resumed",
    "archived",
];

/// Number of analytics-only events in `catalog(events)`, on top of the stored ones.
pub fn analytics_events(events: usize) -> usize {
    events / 20
}

/// Total number of events `catalog(events)` declares: `events` stored plus the
/// analytics-only ones (the checked catalog has the 3 operational events besides).
pub fn total_events(events: usize) -> usize {
    events + analytics_events(events)
}

/// Number of layer families in `catalog(events)` (at least one).
pub fn families(events: usize) -> usize {
    events.div_ceil(EVENTS_PER_FAMILY).max(1)
}

/// Number of layers in `catalog(events)`.
pub fn layers(events: usize) -> usize {
    families(events) * LAYERS_PER_FAMILY
}

/// A definitions TOML text with exactly `events` stored events (plus
/// [`analytics_events`]`(events)` analytics-only ones) spread over [`layers`]`(events)`
/// layers. It checks clean: no error, no warning. See the [module docs](self) for its shape.
pub fn catalog(events: usize) -> String {
    // Roughly 200 bytes per event, 1.5 KB per family of layers.
    let mut out = String::with_capacity(2048 + events * 220 + families(events) * 1600);
    header(&mut out, events);
    for family in 0..families(events) {
        layer_family(&mut out, family);
    }
    for index in 0..events {
        stored_event(&mut out, index);
    }
    for index in 0..analytics_events(events) {
        analytics_event(&mut out, index, families(events));
    }
    out
}

/// The kebab-case name of a family's root layer: `project-0`, `workspace-0`, ...
fn root_name(family: usize) -> String {
    format!("{}-{}", ROOTS[family % ROOTS.len()], family / ROOTS.len())
}

fn header(out: &mut String, events: usize) {
    let _ = write!(
        out,
        r#"#:schema ./definitions.schema.json

# A synthetic catalog: {events} stored events, {analytics} analytics-only events,
# {layers} layers. Written by `event_codegen::synthetic::catalog`.

[catalog]
name = "synthetic"
schema_base = "https://schemas.example.com/synthetic/"
description = "A synthetic catalog shaped like a real one, for benchmarks."

# ---- enums --------------------------------------------------------------------

[enums.job-status]
description = "Status of a job."
variants = ["DRAFT", "PENDING", "STARTED", "PAUSED", "SUCCESS", "ABORTED", "FAILURE"]

[enums.run-status]
description = "Status of a run."
variants = ["PENDING", "STARTED", "SUCCESS", "FAILURE", "ABORTED"]

[enums.change-type]
description = "Kind of change made to one property."
variants = ["CREATED", "UPDATED", "DELETED"]

[enums.severity]
description = "How bad a failure is."
variants = ["LOW", "MEDIUM", "HIGH", "CRITICAL"]

# ---- named types ----------------------------------------------------------------

[types.step]
description = "A step of a pipeline."
fields.uuid = {{ type = "uuid", description = "UUID of the step." }}
fields.title = {{ type = "string", sensitive = true, description = "Title of the step." }}

[types.tag]
description = "A label attached to an entity."
fields.key = {{ type = "string" }}
fields.value = {{ type = "string", optional = true, sensitive = true }}

[types.change]
description = "One change made to a property by an update."
fields.type = {{ type = "change-type", description = "Whether the property was created, updated or deleted." }}
fields.changed_object = {{ type = "string", description = "Name of the property that changed." }}
fields.old_value = {{ type = "json", optional = true, sensitive = true }}
fields.new_value = {{ type = "json", optional = true, sensitive = true }}

[types.change-list]
description = "The changes made by one update."
fields.changes = {{ type = "list<change>", description = "One per changed property." }}

[types.build]
description = "A build of an image."
fields.tag = {{ type = "int" }}
fields.status = {{ type = "run-status" }}
fields.log_lines = {{ type = "list<string>", sensitive = true, telemetry = "count" }}
fields.steps = {{ type = "map<list<step>>", optional = true }}

# ---- layers -----------------------------------------------------------------------
"#,
        analytics = analytics_events(events),
        layers = layers(events),
    );
}

fn layer_family(out: &mut String, family: usize) {
    let root = root_name(family);
    // Alternate a few shapes so that families are not all alike.
    let region = if family.is_multiple_of(3) {
        "fields.region = { type = \"string\", optional = true, description = \"Where it is hosted.\" }\n"
    } else {
        ""
    };
    let priority = if family.is_multiple_of(2) {
        "fields.priority = { type = \"float\", optional = true }\n"
    } else {
        ""
    };
    let _ = write!(
        out,
        r#"
[layers.{root}]
description = "A {root}: the root of one family of layers."
fields.uuid = {{ type = "uuid", scope = true, description = "UUID of the {root}." }}
fields.name = {{ type = "string", sensitive = true, description = "Name of the {root}." }}
fields.tags = {{ type = "list<tag>", telemetry = "count" }}
{region}
[layers.{root}-job]
description = "A job of a {root}."
parent = "{root}"
abstract = true
key = "job"
fields.uuid = {{ type = "uuid", scope = true, description = "UUID of the job." }}
fields.status = {{ type = "job-status" }}
fields.owner = {{ type = "string", sensitive = true, telemetry = "hash" }}
{priority}
[layers.{root}-one-off]
description = "A job of a {root} that runs once."
parent = "{root}-job"
inline = true
segment = "one-off"
fields.total_runs = {{ type = "int", description = "Number of runs of the job." }}
fields.parameters = {{ type = "map<json>", sensitive = true, telemetry = "count" }}

[layers.{root}-cron]
description = "A job of a {root} that runs on a schedule."
parent = "{root}-job"
inline = true
segment = "cron"
fields.schedule = {{ type = "string", description = "Cron expression." }}
fields.next_run = {{ type = "timestamp", optional = true }}

[layers.{root}-one-off-run]
description = "A run of a one-off job of a {root}."
parent = "{root}-one-off"
segment = "run"
key = "run"
fields.uuid = {{ type = "uuid", description = "UUID of the run." }}
fields.status = {{ type = "run-status" }}
fields.parameters = {{ type = "map<json>", sensitive = true, telemetry = "count" }}
fields.steps = {{ type = "list<step>", telemetry = "count" }}

[layers.{root}-cron-run]
description = "A run of a cron job of a {root}."
parent = "{root}-cron"
segment = "run"
key = "run"
fields.uuid = {{ type = "uuid", description = "UUID of the run." }}
fields.status = {{ type = "run-status" }}
fields.index = {{ type = "int", description = "Number of the run within its job." }}

[layers.{root}-environment]
description = "An environment of a {root}."
parent = "{root}"
segment = "environment"
key = "environment"
fields.uuid = {{ type = "uuid", scope = true }}
fields.name = {{ type = "string", optional = true, sensitive = true }}
fields.builds = {{ type = "map<build>", telemetry = "count" }}

[layers.{root}-image-build]
description = "A build of the image of an environment of a {root}."
parent = "{root}-environment"
segment = "image-build"
key = "image_build"
fields.image_tag = {{ type = "int", notification = false, column = "image_tag" }}
fields.started_time = {{ type = "timestamp", optional = true, notification = false }}
fields.finished_time = {{ type = "timestamp", optional = true, notification = false }}
"#
    );
}

/// The event type prefix (layer path) of concrete layer `layer` (0..7) of a family.
fn layer_path(root: &str, layer: usize) -> String {
    match layer {
        0 => root.to_owned(),
        1 => format!("{root}:one-off"),
        2 => format!("{root}:cron"),
        3 => format!("{root}:one-off:run"),
        4 => format!("{root}:cron:run"),
        5 => format!("{root}:environment"),
        _ => format!("{root}:environment:image-build"),
    }
}

fn stored_event(out: &mut String, index: usize) {
    let family = index / EVENTS_PER_FAMILY;
    let layer = index % EVENTS_PER_FAMILY / EVENTS_PER_LAYER;
    let action = ACTIONS[index % EVENTS_PER_LAYER];
    let root = root_name(family);
    let path = layer_path(&root, layer);
    let what = path.replace(':', " ");
    if index.is_multiple_of(EVENTS_PER_FAMILY) {
        let _ = write!(
            out,
            "\n# ---- {root} {}\n",
            "-".repeat(70usize.saturating_sub(root.len()))
        );
    }
    let _ = write!(
        out,
        "\n[events.\"{path}:{action}\"]\ndescription = \"A {what} was {action}.\"\n"
    );
    match action {
        "updated" => out.push_str(
            "fields.update = { type = \"change-list\", description = \"The changes made.\" }\n",
        ),
        "deleted" => out.push_str(
            "fields.remaining = { type = \"int\", notification = false, description = \"How many are left.\" }\n",
        ),
        "started" => {
            out.push_str("fields.attempt = { type = \"int\", optional = true }\n");
            if index.is_multiple_of(3) {
                out.push_str("version = 2\n");
            }
        }
        "failed" => out.push_str(
            "fields.failed_steps = { type = \"list<step>\", telemetry = \"count\" }\n\
             fields.reason = { type = \"string\", optional = true, sensitive = true, description = \"Why it failed.\" }\n\
             fields.severity = { type = \"severity\" }\n",
        ),
        "archived" if layer == 0 => {
            let _ = writeln!(
                out,
                "deprecated = {{ since = \"2.{}.0\", note = \"use {path}:deleted\", \
                 replaced_by = \"{path}:deleted\", sunset = \"2027-06-30\" }}",
                family % 10
            );
        }
        _ => {}
    }
}

fn analytics_event(out: &mut String, index: usize, families: usize) {
    if index == 0 {
        out.push_str(
            "\n# ---- analytics only -------------------------------------------------------\n",
        );
    }
    if index.is_multiple_of(2) {
        // Under a root layer: its fields sit in the layer's object.
        let root = root_name(index / 2 % families);
        let _ = write!(
            out,
            "\n[events.\"{root}:viewed-{index}\"]\n\
             description = \"A page of a {root} was viewed.\"\n\
             stored = false\n\
             fields.page = {{ type = \"string\" }}\n\
             fields.duration_ms = {{ type = \"int\", optional = true }}\n"
        );
    } else {
        // Outside the hierarchy, relayed from clients: fields at the top of the payload.
        let _ = write!(
            out,
            "\n[events.\"ui:clicked-{index}\"]\n\
             description = \"A control of the web UI was clicked.\"\n\
             stored = false\n\
             client = true\n\
             fields.element = {{ type = \"string\" }}\n\
             fields.label = {{ type = \"string\", optional = true, sensitive = true }}\n"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(events: usize) -> event_codegen::Loaded {
        event_codegen::load_str("synthetic.toml", catalog(events))
    }

    #[test]
    fn checks_clean_with_the_expected_counts() {
        let loaded = check(500);
        assert!(
            loaded.diagnostics.is_empty(),
            "{}",
            loaded.render(event_codegen::diagnostic::Style::Plain)
        );
        let catalog = loaded.catalog.as_ref().expect("a catalog");
        assert_eq!(catalog.events.len(), total_events(500) + OPERATIONAL);
        assert_eq!(catalog.events.len(), 525 + OPERATIONAL);
        assert_eq!(catalog.stored_events().count(), 500 + OPERATIONAL);
        assert_eq!(catalog.analytics_only_events().count(), 25);
        assert_eq!(catalog.layers.len(), layers(500) + OPERATIONAL_LAYERS);
        assert_eq!(catalog.layers.len(), 8 * 8 + OPERATIONAL_LAYERS);
        assert!(catalog.events.iter().any(|e| e.deprecated.is_some()));
        assert!(catalog.events.iter().any(|e| e.client));
        assert!(catalog.events.iter().any(|e| e.version == 2));
        // Events spread over every concrete layer of the full families.
        let with_events: std::collections::HashSet<_> =
            catalog.events.iter().filter_map(|e| e.layer).collect();
        assert_eq!(
            with_events.len(),
            500 / EVENTS_PER_LAYER + 2,
            "and 2 operational layers"
        );
    }

    /// The operational events and layers every catalog has besides its own.
    const OPERATIONAL: usize = 3;
    const OPERATIONAL_LAYERS: usize = 3;

    #[test]
    fn small_and_odd_sizes_check_clean() {
        for events in [0, 1, 9, 69, 70, 71, 141] {
            let loaded = check(events);
            assert!(
                loaded.diagnostics.is_empty(),
                "{events}: {}",
                loaded.render(event_codegen::diagnostic::Style::Plain)
            );
            let catalog = loaded.catalog.expect("a catalog");
            assert_eq!(catalog.stored_events().count(), events + OPERATIONAL);
            assert_eq!(catalog.events.len(), total_events(events) + OPERATIONAL);
        }
    }

    #[test]
    fn deterministic() {
        assert_eq!(catalog(300), catalog(300));
    }
}
