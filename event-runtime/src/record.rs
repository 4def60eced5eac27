//! Recording events: what a generated event offers a store, and a store's interface
//! (implemented by the outbox store of `event-outbox`).

use std::future::Future;

use uuid::Uuid;

use crate::{Result, TelemetryKey, Timestamp};

/// The id of a recorded event (its `uuid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub Uuid);

/// A value for one column of the `events` table.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValue<'a> {
    /// SQL NULL (an absent optional field).
    Null,
    /// A UUID.
    Uuid(Uuid),
    /// Text (strings and enum values).
    Text(&'a str),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A timestamp.
    Timestamp(Timestamp),
    /// A composite (list, map, named type, JSON) serialized as JSON.
    Json(String),
}

/// Any event of a catalog as analytics sees it: its identity and its anonymized
/// telemetry payload. Every generated event type implements it, stored or not.
pub trait TelemetryEvent: Sync {
    /// The exact event type, e.g. `project:created`.
    fn event_type(&self) -> &'static str;
    /// The event's id.
    fn uuid(&self) -> Uuid;
    /// When it happened.
    fn timestamp(&self) -> Timestamp;
    /// The anonymized telemetry payload (for analytics), as JSON.
    fn telemetry_json(&self, key: &TelemetryKey) -> Result<String>;
}

/// A stored event as the store sees it. Generated stored event types implement it; the
/// store inserts the row and computes the deliveries from it.
pub trait StoredEvent: TelemetryEvent {
    /// Its columns in `events`, besides `uuid`, `type` and `timestamp`.
    fn columns(&self) -> Result<Vec<(&'static str, ColumnValue<'_>)>>;
    /// The values subscriptions may be scoped by, as `(column, value)`.
    fn scopes(&self) -> Vec<(&'static str, String)>;
    /// The notification payload (for users and webhooks), as JSON.
    fn notification_json(&self) -> Result<String>;
}

/// Records an event and its deliveries in the caller's transaction, without committing
/// (a transactional outbox). The store of `event-outbox` implements it for its connections
/// and transactions; generated `register_<type>_event` functions call it.
pub trait Recorder: Send {
    /// Records one event.
    fn record<'a>(
        &'a mut self,
        event: &'a dyn StoredEvent,
    ) -> impl Future<Output = Result<EventId>> + Send + 'a;
}
