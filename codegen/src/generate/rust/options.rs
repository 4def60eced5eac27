//! What a consuming crate adds to the generated declarations (the `Builder`'s
//! `type_attribute` and `field_attribute`, after prost-build's, or `[rust]` in
//! `eventgen.toml`): attributes on the event, layer, named-type and enum types, and on
//! their fields, chosen by definition name; and, opted into, serde's traits on events and
//! layers as their notification payloads.

use event_runtime::schema::Tables;
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parser;

/// Attributes added to the generated declarations. A path is `"."` (every type, or every
/// field), a definition's name (`project`, `job-status`, `project:created`), or for a
/// field also `"<definition>.<field>"` (`project.name`).
#[derive(Debug, Clone, Default)]
pub struct Options {
    type_attributes: Vec<(String, String)>,
    field_attributes: Vec<(String, String)>,
    serde: bool,
    tables: Tables,
}

impl Options {
    /// Adds `attribute` (Rust source, e.g. `#[derive(Hash)]`) to the types `path` selects.
    pub fn type_attribute(&mut self, path: impl Into<String>, attribute: impl Into<String>) {
        self.type_attributes.push((path.into(), attribute.into()));
    }

    /// Adds `attribute` to the fields `path` selects.
    pub fn field_attribute(&mut self, path: impl Into<String>, attribute: impl Into<String>) {
        self.field_attributes.push((path.into(), attribute.into()));
    }

    /// Adds the attributes of `other` after these (`serde` stays as it is).
    pub fn extend(&mut self, other: Options) {
        self.type_attributes.extend(other.type_attributes);
        self.field_attributes.extend(other.field_attributes);
    }

    /// Whether events and layers implement serde's `Serialize` and `Deserialize` as their
    /// notification payloads, and `Event` as any stored event's (default: off, which
    /// leaves the module as it is without the option).
    pub fn set_serde(&mut self, on: bool) {
        self.serde = on;
    }

    /// Whether [`Options::set_serde`] is on.
    pub fn serde(&self) -> bool {
        self.serde
    }

    /// The names of the runtime's tables the module's `TABLES` gives the store (the
    /// project's `[tables]` and migrations table; default: the runtime's defaults).
    pub fn set_tables(&mut self, tables: Tables) {
        self.tables = tables;
    }

    /// What [`Options::set_tables`] set.
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Checks that every attribute is Rust outer attributes; the error names the first
    /// that is not.
    pub fn check(&self) -> Result<(), String> {
        let all = self.type_attributes.iter().chain(&self.field_attributes);
        for (path, attribute) in all {
            if let Err(error) = Self::check_attribute(attribute) {
                return Err(format!(
                    "the attribute `{attribute}` for `{path}` is not Rust attributes \
                     (`#[...]`): {error}"
                ));
            }
        }
        Ok(())
    }

    /// Checks that `attribute` is Rust outer attributes (`#[derive(Hash)] #[doc = "..."]`);
    /// the error is the parser's.
    pub fn check_attribute(attribute: &str) -> Result<(), String> {
        parse(attribute)
            .map(drop)
            .map_err(|error| error.to_string())
    }

    /// The attributes of the type generated for the definition `name`.
    pub(super) fn type_attrs(&self, name: &str) -> TokenStream {
        attributes(&self.type_attributes, |path| path == "." || path == name)
    }

    /// The attributes of the member `field` of the type of the definition `owner`.
    pub(super) fn field_attrs(&self, owner: &str, field: &str) -> TokenStream {
        attributes(&self.field_attributes, |path| match path.split_once('.') {
            _ if path == "." || path == owner => true,
            Some((def, member)) => def == owner && member == field,
            None => false,
        })
    }
}

fn parse(attribute: &str) -> syn::Result<Vec<syn::Attribute>> {
    syn::Attribute::parse_outer.parse_str(attribute)
}

/// The attributes whose path `selects` accepts, in the order they were added. Ones that do
/// not parse are left out: `check` reports them before generation.
fn attributes(all: &[(String, String)], selects: impl Fn(&str) -> bool) -> TokenStream {
    let attrs = all
        .iter()
        .filter(|(path, _)| selects(path))
        .flat_map(|(_, attribute)| parse(attribute).unwrap_or_default());
    quote!(#(#attrs)*)
}
