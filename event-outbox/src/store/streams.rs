//! Stream subscribers (NATS JetStream): creating them.
//! Their subscriptions, updates, deletion and deliveries are those of every subscriber.

use std::fmt;

use super::sql::Value;
use super::subscribers::Subscriber;
use super::subscription::SubscriberKind;
use super::{Store, StoreError};
use crate::redact::Redacted;
use crate::secret::Secret;
use crate::stream::{StreamPayload, check_subject_prefix, check_url};

/// A stream subscriber to create. `Debug` shows the URL redacted.
#[derive(Clone)]
pub struct NewStream {
    /// Its name.
    pub name: String,
    /// The NATS server: `nats://host:port` or `tls://host:port` (credentials in it, as
    /// `nats://user:password@host`, are used to connect).
    pub url: String,
    /// The subject prefix; `None` is `events`.
    pub subject_prefix: Option<String>,
    /// Which payload is published.
    pub payload: StreamPayload,
}

impl NewStream {
    /// A stream of notification payloads under the `events` prefix.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        NewStream {
            name: name.into(),
            url: url.into(),
            subject_prefix: None,
            payload: StreamPayload::Notification,
        }
    }

    /// Sets the subject prefix.
    pub fn subject_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.subject_prefix = Some(prefix.into());
        self
    }

    /// Sets the payload.
    pub fn payload(mut self, payload: StreamPayload) -> Self {
        self.payload = payload;
        self
    }
}

impl fmt::Debug for NewStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewStream")
            .field("name", &self.name)
            .field("url", &Redacted(Some(&self.url)))
            .field("subject_prefix", &self.subject_prefix)
            .field("payload", &self.payload)
            .finish()
    }
}

impl Store {
    /// Creates a stream subscriber: deliveries to it are published to NATS JetStream.
    /// It is subscribed like any subscriber ([`Store::subscribe`]). Streams of telemetry
    /// payloads receive deliveries only while telemetry is enabled. It gets a generated
    /// secret, as every subscriber that is not the analytics one.
    pub async fn create_stream(&self, stream: NewStream) -> Result<Subscriber, StoreError> {
        check_url(&stream.url).map_err(|e| StoreError::invalid("stream URL", e.to_string()))?;
        if let Some(prefix) = &stream.subject_prefix {
            check_subject_prefix(prefix)
                .map_err(|e| StoreError::invalid("stream subject prefix", e.to_string()))?;
        }
        let uuid = self
            .insert_subscriber(
                SubscriberKind::Stream,
                &stream.name,
                &stream.url,
                &Secret::generate(),
                &[
                    (
                        "stream_subject_prefix",
                        Value::OptText(stream.subject_prefix.as_deref()),
                    ),
                    ("stream_payload", Value::Text(stream.payload.as_str())),
                ],
                &[],
            )
            .await?;
        self.subscriber(uuid)
            .await?
            .ok_or(StoreError::NoSubscriber(uuid))
    }
}
