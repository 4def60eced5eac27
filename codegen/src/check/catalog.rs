//! The `[catalog]` table: exactly one, with a usable name.

use super::Checker;
use crate::diagnostic::{Diagnostic, Rule};
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
        if !checker.unreadable.contains("[catalog]") {
            checker.error(
                Diagnostic::error(Rule::Catalog, "no `[catalog]` table in the definitions").help(
                    "add `[catalog]` with `name = \"...\"` to one definitions file (it names the \
                     generated module and the JSON Schema ids)",
                ),
            );
        }
        return None;
    };
    for extra in &catalogs[1..] {
        checker.error(
            Diagnostic::error(Rule::Catalog, "`[catalog]` is defined more than once")
                .label(&extra.origin, "defined again here")
                .label(&first.origin, "first defined here")
                .help("keep one `[catalog]` table: a catalog has one name, whatever its files"),
        );
    }
    if !naming::is_kebab(&first.name.value) {
        checker.error(
            Diagnostic::error(
                Rule::Naming,
                format!("catalog name `{}` is not lowercase kebab-case", first.name.value),
            )
            .label(&first.name.origin, "expected `[a-z][a-z0-9-]*`")
            .help("the name becomes a Rust module and part of URLs: use lowercase letters, digits and `-`"),
        );
    }
    if let Some(base) = &first.schema_base
        && !(base.value.ends_with('/') && base.value.contains("://"))
    {
        checker.error(
            Diagnostic::error(Rule::Catalog, "`schema_base` must be an absolute URL ending in `/`")
                .label(&base.origin, "not an absolute URL ending in `/`")
                .help("write it like `https://schemas.example.com/orchest/`: schema ids are appended to it"),
        );
    }
    Some(Header {
        name: first.name.value.clone(),
        schema_base: first.schema_base.as_ref().map(|s| s.value.clone()),
        description: first.description.clone(),
    })
}
