//! Where accepted client events go, off the request path: the outbox (recorded, then sent
//! by the worker), or a bounded in-process queue drained by a background task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use event_runtime::{TelemetryEvent, TelemetryKey, Timestamp};
use tokio::sync::mpsc;

use super::limits::{InvalidLimit, MAX_REQUESTS, within};
use crate::Outcome;
use crate::analytics_sink::AnalyticsSender;
use crate::delivery::AnalyticsMessage;
#[cfg(feature = "_store")]
use crate::store::Store;

/// Where `POST /analytics` puts the events it accepts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Destination {
    /// Nowhere: analytics is disabled; events are checked and dropped.
    Disabled,
    /// The outbox: one delivery per event for the analytics subscriber, recorded before
    /// the answer and sent by the worker (with its retries). Nothing is recorded while the
    /// store's telemetry is disabled or there is no enabled analytics subscriber.
    #[cfg(feature = "_store")]
    Outbox(Store),
    /// A bounded queue in this process, sent in batches by a background task: for
    /// services without a database. What the backend refuses is lost (counted).
    Queue(AnalyticsQueue),
}

/// How an [`AnalyticsQueue`] buffers and batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueConfig {
    /// Events waiting at most; when full, the relay answers `503` with `Retry-After`.
    /// Default 1,000.
    pub capacity: usize,
    /// Events sent in one batch request at most. Default 100.
    pub batch_size: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 1_000,
            batch_size: 100,
        }
    }
}

impl QueueConfig {
    /// Both settings between 1 and a million: zero would accept or send nothing.
    pub fn validate(&self) -> Result<(), InvalidLimit> {
        within("capacity", self.capacity, MAX_REQUESTS)?;
        within("batch_size", self.batch_size, MAX_REQUESTS)
    }
}

/// One accepted event, its telemetry computed.
#[derive(Debug)]
struct Queued {
    event_type: &'static str,
    uuid: uuid::Uuid,
    timestamp: Timestamp,
    properties: String,
}

/// What the queue's task has done so far.
#[derive(Debug, Default)]
struct Counts {
    sent: AtomicU64,
    failed: AtomicU64,
}

/// The bounded queue of [`Destination::Queue`] and the task that sends it.
#[derive(Debug, Clone)]
pub struct AnalyticsQueue {
    queue: mpsc::Sender<Queued>,
    key: TelemetryKey,
    counts: Arc<Counts>,
}

/// The queue is full: the backend is slower than the events come.
#[derive(Debug)]
pub(super) struct QueueFull;

impl AnalyticsQueue {
    /// Spawns the task that sends what is queued through `sender`, telemetry hashed with
    /// `key`; it ends when every clone of the queue is dropped. Needs a Tokio runtime.
    pub fn spawn(
        sender: AnalyticsSender,
        key: TelemetryKey,
        config: QueueConfig,
    ) -> Result<Self, InvalidLimit> {
        config.validate()?;
        let (queue, receiver) = mpsc::channel(config.capacity);
        let counts = Arc::new(Counts::default());
        tokio::spawn(drain(
            receiver,
            sender,
            config.batch_size,
            Arc::clone(&counts),
        ));
        Ok(AnalyticsQueue { queue, key, counts })
    }

    /// Events the backend took.
    pub fn sent(&self) -> u64 {
        self.counts.sent.load(Ordering::Relaxed)
    }

    /// Events lost: the backend did not take them, or their telemetry failed.
    pub fn failed(&self) -> u64 {
        self.counts.failed.load(Ordering::Relaxed)
    }

    /// Queues `event`, without waiting.
    pub(super) fn push(&self, event: &dyn TelemetryEvent) -> Result<(), QueueFull> {
        let Ok(properties) = event.telemetry_json(&self.key) else {
            self.counts.failed.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        let queued = Queued {
            event_type: event.event_type(),
            uuid: event.uuid(),
            timestamp: event.timestamp(),
            properties,
        };
        self.queue.try_send(queued).map_err(|_| QueueFull)
    }
}

/// Sends what is queued, a batch at a time, until the queue's senders are gone.
async fn drain(
    mut receiver: mpsc::Receiver<Queued>,
    sender: AnalyticsSender,
    batch_size: usize,
    counts: Arc<Counts>,
) {
    let mut batch = Vec::with_capacity(batch_size);
    while receiver.recv_many(&mut batch, batch_size).await > 0 {
        let messages: Vec<AnalyticsMessage<'_>> = batch
            .iter()
            .map(|queued| AnalyticsMessage {
                event_type: queued.event_type,
                uuid: queued.uuid,
                timestamp: queued.timestamp,
                properties: &queued.properties,
            })
            .collect();
        let attempt = sender.send_batch(&messages).await;
        let count = if attempt.outcome == Outcome::Delivered {
            &counts.sent
        } else {
            &counts.failed
        };
        count.fetch_add(messages.len() as u64, Ordering::Relaxed);
        drop(messages);
        batch.clear();
    }
}
