//! The JSON Schemas of event payloads: snapshots for a small fixture catalog, every file a
//! valid draft 2020-12 schema, and for every event of the reference catalog sample
//! payloads that validate against their schema and the combined one, and mutations of
//! them (a missing or mistyped field, an unknown key, a wrong type, a sensitive value in
//! telemetry) that do not.

use std::collections::BTreeMap;

use event_codegen::diagnostic::Style;
use event_codegen::generate::GENERATED_NOTICE;
use event_codegen::generate::json_schema::{
    self, PayloadKind, SCHEMA_DIR, combined_schema_path, event_schema_path,
};
use event_codegen::generate::sample;
use event_codegen::model::{Catalog, FieldDef, FieldType};
use event_codegen::shape::{EventShape, TelemetrySlot};
use serde_json::{Map, Value, json};

/// A 3-level hierarchy (project > job (abstract) > one-off job (inline) > pipeline run),
/// a named type with a sensitive, a counted and a hashed field, an enum, every telemetry
/// policy, optional, deprecated and telemetry-only fields, a deprecated event, and
/// analytics-only events inside and outside the hierarchy.
const FIXTURE: &str = include_str!("fixtures/features.toml");

fn load(name: &str, text: &str) -> Catalog {
    let loaded = event_codegen::load_str(name, text);
    let rendered = loaded.render(Style::Plain);
    loaded.catalog.unwrap_or_else(|| panic!("{rendered}"))
}

fn fixture() -> Catalog {
    load("fixture.toml", FIXTURE)
}

fn reference() -> Catalog {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/orchest.toml");
    load(
        path,
        &std::fs::read_to_string(path).expect("the reference catalog"),
    )
}

/// The generated files, parsed, by path relative to `schemas/`.
fn schema_files(catalog: &Catalog) -> BTreeMap<String, Value> {
    json_schema::files(catalog)
        .into_iter()
        .map(|file| {
            let path = file.path.to_str().expect("UTF-8 path").to_owned();
            let relative = path
                .strip_prefix(&format!("{SCHEMA_DIR}/"))
                .unwrap_or_else(|| panic!("{path} is under {SCHEMA_DIR}/"))
                .to_owned();
            let value = serde_json::from_str(&file.contents)
                .unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
            (relative, value)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Snapshots and structure
// ---------------------------------------------------------------------------------------

#[test]
fn fixture_schemas_snapshot() {
    let files = json_schema::files(&fixture());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/json_schemas");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for file in &files {
            let name = file
                .path
                .to_str()
                .expect("UTF-8")
                .trim_start_matches("schemas/")
                .trim_end_matches(".json")
                .replace('/', "__");
            insta::assert_snapshot!(name, file.contents);
        }
    });
}

#[test]
fn one_file_per_payload_plus_index_and_combined() {
    let catalog = fixture();
    let files = schema_files(&catalog);
    let mut expected = vec![
        "index.json".to_owned(),
        combined_schema_path(PayloadKind::Notification),
        combined_schema_path(PayloadKind::Telemetry),
    ];
    for event in &catalog.events {
        expected.push(event_schema_path(
            PayloadKind::Telemetry,
            &event.event_type,
            event.version,
        ));
        if event.stored {
            expected.push(event_schema_path(
                PayloadKind::Notification,
                &event.event_type,
                event.version,
            ));
        }
        if event.client {
            expected.push(json_schema::request_schema_path(
                &event.event_type,
                event.version,
            ));
        }
    }
    expected.sort();
    assert_eq!(files.keys().cloned().collect::<Vec<_>>(), expected);
    assert!(files.contains_key("notification/project.one-off-job.pipeline-run.failed/v1.json"));
    assert!(!files.contains_key("notification/view.loaded/v1.json"));
    assert!(files.contains_key("telemetry/view.loaded/v1.json"));
    assert!(files.contains_key("request/view.loaded/v1.json"));
    assert!(!files.contains_key("request/project.created/v1.json"));
}

#[test]
fn files_are_deterministic_pretty_json_with_the_notice() {
    let catalog = fixture();
    let first = json_schema::files(&catalog);
    assert_eq!(first, json_schema::files(&catalog));
    for file in &first {
        assert!(file.contents.ends_with("}\n"), "{}", file.path.display());
        let value: Value = serde_json::from_str(&file.contents).expect("JSON");
        assert_eq!(
            value["$comment"],
            GENERATED_NOTICE,
            "{}",
            file.path.display()
        );
        assert!(
            file.contents
                .starts_with(&format!("{{\n  \"$comment\": \"{GENERATED_NOTICE}\",\n")),
            "{}",
            file.path.display()
        );
    }
}

#[test]
fn every_schema_is_a_valid_2020_12_schema() {
    for catalog in [fixture(), reference()] {
        let files = schema_files(&catalog);
        for (path, schema) in &files {
            if path == "index.json" {
                continue;
            }
            if let Err(error) = jsonschema::draft202012::meta::validate(schema) {
                panic!("{path} is not a valid 2020-12 schema: {error}");
            }
            assert_eq!(schema["$schema"], json_schema::DRAFT_2020_12, "{path}");
            if path.contains('/') {
                // Per-event schemas are self-contained.
                jsonschema::draft202012::new(schema)
                    .unwrap_or_else(|e| panic!("{path} does not compile: {e}"));
            }
        }
        // The combined schemas compile once the per-event ones are registered.
        let registry = registry(&catalog, &files);
        for kind in PayloadKind::ALL {
            combined_validator(&files, &registry, kind);
        }
    }
}

#[test]
fn combined_schemas_are_one_of_the_events_told_apart_by_a_const_type() {
    for catalog in [fixture(), reference()] {
        let files = schema_files(&catalog);
        for kind in PayloadKind::ALL {
            let combined = &files[&combined_schema_path(kind)];
            assert!(combined.get("allOf").is_none(), "no if/then dispatch");
            let branches = combined["oneOf"].as_array().expect("oneOf");
            let events: Vec<_> = catalog
                .events
                .iter()
                .filter(|e| kind.applies_to(e))
                .collect();
            assert_eq!(branches.len(), events.len());
            for (branch, event) in branches.iter().zip(events) {
                let path = event_schema_path(kind, &event.event_type, event.version);
                assert_eq!(branch["$ref"], path.as_str());
                let schema = &files[&path];
                let discriminator = match kind {
                    PayloadKind::Notification => &schema["properties"]["type"],
                    PayloadKind::Telemetry => {
                        &schema["properties"]["event_properties"]["properties"]["type"]
                    }
                };
                assert_eq!(discriminator["const"], event.event_type.as_str(), "{path}");
            }
        }
    }
}

#[test]
fn ids_titles_and_descriptions() {
    let catalog = fixture();
    let files = schema_files(&catalog);
    let failed = &files["notification/project.one-off-job.pipeline-run.failed/v1.json"];
    assert_eq!(
        failed["$id"],
        "https://schemas.example.com/fixture/notification/project.one-off-job.pipeline-run.failed/v1.json"
    );
    assert_eq!(
        failed["title"],
        "project:one-off-job:pipeline-run:failed v1 (notification)"
    );
    assert_eq!(
        failed["description"],
        "A pipeline run of a one-off job failed."
    );
    assert_eq!(
        files["telemetry.json"]["$id"],
        "https://schemas.example.com/fixture/telemetry.json"
    );

    // A deprecation comes without a new version, so the immutable file of the version
    // does not hold it: the combined schema's branch and the index do.
    let renamed = &files["telemetry/project.renamed/v1.json"];
    assert_eq!(renamed["deprecated"], Value::Null);
    assert_eq!(renamed["description"], "A project was renamed.");
    let branch = files["telemetry.json"]["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .find(|b| b["$ref"] == "telemetry/project.renamed/v1.json")
        .expect("a branch for project:renamed");
    assert_eq!(branch["deprecated"], true);
    assert_eq!(
        branch["description"],
        "Deprecated since 2.0.0: use project:updated. Replaced by `project:updated`. \
         Sunset: 2030-06-30."
    );
    let job = &failed["properties"]["project"]["properties"]["job"];
    assert_eq!(job["properties"]["legacy"]["deprecated"], true);
    assert_eq!(
        job["properties"]["legacy"]["type"],
        json!(["boolean", "null"])
    );
    assert_eq!(
        job["description"],
        "A job of a project. A job that runs once."
    );
    assert_eq!(
        failed["$defs"]["job-status"],
        json!({
            "description": "Status of a job.",
            "type": "string",
            "enum": ["DRAFT", "STARTED", "SUCCESS", "FAILURE"],
        })
    );
}

#[test]
fn without_schema_base_ids_are_relative() {
    let text = FIXTURE.replace(
        "schema_base = \"https://schemas.example.com/fixture/\"\n",
        "",
    );
    let catalog = load("fixture.toml", &text);
    assert!(catalog.schema_base.is_none());
    let files = schema_files(&catalog);
    assert_eq!(
        files["notification/project.created/v1.json"]["$id"],
        "notification/project.created/v1.json"
    );
    assert_eq!(files["notification.json"]["$id"], "notification.json");
    // Relative ids still resolve among themselves.
    let registry = registry(&catalog, &files);
    let validator = combined_validator(&files, &registry, PayloadKind::Notification);
    let event = catalog.event("project:created").expect("event");
    let payload =
        Samples::new(&catalog, Optionals::Present).notification(&catalog.event_shape(event));
    assert!(validator.is_valid(&payload));
}

#[test]
fn telemetry_forms_of_named_types_drop_sensitive_fields() {
    let files = schema_files(&fixture());
    let failed = &files["telemetry/project.one-off-job.pipeline-run.failed/v1.json"];
    let step = &failed["$defs"]["step"];
    let mut keys: Vec<&str> = step["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["owner", "tags_count", "uuid"]);
    let notification = &files["notification/project.one-off-job.pipeline-run.failed/v1.json"];
    let mut keys: Vec<&str> = notification["$defs"]["step"]["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["owner", "tags", "title", "uuid"]);
}

// ---------------------------------------------------------------------------------------
// Validators
// ---------------------------------------------------------------------------------------

fn registry(catalog: &Catalog, files: &BTreeMap<String, Value>) -> jsonschema::Registry<'static> {
    // Relative `$id`s resolve against the validator's default base.
    let base = catalog.schema_base.as_deref().unwrap_or("json-schema:///");
    let resources: Vec<(String, Value)> = files
        .iter()
        .filter(|(path, _)| path.contains('/'))
        .map(|(path, schema)| (format!("{base}{path}"), schema.clone()))
        .collect();
    jsonschema::Registry::new()
        .extend(resources)
        .expect("valid URIs")
        .prepare()
        .expect("the registry builds")
}

fn event_validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the schema compiles")
}

fn combined_validator(
    files: &BTreeMap<String, Value>,
    registry: &jsonschema::Registry<'_>,
    kind: PayloadKind,
) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .with_registry(registry)
        .build(&files[&combined_schema_path(kind)])
        .unwrap_or_else(|e| panic!("the combined {} schema compiles: {e}", kind.as_str()))
}

// ---------------------------------------------------------------------------------------
// Sample payloads, built from the shapes (independently of the schema generator)
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Optionals {
    /// Every optional field has a value.
    Present,
    /// Optional fields are left out.
    Absent,
    /// Optional fields are `null`.
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Notification,
    Telemetry,
}

const UUID: &str = "4f1e2a3b-5c6d-4e7f-8a9b-0c1d2e3f4a5b";
const TIMESTAMP: &str = "2024-05-01T12:34:56Z";
const HASH: &str = "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592";

struct Samples<'c> {
    catalog: &'c Catalog,
    optionals: Optionals,
}

impl<'c> Samples<'c> {
    fn new(catalog: &'c Catalog, optionals: Optionals) -> Self {
        Self { catalog, optionals }
    }

    fn put(&self, object: &mut Map<String, Value>, field: &FieldDef, key: String, value: Value) {
        if !field.optional {
            object.insert(key, value);
            return;
        }
        match self.optionals {
            Optionals::Present => {
                object.insert(key, value);
            }
            Optionals::Absent => {}
            Optionals::Null => {
                object.insert(key, Value::Null);
            }
        }
    }

    /// A value of a type, named types in the given form.
    fn value(&self, ty: &FieldType, form: Form) -> Value {
        match ty {
            FieldType::Uuid => UUID.into(),
            FieldType::String => "some text".into(),
            FieldType::Bool => true.into(),
            FieldType::Int => 7.into(),
            FieldType::Float => 2.5.into(),
            FieldType::Timestamp => TIMESTAMP.into(),
            FieldType::Json => json!({ "any": ["json", 1, null] }),
            &FieldType::Enum(id) => {
                let enum_def = self.catalog.enum_def(id);
                enum_def
                    .variants
                    .last()
                    .expect("a variant")
                    .value
                    .clone()
                    .into()
            }
            &FieldType::Object(id) => {
                let type_def = self.catalog.type_def(id);
                let mut object = Map::new();
                for field in &type_def.fields {
                    match form {
                        Form::Notification => {
                            if field.notification {
                                self.put(
                                    &mut object,
                                    field,
                                    field.name.clone(),
                                    self.value(&field.ty, form),
                                );
                            }
                        }
                        Form::Telemetry => self.telemetry_member(&mut object, field, true),
                    }
                }
                Value::Object(object)
            }
            FieldType::List(inner) => json!([self.value(inner, form), self.value(inner, form)]),
            FieldType::Map(inner) => {
                json!({ "a": self.value(inner, form), "b": self.value(inner, form) })
            }
        }
    }

    /// A field in telemetry: its value or hash (and, inside named types, its count).
    fn telemetry_member(&self, object: &mut Map<String, Value>, field: &FieldDef, counts: bool) {
        match field.telemetry_slot() {
            Some(TelemetrySlot::Value) => {
                self.put(
                    object,
                    field,
                    field.name.clone(),
                    self.value(&field.ty, Form::Telemetry),
                );
            }
            Some(TelemetrySlot::Hash) => self.put(object, field, field.name.clone(), HASH.into()),
            Some(TelemetrySlot::Count) if counts => {
                self.put(object, field, field.count_key(), 2.into());
            }
            // Inside a named type, a derived value sits beside the others.
            Some(TelemetrySlot::Derived) if counts => {
                let value = self.value(&field.ty, Form::Telemetry);
                self.put(object, field, field.name.clone(), value);
            }
            Some(TelemetrySlot::Count | TelemetrySlot::Derived) | None => {}
        }
    }

    /// The nested part of a payload: top fields, then the objects under their keys.
    fn nested(
        &self,
        shape: &EventShape<'_>,
        member: impl Fn(&mut Map<String, Value>, &FieldDef),
    ) -> Map<String, Value> {
        let mut top = Map::new();
        for field in &shape.top_fields {
            member(&mut top, field);
        }
        let mut inner: Option<(String, Map<String, Value>)> = None;
        for object in shape.objects.iter().rev() {
            let mut map = Map::new();
            for field in &object.fields {
                member(&mut map, field);
            }
            if let Some((key, value)) = inner.take() {
                map.insert(key, Value::Object(value));
            }
            inner = Some((object.key.to_owned(), map));
        }
        if let Some((key, value)) = inner {
            top.insert(key, Value::Object(value));
        }
        top
    }

    fn base(shape: &EventShape<'_>) -> Map<String, Value> {
        let mut base = Map::new();
        base.insert("uuid".into(), UUID.into());
        base.insert("type".into(), shape.event.event_type.clone().into());
        base.insert("version".into(), shape.event.version.into());
        base.insert("timestamp".into(), TIMESTAMP.into());
        base
    }

    fn notification(&self, shape: &EventShape<'_>) -> Value {
        let mut payload = Self::base(shape);
        payload.extend(self.nested(shape, |object, field| {
            if field.in_notification() {
                self.put(
                    object,
                    field,
                    field.name.clone(),
                    self.value(&field.ty, Form::Notification),
                );
            }
        }));
        Value::Object(payload)
    }

    fn telemetry(&self, shape: &EventShape<'_>) -> Value {
        let mut event_properties = Self::base(shape);
        event_properties.extend(self.nested(shape, |object, field| {
            self.telemetry_member(object, field, false);
        }));
        let derived_properties = self.nested(shape, |object, field| match field.telemetry_slot() {
            Some(TelemetrySlot::Count) => self.put(object, field, field.count_key(), 3.into()),
            Some(TelemetrySlot::Derived) => {
                let value = self.value(&field.ty, Form::Telemetry);
                self.put(object, field, field.name.clone(), value);
            }
            _ => {}
        });
        json!({
            "event_properties": event_properties,
            "derived_properties": derived_properties,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------

/// The object at `path` (keys from the payload's top).
fn object_at<'v>(payload: &'v mut Value, path: &[String]) -> &'v mut Map<String, Value> {
    let mut current = payload;
    for key in path {
        current = current
            .get_mut(key)
            .unwrap_or_else(|| panic!("no `{key}` on the path {path:?}"));
    }
    current.as_object_mut().expect("an object")
}

/// Where each field of an event sits: the keys of its object, from the payload's top.
fn field_paths<'s>(shape: &EventShape<'s>) -> Vec<(Vec<String>, &'s FieldDef)> {
    let mut paths: Vec<(Vec<String>, &FieldDef)> =
        shape.top_fields.iter().map(|&f| (Vec::new(), f)).collect();
    let mut keys = Vec::new();
    for object in &shape.objects {
        keys.push(object.key.to_owned());
        paths.extend(object.fields.iter().map(|&f| (keys.clone(), f)));
    }
    paths
}

/// The object paths of an event (the top, then each nested object).
fn object_paths(shape: &EventShape<'_>) -> Vec<Vec<String>> {
    let mut paths = vec![Vec::new()];
    let mut keys = Vec::new();
    for object in &shape.objects {
        keys.push(object.key.to_owned());
        paths.push(keys.clone());
    }
    paths
}

fn prefixed(prefix: &str, path: &[String]) -> Vec<String> {
    std::iter::once(prefix.to_owned())
        .chain(path.iter().cloned())
        .collect()
}

/// A value of another JSON type than the field's.
fn wrong_value(ty: &FieldType) -> Option<Value> {
    match ty {
        FieldType::Json => None,
        FieldType::Int | FieldType::Float | FieldType::Bool => Some("not a number".into()),
        FieldType::Uuid => Some("not-a-uuid".into()),
        FieldType::Timestamp => Some("yesterday".into()),
        FieldType::Enum(_) => Some("NO_SUCH_VARIANT".into()),
        _ => Some(42.into()),
    }
}

/// Copies of `value` (a value of `ty` in telemetry form) with one field of a named type
/// that must not reach telemetry as a value put back in, wherever such types occur.
fn named_type_leaks(samples: &Samples<'_>, ty: &FieldType, value: &Value) -> Vec<(String, Value)> {
    let mut leaks = Vec::new();
    match ty {
        &FieldType::Object(id) => {
            let type_def = samples.catalog.type_def(id);
            for field in &type_def.fields {
                if field.telemetry_slot() != Some(TelemetrySlot::Value) {
                    let mut leaked = value.clone();
                    leaked[&field.name] = samples.value(&field.ty, Form::Notification);
                    leaks.push((format!("{}.{}", type_def.name, field.name), leaked));
                } else if let Some(inner) = value.get(&field.name) {
                    for (what, leaked_inner) in named_type_leaks(samples, &field.ty, inner) {
                        let mut leaked = value.clone();
                        leaked[&field.name] = leaked_inner;
                        leaks.push((what, leaked));
                    }
                }
            }
        }
        FieldType::List(inner) => {
            if let Some(first) = value.get(0) {
                for (what, leaked_first) in named_type_leaks(samples, inner, first) {
                    let mut leaked = value.clone();
                    leaked[0] = leaked_first;
                    leaks.push((what, leaked));
                }
            }
        }
        FieldType::Map(inner) => {
            if let Some((key, first)) = value.as_object().and_then(|m| m.iter().next()) {
                for (what, leaked_first) in named_type_leaks(samples, inner, first) {
                    let mut leaked = value.clone();
                    leaked[key] = leaked_first;
                    leaks.push((what, leaked));
                }
            }
        }
        _ => {}
    }
    leaks
}

/// Payloads that must be rejected, each with what is wrong with it.
fn bad_notifications(
    samples: &Samples<'_>,
    shape: &EventShape<'_>,
    good: &Value,
) -> Vec<(String, Value)> {
    let mut bad = Vec::new();
    let mut with = |what: String, change: &dyn Fn(&mut Value)| {
        let mut payload = good.clone();
        change(&mut payload);
        bad.push((what, payload));
    };
    for base in ["uuid", "type", "version", "timestamp"] {
        with(format!("without `{base}`"), &|p| {
            p.as_object_mut().expect("object").remove(base);
        });
    }
    with("another version".into(), &|p| {
        p["version"] = (shape.event.version + 1).into()
    });
    with("a version as a string".into(), &|p| {
        p["version"] = shape.event.version.to_string().into()
    });
    with("a uuid that is no uuid".into(), &|p| {
        p["uuid"] = "event-1".into()
    });
    with("a timestamp that is no date-time".into(), &|p| {
        p["timestamp"] = "now".into()
    });
    with("an unknown type".into(), &|p| {
        p["type"] = "no:such-event".into()
    });
    for path in object_paths(shape) {
        with(format!("an unknown key in {path:?}"), &|p| {
            object_at(p, &path).insert("unexpected".into(), 1.into());
        });
        if let Some((last, parent)) = path.split_last() {
            with(format!("without the object {path:?}"), &|p| {
                object_at(p, parent).remove(last);
            });
        }
    }
    for (path, field) in field_paths(shape) {
        let name = &field.name;
        if !field.in_notification() {
            with(format!("telemetry-only `{name}` in {path:?}"), &|p| {
                object_at(p, &path)
                    .insert(name.clone(), samples.value(&field.ty, Form::Notification));
            });
            continue;
        }
        if !field.optional {
            with(format!("without `{name}` in {path:?}"), &|p| {
                object_at(p, &path).remove(name);
            });
        }
        if let Some(wrong) = wrong_value(&field.ty) {
            with(format!("`{name}` of the wrong type in {path:?}"), &|p| {
                object_at(p, &path).insert(name.clone(), wrong.clone());
            });
        }
    }
    bad
}

fn bad_telemetry(
    samples: &Samples<'_>,
    shape: &EventShape<'_>,
    good: &Value,
) -> Vec<(String, Value)> {
    let mut bad = Vec::new();
    let mut with = |what: String, change: &dyn Fn(&mut Value)| {
        let mut payload = good.clone();
        change(&mut payload);
        bad.push((what, payload));
    };
    for tree in ["event_properties", "derived_properties"] {
        with(format!("without `{tree}`"), &|p| {
            p.as_object_mut().expect("object").remove(tree);
        });
        for path in object_paths(shape) {
            let path = prefixed(tree, &path);
            with(format!("an unknown key in {path:?}"), &|p| {
                object_at(p, &path).insert("unexpected".into(), 1.into());
            });
        }
    }
    with("an unknown key at the top".into(), &|p| {
        p["unexpected"] = json!({})
    });
    for base in ["uuid", "type", "version", "timestamp"] {
        with(format!("without `{base}`"), &|p| {
            p["event_properties"]
                .as_object_mut()
                .expect("object")
                .remove(base);
        });
    }
    with("another version".into(), &|p| {
        p["event_properties"]["version"] = (shape.event.version + 1).into()
    });
    with("an unknown type".into(), &|p| {
        p["event_properties"]["type"] = "no:such-event".into()
    });
    for (path, field) in field_paths(shape) {
        let name = &field.name;
        let event_path = prefixed("event_properties", &path);
        let derived_path = prefixed("derived_properties", &path);
        let slot = field.telemetry_slot();
        if slot != Some(TelemetrySlot::Value) {
            // A value that must not reach telemetry (sensitive, counted, hashed or
            // dropped), put in as is.
            let what = if field.sensitive {
                "sensitive"
            } else {
                "non-value"
            };
            with(
                format!("the {what} value of `{name}` in {event_path:?}"),
                &|p| {
                    object_at(p, &event_path)
                        .insert(name.clone(), samples.value(&field.ty, Form::Notification));
                },
            );
        }
        match slot {
            Some(TelemetrySlot::Value) => {
                if !field.optional {
                    with(format!("without `{name}` in {event_path:?}"), &|p| {
                        object_at(p, &event_path).remove(name);
                    });
                }
                if let Some(wrong) = wrong_value(&field.ty) {
                    with(
                        format!("`{name}` of the wrong type in {event_path:?}"),
                        &|p| {
                            object_at(p, &event_path).insert(name.clone(), wrong.clone());
                        },
                    );
                }
                let good_value = object_at(&mut good.clone(), &event_path).get(name).cloned();
                if let Some(value) = good_value {
                    for (what, leaked) in named_type_leaks(samples, &field.ty, &value) {
                        with(
                            format!("`{what}` leaked into `{name}` in {event_path:?}"),
                            &|p| {
                                object_at(p, &event_path).insert(name.clone(), leaked.clone());
                            },
                        );
                    }
                }
            }
            Some(TelemetrySlot::Hash) => {
                if !field.optional {
                    with(
                        format!("without the hash `{name}` in {event_path:?}"),
                        &|p| {
                            object_at(p, &event_path).remove(name);
                        },
                    );
                }
                with(format!("an uppercase hash `{name}`"), &|p| {
                    object_at(p, &event_path).insert(name.clone(), HASH.to_uppercase().into());
                });
            }
            Some(TelemetrySlot::Count) => {
                let key = field.count_key();
                if !field.optional {
                    with(format!("without `{key}` in {derived_path:?}"), &|p| {
                        object_at(p, &derived_path).remove(&key);
                    });
                }
                with(format!("a negative `{key}`"), &|p| {
                    object_at(p, &derived_path).insert(key.clone(), (-1).into());
                });
                with(format!("a string `{key}`"), &|p| {
                    object_at(p, &derived_path).insert(key.clone(), "3".into());
                });
                with(format!("`{key}` under event_properties"), &|p| {
                    object_at(p, &event_path).insert(key.clone(), 3.into());
                });
            }
            Some(TelemetrySlot::Derived) => {
                if !field.optional {
                    with(format!("without `{name}` in {derived_path:?}"), &|p| {
                        object_at(p, &derived_path).remove(name);
                    });
                }
                let value = object_at(&mut good.clone(), &derived_path)
                    .get(name)
                    .cloned();
                if let Some(value) = value {
                    with(format!("`{name}` under event_properties"), &|p| {
                        object_at(p, &event_path).insert(name.clone(), value.clone());
                    });
                }
            }
            None => {}
        }
    }
    bad
}

/// Every payload of every event of `catalog` validates against its schema and the
/// combined one; every mutation fails both. Returns how many payloads were checked.
fn check_payloads(catalog: &Catalog) -> usize {
    let files = schema_files(catalog);
    let registry = registry(catalog, &files);
    let combined: BTreeMap<PayloadKind, jsonschema::Validator> = PayloadKind::ALL
        .into_iter()
        .map(|kind| (kind, combined_validator(&files, &registry, kind)))
        .collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for event in &catalog.events {
        let shape = catalog.event_shape(event);
        for kind in PayloadKind::ALL {
            let path = event_schema_path(kind, &event.event_type, event.version);
            let Some(schema) = files.get(&path) else {
                assert!(!kind.applies_to(event), "{path} is missing");
                continue;
            };
            let validator = event_validator(schema);
            let combined = &combined[&kind];
            for optionals in [Optionals::Present, Optionals::Absent, Optionals::Null] {
                let samples = Samples::new(catalog, optionals);
                let good = match kind {
                    PayloadKind::Notification => samples.notification(&shape),
                    PayloadKind::Telemetry => samples.telemetry(&shape),
                };
                for (name, validator) in [
                    ("its schema", &validator),
                    ("the combined schema", combined),
                ] {
                    checked += 1;
                    let errors: Vec<String> = validator
                        .iter_errors(&good)
                        .map(|e| format!("{e} at {}", e.instance_path()))
                        .collect();
                    if !errors.is_empty() {
                        failures.push(format!(
                            "{path}: a valid payload ({optionals:?}) fails {name}: {errors:?}\n{good:#}"
                        ));
                    }
                }
                if optionals != Optionals::Present {
                    continue;
                }
                let bad = match kind {
                    PayloadKind::Notification => bad_notifications(&samples, &shape, &good),
                    PayloadKind::Telemetry => bad_telemetry(&samples, &shape, &good),
                };
                for (what, payload) in bad {
                    for (name, validator) in [
                        ("its schema", &validator),
                        ("the combined schema", combined),
                    ] {
                        checked += 1;
                        if validator.is_valid(&payload) {
                            failures.push(format!(
                                "{path}: a payload with {what} passes {name}\n{payload:#}"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    checked
}

#[test]
fn fixture_payloads_validate_and_mutations_do_not() {
    let checked = check_payloads(&fixture());
    assert!(checked > 100, "only {checked} payloads checked");
}

#[test]
fn reference_payloads_validate_and_mutations_do_not() {
    let catalog = reference();
    assert!(catalog.events.len() >= 66);
    let checked = check_payloads(&catalog);
    assert!(checked > 1000, "only {checked} payloads checked");
}

#[test]
fn a_payload_of_another_event_fails_its_schema_but_passes_the_combined_one() {
    let catalog = reference();
    let files = schema_files(&catalog);
    let registry = registry(&catalog, &files);
    let combined = combined_validator(&files, &registry, PayloadKind::Notification);
    let created = catalog.event("project:created").expect("event");
    let deleted = catalog.event("project:deleted").expect("event");
    let mut payload =
        Samples::new(&catalog, Optionals::Present).notification(&catalog.event_shape(created));
    payload["type"] = deleted.event_type.clone().into();
    assert!(combined.is_valid(&payload));
    let own = event_validator(
        &files[&event_schema_path(
            PayloadKind::Notification,
            &created.event_type,
            created.version,
        )],
    );
    assert!(!own.is_valid(&payload));
    // Analytics-only types are not notification types.
    payload["type"] = "view:loaded".into();
    assert!(!combined.is_valid(&payload));
}

#[test]
fn the_reference_pipeline_run_failed_notification_has_the_reference_shape() {
    let catalog = reference();
    let files = schema_files(&catalog);
    let schema = &files["notification/project.one-off-job.pipeline-run.failed/v1.json"];
    fn keys(object: &Value) -> Vec<&str> {
        object["required"]
            .as_array()
            .expect("required")
            .iter()
            .map(|k| k.as_str().expect("string"))
            .collect()
    }
    assert_eq!(
        keys(schema),
        ["uuid", "type", "version", "timestamp", "project"]
    );
    let project = &schema["properties"]["project"];
    assert_eq!(keys(project), ["uuid", "name", "job"]);
    let job = &project["properties"]["job"];
    assert_eq!(
        keys(job),
        [
            "uuid",
            "name",
            "status",
            "pipeline_name",
            "url_path",
            "total_runs",
            "pipeline_run"
        ]
    );
    let run = &job["properties"]["pipeline_run"];
    assert_eq!(
        keys(run),
        ["uuid", "status", "url_path", "parameters", "failed_steps"]
    );
    assert!(
        run["properties"]["number"].is_object(),
        "number is optional"
    );
    assert_eq!(
        run["properties"]["failed_steps"]["items"]["$ref"],
        "#/$defs/step"
    );
    assert_eq!(keys(&schema["$defs"]["step"]), ["uuid", "title"]);
}

#[test]
fn index_lists_every_event_and_its_schemas() {
    let catalog = reference();
    let files = schema_files(&catalog);
    let index = &files["index.json"];
    assert_eq!(index["catalog"], "orchest");
    assert_eq!(index["schemas"]["notification"], "notification.json");
    let events = index["events"].as_array().expect("events");
    assert_eq!(events.len(), catalog.events.len());
    for (entry, event) in events.iter().zip(&catalog.events) {
        assert_eq!(entry["type"], event.event_type.as_str());
        assert_eq!(entry["stored"], event.stored);
        assert_eq!(entry["client"], event.client);
        assert_eq!(entry["version"], event.version);
        for kind in PayloadKind::ALL {
            let path = &entry["schemas"][kind.as_str()];
            if kind.applies_to(event) {
                assert!(files.contains_key(path.as_str().expect("path")), "{path}");
            } else {
                assert!(path.is_null());
            }
        }
    }
}

#[test]
fn large_catalogs_give_the_same_files_in_catalog_order() {
    // Large enough to be generated on several threads where there are several cores.
    let loaded = event_codegen::load_str("synthetic.toml", synthetic_catalog::catalog(1200));
    let catalog = loaded.catalog.expect("the synthetic catalog checks");
    let files = json_schema::files(&catalog);
    assert!(files == json_schema::files(&catalog));
    let expected: Vec<String> =
        catalog
            .events
            .iter()
            .flat_map(|event| {
                PayloadKind::ALL
                    .into_iter()
                    .filter(|kind| kind.applies_to(event))
                    .map(|kind| event_schema_path(kind, &event.event_type, event.version))
                    .chain(event.client.then(|| {
                        json_schema::request_schema_path(&event.event_type, event.version)
                    }))
            })
            .chain(PayloadKind::ALL.into_iter().map(combined_schema_path))
            .chain(["index.json".to_owned()])
            .map(|path| format!("{SCHEMA_DIR}/{path}"))
            .collect();
    let paths: Vec<String> = files
        .iter()
        .map(|f| f.path.to_str().expect("UTF-8").to_owned())
        .collect();
    assert_eq!(paths, expected);
}

// ---------------------------------------------------------------------------------------
// The generator's sample payloads (`generate::sample`)
// ---------------------------------------------------------------------------------------

#[test]
fn every_sample_is_its_schemas_example_and_validates_against_it_and_the_combined_one() {
    for catalog in [fixture(), reference()] {
        let files = schema_files(&catalog);
        let registry = registry(&catalog, &files);
        let mut checked = 0;
        for event in &catalog.events {
            for kind in PayloadKind::ALL {
                let path = event_schema_path(kind, &event.event_type, event.version);
                let sample = sample::sample(&catalog, event, kind);
                let Some(schema) = files.get(&path) else {
                    assert!(sample.is_none(), "{path}: a sample without a schema");
                    continue;
                };
                let sample = sample.unwrap_or_else(|| panic!("{path}: no sample"));
                assert_eq!(schema["examples"], json!([sample]), "{path}");
                let combined = combined_validator(&files, &registry, kind);
                for validator in [event_validator(schema), combined] {
                    let errors: Vec<String> = validator
                        .iter_errors(&sample)
                        .map(|e| format!("{e} at {}", e.instance_path()))
                        .collect();
                    assert!(errors.is_empty(), "{path}: {errors:?}\n{sample:#}");
                }
                checked += 1;
            }
        }
        assert!(checked >= catalog.events.len(), "{checked} samples checked");
    }
}

#[test]
fn samples_are_deterministic() {
    let catalog = reference();
    for event in &catalog.events {
        for kind in PayloadKind::ALL {
            assert_eq!(
                sample::sample(&catalog, event, kind),
                sample::sample(&catalog, event, kind),
                "{}",
                event.event_type
            );
        }
    }
}

#[test]
fn samples_hold_the_examples_and_telemetry_what_the_policies_let_through() {
    let catalog = fixture();
    let key = event_runtime::TelemetryKey::new(sample::SAMPLE_KEY);
    let event = catalog
        .event("project:one-off-job:pipeline-run:failed")
        .expect("the event");
    let notification = sample::sample(&catalog, event, PayloadKind::Notification).expect("stored");
    let project = &notification["project"];
    assert_eq!(project["owner"], "ada");
    assert_eq!(project["job"]["status"], "STARTED");
    assert_eq!(project["job"]["total_runs"], 3);
    assert_eq!(project["job"]["legacy"], false);
    let run = &project["job"]["pipeline_run"];
    assert_eq!(run["uuid"], "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
    // Made up: optional fields present, one entry per map, one element per list.
    assert!(run["number"].is_i64(), "{run}");
    assert_eq!(run["parameters"].as_object().map(Map::len), Some(1));
    assert!(run.get("duration").is_none(), "telemetry-only: {run}");
    let step = &run["steps"][0];
    assert_eq!(step["title"], "Load data");
    assert_eq!(step["tags"], json!(["etl", "nightly"]));
    assert!(
        step["owner"].is_string(),
        "optional fields are present: {step}"
    );

    let telemetry = sample::sample(&catalog, event, PayloadKind::Telemetry).expect("telemetry");
    let properties = &telemetry["event_properties"]["project"];
    assert_eq!(properties["owner"], key.hash("ada"));
    assert!(properties.get("name").is_none(), "sensitive: dropped");
    assert_eq!(properties["uuid"], project["uuid"], "kept");
    let run_properties = &properties["job"]["pipeline_run"];
    assert_eq!(
        run_properties["duration"],
        json!(12.0),
        "telemetry-only, kept"
    );
    assert!(
        run_properties["duration"].is_f64(),
        "a float, as the runtime writes it"
    );
    assert!(run_properties.get("parameters").is_none(), "counted");
    let step_telemetry = &run_properties["steps"][0];
    assert_eq!(step_telemetry["tags_count"], 2);
    assert!(step_telemetry.get("title").is_none(), "sensitive: dropped");
    assert_eq!(
        step_telemetry["owner"],
        key.hash(step["owner"].as_str().expect("a string"))
    );
    let derived = &telemetry["derived_properties"]["project"]["job"]["pipeline_run"];
    assert_eq!(derived["parameters_count"], 1);
    assert_eq!(derived["failed_steps_count"], 1);
    assert_eq!(
        telemetry["event_properties"]["uuid"], notification["uuid"],
        "one event, two payloads"
    );

    // An analytics-only event has a telemetry sample only; a hashed uuid is its text's hash.
    let view = catalog.event("view:loaded").expect("the event");
    assert!(sample::sample(&catalog, view, PayloadKind::Notification).is_none());
    let telemetry = sample::sample(&catalog, view, PayloadKind::Telemetry).expect("telemetry");
    let session = &telemetry["event_properties"]["session"];
    assert!(
        session.as_str().is_some_and(|h| h.len() == 64),
        "{telemetry}"
    );
    assert_eq!(telemetry["event_properties"]["name"], "/pipeline");
}

#[test]
fn made_up_values_take_an_enums_first_value_and_valid_formats() {
    let catalog = reference();
    let event = catalog
        .event("project:one-off-job:pipeline-run:failed")
        .expect("the event");
    let notification = sample::sample(&catalog, event, PayloadKind::Notification).expect("stored");
    let first_status = &catalog
        .enum_def(catalog.enum_id("job-status").expect("the enum"))
        .variants[0]
        .value;
    assert_eq!(notification["project"]["job"]["status"], *first_status);
    let uuid = notification["uuid"].as_str().expect("a string");
    assert_eq!(
        event_runtime::reexport::uuid::Uuid::parse_str(uuid)
            .expect("a uuid")
            .hyphenated()
            .to_string(),
        uuid
    );
    assert_eq!(notification["timestamp"], sample::SAMPLE_TIME);
    // A layer's field holds one value in every event that carries it.
    let created = catalog.event("project:created").expect("the event");
    let created = sample::sample(&catalog, created, PayloadKind::Notification).expect("stored");
    assert_eq!(created["project"]["uuid"], notification["project"]["uuid"]);
    assert_ne!(created["uuid"], notification["uuid"]);
}

#[test]
fn samples_of_a_type_holding_itself_are_finite_and_valid() {
    let catalog = load(
        "tree.toml",
        r#"
[catalog]
name = "tree"

[types.node]
description = "A node."
fields.name = { type = "string", description = "Name." }
fields.children = { type = "list<node>", telemetry = "count", description = "Children." }
fields.by_name = { type = "map<list<node>>", description = "Children by name." }
fields.parent = { type = "node", optional = true, description = "Parent." }

[events."tree:viewed"]
description = "A tree was viewed."
stored = false
fields.root = { type = "node", description = "The root." }
"#,
    );
    let files = schema_files(&catalog);
    let event = catalog.event("tree:viewed").expect("the event");
    let sample = sample::sample(&catalog, event, PayloadKind::Telemetry).expect("telemetry");
    let root = &sample["event_properties"]["root"];
    assert_eq!(root["children_count"], 0, "{sample}");
    assert_eq!(root["by_name"], json!({}), "{sample}");
    assert!(root["parent"].is_null(), "{sample}");
    let schema = &files[&event_schema_path(PayloadKind::Telemetry, "tree:viewed", 1)];
    assert!(event_validator(schema).is_valid(&sample), "{sample}");
}
