//! The delivery worker: claims due deliveries, sends them concurrently up to a cap, and
//! completes them with what each attempt came to.
//!
//! It wakes at once when this process commits deliveries (an in-process `Notify`) or,
//! on PostgreSQL, when any process does (`LISTEN`), and polls as the fallback. On shutdown
//! it stops claiming, lets in-flight deliveries finish for a grace period, and gives back
//! the leases of those that did not.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinHandle, JoinSet};
use uuid::Uuid;

use super::Deliverer;
use super::request::{AnalyticsMessage, WebhookRequest};
use crate::store::{
    Claim, ClaimedDelivery, Completion, NOTIFY_CHANNEL, Store, StoreError, SubscriberKind,
};
use crate::{Attempt, Outcome};

/// How a worker claims and sends.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// Its name, in `leased_by`.
    pub name: String,
    /// The most deliveries in flight at once.
    pub concurrency: usize,
    /// The most deliveries one claim takes.
    pub batch_size: usize,
    /// The most analytics messages sent in one call.
    pub analytics_batch_size: usize,
    /// How long a claim holds its deliveries: longer than the slowest attempt.
    pub lease: Duration,
    /// How often to look for due deliveries without a wake-up (retries come due this way).
    pub poll_interval: Duration,
    /// How long in-flight deliveries may finish after shutdown is asked for.
    pub shutdown_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            name: format!("worker-{}", std::process::id()),
            concurrency: 32,
            batch_size: 100,
            analytics_batch_size: 100,
            lease: Duration::from_secs(120),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl WorkerConfig {
    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the most deliveries in flight.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Sets the most deliveries one claim takes.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// Sets the lease.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets the poll interval.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets the shutdown grace period.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }
}

/// Delivers the outbox of a [`Store`] through a [`Deliverer`].
pub struct Worker<D> {
    store: Store,
    deliverer: Arc<D>,
    config: WorkerConfig,
}

/// A worker running in a task of its own.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), StoreError>>,
}

impl WorkerHandle {
    /// Asks the worker to stop and waits until it has.
    pub async fn shutdown(self) -> Result<(), StoreError> {
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|e| StoreError::invalid("worker", e.to_string()))?
    }
}

/// The deliveries a task holds, to give back if it is cancelled.
struct Held {
    lease: String,
    deliveries: Vec<Uuid>,
}

impl<D: Deliverer> Worker<D> {
    /// A worker with the default configuration. The deliverer is shared, so that several
    /// workers can send through one.
    pub fn new(store: Store, deliverer: Arc<D>) -> Self {
        Worker {
            store,
            deliverer,
            config: WorkerConfig::default(),
        }
    }

    /// Sets the configuration.
    pub fn config(mut self, config: WorkerConfig) -> Self {
        self.config = config;
        self
    }

    /// Runs in a task of its own until [`WorkerHandle::shutdown`].
    pub fn spawn(self) -> WorkerHandle {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(self.run(async move {
            let _ = stopped.await;
        }));
        WorkerHandle { stop, task }
    }

    /// Runs until `shutdown` completes, then finishes or gives back what it holds.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> Result<(), StoreError> {
        let mut listener = self.listen().await;
        let mut tasks: JoinSet<Vec<Completion>> = JoinSet::new();
        let mut held: HashMap<tokio::task::Id, Held> = HashMap::new();
        let mut in_flight = 0usize;
        let mut done: Vec<Completion> = Vec::new();
        let mut deadline: Option<tokio::time::Instant> = None;
        tokio::pin!(shutdown);

        loop {
            if !done.is_empty() {
                // On failure the leases expire and the deliveries are tried again.
                let _ = self.store.complete(&done).await;
                done.clear();
            }
            // Registered before claiming, so that a commit during the claim still wakes us.
            let notified = self.store.notify().notified();
            tokio::pin!(notified);
            notified.as_mut().enable();

            if deadline.is_none() {
                while in_flight < self.config.concurrency {
                    let want = (self.config.concurrency - in_flight).min(self.config.batch_size);
                    let Ok(claim) = self
                        .store
                        .claim(&self.config.name, want, self.config.lease)
                        .await
                    else {
                        break; // Try again at the next poll.
                    };
                    let got = claim.deliveries.len();
                    in_flight += got;
                    self.dispatch(claim, &mut tasks, &mut held).await;
                    if got < want {
                        break;
                    }
                }
            } else if tasks.is_empty() {
                return Ok(());
            }

            tokio::select! {
                () = &mut shutdown, if deadline.is_none() => {
                    deadline = Some(tokio::time::Instant::now() + self.config.shutdown_grace);
                }
                Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    let mut next = Some(joined);
                    while let Some(joined) = next {
                        in_flight -= self.finished(joined, &mut held, &mut done).await;
                        next = tasks.try_join_next_with_id();
                    }
                }
                () = &mut notified, if deadline.is_none() => {}
                () = next_notification(&mut listener), if deadline.is_none() => {}
                () = tokio::time::sleep(self.config.poll_interval), if deadline.is_none() => {}
                () = sleep_until(deadline), if deadline.is_some() => {
                    tasks.abort_all();
                    while let Some(joined) = tasks.join_next_with_id().await {
                        self.finished(joined, &mut held, &mut done).await;
                    }
                    self.store.complete(&done).await?;
                    return Ok(());
                }
            }
        }
    }

    /// A `LISTEN`ing connection on PostgreSQL; `None` on SQLite or when it fails (the
    /// worker then polls).
    async fn listen(&self) -> Option<PgListener> {
        let pool = self.store.postgres_pool()?;
        let mut listener = PgListener::connect_with(pool).await.ok()?;
        listener.listen(NOTIFY_CHANNEL).await.ok()?;
        Some(listener)
    }

    /// Accounts for a finished task: its completions, or, when it was cancelled, its
    /// deliveries given back. Returns how many deliveries it held.
    async fn finished(
        &self,
        joined: Result<(tokio::task::Id, Vec<Completion>), JoinError>,
        held: &mut HashMap<tokio::task::Id, Held>,
        done: &mut Vec<Completion>,
    ) -> usize {
        match joined {
            Ok((id, completions)) => {
                done.extend(completions);
                held.remove(&id).map_or(0, |h| h.deliveries.len())
            }
            Err(error) => {
                let Some(h) = held.remove(&error.id()) else {
                    return 0;
                };
                // A panicking deliverer keeps its lease (the attempt counts); a cancelled
                // one never made its attempt.
                if error.is_cancelled() {
                    let _ = self.store.release(&h.lease, &h.deliveries).await;
                }
                h.deliveries.len()
            }
        }
    }

    /// Starts a task per webhook and per batch of analytics messages.
    async fn dispatch(
        &self,
        claim: Claim,
        tasks: &mut JoinSet<Vec<Completion>>,
        held: &mut HashMap<tokio::task::Id, Held>,
    ) {
        let lease = claim.lease.token;
        let mut analytics = Vec::new();
        let mut disabled = Vec::new();
        for delivery in claim.deliveries {
            if !delivery.target.enabled {
                disabled.push(delivery.uuid);
            } else if delivery.target.kind == SubscriberKind::Analytics {
                analytics.push(delivery);
            } else {
                let deliverer = Arc::clone(&self.deliverer);
                let token = lease.clone();
                let uuid = delivery.uuid;
                let handle = tasks.spawn(async move {
                    let attempt = send_webhook(&*deliverer, &delivery).await;
                    vec![completion(&delivery, token, attempt)]
                });
                held.insert(
                    handle.id(),
                    Held {
                        lease: lease.clone(),
                        deliveries: vec![uuid],
                    },
                );
            }
        }
        let size = self.config.analytics_batch_size.max(1);
        while !analytics.is_empty() {
            let batch: Vec<ClaimedDelivery> =
                analytics.drain(..analytics.len().min(size)).collect();
            let deliverer = Arc::clone(&self.deliverer);
            let token = lease.clone();
            let uuids = batch.iter().map(|d| d.uuid).collect();
            let handle = tasks.spawn(async move {
                let messages: Vec<AnalyticsMessage<'_>> = batch
                    .iter()
                    .map(|d| AnalyticsMessage {
                        event_type: &d.event_type,
                        uuid: d.uuid,
                        timestamp: d.event_timestamp,
                        properties: &d.payload,
                    })
                    .collect();
                let attempt = deliverer.analytics(&messages).await;
                batch
                    .iter()
                    .map(|d| completion(d, token.clone(), attempt.clone()))
                    .collect()
            });
            held.insert(
                handle.id(),
                Held {
                    lease: lease.clone(),
                    deliveries: uuids,
                },
            );
        }
        // Disabled since they were recorded: no attempt, and they are dead already.
        if !disabled.is_empty() {
            let _ = self.store.release(&lease, &disabled).await;
        }
    }
}

/// Sends one webhook, or refuses it when its subscriber cannot be sent to.
async fn send_webhook<D: Deliverer>(deliverer: &D, delivery: &ClaimedDelivery) -> Attempt {
    let target = &delivery.target;
    let refused = |detail: String| Attempt {
        outcome: Outcome::Refused,
        status: None,
        duration: Duration::ZERO,
        detail,
    };
    if let Some(error) = &target.secret_error {
        return refused(error.clone());
    }
    let Some(url) = target.url.as_deref() else {
        return refused("the webhook has no URL".to_owned());
    };
    let body = webhook_body(target.uuid, &target.name, &delivery.payload);
    let message_id = delivery.uuid.to_string();
    deliverer
        .webhook(WebhookRequest {
            url,
            message_id: &message_id,
            timestamp: crate::now().timestamp(),
            payload: &body,
            content_type: target.content_type,
            secrets: &target.secrets,
        })
        .await
}

/// `{"delivered_for": {"uuid": ..., "name": ...}, "event": <payload>}`.
fn webhook_body(subscriber: Uuid, name: &str, payload: &str) -> String {
    let delivered_for = serde_json::json!({ "uuid": subscriber, "name": name });
    format!(r#"{{"delivered_for":{delivered_for},"event":{payload}}}"#)
}

fn completion(delivery: &ClaimedDelivery, lease: String, attempt: Attempt) -> Completion {
    Completion {
        delivery: delivery.uuid,
        subscriber: delivery.target.uuid,
        lease,
        attempts: delivery.attempts,
        attempt,
    }
}

/// The next notification, or never when there is no listener. After an error (the
/// listener reconnects on the next call) it waits a moment, so as not to spin.
async fn next_notification(listener: &mut Option<PgListener>) {
    match listener {
        Some(listener) => {
            if listener.recv().await.is_err() {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_wraps_the_payload() {
        let body = webhook_body(
            Uuid::from_u128(1),
            "Ops \"alerts\"",
            r#"{"type":"project:created"}"#,
        );
        let value: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(value["delivered_for"]["name"], "Ops \"alerts\"");
        assert_eq!(
            value["delivered_for"]["uuid"],
            "00000000-0000-0000-0000-000000000001"
        );
        assert_eq!(value["event"]["type"], "project:created");
    }
}
