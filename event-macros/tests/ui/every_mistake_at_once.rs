#![allow(unused)]

use event_macros::{Event, Layer, NamedEnum, NamedType};
use event_runtime::{Timestamp, Uuid};

/// A project.
#[derive(Layer)]
pub struct Project {
    /// UUID of the project.
    #[field(scope)]
    pub uuid: Uuid,
}

/// A pipeline.
#[derive(Layer)]
#[layer(parent = "project", inline = "yes", sgment = "p")]
pub struct Pipeline {
    /// Name.
    #[field(telemetry = "hide")]
    pub name: String,
    /// Runs.
    pub runs: u32,
}
fn main() {}
