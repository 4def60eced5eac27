//! The checker: every rule of the definitions format, in one place, for every front end.
//!
//! It reads [`Definitions`], reports every problem it finds (it never stops at the first),
//! and builds the [`Catalog`] when there is none. Each submodule owns one concern.

mod append_only;
mod catalog;
mod enums;
mod events;
pub(crate) mod evolution;
mod examples;
mod fields;
mod layers;
mod messages;
mod objects;
mod operational;
mod published_schemas;
mod rust_names;

use std::collections::{HashMap, HashSet};
use std::fmt;

pub(crate) use append_only::append_only;
pub(crate) use published_schemas::{is_schema_path, published_schemas};

use crate::date::Date;
use crate::diagnostic::{Diagnostic, Diagnostics, Rule};
use crate::ir::Definitions;
use crate::model::{Catalog, EnumId, TypeId, TypeNames};
use crate::naming;
use crate::source::{Loc, Origin};

/// Checks `definitions`, adding every problem to `diagnostics`. Returns the catalog when
/// no error was found (warnings allowed) in this phase or before it. A deprecated event
/// whose sunset is before `today` is an error.
pub fn check_on(
    definitions: &Definitions,
    diagnostics: &mut Diagnostics,
    today: Date,
) -> Option<Catalog> {
    let definitions = operational::with_operational(definitions, diagnostics);
    let mut checker = Checker::new(&definitions, diagnostics, today);
    let header = catalog::check(&mut checker);
    let enums = enums::check(&mut checker);
    let types = fields::check_types(&mut checker);
    let layers = layers::check(&mut checker);
    let events = events::check(&mut checker, &layers);
    objects::check(&mut checker, &layers, &events);
    fields::check_columns(&mut checker, &layers, &events);
    rust_names::check(&mut checker, &enums, &types, &layers, &events);
    rust_names::check_event_members(&mut checker, &layers, &events);
    if checker.diagnostics.has_errors() {
        return None;
    }
    let header = header?;
    let catalog = Catalog {
        name: header.name,
        schema_base: header.schema_base,
        description: header.description,
        enums,
        types,
        layers,
        events,
    };
    // Templates are matched against the payload shapes, which only a catalog has.
    messages::check(&mut checker, &catalog);
    (!checker.diagnostics.has_errors()).then_some(catalog)
}

/// The checker names types before there is a catalog: the id of an enum or a named type
/// is the index of its declaration.
impl TypeNames for Definitions {
    fn enum_name(&self, id: EnumId) -> &str {
        &self.enums[id.0].name.value
    }

    fn type_name(&self, id: TypeId) -> &str {
        &self.types[id.0].name.value
    }
}

/// What a shared rule reports on: a kind of definition, or a kind of name in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Layer,
    Event,
    Enum,
    NamedType,
    /// The name of a field.
    FieldName,
    /// A field's storage column.
    Column,
    /// The key of a layer's payload object.
    PayloadKey,
}

impl Kind {
    /// As diagnostics name it.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Layer => "layer",
            Kind::Event => "event",
            Kind::Enum => "enum",
            Kind::NamedType => "type",
            Kind::FieldName => "field name",
            Kind::Column => "column",
            Kind::PayloadKey => "payload key",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// What the submodules share: the definitions, the diagnostics, and name look-ups.
pub(crate) struct Checker<'a> {
    pub definitions: &'a Definitions,
    pub diagnostics: &'a mut Diagnostics,
    /// First declaration of each enum, type and layer name.
    pub enum_index: HashMap<&'a str, usize>,
    pub type_index: HashMap<&'a str, usize>,
    pub layer_index: HashMap<&'a str, usize>,
    /// Declarations that could not be read: defined, but not checkable.
    pub unreadable: HashSet<&'a str>,
    /// Fields whose type did not resolve (already reported): rules about their type skip them.
    pub untyped_fields: HashSet<Origin>,
    /// The day sunsets are compared with.
    pub today: Date,
}

impl<'a> Checker<'a> {
    fn new(definitions: &'a Definitions, diagnostics: &'a mut Diagnostics, today: Date) -> Self {
        let unreadable = definitions.unreadable.iter().map(String::as_str).collect();
        let mut checker = Checker {
            definitions,
            diagnostics,
            enum_index: HashMap::new(),
            type_index: HashMap::new(),
            layer_index: HashMap::new(),
            unreadable,
            untyped_fields: HashSet::new(),
            today,
        };
        checker.enum_index = checker.index(Kind::Enum, definitions.enums.iter().map(|e| &e.name));
        checker.type_index =
            checker.index(Kind::NamedType, definitions.types.iter().map(|t| &t.name));
        checker.layer_index =
            checker.index(Kind::Layer, definitions.layers.iter().map(|l| &l.name));
        checker
    }

    /// Maps names to their first declaration, reporting repeats and bad names.
    fn index<'n>(
        &mut self,
        kind: Kind,
        names: impl Iterator<Item = &'n Loc<String>>,
    ) -> HashMap<&'n str, usize> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut first: Vec<&Loc<String>> = Vec::new();
        for (i, name) in names.enumerate() {
            first.push(name);
            self.kebab_name(kind, name);
            if let Some(&previous) = index.get(name.value.as_str()) {
                self.duplicate(kind, name, first[previous]);
            } else {
                index.insert(&name.value, i);
            }
        }
        index
    }

    pub(crate) fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Reports `name` as a second definition of what `previous` defines.
    pub(crate) fn duplicate(&mut self, kind: Kind, name: &Loc<String>, previous: &Loc<String>) {
        self.error(
            Diagnostic::error(
                Rule::Duplicate,
                format!("{kind} `{}` is defined twice", name.value),
            )
            .label(&name.origin, "defined again here")
            .label(&previous.origin, "first defined here")
            .help(format!(
                "rename one of them or remove one: each {kind} is defined once"
            )),
        );
    }

    /// Reports a name that is not lowercase kebab-case.
    pub(crate) fn kebab_name(&mut self, kind: Kind, name: &Loc<String>) {
        if !naming::is_kebab(&name.value) {
            self.error(
                Diagnostic::error(
                    Rule::Naming,
                    format!("{kind} name `{}` is not lowercase kebab-case", name.value),
                )
                .label(&name.origin, "expected `[a-z][a-z0-9-]*`")
                .help(format!(
                    "write it as `{}`",
                    naming::suggest_kebab(&name.value)
                )),
            );
        }
    }

    /// Reports a name that is not snake_case (fields, keys, columns).
    pub(crate) fn snake_name(&mut self, kind: Kind, name: &str, origin: &Origin) {
        if !naming::is_snake(name) {
            self.error(
                Diagnostic::error(Rule::Naming, format!("{kind} `{name}` is not snake_case"))
                    .label(origin, "expected `[a-z][a-z0-9_]*`")
                    .help(format!("write it as `{}`", naming::suggest_snake(name))),
            );
        }
    }

    /// Warns about a definition without a description.
    pub(crate) fn describe(
        &mut self,
        kind: Kind,
        name: &Loc<String>,
        description: Option<&String>,
    ) {
        if description.is_none_or(|d| d.trim().is_empty()) {
            self.error(
                Diagnostic::warning(
                    Rule::MissingDescription,
                    format!("{kind} `{}` has no description", name.value),
                )
                .label(&name.origin, "")
                .help(
                    "add `description = \"...\"`: it becomes the rustdoc, the JSON Schema \
                     description and the catalog docs",
                ),
            );
        }
    }
}

/// A setting that is on only when written `true`.
pub(crate) fn flag(value: &Option<Loc<bool>>) -> bool {
    value.as_ref().is_some_and(|v| v.value)
}
