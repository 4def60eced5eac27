//! The TOML front end: definition files into [`Definitions`].
//!
//! A file is parsed into a spanned TOML tree (recovering from syntax errors so that all of
//! them are reported), then each definition is read on its own with serde, so that one
//! bad definition does not hide the problems of the others. Unknown keys are found by
//! comparing the tree with the field names of the serde types in [`raw`], so the format
//! is described in exactly one place.

pub(crate) mod raw;
pub(crate) mod type_expr;

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, Diagnostics, Rule};
use crate::ir::{
    CatalogDecl, Definitions, DeprecationDecl, EnumDecl, EventDecl, FieldDecl, LayerDecl, TypeDecl,
};
use crate::naming;
use crate::source::{FileId, Loc, Origin};
use raw::{RawCatalog, RawDeprecation, RawEnum, RawEvent, RawField, RawLayer, RawType, Sp};

/// Reads one definitions file. Problems go to `diagnostics`; what could be read is returned.
pub(crate) fn parse(file: FileId, text: &str, diagnostics: &mut Diagnostics) -> Definitions {
    let mut reader = Reader {
        file,
        diagnostics,
        definitions: Definitions::default(),
    };
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        for error in syntax_errors {
            reader.toml_error(
                Rule::TomlSyntax,
                &error,
                "check the TOML syntax at this place",
            );
        }
        // A damaged tree would only produce follow-on errors.
        return reader.definitions;
    }
    reader.read_root(root.into_inner());
    reader.definitions
}

struct Reader<'a> {
    file: FileId,
    diagnostics: &'a mut Diagnostics,
    definitions: Definitions,
}

type Entry<'i> = (Spanned<std::borrow::Cow<'i, str>>, Spanned<DeValue<'i>>);

const SECTIONS: &[&str] = &["catalog", "enums", "types", "layers", "events"];

impl Reader<'_> {
    fn origin(&self, span: std::ops::Range<usize>) -> Origin {
        Origin {
            file: self.file,
            span,
        }
    }

    fn loc<T>(&self, spanned: Sp<T>) -> Loc<T> {
        let span = spanned.0.span();
        Loc::new(spanned.0.into_inner(), self.origin(span))
    }

    fn read_root(&mut self, root: DeTable<'_>) {
        for (key, value) in root {
            match key.get_ref().as_ref() {
                "catalog" => self.read_catalog(value),
                "enums" => self.read_section(key, value, Self::read_enum),
                "types" => self.read_section(key, value, Self::read_type),
                "layers" => self.read_section(key, value, Self::read_layer),
                "events" => self.read_section(key, value, Self::read_event),
                _ => self.unknown_key(&key, SECTIONS, "at the top level"),
            }
        }
    }

    /// A table of named definitions (`[layers.*]`); each is read on its own.
    fn read_section<'i>(
        &mut self,
        key: Spanned<std::borrow::Cow<'i, str>>,
        value: Spanned<DeValue<'i>>,
        read: fn(&mut Self, Entry<'i>),
    ) {
        let section = key.get_ref().to_string();
        let Some(table) = self.expect_table(value, &format!("`{section}`")) else {
            return;
        };
        for entry in table {
            read(self, entry);
        }
    }

    fn read_catalog(&mut self, value: Spanned<DeValue<'_>>) {
        let origin = self.origin(value.span());
        let Some(raw) = self.decode::<RawCatalog>(value, "`[catalog]`") else {
            self.definitions.unreadable_catalog = true;
            return;
        };
        self.definitions.catalogs.push(CatalogDecl {
            origin,
            name: self.loc(raw.name),
            schema_base: raw.schema_base.map(|s| self.loc(s)),
            description: raw.description,
        });
    }

    fn read_enum(&mut self, (name, value): Entry<'_>) {
        let name = self.name_loc(name);
        let Some(raw) = self.decode::<RawEnum>(value, &format!("enum `{}`", name.value)) else {
            self.definitions.unreadable.push(name.value);
            return;
        };
        let variants_origin = Some(self.origin(raw.variants.0.span()));
        let variants = raw
            .variants
            .0
            .into_inner()
            .into_iter()
            .map(|v| self.loc(v))
            .collect();
        self.definitions.enums.push(EnumDecl {
            name,
            description: raw.description,
            variants,
            variants_origin,
        });
    }

    fn read_type(&mut self, (name, value): Entry<'_>) {
        let name = self.name_loc(name);
        let what = format!("type `{}`", name.value);
        let Some((raw, fields)) = self.decode_with_fields::<RawType>(value, &what) else {
            self.definitions.unreadable.push(name.value);
            return;
        };
        self.definitions.types.push(TypeDecl {
            name,
            description: raw.description,
            fields,
        });
    }

    fn read_layer(&mut self, (name, value): Entry<'_>) {
        let name = self.name_loc(name);
        let what = format!("layer `{}`", name.value);
        let Some((raw, fields)) = self.decode_with_fields::<RawLayer>(value, &what) else {
            self.definitions.unreadable.push(name.value);
            return;
        };
        self.definitions.layers.push(LayerDecl {
            name,
            description: raw.description,
            parent: raw.parent.map(|v| self.loc(v)),
            is_abstract: raw.is_abstract.map(|v| self.loc(v)),
            inline: raw.inline.map(|v| self.loc(v)),
            segment: raw.segment.map(|v| self.loc(v)),
            key: raw.key.map(|v| self.loc(v)),
            fields,
        });
    }

    fn read_event(&mut self, (name, mut value): Entry<'_>) {
        let event_type = self.name_loc(name);
        let what = format!("event `{}`", event_type.value);
        if let DeValue::Table(table) = value.get_mut()
            && let Some(deprecated) = table.get_mut("deprecated")
            && let DeValue::Table(inner) = deprecated.get_mut()
        {
            self.strip_unknown::<RawDeprecation>(inner, &format!("in the deprecation of {what}"));
        }
        let Some((raw, fields)) = self.decode_with_fields::<RawEvent>(value, &what) else {
            self.definitions.unreadable.push(event_type.value);
            return;
        };
        let deprecated = raw.deprecated.map(|d| {
            let origin = self.origin(d.0.span());
            let d = d.0.into_inner();
            DeprecationDecl {
                origin,
                since: d.since.map(|v| self.loc(v)),
                note: d.note,
                replaced_by: d.replaced_by.map(|v| self.loc(v)),
                sunset: d.sunset.map(|v| self.loc(v)),
            }
        });
        self.definitions.events.push(EventDecl {
            event_type,
            description: raw.description,
            stored: raw.stored.map(|v| self.loc(v)),
            client: raw.client.map(|v| self.loc(v)),
            version: raw.version.map(|v| self.loc(v)),
            deprecated,
            message: raw.message.map(|v| self.loc(v)),
            fields,
        });
    }

    fn name_loc(&self, key: Spanned<std::borrow::Cow<'_, str>>) -> Loc<String> {
        let span = key.span();
        Loc::new(key.into_inner().into_owned(), self.origin(span))
    }

    /// Reads a definition that has `fields`: the fields are read one by one, so that a bad
    /// field loses only itself.
    fn decode_with_fields<T: DeserializeOwned>(
        &mut self,
        mut value: Spanned<DeValue<'_>>,
        what: &str,
    ) -> Option<(T, Vec<FieldDecl>)> {
        let fields = match value.get_mut() {
            DeValue::Table(table) => table.remove("fields"),
            _ => None,
        };
        let raw = self.decode::<T>(value, what)?;
        let fields = match fields {
            Some(fields) => self.read_fields(fields, what),
            None => Vec::new(),
        };
        Some((raw, fields))
    }

    fn read_fields(&mut self, value: Spanned<DeValue<'_>>, owner: &str) -> Vec<FieldDecl> {
        let Some(table) = self.expect_table(value, &format!("the fields of {owner}")) else {
            return Vec::new();
        };
        let mut fields = Vec::with_capacity(table.len());
        for (name, value) in table {
            let name = self.name_loc(name);
            let what = format!("field `{}` of {owner}", name.value);
            let Some(raw) = self.decode::<RawField>(value, &what) else {
                continue;
            };
            let ty_origin = self.origin(raw.ty.0.span());
            let Some(ty) = type_expr::parse(raw.ty.0.get_ref(), &ty_origin, self.diagnostics)
            else {
                continue;
            };
            fields.push(FieldDecl {
                name,
                ty: Loc::new(ty, ty_origin),
                optional: raw.optional.map(|v| self.loc(v)),
                sensitive: raw.sensitive.map(|v| self.loc(v)),
                telemetry: raw.telemetry.map(|v| self.loc(v)),
                notification: raw.notification.map(|v| self.loc(v)),
                scope: raw.scope.map(|v| self.loc(v)),
                column: raw.column.map(|v| self.loc(v)),
                description: raw.description,
                deprecated: raw.deprecated.map(|v| self.loc(v)),
                privacy_reviewed: raw.privacy_reviewed.map(|v| self.loc(v)),
                example: raw.example.map(|v| {
                    let mut example = self.loc(v);
                    untag_datetimes(&mut example.value);
                    example
                }),
            });
        }
        fields
    }

    /// Checks that `value` is a table, reports its unknown keys, and deserializes the rest.
    fn decode<T: DeserializeOwned>(
        &mut self,
        mut value: Spanned<DeValue<'_>>,
        what: &str,
    ) -> Option<T> {
        match value.get_mut() {
            DeValue::Table(table) => self.strip_unknown::<T>(table, &format!("in {what}")),
            other => {
                let found = other.type_str();
                let origin = self.origin(value.span());
                self.diagnostics.push(
                    Diagnostic::error(
                        Rule::InvalidValue,
                        format!("{what} must be a table, found {found}"),
                    )
                    .label(&origin, "expected a table")
                    .help("write it as a `[section]` or an inline table `{ key = value }`"),
                );
                return None;
            }
        }
        match T::deserialize(value.into_deserializer()) {
            Ok(raw) => Some(raw),
            Err(error) => {
                self.toml_error(Rule::InvalidValue, &error, &invalid_value_help(what));
                None
            }
        }
    }

    fn expect_table<'i>(&mut self, value: Spanned<DeValue<'i>>, what: &str) -> Option<DeTable<'i>> {
        let span = value.span();
        match value.into_inner() {
            DeValue::Table(table) => Some(table),
            other => {
                let origin = self.origin(span);
                self.diagnostics.push(
                    Diagnostic::error(
                        Rule::InvalidValue,
                        format!("{what} must be a table, found {}", other.type_str()),
                    )
                    .label(&origin, "expected a table")
                    .help("write it as a `[section]` with one entry per definition"),
                );
                None
            }
        }
    }

    /// Removes (and reports) the keys of `table` that `T` does not have.
    fn strip_unknown<T: DeserializeOwned>(&mut self, table: &mut DeTable<'_>, place: &str) {
        let known = serde_fields::<T>();
        let unknown: Vec<_> = table
            .keys()
            .filter(|key| !known.contains(&key.get_ref().as_ref()))
            .cloned()
            .collect();
        for key in &unknown {
            table.remove(key.get_ref().as_ref());
        }
        for key in unknown {
            self.unknown_key(&key, known, place);
        }
    }

    fn unknown_key(
        &mut self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        known: &[&str],
        place: &str,
    ) {
        let origin = self.origin(key.span());
        let name = key.get_ref();
        let suggestion = naming::did_you_mean(name, known.iter().copied());
        let label = if suggestion.is_empty() {
            "unknown key".to_owned()
        } else {
            suggestion.clone()
        };
        let help = if suggestion.is_empty() {
            format!("the keys allowed here are: {}", known.join(", "))
        } else {
            format!(
                "{suggestion} The keys allowed here are: {}",
                known.join(", ")
            )
        };
        self.diagnostics.push(
            Diagnostic::error(Rule::UnknownKey, format!("unknown key `{name}` {place}"))
                .label(&origin, label)
                .help(help),
        );
    }

    fn toml_error(&mut self, rule: Rule, error: &toml::de::Error, help: &str) {
        let message = error.message().trim_end().to_owned();
        let mut diagnostic = Diagnostic::error(rule, message.clone()).help(help);
        if let Some(span) = error.span() {
            diagnostic = diagnostic.label(&self.origin(span), "here");
        }
        self.diagnostics.push(diagnostic);
    }
}

/// TOML date-times (`example = 2026-01-01T12:00:00Z`) reach a JSON value as a table
/// under toml's private key: they become the string a JSON payload holds.
fn untag_datetimes(value: &mut serde_json::Value) {
    const DATETIME: &str = "$__toml_private_datetime";
    match value {
        serde_json::Value::Object(object) => {
            if object.len() == 1
                && let Some(serde_json::Value::String(text)) = object.get(DATETIME)
            {
                *value = serde_json::Value::String(text.clone());
                return;
            }
            object.values_mut().for_each(untag_datetimes);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(untag_datetimes),
        _ => {}
    }
}

fn invalid_value_help(what: &str) -> String {
    format!("fix the value in {what}; the definitions format documents every key and its type")
}

/// The field names of a serde struct, read from its `Deserialize` impl: the format's keys
/// are written down once, in the types of [`raw`].
pub(crate) fn serde_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    struct Probe<'a>(&'a mut &'static [&'static str]);

    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probed"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_reads_the_keys_of_the_format_types() {
        assert_eq!(
            serde_fields::<RawLayer>(),
            [
                "description",
                "parent",
                "abstract",
                "inline",
                "segment",
                "key",
                "fields"
            ]
        );
        assert!(serde_fields::<RawField>().contains(&"type"));
        assert_eq!(
            serde_fields::<raw::DefinitionsFile>(),
            SECTIONS,
            "the top-level sections read here and the format types agree"
        );
    }
}
