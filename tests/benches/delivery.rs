//! Delivery throughput: `N` deliveries recorded through the store, delivered to a local
//! receiver by the `Worker` with the `HttpDeliverer` (claims, signed requests, completions
//! and the attempt log), against a plain reqwest loop posting the same bodies, signed, at
//! the same concurrency, in the same run; on SQLite and (when
//! `EVENTGEN_TEST_POSTGRES_URL` is set) PostgreSQL. Prints deliveries per second and the
//! worker's share of the plain loop. It also runs the worker with a deliverer that
//! answers at once, without HTTP: the rate the store's claims and completions allow.
//!
//! Where the process's CPU time can be read (Unix), it also prints the CPU each delivery
//! and each plain request cost this process, and how many cores it kept busy. When the
//! plain loop keeps every core busy, the worker's share is bounded by what the store's
//! work costs beside the same HTTP. The receiver, the sender and SQLite run in this
//! process; a PostgreSQL server runs in its own, and its CPU is not counted here.
//!
//! `cargo bench -p workspace-tests --bench delivery`

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use event_outbox::delivery::{AnalyticsMessage, Deliverer, WebhookRequest};
use event_outbox::store::{NewWebhook, Scope, Store};
use event_outbox::worker::{Worker, WorkerConfig};
use event_outbox::{Attempt, Outcome, Secret};
use event_runtime::StoredEvent;
use support::receiver::Receiver;
use test_support::{Backend, POSTGRES_URL, TestDatabase};
use workspace_tests::events::*;
use workspace_tests::samples::one_off_run_failed;

const N: usize = 10_000;
const CONCURRENCY: usize = 32;
const ROUNDS: usize = 3;

/// Records `N` fresh events (one delivery each) in batches; returns the webhook bodies
/// the worker will send, for the plain loop to send too.
async fn record(store: &Store, subscriber: (event_runtime::Uuid, &str)) -> Vec<String> {
    let events: Vec<ProjectOneOffJobPipelineRunFailed> = (0..N)
        .map(|_| ProjectOneOffJobPipelineRunFailed {
            uuid: event_runtime::new_event_id(),
            ..one_off_run_failed()
        })
        .collect();
    for chunk in events.chunks(500) {
        let refs: Vec<&dyn StoredEvent> = chunk.iter().map(|e| e as &dyn StoredEvent).collect();
        let mut tx = store.begin().await.expect("begin");
        tx.record_batch(&refs).await.expect("record");
        tx.commit().await.expect("commit");
    }
    let delivered_for = serde_json::json!({ "uuid": subscriber.0, "name": subscriber.1 });
    events
        .iter()
        .map(|e| {
            let payload = e.notification_json().expect("JSON");
            format!(r#"{{"delivered_for":{delivered_for},"event":{payload}}}"#)
        })
        .collect()
}

/// How long a run took, and the CPU time this process spent meanwhile.
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    cpu: Option<Duration>,
}

impl Run {
    const NONE: Run = Run {
        wall: Duration::MAX,
        cpu: None,
    };

    /// The faster of two runs.
    fn best(self, other: Run) -> Run {
        if other.wall < self.wall { other } else { self }
    }

    fn rate(self) -> f64 {
        N as f64 / self.wall.as_secs_f64()
    }

    /// `"<µs> µs CPU each, <n> cores busy"`, when the CPU time is known.
    fn cpu_use(self) -> String {
        match self.cpu {
            Some(cpu) => format!(
                "{:>4.0} µs CPU each, {:.1} cores busy",
                cpu.as_secs_f64() * 1e6 / N as f64,
                cpu.as_secs_f64() / self.wall.as_secs_f64()
            ),
            None => "CPU time unknown".to_owned(),
        }
    }
}

/// Times a run: its wall time and this process's CPU time.
struct Stopwatch {
    start: Instant,
    cpu: Option<Duration>,
}

impl Stopwatch {
    fn start() -> Stopwatch {
        Stopwatch {
            start: Instant::now(),
            cpu: process_cpu(),
        }
    }

    fn stop(self) -> Run {
        Run {
            wall: self.start.elapsed(),
            cpu: self
                .cpu
                .zip(process_cpu())
                .map(|(before, after)| after - before),
        }
    }
}

/// The CPU time this process has used, all threads.
#[cfg(unix)]
fn process_cpu() -> Option<Duration> {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let secs = u64::try_from(time.tv_sec).ok()?;
    Some(Duration::new(secs, u32::try_from(time.tv_nsec).ok()?))
}

#[cfg(not(unix))]
fn process_cpu() -> Option<Duration> {
    None
}

/// The worker through `deliverer`, from its start until the outbox is empty.
async fn through_worker<D: Deliverer>(
    store: &Store,
    deliverer: Arc<D>,
    sent: impl Fn() -> usize,
) -> Run {
    let stopwatch = Stopwatch::start();
    let handle = Worker::new(store.clone(), deliverer)
        .config(
            WorkerConfig::default()
                .name("bench")
                .concurrency(CONCURRENCY),
        )
        .expect("a valid worker configuration")
        .spawn();
    // Cheap in-memory polling until everything was sent, then until it is all completed.
    while sent() < N {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    while store.outbox_counts().await.expect("counts").pending > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let run = stopwatch.stop();
    handle.shutdown().await.expect("shut down");
    run
}

/// Answers every webhook at once, without sending it.
#[derive(Default)]
struct AnswersAtOnce {
    sent: AtomicUsize,
}

impl Deliverer for AnswersAtOnce {
    async fn webhook(&self, _: WebhookRequest<'_>) -> Attempt {
        self.sent.fetch_add(1, Ordering::Relaxed);
        Attempt {
            outcome: Outcome::Delivered,
            status: Some(200),
            duration: Duration::ZERO,
            detail: String::new(),
        }
    }

    async fn analytics(&self, _: &[AnalyticsMessage<'_>]) -> Attempt {
        unreachable!("the bench subscribes no analytics")
    }
}

/// A plain reqwest loop: `CONCURRENCY` tasks posting the bodies, signed.
async fn plain_loop(url: &str, secret: &Secret, bodies: Arc<Vec<String>>) -> Run {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let stopwatch = Stopwatch::start();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (client, next, bodies) = (client.clone(), Arc::clone(&next), Arc::clone(&bodies));
            let (url, secret) = (url.to_owned(), secret.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let id = format!("msg_{i}");
                    let timestamp = event_runtime::now().timestamp();
                    let signature =
                        event_outbox::webhook::sign(&secret, &id, timestamp, body.as_bytes());
                    let response = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("webhook-id", id)
                        .header("webhook-timestamp", timestamp)
                        .header("webhook-signature", signature)
                        .body(body.clone())
                        .send()
                        .await
                        .expect("sent");
                    assert!(response.status().is_success());
                    response.bytes().await.expect("read");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a sender task");
    }
    stopwatch.stop()
}

async fn measure(label: &str, store: Store) {
    let receiver = Receiver::start().await;
    let url = receiver.url("/bench");
    let created = store
        .create_webhook(NewWebhook::new("bench", url.clone()))
        .await
        .expect("create");
    let subscriber = created.subscriber.uuid;
    store
        .subscribe(
            subscriber,
            ProjectOneOffJobPipelineRunFailed::TYPE,
            Scope::global(),
        )
        .await
        .expect("subscribe");
    let (mut worker, mut plain, mut store_only) = (Run::NONE, Run::NONE, Run::NONE);
    for _ in 0..ROUNDS {
        let bodies = record(&store, (subscriber, "bench")).await;
        receiver.clear();
        let deliverer =
            support::http_deliverer(support::loopback_only(), Duration::from_secs(30), None);
        worker = worker.best(through_worker(&store, deliverer, || receiver.count()).await);
        assert_eq!(receiver.count(), N, "the worker delivered all");
        receiver.clear();
        plain = plain.best(plain_loop(&url, &created.secret, Arc::new(bodies)).await);
        assert_eq!(receiver.count(), N, "the loop posted all");

        record(&store, (subscriber, "bench")).await;
        let at_once = Arc::new(AnswersAtOnce::default());
        let sent = || at_once.sent.load(Ordering::Relaxed);
        store_only = store_only.best(through_worker(&store, Arc::clone(&at_once), sent).await);
    }
    println!(
        "{label:<10} worker {:>7.0} deliveries/s, plain reqwest loop {:>7.0} requests/s, worker/plain {:.2}; \
         worker answered at once {:>7.0} deliveries/s",
        worker.rate(),
        plain.rate(),
        worker.rate() / plain.rate(),
        store_only.rate(),
    );
    println!(
        "{:<10} this process: worker {}; plain loop {}; worker answered at once {}",
        "",
        worker.cpu_use(),
        plain.cpu_use(),
        store_only.cpu_use(),
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once as a smoke test.
    if std::env::args().any(|a| a == "--test") || !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("{N} deliveries to a local receiver, {CONCURRENCY} in flight, best of {ROUNDS} runs");
    for (label, backend) in [
        ("SQLite", Backend::Sqlite),
        ("PostgreSQL", Backend::Postgres),
    ] {
        if backend == Backend::Postgres && std::env::var(POSTGRES_URL).is_err() {
            println!("PostgreSQL skipped: set {}", POSTGRES_URL);
            continue;
        }
        let database = TestDatabase::create(backend, "eventgen_bench_delivery")
            .await
            .expect("a database");
        let store = database.store(support::database::config()).await;
        support::database::migrate(&store).await;
        measure(label, store.clone()).await;
        store.close().await;
        database.drop().await;
    }
}
