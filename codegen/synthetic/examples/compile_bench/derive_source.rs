//! A checked catalog written back as Rust items with the `event-macros` derives: what a
//! crate declaring the same definitions with the derives would hold. One file for the
//! catalog, its enums and named types, and one per root layer with its layers and events.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use event_codegen::ir::TelemetryPolicy;
use event_codegen::model::{Catalog, EventDef, FieldDef, FieldType, LayerId};

/// The crate's source files, as `(path under src/, text)`; `lib.rs` first.
pub(crate) fn files(catalog: &Catalog) -> Vec<(String, String)> {
    let mut lib = String::from(
        "//! A synthetic catalog declared with the derives.\n\
         #![allow(deprecated, missing_docs)]\n\n\
         use std::collections::BTreeMap;\n\n\
         use event_macros::{Catalog, NamedEnum, NamedType};\n\
         use event_runtime::reexport::serde::{Deserialize, Serialize};\n\
         #[allow(unused_imports)]\n\
         use event_runtime::reexport::serde_json::Value;\n\
         #[allow(unused_imports)]\n\
         use event_runtime::{Timestamp, Uuid};\n\n",
    );
    doc(&mut lib, "", catalog.description.as_deref());
    let _ = write!(
        lib,
        "#[derive(Catalog)]\n#[catalog(name = {:?}",
        catalog.name
    );
    if let Some(base) = &catalog.schema_base {
        let _ = write!(lib, ", schema_base = {base:?}");
    }
    lib.push_str(")]\npub struct SyntheticCatalog;\n");
    for def in &catalog.enums {
        lib.push('\n');
        doc(&mut lib, "", def.description.as_deref());
        let _ = writeln!(
            lib,
            "#[derive(Debug, Clone, Copy, PartialEq, Eq, NamedEnum)]\n#[named_enum(name = {:?})]\npub enum {} {{",
            def.name, def.rust_name
        );
        for variant in &def.variants {
            let _ = writeln!(
                lib,
                "    #[variant(value = {:?})]\n    {},",
                variant.value, variant.rust_name
            );
        }
        lib.push_str("}\n");
    }
    for def in &catalog.types {
        lib.push('\n');
        doc(&mut lib, "", def.description.as_deref());
        let debug = if def.fields.iter().any(|f| f.sensitive) {
            ""
        } else {
            "Debug, "
        };
        let _ = writeln!(
            lib,
            "#[derive({debug}Clone, PartialEq, Serialize, Deserialize, NamedType)]\n\
             #[serde(crate = \"event_runtime::reexport::serde\")]\n\
             #[named_type(name = {:?})]\npub struct {} {{",
            def.name, def.rust_name
        );
        for field in &def.fields {
            if field.optional {
                lib.push_str("    #[serde(default, skip_serializing_if = \"Option::is_none\")]\n");
            }
            write_field(&mut lib, catalog, field, "");
        }
        lib.push_str("}\n");
    }

    // Each root layer's family: its layers and the events under them.
    let root_of = |mut id: LayerId| {
        while let Some(parent) = catalog.layer(id).parent {
            id = parent;
        }
        id
    };
    let mut families: BTreeMap<usize, String> = BTreeMap::new();
    // The operational layers and events are every catalog's: no crate declares them.
    let layers = (catalog.layers.iter().enumerate()).filter(|(_, layer)| !layer.is_operational());
    for (index, layer) in layers {
        let out = families.entry(root_of(LayerId(index)).0).or_default();
        out.push('\n');
        doc(out, "", layer.description.as_deref());
        let debug = if layer.fields.iter().any(|f| f.sensitive) {
            ""
        } else {
            "Debug, "
        };
        let _ = write!(
            out,
            "#[derive({debug}Clone, PartialEq, Layer)]\n#[layer(name = {:?}",
            layer.name
        );
        if let Some(parent) = layer.parent {
            let _ = write!(out, ", parent = {:?}", catalog.layer(parent).name);
        }
        if layer.is_abstract {
            out.push_str(", abstract");
        }
        if layer.inline {
            out.push_str(", inline");
        }
        if let Some(segment) = &layer.segment {
            let _ = write!(out, ", segment = {segment:?}");
        }
        if !layer.inline && layer.key != snake(&layer.name) {
            let _ = write!(out, ", key = {:?}", layer.key);
        }
        let _ = writeln!(out, ")]\npub struct {} {{", layer.rust_name);
        for field in &layer.fields {
            write_field(
                out,
                catalog,
                field,
                &format!("{}_{}", layer.key, field.name),
            );
        }
        out.push_str("}\n");
    }
    let mut outside = String::new();
    for event in catalog
        .events
        .iter()
        .filter(|event| !event.is_operational())
    {
        let out = match event.layer {
            Some(id) => families.entry(root_of(id).0).or_default(),
            None => &mut outside,
        };
        out.push_str(&event_source(catalog, event));
    }
    let mut files = Vec::new();
    for (index, (root, text)) in families.into_iter().enumerate() {
        let module = format!("family_{index}");
        let _ = writeln!(
            lib,
            "\n/// The `{}` family.\nmod {module};\npub use {module}::*;",
            catalog.layers[root].name
        );
        files.push((format!("{module}.rs"), module_file(&text)));
    }
    if !outside.is_empty() {
        lib.push_str("\n/// Events outside the hierarchy.\nmod outside;\npub use outside::*;\n");
        files.push(("outside.rs".to_owned(), module_file(&outside)));
    }
    files.insert(0, ("lib.rs".to_owned(), lib));
    files
}

/// The Rust items of one event.
pub(crate) fn event_source(catalog: &Catalog, event: &EventDef) -> String {
    let mut out = String::from("\n");
    doc(&mut out, "", event.description.as_deref());
    let sensitive = event.fields.iter().any(|f| f.sensitive);
    let debug = if sensitive { "" } else { "Debug, " };
    let _ = write!(
        out,
        "#[derive({debug}Clone, PartialEq, Event)]\n#[event(type = {:?}",
        event.event_type
    );
    if !event.stored {
        out.push_str(", stored = false");
    }
    if event.client {
        out.push_str(", client");
    }
    if event.version != 1 {
        let _ = write!(out, ", version = {}", event.version);
    }
    if let Some(d) = &event.deprecated {
        let mut keys = Vec::new();
        if let Some(since) = &d.since {
            keys.push(format!("since = {since:?}"));
        }
        if let Some(note) = &d.note {
            keys.push(format!("note = {note:?}"));
        }
        if let Some(by) = &d.replaced_by {
            keys.push(format!("replaced_by = {by:?}"));
        }
        if let Some(sunset) = &d.sunset {
            keys.push(format!("sunset = \"{sunset}\""));
        }
        let _ = write!(out, ", deprecated({})", keys.join(", "));
    }
    let _ = writeln!(
        out,
        ")]\npub struct {} {{\n    /// The event's id.\n    pub uuid: Uuid,\n    /// When it happened.\n    pub timestamp: Timestamp,",
        event.rust_name
    );
    if let Some(id) = event.layer {
        for id in catalog.layer_chain(id) {
            let layer = catalog.layer(id);
            if layer.fields.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "    #[layer]\n    pub {}: {},",
                snake(&layer.name),
                layer.rust_name
            );
        }
    }
    for field in &event.fields {
        write_field(&mut out, catalog, field, &field.name);
    }
    out.push_str("}\n");
    out
}

fn module_file(items: &str) -> String {
    format!(
        "#![allow(unused_imports)]\n\nuse std::collections::BTreeMap;\n\n\
         use event_macros::{{Event, Layer}};\n\
         use event_runtime::reexport::serde_json::Value;\n\
         use event_runtime::{{Timestamp, Uuid}};\n\n\
         use super::*;\n{items}"
    )
}

fn doc(out: &mut String, indent: &str, text: Option<&str>) {
    for line in text.unwrap_or_default().lines() {
        let _ = writeln!(out, "{indent}/// {line}");
    }
}

fn write_field(out: &mut String, catalog: &Catalog, field: &FieldDef, default_column: &str) {
    doc(out, "    ", field.description.as_deref());
    if field.deprecated {
        out.push_str("    #[deprecated]\n");
    }
    let mut keys = Vec::new();
    if field.sensitive {
        keys.push("sensitive".to_owned());
    }
    let default = if field.sensitive {
        TelemetryPolicy::Drop
    } else {
        TelemetryPolicy::Keep
    };
    if field.telemetry != default {
        keys.push(format!("telemetry = {:?}", field.telemetry.as_str()));
    }
    if !field.notification {
        keys.push("notification = false".to_owned());
    }
    if field.scope {
        keys.push("scope".to_owned());
    }
    if field.column != default_column {
        keys.push(format!("column = {:?}", field.column));
    }
    if !keys.is_empty() {
        let _ = writeln!(out, "    #[field({})]", keys.join(", "));
    }
    let ty = rust_type(catalog, &field.ty);
    let ty = if field.optional {
        format!("Option<{ty}>")
    } else {
        ty
    };
    let _ = writeln!(out, "    pub {}: {ty},", member(&field.name));
}

fn rust_type(catalog: &Catalog, ty: &FieldType) -> String {
    match ty {
        FieldType::Uuid => "Uuid".to_owned(),
        FieldType::String => "String".to_owned(),
        FieldType::Bool => "bool".to_owned(),
        FieldType::Int => "i64".to_owned(),
        FieldType::Float => "f64".to_owned(),
        FieldType::Timestamp => "Timestamp".to_owned(),
        FieldType::Json => "Value".to_owned(),
        FieldType::Enum(id) => catalog.enums[id.0].rust_name.clone(),
        FieldType::Object(id) => catalog.types[id.0].rust_name.clone(),
        FieldType::List(inner) => format!("Vec<{}>", rust_type(catalog, inner)),
        FieldType::Map(inner) => format!("BTreeMap<String, {}>", rust_type(catalog, inner)),
    }
}

/// A field's member: a raw identifier for a keyword (`r#type`).
fn member(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else",
        "enum", "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match",
        "mod", "move", "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "try",
        "type", "unsafe", "use", "where", "while", "yield",
    ];
    if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

fn snake(name: &str) -> String {
    name.replace('-', "_")
}
