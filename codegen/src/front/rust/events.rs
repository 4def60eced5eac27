//! `#[derive(Event)]`: the event's settings, its base members (`uuid`, `timestamp`), the
//! members holding its layers, and its own fields.

use proc_macro2::{Ident, Span};
use syn::Attribute;
use syn::spanned::Spanned;

use super::attrs::{self, Entry, EntryValue};
use super::fields::field;
use super::view::{Declared, ItemView, LayerMember, loc, misplaced, struct_fields};
use super::{ItemError, ItemKind, Spans};
use crate::diagnostic::Rule;
use crate::ir::{DeprecationDecl, EventDecl, FieldDecl};
use crate::naming;
use crate::source::Loc;

/// What `#[event(...)]` sets.
#[derive(Default)]
struct Settings {
    event_type: Option<(String, Span)>,
    stored: Option<Loc<bool>>,
    client: Option<Loc<bool>>,
    version: Option<Loc<u32>>,
    deprecated: Option<DeprecationDecl>,
    message: Option<Loc<String>>,
}

/// The members of an event struct, by what each holds.
#[derive(Default)]
struct Members {
    /// The event's own fields.
    own: Vec<FieldDecl>,
    /// The `#[layer]` members.
    layers: Vec<LayerMember>,
    /// Which of `uuid` and `timestamp` the struct has.
    base: Vec<String>,
}

/// The members every event has besides its fields, with the type each must have.
const BASE_MEMBERS: [(&str, &str); 2] = [
    ("uuid", "event_runtime::Uuid"),
    ("timestamp", "event_runtime::Timestamp"),
];

pub(super) fn event(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<Declared> {
    let settings = settings(entries, spans, errors);
    let fields = struct_fields(ItemKind::Event, item, errors)?;
    let Some((event_type, type_span)) = settings.event_type else {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            item.ident.span(),
            format!("event `{}` has no type", item.ident),
            "add `#[event(type = \"layer:action\")]` with the full event type",
        ));
        return None;
    };
    check_rust_name(item, &event_type, errors);
    let members = members(fields, spans, errors);
    check_base_members(item, &event_type, &members.base, errors);
    let decl = EventDecl {
        event_type: Loc::new(event_type, spans.origin(type_span)),
        description,
        stored: settings.stored,
        client: settings.client,
        version: settings.version,
        deprecated: settings.deprecated,
        message: settings.message,
        fields: members.own,
    };
    Some(Declared::Event(decl, members.layers))
}

fn settings(entries: Vec<Entry>, spans: &mut dyn Spans, errors: &mut Vec<ItemError>) -> Settings {
    let known = [
        attrs::TYPE,
        attrs::STORED,
        attrs::CLIENT,
        attrs::VERSION,
        attrs::DEPRECATED,
        attrs::MESSAGE,
    ];
    let mut settings = Settings::default();
    attrs::each_known(
        entries,
        &known,
        "`#[event(...)]`",
        errors,
        |entry, errors| match entry.key.as_str() {
            attrs::TYPE => settings.event_type = entry.string(errors),
            attrs::STORED => settings.stored = loc(entry.flag(errors), spans),
            attrs::CLIENT => settings.client = loc(entry.flag(errors), spans),
            attrs::VERSION => settings.version = loc(entry.int(errors), spans),
            attrs::MESSAGE => {
                settings.message = entry
                    .string(errors)
                    .map(|(text, span)| Loc::new(text, spans.origin(span)));
            }
            _ => settings.deprecated = Some(deprecation(entry, spans, errors)),
        },
    );
    settings
}

/// The struct must be named after its event type: the generated code refers to it by
/// that name.
fn check_rust_name(item: &ItemView<'_>, event_type: &str, errors: &mut Vec<ItemError>) {
    let expected = naming::event_rust_name(event_type);
    if !expected.is_empty() && *item.ident != expected {
        errors.push(ItemError::new(
            Rule::RustNameClash,
            item.ident.span(),
            format!(
                "the Rust name of event `{event_type}` is `{expected}`, not `{}`",
                item.ident
            ),
            format!(
                "rename the struct to `{expected}` (the generated code refers to it by that name)"
            ),
        ));
    }
}

fn members(
    fields: Vec<&syn::Field>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Members {
    let mut members = Members::default();
    for f in fields {
        let Some(ident) = &f.ident else { continue };
        if let Some(attr) = attrs::named(&f.attrs, attrs::LAYER).next() {
            members.layers.push(layer_member(f, ident, attr, errors));
        } else if BASE_MEMBERS.iter().any(|(name, _)| ident == name) {
            members.base.push(ident.to_string());
            reject_base_attributes(f, ident, errors);
        } else if let Some(decl) = field(f, spans, errors) {
            members.own.push(decl);
        }
    }
    members
}

/// A `#[layer]` member: the layer's settings live on the layer's own struct, so the
/// member takes nothing else.
fn layer_member(
    f: &syn::Field,
    ident: &Ident,
    attr: &Attribute,
    errors: &mut Vec<ItemError>,
) -> LayerMember {
    if !matches!(attr.meta, syn::Meta::Path(_)) {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            attr.meta.span(),
            "a layer member takes a bare `#[layer]`",
            "the layer's settings go on the layer's own struct: write `#[layer]` here",
        ));
    }
    for other in f.attrs.iter().filter(|a| {
        attrs::HELPERS
            .iter()
            .any(|h| *h != attrs::LAYER && a.path().is_ident(h))
    }) {
        errors.push(misplaced(
            other,
            &other
                .path()
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default(),
            "a layer member",
        ));
    }
    // The layer is found by its Rust name: the last segment of the member's type.
    let ty = match &f.ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.clone()),
        _ => None,
    };
    LayerMember {
        ident: ident.clone(),
        ty,
        span: f.span(),
    }
}

/// `uuid` and `timestamp` are not definition fields, so field attributes mean nothing on
/// them.
fn reject_base_attributes(f: &syn::Field, ident: &Ident, errors: &mut Vec<ItemError>) {
    for attr in f
        .attrs
        .iter()
        .filter(|a| attrs::HELPERS.iter().any(|h| a.path().is_ident(h)))
    {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            attr.path().span(),
            format!("`{ident}` is the event's own `{ident}`: it takes no attributes"),
            "every event has `uuid` and `timestamp`; they are not definition fields",
        ));
    }
}

/// The generated code reads `uuid` and `timestamp` from every event struct.
fn check_base_members(
    item: &ItemView<'_>,
    event_type: &str,
    base: &[String],
    errors: &mut Vec<ItemError>,
) {
    for (required, ty) in BASE_MEMBERS {
        if !base.iter().any(|b| b == required) {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                item.ident.span(),
                format!("event `{event_type}` has no `{required}` member"),
                format!(
                    "add `pub {required}: {ty}`: every event has its own `uuid` and `timestamp`"
                ),
            ));
        }
    }
}

fn deprecation(
    entry: Entry,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> DeprecationDecl {
    let mut decl = DeprecationDecl {
        origin: spans.origin(entry.span),
        since: None,
        note: None,
        replaced_by: None,
        sunset: None,
    };
    let entries = match entry.value {
        EntryValue::Flag => Vec::new(),
        EntryValue::List(entries) => entries,
        _ => {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                entry.value_span(),
                "`deprecated` takes a list: `deprecated(since = \"...\", note = \"...\")`",
                "write `deprecated` or `deprecated(since = \"2.0.0\", note = \"...\", replaced_by = \"...\", sunset = \"YYYY-MM-DD\")`",
            ));
            Vec::new()
        }
    };
    let known = [attrs::SINCE, attrs::NOTE, attrs::REPLACED_BY, attrs::SUNSET];
    attrs::each_known(
        entries,
        &known,
        "`deprecated(...)`",
        errors,
        |entry, errors| {
            let value = entry.string(errors);
            match entry.key.as_str() {
                attrs::SINCE => decl.since = loc(value, spans),
                attrs::NOTE => decl.note = value.map(|(v, _)| v),
                attrs::REPLACED_BY => decl.replaced_by = loc(value, spans),
                _ => decl.sunset = loc(value, spans),
            }
        },
    );
    decl
}
