//! Rust field types as definition types: `Uuid`, `String`, `bool`, `i64`, `f64`,
//! `Timestamp`, `serde_json::Value`, `Vec<T>`, `BTreeMap<String, T>`, the name of an enum
//! or named type, and `Option<T>` around the whole for an optional field.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{GenericArgument, PathArguments, PathSegment, Type};

use super::{ItemError, Spans, kebab_name};
use crate::diagnostic::Rule;
use crate::ir::{MAX_DEPTH, TypeExpr};
use crate::source::Loc;

const HELP: &str = "a field type is `Uuid`, `String`, `bool`, `i64`, `f64`, `Timestamp`, \
                    `serde_json::Value`, `Vec<T>`, `BTreeMap<String, T>`, an enum or named type, \
                    or `Option<T>` of one of them for an optional field";

/// A field's type, and the span of `Option` when it is optional.
pub(super) fn field_type(
    ty: &Type,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<(Loc<TypeExpr>, Option<Span>)> {
    let (inner, optional) = match single_argument(ty, "Option") {
        Some(Ok(inner)) => (inner, Some(ty.span())),
        Some(Err(error)) => {
            errors.push(error);
            return None;
        }
        None => (ty, None),
    };
    let expr = convert(inner, 0, spans, errors)?;
    let origin = spans.origin(inner.span());
    Some((Loc::new(expr, origin), optional))
}

/// The Rust names of the built-in types, with their names in definitions.
const BUILTINS: [(&str, &str); 7] = [
    ("Uuid", "uuid"),
    ("String", "string"),
    ("bool", "bool"),
    ("i64", "int"),
    ("f64", "float"),
    ("Timestamp", "timestamp"),
    ("Value", "json"),
];

fn convert(
    ty: &Type,
    depth: usize,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<TypeExpr> {
    if depth > MAX_DEPTH {
        errors.push(unsupported(
            ty,
            &format!("nested more than {MAX_DEPTH} levels deep"),
        ));
        return None;
    }
    let last = last_segment(ty, errors)?;
    let name = last.ident.to_string();
    if let Some((_, builtin)) = BUILTINS.iter().find(|(rust, _)| *rust == name) {
        return builtin_type(ty, last, builtin, spans, errors);
    }
    match name.as_str() {
        "Vec" => match single_argument(ty, "Vec")? {
            Ok(inner) => {
                convert(inner, depth + 1, spans, errors).map(|t| TypeExpr::List(Box::new(t)))
            }
            Err(error) => {
                errors.push(error);
                None
            }
        },
        "BTreeMap" => map(ty, last, depth, spans, errors),
        "Option" => {
            errors.push(unsupported(
                ty,
                "only the whole field can be optional: `Option<T>` cannot be nested",
            ));
            None
        }
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i128"
        | "isize" | "f32" | "char" | "str" | "HashMap" | "HashSet" | "BTreeSet" | "Box" => {
            errors.push(unsupported(ty, &format!("`{name}` is not a field type")));
            None
        }
        _ => named(ty, last, &name, spans, errors),
    }
}

/// The last segment of a plain path: only paths name field types, and the derives
/// cannot resolve a path, so they go by its last segment.
fn last_segment<'a>(ty: &'a Type, errors: &mut Vec<ItemError>) -> Option<&'a PathSegment> {
    let Type::Path(path) = ty else {
        errors.push(unsupported(ty, "this kind of type is not a field type"));
        return None;
    };
    let Some(last) = path.path.segments.last() else {
        errors.push(unsupported(ty, "an empty path"));
        return None;
    };
    if path.qself.is_some() {
        errors.push(unsupported(ty, "a qualified path is not a field type"));
        return None;
    }
    Some(last)
}

/// A built-in type, such as `String` for `string`.
fn builtin_type(
    ty: &Type,
    last: &PathSegment,
    builtin: &str,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<TypeExpr> {
    if !matches!(last.arguments, PathArguments::None) {
        errors.push(unsupported(
            ty,
            &format!("`{}` takes no type arguments", last.ident),
        ));
        return None;
    }
    Some(TypeExpr::Name(Loc::new(
        builtin.to_owned(),
        spans.origin(ty.span()),
    )))
}

/// `BTreeMap<String, T>`: payload maps are JSON objects, whose keys are strings.
fn map(
    ty: &Type,
    last: &PathSegment,
    depth: usize,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<TypeExpr> {
    match arguments(last).as_slice() {
        [key, value] if is_string(key) => {
            convert(value, depth + 1, spans, errors).map(|t| TypeExpr::Map(Box::new(t)))
        }
        [key, _] => {
            errors.push(unsupported(
                key,
                "map keys are strings: write `BTreeMap<String, T>`",
            ));
            None
        }
        _ => {
            errors.push(unsupported(ty, "write `BTreeMap<String, T>`"));
            None
        }
    }
}

/// Any other name is an enum or named type of the catalog, in kebab-case (the checker
/// reports a name it does not define).
fn named(
    ty: &Type,
    last: &PathSegment,
    name: &str,
    spans: &mut dyn Spans,
    errors: &mut Vec<ItemError>,
) -> Option<TypeExpr> {
    if !matches!(last.arguments, PathArguments::None) {
        errors.push(unsupported(
            ty,
            "an enum or named type takes no type arguments",
        ));
        return None;
    }
    Some(TypeExpr::Name(Loc::new(
        kebab_name(name),
        spans.origin(last.ident.span()),
    )))
}

/// `Some(Ok(T))` for `Name<T>`, `Some(Err)` for `Name` with other arguments, `None` for
/// other types.
fn single_argument<'a>(ty: &'a Type, name: &str) -> Option<Result<&'a Type, ItemError>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    Some(match arguments(last).as_slice() {
        [inner] => Ok(*inner),
        _ => Err(unsupported(ty, &format!("write `{name}<T>`"))),
    })
}

fn arguments(segment: &PathSegment) -> Vec<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn is_string(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "String"))
}

fn unsupported(ty: &impl Spanned, label: &str) -> ItemError {
    ItemError::new(
        Rule::InvalidType,
        ty.span(),
        format!("unsupported field type: {label}"),
        HELP,
    )
}
