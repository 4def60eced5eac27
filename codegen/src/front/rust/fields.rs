//! Fields of layers, events and named types: `#[field(...)]`, `#[deprecated]`, doc
//! comments and the Rust type.

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::attrs::{self, Entry};
use super::view::{loc, misplaced};
use super::{ItemError, Spans, types};
use crate::diagnostic::Rule;
use crate::ir::{FieldDecl, TelemetryPolicy};
use crate::source::Loc;

/// A field of a layer, event or named type.
pub(super) fn field(
    f: &syn::Field,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<FieldDecl> {
    let ident = f.ident.as_ref()?;
    let name = syn::ext::IdentExt::unraw(ident).to_string();
    let name = Loc::new(name, spans.origin(ident.span()));
    let typed = types::field_type(&f.ty, spans, errors);
    let mut settings = FieldSettings::default();
    for attr in &f.attrs {
        if attr.path().is_ident("deprecated") {
            settings.deprecated = Some(Loc::new(true, spans.origin(attr.path().span())));
            continue;
        }
        let Some(helper) = attrs::HELPERS.iter().find(|h| attr.path().is_ident(h)) else {
            continue;
        };
        if *helper != attrs::FIELD {
            let here = if *helper == attrs::LAYER {
                "a field of a layer or named type"
            } else {
                "a field"
            };
            errors.push(misplaced(attr, helper, here));
            continue;
        }
        let entries = attrs::entries(attr, errors);
        settings.read(entries, spans, errors);
    }
    let (ty, optional) = typed?;
    Some(FieldDecl {
        name,
        ty,
        optional: optional.map(|span| Loc::new(true, spans.origin(span))),
        sensitive: settings.sensitive,
        telemetry: settings.telemetry,
        notification: settings.notification,
        scope: settings.scope,
        column: settings.column,
        description: attrs::docs(&f.attrs),
        deprecated: settings.deprecated,
        privacy_reviewed: settings.privacy_reviewed,
        example: settings.example,
    })
}

/// What `#[field(...)]` and `#[deprecated]` say about a field.
#[derive(Default)]
struct FieldSettings {
    sensitive: Option<Loc<bool>>,
    telemetry: Option<Loc<TelemetryPolicy>>,
    notification: Option<Loc<bool>>,
    scope: Option<Loc<bool>>,
    column: Option<Loc<String>>,
    deprecated: Option<Loc<bool>>,
    privacy_reviewed: Option<Loc<String>>,
    example: Option<Loc<serde_json::Value>>,
}

impl FieldSettings {
    const KEYS: [&str; 7] = [
        attrs::SENSITIVE,
        attrs::TELEMETRY,
        attrs::NOTIFICATION,
        attrs::SCOPE,
        attrs::COLUMN,
        attrs::PRIVACY_REVIEWED,
        attrs::EXAMPLE,
    ];

    fn read(&mut self, entries: Vec<Entry>, spans: &mut dyn Spans, errors: &mut Vec<ItemError>) {
        attrs::each_known(
            entries,
            &Self::KEYS,
            "`#[field(...)]`",
            errors,
            |entry, errors| match entry.key.as_str() {
                attrs::SENSITIVE => self.sensitive = loc(entry.flag(errors), spans),
                attrs::TELEMETRY => self.telemetry = loc(policy(&entry, errors), spans),
                attrs::NOTIFICATION => self.notification = loc(entry.flag(errors), spans),
                attrs::SCOPE => self.scope = loc(entry.flag(errors), spans),
                attrs::COLUMN => self.column = loc(entry.string(errors), spans),
                attrs::EXAMPLE => self.example = loc(entry.json(errors), spans),
                _ => self.privacy_reviewed = loc(entry.string(errors), spans),
            },
        );
    }
}

fn policy(entry: &Entry, errors: &mut Vec<ItemError>) -> Option<(TelemetryPolicy, Span)> {
    let (value, span) = entry.string(errors)?;
    match TelemetryPolicy::named(&value) {
        Some(policy) => Some((policy, span)),
        None => {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                span,
                format!("unknown telemetry policy `{value}`"),
                "the policies are `keep`, `drop`, `count` and `hash`",
            ));
            None
        }
    }
}
