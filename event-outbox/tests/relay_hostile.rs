//! `POST /analytics` against hostile clients, over real sockets on 127.0.0.1: names built
//! to make the suggestion expensive, bodies too large or too slow, bursts over the rate
//! and in-flight limits, a backend that never answers, hostile limits; and accepted
//! events recorded in the outbox rather than sent inside the request.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use event_outbox::analytics_sink::{AnalyticsConfig, AnalyticsSender};
use event_outbox::relay::{
    AnalyticsQueue, ClientEventSpec, Destination, QueueConfig, Relay, RelayLimits, router,
};
use event_outbox::store::{Store, StoreConfig, SubscriberKind};
use event_outbox::webhook::{WebhookConfig, WebhookSender};
use event_outbox::worker::{HttpDeliverer, Worker};
use event_runtime::{TelemetryEvent, TelemetryKey, Timestamp};
use serde_json::{Value, json};
use test_support::Backend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct AlertShown {
    properties: Value,
}

impl TelemetryEvent for AlertShown {
    fn event_type(&self) -> &'static str {
        "alert:shown"
    }
    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::now_v7()
    }
    fn timestamp(&self) -> Timestamp {
        event_runtime::now()
    }
    fn telemetry_json(&self, _: &TelemetryKey) -> event_runtime::Result<String> {
        Ok(self.properties.to_string())
    }
}

fn parse_alert(properties: Value) -> Result<Box<dyn TelemetryEvent + Send>, serde_json::Error> {
    Ok(Box::new(AlertShown { properties }))
}

static CLIENT_EVENTS: &[ClientEventSpec] = &[ClientEventSpec {
    event_type: "alert:shown",
    properties_schema: r#"{"type": "object"}"#,
    parse: parse_alert,
}];

static ALL_EVENT_TYPES: &[&str] = &["alert:shown", "project:created"];

const VALID: &str =
    r#"{"event": "alert:shown", "properties": {"event_properties": {"kind": "error"}}}"#;

/// Serves the relay router on 127.0.0.1; returns its address.
async fn serve(destination: Destination, limits: RelayLimits) -> SocketAddr {
    let relay = Relay::new(CLIENT_EVENTS, ALL_EVENT_TYPES).unwrap();
    let app = router(relay, destination, limits).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// An answer: its status, `Retry-After` and JSON body (`null` when empty).
#[derive(Debug)]
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

async fn post(address: SocketAddr, body: impl Into<reqwest::Body>) -> Answer {
    let send = reqwest::Client::new()
        .post(format!("http://{address}/analytics"))
        .header("content-type", "application/json")
        .body(body)
        .send();
    // A guard against hanging forever, not a measure: the answers come at once.
    let response = tokio::time::timeout(Duration::from_secs(60), send)
        .await
        .expect("the relay answers without waiting for the backend")
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        body,
    }
}

/// A request whose head and first body bytes are sent, the rest held back.
async fn start_slow_request(address: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /analytics HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        VALID.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&VALID.as_bytes()[..10]).await.unwrap();
    stream
}

/// The status line of the answer to a raw request.
async fn status_line(stream: &mut TcpStream) -> String {
    let mut answer = vec![0; 4096];
    // A guard against hanging forever, not a measure.
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_60000_character_name_is_refused_without_a_suggestion() {
    let address = serve(Destination::Disabled, RelayLimits::default()).await;
    for name in ["alert:shown".repeat(5_455), "x".repeat(60_000)] {
        let body = json!({ "event": name, "properties": {} }).to_string();
        let answer = post(address, body).await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body["code"], "event_too_long", "{:?}", answer.body);
        assert_eq!(answer.body.get("suggestion"), None);
        assert!(answer.body.to_string().len() < 200, "{:?}", answer.body);
    }
}

#[tokio::test]
async fn oversized_bodies_get_413_as_json() {
    let limits = RelayLimits {
        max_body: 1024,
        ..RelayLimits::default()
    };
    let address = serve(Destination::Disabled, limits).await;
    let padded = json!({ "event": "alert:shown", "properties": { "pad": "x".repeat(2_000) } });
    let answer = post(address, padded.to_string()).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.body["code"], "body_too_large", "{:?}", answer.body);

    // Announced by no length: chunks, refused once past the limit.
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /analytics HTTP/1.1\r\nhost: {address}\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
    for _ in 0..4 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    assert!(status_line(&mut stream).await.starts_with("HTTP/1.1 413"));
}

#[tokio::test]
async fn a_body_too_slow_gets_408() {
    let limits = RelayLimits {
        body_timeout: Duration::from_millis(100),
        ..RelayLimits::default()
    };
    let address = serve(Destination::Disabled, limits).await;
    let mut stream = start_slow_request(address).await;
    assert!(status_line(&mut stream).await.starts_with("HTTP/1.1 408"));
}

#[tokio::test]
async fn a_burst_over_the_rate_gets_429_with_retry_after() {
    let limits = RelayLimits {
        requests_per_second: 1,
        burst: 3,
        ..RelayLimits::default()
    };
    let address = serve(Destination::Disabled, limits).await;
    let mut answers = Vec::new();
    for _ in 0..10 {
        answers.push(post(address, VALID).await);
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses[..3], [204, 204, 204], "the burst is accepted");
    let limited: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert!(!limited.is_empty(), "{statuses:?}");
    for answer in limited {
        assert_eq!(answer.body["code"], "rate_limited");
        assert!(answer.retry_after.is_some_and(|s| s >= 1), "{answer:?}");
    }
}

#[tokio::test]
async fn requests_over_the_in_flight_limit_get_503_with_retry_after() {
    let limits = RelayLimits {
        max_in_flight: 2,
        ..RelayLimits::default()
    };
    let address = serve(Destination::Disabled, limits).await;
    let mut slow = [
        start_slow_request(address).await,
        start_slow_request(address).await,
    ];
    // The slow requests hold both places once the relay has read their heads.
    let mut busy = None;
    for _ in 0..200 {
        let answer = post(address, VALID).await;
        if answer.status == 503 {
            busy = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let busy = busy.expect("a third request in flight is refused");
    assert_eq!(busy.body["code"], "busy");
    assert_eq!(busy.retry_after, Some(1));
    for stream in &mut slow {
        stream.write_all(&VALID.as_bytes()[10..]).await.unwrap();
        assert!(status_line(stream).await.starts_with("HTTP/1.1 204"));
    }
    assert_eq!(
        post(address, VALID).await.status,
        204,
        "places are given back"
    );
}

#[test]
fn hostile_limits_are_refused_when_the_router_is_built() {
    let hostile = [
        (
            "max_in_flight",
            RelayLimits {
                max_in_flight: 0,
                ..RelayLimits::default()
            },
        ),
        (
            "max_in_flight",
            RelayLimits {
                max_in_flight: usize::MAX,
                ..RelayLimits::default()
            },
        ),
        (
            "requests_per_second",
            RelayLimits {
                requests_per_second: 0,
                ..RelayLimits::default()
            },
        ),
        (
            "burst",
            RelayLimits {
                burst: 0,
                ..RelayLimits::default()
            },
        ),
        (
            "max_body",
            RelayLimits {
                max_body: 0,
                ..RelayLimits::default()
            },
        ),
        (
            "max_body",
            RelayLimits {
                max_body: usize::MAX,
                ..RelayLimits::default()
            },
        ),
        (
            "body_timeout",
            RelayLimits {
                body_timeout: Duration::ZERO,
                ..RelayLimits::default()
            },
        ),
        (
            "body_timeout",
            RelayLimits {
                body_timeout: Duration::MAX,
                ..RelayLimits::default()
            },
        ),
    ];
    for (setting, limits) in hostile {
        let relay = Relay::new(CLIENT_EVENTS, ALL_EVENT_TYPES).unwrap();
        let error = router(relay, Destination::Disabled, limits).unwrap_err();
        assert_eq!(error.setting, setting, "{error}");
        assert!(error.to_string().contains(setting));
    }
    for (setting, config) in [
        (
            "capacity",
            QueueConfig {
                capacity: 0,
                ..QueueConfig::default()
            },
        ),
        (
            "batch_size",
            QueueConfig {
                batch_size: 0,
                ..QueueConfig::default()
            },
        ),
        (
            "batch_size",
            QueueConfig {
                batch_size: usize::MAX,
                ..QueueConfig::default()
            },
        ),
    ] {
        assert_eq!(config.validate().unwrap_err().setting, setting);
    }
}

/// An analytics backend that accepts connections and never answers.
async fn silent_backend() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    address
}

#[tokio::test]
async fn a_backend_that_never_answers_fills_the_queue_not_the_requests() {
    let backend = silent_backend().await;
    let mut config = AnalyticsConfig::new(format!("http://{backend}"), "k", "i");
    config.timeout = Duration::from_secs(300);
    let sender = AnalyticsSender::new(config).unwrap();
    let queue_config = QueueConfig {
        capacity: 1,
        batch_size: 1,
    };
    let key = TelemetryKey::new(b"key".to_vec());
    let queue = AnalyticsQueue::spawn(sender, key, queue_config).unwrap();
    let address = serve(Destination::Queue(queue.clone()), RelayLimits::default()).await;
    let statuses = [
        post(address, VALID).await,
        post(address, VALID).await,
        post(address, VALID).await,
    ];
    let accepted = statuses.iter().filter(|a| a.status == 204).count();
    assert!((1..=2).contains(&accepted), "{statuses:?}");
    let full = statuses.last().unwrap();
    assert_eq!(full.status, 503, "{statuses:?}");
    assert_eq!(full.body["code"], "busy");
    assert_eq!(full.retry_after, Some(1));
    assert_eq!(queue.sent() + queue.failed(), 0, "nothing came back yet");
}

/// Runs `body` on a store over a fresh database with the runtime's tables (client events
/// need no catalog tables: they are never stored).
async fn with_store<F, Fut>(backend: Backend, config: StoreConfig, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let install = async |store: &Store| {
        for migration in event_runtime::schema::MIGRATIONS {
            let sql = match store.backend() {
                "sqlite" => migration.sqlite_sql(store.tables()),
                _ => migration.postgres_sql(store.tables()),
            };
            test_support::execute(store, &sql).await;
        }
    };
    test_support::with_store(backend, "eventgen_relay", config, install, body).await;
}

#[tokio::test]
async fn accepted_events_are_recorded_in_the_outbox_for_the_worker() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let config = StoreConfig::default().telemetry(TelemetryKey::new(b"key".to_vec()));
        with_store(backend, config, |store| async move {
            let address = serve(Destination::Outbox(store.clone()), RelayLimits::default()).await;
            assert_eq!(post(address, VALID).await.status, 204);
            let claim = store.claim("w", 10, Duration::from_secs(60)).await.unwrap();
            assert!(claim.deliveries.is_empty(), "no analytics subscriber yet");

            store
                .ensure_analytics_subscriber("posthog", [])
                .await
                .unwrap();
            assert_eq!(post(address, VALID).await.status, 204);
            let claim = store.claim("w", 10, Duration::from_secs(60)).await.unwrap();
            let [delivery] = &claim.deliveries[..] else {
                panic!("one delivery: {:?}", claim.deliveries);
            };
            assert_eq!(delivery.event_type, "alert:shown");
            assert_eq!(delivery.target.kind, SubscriberKind::Analytics);
            let payload: Value = serde_json::from_str(&delivery.payload).unwrap();
            assert_eq!(payload["event_properties"]["kind"], "error");
        })
        .await;
    }
}

#[tokio::test]
async fn without_telemetry_the_outbox_records_nothing() {
    with_store(
        Backend::Sqlite,
        StoreConfig::default(),
        |store| async move {
            store
                .ensure_analytics_subscriber("posthog", [])
                .await
                .unwrap();
            let address = serve(Destination::Outbox(store.clone()), RelayLimits::default()).await;
            assert_eq!(post(address, VALID).await.status, 204);
            let claim = store.claim("w", 10, Duration::from_secs(60)).await.unwrap();
            assert!(claim.deliveries.is_empty());
        },
    )
    .await;
}

/// An analytics backend on 127.0.0.1 that keeps every batch it gets; its URL.
async fn recording_backend() -> (String, Arc<Mutex<Vec<Value>>>) {
    let batches = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&batches);
    let app = axum::Router::new().fallback(async move |body: axum::body::Bytes| {
        let batch = serde_json::from_slice(&body).unwrap_or(Value::Null);
        kept.lock().unwrap().push(batch);
        "ok"
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), batches)
}

#[tokio::test]
async fn the_worker_sends_what_the_relay_recorded() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let config = StoreConfig::default().telemetry(TelemetryKey::new(b"key".to_vec()));
        with_store(backend, config, |store| async move {
            store
                .ensure_analytics_subscriber("posthog", [])
                .await
                .unwrap();
            let address = serve(Destination::Outbox(store.clone()), RelayLimits::default()).await;
            assert_eq!(post(address, VALID).await.status, 204);

            let (host, batches) = recording_backend().await;
            let analytics = AnalyticsSender::new(AnalyticsConfig::new(host, "k", "i")).unwrap();
            let webhooks = WebhookSender::new(WebhookConfig::default()).unwrap();
            let deliverer = Arc::new(HttpDeliverer::new(webhooks, Some(analytics)));
            let worker = Worker::new(store.clone(), deliverer).spawn();
            // A guard against waiting forever, not a measure.
            for _ in 0..6_000 {
                if store.outbox_counts().await.unwrap().pending == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            worker.shutdown().await.unwrap();
            assert_eq!(store.outbox_counts().await.unwrap().pending, 0);
            let batches = batches.lock().unwrap().clone();
            let [batch] = &batches[..] else {
                panic!("one batch: {batches:?}");
            };
            assert_eq!(batch["batch"][0]["event"], "alert:shown");
            assert_eq!(
                batch["batch"][0]["properties"]["event_properties"]["kind"],
                "error"
            );
        })
        .await;
    }
}
