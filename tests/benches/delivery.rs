//! Delivery throughput: `N` deliveries recorded through the store, delivered to a local
//! receiver by the `Worker` with the `HttpDeliverer` (claims, signed requests, completions
//! and the attempt log), against a plain reqwest loop posting the same bodies, signed, at
//! the same concurrency, in the same run; on SQLite and (when
//! `EVENTGEN_TEST_POSTGRES_URL` is set) PostgreSQL. Prints deliveries per second and the
//! worker's share of the plain loop. It also runs the worker with a deliverer that
//! answers at once, without HTTP, against the store's floor: the same claims and
//! completions (attempt log included) issued back to back by one task, claims of the
//! worker's batch size, each completed at once, with no worker around them. And the
//! reference's own delivery loop, in the style of its Celery task: one delivery at a time
//! (claim it, post it, complete it), a commit per delivery, over the same HTTP.
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
use event_outbox::store::{Completion, NewWebhook, Scope, Store};
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
/// Deliveries of the reference-style loop (one at a time: a few seconds' worth).
const REFERENCE_N: usize = 1_000;
const LEASE: Duration = Duration::from_secs(60);

/// Records `n` fresh events (one delivery each) in batches; returns the webhook bodies
/// the worker will send, for the plain loop to send too.
async fn record(store: &Store, subscriber: (event_runtime::Uuid, &str), n: usize) -> Vec<String> {
    let events: Vec<ProjectOneOffJobPipelineRunFailed> = (0..n)
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

/// How long a run took, and the CPU time this process and the PostgreSQL server's
/// processes spent meanwhile.
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    cpu: Option<Duration>,
    server_cpu: Option<Duration>,
}

impl Run {
    const NONE: Run = Run {
        wall: Duration::MAX,
        cpu: None,
        server_cpu: None,
    };

    /// The faster of two runs.
    fn best(self, other: Run) -> Run {
        if other.wall < self.wall { other } else { self }
    }

    fn rate(self) -> f64 {
        self.rate_of(N)
    }

    fn rate_of(self, n: usize) -> f64 {
        n as f64 / self.wall.as_secs_f64()
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

    /// `"<µs> µs"` of the PostgreSQL server's CPU per delivery, when it is known.
    fn server_cpu_use(self) -> String {
        match self.server_cpu {
            Some(cpu) => format!("{:>4.0} µs", cpu.as_secs_f64() * 1e6 / N as f64),
            None => "unknown".to_owned(),
        }
    }
}

/// Times a run: its wall time and this process's CPU time.
struct Stopwatch {
    start: Instant,
    cpu: Option<Duration>,
    server_cpu: Option<Duration>,
}

impl Stopwatch {
    fn start() -> Stopwatch {
        Stopwatch {
            start: Instant::now(),
            cpu: process_cpu(),
            server_cpu: postgres_server_cpu(),
        }
    }

    fn stop(self) -> Run {
        let spent = |before: Option<Duration>, after: Option<Duration>| {
            before.zip(after).map(|(b, a)| a.saturating_sub(b))
        };
        Run {
            wall: self.start.elapsed(),
            cpu: spent(self.cpu, process_cpu()),
            server_cpu: spent(self.server_cpu, postgres_server_cpu()),
        }
    }
}

/// The CPU time of the local PostgreSQL server's processes (Linux: every `postgres`
/// process in `/proc`, user and system). The pool's connections live through a run, so
/// their backends' time is all counted.
#[cfg(target_os = "linux")]
fn postgres_server_cpu() -> Option<Duration> {
    let ticks = rustix::param::clock_ticks_per_second();
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ...`: the fields after the command's closing parenthesis.
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        if !head.ends_with("(postgres") {
            continue;
        }
        let fields: Vec<&str> = rest.split(' ').collect();
        // utime and stime: fields 14 and 15 of the line, 12 and 13 after the command.
        let time = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        total += time(11).unwrap_or(0) + time(12).unwrap_or(0);
    }
    Some(Duration::from_secs_f64(total as f64 / ticks as f64))
}

#[cfg(not(target_os = "linux"))]
fn postgres_server_cpu() -> Option<Duration> {
    None
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

fn delivered() -> Attempt {
    Attempt {
        outcome: Outcome::Delivered,
        status: Some(200),
        duration: Duration::ZERO,
        detail: String::new(),
    }
}

/// The store's floor: claims of the worker's batch size, each completed at once as
/// delivered, back to back, until the outbox is empty.
async fn store_floor(store: &Store) -> Run {
    let batch = WorkerConfig::default().batch_size;
    let stopwatch = Stopwatch::start();
    let mut completed = 0;
    while completed < N {
        let claim = store.claim("floor", batch, LEASE).await.expect("claim");
        assert!(!claim.deliveries.is_empty(), "deliveries left to claim");
        let completions: Vec<Completion> = claim
            .deliveries
            .iter()
            .map(|d| Completion::new(d, &claim.lease.token, delivered()))
            .collect();
        completed += store.complete(&completions).await.expect("complete");
    }
    let run = stopwatch.stop();
    assert_eq!(store.outbox_counts().await.expect("counts").pending, 0);
    run
}

/// The reference's delivery loop: one delivery at a time, claimed, posted and completed
/// (a commit each), until `n` were delivered.
async fn reference_loop(store: &Store, url: &str, secret: &Secret, n: usize) -> Run {
    let client = reqwest::Client::new();
    let stopwatch = Stopwatch::start();
    for _ in 0..n {
        let claim = store.claim("reference", 1, LEASE).await.expect("claim");
        let delivery = claim.deliveries.first().expect("a delivery left");
        let body = format!(
            r#"{{"delivered_for":{{"uuid":"{}","name":"bench"}},"event":{}}}"#,
            delivery.target.uuid, delivery.payload
        );
        post_signed(&client, url, secret, &delivery.uuid.to_string(), body).await;
        let completion = Completion::new(delivery, &claim.lease.token, delivered());
        assert_eq!(store.complete(&[completion]).await.expect("complete"), 1);
    }
    stopwatch.stop()
}

/// Posts `body`, signed, and reads the answer, which must be a success.
async fn post_signed(client: &reqwest::Client, url: &str, secret: &Secret, id: &str, body: String) {
    let timestamp = event_runtime::now().timestamp();
    let signature = event_outbox::webhook::sign(secret, id, timestamp, body.as_bytes());
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp)
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success());
    response.bytes().await.expect("read");
}

/// Answers every webhook at once, without sending it.
#[derive(Default)]
struct AnswersAtOnce {
    sent: AtomicUsize,
}

impl Deliverer for AnswersAtOnce {
    async fn webhook(&self, _: WebhookRequest<'_>) -> Attempt {
        self.sent.fetch_add(1, Ordering::Relaxed);
        delivered()
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
                    post_signed(&client, &url, &secret, &format!("msg_{i}"), body.clone()).await;
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
    let (mut worker, mut plain) = (Run::NONE, Run::NONE);
    let (mut store_only, mut floor) = (Run::NONE, Run::NONE);
    for _ in 0..ROUNDS {
        let bodies = record(&store, (subscriber, "bench"), N).await;
        receiver.clear();
        let deliverer =
            support::http_deliverer(support::loopback_only(), Duration::from_secs(30), None);
        worker = worker.best(through_worker(&store, deliverer, || receiver.count()).await);
        assert_eq!(receiver.count(), N, "the worker delivered all");
        receiver.clear();
        plain = plain.best(plain_loop(&url, &created.secret, Arc::new(bodies)).await);
        assert_eq!(receiver.count(), N, "the loop posted all");

        record(&store, (subscriber, "bench"), N).await;
        let at_once = Arc::new(AnswersAtOnce::default());
        let sent = || at_once.sent.load(Ordering::Relaxed);
        store_only = store_only.best(through_worker(&store, Arc::clone(&at_once), sent).await);

        record(&store, (subscriber, "bench"), N).await;
        floor = floor.best(store_floor(&store).await);
    }
    record(&store, (subscriber, "bench"), REFERENCE_N).await;
    receiver.clear();
    let reference = reference_loop(&store, &url, &created.secret, REFERENCE_N).await;
    assert_eq!(
        receiver.count(),
        REFERENCE_N,
        "the reference loop posted all"
    );
    println!(
        "{label:<10} store floor {:>7.0} deliveries/s, worker answered at once {:>7.0} deliveries/s, worker/floor {:.2}",
        floor.rate(),
        store_only.rate(),
        store_only.rate() / floor.rate(),
    );
    println!(
        "{label:<10} worker {:>7.0} deliveries/s, plain reqwest loop {:>7.0} requests/s, worker/plain {:.2}",
        worker.rate(),
        plain.rate(),
        worker.rate() / plain.rate(),
    );
    println!(
        "{label:<10} reference-style loop (one at a time, a commit each) {:>7.0} deliveries/s, worker/reference {:.1}",
        reference.rate_of(REFERENCE_N),
        worker.rate() / reference.rate_of(REFERENCE_N),
    );
    println!(
        "{:<10} this process: store floor {}; worker answered at once {}",
        "",
        floor.cpu_use(),
        store_only.cpu_use(),
    );
    println!(
        "{:<10} this process: worker {}; plain loop {}",
        "",
        worker.cpu_use(),
        plain.cpu_use(),
    );
    if store.postgres_pool().is_some() {
        println!(
            "{:<10} the PostgreSQL server: store floor {}, worker answered at once {}, worker {} CPU per delivery",
            "",
            floor.server_cpu_use(),
            store_only.server_cpu_use(),
            worker.server_cpu_use(),
        );
    }
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
