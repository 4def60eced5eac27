//! The `[catalog]` table: exactly one, with a usable name.

use super::Checker;
use crate::diagnostic::{Diagnostic, Rule};
use crate::ir::CatalogDecl;
use crate::naming;

/// The checked `[catalog]` settings.
pub(crate) struct Header {
    pub name: String,
    pub schema_base: Option<String>,
    pub description: Option<String>,
}

pub(crate) fn check(checker: &mut Checker<'_>) -> Option<Header> {
    let catalogs = &checker.definitions.catalogs;
    let Some(first) = catalogs.first() else {
        if !checker.definitions.unreadable_catalog {
            checker.error(
                Diagnostic::error(Rule::Catalog, "no `[catalog]` table in the definitions").help(
                    "add `[catalog]` with `name = \"...\"` to one definitions file (it names the \
                     generated module and the JSON Schema ids)",
                ),
            );
        }
        return None;
    };
    check_single(checker, first, &catalogs[1..]);
    check_name(checker, first);
    check_schema_base(checker, first);
    Some(Header {
        name: first.name.value.clone(),
        schema_base: first.schema_base.as_ref().map(|s| s.value.clone()),
        description: first.description.clone(),
    })
}

/// A catalog has one `[catalog]` table, whatever its files.
fn check_single(checker: &mut Checker<'_>, first: &CatalogDecl, extras: &[CatalogDecl]) {
    for extra in extras {
        checker.error(
            Diagnostic::error(Rule::Catalog, "`[catalog]` is defined more than once")
                .label(&extra.origin, "defined again here")
                .label(&first.origin, "first defined here")
                .help("keep one `[catalog]` table: a catalog has one name, whatever its files"),
        );
    }
}

/// The name is lowercase kebab-case.
fn check_name(checker: &mut Checker<'_>, catalog: &CatalogDecl) {
    if !naming::is_kebab(&catalog.name.value) {
        checker.error(
            Diagnostic::error(
                Rule::Naming,
                format!("catalog name `{}` is not lowercase kebab-case", catalog.name.value),
            )
            .label(&catalog.name.origin, "expected `[a-z][a-z0-9-]*`")
            .help("the name becomes a Rust module and part of URLs: use lowercase letters, digits and `-`"),
        );
    }
}

/// `schema_base` is an absolute URL ending in `/`.
fn check_schema_base(checker: &mut Checker<'_>, catalog: &CatalogDecl) {
    if let Some(base) = &catalog.schema_base
        && !(base.value.ends_with('/') && base.value.contains("://"))
    {
        checker.error(
            Diagnostic::error(Rule::Catalog, "`schema_base` must be an absolute URL ending in `/`")
                .label(&base.origin, "not an absolute URL ending in `/`")
                .help("write it like `https://schemas.example.com/orchest/`: schema ids are appended to it"),
        );
    }
}
