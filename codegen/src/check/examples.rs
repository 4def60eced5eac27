//! Examples: a field's `example` is a value of its type, in the form its payloads carry
//! (uuids and timestamps as canonical strings), so every sample built from it validates
//! against the field's schema.

use event_runtime::reexport::chrono::DateTime;
use event_runtime::reexport::uuid::Uuid;
use serde_json::Value;

use super::Checker;
use crate::diagnostic::{Diagnostic, Rule};
use crate::ir::{FieldDecl, TypeExpr};
use crate::model::{EnumId, FieldType, TypeId};

/// Deepest nesting of named types an example is checked through: named types may refer to
/// themselves through lists and maps, and an example is finite, but a bound keeps a
/// hostile one from recursing without end.
const MAX_DEPTH: usize = 32;

/// Reports an example that is not a value of the field's type (`ty`, when it resolved).
pub(super) fn check(checker: &mut Checker<'_>, decl: &FieldDecl, ty: Option<&FieldType>) {
    let (Some(example), Some(ty)) = (&decl.example, ty) else {
        return;
    };
    let problem = if example.value.is_null() {
        Some(Problem {
            at: String::new(),
            found: "null".to_owned(),
            expected: "a value: an example shows what the field holds".to_owned(),
            write: None,
        })
    } else {
        mismatch(checker, ty, &example.value, String::new(), 0)
    };
    let Some(problem) = problem else {
        return;
    };
    let name = &decl.name.value;
    let at = if problem.at.is_empty() {
        String::new()
    } else {
        format!(" at `{}`", problem.at)
    };
    let write = problem.write.unwrap_or_else(|| sample_text(checker, ty, 0));
    checker.error(
        Diagnostic::error(
            Rule::Example,
            format!(
                "the example of field `{name}`{at} is {}, not {}",
                problem.found, problem.expected
            ),
        )
        .label(&example.origin, format!("expected {}", problem.expected))
        .help(format!(
            "write a value of the field's type `{}`, e.g. `example = {write}`, or remove `example` to have one made up",
            ty.display(checker.definitions)
        )),
    );
}

/// What is wrong with an example, and where in it.
struct Problem {
    /// The path inside the example (`steps[0].title`), empty at its top.
    at: String,
    /// What was found there.
    found: String,
    /// What a value there must be.
    expected: String,
    /// What to write instead, when the type's sample is not the best advice.
    write: Option<String>,
}

/// The first place where `value` is not a value of `ty`.
fn mismatch(
    checker: &Checker<'_>,
    ty: &FieldType,
    value: &Value,
    at: String,
    depth: usize,
) -> Option<Problem> {
    let wrong = |expected: &str| Problem {
        at: at.clone(),
        found: describe(value),
        expected: expected.to_owned(),
        write: None,
    };
    match ty {
        FieldType::Json => None,
        FieldType::String => (!value.is_string()).then(|| wrong("a string")),
        FieldType::Bool => (!value.is_boolean()).then(|| wrong("a boolean")),
        FieldType::Int => (!value.is_i64()).then(|| wrong("a whole number (64-bit)")),
        FieldType::Float => (!value.is_number()).then(|| wrong("a number")),
        FieldType::Uuid => {
            let valid = value.as_str().is_some_and(|text| {
                Uuid::try_parse(text).is_ok_and(|id| id.hyphenated().to_string() == text)
            });
            (!valid).then(|| wrong("a UUID in lowercase hyphenated form"))
        }
        FieldType::Timestamp => {
            let valid = value.as_str().is_some_and(|text| {
                text.ends_with('Z') && DateTime::parse_from_rfc3339(text).is_ok()
            });
            (!valid).then(|| wrong("an RFC 3339 date-time in UTC"))
        }
        &FieldType::Enum(id) => {
            let variants = variants(checker, id);
            let valid = value.as_str().is_some_and(|text| variants.contains(&text));
            (!valid).then(|| Problem {
                write: variants.first().map(|v| format!("\"{v}\"")),
                ..wrong(&format!(
                    "one of the values of enum `{}` ({})",
                    checker.definitions.enums[id.0].name.value,
                    variants
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        }
        FieldType::List(inner) => {
            let Value::Array(items) = value else {
                return Some(wrong("a list"));
            };
            items
                .iter()
                .enumerate()
                .find_map(|(i, item)| mismatch(checker, inner, item, format!("{at}[{i}]"), depth))
        }
        FieldType::Map(inner) => {
            let Value::Object(entries) = value else {
                return Some(wrong("a map (a table)"));
            };
            entries
                .iter()
                .find_map(|(key, item)| mismatch(checker, inner, item, join(&at, key), depth))
        }
        &FieldType::Object(id) => {
            let Value::Object(members) = value else {
                return Some(wrong(&format!(
                    "a `{}` (a table of its fields)",
                    checker.definitions.types[id.0].name.value
                )));
            };
            if depth >= MAX_DEPTH {
                return None;
            }
            object_mismatch(checker, id, members, &at, depth + 1)
        }
    }
}

/// The first problem of an example of the named type `id`: an unknown or missing member,
/// or a member's value.
fn object_mismatch(
    checker: &Checker<'_>,
    id: TypeId,
    members: &serde_json::Map<String, Value>,
    at: &str,
    depth: usize,
) -> Option<Problem> {
    let decl = &checker.definitions.types[id.0];
    if let Some(unknown) = members
        .keys()
        .find(|key| !decl.fields.iter().any(|f| f.name.value == **key))
    {
        let fields: Vec<String> = decl
            .fields
            .iter()
            .map(|f| format!("`{}`", f.name.value))
            .collect();
        return Some(Problem {
            at: join(at, unknown),
            found: "an unknown key".to_owned(),
            expected: format!(
                "one of the fields of type `{}` ({})",
                decl.name.value,
                fields.join(", ")
            ),
            write: None,
        });
    }
    for field in &decl.fields {
        let optional = field.optional.as_ref().is_some_and(|o| o.value);
        let at = join(at, &field.name.value);
        match members.get(&field.name.value) {
            None if optional => {}
            None => {
                return Some(Problem {
                    at,
                    found: "missing".to_owned(),
                    expected: "a value: the field is not optional".to_owned(),
                    write: None,
                });
            }
            Some(Value::Null) if optional => {}
            Some(value) => {
                // A field whose type does not resolve is reported where it is declared.
                let ty = resolve_quietly(checker, &field.ty.value)?;
                if let Some(problem) = mismatch(checker, &ty, value, at, depth) {
                    return Some(problem);
                }
            }
        }
    }
    None
}

/// `at.key`, or `key` at the top.
fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

fn variants<'d>(checker: &Checker<'d>, id: EnumId) -> Vec<&'d str> {
    checker.definitions.enums[id.0]
        .variants
        .iter()
        .map(|v| v.value.as_str())
        .collect()
}

/// The type a type expression names, without reporting (the field's own check does).
fn resolve_quietly(checker: &Checker<'_>, expr: &TypeExpr) -> Option<FieldType> {
    Some(match expr {
        TypeExpr::List(inner) => FieldType::List(Box::new(resolve_quietly(checker, inner)?)),
        TypeExpr::Map(inner) => FieldType::Map(Box::new(resolve_quietly(checker, inner)?)),
        TypeExpr::Name(name) => {
            if let Some(builtin) = FieldType::builtin(&name.value) {
                builtin
            } else if let Some(&index) = checker.enum_index.get(name.value.as_str()) {
                FieldType::Enum(EnumId(index))
            } else {
                FieldType::Object(TypeId(*checker.type_index.get(name.value.as_str())?))
            }
        }
    })
}

/// A JSON value as a diagnostic names it.
fn describe(value: &Value) -> String {
    let text = value.to_string();
    let shown = if text.chars().count() > 40 {
        format!("{}...", text.chars().take(40).collect::<String>())
    } else {
        text
    };
    let kind = match value {
        Value::Null => return "null".to_owned(),
        Value::Bool(_) => "the boolean",
        Value::Number(_) => "the number",
        Value::String(_) => "the string",
        Value::Array(_) => "the list",
        Value::Object(_) => "the table",
    };
    format!("{kind} `{shown}`")
}

/// A value of `ty` as a definitions file writes it, for the help line.
fn sample_text(checker: &Checker<'_>, ty: &FieldType, depth: usize) -> String {
    match ty {
        FieldType::Uuid => "\"0b6e4e4c-5a8e-4c57-9b1f-2a3d4c5e6f70\"".to_owned(),
        FieldType::String => "\"text\"".to_owned(),
        FieldType::Bool => "true".to_owned(),
        FieldType::Int => "42".to_owned(),
        FieldType::Float => "1.5".to_owned(),
        FieldType::Timestamp => "\"2026-01-01T12:00:00Z\"".to_owned(),
        FieldType::Json => "{ any = \"value\" }".to_owned(),
        &FieldType::Enum(id) => variants(checker, id)
            .first()
            .map_or_else(|| "\"VALUE\"".to_owned(), |v| format!("\"{v}\"")),
        FieldType::List(inner) => format!("[{}]", sample_text(checker, inner, depth)),
        FieldType::Map(inner) => format!("{{ key = {} }}", sample_text(checker, inner, depth)),
        &FieldType::Object(id) => {
            let decl = &checker.definitions.types[id.0];
            if depth >= 2 {
                return "{ ... }".to_owned();
            }
            let members: Vec<String> = decl
                .fields
                .iter()
                .filter(|f| !f.optional.as_ref().is_some_and(|o| o.value))
                .map(|f| {
                    let value = resolve_quietly(checker, &f.ty.value).map_or_else(
                        || "...".to_owned(),
                        |ty| sample_text(checker, &ty, depth + 1),
                    );
                    format!("{} = {value}", f.name.value)
                })
                .collect();
            format!("{{ {} }}", members.join(", "))
        }
    }
}
