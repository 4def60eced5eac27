//! `POST /analytics` over real sockets: relay check, then analytics through the
//! relay's background queue.

use std::time::Duration;

use event_outbox::analytics_sink::{AnalyticsConfig, AnalyticsSender};
use event_outbox::relay::{
    AnalyticsQueue, ClientEventSpec, Destination, QueueConfig, Relay, RelayLimits, router,
};
use event_runtime::{TelemetryEvent, TelemetryKey, Timestamp};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::receiver::Receiver;

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
    properties_schema: r#"{
        "type": "object",
        "properties": { "event_properties": { "type": "object", "properties": { "kind": { "enum": ["info", "error"] } }, "required": ["kind"] } },
        "required": ["event_properties"]
    }"#,
    parse: parse_alert,
}];

static ALL_EVENT_TYPES: &[&str] = &["alert:shown", "project:created"];

/// The destination of events sent through `analytics`, or none.
fn destination(analytics: Option<AnalyticsSender>) -> (Destination, Option<AnalyticsQueue>) {
    let Some(sender) = analytics else {
        return (Destination::Disabled, None);
    };
    let key = TelemetryKey::new(b"key".to_vec());
    let queue = AnalyticsQueue::spawn(sender, key, QueueConfig::default()).unwrap();
    (Destination::Queue(queue.clone()), Some(queue))
}

/// Serves the relay router on 127.0.0.1; returns its `/analytics` URL.
async fn serve(destination: Destination) -> String {
    let relay = Relay::new(CLIENT_EVENTS, ALL_EVENT_TYPES).unwrap();
    let app = router(relay, destination, RelayLimits::default()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/analytics")
}

async fn post(url: &str, body: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

const VALID: &str =
    r#"{"event": "alert:shown", "properties": {"event_properties": {"kind": "error"}}}"#;

#[tokio::test]
async fn accepted_events_go_to_analytics() {
    let backend = Receiver::start().await;
    let analytics = AnalyticsSender::new(AnalyticsConfig::new(backend.url(""), "k", "i")).unwrap();
    let (destination, queue) = destination(Some(analytics));
    let url = serve(destination).await;
    assert_eq!(post(&url, VALID).await, (204, String::new()));
    let queue = queue.unwrap();
    settled(&queue, 1).await;
    assert_eq!((queue.sent(), queue.failed()), (1, 0));
    let received = backend.received();
    assert_eq!(received.len(), 1);
    let batch: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(batch["batch"][0]["event"], "alert:shown");
    assert_eq!(
        batch["batch"][0]["properties"]["event_properties"],
        json!({ "kind": "error" })
    );
}

#[tokio::test]
async fn refused_bodies_get_400_and_a_json_error() {
    let backend = Receiver::start().await;
    let analytics = AnalyticsSender::new(AnalyticsConfig::new(backend.url(""), "k", "i")).unwrap();
    let (destination, queue) = destination(Some(analytics));
    let url = serve(destination).await;
    let cases = [
        ("{", "malformed_json"),
        (r#"{"event": "alert:shown"}"#, "missing_properties"),
        (
            r#"{"event": "project:created", "properties": {}}"#,
            "not_a_client_event",
        ),
        (
            r#"{"event": "alert:show", "properties": {}}"#,
            "unknown_event",
        ),
        (
            r#"{"event": "alert:shown", "properties": {"event_properties": {"kind": "x"}}}"#,
            "invalid_properties",
        ),
    ];
    for (body, code) in cases {
        let (status, text) = post(&url, body).await;
        assert_eq!(status, 400, "{body}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["code"], code, "{body}: {text}");
    }
    let (_, text) = post(&url, cases[4].0).await;
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        error["violations"][0]["pointer"],
        "/properties/event_properties/kind"
    );
    assert_eq!(queue.unwrap().sent(), 0);
    assert!(backend.received().is_empty());
}

#[tokio::test]
async fn disabled_analytics_accepts_and_sends_nothing() {
    let url = serve(Destination::Disabled).await;
    assert_eq!(post(&url, VALID).await.0, 204);
    assert_eq!(post(&url, "{}").await.0, 400);
}

/// Waits until the queue's task has settled `count` events (sent or failed).
async fn settled(queue: &AnalyticsQueue, count: u64) {
    while queue.sent() + queue.failed() < count {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_failing_backend_fails_no_request_and_is_counted() {
    let backend = Receiver::start().await;
    let config = AnalyticsConfig::new(backend.url("/status/500"), "k", "i");
    let (destination, queue) = destination(Some(AnalyticsSender::new(config).unwrap()));
    let url = serve(destination).await;
    assert_eq!(post(&url, VALID).await, (204, String::new()));
    let queue = queue.unwrap();
    settled(&queue, 1).await;
    assert_eq!((queue.sent(), queue.failed()), (0, 1));
    assert_eq!(backend.received().len(), 1);
}
