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

/// Created.
#[derive(Event)]
#[event(type = "project:created", deprecated(since = "2.0.0", sunset_date = "2030-01-01"))]
pub struct ProjectCreated {
    /// Id.
    pub uuid: Uuid,
    /// Time.
    pub timestamp: Timestamp,
    /// The project.
    #[layer]
    pub project: Project,
}
fn main() {}
