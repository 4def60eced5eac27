//! One item deriving `Catalog`, `Layer`, `Event`, `NamedType` or `NamedEnum`, read into
//! its declaration: the container attribute, then each field or variant.

use proc_macro2::{Ident, Span};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Fields, Generics, Token, Variant};

use super::attrs::{self, Entry, EntryValue};
use super::{ItemError, ItemKind, Spans, kebab_name, types};
use crate::diagnostic::Rule;
use crate::ir::{
    CatalogDecl, DeprecationDecl, EnumDecl, EventDecl, FieldDecl, LayerDecl, TelemetryPolicy,
    TypeDecl,
};
use crate::naming;
use crate::source::Loc;

/// An item as both `syn::DeriveInput` (in the macro) and `syn::Item` (when scanning) show it.
pub struct ItemView<'a> {
    /// Its attributes.
    pub attrs: &'a [Attribute],
    /// Its name.
    pub ident: &'a Ident,
    /// Its generics (the derives take none).
    pub generics: &'a Generics,
    /// Its body.
    pub body: Body<'a>,
}

/// The body of an item.
pub enum Body<'a> {
    /// A struct's fields.
    Struct(&'a Fields),
    /// An enum's variants.
    Enum(&'a Punctuated<Variant, Token![,]>),
    /// A union (never a definition).
    Union,
}

/// What one item declares.
#[derive(Debug, Clone)]
pub enum Declared {
    /// `#[derive(Catalog)]`.
    Catalog(CatalogDecl),
    /// `#[derive(Layer)]`.
    Layer(LayerDecl),
    /// `#[derive(Event)]`, with the members holding its layers.
    Event(EventDecl, Vec<LayerMember>),
    /// `#[derive(NamedType)]`.
    Type(TypeDecl),
    /// `#[derive(NamedEnum)]`.
    Enum(EnumDecl),
}

/// A `#[layer]` member of an event struct: the event holds that layer's fields.
#[derive(Debug, Clone)]
pub struct LayerMember {
    /// The member's name.
    pub ident: Ident,
    /// The last segment of its type's path (the layer's Rust name).
    pub ty: Option<Ident>,
    /// The member's span (for errors).
    pub span: Span,
}

/// Reads an item deriving `kind`. Every mistake is returned, not only the first.
pub fn read(
    kind: ItemKind,
    item: &ItemView<'_>,
    spans: &mut dyn Spans,
) -> Result<Declared, Vec<ItemError>> {
    let mut errors = Vec::new();
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            item.generics.span(),
            format!(
                "`#[derive({})]` does not support generics",
                kind.derive_name()
            ),
            "remove the generic parameters: a definition is one concrete type",
        ));
    }
    let entries = container_entries(kind, item.attrs, &mut errors);
    let description = attrs::docs(item.attrs);
    let declared = match kind {
        ItemKind::Catalog => Some(catalog(item, entries, description, spans, &mut errors)),
        ItemKind::Layer => layer(item, entries, description, spans, &mut errors),
        ItemKind::Event => event(item, entries, description, spans, &mut errors),
        ItemKind::NamedType => named_type(item, entries, description, spans, &mut errors),
        ItemKind::NamedEnum => named_enum(item, entries, description, spans, &mut errors),
    };
    match declared {
        Some(declared) if errors.is_empty() => Ok(declared),
        _ => Err(errors),
    }
}

/// The entries of the item's own attribute; the other helper attributes are misplaced.
fn container_entries(
    kind: ItemKind,
    item_attrs: &[Attribute],
    errors: &mut Vec<ItemError>,
) -> Vec<Entry> {
    let mut entries = Vec::new();
    for attr in item_attrs {
        let Some(name) = attrs::HELPERS.iter().find(|h| attr.path().is_ident(h)) else {
            continue;
        };
        if *name == kind.attribute() {
            entries.extend(attrs::entries(attr, errors));
        } else {
            errors.push(misplaced(
                attr,
                name,
                &format!("a `#[derive({})]` item", kind.derive_name()),
            ));
        }
    }
    entries
}

fn misplaced(attr: &Attribute, name: &str, here: &str) -> ItemError {
    let belongs = match ItemKind::ALL.iter().find(|k| k.attribute() == name) {
        Some(kind) if name == attrs::LAYER => format!(
            "`#[layer(...)]` goes on a struct deriving `{}`; a bare `#[layer]` marks a member of an event holding a layer",
            kind.derive_name()
        ),
        Some(kind) => format!(
            "`#[{name}(...)]` goes on an item deriving `{}`",
            kind.derive_name()
        ),
        None if name == attrs::VARIANT => {
            "`#[variant(...)]` goes on a variant of an enum deriving `NamedEnum`".to_owned()
        }
        None => format!("`#[{name}(...)]` goes on a field of a layer, event or named type"),
    };
    ItemError::new(
        Rule::InvalidValue,
        attr.path().span(),
        format!("`#[{name}]` is not allowed on {here}"),
        belongs,
    )
}

/// The definition name: `name = "..."` or the Rust name in kebab-case; its Rust name must
/// be the item's (the generated code names it).
fn definition_name(
    kind: ItemKind,
    ident: &Ident,
    explicit: Option<(String, Span)>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Loc<String> {
    let (name, span) = explicit.unwrap_or_else(|| (kebab_name(&ident.to_string()), ident.span()));
    let expected = naming::pascal_case(&name);
    if naming::is_kebab(&name) && *ident != expected {
        errors.push(ItemError::new(
            Rule::RustNameClash,
            ident.span(),
            format!("the Rust name of {} `{name}` is `{expected}`, not `{ident}`", kind.what()),
            format!("rename the {} to `{expected}` (the generated code refers to it by that name), or set `name`", kind.rust_kind()),
        ));
    }
    Loc::new(name, spans.origin(span))
}

fn catalog(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Declared {
    let (mut name, mut schema_base) = (None, None);
    attrs::each_known(
        entries,
        &[attrs::NAME, attrs::SCHEMA_BASE],
        "`#[catalog(...)]`",
        errors,
        |entry, errors| {
            let value = entry.string(errors);
            match entry.key.as_str() {
                attrs::NAME => name = value,
                _ => schema_base = value,
            }
        },
    );
    let (name, span) =
        name.unwrap_or_else(|| (kebab_name(&item.ident.to_string()), item.ident.span()));
    no_fields(item, errors);
    Declared::Catalog(CatalogDecl {
        origin: spans.origin(item.ident.span()),
        name: Loc::new(name, spans.origin(span)),
        schema_base: schema_base.map(|(v, s)| Loc::new(v, spans.origin(s))),
        description,
    })
}

fn no_fields(item: &ItemView<'_>, errors: &mut Vec<ItemError>) {
    if let Body::Struct(fields) = item.body
        && !fields.is_empty()
    {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            fields.span(),
            "a catalog declaration has no fields",
            "declare the catalog on a unit struct: `struct Catalog;`",
        ));
    }
}

fn layer(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<Declared> {
    let known = [
        attrs::NAME,
        attrs::PARENT,
        attrs::ABSTRACT,
        attrs::INLINE,
        attrs::SEGMENT,
        attrs::KEY,
    ];
    let mut decl = LayerDecl {
        name: Loc::new(String::new(), spans.origin(item.ident.span())),
        description,
        parent: None,
        is_abstract: None,
        inline: None,
        segment: None,
        key: None,
        fields: Vec::new(),
    };
    let mut name = None;
    attrs::each_known(
        entries,
        &known,
        "`#[layer(...)]`",
        errors,
        |entry, errors| match entry.key.as_str() {
            attrs::NAME => name = entry.string(errors),
            attrs::PARENT => decl.parent = loc(entry.string(errors), spans),
            attrs::ABSTRACT => decl.is_abstract = loc(entry.flag(errors), spans),
            attrs::INLINE => decl.inline = loc(entry.flag(errors), spans),
            attrs::SEGMENT => decl.segment = loc(entry.string(errors), spans),
            _ => decl.key = loc(entry.string(errors), spans),
        },
    );
    decl.name = definition_name(ItemKind::Layer, item.ident, name, spans, errors);
    let fields = struct_fields(ItemKind::Layer, item, errors)?;
    decl.fields = fields
        .iter()
        .filter_map(|f| field(f, spans, errors))
        .collect();
    Some(Declared::Layer(decl))
}

fn loc<T>(value: Option<(T, Span)>, spans: &mut dyn Spans) -> Option<Loc<T>> {
    value.map(|(v, s)| Loc::new(v, spans.origin(s)))
}

fn event(
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

fn named_type(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<Declared> {
    let mut name = None;
    attrs::each_known(
        entries,
        &[attrs::NAME],
        "`#[named_type(...)]`",
        errors,
        |entry, errors| {
            name = entry.string(errors);
        },
    );
    let name = definition_name(ItemKind::NamedType, item.ident, name, spans, errors);
    let fields = struct_fields(ItemKind::NamedType, item, errors)?;
    let mut decls = Vec::new();
    for f in fields {
        let Some(decl) = field(f, spans, errors) else {
            continue;
        };
        if decl.optional.is_some() && !skips_none(&f.attrs) {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                f.ty.span(),
                format!("optional field `{}` of a named type is serialized as `null` when absent", decl.name.value),
                "add `#[serde(default, skip_serializing_if = \"Option::is_none\")]`: payloads leave absent fields out",
            ));
        }
        decls.push(decl);
    }
    Some(Declared::Type(TypeDecl {
        name,
        description,
        fields: decls,
    }))
}

/// Whether a `#[serde(...)]` attribute skips `None` when serializing.
fn skips_none(field_attrs: &[Attribute]) -> bool {
    attrs::named(field_attrs, "serde").any(|attr| {
        let text = quote::ToTokens::to_token_stream(&attr.meta).to_string();
        text.contains("skip_serializing_if")
    })
}

fn named_enum(
    item: &ItemView<'_>,
    entries: Vec<Entry>,
    description: Option<String>,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<Declared> {
    let mut name = None;
    attrs::each_known(
        entries,
        &[attrs::NAME],
        "`#[named_enum(...)]`",
        errors,
        |entry, errors| {
            name = entry.string(errors);
        },
    );
    let name = definition_name(ItemKind::NamedEnum, item.ident, name, spans, errors);
    let Body::Enum(variants) = item.body else {
        errors.push(ItemError::new(
            Rule::InvalidValue,
            item.ident.span(),
            "`#[derive(NamedEnum)]` goes on an enum",
            "declare the enum's values as the unit variants of an `enum`",
        ));
        return None;
    };
    let mut values = Vec::new();
    for variant in variants {
        if !matches!(variant.fields, Fields::Unit) {
            errors.push(ItemError::new(
                Rule::EnumVariants,
                variant.fields.span(),
                format!("variant `{}` holds data", variant.ident),
                "an enum of the catalog is a closed set of strings: use unit variants",
            ));
            continue;
        }
        if let Some((_, expr)) = &variant.discriminant {
            errors.push(ItemError::new(
                Rule::EnumVariants,
                expr.span(),
                format!("variant `{}` has a discriminant", variant.ident),
                "remove it: the value is a string, set with `#[variant(value = \"...\")]`",
            ));
        }
        let mut value = None;
        for attr in &variant.attrs {
            let Some(helper) = attrs::HELPERS.iter().find(|h| attr.path().is_ident(h)) else {
                continue;
            };
            if *helper != attrs::VARIANT {
                errors.push(misplaced(attr, helper, "an enum variant"));
                continue;
            }
            let entries = attrs::entries(attr, errors);
            attrs::each_known(
                entries,
                &[attrs::VALUE],
                "`#[variant(...)]`",
                errors,
                |entry, errors| {
                    value = entry.string(errors);
                },
            );
        }
        let (value, span) = value.unwrap_or_else(|| {
            (
                screaming_snake(&variant.ident.to_string()),
                variant.ident.span(),
            )
        });
        let expected = naming::pascal_case(&value);
        if naming::is_variant(&value) && variant.ident != expected {
            errors.push(ItemError::new(
                Rule::EnumVariants,
                variant.ident.span(),
                format!("the Rust variant of value `{value}` is `{expected}`, not `{}`", variant.ident),
                format!("rename the variant to `{expected}` (the generated code refers to it by that name)"),
            ));
        }
        values.push(Loc::new(value, spans.origin(span)));
    }
    Some(Declared::Enum(EnumDecl {
        variants_origin: Some(spans.origin(item.ident.span())),
        name,
        description,
        variants: values,
    }))
}

/// `InProgress` becomes `IN_PROGRESS`.
fn screaming_snake(ident: &str) -> String {
    kebab_name(ident).replace('-', "_").to_ascii_uppercase()
}

/// The named fields of a struct item.
fn struct_fields<'a>(
    kind: ItemKind,
    item: &ItemView<'a>,
    errors: &mut Vec<ItemError>,
) -> Option<Vec<&'a syn::Field>> {
    match item.body {
        Body::Struct(Fields::Named(named)) => Some(named.named.iter().collect()),
        Body::Struct(Fields::Unit) => Some(Vec::new()),
        Body::Struct(fields @ Fields::Unnamed(_)) => {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                fields.span(),
                format!("`#[derive({})]` needs named fields", kind.derive_name()),
                "write the fields as `name: Type`: their names are the payload keys",
            ));
            None
        }
        Body::Enum(_) | Body::Union => {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                item.ident.span(),
                format!("`#[derive({})]` goes on a struct", kind.derive_name()),
                "declare it as a struct with named fields",
            ));
            None
        }
    }
}

/// A field of a layer, event or named type.
fn field(f: &syn::Field, spans: &mut dyn Spans, errors: &mut Vec<ItemError>) -> Option<FieldDecl> {
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
}

impl FieldSettings {
    const KEYS: [&str; 6] = [
        attrs::SENSITIVE,
        attrs::TELEMETRY,
        attrs::NOTIFICATION,
        attrs::SCOPE,
        attrs::COLUMN,
        attrs::PRIVACY_REVIEWED,
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
                _ => self.privacy_reviewed = loc(entry.string(errors), spans),
            },
        );
    }
}

fn policy(entry: &Entry, errors: &mut Vec<ItemError>) -> Option<(TelemetryPolicy, Span)> {
    let (value, span) = entry.string(errors)?;
    let all = [
        TelemetryPolicy::Keep,
        TelemetryPolicy::Drop,
        TelemetryPolicy::Count,
        TelemetryPolicy::Hash,
    ];
    match all.into_iter().find(|p| p.as_str() == value) {
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
