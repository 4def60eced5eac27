//! TypeScript for client teams (`clients/typescript/events.ts`): a type for every
//! notification and telemetry payload, the unions of them discriminated on `type`, the
//! webhook envelope, and a typed `track()` that posts a client event to the relay.
//!
//! The types depend on nothing; `track` needs only `fetch`. Enums are unions of string
//! literals, named types interfaces (and their telemetry form, `<Name>Telemetry`), the
//! objects nested in a payload inline object types. Optional members may be absent or
//! `null`, as in the JSON Schemas.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::GENERATED_NOTICE;
use super::client::{self, Member, Object, Published, Value};
use super::json_schema::PayloadKind;
use super::older::{self, Def};
use crate::model::{Catalog, EnumDef, EventDef, FieldType, TypeDef};
use crate::text::push_sentence;

/// Where `eventgen generate` writes the module, relative to the root.
pub const PATH: &str = "clients/typescript/events.ts";

/// The module for `catalog`, with no older versions.
pub fn module(catalog: &Catalog) -> String {
    module_with(catalog, &BTreeMap::new())
}

/// The module for `catalog`, with the types of the `older` versions published.
pub(crate) fn module_with(
    catalog: &Catalog,
    older: &BTreeMap<String, Vec<older::OlderSchema>>,
) -> String {
    let mut out = String::with_capacity(4096 + catalog.events.len() * 2048);
    header(&mut out, catalog);
    for enum_def in &catalog.enums {
        enum_type(&mut out, enum_def);
    }
    for type_def in &catalog.types {
        for kind in PayloadKind::ALL {
            named_type(&mut out, catalog, type_def, kind);
        }
    }
    for event in &catalog.events {
        for kind in PayloadKind::ALL {
            if let Some(object) = client::payload(catalog, event, kind) {
                payload(&mut out, catalog, event, kind, &object);
            }
        }
        versions(&mut out, catalog, event, older);
    }
    unions(&mut out, catalog);
    envelope(&mut out);
    client_events(&mut out, catalog);
    out
}

fn header(out: &mut String, catalog: &Catalog) {
    let _ = writeln!(out, "// {GENERATED_NOTICE}");
    let _ = writeln!(out, "//");
    let _ = writeln!(
        out,
        "// The payloads of the `{}` catalog's events, for TypeScript clients.",
        catalog.name
    );
    let _ = writeln!(out, "// {}", client::VERSION_NOTE);
    out.push('\n');
}

/// `export type Name = "A" | "B";`
fn enum_type(out: &mut String, enum_def: &EnumDef) {
    doc(out, "", enum_def.description.as_deref(), None);
    let values: Vec<String> = enum_def.variants.iter().map(|v| quote(&v.value)).collect();
    let _ = writeln!(
        out,
        "export type {} = {};\n",
        client::enum_name(enum_def),
        values.join(" | ")
    );
}

/// A named type in the form of one payload kind, as an interface.
fn named_type(out: &mut String, catalog: &Catalog, type_def: &TypeDef, kind: PayloadKind) {
    let mut description = type_def.description.clone().unwrap_or_default();
    if kind == PayloadKind::Telemetry {
        let form = format!(" (What reaches telemetry of `{}`.)", type_def.name);
        description.push_str(&form);
    }
    doc(out, "", Some(description.trim_start()), None);
    let object = Object {
        description: None,
        members: client::type_members(type_def, kind),
    };
    let name = client::type_name(type_def, kind);
    let _ = write!(out, "export interface {name} ");
    interface_body(out, catalog, kind, &object);
    out.push_str("\n\n");
}

/// One payload of an event, as an interface.
fn payload(
    out: &mut String,
    catalog: &Catalog,
    event: &EventDef,
    kind: PayloadKind,
    object: &Object<'_>,
) {
    let description = client::payload_doc(event, kind, object);
    doc(
        out,
        "",
        Some(&description),
        client::deprecation_text(event).as_deref(),
    );
    let _ = write!(
        out,
        "export interface {} ",
        client::payload_name(event, kind)
    );
    interface_body(out, catalog, kind, object);
    out.push_str("\n\n");
}

/// An event's payload types by version: the current ones under their versioned names
/// (`ProjectCreatedV2`), then each older version's, read from its published schema.
fn versions(
    out: &mut String,
    catalog: &Catalog,
    event: &EventDef,
    older: &BTreeMap<String, Vec<older::OlderSchema>>,
) {
    for kind in PayloadKind::ALL {
        if kind.applies_to(event) {
            let current = client::payload_name(event, kind);
            let text = format!("`{current}`, the current version ({}).", event.version);
            let deprecation = client::deprecation_text(event);
            doc(out, "", Some(&text), deprecation.as_deref());
            let versioned = older::versioned_name(event, event.version, kind);
            let _ = writeln!(out, "export type {versioned} = {current};\n");
        }
    }
    for payload in older::payloads(older, event) {
        for (name, def) in &payload.defs {
            match def {
                Def::Enum(description, values) => {
                    doc(out, "", *description, None);
                    let values: Vec<String> = values.iter().map(|v| quote(v)).collect();
                    let _ = writeln!(out, "export type {name} = {};\n", values.join(" | "));
                }
                Def::Object(object) => {
                    doc(out, "", object.description.as_deref(), None);
                    let _ = write!(out, "export interface {name} ");
                    interface_body(out, catalog, PayloadKind::Notification, object);
                    out.push_str("\n\n");
                }
                Def::Other(value) => {
                    let _ = writeln!(
                        out,
                        "export type {name} = {};\n",
                        published_type(catalog, value)
                    );
                }
            }
        }
        doc(out, "", payload.object.description.as_deref(), None);
        let _ = write!(out, "export interface {} ", payload.name);
        interface_body(out, catalog, PayloadKind::Notification, &payload.object);
        out.push_str("\n\n");
    }
}

/// The TypeScript type of a value read from a published schema.
fn published_type(catalog: &Catalog, value: &Published) -> String {
    match value {
        Published::Scalar(ty) => value_type(catalog, ty, PayloadKind::Notification),
        Published::List(inner) => format!("{}[]", published_type(catalog, inner)),
        Published::Map(inner) => format!("Record<string, {}>", published_type(catalog, inner)),
        Published::Named(name) => name.clone(),
    }
}

/// The body of an interface: `{}` when it has no members.
fn interface_body(out: &mut String, catalog: &Catalog, kind: PayloadKind, object: &Object<'_>) {
    if object.members.is_empty() {
        out.push_str("{}");
    } else {
        object_type(out, catalog, kind, object, "");
    }
}

/// `{ members }` at `indent`, the closing brace not followed by a newline.
fn object_type(
    out: &mut String,
    catalog: &Catalog,
    kind: PayloadKind,
    object: &Object<'_>,
    indent: &str,
) {
    if object.members.is_empty() {
        // `{}` would accept any value but null and undefined.
        out.push_str("Record<string, never>");
        return;
    }
    out.push_str("{\n");
    let inner = format!("{indent}  ");
    for member in &object.members {
        member_line(out, catalog, kind, member, &inner);
    }
    let _ = write!(out, "{indent}}}");
}

/// One member with its doc comment: `name?: T | null;` when optional.
fn member_line(
    out: &mut String,
    catalog: &Catalog,
    kind: PayloadKind,
    member: &Member<'_>,
    indent: &str,
) {
    let deprecated = member.deprecated.then_some("");
    doc(
        out,
        indent,
        client::member_doc(member).as_deref(),
        deprecated,
    );
    let optional = if member.optional { "?" } else { "" };
    let _ = write!(out, "{indent}{}{optional}: ", member.name);
    match &member.value {
        Value::Object(object) => object_type(out, catalog, kind, object, indent),
        Value::Typed(ty) => out.push_str(&value_type(catalog, ty, kind)),
        Value::EventType(event_type) => out.push_str(&quote(event_type)),
        Value::Version(version) => {
            let _ = write!(out, "{version}");
        }
        Value::Published(value) => out.push_str(&published_type(catalog, value)),
        Value::Hash => out.push_str("string"),
        Value::Count => out.push_str("number"),
    }
    // `unknown` holds null already.
    let json = matches!(
        member.value,
        Value::Typed(FieldType::Json) | Value::Published(Published::Scalar(FieldType::Json))
    );
    if member.optional && !json {
        out.push_str(" | null");
    }
    out.push_str(";\n");
}

/// The TypeScript type of a value, named types in their `kind` form.
fn value_type(catalog: &Catalog, ty: &FieldType, kind: PayloadKind) -> String {
    match ty {
        FieldType::Uuid | FieldType::String | FieldType::Timestamp => "string".to_owned(),
        FieldType::Bool => "boolean".to_owned(),
        FieldType::Int | FieldType::Float => "number".to_owned(),
        FieldType::Json => "unknown".to_owned(),
        &FieldType::Enum(id) => client::enum_name(catalog.enum_def(id)),
        &FieldType::Object(id) => client::type_name(catalog.type_def(id), kind),
        FieldType::List(inner) => format!("{}[]", value_type(catalog, inner, kind)),
        FieldType::Map(inner) => format!("Record<string, {}>", value_type(catalog, inner, kind)),
    }
}

/// `NotificationPayload` and `TelemetryPayload`: every payload of each kind.
fn unions(out: &mut String, catalog: &Catalog) {
    for kind in PayloadKind::ALL {
        let (name, discriminant) = match kind {
            PayloadKind::Notification => ("NotificationPayload", "`type`"),
            PayloadKind::Telemetry => ("TelemetryPayload", "`event_properties.type`"),
        };
        let text = format!(
            "A {} payload of any event of the catalog, told apart by {discriminant}.",
            kind.as_str()
        );
        doc(out, "", Some(&text), None);
        let events = client::events_with(catalog, kind);
        if events.is_empty() {
            let _ = writeln!(out, "export type {name} = never;\n");
            continue;
        }
        let _ = writeln!(out, "export type {name} =");
        for event in events {
            let _ = writeln!(out, "  | {}", client::payload_name(event, kind));
        }
        out.truncate(out.len() - 1);
        out.push_str(";\n\n");
    }
}

/// The body of a webhook delivery.
fn envelope(out: &mut String) {
    out.push_str(
        "/** The body of a webhook delivery: the subscriber it was delivered for, and the event. */
export interface WebhookDelivery<E extends NotificationPayload = NotificationPayload> {
  /** The subscriber (webhook) the delivery was made for. */
  delivered_for: {
    /** UUID of the subscriber. A UUID as a string (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`). */
    uuid: string;
    /** Name of the subscriber. */
    name: string;
  };
  /** The notification payload of the event. */
  event: E;
}

",
    );
}

/// `ClientEvents` (the properties of each client event), `ClientEventType` and `track`.
fn client_events(out: &mut String, catalog: &Catalog) {
    out.push_str("/** The properties a front end sends for each client event, by event type. */\n");
    out.push_str("export interface ClientEvents ");
    let members: Vec<Member<'_>> = catalog
        .events
        .iter()
        .filter(|event| event.client)
        .map(client_event_member)
        .collect();
    let object = Object {
        description: None,
        members,
    };
    interface_body(out, catalog, PayloadKind::Notification, &object);
    out.push_str(
        "

/** The type of an event front ends may send. */
export type ClientEventType = keyof ClientEvents;

/**
 * Sends a client event to the relay (`POST {\"event\", \"properties\"}` as JSON): only
 * client events compile, with their properties. Resolves to the relay's response:
 * `204 No Content` when accepted, `400` with the error as JSON when refused, another
 * status (with `Retry-After` when a retry may succeed) when it cannot take the event now.
 */
export function track<T extends ClientEventType>(
  relayUrl: string,
  event: T,
  properties: ClientEvents[T],
  init?: { keepalive?: boolean; signal?: AbortSignal },
): Promise<Response> {
  return fetch(relayUrl, {
    method: \"POST\",
    headers: { \"Content-Type\": \"application/json\" },
    body: JSON.stringify({ event, properties }),
    keepalive: init?.keepalive,
    signal: init?.signal,
  });
}
",
    );
}

/// A client event as a member of `ClientEvents`: its type, quoted, and its properties.
fn client_event_member(event: &EventDef) -> Member<'_> {
    let mut description = event.description.clone().unwrap_or_default();
    if let Some(deprecation) = client::deprecation_text(event) {
        push_sentence(&mut description, &deprecation);
    }
    Member {
        name: quote(&event.event_type),
        value: Value::Object(Object {
            description: Some(description),
            members: client::client_properties(event),
        }),
        optional: false,
        description: None,
        deprecated: false,
    }
}

/// A JSDoc comment at `indent`: the text, then `@deprecated` with its note (if not empty).
fn doc(out: &mut String, indent: &str, text: Option<&str>, deprecated: Option<&str>) {
    let text = text.filter(|t| !t.is_empty());
    match (text, deprecated) {
        (None, None) => {}
        (Some(text), None) => {
            let _ = writeln!(out, "{indent}/** {} */", comment_safe(text));
        }
        (text, Some(note)) => {
            let _ = writeln!(out, "{indent}/**");
            if let Some(text) = text {
                let _ = writeln!(out, "{indent} * {}", comment_safe(text));
            }
            let tag = format!("@deprecated {}", comment_safe(note));
            let _ = writeln!(out, "{indent} * {}", tag.trim_end());
            let _ = writeln!(out, "{indent} */");
        }
    }
}

/// Text that cannot end a comment early (`*/`) nor span lines.
fn comment_safe(text: &str) -> String {
    text.replace("*/", "*\\/").replace(['\n', '\r'], " ")
}

/// A string literal (JSON's escaping is TypeScript's).
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}
