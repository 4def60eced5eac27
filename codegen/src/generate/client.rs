//! What the client-language emitters (`typescript`, `python`) share: every payload of an
//! event as a tree of objects and members, built from [`crate::shape`] the way the JSON
//! Schemas describe it, so each language only spells types.
//!
//! A member is a field's value (in the form of its payload kind: a named type becomes its
//! telemetry form in telemetry), a keyed hash, a count, the event type, or a nested object.

use super::json_schema::PayloadKind;
use crate::model::{Catalog, EnumDef, EventDef, FieldDef, FieldType, TypeDef};
use crate::shape::{BASE_FIELDS, EventShape, Form, Tree, VERSION_DESCRIPTION};
use crate::text::push_sentence;

/// The value a member holds.
pub(crate) enum Value<'c> {
    /// A value of this type, named types in the form of the payload kind.
    Typed(&'c FieldType),
    /// The event type, a string constant.
    EventType(&'c str),
    /// The event's version, an integer constant.
    Version(u32),
    /// A type read back from an older version's published schema.
    Published(Published),
    /// A keyed hash: lowercase hex HMAC-SHA256.
    Hash,
    /// The number of elements of a list or map.
    Count,
    /// A nested object.
    Object(Object<'c>),
}

/// A value type of an older version's payload, read from its schema file
/// (`generate::older`): a scalar, a list or a map of one, or a type of the file's `$defs`
/// by the name the client file gives it.
pub(crate) enum Published {
    Scalar(&'static FieldType),
    List(Box<Published>),
    Map(Box<Published>),
    Named(String),
}

/// One member of an object.
pub(crate) struct Member<'c> {
    pub(crate) name: String,
    pub(crate) value: Value<'c>,
    /// May be absent or `null`.
    pub(crate) optional: bool,
    pub(crate) description: Option<String>,
    pub(crate) deprecated: bool,
}

/// An object of a payload.
pub(crate) struct Object<'c> {
    pub(crate) description: Option<String>,
    pub(crate) members: Vec<Member<'c>>,
}

static UUID: FieldType = FieldType::Uuid;
static TIMESTAMP: FieldType = FieldType::Timestamp;

/// The payload of `kind` of an event, or `None` when the event has none (the notification
/// payload of an analytics-only event).
pub(crate) fn payload<'c>(
    catalog: &'c Catalog,
    event: &'c EventDef,
    kind: PayloadKind,
) -> Option<Object<'c>> {
    if !kind.applies_to(event) {
        return None;
    }
    let shape = catalog.event_shape(event);
    let members = match kind {
        PayloadKind::Notification => {
            let mut members = base_members(event);
            members.extend(nested(catalog, &shape, Tree::Notification));
            members
        }
        PayloadKind::Telemetry => telemetry_members(catalog, &shape),
    };
    Some(Object {
        description: event.description.clone(),
        members,
    })
}

/// `event_properties` (the base members, values and hashes) and `derived_properties`
/// (counts), both in the nesting of the notification payload.
fn telemetry_members<'c>(catalog: &'c Catalog, shape: &EventShape<'c>) -> Vec<Member<'c>> {
    let mut event_properties = base_members(shape.event);
    event_properties.extend(nested(catalog, shape, Tree::EventProperties));
    let derived_properties = nested(catalog, shape, Tree::DerivedProperties);
    vec![
        object_member(
            "event_properties",
            "The event's own properties: the values that may reach telemetry and keyed hashes.",
            event_properties,
        ),
        object_member(
            "derived_properties",
            "Values derived from the event's data: the sizes of lists and maps.",
            derived_properties,
        ),
    ]
}

/// The members of a named type in the form of `kind`.
pub(crate) fn type_members(type_def: &TypeDef, kind: PayloadKind) -> Vec<Member<'_>> {
    let tree = match kind {
        PayloadKind::Notification => Tree::Notification,
        PayloadKind::Telemetry => Tree::TypeTelemetry,
    };
    type_def
        .fields
        .iter()
        .filter_map(|field| tree_member(field, tree))
        .collect()
}

/// The own fields of a client event, as a front end relays them (sensitive ones too: the
/// relay's telemetry drops them).
pub(crate) fn client_properties(event: &EventDef) -> Vec<Member<'_>> {
    event
        .fields
        .iter()
        .filter_map(|field| tree_member(field, Tree::Request))
        .collect()
}

/// `uuid`, `type`, `version` and `timestamp`, which every payload starts with.
fn base_members(event: &EventDef) -> Vec<Member<'_>> {
    let [uuid, type_key, version, timestamp] = BASE_FIELDS;
    let member = |name: &str, value, description: &str| Member {
        name: name.to_owned(),
        value,
        optional: false,
        description: Some(description.to_owned()),
        deprecated: false,
    };
    vec![
        member(uuid, Value::Typed(&UUID), "UUID of the event."),
        member(
            type_key,
            Value::EventType(&event.event_type),
            "The event type.",
        ),
        member(version, Value::Version(event.version), VERSION_DESCRIPTION),
        member(
            timestamp,
            Value::Typed(&TIMESTAMP),
            "When the event happened.",
        ),
    ]
}

/// The members below the base ones: the top fields, or the outermost object with the
/// others nested in it, each field's member in `tree`.
fn nested<'c>(catalog: &'c Catalog, shape: &EventShape<'c>, tree: Tree) -> Vec<Member<'c>> {
    shape.nest(
        &mut (),
        |_, field| tree_member(field, tree),
        |_, object_shape, members| Member {
            name: object_shape.key.to_owned(),
            value: Value::Object(Object {
                description: object_shape.description(catalog),
                members,
            }),
            optional: false,
            description: None,
            deprecated: false,
        },
    )
}

/// The member a field contributes to `tree`, if any ([`FieldDef::becomes`]).
fn tree_member(field: &FieldDef, tree: Tree) -> Option<Member<'_>> {
    let becomes = field.becomes(tree)?;
    Some(match becomes.form {
        Form::Value => field_member(field, becomes.key, Value::Typed(&field.ty), None),
        Form::Hash => {
            let description =
                derived_description("Keyed hash (HMAC-SHA256, lowercase hex) of", field);
            field_member(field, becomes.key, Value::Hash, Some(description))
        }
        Form::Count => {
            let description = derived_description("Number of elements of", field);
            field_member(field, becomes.key, Value::Count, Some(description))
        }
    })
}

/// "<what> `field`: <its description>".
fn derived_description(what: &str, field: &FieldDef) -> String {
    match &field.description {
        Some(description) => format!("{what} `{}`: {description}", field.name),
        None => format!("{what} `{}`.", field.name),
    }
}

/// A member for a field, with the field's description unless `description` replaces it.
fn field_member<'c>(
    field: &'c FieldDef,
    name: String,
    value: Value<'c>,
    description: Option<String>,
) -> Member<'c> {
    Member {
        name,
        value,
        optional: field.optional,
        description: description.or_else(|| field.description.clone()),
        deprecated: field.deprecated,
    }
}

fn object_member<'c>(name: &str, description: &str, members: Vec<Member<'c>>) -> Member<'c> {
    Member {
        name: name.to_owned(),
        value: Value::Object(Object {
            description: Some(description.to_owned()),
            members,
        }),
        optional: false,
        description: None,
        deprecated: false,
    }
}

/// What a string holding this type looks like, for a doc comment (`None` when the type
/// says it all).
pub(crate) fn format_note(ty: &FieldType) -> Option<&'static str> {
    match ty {
        FieldType::Uuid => Some("A UUID as a string (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`)."),
        FieldType::Timestamp => Some("An RFC 3339 date-time string in UTC."),
        FieldType::List(inner) | FieldType::Map(inner) => match inner.as_ref() {
            FieldType::Uuid => Some("Each value is a UUID as a string."),
            FieldType::Timestamp => Some("Each value is an RFC 3339 date-time string in UTC."),
            _ => None,
        },
        _ => None,
    }
}

/// The doc text of a member: its description, then what its format is.
pub(crate) fn member_doc(member: &Member<'_>) -> Option<String> {
    let note = match &member.value {
        Value::Typed(ty) => format_note(ty),
        Value::Hash => Some("64 lowercase hex digits."),
        Value::Count => Some("A non-negative integer."),
        Value::Published(Published::Scalar(ty)) => format_note(ty),
        Value::EventType(_) | Value::Version(_) | Value::Object(_) | Value::Published(_) => None,
    };
    let description = match &member.value {
        Value::Object(object) => object.description.as_deref(),
        _ => member.description.as_deref(),
    };
    match (description, note) {
        (Some(description), Some(note)) => Some(format!("{description} {note}")),
        (Some(text), None) | (None, Some(text)) => Some(text.to_owned()),
        (None, None) => None,
    }
}

/// Names the client files declare or use themselves (TypeScript's and Python's): a
/// catalog name that is one of them takes a `_` at its end, which no other catalog name
/// has (they are Pascal case), so the files name the same types in both languages.
const RESERVED: &[&str] = &[
    "AbortSignal",
    "ClientEventType",
    "ClientEvents",
    "DeliveredFor",
    "False",
    "JSON",
    "Literal",
    "Never",
    "None",
    "NotRequired",
    "NotificationPayload",
    "Promise",
    "Record",
    "Response",
    "TelemetryPayload",
    "True",
    "TypeAlias",
    "TypedDict",
    "Union",
    "WebhookDelivery",
];

fn unreserved(name: String) -> String {
    if RESERVED.contains(&name.as_str()) {
        name + "_"
    } else {
        name
    }
}

/// The name of a payload type: the event's Rust name, with `Telemetry` for telemetry (the
/// checker keeps these apart from every other generated name).
pub(crate) fn payload_name(event: &EventDef, kind: PayloadKind) -> String {
    unreserved(match kind {
        PayloadKind::Notification => event.rust_name.clone(),
        PayloadKind::Telemetry => format!("{}Telemetry", event.rust_name),
    })
}

/// The name of a named type in the form of `kind`.
pub(crate) fn type_name(type_def: &TypeDef, kind: PayloadKind) -> String {
    unreserved(match kind {
        PayloadKind::Notification => type_def.rust_name.clone(),
        PayloadKind::Telemetry => format!("{}Telemetry", type_def.rust_name),
    })
}

/// The name of an enum's type.
pub(crate) fn enum_name(enum_def: &EnumDef) -> String {
    unreserved(enum_def.rust_name.clone())
}

/// The events that have a payload of `kind`, in declaration order.
pub(crate) fn events_with(catalog: &Catalog, kind: PayloadKind) -> Vec<&EventDef> {
    catalog
        .events
        .iter()
        .filter(|e| kind.applies_to(e))
        .collect()
}

/// What a payload type is: "Notification payload of `x` (version 2).", then the event's
/// description.
pub(crate) fn payload_doc(event: &EventDef, kind: PayloadKind, payload: &Object<'_>) -> String {
    payload_doc_of(
        &event.event_type,
        event.version,
        kind,
        payload.description.as_deref(),
    )
}

/// [`payload_doc`] of any version, given its description.
pub(crate) fn payload_doc_of(
    event_type: &str,
    version: u32,
    kind: PayloadKind,
    description: Option<&str>,
) -> String {
    let what = match kind {
        PayloadKind::Notification => "Notification",
        PayloadKind::Telemetry => "Telemetry",
    };
    let mut doc = format!("{what} payload of `{event_type}` (version {version}).");
    if let Some(description) = description {
        push_sentence(&mut doc, description);
    }
    doc
}

/// The deprecation of an event, worded as the schemas word it.
pub(crate) fn deprecation_text(event: &EventDef) -> Option<String> {
    let deprecation = event.deprecated.as_ref()?;
    Some(super::deprecation::text(
        deprecation,
        super::deprecation::Form::Schema,
    ))
}

/// The sentence every client file says about versions.
pub(crate) const VERSION_NOTE: &str = "Each payload says its version (`version`, beside `type`); every event has a type per version published, `<Event>V<n>` (the current one an alias), the older ones read from their published JSON Schemas.";

#[cfg(test)]
mod tests {
    use serde_json::Value as Json;

    use super::*;
    use crate::generate::json_schema::event_schema;

    /// The members of `object` agree with the object schema `schema`: the same names, the
    /// same required ones, nested objects alike.
    fn assert_matches(object: &Object<'_>, schema: &Json, at: &str) {
        let properties = schema["properties"].as_object().expect("an object schema");
        let names: Vec<&str> = object.members.iter().map(|m| m.name.as_str()).collect();
        let mut expected: Vec<&str> = properties.keys().map(String::as_str).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        expected.sort_unstable();
        assert_eq!(sorted, expected, "members of {at}");
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        for member in &object.members {
            let at = format!("{at}.{}", member.name);
            assert_eq!(
                !member.optional,
                required.contains(&member.name.as_str()),
                "{at}"
            );
            if let Value::Object(nested) = &member.value {
                assert_matches(nested, &properties[&member.name], &at);
            }
        }
    }

    #[test]
    fn every_payload_has_the_members_of_its_json_schema() {
        let fixture = include_str!("../../tests/fixtures/features.toml");
        let catalog = crate::load_str("features.toml", fixture)
            .catalog
            .expect("the fixture checks");
        for event in &catalog.events {
            for kind in PayloadKind::ALL {
                let schema = event_schema(&catalog, event, kind).map(|s| s.to_value());
                let object = payload(&catalog, event, kind);
                assert_eq!(schema.is_some(), object.is_some(), "{}", event.event_type);
                if let (Some(schema), Some(object)) = (schema, object) {
                    assert_matches(&object, &schema, &event.event_type);
                    assert_named_types_match(&catalog, kind, &schema["$defs"]);
                }
            }
        }
    }

    /// The named types among `defs` (a schema's `$defs`) have its members in `kind`'s form.
    fn assert_named_types_match(catalog: &Catalog, kind: PayloadKind, defs: &Json) {
        let Some(defs) = defs.as_object() else {
            return;
        };
        for (name, schema) in defs {
            if let Some(id) = catalog.type_id(name) {
                let object = Object {
                    description: None,
                    members: type_members(catalog.type_def(id), kind),
                };
                assert_matches(&object, schema, &format!("{name} ({})", kind.as_str()));
            }
        }
    }
}
