//! Generates the reference catalog's module exactly as a consuming crate would.

fn main() -> Result<(), event_codegen::BuildError> {
    event_codegen::Builder::new()
        .definitions("../definitions")
        .generate()?;
    Ok(())
}
