//! Generates modules exactly as a consuming crate would: the reference catalog, and the
//! generators' feature fixture (every telemetry policy, deprecations).

fn main() -> Result<(), event_codegen::BuildError> {
    // With serde's traits as notification payloads (`tests/notification_serde.rs`).
    event_codegen::Builder::new()
        .definitions("../definitions")
        .serde(true)
        .generate()?;
    event_codegen::Builder::new()
        .definitions("../codegen/tests/fixtures/features.toml")
        .file_name("features.rs")
        .generate()?;
    // The fixture again, with attributes from the Builder's hooks (`tests/rust_hooks.rs`)
    // and serde (`tests/notification_serde.rs`).
    event_codegen::Builder::new()
        .definitions("../codegen/tests/fixtures/features.toml")
        .file_name("hooked.rs")
        .serde(true)
        .type_attribute(".", "#[allow(clippy::derive_partial_eq_without_eq)]")
        .type_attribute("project", "#[derive(Default)]")
        .type_attribute("project:created", "#[derive(Default)]")
        .type_attribute("step", "#[derive(Default)]")
        .field_attribute("step.title", r#"#[serde(rename = "name")]"#)
        .field_attribute(
            "project:created.projects_count",
            "#[doc(alias = \"count\")]",
        )
        .generate()?;
    Ok(())
}
