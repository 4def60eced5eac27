//! `WebhookSender` with the chat formats against a real receiver: the app's body with the
//! rendered message, `application/json`, signed over the exact bytes sent.

use std::time::Duration;

use event_outbox::delivery::{ContentType, WebhookRequest};
use event_outbox::webhook::{AddressPolicy, ChatMessages, WebhookConfig, WebhookSender};
use event_outbox::{Outcome, Secret};
use event_runtime::MessageTemplate;
use serde_json::Value;

use crate::receiver::Receiver;

const BODY: &str = r#"{"delivered_for":{"uuid":"00000000-0000-0000-0000-000000000001","name":"ops"},"event":{"uuid":"0190b7e2-6f3c-7a4e-9d2b-1c2d3e4f5a6b","type":"project:created","version":1,"timestamp":"2026-11-27T10:00:00Z","project":{"uuid":"5b4c0a3e","name":"a & b"}}}"#;
const ID: &str = "0190b7e2-6f3c-7a4e-9d2b-1c2d3e4f5a6b";
const MESSAGES: &[MessageTemplate] = &[MessageTemplate {
    event_type: "project:created",
    template: "Project {{ project.name }} was created",
}];

fn sender() -> WebhookSender {
    WebhookSender::new(WebhookConfig {
        addresses: AddressPolicy::public_only().allow("127.0.0.1/32".parse().unwrap()),
        timeout: Duration::from_secs(2),
        ..WebhookConfig::default()
    })
    .unwrap()
    .with_messages(ChatMessages::new(MESSAGES).unwrap())
}

/// Sends `BODY` as `content_type` and returns the body received, once its headers and
/// signature are checked.
async fn send(content_type: ContentType) -> Value {
    let receiver = Receiver::start().await;
    let url = receiver.url("/chat");
    let secrets = [Secret::generate()];
    let request = WebhookRequest {
        url: &url,
        message_id: ID,
        timestamp: chrono::Utc::now().timestamp(),
        payload: BODY,
        content_type,
        secrets: &secrets,
        tls: None,
    };
    let attempt = sender().send(&request).await;
    assert_eq!(attempt.outcome, Outcome::Delivered, "{attempt:?}");
    let got = &receiver.received()[0];
    assert_eq!(got.headers["content-type"], "application/json");
    assert_eq!(got.headers["webhook-id"], ID);
    let verifier = standardwebhooks::Webhook::new(secrets[0].as_str()).unwrap();
    verifier.verify(&got.body, &got.headers).unwrap();
    assert_ne!(got.body, BODY.as_bytes(), "the app's body, not the payload");
    serde_json::from_slice(&got.body).unwrap()
}

#[tokio::test]
async fn slack_gets_the_rendered_message_signed() {
    let body = send(ContentType::Slack).await;
    assert_eq!(body["text"], "Project a &amp; b was created");
    assert_eq!(
        body["blocks"][0]["text"]["text"],
        "Project a &amp; b was created"
    );
}

#[tokio::test]
async fn discord_gets_the_rendered_message_signed() {
    let body = send(ContentType::Discord).await;
    assert_eq!(body["content"], "Project a & b was created");
    assert_eq!(body["embeds"][0]["title"], "project:created");
}

#[tokio::test]
async fn teams_gets_the_rendered_message_signed() {
    let body = send(ContentType::Teams).await;
    let card = &body["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["body"][0]["text"], "Project a & b was created");
}

#[tokio::test]
async fn chat_pings_are_test_messages() {
    for content_type in [ContentType::Slack, ContentType::Discord, ContentType::Teams] {
        let receiver = Receiver::start().await;
        let secrets = [Secret::generate()];
        let attempt = sender()
            .ping(&receiver.url("/ping"), &secrets, content_type)
            .await;
        assert_eq!(attempt.outcome, Outcome::Delivered, "{attempt:?}");
        let got = &receiver.received()[0];
        let text = String::from_utf8_lossy(&got.body);
        assert!(text.contains("Test delivery"), "{content_type:?}: {text}");
        let verifier = standardwebhooks::Webhook::new(secrets[0].as_str()).unwrap();
        verifier.verify(&got.body, &got.headers).unwrap();
    }
}
