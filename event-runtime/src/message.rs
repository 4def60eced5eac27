//! Chat messages: the text an event is shown as in a chat app.

/// An event type's message template: the text chat deliveries (Slack, Discord, Microsoft
/// Teams) show for its events, a minijinja template over the notification payload.
///
/// Generated code declares one per stored event as `CHAT_MESSAGES` (the event's
/// `message`, or the default generated from its definition), for
/// `event_outbox::webhook::ChatMessages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageTemplate {
    /// The event type, e.g. `project:created`.
    pub event_type: &'static str,
    /// The template, e.g. `Project {{ project.name }} was created`.
    pub template: &'static str,
}
