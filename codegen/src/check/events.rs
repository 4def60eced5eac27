//! Events: their type strings, the layer each belongs to, and their settings.

use std::collections::{HashMap, HashSet};

use event_runtime::schema::MAX_EVENT_TYPE_LEN;

use super::{Checker, Kind, fields};
use crate::date::Date;
use crate::diagnostic::{Diagnostic, Rule};
use crate::ir::{DeprecationDecl, EventDecl};
use crate::model::{Deprecation, EventDef, FieldDef, Layer, LayerId};
use crate::naming;
use crate::shape::{BASE_COLUMNS, BASE_FIELDS};

pub(crate) fn check(checker: &mut Checker<'_>, layers: &[Layer]) -> Vec<EventDef> {
    let definitions = checker.definitions;
    let by_path = layers_by_path(layers);
    let mut first_by_type: HashMap<&str, usize> = HashMap::with_capacity(definitions.events.len());
    let mut events = Vec::with_capacity(definitions.events.len());
    for (index, decl) in definitions.events.iter().enumerate() {
        let event_type = &decl.event_type;
        match first_by_type.get(event_type.value.as_str()) {
            Some(&first) => {
                let first = &definitions.events[first].event_type;
                checker.duplicate(Kind::Event, event_type, first);
            }
            None => {
                first_by_type.insert(&event_type.value, index);
            }
        }
        checker.describe(Kind::Event, event_type, decl.description.as_ref());
        check_type_string(checker, decl);
        let stored = decl.stored.as_ref().is_none_or(|s| s.value);
        let layer = resolve_layer(checker, decl, stored, layers, &by_path);
        check_settings(checker, decl, stored);
        let event_fields = fields::resolve_all(checker, &decl.fields, &fields::Place::Event);
        check_reserved_fields(checker, decl, layer, &event_fields);
        check_client_layer(checker, decl, stored, layer, layers);
        events.push(EventDef {
            event_type: event_type.value.clone(),
            rust_name: naming::event_rust_name(&event_type.value),
            description: decl.description.clone(),
            layer,
            stored,
            client: decl.client.as_ref().is_some_and(|c| c.value),
            version: decl.version.as_ref().map_or(1, |v| v.value),
            deprecated: decl.deprecated.as_ref().map(deprecation),
            message: decl.message.as_ref().map(|m| m.value.clone()),
            fields: event_fields,
            origin: event_type.origin.clone(),
        });
    }
    check_deprecations(checker);
    events
}

/// The concrete layers by the event type prefix each owns.
fn layers_by_path(layers: &[Layer]) -> HashMap<&str, Vec<LayerId>> {
    let mut by_path: HashMap<&str, Vec<LayerId>> = HashMap::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        if !layer.is_abstract {
            by_path
                .entry(layer.path.as_str())
                .or_default()
                .push(LayerId(i));
        }
    }
    by_path
}

/// The names the event itself owns are free for its fields only inside a layer's object,
/// and even there not as their default column (an explicit `column` is checked with the
/// field).
fn check_reserved_fields(
    checker: &mut Checker<'_>,
    decl: &EventDecl,
    layer: Option<LayerId>,
    fields: &[FieldDef],
) {
    let event_type = &decl.event_type.value;
    for (field, field_decl) in fields.iter().zip(&decl.fields) {
        if layer.is_none() && BASE_FIELDS.contains(&field.name.as_str()) {
            checker.error(
                Diagnostic::error(
                    Rule::ReservedName,
                    format!(
                        "field `{}` of `{event_type}` is reserved at the top of a payload",
                        field.name
                    ),
                )
                .label(&field_decl.name.origin, "belongs to the event itself")
                .help(
                    "every event has `uuid`, `type`, `version` and `timestamp`; rename this field",
                ),
            );
        } else if layer.is_some()
            && field_decl.column.is_none()
            && BASE_COLUMNS.contains(&field.column.as_str())
        {
            checker.error(
                Diagnostic::error(
                    Rule::ReservedName,
                    format!(
                        "field `{}` of `{event_type}` would be stored in the event's own column `{}`",
                        field.name, field.column
                    ),
                )
                .label(&field_decl.name.origin, "its default column is reserved")
                .help("rename the field, or store it elsewhere with `column = \"...\"`"),
            );
        }
    }
}

/// A client event (analytics-only: a stored one is reported as such already) belongs to
/// no layer.
fn check_client_layer(
    checker: &mut Checker<'_>,
    decl: &EventDecl,
    stored: bool,
    layer: Option<LayerId>,
    layers: &[Layer],
) {
    if let (Some(client), Some(layer), false) =
        (decl.client.as_ref().filter(|c| c.value), layer, stored)
    {
        checker.error(
            Diagnostic::error(
                Rule::EventShape,
                format!(
                    "client event `{}` belongs to layer `{}`",
                    decl.event_type.value, layers[layer.0].name
                ),
            )
            .label(&client.origin, "front ends relay only an event's own fields")
            .label(&decl.event_type.origin, "its type prefix names the layer")
            .help("give the event a type whose prefix names no layer (e.g. `view:loaded`), or remove `client = true`"),
        );
    }
}

/// The deprecation notices, once every event is known.
fn check_deprecations(checker: &mut Checker<'_>) {
    let definitions = checker.definitions;
    // A set: with many deprecations, a list made this quadratic in the number of events.
    let known: HashSet<&str> = definitions
        .events
        .iter()
        .map(|e| e.event_type.value.as_str())
        .collect();
    for decl in &definitions.events {
        if let Some(deprecated) = &decl.deprecated {
            check_replacement(checker, decl, deprecated, &known);
            check_sunset(checker, decl, deprecated);
        }
    }
}

fn check_type_string(checker: &mut Checker<'_>, decl: &EventDecl) {
    let event_type = &decl.event_type;
    let length = event_type.value.chars().count();
    if length > MAX_EVENT_TYPE_LEN {
        checker.error(
            Diagnostic::error(
                Rule::EventTypeLength,
                format!("event type is {length} characters long, more than {MAX_EVENT_TYPE_LEN}"),
            )
            .label(&event_type.origin, "too long")
            .help(format!("`event_types.name` holds at most {MAX_EVENT_TYPE_LEN} characters: shorten segments or the action")),
        );
    }
    let bad: Vec<&str> = event_type
        .value
        .split(':')
        .filter(|s| !naming::is_kebab(s))
        .collect();
    if !bad.is_empty() {
        let shown: Vec<String> = bad.iter().map(|s| format!("`{s}`")).collect();
        checker.error(
            Diagnostic::error(Rule::Naming, format!("event type `{}` has invalid segments: {}", event_type.value, shown.join(", ")))
                .label(&event_type.origin, "segments must be lowercase kebab-case")
                .help("write event types as kebab-case segments joined by `:`, e.g. `project:pipeline-run:failed`"),
        );
    }
}

/// The layer whose path is the event type's prefix. An analytics-only event may stand
/// outside the hierarchy; a stored one needs its layer.
fn resolve_layer(
    checker: &mut Checker<'_>,
    decl: &EventDecl,
    stored: bool,
    layers: &[Layer],
    by_path: &HashMap<&str, Vec<LayerId>>,
) -> Option<LayerId> {
    let prefix = decl
        .event_type
        .value
        .rsplit_once(':')
        .map_or("", |(prefix, _)| prefix);
    match by_path.get(prefix).map(Vec::as_slice).unwrap_or_default() {
        [layer] => Some(*layer),
        [] => {
            if stored {
                missing_layer(checker, decl, prefix, layers, by_path);
            }
            None
        }
        several => {
            ambiguous_prefix(checker, decl, prefix, layers, several);
            None
        }
    }
}

/// Reports a prefix that is the path of several layers.
fn ambiguous_prefix(
    checker: &mut Checker<'_>,
    decl: &EventDecl,
    prefix: &str,
    layers: &[Layer],
    matches: &[LayerId],
) {
    let mut diagnostic = Diagnostic::error(
        Rule::EventLayer,
        format!(
            "event type prefix `{prefix}` matches {} layers",
            matches.len()
        ),
    )
    .label(&decl.event_type.origin, "which layer?");
    for id in matches {
        diagnostic = diagnostic.label(
            &layers[id.0].origin,
            format!("layer `{}` has the path `{prefix}`", layers[id.0].name),
        );
    }
    checker.error(
        diagnostic.help("give these layers different `segment`s so that each path names one layer"),
    );
}

/// Reports why a stored event has no layer: no prefix, an abstract layer's, or an
/// unknown one (unless the layer is there but could not be read, already reported).
fn missing_layer(
    checker: &mut Checker<'_>,
    decl: &EventDecl,
    prefix: &str,
    layers: &[Layer],
    by_path: &HashMap<&str, Vec<LayerId>>,
) {
    let event_type = &decl.event_type;
    if prefix.is_empty() {
        let stored_origin = decl
            .stored
            .as_ref()
            .map_or(&event_type.origin, |s| &s.origin);
        checker.error(
            Diagnostic::error(Rule::EventLayer, format!("stored event `{}` belongs to no layer", event_type.value))
                .label(stored_origin, "stored events need a layer")
                .help("prefix the type with a layer's path (`project:...`), or make it analytics-only with `stored = false`"),
        );
        return;
    }
    let last_segment = prefix.rsplit(':').next().unwrap_or_default();
    if checker.unreadable.contains(last_segment) {
        return;
    }
    let abstract_match = layers.iter().find(|l| {
        l.is_abstract
            && (l.path.is_empty() && prefix == l.name || prefix == format!("{}:{}", l.path, l.name))
    });
    match abstract_match {
        Some(layer) => names_abstract_layer(checker, decl, layer),
        None => unknown_prefix(checker, decl, prefix, by_path),
    }
}

fn names_abstract_layer(checker: &mut Checker<'_>, decl: &EventDecl, layer: &Layer) {
    checker.error(
        Diagnostic::error(
            Rule::EventLayer,
            format!(
                "event `{}` names the abstract layer `{}`",
                decl.event_type.value, layer.name
            ),
        )
        .label(&decl.event_type.origin, "abstract layers have no segment")
        .label(&layer.origin, "declared abstract here")
        .help(format!(
            "name the event under one of `{}`'s children, or make the layer concrete",
            layer.name
        )),
    );
}

fn unknown_prefix(
    checker: &mut Checker<'_>,
    decl: &EventDecl,
    prefix: &str,
    by_path: &HashMap<&str, Vec<LayerId>>,
) {
    let mut paths: Vec<&str> = by_path.keys().copied().filter(|p| !p.is_empty()).collect();
    paths.sort_unstable();
    let suggestion = naming::did_you_mean(prefix, paths.iter().copied());
    checker.error(
        Diagnostic::error(Rule::EventLayer, format!("event type prefix `{prefix}` matches no layer"))
            .label(&decl.event_type.origin, if suggestion.is_empty() { "no layer has this path" } else { &suggestion })
            .help("all segments but the last must be the path of a layer (e.g. `project:pipeline`); declare the layer, fix the prefix, or mark the event `stored = false` if it is analytics-only"),
    );
}

fn check_settings(checker: &mut Checker<'_>, decl: &EventDecl, stored: bool) {
    if let Some(client) = decl.client.as_ref().filter(|c| c.value)
        && stored
    {
        let mut diagnostic = Diagnostic::error(
            Rule::EventShape,
            format!(
                "stored event `{}` is marked `client`",
                decl.event_type.value
            ),
        )
        .label(&client.origin, "client events are analytics-only");
        if let Some(stored) = &decl.stored {
            diagnostic = diagnostic.label(&stored.origin, "stored");
        }
        checker.error(diagnostic.help("front-end clients may only relay analytics: add `stored = false`, or remove `client = true`"));
    }
    if let Some(version) = decl.version.as_ref().filter(|v| v.value == 0) {
        checker.error(
            Diagnostic::error(
                Rule::EventShape,
                format!("event `{}` has version 0", decl.event_type.value),
            )
            .label(&version.origin, "versions start at 1")
            .help("remove `version` (it defaults to 1) or set it to 1 or more"),
        );
    }
}

fn deprecation(decl: &DeprecationDecl) -> Deprecation {
    Deprecation {
        since: decl.since.as_ref().map(|s| s.value.clone()),
        note: decl.note.clone(),
        replaced_by: decl.replaced_by.as_ref().map(|s| s.value.clone()),
        // A sunset that is not a date is reported by `check_sunset`: there is no catalog.
        sunset: decl.sunset.as_ref().and_then(|s| s.value.parse().ok()),
    }
}

/// `replaced_by` names another event of the catalog.
fn check_replacement(
    checker: &mut Checker<'_>,
    decl: &EventDecl,
    deprecated: &DeprecationDecl,
    known: &HashSet<&str>,
) {
    let Some(replacement) = &deprecated.replaced_by else {
        return;
    };
    if replacement.value == decl.event_type.value {
        checker.error(
            Diagnostic::error(
                Rule::Deprecation,
                format!("event `{}` is replaced by itself", decl.event_type.value),
            )
            .label(&replacement.origin, "the same event")
            .help("name the event that replaces it, or remove `replaced_by`"),
        );
    } else if !known.contains(&replacement.value.as_str())
        && !checker.unreadable.contains(replacement.value.as_str())
    {
        let suggestion = naming::did_you_mean(&replacement.value, known.iter().copied());
        checker.error(
            Diagnostic::error(
                Rule::Deprecation,
                format!(
                    "`replaced_by` names the unknown event `{}`",
                    replacement.value
                ),
            )
            .label(
                &replacement.origin,
                if suggestion.is_empty() {
                    "no such event"
                } else {
                    &suggestion
                },
            )
            .help("name an event declared in the catalog"),
        );
    }
}

/// The sunset is a date, not before today.
fn check_sunset(checker: &mut Checker<'_>, decl: &EventDecl, deprecated: &DeprecationDecl) {
    let Some(sunset) = &deprecated.sunset else {
        return;
    };
    match sunset.value.parse::<Date>() {
        Err(_) => checker.error(
            Diagnostic::error(
                Rule::Deprecation,
                format!("sunset `{}` is not a date", sunset.value),
            )
            .label(&sunset.origin, "expected YYYY-MM-DD")
            .help("write the sunset date as `YYYY-MM-DD`, e.g. `2027-06-30`"),
        ),
        Ok(date) if date < checker.today => {
            let event_type = &decl.event_type.value;
            let stored_help = if decl.stored.as_ref().is_none_or(|s| s.value) {
                " (its `event_types` row and stored rows stay)"
            } else {
                ""
            };
            checker.error(
                Diagnostic::error(
                    Rule::Sunset,
                    format!("deprecated event `{event_type}` is past its sunset, {date}"),
                )
                .label(&sunset.origin, "the event had to be gone after this day")
                .label(&decl.event_type.origin, "still defined here")
                .help(format!(
                    "remove `[events.\"{event_type}\"]` and every call of its `register_*` function{stored_help}, then run `eventgen generate`; or, if it must live longer, move `sunset` to a later date"
                )),
            );
        }
        Ok(_) => {}
    }
}
