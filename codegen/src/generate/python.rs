//! Python for client teams (`clients/python/events.py`, Python 3.11): a `TypedDict` for
//! every notification and telemetry payload and for the webhook envelope, the unions
//! `NotificationPayload` and `TelemetryPayload` (which type checkers narrow on `type`), and
//! enums as `Literal` aliases. Only `typing` is imported.
//!
//! A `TypedDict` cannot nest an anonymous one, so each object nested in a payload is a
//! class of its own, named after the payload and the keys leading to it
//! (`ProjectCreated_project`): the `_` keeps these apart from every catalog name, which
//! has none. Optional members are `NotRequired` and may be `None`, as in the JSON Schemas.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::GENERATED_NOTICE;
use super::client::{self, Member, Object, Published, Value};
use super::json_schema::PayloadKind;
use super::older::{self, Def};
use crate::model::{Catalog, EnumDef, EventDef, FieldType, TypeDef};
use crate::text::push_sentence;

/// Where `eventgen generate` writes the module, relative to the root.
pub const PATH: &str = "clients/python/events.py";

/// Python's keywords that a snake_case name can spell: a `TypedDict` with such a key is
/// declared with the functional syntax.
const KEYWORDS: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// The module for `catalog`, with no older versions.
pub fn module(catalog: &Catalog) -> String {
    module_with(catalog, &BTreeMap::new())
}

/// The module for `catalog`, with the types of the `older` versions published.
pub(crate) fn module_with(
    catalog: &Catalog,
    older: &BTreeMap<String, Vec<older::OlderSchema>>,
) -> String {
    let mut out = String::with_capacity(4096 + catalog.events.len() * 4096);
    header(&mut out, catalog);
    for enum_def in &catalog.enums {
        enum_alias(&mut out, enum_def);
    }
    for type_def in &catalog.types {
        for kind in PayloadKind::ALL {
            named_type(&mut out, catalog, type_def, kind);
        }
    }
    for event in &catalog.events {
        for kind in PayloadKind::ALL {
            if let Some(object) = client::payload(catalog, event, kind) {
                let mut doc = client::payload_doc(event, kind, &object);
                if let Some(deprecation) = client::deprecation_text(event) {
                    push_sentence(&mut doc, &deprecation);
                }
                let name = client::payload_name(event, kind);
                classes(&mut out, catalog, kind, &name, &object, Some(&doc));
            }
        }
        versions(&mut out, catalog, event, older);
    }
    unions(&mut out, catalog);
    envelope(&mut out);
    out
}

fn header(out: &mut String, catalog: &Catalog) {
    let _ = writeln!(out, "# {GENERATED_NOTICE}");
    let _ = writeln!(
        out,
        "\"\"\"The payloads of the `{}` catalog's events, for Python clients.\n\n{}\n\"\"\"\n",
        docstring_safe(&catalog.name),
        client::VERSION_NOTE
    );
    out.push_str("from __future__ import annotations\n\n");
    out.push_str(
        "from typing import Literal, Never, NotRequired, TypeAlias, TypedDict, Union\n\n\n",
    );
}

/// `Name: TypeAlias = Literal["A", "B"]`.
fn enum_alias(out: &mut String, enum_def: &EnumDef) {
    let values: Vec<String> = enum_def.variants.iter().map(|v| quote(&v.value)).collect();
    let _ = writeln!(
        out,
        "{}: TypeAlias = Literal[{}]",
        client::enum_name(enum_def),
        values.join(", ")
    );
    if let Some(description) = &enum_def.description {
        let _ = writeln!(out, "\"\"\"{}\"\"\"", docstring_safe(description));
    }
    out.push_str("\n\n");
}

/// A named type in the form of one payload kind.
fn named_type(out: &mut String, catalog: &Catalog, type_def: &TypeDef, kind: PayloadKind) {
    let mut doc = type_def.description.clone().unwrap_or_default();
    if kind == PayloadKind::Telemetry {
        doc.push_str(&format!(
            " (What reaches telemetry of `{}`.)",
            type_def.name
        ));
    }
    let object = Object {
        description: None,
        members: client::type_members(type_def, kind),
    };
    let name = client::type_name(type_def, kind);
    classes(out, catalog, kind, &name, &object, Some(doc.trim_start()));
}

/// An event's payload types by version: the current ones under their versioned names
/// (`ProjectCreatedV2`), then each older version's, read from its published schema: its
/// enums, its named types, then the payload (aliases are evaluated at import, classes'
/// annotations are not).
fn versions(
    out: &mut String,
    catalog: &Catalog,
    event: &EventDef,
    older: &BTreeMap<String, Vec<older::OlderSchema>>,
) {
    for kind in PayloadKind::ALL {
        if kind.applies_to(event) {
            let current = client::payload_name(event, kind);
            let _ = writeln!(
                out,
                "{}: TypeAlias = {current}\n\"\"\"`{current}`, the current version ({}).\"\"\"\n\n",
                older::versioned_name(event, event.version, kind),
                event.version
            );
        }
    }
    let kind = PayloadKind::Notification;
    for payload in older::payloads(older, event) {
        for (name, def) in &payload.defs {
            if let Def::Enum(description, values) = def {
                let values: Vec<String> = values.iter().map(|v| quote(v)).collect();
                let _ = writeln!(out, "{name}: TypeAlias = Literal[{}]", values.join(", "));
                if let Some(description) = description {
                    let _ = writeln!(out, "\"\"\"{}\"\"\"", docstring_safe(description));
                }
                out.push_str("\n\n");
            }
        }
        for (name, def) in &payload.defs {
            if let Def::Object(object) = def {
                classes(
                    out,
                    catalog,
                    kind,
                    name,
                    object,
                    object.description.as_deref(),
                );
            }
        }
        for (name, def) in &payload.defs {
            if let Def::Other(value) = def {
                let _ = writeln!(
                    out,
                    "{name}: TypeAlias = {}\n\n",
                    published_type(catalog, value)
                );
            }
        }
        let doc = payload.object.description.as_deref();
        classes(out, catalog, kind, &payload.name, &payload.object, doc);
    }
}

/// The Python type of a value read from a published schema.
fn published_type(catalog: &Catalog, value: &Published) -> String {
    match value {
        Published::Scalar(ty) => value_type(catalog, ty, PayloadKind::Notification),
        Published::List(inner) => format!("list[{}]", published_type(catalog, inner)),
        Published::Map(inner) => format!("dict[str, {}]", published_type(catalog, inner)),
        Published::Named(name) => name.clone(),
    }
}

/// The class `name` for `object`, after the classes of the objects nested in it.
fn classes(
    out: &mut String,
    catalog: &Catalog,
    kind: PayloadKind,
    name: &str,
    object: &Object<'_>,
    doc: Option<&str>,
) {
    for member in &object.members {
        if let Value::Object(nested) = &member.value {
            let nested_name = format!("{name}_{}", member.name);
            let nested_doc = nested.description.as_deref();
            classes(out, catalog, kind, &nested_name, nested, nested_doc);
        }
    }
    if object
        .members
        .iter()
        .any(|m| KEYWORDS.contains(&m.name.as_str()))
    {
        functional_class(out, catalog, kind, name, object, doc);
    } else {
        class(out, catalog, kind, name, object, doc);
    }
}

/// `class Name(TypedDict):` with a docstring per member.
fn class(
    out: &mut String,
    catalog: &Catalog,
    kind: PayloadKind,
    name: &str,
    object: &Object<'_>,
    doc: Option<&str>,
) {
    let _ = writeln!(out, "class {name}(TypedDict):");
    let doc = doc.filter(|d| !d.is_empty());
    if let Some(doc) = doc {
        let _ = writeln!(out, "    \"\"\"{}\"\"\"", docstring_safe(doc));
    }
    if object.members.is_empty() && doc.is_none() {
        out.push_str("    pass\n");
    }
    for (index, member) in object.members.iter().enumerate() {
        if index > 0 || doc.is_some() {
            out.push('\n');
        }
        let annotation = annotation(catalog, kind, name, member);
        let _ = writeln!(out, "    {}: {annotation}", member.name);
        let mut doc = client::member_doc(member).unwrap_or_default();
        if member.deprecated {
            push_sentence(&mut doc, "Deprecated.");
        }
        if !doc.is_empty() {
            let _ = writeln!(out, "    \"\"\"{}\"\"\"", docstring_safe(&doc));
        }
    }
    out.push_str("\n\n");
}

/// `Name = TypedDict("Name", {...})`, for keys that are Python keywords; the annotations
/// are strings, so that they may name classes defined later.
fn functional_class(
    out: &mut String,
    catalog: &Catalog,
    kind: PayloadKind,
    name: &str,
    object: &Object<'_>,
    doc: Option<&str>,
) {
    let _ = writeln!(out, "{name} = TypedDict(");
    let _ = writeln!(out, "    {},", quote(name));
    out.push_str("    {\n");
    for member in &object.members {
        let annotation = annotation(catalog, kind, name, member);
        let _ = writeln!(
            out,
            "        {}: {},",
            quote(&member.name),
            quote(&annotation)
        );
    }
    out.push_str("    },\n)\n");
    if let Some(doc) = doc.filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "\"\"\"{}\"\"\"", docstring_safe(doc));
    }
    out.push_str("\n\n");
}

/// A member's annotation in the class `owner`: `NotRequired[T | None]` when optional.
fn annotation(catalog: &Catalog, kind: PayloadKind, owner: &str, member: &Member<'_>) -> String {
    let ty = match &member.value {
        Value::Object(_) => format!("{owner}_{}", member.name),
        Value::Typed(ty) => value_type(catalog, ty, kind),
        Value::EventType(event_type) => format!("Literal[{}]", quote(event_type)),
        Value::Version(version) => format!("Literal[{version}]"),
        Value::Published(value) => published_type(catalog, value),
        Value::Hash => "str".to_owned(),
        Value::Count => "int".to_owned(),
    };
    if member.optional {
        format!("NotRequired[{ty} | None]")
    } else {
        ty
    }
}

/// The Python type of a value, named types in their `kind` form; `json` is `object`.
fn value_type(catalog: &Catalog, ty: &FieldType, kind: PayloadKind) -> String {
    match ty {
        FieldType::Uuid | FieldType::String | FieldType::Timestamp => "str".to_owned(),
        FieldType::Bool => "bool".to_owned(),
        FieldType::Int => "int".to_owned(),
        FieldType::Float => "float".to_owned(),
        FieldType::Json => "object".to_owned(),
        &FieldType::Enum(id) => client::enum_name(catalog.enum_def(id)),
        &FieldType::Object(id) => client::type_name(catalog.type_def(id), kind),
        FieldType::List(inner) => format!("list[{}]", value_type(catalog, inner, kind)),
        FieldType::Map(inner) => format!("dict[str, {}]", value_type(catalog, inner, kind)),
    }
}

/// `NotificationPayload` and `TelemetryPayload`: every payload of each kind.
fn unions(out: &mut String, catalog: &Catalog) {
    for kind in PayloadKind::ALL {
        let (name, discriminant) = match kind {
            PayloadKind::Notification => ("NotificationPayload", "`type`"),
            PayloadKind::Telemetry => ("TelemetryPayload", "`event_properties.type`"),
        };
        let events = client::events_with(catalog, kind);
        if events.is_empty() {
            let _ = writeln!(out, "{name}: TypeAlias = Never");
        } else {
            let _ = writeln!(out, "{name}: TypeAlias = Union[");
            for event in events {
                let _ = writeln!(out, "    {},", client::payload_name(event, kind));
            }
            out.push_str("]\n");
        }
        let _ = writeln!(
            out,
            "\"\"\"A {} payload of any event of the catalog, told apart by {discriminant}.\"\"\"\n\n",
            kind.as_str()
        );
    }
}

/// The body of a webhook delivery.
fn envelope(out: &mut String) {
    out.push_str(
        "class DeliveredFor(TypedDict):
    \"\"\"The subscriber (webhook) a delivery was made for.\"\"\"

    uuid: str
    \"\"\"UUID of the subscriber. A UUID as a string (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).\"\"\"

    name: str
    \"\"\"Name of the subscriber.\"\"\"


class WebhookDelivery(TypedDict):
    \"\"\"The body of a webhook delivery: the subscriber it was delivered for, and the event.\"\"\"

    delivered_for: DeliveredFor
    \"\"\"The subscriber the delivery was made for.\"\"\"

    event: NotificationPayload
    \"\"\"The notification payload of the event.\"\"\"
",
    );
}

/// Text for a `"""` docstring: no backslash escapes, no quote that ends it, one line.
fn docstring_safe(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(['\n', '\r'], " ")
}

/// A string literal (JSON's escaping is valid Python).
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}
