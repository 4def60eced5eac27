//! `POST /analytics` over real sockets: relay check, then analytics.

use event_outbox::analytics_sink::{AnalyticsConfig, AnalyticsSender};
use event_outbox::relay::{ClientEventSpec, Relay, router};
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

/// Serves the relay router on 127.0.0.1; returns its `/analytics` URL.
async fn serve(analytics: Option<AnalyticsSender>) -> String {
    let relay = Relay::new(CLIENT_EVENTS, ALL_EVENT_TYPES).unwrap();
    let app = router(relay, analytics, TelemetryKey::new(b"key".to_vec()));
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
    let url = serve(Some(analytics)).await;
    assert_eq!(post(&url, VALID).await, (204, String::new()));
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
    let url = serve(Some(analytics)).await;
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
    assert!(backend.received().is_empty());
}

#[tokio::test]
async fn disabled_analytics_accepts_and_sends_nothing() {
    let url = serve(None).await;
    assert_eq!(post(&url, VALID).await.0, 204);
    assert_eq!(post(&url, "{}").await.0, 400);
}

#[tokio::test]
async fn a_failing_backend_is_a_502() {
    let backend = Receiver::start().await;
    let config = AnalyticsConfig::new(backend.url("/status/500"), "k", "i");
    let url = serve(Some(AnalyticsSender::new(config).unwrap())).await;
    let (status, text) = post(&url, VALID).await;
    assert_eq!(status, 502);
    assert!(
        !text.contains("status"),
        "the backend's answer stays private: {text}"
    );
}
