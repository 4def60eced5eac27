//! Generated Rust names: enums, types, layers and events share one module, so two
//! definitions must not map to one name.

use std::collections::HashMap;

use super::Checker;
use crate::diagnostic::{Diagnostic, Rule};
use crate::model::{EnumDef, EventDef, Layer, TypeDef};
use crate::source::Origin;

pub(crate) fn check(
    checker: &mut Checker<'_>,
    enums: &[EnumDef],
    types: &[TypeDef],
    layers: &[Layer],
    events: &[EventDef],
) {
    let items = enums
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
    let mut seen: HashMap<&str, (&str, &str, &Origin)> = HashMap::new();
    for (kind, name, rust_name, origin) in items {
        let Some(&(first_kind, first_name, first_origin)) = seen.get(rust_name) else {
            seen.insert(rust_name, (kind, name, origin));
            continue;
        };
        if first_kind == kind && first_name == name {
            continue; // the same name twice: reported as a duplicate already
        }
        checker.error(
            Diagnostic::error(
                Rule::RustNameClash,
                format!("{kind} `{name}` and {first_kind} `{first_name}` would both generate the Rust type `{rust_name}`"),
            )
            .label(origin, format!("becomes `{rust_name}`"))
            .label(first_origin, format!("also becomes `{rust_name}`"))
            .help("rename one of them so that their Rust names differ"),
        );
    }
}
