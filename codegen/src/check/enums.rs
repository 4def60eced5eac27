//! Enums: at least one variant, no repeats, usable as Rust variants.

use std::collections::HashMap;

use super::{Checker, Kind};
use crate::diagnostic::{Diagnostic, Rule};
use crate::ir::EnumDecl;
use crate::model::{EnumDef, Variant};
use crate::naming;
use crate::source::Loc;

pub(crate) fn check(checker: &mut Checker<'_>) -> Vec<EnumDef> {
    let definitions = checker.definitions;
    let mut enums = Vec::with_capacity(definitions.enums.len());
    for decl in &definitions.enums {
        checker.describe(Kind::Enum, &decl.name, decl.description.as_ref());
        check_not_empty(checker, decl);
        enums.push(EnumDef {
            name: decl.name.value.clone(),
            rust_name: naming::pascal_case(&decl.name.value),
            description: decl.description.clone(),
            variants: variants(checker, decl),
            origin: decl.name.origin.clone(),
        });
    }
    enums
}

/// An enum has at least one variant.
fn check_not_empty(checker: &mut Checker<'_>, decl: &EnumDecl) {
    if decl.variants.is_empty() {
        let origin = decl.variants_origin.as_ref().unwrap_or(&decl.name.origin);
        checker.error(
            Diagnostic::error(
                Rule::EnumVariants,
                format!("enum `{}` has no variants", decl.name.value),
            )
            .label(origin, "no variants")
            .help("list its values: `variants = [\"A\", \"B\"]`"),
        );
    }
}

/// The variants that are valid and not repeats (by their Rust name).
fn variants(checker: &mut Checker<'_>, decl: &EnumDecl) -> Vec<Variant> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut variants = Vec::new();
    for (i, variant) in decl.variants.iter().enumerate() {
        if !naming::is_variant(&variant.value) {
            invalid_variant(checker, decl, variant);
            continue;
        }
        let rust_name = naming::pascal_case(&variant.value);
        if let Some(&previous) = seen.get(&rust_name) {
            repeated_variant(checker, decl, &decl.variants[previous], variant, &rust_name);
            continue;
        }
        seen.insert(rust_name.clone(), i);
        variants.push(Variant {
            value: variant.value.clone(),
            rust_name,
        });
    }
    variants
}

fn invalid_variant(checker: &mut Checker<'_>, decl: &EnumDecl, variant: &Loc<String>) {
    checker.error(
        Diagnostic::error(
            Rule::EnumVariants,
            format!("enum `{}` has an invalid variant `{}`", decl.name.value, variant.value),
        )
        .label(&variant.origin, "expected a letter, then letters, digits, `_` or `-`")
        .help("variants become Rust enum variants: start with a letter, use letters, digits, `_` and `-`"),
    );
}

fn repeated_variant(
    checker: &mut Checker<'_>,
    decl: &EnumDecl,
    previous: &Loc<String>,
    variant: &Loc<String>,
    rust_name: &str,
) {
    let message = if previous.value == variant.value {
        format!("enum `{}` lists `{}` twice", decl.name.value, variant.value)
    } else {
        format!(
            "enum `{}`: variants `{}` and `{}` both become the Rust variant `{rust_name}`",
            decl.name.value, previous.value, variant.value
        )
    };
    checker.error(
        Diagnostic::error(Rule::EnumVariants, message)
            .label(&variant.origin, "repeated here")
            .label(&previous.origin, "first here")
            .help("remove the repeat or rename one of them"),
    );
}
