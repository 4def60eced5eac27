//! The operational events (`src/operational.toml`): the event system's own events, which the
//! outbox records (a subscriber disabled, a delivery dead, a secret rotated). Every
//! catalog has them, after its own definitions, so that every output carries them (the
//! `event_types` rows, the columns, the schemas, the client types) whatever the front
//! end. Their names are reserved: a catalog's own definition of one is an error.

use crate::diagnostic::{Diagnostic, Diagnostics, Rule};
use crate::front;
use crate::ir::Definitions;
use crate::source::{BUILT_IN_TEXT, FileId, Loc};

/// The name of their root layer, the first segment of their event types, and the
/// prefix every name of theirs starts with.
const NAME: &str = "operational";

/// Whether `name` (of a layer, enum or type with `separator` `-`, of an event type with
/// `:`) is the operational events' root or starts with it.
fn is_reserved(name: &str, separator: char) -> bool {
    name.strip_prefix(NAME)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(separator))
}

/// `definitions` followed by the operational events. A declaration of the catalog's own
/// under a reserved name is reported and left out, so that it is reported once.
pub(super) fn with_operational(
    definitions: &Definitions,
    diagnostics: &mut Diagnostics,
) -> Definitions {
    let mut all = Definitions {
        catalogs: definitions.catalogs.clone(),
        unreadable: definitions.unreadable.clone(),
        unreadable_catalog: definitions.unreadable_catalog,
        ..Definitions::default()
    };
    let mut keep = |kind: &str, name: &Loc<String>, separator: char| {
        let reserved = is_reserved(&name.value, separator);
        if reserved {
            diagnostics.push(
                Diagnostic::error(
                    Rule::ReservedName,
                    format!("{kind} `{}` has a reserved name", name.value),
                )
                .label(&name.origin, "reserved for the operational events")
                .help(format!(
                    "names starting with `{NAME}` belong to the operational events every \
                     catalog has (the outbox records them): choose another name"
                )),
            );
        }
        !reserved
    };
    all.enums = definitions
        .enums
        .iter()
        .filter(|d| keep("enum", &d.name, '-'))
        .cloned()
        .collect();
    all.types = definitions
        .types
        .iter()
        .filter(|d| keep("type", &d.name, '-'))
        .cloned()
        .collect();
    all.layers = definitions
        .layers
        .iter()
        .filter(|d| keep("layer", &d.name, '-'))
        .cloned()
        .collect();
    all.events = definitions
        .events
        .iter()
        .filter(|d| keep("event", &d.event_type, ':'))
        .cloned()
        .collect();
    let mut own = Diagnostics::new();
    let operational = front::toml::parse(FileId::BUILT_IN, BUILT_IN_TEXT, &mut own);
    debug_assert!(own.is_empty(), "the operational events parse: {own:?}");
    all.merge(operational);
    all
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Rule;

    #[test]
    fn every_catalog_has_the_operational_events_after_its_own() {
        let loaded = crate::load_str(
            "a.toml",
            "[catalog]\nname = \"a\"\n[layers.project]\n[events.\"project:created\"]\n",
        );
        let catalog = loaded.catalog.expect("checks");
        let types: Vec<&str> = catalog
            .events
            .iter()
            .map(|e| e.event_type.as_str())
            .collect();
        assert_eq!(
            types,
            [
                "project:created",
                "operational:subscriber:disabled",
                "operational:subscriber:secret-rotated",
                "operational:subscriber:delivery:dead",
            ]
        );
    }

    #[test]
    fn a_reserved_name_is_an_error_at_the_catalogs_declaration() {
        let text = "[catalog]\nname = \"a\"\n[layers.operational-x]\n[events.\"operational:x\"]\n[enums.operational]\nvariants = [\"A\"]\n";
        let loaded = crate::load_str("a.toml", text);
        let reserved: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.rule == Rule::ReservedName)
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(
            reserved,
            [
                "enum `operational` has a reserved name",
                "layer `operational-x` has a reserved name",
                "event `operational:x` has a reserved name",
            ]
        );
        let rendered = loaded.render(crate::diagnostic::Style::Plain);
        assert!(rendered.contains("a.toml:3:"), "{rendered}");
        // Names that only start alike are the catalog's own.
        let text =
            "[catalog]\nname = \"a\"\n[layers.operationally]\n[events.\"operationally:x\"]\n";
        assert!(crate::load_str("a.toml", text).catalog.is_some());
    }
}
