//! The main flow: global and scoped webhooks and the analytics subscriber receive what
//! they subscribed to, as the reference catalog's payloads, signed; analytics receives
//! anonymized payloads only.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use event_outbox::store::{NewWebhook, Scope, Store};
use event_outbox::worker::{Worker, WorkerConfig};
use event_runtime::Uuid;
use serde_json::{Value, json};
use workspace_tests::events::*;
use workspace_tests::samples::{self, id};

use test_support::count;

use crate::support::database::key;
use crate::support::receiver::{Received, Receiver};
use crate::support::{http_deliverer, loopback_only};

/// The types every webhook of the flow subscribes to.
const TYPES: [&str; 3] = [
    ProjectOneOffJobPipelineRunFailed::TYPE,
    ProjectCronJobRunPipelineRunFailed::TYPE,
    ProjectCreated::TYPE,
];

/// A webhook subscribed to [`TYPES`] within a scope, and the receiver path it posts to.
struct Hook {
    uuid: Uuid,
    name: &'static str,
    path: String,
    secret: String,
}

async fn webhook(store: &Store, receiver: &Receiver, name: &'static str, scope: Scope) -> Hook {
    let path = format!("/hooks/{name}");
    let created = store
        .create_webhook(NewWebhook::new(name, receiver.url(&path)))
        .await
        .expect("create a webhook");
    receiver.verify(&path, created.secret.as_str());
    for event_type in TYPES {
        store
            .subscribe(created.subscriber.uuid, event_type, scope.clone())
            .await
            .expect("subscribe");
    }
    Hook {
        uuid: created.subscriber.uuid,
        name,
        path,
        secret: created.secret.as_str().to_owned(),
    }
}

/// The stored event types of the catalog.
pub(crate) fn stored_types() -> impl Iterator<Item = &'static str> {
    AnalyticsEvent::ALL
        .iter()
        .filter(|e| e.is_stored())
        .map(|e| e.as_str())
}

fn to_json(value: impl event_runtime::reexport::serde::Serialize) -> Value {
    serde_json::to_value(value).expect("serializes")
}

/// Standard Webhooks headers, and a signature the published verifier accepts.
fn check_headers(request: &Received, hook: &Hook) {
    let header = |name: &str| {
        request.headers[name]
            .to_str()
            .expect("a text header")
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/json");
    assert!(header("user-agent").starts_with("event-runtime/"));
    Uuid::parse_str(&header("webhook-id")).expect("the delivery's uuid as webhook-id");
    let timestamp: i64 = header("webhook-timestamp").parse().expect("unix seconds");
    assert!((timestamp - event_runtime::now().timestamp()).abs() < 300);
    assert!(header("webhook-signature").starts_with("v1,"));
    assert_eq!(request.verified, Some(Ok(())), "{}", hook.name);
    // The verifier is not lenient: another body does not verify.
    let verifier = standardwebhooks::Webhook::new(&hook.secret).expect("a secret");
    assert!(verifier.verify(b"{}", &request.headers).is_err());
}

async fn scenario(store: Store) {
    let receiver = Receiver::start().await;
    let global = webhook(&store, &receiver, "global", Scope::global()).await;
    let project = webhook(
        &store,
        &receiver,
        "project",
        Scope::global().with("project_uuid", id(1)),
    )
    .await;
    let job = webhook(
        &store,
        &receiver,
        "job",
        Scope::global()
            .with("project_uuid", id(1))
            .with("job_uuid", id(2)),
    )
    .await;
    let elsewhere = webhook(
        &store,
        &receiver,
        "elsewhere",
        Scope::global().with("project_uuid", id(7)),
    )
    .await;
    store
        .ensure_analytics_subscriber("posthog", stored_types())
        .await
        .expect("the analytics subscriber");

    // Project 1: a one-off job's run (job 2) and a cron job's run (job 5) failed, and it
    // was created; project 7 was created.
    let one_off = samples::one_off_run_failed();
    let cron = samples::cron_run_failed();
    let created = samples::project_created(samples::project(), 1);
    let other = samples::project_created(
        Project {
            uuid: id(7),
            name: "Secret project seven".into(),
        },
        2,
    );
    let mut tx = store.begin().await.expect("begin");
    register_project_one_off_job_pipeline_run_failed_event(&mut tx, &one_off)
        .await
        .expect("record");
    register_project_cron_job_run_pipeline_run_failed_event(&mut tx, &cron)
        .await
        .expect("record");
    register_project_created_event(&mut tx, &created)
        .await
        .expect("record");
    register_project_created_event(&mut tx, &other)
        .await
        .expect("record");
    tx.commit().await.expect("commit");

    let deliverer = http_deliverer(
        loopback_only(),
        Duration::from_secs(10),
        Some(receiver.url("/posthog")),
    );
    let handle = Worker::new(store.clone(), deliverer)
        .config(
            WorkerConfig::default()
                .name("e2e")
                .poll_interval(Duration::from_millis(100)),
        )
        .expect("a valid worker configuration")
        .spawn();
    crate::outbox_empty(&store).await;
    handle.shutdown().await.expect("shut down");

    // Webhooks: each got exactly the events of its scope, as `{delivered_for, event}`.
    let notifications: BTreeMap<String, Value> = [
        (one_off.uuid, to_json(one_off.to_notification_payload())),
        (cron.uuid, to_json(cron.to_notification_payload())),
        (created.uuid, to_json(created.to_notification_payload())),
        (other.uuid, to_json(other.to_notification_payload())),
    ]
    .into_iter()
    .map(|(uuid, payload)| (uuid.to_string(), payload))
    .collect();
    let expected = [
        (
            &global,
            vec![one_off.uuid, cron.uuid, created.uuid, other.uuid],
        ),
        (&project, vec![one_off.uuid, cron.uuid, created.uuid]),
        (&job, vec![one_off.uuid]),
        (&elsewhere, vec![other.uuid]),
    ];
    let versions: BTreeMap<String, u32> = [
        (one_off.uuid, ProjectOneOffJobPipelineRunFailed::VERSION),
        (cron.uuid, ProjectCronJobRunPipelineRunFailed::VERSION),
        (created.uuid, ProjectCreated::VERSION),
        (other.uuid, ProjectCreated::VERSION),
    ]
    .into_iter()
    .map(|(uuid, version)| (uuid.to_string(), version))
    .collect();
    let mut webhook_ids = BTreeSet::new();
    for (hook, events) in expected {
        let requests = receiver.received_at(&hook.path);
        let got: BTreeSet<String> = requests
            .iter()
            .map(|r| {
                r.json()["event"]["uuid"]
                    .as_str()
                    .expect("a uuid")
                    .to_owned()
            })
            .collect();
        let want: BTreeSet<String> = events.iter().map(Uuid::to_string).collect();
        assert_eq!(got, want, "{} received the events of its scope", hook.name);
        assert_eq!(requests.len(), events.len(), "{}: each once", hook.name);
        for request in &requests {
            check_headers(request, hook);
            let body = request.json();
            let event = body["event"]["uuid"].as_str().expect("a uuid");
            assert_eq!(
                body,
                json!({
                    "delivered_for": { "uuid": hook.uuid, "name": hook.name },
                    "event": notifications[event],
                })
            );
            // The body tells the event's version, inside what is signed.
            assert_eq!(body["event"]["version"], versions[event], "{event}");
            webhook_ids.insert(request.headers["webhook-id"].clone());
        }
    }
    assert_eq!(webhook_ids.len(), 9, "one webhook-id per delivery");

    // Analytics: PostHog batches of the telemetry payloads, and no sensitive value.
    let batches = receiver.received_at("/posthog/batch/");
    assert!(!batches.is_empty());
    let telemetry: BTreeMap<String, Value> = [
        (one_off.uuid, to_json(one_off.to_telemetry_payload(&key()))),
        (cron.uuid, to_json(cron.to_telemetry_payload(&key()))),
        (created.uuid, to_json(created.to_telemetry_payload(&key()))),
        (other.uuid, to_json(other.to_telemetry_payload(&key()))),
    ]
    .into_iter()
    .map(|(uuid, payload)| (uuid.to_string(), payload))
    .collect();
    let mut seen = BTreeSet::new();
    for batch in &batches {
        let text = String::from_utf8_lossy(&batch.body);
        for value in samples::SENSITIVE {
            assert!(!text.contains(value), "{value} reached analytics: {text}");
        }
        assert!(!text.contains("Secret project seven"));
        let body = batch.json();
        assert_eq!(body["api_key"], "phc_test_key");
        for item in body["batch"].as_array().expect("a batch") {
            let properties = &item["properties"];
            let event = properties["event_properties"]["uuid"]
                .as_str()
                .expect("the event's uuid");
            let expected = &telemetry[event];
            assert_eq!(item["event"], expected["event_properties"]["type"]);
            assert_eq!(
                properties["event_properties"]["version"], versions[event],
                "analytics can filter on the version"
            );
            assert_eq!(properties["event_properties"], expected["event_properties"]);
            assert_eq!(
                properties["derived_properties"],
                expected["derived_properties"]
            );
            assert_eq!(properties["distinct_id"], "installation-1");
            assert_eq!(properties["app_version"], "v2026.11");
            assert!(seen.insert(event.to_owned()), "{event} sent once");
        }
    }
    assert_eq!(seen.len(), 4, "every event reached analytics");

    // Every attempt is in the log: one per delivery, delivered with 200.
    let attempts = count(
        &store,
        r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts" WHERE "outcome" = 'delivered' AND "status_code" = 200"#,
    )
    .await;
    assert_eq!(attempts, 13);
    assert_eq!(
        count(
            &store,
            r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts""#
        )
        .await,
        13
    );
}

both!(
    recorded_events_reach_their_subscribers_signed_and_scoped,
    scenario
);
