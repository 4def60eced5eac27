#![allow(unused)]

use event_macros::Layer;
use event_runtime::Uuid;

/// A project.
#[derive(Debug, Layer)]
pub struct Project {
    /// UUID of the project.
    #[field(scope)]
    pub uuid: Uuid,
    /// Name of the project: its redacted `Debug` comes from `Layer`.
    #[field(sensitive)]
    pub name: String,
}

fn main() {}
