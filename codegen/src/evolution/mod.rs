//! Evolution of a catalog: the canonical form of every event's payloads that the lock
//! records ([`canonical`]), and the classification of what changed since ([`diff`]).
//!
//! The rules built on it (a breaking change needs a version bump, a privacy-relevant one a
//! review) live in [`crate::check`], like every rule.

pub mod canonical;
pub mod diff;

use std::collections::BTreeMap;

use crate::model::Catalog;
pub use canonical::{EventSnapshot, FieldRecord};
pub use diff::{Change, ChangeKind, Class};

/// The canonical form of every event of `catalog`, by type.
pub fn snapshot(catalog: &Catalog) -> BTreeMap<String, EventSnapshot> {
    catalog
        .events
        .iter()
        .map(|event| (event.event_type.clone(), EventSnapshot::of(catalog, event)))
        .collect()
}

/// Where a field is declared, as a dotted path into the definitions
/// (`layers.project.fields.name`, `events."project:created".fields.count`).
pub(crate) fn declaration_key(owner: Owner<'_>, field: &str) -> String {
    match owner {
        Owner::Layer(name) => format!("layers.{name}.fields.{field}"),
        Owner::Type(name) => format!("types.{name}.fields.{field}"),
        Owner::Event(event_type) => format!("events.\"{event_type}\".fields.{field}"),
    }
}

/// What declares a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'c> {
    /// A layer, by name.
    Layer(&'c str),
    /// A named type, by name.
    Type(&'c str),
    /// An event, by type.
    Event(&'c str),
}

/// Every field definition of the catalog with its owner.
pub(crate) fn declared_fields(
    catalog: &Catalog,
) -> impl Iterator<Item = (Owner<'_>, &crate::model::FieldDef)> {
    let layers = catalog
        .layers
        .iter()
        .flat_map(|l| l.fields.iter().map(move |f| (Owner::Layer(&l.name), f)));
    let types = catalog
        .types
        .iter()
        .flat_map(|t| t.fields.iter().map(move |f| (Owner::Type(&t.name), f)));
    let events = catalog.events.iter().flat_map(|e| {
        e.fields
            .iter()
            .map(move |f| (Owner::Event(&e.event_type), f))
    });
    layers.chain(types).chain(events)
}

/// Every privacy review given in `catalog`, by the field's [`declaration_key`].
pub(crate) fn privacy_reviews(catalog: &Catalog) -> BTreeMap<String, String> {
    declared_fields(catalog)
        .filter_map(|(owner, field)| {
            let review = field.privacy_reviewed.clone()?;
            Some((declaration_key(owner, &field.name), review))
        })
        .collect()
}
