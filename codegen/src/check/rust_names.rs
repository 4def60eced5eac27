//! Generated Rust names: enums, types, layers and events (and their telemetry types)
//! share one module, so two definitions must not map to one name, nor take a name the
//! module reserves.

use std::collections::HashMap;

use super::Checker;
use crate::diagnostic::{Diagnostic, Rule};
use crate::model::{EnumDef, EventDef, Layer, TypeDef};
use crate::source::Origin;

/// Names the generated module declares itself (the catalog-wide enums) or uses from the
/// standard prelude without a path, which no definition may take.
const RESERVED: &[&str] = &[
    "AnalyticsEvent",
    "Box",
    "Event",
    "Option",
    "Result",
    "String",
    "Vec",
];

pub(crate) fn check(
    checker: &mut Checker<'_>,
    enums: &[EnumDef],
    types: &[TypeDef],
    layers: &[Layer],
    events: &[EventDef],
) {
    let definitions = enums
        .iter()
        .map(|e| ("enum", e.name.as_str(), e.rust_name.as_str(), &e.origin))
        .chain(
            types
                .iter()
                .map(|t| ("type", t.name.as_str(), t.rust_name.as_str(), &t.origin)),
        )
        .chain(
            layers
                .iter()
                .map(|l| ("layer", l.name.as_str(), l.rust_name.as_str(), &l.origin)),
        )
        .chain(events.iter().map(|e| {
            (
                "event",
                e.event_type.as_str(),
                e.rust_name.as_str(),
                &e.origin,
            )
        }));
    let capacity = 2 * (enums.len() + types.len() + layers.len() + events.len());
    // Each definition's Rust names: its type, and for all but enums its telemetry type.
    let mut seen: HashMap<String, (&str, &str, &Origin)> = HashMap::with_capacity(capacity);
    for (kind, name, rust_name, origin) in definitions {
        if RESERVED.contains(&rust_name) {
            checker.error(
                Diagnostic::error(
                    Rule::RustNameClash,
                    format!("{kind} `{name}` would generate the Rust type `{rust_name}`, which the generated module already uses"),
                )
                .label(origin, format!("becomes `{rust_name}`"))
                .help(format!("rename it: the generated module reserves {}", RESERVED.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", "))),
            );
            continue;
        }
        let telemetry = (kind != "enum").then(|| format!("{rust_name}Telemetry"));
        for generated in std::iter::once(rust_name.to_owned()).chain(telemetry) {
            let Some(&(first_kind, first_name, first_origin)) = seen.get(&generated) else {
                seen.insert(generated, (kind, name, origin));
                continue;
            };
            if first_kind == kind && first_name == name {
                continue; // the same name twice: reported as a duplicate already
            }
            checker.error(
                Diagnostic::error(
                    Rule::RustNameClash,
                    format!("{kind} `{name}` and {first_kind} `{first_name}` would both generate the Rust type `{generated}`"),
                )
                .label(origin, format!("generates `{generated}`"))
                .label(first_origin, format!("also generates `{generated}`"))
                .help("rename one of them so that their Rust names differ (a type, layer or event `x` also generates `XTelemetry`)"),
            );
            break; // one report per pair of definitions
        }
    }
}

/// An event struct holds `uuid`, `timestamp`, one member per layer of its chain (named
/// after the layer) and its own fields: these names must differ.
pub(crate) fn check_event_members(
    checker: &mut Checker<'_>,
    layers: &[Layer],
    events: &[EventDef],
) {
    for event in events {
        let chain = event
            .layer
            .map(|id| super::layers::chain(layers, id))
            .unwrap_or_default();
        for field in &event.fields {
            // `uuid` and `timestamp` are reported as reserved names (see `events`).
            let Some(layer) = chain
                .iter()
                .map(|id| &layers[id.0])
                .find(|layer| crate::naming::snake_case(&layer.name) == field.name)
            else {
                continue;
            };
            checker.error(
                Diagnostic::error(
                    Rule::RustNameClash,
                    format!(
                        "field `{}` of event `{}` clashes with layer `{}`'s member of the generated struct",
                        field.name, event.event_type, layer.name
                    ),
                )
                .label(&field.origin, "the same Rust field name")
                .label(&layer.origin, "the event struct holds this layer under that name")
                .help("rename the field: the event struct holds `uuid`, `timestamp` and its layers by name"),
            );
        }
    }
}
