//! Chat formats end to end: Slack, Discord and Microsoft Teams webhooks receive their app's
//! documented body, with the event's `message` from the definitions rendered over its
//! notification payload, signed like every webhook; an oversized message is truncated to
//! the app's limits, never refused. And the format is detected from a chat app's URL.

use std::sync::Arc;
use std::time::Duration;

use event_outbox::delivery::ContentType;
use event_outbox::store::{NewWebhook, Scope, Store};
use event_outbox::webhook::{ChatMessages, WebhookConfig, WebhookSender};
use event_outbox::worker::{HttpDeliverer, Worker, WorkerConfig};
use serde_json::Value;
use workspace_tests::events::*;
use workspace_tests::samples::{self, id};

use test_support::count;

use crate::support::loopback_only;
use crate::support::receiver::{Received, Receiver};

/// What the failed run's message says, from `definitions/orchest.toml`.
const FAILED_TEXT: &str =
    "Pipeline run #2 of job Nightly failed (project Secret project); failed steps: Load data";

/// Slack's documented limits: a section block's text.
const SLACK_SECTION: usize = 3000;
/// Discord's documented limits.
const DISCORD_CONTENT: usize = 2000;
const DISCORD_TITLE: usize = 256;
const DISCORD_FIELDS: usize = 25;
const DISCORD_FIELD_NAME: usize = 256;
const DISCORD_FIELD_VALUE: usize = 1024;
const DISCORD_EMBED: usize = 6000;
/// Teams' documented limit on an incoming webhook's message, in bytes.
const TEAMS_BYTES: usize = 28 * 1024;

struct Hook {
    path: String,
    secret: String,
}

async fn chat_webhook(store: &Store, receiver: &Receiver, content_type: ContentType) -> Hook {
    let path = format!("/chat/{}", content_type.as_str());
    let mut webhook = NewWebhook::new(content_type.as_str(), receiver.url(&path));
    // Local receivers have no chat app's host: the format is chosen explicitly.
    assert_eq!(webhook.content_type, ContentType::Json);
    webhook.content_type = content_type;
    let created = store
        .create_webhook(webhook)
        .await
        .expect("create a webhook");
    assert_eq!(created.subscriber.content_type, content_type);
    receiver.verify(&path, created.secret.as_str());
    for event_type in [
        ProjectOneOffJobPipelineRunFailed::TYPE,
        ProjectCreated::TYPE,
    ] {
        store
            .subscribe(created.subscriber.uuid, event_type, Scope::global())
            .await
            .expect("subscribe");
    }
    Hook {
        path,
        secret: created.secret.as_str().to_owned(),
    }
}

fn deliverer() -> Arc<HttpDeliverer> {
    let messages = ChatMessages::new(CHAT_MESSAGES).expect("the catalog's messages compile");
    let webhooks = WebhookSender::new(WebhookConfig {
        addresses: loopback_only(),
        ..WebhookConfig::default()
    })
    .expect("a webhook sender")
    .with_messages(messages);
    Arc::new(HttpDeliverer::new(webhooks, None))
}

/// The Standard Webhooks headers, signed over the exact body received.
fn check_signed(request: &Received, hook: &Hook) {
    assert_eq!(request.headers["content-type"], "application/json");
    assert!(request.headers.contains_key("webhook-id"));
    assert!(request.headers.contains_key("webhook-timestamp"));
    assert_eq!(request.verified, Some(Ok(())), "{}", hook.path);
    let verifier = standardwebhooks::Webhook::new(&hook.secret).expect("a secret");
    verifier
        .verify(&request.body, &request.headers)
        .expect("the signature covers the body");
}

fn chars(value: &Value) -> usize {
    value.as_str().expect("a string").chars().count()
}

/// The request whose body mentions `needle` (each hook gets two events).
fn with_text<'a>(requests: &'a [Received], needle: &str) -> &'a Received {
    requests
        .iter()
        .find(|r| String::from_utf8_lossy(&r.body).contains(needle))
        .unwrap_or_else(|| panic!("no request mentions {needle}"))
}

fn check_slack(requests: &[Received]) {
    let failed = with_text(requests, "Pipeline run #2").json();
    assert_eq!(failed["text"], FAILED_TEXT);
    assert_eq!(failed["blocks"][0]["type"], "section");
    assert_eq!(failed["blocks"][0]["text"]["type"], "mrkdwn");
    assert_eq!(failed["blocks"][0]["text"]["text"], FAILED_TEXT);
    let fields = failed["blocks"][1]["fields"].as_array().expect("fields");
    assert!(fields.len() <= 10, "a section holds 10 fields at most");
    assert!(
        fields
            .iter()
            .any(|f| f["text"] == "*project.job.name*\nNightly"),
        "{fields:?}"
    );
    let oversized = with_text(requests, "Project xxx").json();
    let section = &oversized["blocks"][0]["text"]["text"];
    assert!(chars(section) <= SLACK_SECTION, "{}", chars(section));
    assert!(section.as_str().unwrap().ends_with('…'));
    assert!(chars(&oversized["text"]) <= 40_000);
    for block in oversized["blocks"].as_array().unwrap() {
        for field in block["fields"].as_array().into_iter().flatten() {
            assert!(chars(&field["text"]) <= 2000);
        }
    }
}

fn check_discord(requests: &[Received]) {
    let failed = with_text(requests, "Pipeline run #2").json();
    assert_eq!(failed["content"], FAILED_TEXT);
    let embed = &failed["embeds"][0];
    assert_eq!(embed["title"], ProjectOneOffJobPipelineRunFailed::TYPE);
    assert_eq!(embed["timestamp"], "2026-11-27T10:00:00Z");
    assert!(
        embed["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "project.job.name" && f["value"] == "Nightly")
    );
    let oversized = with_text(requests, "Project xxx").json();
    assert!(chars(&oversized["content"]) <= DISCORD_CONTENT);
    assert!(oversized["content"].as_str().unwrap().ends_with('…'));
    let embed = &oversized["embeds"][0];
    let fields = embed["fields"].as_array().unwrap();
    assert!(fields.len() <= DISCORD_FIELDS);
    let mut total = chars(&embed["title"]);
    assert!(total <= DISCORD_TITLE);
    for field in fields {
        assert!(chars(&field["name"]) <= DISCORD_FIELD_NAME);
        assert!(chars(&field["value"]) <= DISCORD_FIELD_VALUE);
        total += chars(&field["name"]) + chars(&field["value"]);
    }
    assert!(total <= DISCORD_EMBED, "{total}");
}

fn check_teams(requests: &[Received]) {
    let failed = with_text(requests, "Pipeline run #2").json();
    assert_eq!(failed["type"], "message");
    let attachment = &failed["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(
        card["$schema"],
        "http://adaptivecards.io/schemas/adaptive-card.json"
    );
    assert!(matches!(card["version"].as_str(), Some("1.4" | "1.5")));
    assert_eq!(card["body"][0]["type"], "TextBlock");
    assert_eq!(card["body"][0]["text"], FAILED_TEXT);
    assert_eq!(card["body"][0]["wrap"], true);
    assert_eq!(card["body"][1]["type"], "FactSet");
    assert!(
        card["body"][1]["facts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["title"] == "project.job.name" && f["value"] == "Nightly")
    );
    let oversized = with_text(requests, "Project xxx");
    assert!(
        oversized.body.len() <= TEAMS_BYTES,
        "{}",
        oversized.body.len()
    );
    let text = &oversized.json()["attachments"][0]["content"]["body"][0]["text"];
    assert!(text.as_str().unwrap().ends_with('…'));
}

async fn scenario(store: Store) {
    let receiver = Receiver::start().await;
    let slack = chat_webhook(&store, &receiver, ContentType::Slack).await;
    let discord = chat_webhook(&store, &receiver, ContentType::Discord).await;
    let teams = chat_webhook(&store, &receiver, ContentType::Teams).await;

    let failed = samples::one_off_run_failed();
    // A name longer than any app's limit, in its message and in its facts.
    let oversized = samples::project_created(
        Project {
            uuid: id(8),
            name: "x".repeat(50_000),
        },
        3,
    );
    let mut tx = store.begin().await.expect("begin");
    register_project_one_off_job_pipeline_run_failed_event(&mut tx, &failed)
        .await
        .expect("record");
    register_project_created_event(&mut tx, &oversized)
        .await
        .expect("record");
    tx.commit().await.expect("commit");

    let handle = Worker::new(store.clone(), deliverer())
        .config(
            WorkerConfig::default()
                .name("chat")
                .poll_interval(Duration::from_millis(100)),
        )
        .expect("a valid worker configuration")
        .spawn();
    crate::outbox_empty(&store).await;
    handle.shutdown().await.expect("shut down");

    for (hook, check) in [
        (&slack, check_slack as fn(&[Received])),
        (&discord, check_discord),
        (&teams, check_teams),
    ] {
        let requests = receiver.received_at(&hook.path);
        assert_eq!(requests.len(), 2, "{}: each event once", hook.path);
        for request in &requests {
            check_signed(request, hook);
        }
        check(&requests);
    }
    // Every delivery succeeded at the first attempt: none was refused for its size.
    let delivered = count(
        &store,
        r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts" WHERE "outcome" = 'delivered'"#,
    )
    .await;
    assert_eq!(delivered, 6);
    assert_eq!(
        count(
            &store,
            r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts""#
        )
        .await,
        6
    );
}

both!(chat_apps_receive_their_format_signed, scenario);

/// A webhook created with a chat app's URL is stored in its chat format.
async fn detection(store: Store) {
    let cases = [
        (
            "https://hooks.slack.com/services/T0/B0/secret",
            ContentType::Slack,
        ),
        (
            "https://discord.com/api/webhooks/1/secret",
            ContentType::Discord,
        ),
        (
            "https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d",
            ContentType::Teams,
        ),
        (
            "https://prod-01.westus.logic.azure.com:443/workflows/1/triggers/manual/paths/invoke",
            ContentType::Teams,
        ),
        ("https://example.com/hooks", ContentType::Json),
    ];
    for (url, expected) in cases {
        let created = store
            .create_webhook(NewWebhook::new("detected", url))
            .await
            .expect("create a webhook");
        assert_eq!(created.subscriber.content_type, expected, "{url}");
        let stored = store
            .subscriber(created.subscriber.uuid)
            .await
            .expect("read it back")
            .expect("it exists");
        assert_eq!(stored.content_type, expected, "{url}");
    }
}

both!(chat_formats_are_detected_from_the_url, detection);
