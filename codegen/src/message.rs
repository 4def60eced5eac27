//! Chat messages: the text chat apps (Slack, Discord, Microsoft Teams) show for a stored
//! event, a minijinja template over its notification payload. An event declares it as
//! `message`; without one it gets a default made from its definition (see
//! [`default_template`]). The checker matches every variable a template reads against the
//! notification payload's shape ([`unknown_variables`]); the outbox renders it at delivery
//! time.

use std::collections::BTreeMap;

use crate::model::{Catalog, EventDef, FieldDef, FieldType};
use crate::shape::{BASE_FIELDS, EventShape};

/// The event's message template: the declared one, or the default.
pub fn template(catalog: &Catalog, event: &EventDef) -> String {
    match &event.message {
        Some(message) => message.clone(),
        None => default_template(catalog, event),
    }
}

/// The default message of an event without one: its description (or, without one, its
/// type in words: `project:pipeline:created` is "Project pipeline created"), then the
/// `name` of each object of its payload that has one, labelled with the object's key:
/// `A pipeline was created. (project: {{ project.name }}, pipeline: {{ pipeline.name }})`.
/// An optional name shows only when the payload has it.
pub fn default_template(catalog: &Catalog, event: &EventDef) -> String {
    let lead = match event.description.as_deref().map(str::trim) {
        Some(description) if !description.is_empty() => description.to_owned(),
        _ => humanize_type(&event.event_type),
    };
    let shape = catalog.event_shape(event);
    let mut names = Vec::new();
    let mut path = Vec::new();
    for object in &shape.objects {
        path.push(object.key);
        let name = object
            .fields
            .iter()
            .find(|f| f.name == "name" && f.in_notification());
        if let Some(field) = name {
            let variable = format!("{}.name", path.join("."));
            let label = object.key.replace('_', " ");
            names.push((label, variable, field.optional));
        }
    }
    let mut template = literal(&lead);
    if !names.is_empty() {
        let parts: Vec<String> = names
            .iter()
            .map(|(label, variable, optional)| {
                let shown = format!("{}: {{{{ {variable} }}}}", literal(label));
                if *optional {
                    format!("{{% if {variable} %}}{shown}{{% endif %}}")
                } else {
                    shown
                }
            })
            .collect();
        // Separators between optional parts would dangle: all are plain when none is
        // optional, which is the common case.
        if names.iter().any(|(_, _, optional)| *optional) {
            template.push_str(" (");
            template.push_str(&parts.join(" "));
            template.push(')');
        } else {
            template.push_str(&format!(" ({})", parts.join(", ")));
        }
    }
    template
}

/// `project:one-off-job:created` in words: "Project one-off job created".
fn humanize_type(event_type: &str) -> String {
    let words = event_type.replace([':', '-'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Text shown as is: a raw block when it holds template syntax.
fn literal(text: &str) -> String {
    if text.contains("{{") || text.contains("{%") || text.contains("{#") {
        format!("{{% raw %}}{text}{{% endraw %}}")
    } else {
        text.to_owned()
    }
}

/// What a template reads that the event's notification payload does not have, as written
/// (`project.nme`), sorted; the parse error when it does not parse.
pub fn unknown_variables(
    catalog: &Catalog,
    event: &EventDef,
    template: &str,
) -> Result<Vec<String>, String> {
    let env = environment();
    let compiled = env
        .template_from_str(template)
        .map_err(|error| error.to_string())?;
    let tree = payload_tree(catalog, &catalog.event_shape(event));
    let globals: Vec<&str> = env.globals().map(|(name, _)| name).collect();
    let mut unknown: Vec<String> = compiled
        .undeclared_variables(true)
        .into_iter()
        .filter(|path| {
            let root = path.split('.').next().unwrap_or_default();
            !globals.contains(&root) && !tree.has(path.split('.'))
        })
        .collect();
    unknown.sort();
    Ok(unknown)
}

/// The environment templates are checked and rendered in, configured as the outbox
/// renders them: no escaping, absent members chain to nothing, and absent or null values
/// render as nothing.
fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    env.set_formatter(|out, state, value| {
        if value.is_none() || value.is_undefined() {
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env
}

/// The template rendered over `payload` (a notification payload) and trimmed, as a chat
/// delivery shows it; `None` when it fails or renders to nothing.
pub fn render(template: &str, payload: &serde_json::Value) -> Option<String> {
    let env = environment();
    let text = env
        .render_str(
            template,
            minijinja::Value::from(minijinja::value::Serde(payload)),
        )
        .ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// What a template may read below a name.
#[derive(Debug)]
enum Node {
    /// Nothing: a scalar, or a list (read with a loop or an index).
    Leaf,
    /// Any key: a map or JSON.
    Open,
    /// These members.
    Object(BTreeMap<String, Node>),
}

impl Node {
    fn has<'a>(&self, mut path: impl Iterator<Item = &'a str>) -> bool {
        let Some(name) = path.next() else {
            return true;
        };
        match self {
            Node::Leaf => false,
            Node::Open => true,
            Node::Object(members) => members.get(name).is_some_and(|node| node.has(path)),
        }
    }
}

/// The notification payload's members, as a tree.
fn payload_tree(catalog: &Catalog, shape: &EventShape<'_>) -> Node {
    let mut members: BTreeMap<String, Node> = BASE_FIELDS
        .iter()
        .map(|name| ((*name).to_owned(), Node::Leaf))
        .collect();
    let mut state = ();
    let nested = shape.nest(
        &mut state,
        |_, field| {
            field
                .in_notification()
                .then(|| (field.name.clone(), field_node(catalog, field, 0)))
        },
        |_, object, inner| {
            (
                object.key.to_owned(),
                Node::Object(inner.into_iter().collect()),
            )
        },
    );
    members.extend(nested);
    Node::Object(members)
}

/// Deepest nesting of named types followed: deeper reads are allowed unchecked (named
/// types may refer to themselves).
const MAX_DEPTH: usize = 16;

fn field_node(catalog: &Catalog, field: &FieldDef, depth: usize) -> Node {
    type_node(catalog, &field.ty, depth)
}

fn type_node(catalog: &Catalog, ty: &FieldType, depth: usize) -> Node {
    match ty {
        FieldType::Json | FieldType::Map(_) => Node::Open,
        FieldType::Object(_) if depth >= MAX_DEPTH => Node::Open,
        FieldType::Object(id) => Node::Object(
            catalog
                .type_def(*id)
                .fields
                .iter()
                .filter(|f| f.in_notification())
                .map(|f| (f.name.clone(), field_node(catalog, f, depth + 1)))
                .collect(),
        ),
        _ => Node::Leaf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFINITIONS: &str = r#"
[catalog]
name = "demo"

[types.step]
description = "A step."
fields.title = { type = "string", description = "Its title." }
fields.next = { type = "step", optional = true, description = "The next step." }

[layers.project]
description = "A project."
fields.name = { type = "string", description = "Its name." }

[layers.run]
description = "A run."
parent = "project"
key = "the_run"
fields.name = { type = "string", optional = true, description = "Its name." }
fields.secret = { type = "string", notification = false, description = "Telemetry only." }

[events."project:run:failed"]
description = "A run failed."
fields.step = { type = "step", description = "The step." }
fields.steps = { type = "list<step>", description = "Every step." }
fields.labels = { type = "map<string>", description = "Labels." }
fields.error = { type = "json", description = "The error." }

[events."project:run:odd"]
description = "Shows {{ braces }}."

[events."project:run:retried-twice"]
fields.count = { type = "int", description = "A count." }

[events."orphan"]
description = "Outside the hierarchy."
stored = false
"#;

    fn catalog() -> Catalog {
        let loaded = crate::load_str("demo.toml", DEFINITIONS);
        let rendered = loaded.render(crate::diagnostic::Style::Plain);
        loaded.catalog.unwrap_or_else(|| panic!("{rendered}"))
    }

    fn unknown(template: &str) -> Vec<String> {
        let catalog = catalog();
        let event = catalog.event("project:run:failed").unwrap();
        unknown_variables(&catalog, event, template).unwrap()
    }

    #[test]
    fn variables_follow_the_payload_shape() {
        let known = "{{ type }} {{ uuid }} {{ timestamp }} {{ version }} {{ project.name }} \
             {{ project.the_run.name }} {{ project.the_run.step.title }} \
             {{ project.the_run.step.next.next.title }} {{ project.the_run.labels.anything }} \
             {{ project.the_run.error.deeply.nested }} {{ range(3) | length }} \
             {% for s in project.the_run.steps %}{{ s.title }}{{ loop.index }}{% endfor %}";
        assert_eq!(unknown(known), Vec::<String>::new());
        assert_eq!(
            unknown(
                "{{ project.the_run.secret }} {{ name }} {{ project.name.first }} \
                 {{ project.the_run.step.nope }} {{ run.name }}"
            ),
            [
                "name",
                "project.name.first",
                "project.the_run.secret",
                "project.the_run.step.nope",
                "run.name"
            ]
        );
    }

    #[test]
    fn a_template_that_does_not_parse_is_an_error() {
        let catalog = catalog();
        let event = catalog.event("project:run:failed").unwrap();
        assert!(unknown_variables(&catalog, event, "{% if %}").is_err());
    }

    #[test]
    fn the_default_names_the_objects() {
        let catalog = catalog();
        let failed = catalog.event("project:run:failed").unwrap();
        assert_eq!(
            default_template(&catalog, failed),
            "A run failed. (project: {{ project.name }} \
             {% if project.the_run.name %}the run: {{ project.the_run.name }}{% endif %})"
        );
        assert_eq!(
            template(&catalog, failed),
            default_template(&catalog, failed)
        );
        // Template syntax in a description is kept as text.
        let odd = catalog.event("project:run:odd").unwrap();
        let default = default_template(&catalog, odd);
        assert!(
            default.starts_with("{% raw %}Shows {{ braces }}.{% endraw %} ("),
            "{default}"
        );
        // No description: the type in words.
        let retried = catalog.event("project:run:retried-twice").unwrap();
        let default = default_template(&catalog, retried);
        assert!(
            default.starts_with("Project run retried twice ("),
            "{default}"
        );
        // Every default reads only what the payload has.
        for event in catalog.stored_events() {
            let default = default_template(&catalog, event);
            assert_eq!(unknown_variables(&catalog, event, &default), Ok(vec![]));
        }
    }

    #[test]
    fn every_default_of_the_reference_catalog_checks() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");
        let loaded = crate::load(&[path]);
        let catalog = loaded.catalog.expect("the reference catalog checks");
        for event in catalog.stored_events() {
            let default = default_template(&catalog, event);
            assert_eq!(
                unknown_variables(&catalog, event, &default),
                Ok(vec![]),
                "{default}"
            );
        }
    }
}
