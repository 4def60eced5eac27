//! Stream subscribers: deliveries published to a NATS JetStream stream rather than posted
//! to a webhook.
//!
//! A stream subscriber names a NATS server (`nats://` or `tls://`), a subject prefix
//! (`events` by default) and the payload it takes (the notification, as webhooks get it,
//! or the telemetry, as the analytics backend gets it). Each delivery becomes one message:
//!
//! - subject: the prefix, then the event type with `:` read as `.`, so that
//!   `project:one-off-job:pipeline-run:failed` is published on
//!   `events.project.one-off-job.pipeline-run.failed`, and consumers filter by layer
//!   (`events.project.>`);
//! - body: the payload recorded with the event, as is;
//! - headers: `Nats-Msg-Id` (the delivery's uuid, stable across attempts: JetStream drops
//!   a re-send inside its duplicate window), `Event-Type`, `Event-Version` (when the
//!   payload carries one), `Event-Payload` (`notification` or `telemetry`) and
//!   `Event-Timestamp` (RFC 3339).
//!
//! This module holds what the worker and the senders agree on ([`StreamMessage`]) and the
//! checks of prefixes and subjects; the publisher (`StreamPublisher`, feature `nats`)
//! sends through `async-nats`: one client per server, connected when first needed, and
//! the stream (`EVENTS` by default, holding `<prefix>.>`) created when missing. A
//! delivery is complete only once JetStream acknowledged the message; a server that is
//! down, or no ack in time, is an attempt to retry on the schedule, never a dead delivery.
//! A worker that dies after publishing and before recording leaves the delivery to be
//! published again after its lease: keep the stream's duplicate window (5 minutes by
//! default) well beyond the worker's lease (2 minutes by default), and JetStream drops
//! the second copy.
//!
//! ```no_run
//! # #[cfg(all(feature = "nats", feature = "http", any(feature = "_sqlite", feature = "postgres")))]
//! # async fn example(store: event_outbox::store::Store) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use event_outbox::store::{NewStream, Scope};
//! use event_outbox::stream::{Retention, StreamConfig, StreamPayload, StreamPublisher};
//! use event_outbox::webhook::{WebhookConfig, WebhookSender};
//! use event_outbox::worker::{HttpDeliverer, Worker, WorkerConfig};
//!
//! let bus = store
//!     .create_stream(NewStream::new("bus", "nats://127.0.0.1:4222").subject_prefix("events"))
//!     .await?;
//! store.subscribe(bus.uuid, "project:one-off-job:pipeline-run:failed", Scope::global()).await?;
//! // Telemetry payloads under another prefix (recorded while telemetry is enabled).
//! let analytics = NewStream::new("analytics", "nats://127.0.0.1:4222")
//!     .subject_prefix("telemetry")
//!     .payload(StreamPayload::Telemetry);
//! store.create_stream(analytics).await?;
//!
//! let publisher = StreamPublisher::new(StreamConfig::default().name("EVENTS").retention(
//!     Retention::Limits { max_age: Some(Duration::from_secs(7 * 24 * 3600)) },
//! ))?;
//! let webhooks = WebhookSender::new(WebhookConfig::default())?;
//! let deliverer = HttpDeliverer::new(webhooks, None).with_streams(publisher);
//! let worker = Worker::new(store.clone(), Arc::new(deliverer))
//!     .config(WorkerConfig::default())?
//!     .spawn();
//! # worker.shutdown().await?;
//! # Ok(())
//! # }
//! ```
//!
//! A consumer reads them with a pull consumer of its own, acknowledging each message once
//! handled (`Nats-Msg-Id` makes handling idempotent on its side too):
//!
//! ```no_run
//! # #[cfg(feature = "nats")]
//! # async fn consume() -> Result<(), async_nats::Error> {
//! use async_nats::jetstream::{self, consumer::pull};
//! use futures_util::StreamExt as _;
//!
//! let client = async_nats::connect("nats://127.0.0.1:4222").await?;
//! let stream = jetstream::new(client).get_stream("EVENTS").await?;
//! // Durable: the server remembers what this consumer acknowledged across restarts.
//! let config = pull::Config {
//!     durable_name: Some("billing".to_owned()),
//!     filter_subject: "events.project.>".to_owned(),
//!     ..Default::default()
//! };
//! let consumer = stream.get_or_create_consumer("billing", config).await?;
//! let mut messages = consumer.messages().await?;
//! while let Some(message) = messages.next().await {
//!     let message = message?;
//!     let header = |name: &str| message.headers.as_ref()?.get(name).map(|v| v.to_string());
//!     let (id, event_type) = (header("Nats-Msg-Id"), header("Event-Type"));
//!     let payload: serde_json::Value = serde_json::from_slice(&message.payload)?;
//!     println!("{event_type:?} {id:?}: {payload}");
//!     message.ack().await?;
//! }
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "nats")]
mod publisher;

#[cfg(feature = "nats")]
pub use publisher::{Retention, StreamConfig, StreamPublisher};

use event_runtime::Timestamp;

/// The subject prefix of a stream subscriber that sets none.
pub const DEFAULT_SUBJECT_PREFIX: &str = "events";

/// The header carrying the event type.
pub const EVENT_TYPE_HEADER: &str = "Event-Type";
/// The header carrying the payload's version, when it has one.
pub const EVENT_VERSION_HEADER: &str = "Event-Version";
/// The header saying which payload the body is (`notification` or `telemetry`).
pub const EVENT_PAYLOAD_HEADER: &str = "Event-Payload";
/// The header carrying when the event happened (RFC 3339).
pub const EVENT_TIMESTAMP_HEADER: &str = "Event-Timestamp";
/// JetStream's de-duplication header: the delivery's uuid.
pub const MESSAGE_ID_HEADER: &str = "Nats-Msg-Id";

/// Which payload a stream subscriber receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StreamPayload {
    /// The notification payload, as webhooks receive it (without their wrapper).
    #[default]
    Notification,
    /// The anonymized telemetry payload, as the analytics backend receives it; recorded
    /// only while telemetry is enabled.
    Telemetry,
}

impl StreamPayload {
    /// Its name in the `subscribers` table (`notification`, `telemetry`).
    pub fn as_str(self) -> &'static str {
        match self {
            StreamPayload::Notification => "notification",
            StreamPayload::Telemetry => "telemetry",
        }
    }

    /// The payload named `name` in the `subscribers` table.
    pub fn from_name(name: &str) -> Option<StreamPayload> {
        match name {
            "notification" => Some(StreamPayload::Notification),
            "telemetry" => Some(StreamPayload::Telemetry),
            _ => None,
        }
    }
}

/// A stream subscriber's settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamSettings {
    /// The subject prefix; `None` is `events`.
    pub subject_prefix: Option<String>,
    /// Which payload is published.
    pub payload: StreamPayload,
}

impl StreamSettings {
    /// Settings of `payload` under `subject_prefix`.
    pub fn new(subject_prefix: Option<String>, payload: StreamPayload) -> Self {
        StreamSettings {
            subject_prefix,
            payload,
        }
    }

    /// The subject prefix in use.
    pub fn prefix(&self) -> &str {
        self.subject_prefix
            .as_deref()
            .unwrap_or(DEFAULT_SUBJECT_PREFIX)
    }
}

/// Checks a stream's server URL: `nats://` or `tls://` and a host (credentials before an
/// `@` are allowed). The message shows the URL redacted.
pub fn check_url(url: &str) -> Result<(), InvalidStream> {
    let rest = url
        .strip_prefix("nats://")
        .or_else(|| url.strip_prefix("tls://"));
    let host = rest
        .map(|rest| rest.rsplit('@').next().unwrap_or_default())
        .unwrap_or_default();
    if host.is_empty()
        || url.contains(|c: char| c.is_whitespace() || c.is_control())
        || host.contains(['/', '?', '#', '\\'])
    {
        return Err(InvalidStream(format!(
            "`{}` is not a NATS server URL: use nats://host:port or tls://host:port",
            crate::redact_url(url)
        )));
    }
    Ok(())
}

/// One attempt at publishing one delivery to a stream. `Debug` shows the URL redacted.
#[derive(Clone, Copy)]
pub struct StreamMessage<'a> {
    /// The NATS server (`nats://host:port` or `tls://host:port`).
    pub url: &'a str,
    /// The subscriber's subject prefix: the stream holds `<prefix>.>`.
    pub subject_prefix: &'a str,
    /// The subject ([`subject`]).
    pub subject: &'a str,
    /// The `Nats-Msg-Id`: the delivery's uuid, stable across retries.
    pub message_id: &'a str,
    /// The event type, e.g. `project:created`.
    pub event_type: &'a str,
    /// When the event happened.
    pub timestamp: Timestamp,
    /// Which payload the body is.
    pub payload_kind: StreamPayload,
    /// The payload's `version`, when it carries one.
    pub version: Option<u64>,
    /// The body: the payload recorded with the event, JSON.
    pub payload: &'a str,
}

impl StreamMessage<'_> {
    /// The message's headers, names and values, `Nats-Msg-Id` first.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            (MESSAGE_ID_HEADER, self.message_id.to_owned()),
            (EVENT_TYPE_HEADER, self.event_type.to_owned()),
            (EVENT_PAYLOAD_HEADER, self.payload_kind.as_str().to_owned()),
            (
                EVENT_TIMESTAMP_HEADER,
                self.timestamp
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
        ];
        if let Some(version) = self.version {
            headers.push((EVENT_VERSION_HEADER, version.to_string()));
        }
        headers
    }
}

impl std::fmt::Debug for StreamMessage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamMessage")
            .field("url", &crate::redact::Redacted(Some(self.url)))
            .field("subject_prefix", &self.subject_prefix)
            .field("subject", &self.subject)
            .field("message_id", &self.message_id)
            .field("event_type", &self.event_type)
            .field("timestamp", &self.timestamp)
            .field("payload_kind", &self.payload_kind)
            .field("version", &self.version)
            .field("payload", &self.payload)
            .finish()
    }
}

/// A stream setting that cannot work: a server URL, a subject prefix, an event type that
/// cannot make a subject, or a stream configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidStream(String);

/// The subject a delivery of `event_type` is published on: `prefix` (the default when
/// `None`), then the event type's layers (`:`-separated) as tokens.
pub fn subject(prefix: Option<&str>, event_type: &str) -> Result<String, InvalidStream> {
    let prefix = prefix.unwrap_or(DEFAULT_SUBJECT_PREFIX);
    check_subject_prefix(prefix)?;
    for layer in event_type.split(':') {
        if let Some(problem) = token_problem(layer) {
            return Err(InvalidStream(format!(
                "event type `{}` cannot make a NATS subject: its layer `{}` {problem}",
                event_type.escape_debug(),
                layer.escape_debug()
            )));
        }
    }
    Ok(format!("{prefix}.{}", event_type.replace(':', ".")))
}

/// Checks a subject prefix: one or more `.`-separated NATS tokens, none empty, without
/// whitespace, control characters or the wildcards `*` and `>`.
pub fn check_subject_prefix(prefix: &str) -> Result<(), InvalidStream> {
    if prefix.is_empty() {
        return Err(InvalidStream(
            "the subject prefix is empty: leave it unset for `events`".to_owned(),
        ));
    }
    for token in prefix.split('.') {
        if let Some(problem) = token_problem(token) {
            return Err(InvalidStream(format!(
                "subject prefix `{}`: a token {problem}",
                prefix.escape_debug()
            )));
        }
    }
    Ok(())
}

/// Why `token` is not a NATS subject token (between two dots), if it is not.
fn token_problem(token: &str) -> Option<&'static str> {
    if token.is_empty() {
        Some("is empty (two dots in a row, or one at an end)")
    } else if token.contains(['*', '>']) {
        Some("holds a wildcard (`*` or `>`)")
    } else if token.contains('.') {
        Some("holds a `.`")
    } else if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("holds whitespace or a control character")
    } else {
        None
    }
}

/// The `version` a payload carries: at the top of a notification, inside
/// `event_properties` of a telemetry payload. `None` when it has none (or is not JSON).
pub fn payload_version(kind: StreamPayload, payload: &str) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    let version = match kind {
        StreamPayload::Notification => value.get("version"),
        StreamPayload::Telemetry => value.get("event_properties")?.get("version"),
    };
    version?.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_follow_the_layers_of_the_event_type() {
        assert_eq!(
            subject(None, "project:one-off-job:pipeline-run:failed").as_deref(),
            Ok("events.project.one-off-job.pipeline-run.failed")
        );
        assert_eq!(
            subject(Some("acme.prod"), "project:created").as_deref(),
            Ok("acme.prod.project.created")
        );
        assert!(subject(None, "page.viewed").is_err());
        assert!(subject(None, "a::b").is_err());
        assert!(subject(None, "a:*").is_err());
        assert!(subject(None, "a b").is_err());
    }

    #[test]
    fn stream_urls_are_nats_urls() {
        for good in [
            "nats://127.0.0.1:4222",
            "tls://nats.example:4222",
            "nats://user:pw@host:4222",
            "nats://host",
        ] {
            assert_eq!(check_url(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "http://host:4222",
            "nats://",
            "nats:// host",
            "nats://host/path",
            "NATS",
            "nats://user@",
        ] {
            let error = check_url(bad).expect_err(bad).to_string();
            assert!(error.contains("NATS server URL"), "{error}");
        }
    }

    #[test]
    fn prefixes_are_nats_tokens() {
        for good in ["events", "acme.events", "a-b_c.d1"] {
            assert_eq!(check_subject_prefix(good), Ok(()), "{good}");
        }
        for bad in [
            "", ".", "events.", ".events", "a..b", "a b", "a.*", "a.>", "ev>", "a\tb", "a\nb",
        ] {
            let error = check_subject_prefix(bad).expect_err(bad);
            assert!(error.to_string().contains("prefix"), "{error}");
        }
    }

    #[test]
    fn versions_are_read_where_each_payload_keeps_them() {
        let notification = r#"{"uuid":"x","type":"a:b","version":3,"timestamp":"t"}"#;
        let telemetry =
            r#"{"event_properties":{"type":"a:b","version":2},"derived_properties":{}}"#;
        assert_eq!(
            payload_version(StreamPayload::Notification, notification),
            Some(3)
        );
        assert_eq!(
            payload_version(StreamPayload::Telemetry, telemetry),
            Some(2)
        );
        assert_eq!(
            payload_version(StreamPayload::Telemetry, notification),
            None
        );
        assert_eq!(
            payload_version(StreamPayload::Notification, "not json"),
            None
        );
        assert_eq!(
            payload_version(StreamPayload::Notification, r#"{"version":-1}"#),
            None
        );
    }

    #[test]
    fn headers_carry_the_id_type_payload_and_version() {
        let message = StreamMessage {
            url: "nats://127.0.0.1:4222",
            subject_prefix: "events",
            subject: "events.a.b",
            message_id: "0192",
            event_type: "a:b",
            timestamp: event_runtime::now(),
            payload_kind: StreamPayload::Telemetry,
            version: Some(4),
            payload: "{}",
        };
        let headers = message.headers();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get(MESSAGE_ID_HEADER), Some("0192"));
        assert_eq!(get(EVENT_TYPE_HEADER), Some("a:b"));
        assert_eq!(get(EVENT_PAYLOAD_HEADER), Some("telemetry"));
        assert_eq!(get(EVENT_VERSION_HEADER), Some("4"));
        let without = StreamMessage {
            version: None,
            ..message
        };
        assert!(
            without
                .headers()
                .iter()
                .all(|(n, _)| *n != EVENT_VERSION_HEADER)
        );
    }
}
