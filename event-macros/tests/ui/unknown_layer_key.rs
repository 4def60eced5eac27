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
#[layer(parnet = "project")]
pub struct Pipeline {
    /// UUID.
    pub uuid: Uuid,
}
fn main() {}
