#![allow(unused)]

use event_macros::{Event, Layer};
use event_runtime::{Timestamp, Uuid};

/// A project.
#[derive(Layer)]
pub struct Project {
    /// UUID of the project.
    #[field(scope)]
    pub uuid: Uuid,
    /// Name of the project.
    pub name: String,
}

/// Created.
#[derive(Event)]
#[event(type = "project:created", message = "Project {{ project.nmae }} was created")]
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
