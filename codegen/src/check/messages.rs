//! Chat messages: an event's `message` is a template that parses and reads only what its
//! notification payload has. Checked on the built catalog, which knows the payload shapes.

use super::Checker;
use crate::diagnostic::{Diagnostic, Rule};
use crate::message;
use crate::model::{Catalog, EventDef};
use crate::naming;
use crate::shape::BASE_FIELDS;
use crate::source::{Loc, Origin};

pub(super) fn check(checker: &mut Checker<'_>, catalog: &Catalog) {
    let definitions = checker.definitions;
    for (decl, event) in definitions.events.iter().zip(&catalog.events) {
        let Some(declared) = &decl.message else {
            continue;
        };
        let event_type = &event.event_type;
        if !event.stored {
            checker.error(
                Diagnostic::error(
                    Rule::Message,
                    format!("event `{event_type}` is analytics-only: it has no chat message"),
                )
                .label(&declared.origin, "never delivered to a chat app")
                .help("remove `message`, or make the event stored"),
            );
            continue;
        }
        match message::unknown_variables(catalog, event, &declared.value) {
            Err(error) => checker.error(
                Diagnostic::error(
                    Rule::Message,
                    format!("the message of `{event_type}` is not a valid template: {error}"),
                )
                .label(&declared.origin, "does not parse")
                .help("write minijinja syntax: `{{ project.name }}`, `{% if ... %}...{% endif %}`"),
            ),
            Ok(unknown) => {
                let known = known_paths(catalog, event);
                for name in unknown {
                    let suggestion = naming::closest(&name, known.iter().map(String::as_str));
                    let help = match suggestion {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!(
                            "a message reads the notification payload: {}",
                            known
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    checker.error(
                        Diagnostic::error(
                            Rule::Message,
                            format!(
                                "the message of `{event_type}` reads `{name}`, which its notification payload does not have"
                            ),
                        )
                        .label(&within(declared, &name), "unknown variable")
                        .help(help),
                    );
                }
            }
        }
    }
}

/// Where `name` is written in the message: its first occurrence, when the value is
/// written as a plain quoted string (its span is the text and two quotes, so offsets in
/// the text are offsets in the file); the whole value otherwise.
fn within(declared: &Loc<String>, name: &str) -> Origin {
    let origin = &declared.origin;
    let text = &declared.value;
    let plain = origin.span.len() == text.len() + 2;
    match text.find(name) {
        Some(at) if plain => Origin {
            file: origin.file,
            span: origin.span.start + 1 + at..origin.span.start + 1 + at + name.len(),
        },
        _ => origin.clone(),
    }
}

/// What the payload has: its top-level names, and each object's members by dotted path.
fn known_paths(catalog: &Catalog, event: &EventDef) -> Vec<String> {
    let shape = catalog.event_shape(event);
    let mut names: Vec<String> = BASE_FIELDS.iter().map(|name| (*name).to_owned()).collect();
    names.extend(
        shape
            .top_fields
            .iter()
            .filter(|f| f.in_notification())
            .map(|f| f.name.clone()),
    );
    let mut path = Vec::new();
    for object in &shape.objects {
        path.push(object.key);
        let prefix = path.join(".");
        names.extend(
            object
                .fields
                .iter()
                .filter(|f| f.in_notification())
                .map(|f| format!("{prefix}.{}", f.name)),
        );
    }
    names
}
