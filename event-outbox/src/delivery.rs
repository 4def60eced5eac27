//! What the worker and the senders agree on: the [`Deliverer`] the worker sends through,
//! and what it hands over, one webhook request or a batch of analytics messages. The HTTP
//! senders (`worker::HttpDeliverer`) sign, send and report an [`Attempt`].

use std::future::Future;

use event_runtime::Timestamp;

use crate::secret::Secret;
use crate::tls::WebhookTls;
use crate::{Attempt, Outcome};

pub use crate::stream::StreamMessage;

/// Sends deliveries: the HTTP senders implement it (and tests, with a fake).
///
/// Each call is one attempt; the worker records what it came to and schedules the next
/// attempt from it. Implementations do not retry on their own.
pub trait Deliverer: Send + Sync + 'static {
    /// Sends one webhook.
    fn webhook(&self, request: WebhookRequest<'_>) -> impl Future<Output = Attempt> + Send;

    /// Sends a batch of analytics messages; the attempt applies to each of them.
    fn analytics(&self, batch: &[AnalyticsMessage<'_>]) -> impl Future<Output = Attempt> + Send;

    /// Publishes one message to a stream (a NATS JetStream subscriber); delivered only
    /// once the stream acknowledged it. By default the delivery is refused (dead, and
    /// redrivable once a deliverer that publishes runs): a deliverer that does not
    /// publish says so rather than drop it.
    fn stream(&self, message: StreamMessage<'_>) -> impl Future<Output = Attempt> + Send {
        let _ = message;
        std::future::ready(Attempt {
            outcome: Outcome::Refused,
            status: None,
            duration: std::time::Duration::ZERO,
            detail: "this deliverer does not publish to streams (a stream publisher needs \
                     event-outbox's `nats` feature)"
                .to_owned(),
        })
    }
}

/// How a webhook body is encoded, per subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ContentType {
    /// `application/json`: the body as is.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`: the body as the value of one form field.
    Form,
}

impl ContentType {
    /// Its name in the `subscribers` table (`json`, `form`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => "json",
            ContentType::Form => "form",
        }
    }

    /// The content type named `name` in the `subscribers` table.
    pub fn from_name(name: &str) -> Option<ContentType> {
        match name {
            "json" => Some(ContentType::Json),
            "form" => Some(ContentType::Form),
            _ => None,
        }
    }
}

/// One attempt at delivering one webhook. `Debug` shows the URL redacted.
#[derive(Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// The subscriber's URL.
    pub url: &'a str,
    /// The `webhook-id`: the delivery's uuid, stable across retries.
    pub message_id: &'a str,
    /// The `webhook-timestamp`: when this attempt is made, in unix seconds.
    pub timestamp: i64,
    /// The body, JSON: `{"delivered_for": {"uuid", "name"}, "event": <payload>}`.
    pub payload: &'a str,
    /// How to encode the body.
    pub content_type: ContentType,
    /// The secrets to sign with: the current one first, then the previous one while a
    /// rotation is in progress.
    pub secrets: &'a [Secret],
    /// How the server certificate is checked; `None`: the defaults (verified against the
    /// system's roots).
    pub tls: Option<&'a WebhookTls>,
}

impl std::fmt::Debug for WebhookRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRequest")
            .field("url", &crate::redact::Redacted(Some(self.url)))
            .field("message_id", &self.message_id)
            .field("timestamp", &self.timestamp)
            .field("payload", &self.payload)
            .field("content_type", &self.content_type)
            .field("secrets", &self.secrets)
            .field("tls", &self.tls)
            .finish()
    }
}

/// One event for the analytics backend.
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsMessage<'a> {
    /// The event type, e.g. `project:created`.
    pub event_type: &'a str,
    /// The delivery's uuid: one per event for the one analytics subscriber, stable across
    /// retries, so the backend can drop duplicates.
    pub uuid: uuid::Uuid,
    /// When the event happened.
    pub timestamp: Timestamp,
    /// The anonymized telemetry payload, JSON.
    pub properties: &'a str,
}
