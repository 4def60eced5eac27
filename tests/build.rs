//! Generates modules exactly as a consuming crate would: the reference catalog, and the
//! generators' feature fixture (every telemetry policy, deprecations).

fn main() -> Result<(), event_codegen::BuildError> {
    event_codegen::Builder::new()
        .definitions("../definitions")
        .generate()?;
    event_codegen::Builder::new()
        .definitions("../codegen/tests/fixtures/features.toml")
        .file_name("features.rs")
        .generate()?;
    Ok(())
}
