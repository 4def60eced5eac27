//! The JSON Schema of the definitions format itself, generated from the serde types that
//! parse it, so that editors validate and complete definition files (`#:schema`).

use crate::front::toml::raw::DefinitionsFile;

/// Where the repository commits it, relative to the workspace root.
pub const COMMITTED_PATH: &str = "definitions/definitions.schema.json";

/// The schema (draft 2020-12), pretty-printed with a trailing newline.
pub fn definitions_schema() -> String {
    let schema = schemars::schema_for!(DefinitionsFile);
    serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n"
}
