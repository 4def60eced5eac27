//! The JetStream publisher: one client per NATS server, connected when first needed and
//! reused, and the stream of each subject prefix created when missing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use tokio::sync::OnceCell;

use super::{InvalidStream, StreamMessage};
use crate::{Attempt, Outcome};

/// How the stream is created when it is missing. Retention and the duplicate window
/// apply to a stream this publisher creates; a stream that exists is used as it is
/// (only its subjects are extended to a prefix it does not cover yet).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamConfig {
    /// The stream's name (`EVENTS` by default): letters, digits, `-` and `_`.
    pub name: String,
    /// What the stream keeps, and for how long.
    pub retention: Retention,
    /// How long JetStream remembers a `Nats-Msg-Id` to drop a re-send (5 minutes by
    /// default). A delivery re-sent after a worker died comes back once the worker's
    /// lease expired (2 minutes by default), so keep it well beyond the lease.
    pub duplicate_window: Duration,
    /// Store the stream in memory rather than in files (tests; off by default).
    pub memory_storage: bool,
    /// The longest wait for a connection to a server (5 s by default).
    pub connect_timeout: Duration,
    /// The longest wait for JetStream's answer to a publish or a stream request (10 s by
    /// default). The worker's `send_timeout` bounds the whole attempt as well.
    pub ack_timeout: Duration,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            name: "EVENTS".to_owned(),
            retention: Retention::default(),
            duplicate_window: Duration::from_secs(300),
            memory_storage: false,
            connect_timeout: Duration::from_secs(5),
            ack_timeout: Duration::from_secs(10),
        }
    }
}

impl StreamConfig {
    /// Sets the stream's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the retention.
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// Sets the duplicate window.
    pub fn duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window;
        self
    }

    /// Keeps the stream in memory.
    pub fn memory_storage(mut self, memory: bool) -> Self {
        self.memory_storage = memory;
        self
    }

    /// Sets the longest wait for a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the longest wait for a publish ack.
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// Checks the values: a valid stream name, and non-zero windows and timeouts.
    pub fn validate(&self) -> Result<(), InvalidStream> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(InvalidStream(format!(
                "stream name `{}`: use letters, digits, `-` and `_` only",
                self.name.escape_debug()
            )));
        }
        for (field, value) in [
            ("duplicate_window", self.duplicate_window),
            ("connect_timeout", self.connect_timeout),
            ("ack_timeout", self.ack_timeout),
        ] {
            if value.is_zero() {
                return Err(InvalidStream(format!(
                    "stream configuration: `{field}` must be longer than zero"
                )));
            }
        }
        if let Retention::Limits {
            max_age: Some(max_age),
        } = self.retention
            && max_age < self.duplicate_window
        {
            return Err(InvalidStream(
                "stream configuration: `max_age` must be at least the duplicate window".to_owned(),
            ));
        }
        Ok(())
    }
}

/// What a stream keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Every message until a limit: `max_age` (`None`: kept until deleted).
    Limits {
        /// How long a message is kept.
        max_age: Option<Duration>,
    },
    /// Each message until every consumer has acknowledged it.
    Interest,
    /// Each message until one consumer has acknowledged it (a work queue).
    WorkQueue,
}

impl Default for Retention {
    fn default() -> Self {
        Retention::Limits { max_age: None }
    }
}

/// A server's JetStream context, and the prefixes whose stream is known to exist. Setting
/// up streams holds `ready` (an async lock): concurrent first sends would otherwise race to
/// create the stream, or to add subjects to it.
struct Server {
    context: jetstream::Context,
    ready: tokio::sync::Mutex<HashSet<String>>,
}

/// Publishes stream deliveries to JetStream: one client per server URL, connected when
/// first needed and then reused (it reconnects on its own). Each publish waits for
/// JetStream's ack; only then is the attempt delivered. A connection, stream or ack
/// failure is an attempt to retry, never a dead delivery.
pub struct StreamPublisher {
    config: StreamConfig,
    servers: Mutex<HashMap<String, Arc<OnceCell<Arc<Server>>>>>,
}

impl std::fmt::Debug for StreamPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamPublisher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl StreamPublisher {
    /// A publisher creating missing streams as `config` says, when it is valid.
    pub fn new(config: StreamConfig) -> Result<Self, InvalidStream> {
        config.validate()?;
        Ok(StreamPublisher {
            config,
            servers: Mutex::new(HashMap::new()),
        })
    }

    /// Its configuration.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// Publishes one message and waits for its ack: one attempt.
    pub async fn publish(&self, message: &StreamMessage<'_>) -> Attempt {
        let started = Instant::now();
        let result = self.try_publish(message).await;
        let duration = started.elapsed();
        match result {
            Ok(ack) => Attempt {
                outcome: Outcome::Delivered,
                status: None,
                duration,
                detail: format!(
                    "stored in stream {} at sequence {}{}",
                    ack.stream,
                    ack.sequence,
                    if ack.duplicate {
                        " (a duplicate, dropped by the stream)"
                    } else {
                        ""
                    }
                ),
            },
            Err(detail) => Attempt {
                outcome: Outcome::Retry { not_before: None },
                status: None,
                duration,
                detail,
            },
        }
    }

    async fn try_publish(
        &self,
        message: &StreamMessage<'_>,
    ) -> Result<jetstream::publish::PublishAck, String> {
        let server = self.server(message.url).await?;
        self.ensure_stream(&server, message.subject_prefix).await?;
        let mut headers = async_nats::HeaderMap::new();
        for (name, value) in message.headers() {
            headers.insert(name, value);
        }
        let published = async {
            server
                .context
                .publish_with_headers(
                    message.subject.to_owned(),
                    headers,
                    message.payload.to_owned().into(),
                )
                .await
                .map_err(|e| format!("publishing to `{}` failed: {e}", message.subject))?
                .await
                .map_err(|e| format!("JetStream did not acknowledge `{}`: {e}", message.subject))
        }
        .await;
        if published.is_err() {
            // The stream may have been deleted since: look again next time.
            server.ready.lock().await.remove(message.subject_prefix);
        }
        published
    }

    /// The server of `url`, connected now unless it was before.
    async fn server(&self, url: &str) -> Result<Arc<Server>, String> {
        let cell = Arc::clone(lock(&self.servers).entry(url.to_owned()).or_default());
        cell.get_or_try_init(|| async {
            let client = async_nats::ConnectOptions::new()
                .connection_timeout(self.config.connect_timeout)
                .connect(url)
                .await
                .map_err(|e| {
                    format!("cannot connect to NATS at {}: {e}", crate::redact_url(url))
                })?;
            let mut context = jetstream::new(client);
            context.set_timeout(self.config.ack_timeout);
            Ok::<_, String>(Arc::new(Server {
                context,
                ready: tokio::sync::Mutex::new(HashSet::new()),
            }))
        })
        .await
        .cloned()
    }

    /// Creates the stream for `prefix` unless it is known to exist: `<prefix>.>` in the
    /// configured stream, which is created when missing and given the subject when none
    /// of its subjects covers it.
    async fn ensure_stream(&self, server: &Server, prefix: &str) -> Result<(), String> {
        let mut ready = server.ready.lock().await;
        if ready.contains(prefix) {
            return Ok(());
        }
        let subjects = format!("{prefix}.>");
        let config = &self.config;
        let (retention, max_age) = match config.retention {
            Retention::Limits { max_age } => (stream::RetentionPolicy::Limits, max_age),
            Retention::Interest => (stream::RetentionPolicy::Interest, None),
            Retention::WorkQueue => (stream::RetentionPolicy::WorkQueue, None),
        };
        let wanted = stream::Config {
            name: config.name.clone(),
            subjects: vec![subjects.clone()],
            retention,
            max_age: max_age.unwrap_or(Duration::ZERO),
            duplicate_window: config.duplicate_window,
            storage: if config.memory_storage {
                stream::StorageType::Memory
            } else {
                stream::StorageType::File
            },
            ..Default::default()
        };
        let found = server
            .context
            .get_or_create_stream(wanted)
            .await
            .map_err(|e| format!("cannot create or find stream {}: {e}", config.name))?;
        let existing = &found.cached_info().config;
        if !existing.subjects.iter().any(|s| covers(s, &subjects)) {
            let mut extended = existing.clone();
            extended.subjects.push(subjects.clone());
            server.context.update_stream(&extended).await.map_err(|e| {
                format!(
                    "stream {} exists without subjects `{subjects}`, and adding them failed: {e}",
                    config.name
                )
            })?;
            tracing::info!(stream = %config.name, %subjects, "subjects added to the stream");
        }
        ready.insert(prefix.to_owned());
        Ok(())
    }
}

/// Whether every subject `wanted` (a pattern ending in `>`) matches is matched by
/// `pattern`, a stream's subject.
fn covers(pattern: &str, wanted: &str) -> bool {
    let mut wanted = wanted.split('.');
    for token in pattern.split('.') {
        match (token, wanted.next()) {
            (">", Some(_)) => return true,
            (_, None | Some(">")) => return false,
            ("*", Some(_)) => {}
            (token, Some(other)) if token == other => {}
            _ => return false,
        }
    }
    false
}

/// The value behind `mutex`, also after a panic elsewhere (the maps stay consistent:
/// each change is one insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_subject_covers_a_prefix_when_it_matches_all_under_it() {
        assert!(covers("events.>", "events.>"));
        assert!(covers(">", "events.>"));
        assert!(covers("events.>", "events.acme.>"));
        assert!(covers("*.>", "events.>"));
        assert!(!covers("events.acme.>", "events.>"));
        assert!(!covers("events.*", "events.>"));
        assert!(!covers("events", "events.>"));
        assert!(!covers("other.>", "events.>"));
        assert!(!covers("events.*.>", "events.>"));
    }

    #[test]
    fn configurations_are_checked() {
        assert!(StreamConfig::default().validate().is_ok());
        assert!(StreamConfig::default().name("a b").validate().is_err());
        assert!(StreamConfig::default().name("a.b").validate().is_err());
        assert!(StreamConfig::default().name("").validate().is_err());
        assert!(
            StreamConfig::default()
                .duplicate_window(Duration::ZERO)
                .validate()
                .is_err()
        );
        let short = StreamConfig::default().retention(Retention::Limits {
            max_age: Some(Duration::from_secs(1)),
        });
        assert!(short.validate().is_err());
        assert!(StreamPublisher::new(short).is_err());
    }
}
