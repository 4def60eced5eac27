//! The JSON Schema of the definitions format itself, generated from the serde types that
//! parse it, so that editors validate and complete definition files (`#:schema`).

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::{RecursiveTransform, Transform};
use serde_json::Value;

use crate::front::toml::raw::DefinitionsFile;

/// Where the repository commits it, relative to the workspace root.
pub const COMMITTED_PATH: &str = "definitions/definitions.schema.json";

/// The schema (draft 2020-12), pretty-printed with a trailing newline.
pub fn definitions_schema() -> String {
    schema_of::<DefinitionsFile>(SchemaSettings::draft2020_12())
}

/// The schema of `T` for a TOML file: with `settings`, and no `null`.
pub(crate) fn schema_of<T: schemars::JsonSchema>(settings: SchemaSettings) -> String {
    let schema = settings
        .with_transform(RecursiveTransform(NoNull))
        .into_generator()
        .into_root_schema_for::<T>();
    serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n"
}

/// A key whose default is computed (the lock beside the definitions) has no default value
/// to show; `null` would be one TOML cannot write.
#[derive(Clone)]
pub(crate) struct NoNullDefault;

impl Transform for NoNullDefault {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(object) = schema.as_object_mut()
            && object.get("default") == Some(&Value::Null)
        {
            object.remove("default");
        }
    }
}

/// TOML has no null: an optional key is simply left out. serde's `Option` would otherwise
/// make every optional key accept `null`, which editors would then offer.
#[derive(Clone)]
struct NoNull;

impl Transform for NoNull {
    fn transform(&mut self, schema: &mut Schema) {
        let Some(object) = schema.as_object_mut() else {
            return;
        };
        if let Some(Value::Array(types)) = object.get_mut("type") {
            types.retain(|t| t != "null");
            if let [single] = types.as_slice() {
                let single = single.clone();
                object.insert("type".to_owned(), single);
            }
        }
        if let Some(Value::Array(branches)) = object.get("anyOf") {
            let rest: Vec<Value> = branches
                .iter()
                .filter(|b| b.get("type").is_none_or(|t| t != "null"))
                .cloned()
                .collect();
            if let [single] = rest.as_slice() {
                object.remove("anyOf");
                if let Value::Object(single) = single {
                    object.extend(single.clone());
                }
            } else {
                object.insert("anyOf".to_owned(), Value::Array(rest));
            }
        }
    }
}
