//! What the worker hands the senders: one webhook request, one analytics message.

use crate::Secret;

/// How a webhook's body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// `application/json`: the payload as is.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// One attempt to deliver a payload to a webhook.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// The endpoint.
    pub url: &'a str,
    /// The delivery's id (its uuid), stable across retries: receivers deduplicate by it.
    pub message_id: &'a str,
    /// When the attempt is made, in unix seconds.
    pub timestamp: i64,
    /// The payload, as JSON text.
    pub payload: &'a str,
    /// How the body is encoded.
    pub content_type: ContentType,
    /// The webhook's secrets; several while a secret is rotated.
    pub secrets: &'a [Secret],
}

/// One event for the analytics backend.
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsMessage<'a> {
    /// The event type.
    pub event_type: &'a str,
    /// The event's id.
    pub uuid: uuid::Uuid,
    /// When the event happened.
    pub timestamp: crate::Timestamp,
    /// The anonymized telemetry payload, as JSON text.
    pub properties: &'a str,
}
