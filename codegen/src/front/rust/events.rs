//! `#[derive(Event)]`: the event's settings, its base members (`uuid`, `timestamp`), the
//! members holding its layers, and its own fields.

use syn::spanned::Spanned;

use super::attrs::{self, Entry, EntryValue};
use super::fields::field;
use super::items::{Declared, ItemView, LayerMember, loc, misplaced, struct_fields};
use super::{ItemError, ItemKind, Spans};
use crate::diagnostic::Rule;
use crate::ir::{DeprecationDecl, EventDecl};
use crate::naming;
use crate::source::Loc;

pub(super) fn event(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<Declared> {
    let known = [
        attrs::TYPE,
        attrs::STORED,
        attrs::CLIENT,
        attrs::VERSION,
        attrs::DEPRECATED,
    ];
    let (mut event_type, mut stored, mut client, mut version, mut deprecated) =
        (None, None, None, None, None);
    attrs::each_known(
        entries,
        &known,
        "`#[event(...)]`",
        errors,
        |entry, errors| match entry.key.as_str() {
            attrs::TYPE => event_type = entry.string(errors),
            attrs::STORED => stored = loc(entry.flag(errors), spans),
            attrs::CLIENT => client = loc(entry.flag(errors), spans),
            attrs::VERSION => version = loc(entry.int(errors), spans),
            _ => deprecated = Some(deprecation(entry, spans, errors)),
        },
    );
    let fields = struct_fields(ItemKind::Event, item, errors)?;
    let Some((event_type, type_span)) = event_type else {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            item.ident.span(),
            format!("event `{}` has no type", item.ident),
            "add `#[event(type = \"layer:action\")]` with the full event type",
        ));
        return None;
    };
    let expected = naming::event_rust_name(&event_type);
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
    let mut own = Vec::new();
    let mut members = Vec::new();
    let mut base = Vec::new();
    for f in fields {
        let Some(ident) = &f.ident else { continue };
        let is_layer = attrs::named(&f.attrs, attrs::LAYER).next();
        if let Some(attr) = is_layer {
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
            let ty = match &f.ty {
                syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.clone()),
                _ => None,
            };
            members.push(LayerMember {
                ident: ident.clone(),
                ty,
                span: f.span(),
            });
        } else if ident == "uuid" || ident == "timestamp" {
            base.push(ident.to_string());
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
        } else if let Some(decl) = field(f, spans, errors) {
            own.push(decl);
        }
    }
    for required in ["uuid", "timestamp"] {
        if !base.iter().any(|b| b == required) {
            let ty = if required == "uuid" {
                "event_runtime::Uuid"
            } else {
                "event_runtime::Timestamp"
            };
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
    let decl = EventDecl {
        event_type: Loc::new(event_type, spans.origin(type_span)),
        description,
        stored,
        client,
        version,
        deprecated,
        fields: own,
    };
    Some(Declared::Event(decl, members))
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
