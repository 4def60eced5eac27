//! The service's one line of setup: the generated module, from the definitions its
//! eventgen.toml names.

fn main() -> Result<(), event_codegen::BuildError> {
    event_codegen::Builder::new().generate()?;
    Ok(())
}
