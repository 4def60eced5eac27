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

/// A status.
#[derive(Clone, Copy, NamedEnum)]
pub enum Status {
    /// Running.
    Running,
    /// Failed.
    Failed(i64),
}
fn main() {}
