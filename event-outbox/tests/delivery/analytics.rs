//! `AnalyticsSender` against a real receiver.

use std::time::Duration;

use event_outbox::Outcome;
use event_outbox::analytics_sink::{AnalyticsConfig, AnalyticsSender, AnalyticsSetupError};
use event_outbox::delivery::AnalyticsMessage;
use event_runtime::{TelemetryEvent, TelemetryKey, Timestamp};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::receiver::Receiver;

fn config(receiver: &Receiver) -> AnalyticsConfig {
    let mut config = AnalyticsConfig::new(receiver.url("/"), "phc_test_key", "install-42");
    config
        .app_properties
        .insert("app_version".into(), "v2026.01".into());
    config
        .app_properties
        .insert("telemetry_overrides_me".into(), "app".into());
    config
}

/// An analytics-only event, as generated code would implement it.
struct Heartbeat {
    uuid: Uuid,
    timestamp: Timestamp,
}

impl TelemetryEvent for Heartbeat {
    fn event_type(&self) -> &'static str {
        "heartbeat-trigger"
    }
    fn uuid(&self) -> Uuid {
        self.uuid
    }
    fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    fn telemetry_json(&self, key: &TelemetryKey) -> event_runtime::Result<String> {
        Ok(json!({
            "event_properties": { "active": true, "host_hash": key.hash("my-host") },
            "derived_properties": { "projects_count": 3 },
            "telemetry_overrides_me": "telemetry",
        })
        .to_string())
    }
}

fn received_batch(receiver: &Receiver) -> Value {
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/batch/");
    assert_eq!(received[0].headers["content-type"], "application/json");
    serde_json::from_slice(&received[0].body).unwrap()
}

#[tokio::test]
async fn batches_arrive_in_the_posthog_shape_with_only_telemetry_properties() {
    let receiver = Receiver::start().await;
    let sender = AnalyticsSender::new(config(&receiver)).unwrap();
    let first = Uuid::now_v7();
    let timestamp: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
    let messages = [
        AnalyticsMessage {
            event_type: "project:created",
            uuid: first,
            timestamp,
            properties: r#"{"event_properties":{"project":{"uuid":"p1"}},"derived_properties":{"projects_count":2}}"#,
        },
        AnalyticsMessage {
            event_type: "project:deleted",
            uuid: Uuid::now_v7(),
            timestamp,
            properties: r#"{"event_properties":{},"distinct_id":"spoofed"}"#,
        },
    ];
    let attempt = sender.send_batch(&messages).await;
    assert_eq!(attempt.outcome, Outcome::Delivered, "{attempt:?}");
    assert_eq!(attempt.status, Some(200));

    let body = received_batch(&receiver);
    assert_eq!(body["api_key"], "phc_test_key");
    assert!(body["sent_at"].is_string());
    let batch = body["batch"].as_array().unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(
        batch[0],
        json!({
            "event": "project:created",
            "uuid": first.to_string(),
            "timestamp": "2026-01-02T03:04:05Z",
            "properties": {
                "event_properties": { "project": { "uuid": "p1" } },
                "derived_properties": { "projects_count": 2 },
                "app_version": "v2026.01",
                "telemetry_overrides_me": "app",
                "distinct_id": "install-42",
                "$lib": "event-runtime",
                "$lib_version": env!("CARGO_PKG_VERSION"),
                "$geoip_disable": true,
            }
        })
    );
    assert_eq!(batch[1]["properties"]["distinct_id"], "install-42");
}

#[tokio::test]
async fn analytics_only_events_are_captured_directly() {
    let receiver = Receiver::start().await;
    let sender = AnalyticsSender::new(config(&receiver)).unwrap();
    let key = TelemetryKey::new(b"key".to_vec());
    let event = Heartbeat {
        uuid: Uuid::now_v7(),
        timestamp: event_runtime::now(),
    };
    let attempt = sender.capture(&event, &key).await;
    assert_eq!(attempt.outcome, Outcome::Delivered, "{attempt:?}");
    let body = received_batch(&receiver);
    let item = &body["batch"][0];
    assert_eq!(item["event"], "heartbeat-trigger");
    assert_eq!(item["uuid"], event.uuid.to_string());
    let properties = &item["properties"];
    assert_eq!(
        properties["event_properties"]["host_hash"],
        key.hash("my-host")
    );
    assert_eq!(properties["telemetry_overrides_me"], "telemetry");
    assert_eq!(properties["app_version"], "v2026.01");
}

#[tokio::test]
async fn a_message_that_is_not_an_object_refuses_the_batch_unsent() {
    let receiver = Receiver::start().await;
    let sender = AnalyticsSender::new(config(&receiver)).unwrap();
    let message = AnalyticsMessage {
        event_type: "project:created",
        uuid: Uuid::nil(),
        timestamp: event_runtime::now(),
        properties: "[1, 2]",
    };
    let attempt = sender.send_batch(&[message]).await;
    assert_eq!(attempt.outcome, Outcome::Refused);
    assert!(
        attempt.detail.contains("project:created"),
        "{}",
        attempt.detail
    );
    assert_eq!(sender.send_batch(&[]).await.outcome, Outcome::Delivered);
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn backend_failures_are_retries() {
    let receiver = Receiver::start().await;
    let mut config = config(&receiver);
    config.host = receiver.url("/status/503");
    config.timeout = Duration::from_secs(2);
    let sender = AnalyticsSender::new(config).unwrap();
    let attempt = sender
        .capture(
            &Heartbeat {
                uuid: Uuid::now_v7(),
                timestamp: event_runtime::now(),
            },
            &TelemetryKey::new(b"k".to_vec()),
        )
        .await;
    assert_eq!(attempt.status, Some(503));
    assert_eq!(attempt.outcome, Outcome::Retry { not_before: None });
}

#[test]
fn setup_checks_the_host_and_hides_the_key() {
    for host in ["", "not a url", "ftp://example.com"] {
        let config = AnalyticsConfig::new(host, "k", "i");
        assert!(matches!(
            AnalyticsSender::new(config),
            Err(AnalyticsSetupError::InvalidHost(_))
        ));
    }
    let config = AnalyticsConfig::new("https://eu.i.posthog.com", "phc_secret", "i");
    let sender = AnalyticsSender::new(config.clone()).unwrap();
    let shown = format!("{config:?} {sender:?}");
    assert!(!shown.contains("phc_secret"), "{shown}");
}
