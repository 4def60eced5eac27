//! Generated Rust names: enums, types, layers and events (and their telemetry types)
//! share one module, so two definitions must not map to one name, nor take a name the
//! module reserves.

use std::collections::HashMap;

use super::{Checker, Kind};
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

/// A definition as the generated module names it.
#[derive(Clone, Copy)]
struct Named<'d> {
    kind: Kind,
    name: &'d str,
    rust_name: &'d str,
    origin: &'d Origin,
}

pub(crate) fn check(
    checker: &mut Checker<'_>,
    enums: &[EnumDef],
    types: &[TypeDef],
    layers: &[Layer],
    events: &[EventDef],
) {
    let named = |kind, name, rust_name, origin| Named {
        kind,
        name,
        rust_name,
        origin,
    };
    let definitions = enums
        .iter()
        .map(|e| named(Kind::Enum, &e.name, &e.rust_name, &e.origin))
        .chain(
            types
                .iter()
                .map(|t| named(Kind::NamedType, &t.name, &t.rust_name, &t.origin)),
        )
        .chain(
            layers
                .iter()
                .map(|l| named(Kind::Layer, &l.name, &l.rust_name, &l.origin)),
        )
        .chain(
            events
                .iter()
                .map(|e| named(Kind::Event, &e.event_type, &e.rust_name, &e.origin)),
        );
    let versions: HashMap<&str, &EventDef> =
        events.iter().map(|e| (e.rust_name.as_str(), e)).collect();
    let capacity = 2 * (enums.len() + types.len() + layers.len() + events.len());
    // Each definition's Rust names: its type, and for all but enums its telemetry type.
    let mut seen: HashMap<String, Named<'_>> = HashMap::with_capacity(capacity);
    for definition in definitions {
        if RESERVED.contains(&definition.rust_name) {
            reserved(checker, &definition);
            continue;
        }
        versioned_clash(checker, &definition, &versions);
        let rust_name = definition.rust_name;
        let telemetry = (definition.kind != Kind::Enum).then(|| format!("{rust_name}Telemetry"));
        for generated in std::iter::once(rust_name.to_owned()).chain(telemetry) {
            let Some(first) = seen.get(&generated) else {
                seen.insert(generated, definition);
                continue;
            };
            if first.kind == definition.kind && first.name == definition.name {
                continue; // the same name twice: reported as a duplicate already
            }
            clash(checker, &definition, first, &generated);
            break; // one report per pair of definitions
        }
    }
}

/// The client files name each version of an event's payloads `<Event>V<n>` (and
/// `<Event>V<n>Telemetry`), n up to its version: a definition may not take such a name.
fn versioned_clash(
    checker: &mut Checker<'_>,
    definition: &Named<'_>,
    versions: &HashMap<&str, &EventDef>,
) {
    let name = definition.rust_name;
    let versioned = name.strip_suffix("Telemetry").unwrap_or(name);
    let Some((event_name, digits)) = versioned.rsplit_once('V') else {
        return;
    };
    let Ok(version) = digits.parse::<u32>() else {
        return;
    };
    let Some(event) = versions.get(event_name) else {
        return;
    };
    if version == 0 || version > event.version || digits.starts_with('0') {
        return;
    }
    checker.error(
        Diagnostic::error(
            Rule::RustNameClash,
            format!(
                "{} `{}` would generate the type `{name}`, which the client types give version \
                 {version} of event `{}`",
                definition.kind, definition.name, event.event_type
            ),
        )
        .label(definition.origin, format!("generates `{name}`"))
        .label(&event.origin, format!("its version {version} is `{name}`"))
        .help("rename it: an event `x` at version n also has the client types `XV1` to `XVn`"),
    );
}

/// A definition would take a name the generated module uses itself.
fn reserved(checker: &mut Checker<'_>, definition: &Named<'_>) {
    let Named {
        kind,
        name,
        rust_name,
        origin,
    } = definition;
    checker.error(
        Diagnostic::error(
            Rule::RustNameClash,
            format!("{kind} `{name}` would generate the Rust type `{rust_name}`, which the generated module already uses"),
        )
        .label(origin, format!("becomes `{rust_name}`"))
        .help(format!("rename it: the generated module reserves {}", RESERVED.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", "))),
    );
}

/// Two definitions would generate one Rust type.
fn clash(checker: &mut Checker<'_>, definition: &Named<'_>, first: &Named<'_>, generated: &str) {
    checker.error(
        Diagnostic::error(
            Rule::RustNameClash,
            format!(
                "{} `{}` and {} `{}` would both generate the Rust type `{generated}`",
                definition.kind, definition.name, first.kind, first.name
            ),
        )
        .label(definition.origin, format!("generates `{generated}`"))
        .label(first.origin, format!("also generates `{generated}`"))
        .help("rename one of them so that their Rust names differ (a type, layer or event `x` also generates `XTelemetry`)"),
    );
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
            .map(|id| crate::model::layer_chain(layers, id))
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
