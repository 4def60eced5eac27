//! What generated code declares about client events (events front ends may relay), for
//! the relay check (`event_outbox::relay`). Declared here, so that generated code
//! compiles without the outbox.

use serde_json::Value;

use crate::TelemetryEvent;

/// Loads a client event from properties its schema accepted, with a new id and the
/// current time.
pub type ParseFn = fn(Value) -> Result<Box<dyn TelemetryEvent + Send>, serde_json::Error>;

/// One event type that front ends may send.
#[derive(Debug, Clone, Copy)]
pub struct ClientEventSpec {
    /// The event type, e.g. `view:loaded`.
    pub event_type: &'static str,
    /// The JSON Schema (2020-12) of its `properties` object, as text.
    pub properties_schema: &'static str,
    /// Builds the event from properties the schema accepted.
    pub parse: ParseFn,
}

impl ClientEventSpec {
    /// The member of a relayed request body that names the event type. The relay reads
    /// it, and the published request schemas (`schemas/request/`) are generated with it.
    pub const EVENT_KEY: &'static str = "event";
    /// The member of a relayed request body holding the event's properties, which
    /// `properties_schema` describes.
    pub const PROPERTIES_KEY: &'static str = "properties";
}
