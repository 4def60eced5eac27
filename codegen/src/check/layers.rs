//! Layers: parents, cycles, segments, keys and the event type prefix each one owns.

use super::{Checker, Kind, fields, flag};
use crate::diagnostic::{Diagnostic, Rule};
use crate::ir::LayerDecl;
use crate::model::{Layer, LayerId, layer_chain};
use crate::naming;
use crate::shape::BASE_FIELDS;
use crate::source::FileId;

/// Checks every layer. The result is parallel to `definitions.layers` (a layer's
/// [`LayerId`] is its index there); parents that are unknown or on a cycle are cut off.
pub(crate) fn check(checker: &mut Checker<'_>) -> Vec<Layer> {
    let decls = &checker.definitions.layers;
    let mut parents: Vec<Option<LayerId>> = decls
        .iter()
        .map(|decl| resolve_parent(checker, decl))
        .collect();
    break_cycles(checker, decls, &mut parents);
    let mut layers: Vec<Layer> = Vec::with_capacity(decls.len());
    for (decl, &parent) in decls.iter().zip(&parents) {
        checker.describe(Kind::Layer, &decl.name, decl.description.as_ref());
        check_shape(checker, decl, parent);
        layers.push(new_layer(decl, parent));
    }
    place(&mut layers, decls);
    for (layer, decl) in layers.iter_mut().zip(decls) {
        let place = fields::Place::Layer { key: &layer.key };
        layer.fields = fields::resolve_all(checker, &decl.fields, &place);
    }
    layers
}

/// A layer with its settings, before its place in the tree (segment, key, path) and its
/// fields are known.
fn new_layer(decl: &LayerDecl, parent: Option<LayerId>) -> Layer {
    Layer {
        name: decl.name.value.clone(),
        rust_name: naming::pascal_case(&decl.name.value),
        description: decl.description.clone(),
        parent,
        is_abstract: flag(&decl.is_abstract),
        inline: flag(&decl.inline) && parent.is_some(),
        segment: None,
        key: String::new(),
        path: String::new(),
        fields: Vec::new(),
        origin: decl.name.origin.clone(),
    }
}

/// Fills in each layer's segment, key and path, which depend on its parent's: root first.
fn place(layers: &mut [Layer], decls: &[LayerDecl]) {
    for id in topological(layers) {
        let decl = &decls[id.0];
        let parent = layers[id.0].parent.map(|p| layers[p.0].clone());
        let layer = &mut layers[id.0];
        layer.segment = (!layer.is_abstract).then(|| {
            decl.segment
                .as_ref()
                .map_or_else(|| decl.name.value.clone(), |s| s.value.clone())
        });
        layer.key = match (&parent, layer.inline) {
            (Some(parent), true) => parent.key.clone(),
            _ => decl
                .key
                .as_ref()
                .map_or_else(|| naming::snake_case(&decl.name.value), |k| k.value.clone()),
        };
        let parent_path = parent.as_ref().map_or("", |p| p.path.as_str());
        layer.path = match (&layer.segment, parent_path) {
            (None, _) => parent_path.to_owned(),
            (Some(segment), "") => segment.clone(),
            (Some(segment), parent_path) => format!("{parent_path}:{segment}"),
        };
    }
}

fn resolve_parent(checker: &mut Checker<'_>, decl: &LayerDecl) -> Option<LayerId> {
    let parent = decl.parent.as_ref()?;
    if let Some(&index) = checker.layer_index.get(parent.value.as_str()) {
        return Some(LayerId(index));
    }
    if !checker.unreadable.contains(parent.value.as_str()) {
        // The operational layers are not offered: their names are reserved.
        let mut names: Vec<&str> = checker
            .layer_index
            .iter()
            .filter(|(name, index)| {
                **name != decl.name.value
                    && checker.definitions.layers[**index].name.origin.file != FileId::BUILT_IN
            })
            .map(|(name, _)| *name)
            .collect();
        names.sort_unstable();
        let suggestion = naming::did_you_mean(&parent.value, names.iter().copied());
        checker.error(
            Diagnostic::error(
                Rule::UnknownName,
                format!(
                    "layer `{}` has an unknown parent `{}`",
                    decl.name.value, parent.value
                ),
            )
            .label(
                &parent.origin,
                if suggestion.is_empty() {
                    "no layer of this name"
                } else {
                    &suggestion
                },
            )
            .help(if names.is_empty() {
                format!("declare `[layers.{}]`", parent.value)
            } else {
                format!(
                    "declare `[layers.{}]`, or name one of the layers: {}",
                    parent.value,
                    names.join(", ")
                )
            }),
        );
    }
    None
}

/// Reports each parent cycle once and cuts it, so later phases can walk up safely.
fn break_cycles(checker: &mut Checker<'_>, decls: &[LayerDecl], parents: &mut [Option<LayerId>]) {
    for start in 0..parents.len() {
        let mut path = vec![start];
        let mut current = start;
        while let Some(LayerId(next)) = parents[current] {
            if next == start {
                report_cycle(checker, decls, &path);
                parents[start] = None;
                break;
            }
            if path.contains(&next) || path.len() > parents.len() {
                break; // a cycle further up; it is reported from one of its own members
            }
            path.push(next);
            current = next;
        }
    }
}

fn report_cycle(checker: &mut Checker<'_>, decls: &[LayerDecl], cycle: &[usize]) {
    let names: Vec<&str> = cycle
        .iter()
        .map(|&i| decls[i].name.value.as_str())
        .collect();
    let mut diagnostic = Diagnostic::error(
        Rule::ParentCycle,
        format!(
            "layers form a parent cycle: {} -> {}",
            names.join(" -> "),
            names[0]
        ),
    );
    for &i in cycle {
        let origin = decls[i]
            .parent
            .as_ref()
            .map_or(&decls[i].name.origin, |p| &p.origin);
        diagnostic = diagnostic.label(origin, format!("`{}` has this parent", decls[i].name.value));
    }
    checker
        .error(diagnostic.help("a hierarchy is a tree: remove `parent` from one of these layers"));
}

/// The rules on one layer's own settings.
fn check_shape(checker: &mut Checker<'_>, decl: &LayerDecl, parent: Option<LayerId>) {
    check_inline(checker, decl);
    check_abstract(checker, decl);
    check_segment(checker, decl);
    if let Some(key) = &decl.key {
        checker.snake_name(Kind::PayloadKey, &key.value, &key.origin);
    }
    check_root_key(checker, decl, parent);
}

/// An inline layer has a parent to merge into, and no key of its own.
fn check_inline(checker: &mut Checker<'_>, decl: &LayerDecl) {
    let Some(inline) = decl.inline.as_ref().filter(|i| i.value) else {
        return;
    };
    let name = &decl.name.value;
    if decl.parent.is_none() {
        checker.error(
            Diagnostic::error(Rule::LayerShape, format!("layer `{name}` is inline but has no parent"))
                .label(&inline.origin, "inline into what?")
                .help("an inline layer merges its fields into its parent's object: give it a `parent`, or remove `inline`"),
        );
    }
    if let Some(key) = &decl.key {
        checker.error(
            Diagnostic::error(
                Rule::LayerShape,
                format!("inline layer `{name}` has a `key`"),
            )
            .label(&key.origin, "not used")
            .label(&inline.origin, "its fields merge into the parent's object")
            .help("remove `key`, or remove `inline = true` to nest the layer under that key"),
        );
    }
}

/// An abstract layer has no segment.
fn check_abstract(checker: &mut Checker<'_>, decl: &LayerDecl) {
    if let (Some(is_abstract), Some(segment)) =
        (decl.is_abstract.as_ref().filter(|a| a.value), &decl.segment)
    {
        checker.error(
            Diagnostic::error(
                Rule::LayerShape,
                format!("abstract layer `{}` has a `segment`", decl.name.value),
            )
            .label(&segment.origin, "not used")
            .label(
                &is_abstract.origin,
                "abstract layers add no segment to event types",
            )
            .help("remove `segment`, or remove `abstract = true`"),
        );
    }
}

/// A segment is lowercase kebab-case.
fn check_segment(checker: &mut Checker<'_>, decl: &LayerDecl) {
    if let Some(segment) = &decl.segment
        && !naming::is_kebab(&segment.value)
    {
        checker.error(
            Diagnostic::error(
                Rule::Naming,
                format!("segment `{}` is not lowercase kebab-case", segment.value),
            )
            .label(&segment.origin, "expected `[a-z][a-z0-9-]*`")
            .help("a segment is one part of an event type, without `:`"),
        );
    }
}

/// A root layer's object sits at the top of the payload, beside the event's own names.
fn check_root_key(checker: &mut Checker<'_>, decl: &LayerDecl, parent: Option<LayerId>) {
    if parent.is_some() || decl.parent.is_some() {
        return;
    }
    let name = &decl.name.value;
    let key = decl
        .key
        .as_ref()
        .map_or_else(|| naming::snake_case(name), |k| k.value.clone());
    if BASE_FIELDS.contains(&key.as_str()) {
        let origin = decl.key.as_ref().map_or(&decl.name.origin, |k| &k.origin);
        checker.error(
            Diagnostic::error(
                Rule::ReservedName,
                format!("root layer `{name}` would nest under the reserved key `{key}`"),
            )
            .label(origin, "reserved at the top of every payload")
            .help("`uuid`, `type`, `version` and `timestamp` belong to the event itself: set another `key`"),
        );
    }
}

/// Layer ids ordered so that every parent comes before its children.
fn topological(layers: &[Layer]) -> Vec<LayerId> {
    let mut depth: Vec<(usize, LayerId)> = (0..layers.len())
        .map(|i| (layer_chain(layers, LayerId(i)).len(), LayerId(i)))
        .collect();
    depth.sort();
    depth.into_iter().map(|(_, id)| id).collect()
}
