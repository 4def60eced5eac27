//! The main flow, runnable: record a few events of the reference catalog into an embedded
//! SQLite file, deliver them with the worker to a local receiver that verifies their
//! signatures with the published `standardwebhooks` crate (one of them a Slack-format
//! subscriber, created through the subscriber API, which receives the event's chat
//! message), and to a local PostHog-like analytics endpoint, and print what happened.
//!
//! `cargo run -p workspace-tests --example demo`

use std::error::Error;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use event_outbox::analytics_sink::{AnalyticsConfig, AnalyticsSender};
use event_outbox::router::SubscriberApi;
use event_outbox::store::{NewWebhook, Scope, Store, StoreConfig};
use event_outbox::webhook::{AddressPolicy, ChatMessages, WebhookConfig, WebhookSender};
use event_outbox::worker::{HttpDeliverer, Worker, WorkerConfig};
use event_runtime::TelemetryKey;
use sqlx::migrate::Migrator;
use workspace_tests::events::*;
use workspace_tests::samples;

#[allow(dead_code)]
#[path = "../tests/support/receiver.rs"]
mod receiver;

/// What the demo saw.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// What happened, line by line.
    pub lines: Vec<String>,
    /// Webhook requests received: (path, event type, whether the signature verified).
    pub webhooks: Vec<(String, String, bool)>,
    /// The texts the Slack-format subscriber received, and whether each signature
    /// verified.
    pub slack: Vec<(String, bool)>,
    /// Event types the analytics endpoint received.
    pub analytics: Vec<String>,
    /// Who the subscriber API said a failed one-off run of project 1 notifies.
    pub notified: Vec<String>,
    /// Sensitive sample values found in analytics bodies (there must be none).
    pub leaked: Vec<&'static str>,
}

impl Report {
    fn say(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }
}

/// Runs the flow with its database in `dir`.
pub(crate) async fn run(dir: &Path) -> Result<Report, Box<dyn Error>> {
    let mut report = Report::default();
    let receiver = receiver::Receiver::start().await;
    report.say(format!("receiver listening on {}", receiver.address));

    // 1. The store: an embedded SQLite file, migrated with the generated migrations.
    let url = format!("sqlite:{}", dir.join("events.db").display());
    let key = TelemetryKey::new(b"demo telemetry key".to_vec());
    // The catalog: subscriptions are checked against it.
    let config = StoreConfig::default().telemetry(key).catalog(STORED_EVENTS);
    let store = Store::connect_with(&url, config).await?;
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
    store
        .migrate(&Migrator::new(migrations.as_path()).await?)
        .await?;
    let stored = || STORED_EVENTS.iter().map(|spec| spec.event_type);
    store.check_event_types(stored()).await?;
    report.say(format!("store: {url}, migrated"));

    // 2. Subscribers: a webhook for every failed run, one for everything about project 1,
    //    a Slack channel for project 1's failed runs, and the analytics subscriber
    //    (telemetry payloads of every stored event).
    let failures = [
        ProjectOneOffJobPipelineRunFailed::TYPE,
        ProjectCronJobRunPipelineRunFailed::TYPE,
    ];
    let ops = store
        .create_webhook(NewWebhook::new("ops", receiver.url("/ops")))
        .await?;
    for event_type in failures {
        store
            .subscribe(ops.subscriber.uuid, event_type, Scope::global())
            .await?;
    }
    let team = store
        .create_webhook(NewWebhook::new("team", receiver.url("/team")))
        .await?;
    let project_1 = Scope::global().with("project_uuid", samples::id(1));
    for event_type in failures.into_iter().chain([ProjectCreated::TYPE]) {
        store
            .subscribe(team.subscriber.uuid, event_type, project_1.clone())
            .await?;
    }
    // The Slack channel is created through the subscriber API, as an admin UI would (an
    // application mounts it behind its own authentication). A Slack URL
    // (`https://hooks.slack.com/...`) is detected as one; this local stand-in of Slack
    // says so explicitly.
    let api = serve(SubscriberApi::new(store.clone()).router()).await?;
    let http = reqwest::Client::new();
    let project_1_uuid = samples::id(1).to_string();
    let subscriptions: Vec<_> = failures
        .iter()
        .map(
            |t| serde_json::json!({ "event_type": t, "scope": { "project_uuid": project_1_uuid } }),
        )
        .collect();
    let created = http
        .post(format!("{api}/webhooks"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "name": "alerts",
                "url": receiver.url("/slack"),
                "content_type": "slack",
                "subscriptions": subscriptions,
            })
            .to_string(),
        )
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let created: serde_json::Value = serde_json::from_slice(&created)?;
    let slack_secret = created["secret"].as_str().ok_or("a secret")?.to_owned();
    report.say("subscriber API: POST /webhooks created Slack `alerts` with its subscriptions");
    store
        .ensure_analytics_subscriber("posthog", stored())
        .await?;
    // The receiver knows the secrets (returned once, at creation) and verifies with them.
    receiver.verify("/ops", ops.secret.as_str());
    receiver.verify("/team", team.secret.as_str());
    receiver.verify("/slack", &slack_secret);
    report.say(
        "subscribers: webhook `ops` (failed runs), webhook `team` (project 1), \
         Slack `alerts` (project 1's failed runs), analytics",
    );

    let who = http
        .get(format!(
            "{api}/subscribers?event_type={}&project_uuid={project_1_uuid}",
            ProjectOneOffJobPipelineRunFailed::TYPE
        ))
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let who: serde_json::Value = serde_json::from_slice(&who)?;
    let names: Vec<&str> = who["subscribers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    report.say(format!(
        "subscriber API: GET /subscribers for a failed one-off run in project 1: {}",
        names.join(", ")
    ));
    report.notified = names.iter().map(|n| (*n).to_owned()).collect();

    // 3. Record events in one transaction; the commit wakes the worker.
    let one_off = samples::one_off_run_failed();
    let cron = samples::cron_run_failed();
    let created = samples::project_created(samples::project(), 1);
    let mut tx = store.begin().await?;
    register_project_one_off_job_pipeline_run_failed_event(&mut tx, &one_off).await?;
    register_project_cron_job_run_pipeline_run_failed_event(&mut tx, &cron).await?;
    register_project_created_event(&mut tx, &created).await?;
    tx.commit().await?;
    let pending = store.outbox_counts().await?.pending;
    report.say(format!(
        "recorded 3 events: {pending} deliveries in the outbox"
    ));

    // 4. Deliver: webhooks (loopback allowed, as the receiver lives there) and analytics.
    //    Chat subscribers get each event's `message`, from the definitions.
    let webhooks = WebhookSender::new(WebhookConfig {
        addresses: AddressPolicy::public_only().allow("127.0.0.1/32".parse()?),
        ..WebhookConfig::default()
    })?
    .with_messages(ChatMessages::new(CHAT_MESSAGES)?);
    let analytics = AnalyticsSender::new(AnalyticsConfig::new(
        receiver.url("/posthog"),
        "phc_demo",
        "demo-installation",
    ))?;
    let deliverer = Arc::new(HttpDeliverer::new(webhooks, Some(analytics)));
    let started = Instant::now();
    let worker = Worker::new(store.clone(), deliverer)
        .config(WorkerConfig::default().name("demo"))
        .expect("a valid worker configuration")
        .spawn();
    while store.outbox_counts().await?.pending > 0 {
        if started.elapsed() > Duration::from_secs(30) {
            return Err("deliveries still pending after 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    worker.shutdown().await?;
    report.say(format!(
        "worker delivered everything in {} ms",
        started.elapsed().as_millis()
    ));

    // 5. What arrived.
    for request in receiver.received() {
        let body = request.json();
        if request.path == "/posthog/batch/" {
            for item in body["batch"].as_array().into_iter().flatten() {
                let event_type = item["event"].as_str().unwrap_or_default().to_owned();
                report.say(format!("analytics  {event_type}"));
                report.analytics.push(event_type);
            }
            let text = String::from_utf8_lossy(&request.body);
            let leaked = samples::SENSITIVE.iter().filter(|v| text.contains(**v));
            report.leaked.extend(leaked);
            continue;
        }
        let verified = request.verified == Some(Ok(()));
        if request.path == "/slack" {
            let text = body["text"].as_str().unwrap_or_default().to_owned();
            report.say(format!(
                "slack      {:<6} {text}  (signature {})",
                request.path,
                if verified { "verified" } else { "REJECTED" },
            ));
            report.slack.push((text, verified));
            continue;
        }
        let event_type = body["event"]["type"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        report.say(format!(
            "webhook    {:<6} {event_type:<45} webhook-id {} signature {}",
            request.path,
            request.headers["webhook-id"].to_str().unwrap_or_default(),
            if verified { "verified" } else { "REJECTED" },
        ));
        report.webhooks.push((request.path, event_type, verified));
    }
    let counts = store.outbox_counts().await?;
    report.say(format!(
        "outbox: {} pending, {} dead; sensitive values in analytics: {}",
        counts.pending,
        counts.dead,
        report.leaked.len()
    ));
    store.close().await;
    Ok(report)
}

/// Serves `router` on a local port; its base URL.
async fn serve(router: axum::Router) -> Result<String, Box<dyn Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(format!("http://{address}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("eventgen-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run(&dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    for line in result?.lines {
        println!("{line}");
    }
    Ok(())
}
