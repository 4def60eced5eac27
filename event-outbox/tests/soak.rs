//! The outbox's soak test: 4 workers, each over a pool of its own as separate processes
//! would be, deliver 10,000 webhooks recorded on PostgreSQL to receivers on 127.0.0.1
//! that answer at random (seeded): 2xx, 500, 429 with a short `Retry-After`, answers
//! slower than the send bound, and 2xx with hostile bodies. At the end every delivery is
//! delivered exactly once by the receivers' count, or dead with a reason; no delivery is
//! sent again after its receiver answered 2xx in time.
//!
//! Ignored in the normal suite: it lasts over a minute, most of it the minute the outbox
//! waits at least after a 429 or a timeout. `.ci/run` runs it with
//! `-- --ignored --nocapture`, which prints the figures. `SOAK_SEED` changes the draw.

mod common;
#[path = "soak/logs.rs"]
mod logs;
#[path = "soak/receiver.rs"]
mod receiver;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Backend, TestEvent, count};
use event_outbox::store::{DeadDelivery, NewWebhook, RetrySchedule, Scope, Store};
use event_outbox::webhook::{AddressPolicy, WebhookConfig, WebhookSender};
use event_outbox::worker::{HttpDeliverer, Worker, WorkerConfig, WorkerHandle};
use event_runtime::StoredEvent;
use receiver::{Answer, Log, Receivers, Request};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

const WORKERS: usize = 4;
const RECEIVERS: usize = 5;
const WEBHOOKS: usize = 10;
/// Every event goes to every webhook: 1,000 events make 10,000 deliveries.
const EVENTS: usize = 1_000;
const DELIVERIES: usize = EVENTS * WEBHOOKS;
const EVENTS_PER_TRANSACTION: usize = 100;
/// Two attempts: a 500 is tried again after this; a 429 or a timeout after the outbox's
/// floor of a minute. After the second failure the delivery is dead.
const RETRY_DELAY: Duration = Duration::from_millis(500);
const LEASE: Duration = Duration::from_secs(10);
const SEND_TIMEOUT: Duration = Duration::from_secs(2);
/// Longer than the send bound: the worker cuts these sends and counts a timeout.
const SLOW_ANSWER: Duration = Duration::from_secs(3);
const CONCURRENCY: usize = 64;
const CONNECTIONS_PER_WORKER: u32 = 5;
/// The safety bound: past it the test fails with what is still pending.
const DEADLINE: Duration = Duration::from_secs(100);
const DEFAULT_SEED: u64 = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a soak of over a minute; .ci/run runs it with --ignored --nocapture"]
async fn ten_thousand_deliveries_to_hostile_receivers_end_delivered_once_or_dead() {
    let config = common::config().retry(
        RetrySchedule::new(vec![RETRY_DELAY])
            .and_then(|s| s.jitter(0.0))
            .expect("a valid schedule"),
    );
    logs::capture();
    common::with_store(Backend::Postgres, config, soak).await;
}

async fn soak(store: Store) {
    let seed = seed();
    let receivers = Receivers::start(RECEIVERS, seed, SLOW_ANSWER).await;
    subscribe_webhooks(&store, &receivers).await;
    let started = Instant::now();
    let (workers, worker_stores) = start_workers(&store).await;
    record_events(&store).await;
    let settled = settle(&store, &receivers, started).await;
    stop_workers(workers, &worker_stores).await;
    let timings = settled.unwrap_or_else(|pending| panic!("{pending}"));

    let outbox = Outbox::read(&store).await;
    let tally = Tally::count(&receivers.log(), &outbox);
    println!("{}", tally.summary(seed, &timings, &outbox));
    let logged = logs::logged();
    for (event, n) in &logged {
        println!("soak: logged {n}× {event}");
    }
    tally.check(&outbox);
    let errors: Vec<_> = logged.keys().filter(|e| e.starts_with("ERROR")).collect();
    assert!(errors.is_empty(), "the outbox logged errors: {errors:?}");
}

fn seed() -> u64 {
    std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// `WEBHOOKS` webhooks spread over the receivers, each subscribed to `project:created`.
async fn subscribe_webhooks(store: &Store, receivers: &Receivers) {
    for n in 0..WEBHOOKS {
        let url = receivers.url(n, &format!("/hooks/{n}"));
        let hook = store
            .create_webhook(NewWebhook::new(format!("hook-{n}"), url))
            .await
            .expect("create a webhook")
            .subscriber
            .uuid;
        store
            .subscribe(hook, "project:created", Scope::global())
            .await
            .expect("subscribe");
    }
}

/// The workers, each with a store over a pool of its own (so in-process wake-ups do not
/// reach them: PostgreSQL's `NOTIFY` does) and a sender of its own.
async fn start_workers(store: &Store) -> (Vec<WorkerHandle>, Vec<Store>) {
    let mut handles = Vec::with_capacity(WORKERS);
    let mut stores = Vec::with_capacity(WORKERS);
    for n in 0..WORKERS {
        let own = own_pool(store).await;
        let config = WorkerConfig::default()
            .name(format!("soak-{n}"))
            .concurrency(CONCURRENCY)
            .lease(LEASE)
            .send_timeout(SEND_TIMEOUT)
            .poll_interval(Duration::from_millis(100))
            .shutdown_grace(Duration::from_secs(2));
        let handle = Worker::new(own.clone(), http())
            .config(config)
            .expect("a valid worker configuration")
            .spawn();
        handles.push(handle);
        stores.push(own);
    }
    (handles, stores)
}

async fn own_pool(store: &Store) -> Store {
    let shared = store.postgres_pool().expect("a PostgreSQL store");
    let pool = PgPoolOptions::new()
        .max_connections(CONNECTIONS_PER_WORKER)
        .connect_with((*shared.connect_options()).clone())
        .await
        .expect("a pool of the worker's own");
    Store::from_postgres_pool(pool, store.config().clone()).expect("a valid configuration")
}

/// Sends to 127.0.0.1; the client's own timeout is above the worker's send bound, so
/// the worker's bound is the one that cuts slow answers.
fn http() -> Arc<HttpDeliverer> {
    let config = WebhookConfig {
        addresses: AddressPolicy::public_only().allow("127.0.0.1/32".parse().expect("a range")),
        timeout: SEND_TIMEOUT * 3,
        ..WebhookConfig::default()
    };
    Arc::new(HttpDeliverer::new(
        WebhookSender::new(config).expect("a sender"),
        None,
    ))
}

/// Records the events in transactions of `EVENTS_PER_TRANSACTION`, as the workers run.
async fn record_events(store: &Store) {
    for _ in 0..EVENTS / EVENTS_PER_TRANSACTION {
        let events: Vec<TestEvent> = (0..EVENTS_PER_TRANSACTION)
            .map(|_| TestEvent::new("project:created", Uuid::new_v4(), None))
            .collect();
        let batch: Vec<&dyn StoredEvent> = events.iter().map(|e| e as &dyn StoredEvent).collect();
        let mut tx = store.begin().await.expect("begin");
        tx.record_batch(&batch).await.expect("record a batch");
        tx.commit().await.expect("commit");
    }
}

/// When every delivery had its first request, and when none was pending any more.
struct Timings {
    first_requests: Option<Duration>,
    settled: Duration,
}

/// Waits until no delivery is pending, or fails at the deadline with what still is.
async fn settle(store: &Store, receivers: &Receivers, started: Instant) -> Result<Timings, String> {
    let mut first_requests = None;
    loop {
        if first_requests.is_none() && receivers.distinct() >= DELIVERIES {
            first_requests = Some(started.elapsed());
        }
        let pending = store.outbox_counts().await.expect("outbox counts").pending;
        if pending == 0 {
            return Ok(Timings {
                first_requests,
                settled: started.elapsed(),
            });
        }
        if started.elapsed() > DEADLINE {
            return Err(still_pending(store, pending).await);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn still_pending(store: &Store, pending: u64) -> String {
    let leased = count(
        store,
        r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "status" = 'pending' AND "leased_by" IS NOT NULL"#,
    )
    .await;
    let due = count(
        store,
        r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "status" = 'pending' AND "leased_by" IS NULL AND "next_attempt_at" <= now()"#,
    )
    .await;
    let never_tried = count(
        store,
        r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "status" = 'pending' AND "attempts" = 0"#,
    )
    .await;
    format!(
        "the soak did not settle within {DEADLINE:?}: {pending} deliveries pending \
         ({leased} leased, {due} due and unclaimed, {never_tried} never tried)"
    )
}

/// Stops every worker, bounded: a worker that does not stop fails the test.
async fn stop_workers(workers: Vec<WorkerHandle>, stores: &[Store]) {
    for (n, worker) in workers.into_iter().enumerate() {
        let stopped = tokio::time::timeout(Duration::from_secs(15), worker.shutdown()).await;
        let result = stopped.unwrap_or_else(|_| panic!("worker {n} did not stop"));
        result.unwrap_or_else(|e| panic!("worker {n} failed: {e}"));
    }
    for store in stores {
        store.close().await;
    }
}

/// The outbox as the store has it at the end.
struct Outbox {
    /// Deliveries with a `delivered` attempt (their rows are deleted).
    delivered: HashSet<String>,
    dead: Vec<DeadDelivery>,
    /// The dead deliveries' ids, as the receivers log them.
    dead_ids: HashSet<String>,
    /// Attempts in the log, by delivery.
    attempts: HashMap<String, i64>,
    /// The class of each dead delivery's last attempt, by delivery.
    dead_class: HashMap<String, &'static str>,
}

impl Outbox {
    async fn read(store: &Store) -> Outbox {
        let pool = store.postgres_pool().expect("a PostgreSQL store");
        let delivered: Vec<String> = sqlx::query_scalar(
            r#"SELECT DISTINCT "delivery_uuid"::text FROM "eventgen_delivery_attempts" WHERE "outcome" = 'delivered'"#,
        )
        .fetch_all(pool)
        .await
        .expect("delivered deliveries");
        let attempts: Vec<(String, i64)> = sqlx::query_as(
            r#"SELECT "delivery_uuid"::text, COUNT(*) FROM "eventgen_delivery_attempts" GROUP BY 1"#,
        )
        .fetch_all(pool)
        .await
        .expect("attempts per delivery");
        let last: Vec<(String, Option<i32>, Option<String>)> = sqlx::query_as(AssertSqlSafe(
            r#"SELECT d."uuid"::text, a."status_code", a."detail" FROM "eventgen_deliveries" d
               LEFT JOIN "eventgen_delivery_attempts" a ON a."delivery_uuid" = d."uuid" AND a."attempt" = d."attempts"
               WHERE d."status" = 'dead'"#,
        ))
        .fetch_all(pool)
        .await
        .expect("the last attempts of dead deliveries");
        let dead = store
            .dead_deliveries(None, u32::try_from(DELIVERIES).expect("small") + 1)
            .await
            .expect("dead deliveries");
        Outbox {
            delivered: delivered.into_iter().collect(),
            dead_ids: dead.iter().map(|d| d.uuid.to_string()).collect(),
            dead,
            attempts: attempts.into_iter().collect(),
            dead_class: last
                .into_iter()
                .map(|(uuid, status, detail)| (uuid, dead_class(status, detail.as_deref())))
                .collect(),
        }
    }
}

/// What a dead delivery's last attempt came to, as a reason class.
fn dead_class(status: Option<i32>, detail: Option<&str>) -> &'static str {
    match (status, detail) {
        (None, _) => "no attempt logged",
        (Some(500), _) => "500",
        (Some(429), _) => "429",
        (Some(0), Some(detail)) if detail.contains("send_timeout") => "timeout",
        (Some(0), _) => "no response",
        (Some(_), _) => "other status",
    }
}

/// The receivers' log against the outbox.
#[derive(Default)]
struct Tally {
    requests: usize,
    answers: BTreeMap<&'static str, usize>,
    /// Requests that came after the receiver had answered that id 2xx in time.
    after_timely_2xx: Vec<String>,
    /// Requests that came after a 2xx given later than the send bound (the worker had
    /// cut the send and counted a timeout): at-least-once, allowed.
    after_late_2xx: usize,
    /// Delivered deliveries whose receiver did not answer 2xx in time exactly once.
    delivered_not_once: Vec<(String, usize)>,
    /// Dead deliveries that a receiver answered 2xx in time.
    dead_but_accepted: Vec<String>,
    /// Ids the receivers got that the outbox does not know as delivered or dead.
    unknown: Vec<String>,
    /// Deliveries with more requests received than attempts logged.
    unrecorded_sends: Vec<String>,
    /// Attempts logged that never reached a receiver (a connection failure).
    lost_requests: i64,
}

impl Tally {
    fn count(log: &Log, outbox: &Outbox) -> Tally {
        let mut tally = Tally::default();
        for (id, requests) in log {
            tally.count_one(id, requests, outbox);
        }
        let received: i64 = log.values().map(|r| r.len() as i64).sum();
        tally.lost_requests = outbox.attempts.values().sum::<i64>() - received;
        tally
    }

    fn count_one(&mut self, id: &str, requests: &[Request], outbox: &Outbox) {
        self.requests += requests.len();
        for request in requests {
            *self.answers.entry(answer_name(request.answer)).or_default() += 1;
        }
        let (after_timely, after_late) = duplicates(requests);
        if after_timely > 0 {
            self.after_timely_2xx.push(id.to_owned());
        }
        self.after_late_2xx += after_late;
        let timely = requests.iter().filter(|r| r.answer.is_timely_2xx()).count();
        if outbox.delivered.contains(id) {
            if timely != 1 {
                self.delivered_not_once.push((id.to_owned(), timely));
            }
        } else if outbox.dead_ids.contains(id) {
            if timely > 0 {
                self.dead_but_accepted.push(id.to_owned());
            }
        } else {
            self.unknown.push(id.to_owned());
        }
        let logged = outbox.attempts.get(id).copied().unwrap_or(0);
        if requests.len() as i64 > logged {
            self.unrecorded_sends.push(id.to_owned());
        }
    }

    /// One line: the outcome, the duplicates, the answers and the times.
    fn summary(&self, seed: u64, timings: &Timings, outbox: &Outbox) -> String {
        let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
        for class in outbox.dead_class.values() {
            *classes.entry(class).or_default() += 1;
        }
        let first = timings
            .first_requests
            .map_or("not reached".to_owned(), |d| {
                let rate = DELIVERIES as f64 / d.as_secs_f64();
                format!("{:.1} s, {rate:.0}/s", d.as_secs_f64())
            });
        let settled = timings.settled.as_secs_f64();
        format!(
            "soak: {DELIVERIES} deliveries, {} delivered, {} dead ({}); duplicates: {} after a 2xx in time, \
             {} after a 2xx later than the send bound; {} requests ({}), {} logged attempts that reached no receiver; \
             first requests of all {first}; settled in {settled:.1} s, {:.0} deliveries/s \
             ({WORKERS} workers, {WEBHOOKS} webhooks on {RECEIVERS} receivers, seed {seed})",
            outbox.delivered.len(),
            outbox.dead.len(),
            join(&classes),
            self.after_timely_2xx.len(),
            self.after_late_2xx,
            self.requests,
            join(&self.answers),
            self.lost_requests,
            DELIVERIES as f64 / settled,
        )
    }

    fn check(&self, outbox: &Outbox) {
        let (delivered, dead) = (outbox.delivered.len(), outbox.dead.len());
        assert_eq!(
            delivered + dead,
            DELIVERIES,
            "every delivery delivered or dead"
        );
        let both = outbox.dead_ids.intersection(&outbox.delivered).count();
        assert_eq!(both, 0, "delivered and dead at once");
        let reasonless: Vec<_> = outbox
            .dead
            .iter()
            .filter(|d| d.last_error.as_deref().is_none_or(str::is_empty))
            .collect();
        assert!(
            reasonless.is_empty(),
            "dead without a reason: {reasonless:?}"
        );
        assert!(
            self.after_timely_2xx.is_empty(),
            "sent again after a 2xx in time: {:?}",
            first(&self.after_timely_2xx)
        );
        assert!(
            self.delivered_not_once.is_empty(),
            "delivered, but not accepted exactly once: {:?}",
            first(&self.delivered_not_once)
        );
        assert!(
            self.dead_but_accepted.is_empty(),
            "dead, but a receiver answered 2xx in time: {:?}",
            first(&self.dead_but_accepted)
        );
        assert!(
            self.unknown.is_empty(),
            "received, but neither delivered nor dead: {:?}",
            first(&self.unknown)
        );
        assert!(
            self.unrecorded_sends.is_empty(),
            "sent more often than recorded: {:?}",
            first(&self.unrecorded_sends)
        );
    }
}

/// `name: n, name: n, ...`.
fn join(counts: &BTreeMap<&str, usize>) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|(name, n)| format!("{name}: {n}"))
        .collect();
    parts.join(", ")
}

/// The first few of a list, for a failure message.
fn first<T>(items: &[T]) -> &[T] {
    &items[..items.len().min(5)]
}

/// Requests received after the id was answered 2xx in time, and after it was answered 2xx
/// late (only those not already counted as the former).
fn duplicates(requests: &[Request]) -> (usize, usize) {
    let accepted_in_time = requests
        .iter()
        .filter(|r| r.answer.is_timely_2xx())
        .filter_map(|r| r.answered)
        .min();
    let accepted_late = requests
        .iter()
        .filter(|r| r.answer == Answer::Slow)
        .filter_map(|r| r.answered)
        .min();
    let after = |accepted: Option<Instant>, r: &Request| accepted.is_some_and(|t| r.received > t);
    let timely = requests
        .iter()
        .filter(|r| after(accepted_in_time, r))
        .count();
    let late = requests
        .iter()
        .filter(|r| !after(accepted_in_time, r) && after(accepted_late, r))
        .count();
    (timely, late)
}

fn answer_name(answer: Answer) -> &'static str {
    match answer {
        Answer::Ok => "200",
        Answer::ServerError => "500",
        Answer::Throttled => "429",
        Answer::Slow => "slow",
        Answer::NulBody => "200 NUL body",
        Answer::InvalidUtf8Body => "200 invalid UTF-8 body",
        Answer::LargeBody => "200 1 MiB body",
    }
}

#[test]
fn requests_after_a_2xx_count_as_duplicates_apart_by_whether_it_was_in_time() {
    let start = Instant::now();
    let request = |answer, received: u64, answered: Option<u64>| Request {
        answer,
        received: start + Duration::from_millis(received),
        answered: answered.map(|ms| start + Duration::from_millis(ms)),
    };
    let retried = [
        request(Answer::ServerError, 0, Some(0)),
        request(Answer::Ok, 500, Some(500)),
    ];
    assert_eq!(duplicates(&retried), (0, 0));
    let sent_again = [
        request(Answer::NulBody, 0, Some(0)),
        request(Answer::Ok, 500, Some(500)),
    ];
    assert_eq!(duplicates(&sent_again), (1, 0));
    let accepted_late = [
        request(Answer::Slow, 0, Some(3_000)),
        request(Answer::Ok, 60_000, Some(60_000)),
    ];
    assert_eq!(duplicates(&accepted_late), (0, 1));
    let still_waiting = [
        request(Answer::Slow, 0, Some(3_000)),
        request(Answer::Ok, 2_000, Some(2_000)),
    ];
    assert_eq!(duplicates(&still_waiting), (0, 0));
}
