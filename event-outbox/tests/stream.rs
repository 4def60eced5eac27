//! Stream subscribers (NATS JetStream). Without a server: creating them and their checks,
//! the payload recorded for each, and a deliverer that does not publish refusing them.
//! Against the real server at `EVENTGEN_TEST_NATS_URL` (skipped without it, except on
//! CI): every delivery reaches the stream once with its subject, headers and payload; a
//! worker killed between the publish and the completion leaves no duplicate once another
//! worker sends again; a server that is down makes deliveries retry, not die; the stream
//! is created with the configured retention and duplicate window.
//!
//! Each test uses a stream and a subject prefix of its own, and deletes the stream.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, pull};
use common::{Backend, TestEvent, count, eventually};
use event_outbox::delivery::{AnalyticsMessage, Deliverer, StreamMessage, WebhookRequest};
use event_outbox::store::{
    NewStream, RetrySchedule, Scope, Store, StoreConfig, SubscriberKind, WebhookUpdate,
};
use event_outbox::stream::{Retention, StreamConfig, StreamPayload, StreamPublisher};
use event_outbox::webhook::{WebhookConfig, WebhookSender};
use event_outbox::worker::{HttpDeliverer, Worker, WorkerConfig};
use event_outbox::{Attempt, Outcome};
use event_runtime::{
    ColumnValue, Recorder as _, StoredEvent, TelemetryEvent, TelemetryKey, Timestamp,
};
use futures_util::StreamExt as _;
use uuid::Uuid;

/// The event type of these tests: four layers.
const EVENT_TYPE: &str = "project:one-off-job:pipeline-run:failed";
/// The version its payloads carry.
const VERSION: u64 = 3;

/// A test event of [`EVENT_TYPE`] whose payloads carry a `version`, as generated ones do.
struct Versioned(TestEvent);

impl Versioned {
    fn new() -> Self {
        Versioned(TestEvent::new(EVENT_TYPE, Uuid::new_v4(), None))
    }
}

impl TelemetryEvent for Versioned {
    fn event_type(&self) -> &'static str {
        self.0.event_type
    }

    fn uuid(&self) -> Uuid {
        self.0.uuid
    }

    fn timestamp(&self) -> Timestamp {
        self.0.timestamp
    }

    fn telemetry_json(&self, key: &TelemetryKey) -> event_runtime::Result<String> {
        let mut value: serde_json::Value =
            serde_json::from_str(&self.0.telemetry_json(key)?).expect("JSON");
        value["event_properties"]["version"] = VERSION.into();
        Ok(value.to_string())
    }
}

impl StoredEvent for Versioned {
    fn columns(&self) -> event_runtime::Result<Vec<(&'static str, ColumnValue<'_>)>> {
        self.0.columns()
    }

    fn scopes(&self) -> Vec<(&'static str, String)> {
        self.0.scopes()
    }

    fn notification_json(&self) -> event_runtime::Result<String> {
        let mut value: serde_json::Value =
            serde_json::from_str(&self.0.notification_json()?).expect("JSON");
        value["version"] = VERSION.into();
        Ok(value.to_string())
    }
}

/// A stream subscriber subscribed to [`EVENT_TYPE`] (added to the catalog if needed).
async fn stream_subscriber(store: &Store, new: NewStream) -> Uuid {
    common::execute(
        store,
        &store.tables().render(&format!(
            r#"INSERT INTO {{event_types}} ("name") VALUES ('{EVENT_TYPE}') ON CONFLICT DO NOTHING"#
        )),
    )
    .await;
    let stream = store.create_stream(new).await.expect("create a stream");
    store
        .subscribe(stream.uuid, EVENT_TYPE, Scope::global())
        .await
        .expect("subscribe");
    stream.uuid
}

/// Records `n` events of [`EVENT_TYPE`] in one transaction.
async fn record(store: &Store, n: usize) {
    let mut tx = store.begin().await.expect("begin");
    for _ in 0..n {
        tx.record(&Versioned::new()).await.expect("record");
    }
    tx.commit().await.expect("commit");
}

/// The pending deliveries of `subscriber`: uuid → payload.
async fn pending(store: &Store, subscriber: Uuid) -> BTreeMap<String, String> {
    let sql = format!(
        r#"SELECT CAST("uuid" AS TEXT), "payload" FROM "eventgen_deliveries"
           WHERE "subscriber_uuid" = '{subscriber}' AND "status" = 'pending'"#
    );
    let sql = sqlx::AssertSqlSafe(sql);
    let rows: Vec<(String, String)> = match (store.sqlite_pool(), store.postgres_pool()) {
        (Some(pool), _) => sqlx::query_as(sql).fetch_all(pool).await,
        (_, Some(pool)) => sqlx::query_as(sql).fetch_all(pool).await,
        _ => unreachable!("a store has a pool"),
    }
    .expect("read the deliveries");
    rows.into_iter().collect()
}

/// Waits until every delivery was delivered; fails with their last errors after 20 s.
async fn wait_until_empty(store: &Store) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while count(store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await > 0 {
        if tokio::time::Instant::now() > deadline {
            let sql = sqlx::AssertSqlSafe(
                r#"SELECT "outcome" || ': ' || "detail" FROM "eventgen_delivery_attempts" ORDER BY "id""#
                    .to_owned(),
            );
            let errors: Vec<String> = match (store.sqlite_pool(), store.postgres_pool()) {
                (Some(pool), _) => sqlx::query_scalar(sql).fetch_all(pool).await,
                (_, Some(pool)) => sqlx::query_scalar(sql).fetch_all(pool).await,
                _ => unreachable!("a store has a pool"),
            }
            .expect("read the deliveries");
            panic!("deliveries still pending after 20 s; the attempts: {errors:#?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("JSON")
}

/// Telemetry on, and retries 100 ms apart, without jitter.
fn store_config() -> StoreConfig {
    common::config().retry(
        RetrySchedule::new(vec![Duration::from_millis(100); 20])
            .and_then(|s| s.jitter(0.0))
            .expect("a valid schedule"),
    )
}

fn worker_config(name: &str) -> WorkerConfig {
    WorkerConfig::default()
        .name(name)
        .poll_interval(Duration::from_millis(50))
        .lease(Duration::from_secs(2))
        .send_timeout(Duration::from_secs(1))
        .shutdown_grace(Duration::from_secs(2))
}

// Without a server.

both!(
    stream_subscribers_are_checked_and_listed,
    |store: Store| async move {
        for (new, expected) in [
            (
                NewStream::new("s", "http://127.0.0.1:4222"),
                "NATS server URL",
            ),
            (NewStream::new("s", "nats://"), "NATS server URL"),
            (
                NewStream::new("s", "nats://127.0.0.1:4222").subject_prefix("a b"),
                "whitespace",
            ),
            (
                NewStream::new("s", "nats://127.0.0.1:4222").subject_prefix("a.*"),
                "wildcard",
            ),
            (
                NewStream::new("s", "nats://127.0.0.1:4222").subject_prefix("a..b"),
                "empty",
            ),
            (
                NewStream::new("s", "nats://127.0.0.1:4222").subject_prefix(""),
                "empty",
            ),
        ] {
            let error = store.create_stream(new).await.expect_err("refused");
            assert!(error.to_string().contains(expected), "{error}");
        }
        assert!(store.subscribers().await.expect("list").is_empty());

        let created = store
            .create_stream(
                NewStream::new("bus", "nats://127.0.0.1:4222")
                    .subject_prefix("acme.events")
                    .payload(StreamPayload::Telemetry),
            )
            .await
            .expect("create");
        assert_eq!(created.kind, SubscriberKind::Stream);
        assert_eq!(created.url.as_deref(), Some("nats://127.0.0.1:4222"));
        let settings = created.stream.clone().expect("stream settings");
        assert_eq!(settings.prefix(), "acme.events");
        assert_eq!(settings.payload, StreamPayload::Telemetry);
        let listed = store.subscribers().await.expect("list");
        assert_eq!(listed, std::slice::from_ref(&created));

        let default = store
            .create_stream(NewStream::new("default", "tls://nats.example:4222"))
            .await
            .expect("create");
        let settings = default.stream.expect("stream settings");
        assert_eq!(settings.prefix(), "events");
        assert_eq!(settings.payload, StreamPayload::Notification);

        // A stream's URL changes to another NATS URL, never to an HTTP one.
        let update = |url: &str| WebhookUpdate {
            url: Some(url.to_owned()),
            ..WebhookUpdate::default()
        };
        let error = store
            .update_subscriber(created.uuid, update("https://hook.example/"))
            .await
            .expect_err("refused");
        assert!(error.to_string().contains("NATS server URL"), "{error}");
        let updated = store
            .update_subscriber(created.uuid, update("nats://10.0.0.1:4222"))
            .await
            .expect("updated");
        assert_eq!(updated.url.as_deref(), Some("nats://10.0.0.1:4222"));
    },
    store_config()
);

both!(
    each_stream_records_the_payload_it_asks_for,
    |store: Store| async move {
        let notification = stream_subscriber(
            &store,
            NewStream::new("n", "nats://127.0.0.1:4222").subject_prefix("n"),
        )
        .await;
        let telemetry = stream_subscriber(
            &store,
            NewStream::new("t", "nats://127.0.0.1:4222")
                .subject_prefix("t")
                .payload(StreamPayload::Telemetry),
        )
        .await;
        record(&store, 2).await;
        let notifications = pending(&store, notification).await;
        let telemetries = pending(&store, telemetry).await;
        assert_eq!((notifications.len(), telemetries.len()), (2, 2));
        for payload in notifications.values() {
            let payload = json(payload);
            assert_eq!(payload["type"], EVENT_TYPE);
            assert_eq!(payload["version"], VERSION);
            assert!(payload.get("event_properties").is_none());
        }
        for payload in telemetries.values() {
            let payload = json(payload);
            assert_eq!(payload["event_properties"]["version"], VERSION);
            assert!(payload.get("type").is_none());
        }
    },
    store_config()
);

/// Streams of telemetry get nothing while telemetry is off; streams of notifications do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telemetry_streams_are_recorded_only_with_telemetry() {
    common::with_store(
        Backend::Sqlite,
        StoreConfig::default(),
        |store| async move {
            let notification =
                stream_subscriber(&store, NewStream::new("n", "nats://h:4222")).await;
            let telemetry = stream_subscriber(
                &store,
                NewStream::new("t", "nats://h:4222").payload(StreamPayload::Telemetry),
            )
            .await;
            record(&store, 1).await;
            assert_eq!(pending(&store, notification).await.len(), 1);
            assert!(pending(&store, telemetry).await.is_empty());
        },
    )
    .await;
}

both!(
    a_deliverer_that_does_not_publish_refuses_stream_deliveries,
    |store: Store| async move {
        let stream = stream_subscriber(&store, NewStream::new("s", "nats://127.0.0.1:4222")).await;
        record(&store, 1).await;
        // The tests' fake implements webhooks and analytics only.
        let deliverer = common::deliverer();
        let handle = Worker::new(store.clone(), Arc::clone(&deliverer))
            .config(worker_config("w"))
            .expect("a valid worker configuration")
            .spawn();
        eventually(Duration::from_secs(10), "a dead delivery", || {
            let store = store.clone();
            async move { store.outbox_counts().await.expect("counts").dead == 1 }
        })
        .await;
        handle.shutdown().await.expect("shut down");
        assert_eq!(deliverer.received_total(), 0);
        let dead = store
            .dead_deliveries(Some(stream), 10)
            .await
            .expect("dead deliveries");
        let error = dead[0].last_error.as_deref().unwrap_or_default();
        assert!(error.contains("does not publish to streams"), "{error}");
    },
    store_config()
);

// Against the server.

/// A test against NATS: `both_nats!(name, scenario)` runs `scenario(store, url)` on
/// SQLite and PostgreSQL, when `EVENTGEN_TEST_NATS_URL` is set (on CI it must be).
macro_rules! both_nats {
    ($name:ident, $scenario:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some(url) = test_support::nats_url() else {
                    return;
                };
                common::with_store(Backend::Sqlite, store_config(), move |store| {
                    $scenario(store, url)
                })
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(url) = test_support::nats_url() else {
                    return;
                };
                common::with_store(Backend::Postgres, store_config(), move |store| {
                    $scenario(store, url)
                })
                .await;
            }
        }
    };
}

/// A name no other test of this run or another uses: letters, digits and `_`.
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}_{n}_{}", std::process::id(), &random[..8])
}

/// A publisher creating the test's stream (in memory, kept a minute).
fn publisher(stream: &str) -> StreamPublisher {
    StreamPublisher::new(
        StreamConfig::default()
            .name(stream)
            .memory_storage(true)
            .retention(Retention::Limits {
                max_age: Some(Duration::from_secs(300)),
            })
            .connect_timeout(Duration::from_millis(500))
            .ack_timeout(Duration::from_millis(800)),
    )
    .expect("a valid stream configuration")
}

/// A deployment's deliverer, publishing streams through `publisher`.
fn deliverer(publisher: StreamPublisher) -> Arc<HttpDeliverer> {
    let webhooks = WebhookSender::new(WebhookConfig::default()).expect("a webhook sender");
    Arc::new(HttpDeliverer::new(webhooks, None).with_streams(publisher))
}

/// One message as a consumer reads it.
#[derive(Debug)]
struct Read {
    subject: String,
    headers: BTreeMap<String, String>,
    payload: String,
}

/// Every message of `stream`, read by a new pull consumer, and acknowledged.
async fn read_stream(url: &str, stream: &str) -> Vec<Read> {
    let client = async_nats::connect(url).await.expect("connect to NATS");
    let jetstream = async_nats::jetstream::new(client);
    let stream = jetstream.get_stream(stream).await.expect("the stream");
    let consumer = stream
        .create_consumer(pull::Config {
            ack_policy: AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .expect("a pull consumer");
    let mut messages = consumer
        .batch()
        .max_messages(1000)
        .expires(Duration::from_millis(1500))
        .messages()
        .await
        .expect("a batch");
    let mut read = Vec::new();
    while let Some(message) = messages.next().await {
        let message = message.expect("a message");
        let headers = message
            .message
            .headers
            .iter()
            .flat_map(|headers| headers.iter())
            .map(|(name, values)| {
                let value = values.first().map(|v| v.as_str().to_owned());
                (name.to_string(), value.unwrap_or_default())
            })
            .collect();
        read.push(Read {
            subject: message.message.subject.to_string(),
            headers,
            payload: String::from_utf8(message.message.payload.to_vec()).expect("UTF-8"),
        });
        message.ack().await.expect("ack");
    }
    read
}

async fn delete_stream(url: &str, stream: &str) {
    let client = async_nats::connect(url).await.expect("connect to NATS");
    let jetstream = async_nats::jetstream::new(client);
    jetstream
        .delete_stream(stream)
        .await
        .expect("delete the test stream");
}

/// Checks that `read` holds each of `expected` (delivery uuid → payload) once, under
/// `prefix`, with its headers.
fn check_once(
    read: &[Read],
    prefix: &str,
    kind: StreamPayload,
    expected: &BTreeMap<String, String>,
) {
    let subject = format!("{prefix}.project.one-off-job.pipeline-run.failed");
    let mine: Vec<&Read> = read.iter().filter(|r| r.subject == subject).collect();
    let ids: BTreeSet<&str> = mine
        .iter()
        .map(|r| r.headers.get("Nats-Msg-Id").map_or("", String::as_str))
        .collect();
    assert_eq!(
        mine.len(),
        expected.len(),
        "one message per delivery on {subject}"
    );
    assert_eq!(
        ids,
        expected.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        "the message ids are the delivery uuids"
    );
    for message in mine {
        let id = &message.headers["Nats-Msg-Id"];
        assert_eq!(
            json(&message.payload),
            json(&expected[id]),
            "the stored payload"
        );
        assert_eq!(message.headers["Event-Type"], EVENT_TYPE);
        assert_eq!(message.headers["Event-Version"], VERSION.to_string());
        assert_eq!(message.headers["Event-Payload"], kind.as_str());
        assert!(message.headers.contains_key("Event-Timestamp"));
    }
}

both_nats!(
    every_delivery_reaches_the_stream_once,
    |store: Store, url: String| async move {
        let (stream, prefix) = (unique("EVENTS"), unique("ev"));
        let telemetry_prefix = unique("an");
        let notifications = stream_subscriber(
            &store,
            NewStream::new("notifications", &url).subject_prefix(&prefix),
        )
        .await;
        // A second prefix on the same server: the stream gets its subjects too, added to
        // those it was created with.
        let telemetry = stream_subscriber(
            &store,
            NewStream::new("telemetry", &url)
                .subject_prefix(&telemetry_prefix)
                .payload(StreamPayload::Telemetry),
        )
        .await;
        record(&store, 5).await;
        let expected_notifications = pending(&store, notifications).await;
        let expected_telemetry = pending(&store, telemetry).await;
        assert_eq!(expected_notifications.len(), 5);
        assert_eq!(expected_telemetry.len(), 5);

        let handle = Worker::new(store.clone(), deliverer(publisher(&stream)))
            .config(worker_config("w"))
            .expect("a valid worker configuration")
            .spawn();
        wait_until_empty(&store).await;
        handle.shutdown().await.expect("shut down");

        let read = read_stream(&url, &stream).await;
        delete_stream(&url, &stream).await;
        assert_eq!(read.len(), 10, "{read:#?}");
        check_once(
            &read,
            &prefix,
            StreamPayload::Notification,
            &expected_notifications,
        );
        check_once(
            &read,
            &telemetry_prefix,
            StreamPayload::Telemetry,
            &expected_telemetry,
        );
        let delivery = expected_notifications.keys().next().expect("a delivery");
        let attempts = store
            .attempts(Uuid::parse_str(delivery).expect("a uuid"))
            .await
            .expect("attempts");
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].outcome, "delivered");
        assert!(
            attempts[0].detail.contains(&stream),
            "{}",
            attempts[0].detail
        );
    }
);

/// Publishes through a real publisher, then never returns once the stream acknowledged:
/// a worker that dies after the publish and before recording it. A publish that failed
/// is reported as it is (and tried again).
struct PublishThenHang {
    inner: Arc<HttpDeliverer>,
    published: AtomicUsize,
}

impl Deliverer for PublishThenHang {
    async fn webhook(&self, request: WebhookRequest<'_>) -> Attempt {
        self.inner.webhook(request).await
    }

    async fn analytics(&self, batch: &[AnalyticsMessage<'_>]) -> Attempt {
        self.inner.analytics(batch).await
    }

    async fn stream(&self, message: StreamMessage<'_>) -> Attempt {
        let attempt = self.inner.stream(message).await;
        if attempt.outcome != Outcome::Delivered {
            return attempt;
        }
        self.published.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }
}

both_nats!(
    a_worker_killed_between_publish_and_completion_leaves_no_duplicate,
    |store: Store, url: String| async move {
        let (stream, prefix) = (unique("EVENTS"), unique("ev"));
        let subscriber =
            stream_subscriber(&store, NewStream::new("s", &url).subject_prefix(&prefix)).await;
        record(&store, 4).await;
        let expected = pending(&store, subscriber).await;

        let hanging = Arc::new(PublishThenHang {
            inner: deliverer(publisher(&stream)),
            published: AtomicUsize::new(0),
        });
        // A send bound well above the time the four publishes take, so that none is cut
        // (and recorded) before the worker is killed.
        let doomed = worker_config("doomed")
            .lease(Duration::from_secs(6))
            .send_timeout(Duration::from_secs(3));
        let worker = Worker::new(store.clone(), Arc::clone(&hanging))
            .config(doomed)
            .expect("a valid worker configuration");
        let task = tokio::spawn(worker.run(std::future::pending()));
        eventually(Duration::from_secs(10), "4 publishes", || {
            let hanging = Arc::clone(&hanging);
            async move { hanging.published.load(Ordering::SeqCst) == 4 }
        })
        .await;
        // Killed: nothing is given back nor recorded; the leases have to expire.
        task.abort();
        let _ = task.await;
        assert_eq!(
            pending(&store, subscriber).await.len(),
            4,
            "still to deliver"
        );

        let handle = Worker::new(store.clone(), deliverer(publisher(&stream)))
            .config(worker_config("survivor"))
            .expect("a valid worker configuration")
            .spawn();
        wait_until_empty(&store).await;
        handle.shutdown().await.expect("shut down");

        let read = read_stream(&url, &stream).await;
        delete_stream(&url, &stream).await;
        assert_eq!(read.len(), 4, "{read:#?}");
        check_once(&read, &prefix, StreamPayload::Notification, &expected);
        // Each was published twice: the second time JetStream dropped it.
        for delivery in expected.keys() {
            let attempts = store
                .attempts(Uuid::parse_str(delivery).expect("a uuid"))
                .await
                .expect("attempts");
            let last = attempts.last().expect("an attempt");
            assert_eq!((last.attempt, last.outcome.as_str()), (2, "delivered"));
            assert!(last.detail.contains("duplicate"), "{}", last.detail);
        }
    }
);

both_nats!(
    a_server_that_is_down_makes_deliveries_retry,
    |store: Store, url: String| async move {
        // A port nothing listens on.
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().expect("its address").port()
        };
        let (stream, prefix) = (unique("EVENTS"), unique("ev"));
        let subscriber = stream_subscriber(
            &store,
            NewStream::new("s", format!("nats://127.0.0.1:{closed}")).subject_prefix(&prefix),
        )
        .await;
        record(&store, 3).await;
        let expected = pending(&store, subscriber).await;

        let handle = Worker::new(store.clone(), deliverer(publisher(&stream)))
            .config(worker_config("w"))
            .expect("a valid worker configuration")
            .spawn();
        eventually(Duration::from_secs(20), "two attempts each", || {
            let store = store.clone();
            async move {
                count(
                    &store,
                    r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "attempts" >= 2"#,
                )
                .await
                    == 3
            }
        })
        .await;
        let counts = store.outbox_counts().await.expect("counts");
        assert_eq!((counts.pending, counts.dead), (3, 0), "retried, not dead");
        for delivery in expected.keys() {
            let attempts = store
                .attempts(Uuid::parse_str(delivery).expect("a uuid"))
                .await
                .expect("attempts");
            assert!(!attempts.is_empty());
            for attempt in &attempts {
                assert_eq!(attempt.outcome, "retry");
                assert!(
                    attempt.detail.contains("cannot connect to NATS"),
                    "{}",
                    attempt.detail
                );
            }
        }

        // Pointed at the running server, the same deliveries go through, once each.
        store
            .update_subscriber(
                subscriber,
                WebhookUpdate {
                    url: Some(url.clone()),
                    ..WebhookUpdate::default()
                },
            )
            .await
            .expect("the server's URL");
        wait_until_empty(&store).await;
        handle.shutdown().await.expect("shut down");
        let read = read_stream(&url, &stream).await;
        delete_stream(&url, &stream).await;
        check_once(&read, &prefix, StreamPayload::Notification, &expected);
    }
);

/// The publisher alone: the stream it creates has the configured retention, duplicate
/// window and subjects, and a message published twice with one id is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_created_as_configured_and_drops_a_repeated_id() {
    let Some(url) = test_support::nats_url() else {
        return;
    };
    let (stream, prefix) = (unique("EVENTS"), unique("ev"));
    let publisher = StreamPublisher::new(
        StreamConfig::default()
            .name(&stream)
            .memory_storage(true)
            .retention(Retention::WorkQueue)
            .duplicate_window(Duration::from_secs(42)),
    )
    .expect("a valid stream configuration");
    let subject = event_outbox::stream::subject(Some(&prefix), EVENT_TYPE).expect("a subject");
    let message = StreamMessage {
        url: &url,
        subject_prefix: &prefix,
        subject: &subject,
        message_id: "0192b5c4-0000-7000-8000-000000000001",
        event_type: EVENT_TYPE,
        timestamp: event_runtime::now(),
        payload_kind: StreamPayload::Notification,
        version: Some(VERSION),
        payload: r#"{"type":"project:one-off-job:pipeline-run:failed","version":3}"#,
    };
    let first = publisher.publish(&message).await;
    let second = publisher.publish(&message).await;

    let client = async_nats::connect(&url).await.expect("connect to NATS");
    let jetstream = async_nats::jetstream::new(client);
    let mut created = jetstream.get_stream(&stream).await.expect("the stream");
    let info = created.info().await.expect("its info").clone();
    delete_stream(&url, &stream).await;

    assert_eq!(first.outcome, Outcome::Delivered, "{}", first.detail);
    assert!(!first.detail.contains("duplicate"), "{}", first.detail);
    assert_eq!(second.outcome, Outcome::Delivered, "{}", second.detail);
    assert!(second.detail.contains("duplicate"), "{}", second.detail);
    assert_eq!(info.state.messages, 1);
    assert_eq!(
        info.config.retention,
        async_nats::jetstream::stream::RetentionPolicy::WorkQueue
    );
    assert_eq!(info.config.duplicate_window, Duration::from_secs(42));
    assert_eq!(info.config.subjects, [format!("{prefix}.>")]);
}
