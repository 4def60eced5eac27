//! The attributes of the derives: their keywords, and a reader for their arguments that
//! reports every mistake of an attribute, not only the first.

use proc_macro2::{Ident, Span};
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Lit, Meta, Token, parenthesized, token};

use super::ItemError;
use crate::diagnostic::Rule;
use crate::naming;

/// `#[catalog(...)]`: the catalog's identity, on a unit struct deriving `Catalog`.
pub(crate) const CATALOG: &str = "catalog";
/// `#[layer(...)]` on a struct deriving `Layer`; bare `#[layer]` on a member of an event
/// that holds one of its layers.
pub(crate) const LAYER: &str = "layer";
/// `#[event(...)]` on a struct deriving `Event`.
pub(crate) const EVENT: &str = "event";
/// `#[named_type(...)]` on a struct deriving `NamedType`.
pub(crate) const NAMED_TYPE: &str = "named_type";
/// `#[named_enum(...)]` on an enum deriving `NamedEnum`.
pub(crate) const NAMED_ENUM: &str = "named_enum";
/// `#[variant(...)]` on a variant of a `NamedEnum`.
pub(crate) const VARIANT: &str = "variant";
/// `#[field(...)]` on a field of a layer, event or named type.
pub(crate) const FIELD: &str = "field";
/// Every helper attribute of the derives (each derive accepts them all, so that a
/// misplaced one is reported by name rather than as an unknown attribute).
pub(crate) const HELPERS: &[&str] = &[
    CATALOG, LAYER, EVENT, NAMED_TYPE, NAMED_ENUM, VARIANT, FIELD,
];

/// `name = "..."`: the definition's name (default: the Rust name in kebab-case).
pub(crate) const NAME: &str = "name";
/// `schema_base = "..."` of a catalog.
pub(crate) const SCHEMA_BASE: &str = "schema_base";
/// `src = "..."` of a catalog: a file or directory (relative to the package) that the
/// derives read besides `src/`, for definitions declared outside it.
pub(crate) const SRC: &str = "src";
/// `parent = "..."` of a layer.
pub(crate) const PARENT: &str = "parent";
/// `abstract` of a layer.
pub(crate) const ABSTRACT: &str = "abstract";
/// `inline` of a layer.
pub(crate) const INLINE: &str = "inline";
/// `segment = "..."` of a layer.
pub(crate) const SEGMENT: &str = "segment";
/// `key = "..."` of a layer.
pub(crate) const KEY: &str = "key";
/// `type = "..."`: an event's full type.
pub(crate) const TYPE: &str = "type";
/// `stored = false`: an analytics-only event.
pub(crate) const STORED: &str = "stored";
/// `client` event.
pub(crate) const CLIENT: &str = "client";
/// `version = N` of an event.
pub(crate) const VERSION: &str = "version";
/// `message = "..."` of an event: its chat message template.
pub(crate) const MESSAGE: &str = "message";
/// `deprecated(since, note, replaced_by, sunset)` of an event.
pub(crate) const DEPRECATED: &str = "deprecated";
/// `since = "..."` of a deprecation.
pub(crate) const SINCE: &str = "since";
/// `note = "..."` of a deprecation.
pub(crate) const NOTE: &str = "note";
/// `replaced_by = "..."` of a deprecation.
pub(crate) const REPLACED_BY: &str = "replaced_by";
/// `sunset = "YYYY-MM-DD"` of a deprecation.
pub(crate) const SUNSET: &str = "sunset";
/// `value = "..."` of an enum variant (default: the variant in SCREAMING_SNAKE_CASE).
pub(crate) const VALUE: &str = "value";
/// `sensitive` field.
pub(crate) const SENSITIVE: &str = "sensitive";
/// `telemetry = "keep" | "drop" | "count" | "hash" | "derived"` of a field.
pub(crate) const TELEMETRY: &str = "telemetry";
/// `notification = false`: a telemetry-only field.
pub(crate) const NOTIFICATION: &str = "notification";
/// `scope` field.
pub(crate) const SCOPE: &str = "scope";
/// `column = "..."` of a field.
pub(crate) const COLUMN: &str = "column";
/// `privacy_reviewed = "..."` of a field.
pub(crate) const PRIVACY_REVIEWED: &str = "privacy_reviewed";
/// `example = ...` of a field: a literal, `-` a number, or `[...]` of those.
pub(crate) const EXAMPLE: &str = "example";

/// One `key`, `key = value` or `key(...)` of an attribute.
pub(super) struct Entry {
    /// The key as written.
    pub key: String,
    /// The key's span.
    pub span: Span,
    /// What follows it.
    pub value: EntryValue,
}

/// What follows a key.
pub(super) enum EntryValue {
    /// Nothing: a flag.
    Flag,
    /// `= literal`.
    Lit(Lit),
    /// `= something that is not a literal`.
    Other(Box<Expr>),
    /// `(...)`.
    List(Vec<Entry>),
}

/// The attributes named `name` among `attrs`.
pub(super) fn named<'a>(
    attrs: &'a [Attribute],
    name: &'a str,
) -> impl Iterator<Item = &'a Attribute> {
    attrs.iter().filter(move |a| a.path().is_ident(name))
}

/// Reads the entries of `#[attr(...)]` (a bare `#[attr]` has none), reporting syntax
/// errors to `errors`.
pub(super) fn entries(attr: &Attribute, errors: &mut Vec<ItemError>) -> Vec<Entry> {
    match &attr.meta {
        Meta::Path(_) => Vec::new(),
        Meta::List(list) => match list.parse_args_with(parse_entries) {
            Ok(entries) => entries,
            Err(error) => {
                errors.push(ItemError::new(
                    Rule::InvalidValue,
                    error.span(),
                    format!("cannot read `#[{}(...)]`: {error}", name_of(attr)),
                    "write `key`, `key = value` or `key(...)` entries separated by commas",
                ));
                Vec::new()
            }
        },
        Meta::NameValue(nv) => {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                nv.eq_token.span,
                format!(
                    "`#[{} = ...]` is not an attribute of the derives",
                    name_of(attr)
                ),
                format!("write `#[{}(key = value, ...)]`", name_of(attr)),
            ));
            Vec::new()
        }
    }
}

fn name_of(attr: &Attribute) -> String {
    attr.path()
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// `key`, `key = value` and `key(...)` separated by commas. Keys may be Rust keywords
/// (`type`, `abstract`), which syn's `Meta` does not accept.
fn parse_entries(input: ParseStream<'_>) -> syn::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    while !input.is_empty() {
        let key = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            match input.parse::<Expr>()? {
                Expr::Lit(lit) => EntryValue::Lit(lit.lit),
                other => EntryValue::Other(Box::new(other)),
            }
        } else if input.peek(token::Paren) {
            let content;
            parenthesized!(content in input);
            EntryValue::List(parse_entries(&content)?)
        } else {
            EntryValue::Flag
        };
        entries.push(Entry {
            key: key.to_string(),
            span: key.span(),
            value,
        });
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(entries)
}

/// Reads entries against the keys `known`, once each: unknown and repeated keys are
/// reported, and `read` is called for the others.
pub(super) fn each_known(
    entries: Vec<Entry>,
    known: &[&str],
    place: &str,
    errors: &mut Vec<ItemError>,
    mut read: impl FnMut(Entry, &mut Vec<ItemError>),
) {
    let mut seen: Vec<String> = Vec::new();
    for entry in entries {
        if !known.contains(&entry.key.as_str()) {
            let suggestion = naming::did_you_mean(&entry.key, known.iter().copied());
            let help = if suggestion.is_empty() {
                format!("the keys allowed here are: {}", known.join(", "))
            } else {
                format!(
                    "{suggestion} The keys allowed here are: {}",
                    known.join(", ")
                )
            };
            errors.push(ItemError::new(
                Rule::UnknownKey,
                entry.span,
                format!("unknown key `{}` in {place}", entry.key),
                help,
            ));
            continue;
        }
        if seen.contains(&entry.key) {
            errors.push(ItemError::new(
                Rule::InvalidValue,
                entry.span,
                format!("`{}` is given twice in {place}", entry.key),
                "remove one of them",
            ));
            continue;
        }
        seen.push(entry.key.clone());
        read(entry, errors);
    }
}

impl Entry {
    /// A string value: `key = "..."`.
    pub(super) fn string(&self, errors: &mut Vec<ItemError>) -> Option<(String, Span)> {
        match &self.value {
            EntryValue::Lit(Lit::Str(s)) => Some((s.value(), s.span())),
            _ => {
                errors.push(self.wrong("a string", &format!("{} = \"...\"", self.key)));
                None
            }
        }
    }

    /// A boolean: a bare flag (true) or `key = true | false`.
    pub(super) fn flag(&self, errors: &mut Vec<ItemError>) -> Option<(bool, Span)> {
        match &self.value {
            EntryValue::Flag => Some((true, self.span)),
            EntryValue::Lit(Lit::Bool(b)) => Some((b.value, b.span)),
            _ => {
                errors.push(self.wrong("a boolean", &format!("{0}` or `{0} = false", self.key)));
                None
            }
        }
    }

    /// A positive 32-bit integer: `key = N`.
    pub(super) fn int(&self, errors: &mut Vec<ItemError>) -> Option<(u32, Span)> {
        match &self.value {
            EntryValue::Lit(Lit::Int(i)) => match i.base10_parse::<u32>() {
                Ok(value) => Some((value, i.span())),
                Err(_) => {
                    errors.push(self.wrong(
                        "a whole number from 0 to 4294967295",
                        &format!("{} = 2", self.key),
                    ));
                    None
                }
            },
            _ => {
                errors.push(self.wrong("a whole number", &format!("{} = 2", self.key)));
                None
            }
        }
    }

    /// A value for JSON: a string, number or boolean literal, a negative number, or an
    /// array of those (`key = ["a", "b"]`).
    pub(super) fn json(&self, errors: &mut Vec<ItemError>) -> Option<(serde_json::Value, Span)> {
        let value = match &self.value {
            EntryValue::Lit(lit) => lit_json(lit),
            EntryValue::Other(expr) => expr_json(expr),
            EntryValue::Flag | EntryValue::List(_) => None,
        };
        match value {
            Some(value) => Some((value, self.value_span())),
            None => {
                errors.push(self.wrong(
                    "a literal (string, number or boolean) or an array of them",
                    &format!("{} = \"...\"", self.key),
                ));
                None
            }
        }
    }

    /// The span of the value (or of the key for a flag).
    pub(super) fn value_span(&self) -> Span {
        match &self.value {
            EntryValue::Flag | EntryValue::List(_) => self.span,
            EntryValue::Lit(lit) => lit.span(),
            EntryValue::Other(expr) => expr.span(),
        }
    }

    fn wrong(&self, expected: &str, example: &str) -> ItemError {
        let found = match &self.value {
            EntryValue::Flag => "nothing",
            EntryValue::Lit(Lit::Str(_)) => "a string",
            EntryValue::Lit(Lit::Bool(_)) => "a boolean",
            EntryValue::Lit(Lit::Int(_)) => "a number",
            EntryValue::Lit(_) => "another literal",
            EntryValue::Other(_) => "an expression",
            EntryValue::List(_) => "a list",
        };
        ItemError::new(
            Rule::InvalidValue,
            self.value_span(),
            format!("`{}` takes {expected}, found {found}", self.key),
            format!("write `{example}`"),
        )
    }
}

/// A literal as JSON; `None` for one JSON has no value for (bytes, chars, an integer out
/// of range).
fn lit_json(lit: &Lit) -> Option<serde_json::Value> {
    Some(match lit {
        Lit::Str(s) => s.value().into(),
        Lit::Bool(b) => b.value.into(),
        Lit::Int(i) => i.base10_parse::<i64>().ok()?.into(),
        Lit::Float(f) => serde_json::Number::from_f64(f.base10_parse::<f64>().ok()?)?.into(),
        _ => return None,
    })
}

/// An expression of literals as JSON: a negative number, an array, a parenthesized value.
fn expr_json(expr: &Expr) -> Option<serde_json::Value> {
    match expr {
        Expr::Lit(lit) => lit_json(&lit.lit),
        Expr::Paren(inner) => expr_json(&inner.expr),
        Expr::Group(inner) => expr_json(&inner.expr),
        Expr::Array(array) => array.elems.iter().map(expr_json).collect(),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => match expr_json(expr)? {
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Some((-i).into())
                } else {
                    serde_json::Number::from_f64(-n.as_f64()?).map(Into::into)
                }
            }
            _ => None,
        },
        _ => None,
    }
}

/// The text of the doc comments among `attrs` (each line without the space after `///`),
/// or `None` when there is none.
pub(super) fn docs(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in named(attrs, "doc") {
        if let Meta::NameValue(nv) = &attr.meta
            && let Expr::Lit(lit) = &nv.value
            && let Lit::Str(s) = &lit.lit
        {
            let text = s.value();
            for line in text.lines() {
                lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned());
            }
        }
    }
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}
