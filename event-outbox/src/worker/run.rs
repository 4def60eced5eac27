//! The delivery worker: claims due deliveries ahead of need, sends them concurrently up
//! to a cap, and completes them with what each attempt came to.
//!
//! Three things overlap so that the database never holds up the sending: a claim runs in
//! a task of its own while earlier claims are sent, the sends run as tasks, and a writer
//! task completes finished attempts in batches (as many as finished while it wrote the
//! previous batch). The worker claims the next `batch_size` deliveries as soon as fewer
//! than `concurrency` requests are queued, so that the claim is usually back before the
//! queue runs dry.
//!
//! It wakes at once when this process commits deliveries (an in-process `Notify`) or,
//! on PostgreSQL, when any process does (`LISTEN`), and polls as the fallback. On shutdown
//! it stops claiming, gives back what it claimed but has not sent, lets in-flight
//! deliveries finish for a grace period, and gives back the leases of those that did not.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[cfg(feature = "postgres")]
use sqlx::postgres::PgListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinError, JoinHandle, JoinSet};
use tokio::time::{Instant, MissedTickBehavior};
use tracing::{debug, error, warn};
use uuid::Uuid;

use super::config::{Clock, InvalidWorkerConfig, WorkerConfig};
use crate::delivery::{AnalyticsMessage, Deliverer, WebhookRequest};
use crate::store::{Claim, ClaimedDelivery, Completion, Lease, Store, StoreError, SubscriberKind};
use crate::{Attempt, Outcome};

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
    /// Asks the worker to stop and waits until it has; the error that stopped it, if one
    /// did (see [`Worker::run`]).
    pub async fn shutdown(self) -> Result<(), StoreError> {
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|e| StoreError::worker_failed("run", e))?
    }

    /// Whether the worker has stopped (after a shutdown, or a failure).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// The deliveries a task holds, to give back if it is cancelled.
struct Held {
    lease: Arc<Lease>,
    deliveries: Vec<Uuid>,
}

/// One request's worth of a claim: a webhook delivery, or a batch of analytics
/// deliveries; each is sent by a task of its own.
struct Unit {
    lease: Arc<Lease>,
    /// The lease's end on this process's monotonic clock: the claim's start plus the
    /// lease, never later than the database's end of it.
    deadline: Instant,
    kind: SubscriberKind,
    deliveries: Vec<ClaimedDelivery>,
}

/// A claim running in a task of its own, and the wake-up count when it started.
struct Claiming {
    task: JoinHandle<Result<Claim, StoreError>>,
    want: usize,
    wakes: u64,
    started: Instant,
}

/// What a running worker holds between wake-ups.
struct RunState {
    /// Claimed deliveries waiting for room to be sent.
    queue: VecDeque<Unit>,
    /// The claim in flight, if any.
    claiming: Option<Claiming>,
    /// The sends in flight, and what each holds.
    tasks: JoinSet<Vec<Completion>>,
    held: HashMap<tokio::task::Id, Held>,
    /// Whether deliveries may be due. Each wake-up counts; a claim that took less than it
    /// asked for clears it unless a wake-up came while it ran.
    due: bool,
    wakes: u64,
    /// When shutting down: the end of the grace period.
    deadline: Option<Instant>,
    /// The completion writer, until it stops.
    writer: Option<JoinHandle<Result<(), StoreError>>>,
    /// Why the worker stopped on its own: the writer failed.
    failure: Option<StoreError>,
    /// Whether the writer's last write succeeded: while it is trying again, nothing new
    /// is claimed or sent.
    recording: Arc<AtomicBool>,
}

impl RunState {
    fn new(writer: JoinHandle<Result<(), StoreError>>, recording: Arc<AtomicBool>) -> Self {
        RunState {
            queue: VecDeque::new(),
            claiming: None,
            tasks: JoinSet::new(),
            held: HashMap::new(),
            due: true,
            wakes: 0,
            deadline: None,
            writer: Some(writer),
            failure: None,
            recording,
        }
    }

    fn woken(&mut self) {
        self.due = true;
        self.wakes += 1;
    }
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

    /// Sets the configuration, when it is valid ([`WorkerConfig::validate`]).
    pub fn config(mut self, config: WorkerConfig) -> Result<Self, InvalidWorkerConfig> {
        config.validate()?;
        self.config = config;
        Ok(self)
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
    ///
    /// When the completion writer fails (the database cannot record attempts, after
    /// retries; or a panic) the worker stops at once rather than send what it cannot
    /// record: it claims nothing more, cancels its sends and gives back what it holds
    /// (or lets the leases expire), and returns the writer's error. A failed claim is
    /// logged and tried again at the next poll: a claim records nothing.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> Result<(), StoreError> {
        let (completed, to_write) = mpsc::unbounded_channel();
        let recording = Arc::new(AtomicBool::new(true));
        let writer = tokio::spawn(write_completions(
            self.store.clone(),
            to_write,
            Arc::clone(&recording),
        ));
        let mut listener = self.listen().await;
        let mut poll = tokio::time::interval(self.config.poll_interval);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Armed before any claim starts, so that a commit during a claim still wakes us.
        let wake = self.store.notify();
        let mut notified = Box::pin(wake.notified());
        notified.as_mut().enable();

        let mut state = RunState::new(writer, recording);
        tokio::pin!(shutdown);

        loop {
            self.start_queued(&mut state).await;
            self.claim_if_due(&mut state);
            if state.deadline.is_some() && state.tasks.is_empty() && state.claiming.is_none() {
                break;
            }
            let running = state.deadline.is_none();

            tokio::select! {
                () = &mut shutdown, if running => {
                    state.deadline = Some(Instant::now() + self.config.shutdown_grace);
                    self.release(state.queue.drain(..).flat_map(unit_deliveries)).await;
                }
                written = join_writer(&mut state.writer) => {
                    self.writer_stopped(&mut state, written).await;
                }
                claimed = join(&mut state.claiming) => {
                    self.claimed(&mut state, claimed).await;
                }
                Some(joined) = state.tasks.join_next_with_id(), if !state.tasks.is_empty() => {
                    let mut next = Some(joined);
                    while let Some(joined) = next {
                        self.finished(joined, &mut state.held, &completed).await;
                        next = state.tasks.try_join_next_with_id();
                    }
                }
                () = &mut notified, if running => {
                    notified.set(wake.notified());
                    notified.as_mut().enable();
                    state.woken();
                }
                () = next_notification(&mut listener), if running => state.woken(),
                _ = poll.tick(), if running => state.woken(),
                () = sleep_until(state.deadline), if !running && !state.tasks.is_empty() => {
                    state.tasks.abort_all();
                    while let Some(joined) = state.tasks.join_next_with_id().await {
                        self.finished(joined, &mut state.held, &completed).await;
                    }
                }
            }
        }
        drop(completed);
        if let Some(error) = state.failure {
            return Err(error);
        }
        match state.writer {
            Some(writer) => writer
                .await
                .map_err(|e| StoreError::worker_failed("completion writer", e))?,
            None => Ok(()),
        }
    }

    /// The writer stopped while the worker runs: it failed. Stops at once: no claim, no
    /// new send, and the sends in flight cancelled (their deliveries given back), since
    /// what they would come to could not be recorded.
    async fn writer_stopped(&self, state: &mut RunState, written: Result<(), StoreError>) {
        state.writer = None;
        let error = match written {
            Err(error) => error,
            Ok(()) => StoreError::worker_failed("completion writer", "it stopped unasked"),
        };
        error!(
            worker = %self.config.name,
            %error,
            in_flight = state.tasks.len(),
            "the completion writer failed; the worker stops sending and shuts down"
        );
        state.failure = Some(error);
        state.deadline = Some(Instant::now());
        self.release(state.queue.drain(..).flat_map(unit_deliveries))
            .await;
        state.tasks.abort_all();
    }

    /// Starts queued deliveries while there is room; those whose lease ran out in the queue
    /// are given back.
    async fn start_queued(&self, state: &mut RunState) {
        let mut expired = Vec::new();
        // A send starts only while its lease has room for it, and a quarter of the lease
        // more to record what it came to.
        let needed = self.config.send_timeout + self.config.lease / 4;
        while state.recording.load(Ordering::Acquire)
            && state.tasks.len() < self.config.concurrency
            && let Some(unit) = state.queue.pop_front()
        {
            if Instant::now() + needed > unit.deadline {
                expired.push(unit);
            } else {
                self.start(unit, &mut state.tasks, &mut state.held);
            }
        }
        if !expired.is_empty() {
            self.give_back_expired(expired).await;
        }
    }

    /// Starts a claim, in a task of its own, when deliveries may be due, none is running,
    /// the queue holds less than a claim's worth and the worker is not shutting down. A
    /// claim waits for the database's write lock (on SQLite, behind the completions), so
    /// the next batch is claimed while a whole one is still queued: the sends do not
    /// stall while it runs.
    fn claim_if_due(&self, state: &mut RunState) {
        if state.deadline.is_some()
            || !state.recording.load(Ordering::Acquire)
            || !state.due
            || state.claiming.is_some()
            || state.queue.len() >= self.config.batch_size.max(self.config.concurrency)
        {
            return;
        }
        let want = self.config.batch_size;
        let (store, name, lease) = (
            self.store.clone(),
            self.config.name.clone(),
            self.config.lease,
        );
        state.claiming = Some(Claiming {
            task: tokio::spawn(async move { store.claim(&name, want, lease).await }),
            want,
            wakes: state.wakes,
            started: Instant::now(),
        });
    }

    /// Queues what a claim returned (or gives it back when shutting down).
    async fn claimed(&self, state: &mut RunState, claimed: Result<Claim, StoreError>) {
        let Some(started) = state.claiming.take() else {
            return;
        };
        match claimed {
            Ok(claim) => {
                state.due = claim.deliveries.len() >= started.want || state.wakes != started.wakes;
                let units = self.units(claim, started.started + self.config.lease).await;
                if state.deadline.is_some() {
                    self.release(units.into_iter().flat_map(unit_deliveries))
                        .await;
                } else {
                    state.queue.extend(units);
                }
            }
            // The claimer restarts: a new claim at the next poll. A claim records nothing,
            // so a failed one loses nothing; what it leased comes back when the lease ends.
            Err(error) => {
                if matches!(error, StoreError::WorkerFailed { .. }) {
                    error!(worker = %self.config.name, %error, "the claimer panicked; claiming again at the next poll");
                } else {
                    warn!(worker = %self.config.name, %error, "claiming deliveries failed");
                }
                state.due = state.wakes != started.wakes;
            }
        }
    }

    /// A `LISTEN`ing connection on PostgreSQL; `None` on SQLite or when it fails (the
    /// worker then polls).
    #[cfg(feature = "postgres")]
    async fn listen(&self) -> Option<Listener> {
        let pool = self.store.postgres_pool()?;
        let listening = async {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(crate::store::NOTIFY_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match listening.await {
            Ok(listener) => Some(listener),
            Err(error) => {
                warn!(worker = %self.config.name, %error, "LISTEN failed; the worker only polls");
                None
            }
        }
    }

    /// Without PostgreSQL there is nothing to `LISTEN` to: the worker polls.
    #[cfg(not(feature = "postgres"))]
    async fn listen(&self) -> Option<Listener> {
        None
    }

    /// Accounts for a finished task: its completions go to the writer; when it was
    /// cancelled, its deliveries are given back.
    async fn finished(
        &self,
        joined: Result<(tokio::task::Id, Vec<Completion>), JoinError>,
        held: &mut HashMap<tokio::task::Id, Held>,
        completed: &mpsc::UnboundedSender<Completion>,
    ) {
        match joined {
            Ok((id, completions)) => {
                held.remove(&id);
                for completion in completions {
                    let attempt = &completion.attempt;
                    debug!(
                        worker = %self.config.name,
                        delivery = %completion.delivery,
                        subscriber = %completion.subscriber,
                        attempt = completion.attempts,
                        outcome = ?attempt.outcome,
                        status = ?attempt.status,
                        duration_ms = attempt.duration.as_millis(),
                        "delivery attempted"
                    );
                    // The writer runs until this sender is dropped.
                    let _ = completed.send(completion);
                }
            }
            Err(error) => {
                let Some(h) = held.remove(&error.id()) else {
                    return;
                };
                // A cancelled send never made its attempt; a panicking deliverer keeps its
                // lease (the attempt counts, and the delivery is retried after expiry).
                if error.is_cancelled() {
                    self.give_back(&h.lease.token, &h.deliveries).await;
                } else {
                    error!(
                        worker = %self.config.name,
                        deliveries = ?h.deliveries,
                        %error,
                        "the deliverer panicked; the deliveries are retried when their lease expires"
                    );
                }
            }
        }
    }

    /// Splits a claim into units: one per webhook or stream message, one per batch of
    /// analytics messages.
    /// Deliveries of subscribers disabled since they were recorded are given back: they
    /// are dead already, and get no attempt.
    async fn units(&self, claim: Claim, deadline: Instant) -> Vec<Unit> {
        let lease = Arc::new(claim.lease);
        let (mut units, mut analytics, mut disabled) = (Vec::new(), Vec::new(), Vec::new());
        for delivery in claim.deliveries {
            if !delivery.target.enabled {
                disabled.push(delivery.uuid);
            } else if delivery.target.kind == SubscriberKind::Analytics {
                analytics.push(delivery);
            } else {
                // A webhook or a stream message: one delivery per unit.
                units.push(Unit {
                    lease: Arc::clone(&lease),
                    deadline,
                    kind: delivery.target.kind,
                    deliveries: vec![delivery],
                });
            }
        }
        let size = self.config.analytics_batch_size.max(1);
        while !analytics.is_empty() {
            units.push(Unit {
                lease: Arc::clone(&lease),
                deadline,
                kind: SubscriberKind::Analytics,
                deliveries: analytics.drain(..analytics.len().min(size)).collect(),
            });
        }
        if !disabled.is_empty() {
            self.give_back(&lease.token, &disabled).await;
        }
        units
    }

    /// Gives back units whose lease ran out while they were queued, unsent: sending them
    /// now could duplicate another worker's attempt. Those not claimed by another worker
    /// since get their attempt back.
    async fn give_back_expired(&self, units: Vec<Unit>) {
        warn!(
            worker = %self.config.name,
            deliveries = units.iter().map(|u| u.deliveries.len()).sum::<usize>(),
            "claimed deliveries waited past their lease and were given back unsent; \
             lengthen the lease or lower batch_size"
        );
        self.release(units.into_iter().flat_map(unit_deliveries))
            .await;
    }

    /// Starts the task that sends a unit.
    fn start(
        &self,
        unit: Unit,
        tasks: &mut JoinSet<Vec<Completion>>,
        held: &mut HashMap<tokio::task::Id, Held>,
    ) {
        let deliverer = Arc::clone(&self.deliverer);
        let lease = Arc::clone(&unit.lease);
        let uuids = unit.deliveries.iter().map(|d| d.uuid).collect();
        let (limit, clock) = (self.config.send_timeout, self.config.clock);
        let handle = match unit.kind {
            SubscriberKind::Webhook => tasks.spawn(async move {
                let mut completions = Vec::with_capacity(1);
                for delivery in &unit.deliveries {
                    let attempt = bounded(limit, send_webhook(&*deliverer, delivery, clock)).await;
                    completions.push(Completion::new(delivery, &unit.lease.token, attempt));
                }
                completions
            }),
            SubscriberKind::Stream => tasks.spawn(async move {
                let mut completions = Vec::with_capacity(1);
                for delivery in &unit.deliveries {
                    let attempt = bounded(limit, super::streams::send(&*deliverer, delivery)).await;
                    completions.push(Completion::new(delivery, &unit.lease.token, attempt));
                }
                completions
            }),
            SubscriberKind::Analytics => tasks.spawn(async move {
                let batch = &unit.deliveries;
                let messages: Vec<AnalyticsMessage<'_>> = batch
                    .iter()
                    .map(|d| AnalyticsMessage {
                        event_type: &d.event_type,
                        uuid: d.uuid,
                        timestamp: d.event_timestamp,
                        properties: &d.payload,
                    })
                    .collect();
                let attempt = bounded(limit, deliverer.analytics(&messages)).await;
                batch
                    .iter()
                    .map(|d| Completion::new(d, &unit.lease.token, attempt.clone()))
                    .collect()
            }),
        };
        held.insert(
            handle.id(),
            Held {
                lease,
                deliveries: uuids,
            },
        );
    }

    /// Gives back claimed deliveries that will not be sent, a statement per lease.
    async fn release(&self, deliveries: impl Iterator<Item = (Arc<Lease>, Uuid)>) {
        let mut by_lease: HashMap<String, Vec<Uuid>> = HashMap::new();
        for (lease, delivery) in deliveries {
            by_lease
                .entry(lease.token.clone())
                .or_default()
                .push(delivery);
        }
        for (lease, deliveries) in by_lease {
            self.give_back(&lease, &deliveries).await;
        }
    }

    /// Gives back deliveries of one lease; when that fails, they are claimable again once
    /// the lease expires.
    async fn give_back(&self, lease: &str, deliveries: &[Uuid]) {
        if let Err(error) = self.store.release(lease, deliveries).await {
            warn!(
                worker = %self.config.name,
                deliveries = deliveries.len(),
                %error,
                "giving back claimed deliveries failed; they are claimable when the lease expires"
            );
        }
    }
}

/// The deliveries of a unit, with its lease.
fn unit_deliveries(unit: Unit) -> impl Iterator<Item = (Arc<Lease>, Uuid)> {
    let lease = unit.lease;
    unit.deliveries
        .into_iter()
        .map(move |d| (Arc::clone(&lease), d.uuid))
}

/// Completes finished attempts in batches: all that finished while the previous batch
/// was written, so batches grow with the load. A batch the database cannot take even
/// after [`write_with_retries`] ends the writer with its error, which stops the worker.
async fn write_completions(
    store: Store,
    mut finished: mpsc::UnboundedReceiver<Completion>,
    recording: Arc<AtomicBool>,
) -> Result<(), StoreError> {
    const MOST_PER_WRITE: usize = 1000;
    let mut batch = Vec::with_capacity(MOST_PER_WRITE);
    while finished.recv_many(&mut batch, MOST_PER_WRITE).await > 0 {
        if let Err(error) = write_with_retries(&store, &batch, &recording).await {
            error!(
                deliveries = batch.len(),
                %error,
                "completing deliveries failed; they are tried again when their lease expires"
            );
            return Err(error);
        }
        batch.clear();
    }
    Ok(())
}

/// Writes a batch, trying again a few times over about a second and a half when the
/// database is out of reach. A refusal is final: the store already split the batch and
/// could not even end the delivery it refuses.
async fn write_with_retries(
    store: &Store,
    batch: &[Completion],
    recording: &AtomicBool,
) -> Result<(), StoreError> {
    const PAUSES_MS: [u64; 3] = [100, 300, 1000];
    let mut pauses = PAUSES_MS.iter();
    loop {
        let result = store.complete(batch).await;
        recording.store(result.is_ok(), Ordering::Release);
        match result {
            Ok(_) => return Ok(()),
            Err(error) if error.refused_by_database() => return Err(error),
            Err(error) => match pauses.next() {
                Some(ms) => {
                    warn!(%error, deliveries = batch.len(), "completing deliveries failed; trying again");
                    tokio::time::sleep(Duration::from_millis(*ms)).await;
                }
                None => return Err(error),
            },
        }
    }
}

/// The writer's result once it stops, or never when it is gone already.
async fn join_writer(
    writer: &mut Option<JoinHandle<Result<(), StoreError>>>,
) -> Result<(), StoreError> {
    match writer {
        Some(task) => task
            .await
            .map_err(|e| StoreError::worker_failed("completion writer", e))?,
        None => std::future::pending().await,
    }
}

/// What `send` came to, or a timed-out attempt when it took longer than `limit`: it is
/// cut then, so that it ends inside its lease.
async fn bounded(limit: Duration, send: impl std::future::Future<Output = Attempt>) -> Attempt {
    match tokio::time::timeout(limit, send).await {
        Ok(attempt) => attempt,
        Err(_) => Attempt {
            outcome: Outcome::Retry {
                not_before: Some(SLOW_RETRY_FLOOR),
            },
            status: None,
            duration: limit,
            detail: format!(
                "no answer within the worker's send_timeout ({limit:?}); the send was cut"
            ),
        },
    }
}

/// The least wait after a send that was cut: a receiver that slow needs time.
const SLOW_RETRY_FLOOR: Duration = Duration::from_secs(60);

/// The result of a running claim, or never when none runs.
async fn join(claiming: &mut Option<Claiming>) -> Result<Claim, StoreError> {
    match claiming {
        Some(claiming) => (&mut claiming.task)
            .await
            .map_err(|e| StoreError::worker_failed("claimer", e))?,
        None => std::future::pending().await,
    }
}

/// Sends one webhook, or refuses it when its subscriber cannot be sent to.
async fn send_webhook<D: Deliverer>(
    deliverer: &D,
    delivery: &ClaimedDelivery,
    clock: Clock,
) -> Attempt {
    let target = &delivery.target;
    if let Some(error) = &target.secret_error {
        return Attempt::refused(error.clone());
    }
    let Some(url) = target.url.as_deref() else {
        return Attempt::refused("the webhook has no URL".to_owned());
    };
    let body = webhook_body(target.uuid, &target.name, &delivery.payload);
    let message_id = delivery.uuid.to_string();
    deliverer
        .webhook(WebhookRequest {
            url,
            message_id: &message_id,
            timestamp: clock.now().timestamp(),
            payload: &body,
            content_type: target.content_type,
            secrets: &target.secrets,
            tls: Some(&target.tls),
        })
        .await
}

/// `{"delivered_for": {"uuid": ..., "name": ...}, "event": <payload>}`, which receivers read
/// as `event_runtime::notification::WebhookDelivery`.
fn webhook_body(subscriber: Uuid, name: &str, payload: &str) -> String {
    // Written directly rather than through a `serde_json::Value`: this runs per delivery.
    let name = serde_json::Value::from(name);
    format!(r#"{{"delivered_for":{{"uuid":"{subscriber}","name":{name}}},"event":{payload}}}"#)
}

/// A connection `LISTEN`ing for recorded deliveries (PostgreSQL only).
#[cfg(feature = "postgres")]
type Listener = PgListener;
#[cfg(not(feature = "postgres"))]
type Listener = std::convert::Infallible;

/// The next notification, or never when there is no listener. After an error (the
/// listener reconnects on the next call) it waits a moment, so as not to spin.
async fn next_notification(listener: &mut Option<Listener>) {
    match listener {
        #[cfg(feature = "postgres")]
        Some(listener) => {
            if let Err(error) = listener.recv().await {
                warn!(%error, "the LISTEN connection failed; reconnecting");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        #[cfg(not(feature = "postgres"))]
        Some(never) => match *never {},
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
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
        // The runtime's type of the body, which receivers parse it with, reads it.
        let delivery: event_runtime::notification::WebhookDelivery<serde_json::Value> =
            serde_json::from_str(&body).expect("a webhook body");
        assert_eq!(delivery.delivered_for.uuid, Uuid::from_u128(1));
        assert_eq!(delivery.delivered_for.name, "Ops \"alerts\"");
        assert_eq!(delivery.event, value["event"]);
    }
}
