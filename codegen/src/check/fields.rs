//! Fields: names, types, privacy policies, and the `events` columns they are stored in.

use std::collections::{HashMap, HashSet};

use super::{Checker, Kind, flag};
use crate::diagnostic::{Diagnostic, Rule};
use crate::ir::{FieldDecl, TelemetryPolicy, TypeExpr};
use crate::model::{EnumId, EventDef, FieldDef, FieldType, Layer, TypeDef, TypeId, layer_chain};
use crate::naming;
use crate::shape::BASE_COLUMNS;
use crate::source::{Loc, Origin};

/// Where a field is declared, which decides its default column.
pub(crate) enum Place<'a> {
    /// In a named type: stored inside its owner's JSON, no column of its own.
    Type,
    /// In a layer whose payload object has this key.
    Layer { key: &'a str },
    /// On an event.
    Event,
}

pub(crate) fn check_types(checker: &mut Checker<'_>) -> Vec<TypeDef> {
    let definitions = checker.definitions;
    definitions
        .types
        .iter()
        .map(|decl| {
            checker.describe(Kind::NamedType, &decl.name, decl.description.as_ref());
            TypeDef {
                name: decl.name.value.clone(),
                rust_name: naming::pascal_case(&decl.name.value),
                description: decl.description.clone(),
                fields: resolve_all(checker, &decl.fields, &Place::Type),
                origin: decl.name.origin.clone(),
            }
        })
        .collect()
}

/// Resolves fields, reporting two fields of one name in one declaration.
pub(crate) fn resolve_all(
    checker: &mut Checker<'_>,
    decls: &[FieldDecl],
    place: &Place<'_>,
) -> Vec<FieldDef> {
    decls
        .iter()
        .map(|decl| resolve(checker, decl, place))
        .collect()
}

/// Checks one field and applies its defaults.
fn resolve(checker: &mut Checker<'_>, decl: &FieldDecl, place: &Place<'_>) -> FieldDef {
    let name = &decl.name;
    check_name(checker, name);
    let resolved = resolve_type(checker, &decl.ty.value);
    if resolved.is_none() {
        checker.untyped_fields.insert(name.origin.clone());
    }
    let sensitive = flag(&decl.sensitive);
    let telemetry = match &decl.telemetry {
        Some(policy) => policy.value,
        None if sensitive => TelemetryPolicy::Drop,
        None => TelemetryPolicy::Keep,
    };
    let notification = decl.notification.as_ref().is_none_or(|v| v.value);
    check_policy(
        checker,
        decl,
        resolved.as_ref(),
        sensitive,
        telemetry,
        notification,
    );
    check_telemetry_only(checker, decl, place);
    check_review(checker, decl);
    super::examples::check(checker, decl, resolved.as_ref());
    check_scope(checker, decl, place, resolved.as_ref());
    let column = column(checker, decl, place);
    FieldDef {
        name: name.value.clone(),
        ty: resolved.unwrap_or(FieldType::Json),
        optional: flag(&decl.optional),
        sensitive,
        telemetry,
        notification,
        scope: flag(&decl.scope),
        column,
        description: decl.description.clone(),
        deprecated: flag(&decl.deprecated),
        privacy_reviewed: decl.privacy_reviewed.as_ref().map(|r| r.value.clone()),
        example: decl.example.as_ref().map(|e| e.value.clone()),
        origin: name.origin.clone(),
    }
}

/// A field name is snake_case and can be a Rust field.
fn check_name(checker: &mut Checker<'_>, name: &Loc<String>) {
    checker.snake_name(Kind::FieldName, &name.value, &name.origin);
    if naming::NOT_RAW_IDENTIFIERS.contains(&name.value.as_str()) {
        checker.error(
            Diagnostic::error(Rule::Naming, format!("field name `{}` cannot be a Rust field", name.value))
                .label(&name.origin, "reserved in Rust")
                .help("choose another name; `self`, `super`, `crate` and `extern` cannot be used even as raw identifiers"),
        );
    }
}

/// A named type appears whole in notifications: its fields cannot be telemetry-only.
fn check_telemetry_only(checker: &mut Checker<'_>, decl: &FieldDecl, place: &Place<'_>) {
    if let (Place::Type, Some(only_telemetry)) =
        (place, decl.notification.as_ref().filter(|n| !n.value))
    {
        checker.error(
            Diagnostic::error(
                Rule::InvalidValue,
                format!("field `{}` of a named type cannot be telemetry-only", decl.name.value),
            )
            .label(&only_telemetry.origin, "not allowed inside a named type")
            .help("a named type appears whole in notifications; put telemetry-only fields on a layer or an event"),
        );
    }
}

/// A privacy review says something.
fn check_review(checker: &mut Checker<'_>, decl: &FieldDecl) {
    if let Some(review) = decl
        .privacy_reviewed
        .as_ref()
        .filter(|r| r.value.trim().is_empty())
    {
        checker.error(
            Diagnostic::error(
                Rule::InvalidValue,
                format!("the privacy review of field `{}` is empty", decl.name.value),
            )
            .label(&review.origin, "says nothing")
            .help("say who reviewed the change and where, e.g. `privacy_reviewed = \"PRIV-12, 2025-03-01: hashed names may reach analytics\"`"),
        );
    }
}

/// A scope is a scalar field of a layer or an event.
fn check_scope(
    checker: &mut Checker<'_>,
    decl: &FieldDecl,
    place: &Place<'_>,
    ty: Option<&FieldType>,
) {
    let Some(scope) = decl.scope.as_ref().filter(|s| s.value) else {
        return;
    };
    let name = &decl.name.value;
    if matches!(place, Place::Type) {
        checker.error(
            Diagnostic::error(Rule::InvalidValue, format!("field `{name}` of a named type cannot be a scope"))
                .label(&scope.origin, "scope inside a named type")
                .help("subscriptions filter on layer and event fields; move `scope = true` to such a field"),
        );
    } else if let Some(ty) = ty.filter(|ty| !ty.is_scalar()) {
        let ty = ty.display(checker.definitions);
        checker.error(
            Diagnostic::error(Rule::InvalidValue, format!("scope field `{name}` has the non-scalar type `{ty}`"))
                .label(&scope.origin, "scope needs a scalar")
                .label(&decl.ty.origin, "not a scalar")
                .help("subscriptions filter on one value: make the scope field a uuid, string, int or enum"),
        );
    }
}

/// The field's column, by default from its place; checked when it is written.
fn column(checker: &mut Checker<'_>, decl: &FieldDecl, place: &Place<'_>) -> String {
    let name = &decl.name.value;
    let column = match (place, &decl.column) {
        (Place::Type, Some(column)) => {
            checker.error(
                Diagnostic::error(
                    Rule::InvalidValue,
                    format!("field `{name}` of a named type has a column"),
                )
                .label(&column.origin, "no column here")
                .help(
                    "named types are stored as JSON inside their owner's column; remove `column`",
                ),
            );
            String::new()
        }
        (Place::Type, None) => String::new(),
        (_, Some(column)) => column.value.clone(),
        (Place::Layer { key }, None) => format!("{key}_{name}"),
        (Place::Event, None) => name.clone(),
    };
    if let Some(column_decl) = &decl.column {
        checker.snake_name(Kind::Column, &column_decl.value, &column_decl.origin);
        if BASE_COLUMNS.contains(&column.as_str()) {
            checker.error(
                Diagnostic::error(Rule::ReservedName, format!("column `{column}` belongs to the event itself"))
                    .label(&column_decl.origin, "reserved column")
                    .help("`uuid`, `type` and `timestamp` are the base columns of `events`; choose another column"),
            );
        }
    }
    column
}

fn check_policy(
    checker: &mut Checker<'_>,
    decl: &FieldDecl,
    ty: Option<&FieldType>,
    sensitive: bool,
    telemetry: TelemetryPolicy,
    notification: bool,
) {
    let name = &decl.name.value;
    let ty_names = checker.definitions;
    let Some(policy) = &decl.telemetry else {
        if !notification && sensitive {
            reaches_nothing(checker, decl);
        }
        return;
    };
    match telemetry {
        TelemetryPolicy::Keep | TelemetryPolicy::Derived if sensitive => {
            let sensitive_origin = decl
                .sensitive
                .as_ref()
                .map_or(&decl.name.origin, |s| &s.origin);
            checker.error(
                Diagnostic::error(Rule::TelemetryPolicy, format!("sensitive field `{name}` would be sent to telemetry as is"))
                    .label(&policy.origin, format!("`{}` sends the value", telemetry.as_str()))
                    .label(sensitive_origin, "marked sensitive here")
                    .help("use `telemetry = \"drop\"` (the default), `\"count\"` for lists and maps, or `\"hash\"` for strings and uuids"),
            );
        }
        TelemetryPolicy::Count if let Some(ty) = ty.filter(|ty| !ty.is_collection()) => {
            checker.error(
                Diagnostic::error(Rule::TelemetryPolicy, format!("`count` needs a list or a map, but `{name}` is `{}`", ty.display(ty_names)))
                    .label(&policy.origin, "count of what?")
                    .label(&decl.ty.origin, "not a list or map")
                    .help("use `drop`, `keep` or `hash` for a single value, or make the field a `list<...>` or `map<...>`"),
            );
        }
        TelemetryPolicy::Hash
            if let Some(ty) =
                ty.filter(|ty| !matches!(ty, FieldType::String | FieldType::Uuid)) =>
        {
            checker.error(
                Diagnostic::error(
                    Rule::TelemetryPolicy,
                    format!(
                        "`hash` needs a string or uuid, but `{name}` is `{}`",
                        ty.display(ty_names)
                    ),
                )
                .label(&policy.origin, "cannot hash this type")
                .label(&decl.ty.origin, "not a string or uuid")
                .help("use `drop`, or `count` for lists and maps"),
            );
        }
        TelemetryPolicy::Drop if !notification => reaches_nothing(checker, decl),
        _ => {}
    }
}

fn reaches_nothing(checker: &mut Checker<'_>, decl: &FieldDecl) {
    let origin = decl
        .notification
        .as_ref()
        .map_or(&decl.name.origin, |n| &n.origin);
    checker.error(
        Diagnostic::error(
            Rule::TelemetryPolicy,
            format!("field `{}` reaches no payload", decl.name.value),
        )
        .label(origin, "not in notifications")
        .label(&decl.name.origin, "and dropped from telemetry")
        .help("remove `notification = false`, or give it a telemetry policy other than `drop`"),
    );
}

/// Resolves a written type; `None` when a name in it is unknown (reported here) or unreadable.
fn resolve_type(checker: &mut Checker<'_>, expr: &TypeExpr) -> Option<FieldType> {
    Some(match expr {
        TypeExpr::List(inner) => FieldType::List(Box::new(resolve_type(checker, inner)?)),
        TypeExpr::Map(inner) => FieldType::Map(Box::new(resolve_type(checker, inner)?)),
        TypeExpr::Name(name) => {
            if let Some(builtin) = FieldType::builtin(&name.value) {
                builtin
            } else if let Some(&index) = checker.enum_index.get(name.value.as_str()) {
                FieldType::Enum(EnumId(index))
            } else if let Some(&index) = checker.type_index.get(name.value.as_str()) {
                FieldType::Object(TypeId(index))
            } else {
                if !checker.unreadable.contains(name.value.as_str()) {
                    unknown_type(checker, &name.value, &name.origin);
                }
                return None;
            }
        }
    })
}

fn unknown_type(checker: &mut Checker<'_>, name: &str, origin: &Origin) {
    let candidates: Vec<&str> = FieldType::BUILTINS
        .iter()
        .copied()
        .chain(checker.enum_index.keys().copied())
        .chain(checker.type_index.keys().copied())
        .chain(["list", "map"])
        .collect();
    let mut sorted = candidates.clone();
    sorted.sort_unstable();
    let suggestion = naming::did_you_mean(name, sorted.iter().copied());
    checker.error(
        Diagnostic::error(Rule::UnknownName, format!("unknown type `{name}`"))
            .label(origin, if suggestion.is_empty() { "not a built-in type, enum or type" } else { &suggestion })
            .help(format!(
                "use a built-in type ({}), `list<T>`, `map<T>`, or declare `[enums.{name}]` or `[types.{name}]`",
                FieldType::BUILTINS.join(", ")
            )),
    );
}

/// Columns: fields of different layers or events that share a column must share its type,
/// and one event must not store two of its fields in one column.
pub(crate) fn check_columns(checker: &mut Checker<'_>, layers: &[Layer], events: &[EventDef]) {
    check_column_types(checker, layers, events);
    check_column_clashes(checker, layers, events);
}

/// Fields that share a column have one type.
fn check_column_types(checker: &mut Checker<'_>, layers: &[Layer], events: &[EventDef]) {
    let mut first_by_column: HashMap<&str, &FieldDef> = HashMap::new();
    let all_fields = layers
        .iter()
        .flat_map(|l| &l.fields)
        .chain(events.iter().flat_map(|e| &e.fields));
    let typed: Vec<&FieldDef> = all_fields
        .filter(|f| !checker.untyped_fields.contains(&f.origin))
        .collect();
    let names = checker.definitions;
    for field in typed {
        match first_by_column.get(field.column.as_str()) {
            Some(first) if first.ty != field.ty => checker.error(
                Diagnostic::error(
                    Rule::ColumnType,
                    format!("column `{}` holds `{}` here but `{}` elsewhere", field.column, field.ty.display(names), first.ty.display(names)),
                )
                .label(&field.origin, format!("`{}` stored as `{}`", field.name, field.ty.display(names)))
                .label(&first.origin, format!("`{}` stored as `{}`", first.name, first.ty.display(names)))
                .help("fields that share a column need the same type: change one type, or give one field its own `column`"),
            ),
            Some(_) => {}
            None => {
                first_by_column.insert(&field.column, field);
            }
        }
    }
}

/// One event stores each of its fields (its layers' and its own) in a column of its own.
fn check_column_clashes(checker: &mut Checker<'_>, layers: &[Layer], events: &[EventDef]) {
    let mut reported: HashSet<(Origin, Origin)> = HashSet::new();
    // Events without fields of their own share their layer's columns: check each such
    // layer chain once (reported under the first event that has it).
    let mut fieldless_layers_seen = HashSet::new();
    for event in events {
        if event.fields.is_empty() && !fieldless_layers_seen.insert(event.layer) {
            continue;
        }
        let mut by_column: HashMap<&str, &FieldDef> = HashMap::new();
        let chain = event
            .layer
            .map(|id| layer_chain(layers, id))
            .unwrap_or_default();
        let fields = chain
            .iter()
            .flat_map(|&id| &layers[id.0].fields)
            .chain(&event.fields);
        for field in fields {
            if let Some(first) = by_column.insert(&field.column, field)
                && reported.insert((first.origin.clone(), field.origin.clone()))
            {
                column_clash(checker, event, first, field);
            }
        }
    }
}

fn column_clash(checker: &mut Checker<'_>, event: &EventDef, first: &FieldDef, field: &FieldDef) {
    checker.error(
        Diagnostic::error(
            Rule::ColumnClash,
            format!(
                "event `{}` would store two fields in column `{}`",
                event.event_type, field.column
            ),
        )
        .label(
            &field.origin,
            format!("`{}` is stored in `{}`", field.name, field.column),
        )
        .label(&first.origin, format!("and so is `{}`", first.name))
        .help("give one of them another `column`"),
    );
}
