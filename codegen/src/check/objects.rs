//! Payload objects: within one object (a layer's, with its inline children and the
//! event's own fields), every member name is declared once.

use std::collections::{HashMap, HashSet};

use super::Checker;
use crate::diagnostic::{Diagnostic, Rule};
use crate::model::{EventDef, FieldDef, Layer, LayerId, layer_chain};
use crate::source::Origin;

pub(crate) fn check(checker: &mut Checker<'_>, layers: &[Layer], events: &[EventDef]) {
    let mut walker = Walker {
        checker,
        reported: HashSet::new(),
    };
    for id in (0..layers.len()).map(LayerId) {
        walker.walk(layers, id, &[]);
    }
    // An event without fields of its own has its layer's objects, walked above.
    for event in events.iter().filter(|e| !e.fields.is_empty()) {
        if let Some(layer) = event.layer {
            walker.walk(layers, layer, &event.fields);
        }
    }
}

struct Walker<'c, 'a> {
    checker: &'c mut Checker<'a>,
    /// Pairs already reported: the same layers are walked for many events.
    reported: HashSet<(Origin, Origin)>,
}

/// A member of a payload object: a field, or the key of a nested layer's object.
struct Member<'m> {
    what: What<'m>,
    origin: &'m Origin,
}

/// What declares a member; described only when reported (this runs for every event).
#[derive(Clone, Copy)]
enum What<'m> {
    LayerKey(&'m str),
    LayerField(&'m str),
    EventField,
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::LayerKey(layer) => write!(f, "the key of layer `{layer}`"),
            What::LayerField(layer) => write!(f, "a field of layer `{layer}`"),
            What::EventField => f.write_str("a field of the event"),
        }
    }
}

impl Walker<'_, '_> {
    fn walk(&mut self, layers: &[Layer], id: LayerId, event_fields: &[FieldDef]) {
        let mut object: HashMap<&str, Member<'_>> = HashMap::new();
        let mut path: Vec<&str> = Vec::new();
        for (depth, &id) in layer_chain(layers, id).iter().enumerate() {
            let layer = &layers[id.0];
            if depth == 0 || !layer.inline {
                if depth > 0 {
                    let member = Member {
                        what: What::LayerKey(&layer.name),
                        origin: &layer.origin,
                    };
                    self.insert(&mut object, &path, &layer.key, member);
                }
                object.clear();
                path.push(&layer.key);
            }
            for field in &layer.fields {
                let member = Member {
                    what: What::LayerField(&layer.name),
                    origin: &field.origin,
                };
                self.insert(&mut object, &path, &field.name, member);
            }
        }
        for field in event_fields {
            let member = Member {
                what: What::EventField,
                origin: &field.origin,
            };
            self.insert(&mut object, &path, &field.name, member);
        }
    }

    fn insert<'m>(
        &mut self,
        object: &mut HashMap<&'m str, Member<'m>>,
        path: &[&str],
        name: &'m str,
        member: Member<'m>,
    ) {
        let Some(first) = object.get(name) else {
            object.insert(name, member);
            return;
        };
        if !self
            .reported
            .insert((first.origin.clone(), member.origin.clone()))
        {
            return;
        }
        self.checker.error(
            Diagnostic::error(
                Rule::FieldRedeclared,
                format!("`{name}` is declared twice in the payload object `{}`", path.join(".")),
            )
            .label(member.origin, format!("declared again as {}", member.what))
            .label(first.origin, format!("first declared as {}", first.what))
            .help("names in one payload object must differ: an inline layer or an event shares its layer's object; rename one"),
        );
    }
}
