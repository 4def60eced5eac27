//! What generated code declares about each stored event type, for the store: the scope
//! keys subscriptions to it may name, and its sensitive columns. Declared here, so that
//! generated code compiles without the outbox.

/// One stored event type of a compiled catalog (a generated module's `STORED_EVENTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTypeSpec {
    /// The event type, e.g. `project:one-off-job:pipeline-run:failed`.
    pub event_type: &'static str,
    /// The version of its payloads.
    pub version: u32,
    /// What happened (the definitions' description; empty when there is none).
    pub description: &'static str,
    /// The scope keys its events carry (columns of `events`, e.g. `project_uuid`), in the
    /// order of its layers: what a subscription to it may filter on.
    pub scope_keys: &'static [&'static str],
    /// The columns of `events` holding its sensitive fields.
    pub sensitive_columns: &'static [&'static str],
}

impl EventTypeSpec {
    /// The spec of `event_type` in `catalog`.
    pub fn find(
        catalog: &'static [EventTypeSpec],
        event_type: &str,
    ) -> Option<&'static EventTypeSpec> {
        catalog.iter().find(|spec| spec.event_type == event_type)
    }
}
