//! The operational events: the outbox records them in the transaction that makes the
//! change (a subscriber disabled, a delivery dead, a secret rotated), and delivers them
//! like any other event. Their code in the outbox is the generator's.

mod common;

use std::path::Path;
use std::time::Duration;

use event_outbox::Outcome;
use event_outbox::store::{Completion, NewWebhook, Scope, Store, StoreConfig, WebhookUpdate};
use serde_json::Value;
use uuid::Uuid;

use common::{count, execute};

/// The catalog holding the operational events alone (every catalog has them).
const CATALOG: &str = "[catalog]\nname = \"operational\"\ndescription = \"The operational events every catalog has.\"\n";

const LEASE: Duration = Duration::from_secs(60);

const MODULE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/src/store/operational/events.rs"
);

fn catalog() -> event_codegen::model::Catalog {
    let loaded = event_codegen::load_str("operational.toml", CATALOG);
    loaded.catalog.expect("the operational events check")
}

#[test]
fn the_outbox_module_is_the_generators() {
    let module = event_codegen::generate::rust::module(&catalog());
    if std::env::var_os("UPDATE_OPERATIONAL").is_some() {
        std::fs::write(MODULE, &module).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(Path::new(MODULE)).unwrap_or_default();
    assert!(
        committed == module,
        "event-outbox/src/store/operational/events.rs differs from what the generator writes for the \
         operational events: refresh it with \
         `UPDATE_OPERATIONAL=1 cargo test -p event-outbox --test operational the_outbox_module_is_the_generators`"
    );
}

/// Runs `body` on a store whose database holds the runtime's tables, the test catalog of
/// `common`, and the operational events' migration as the generator writes it.
async fn with_store<F, Fut>(backend: common::Backend, config: StoreConfig, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    test_support::with_store(backend, "eventgen_op", config, install, body).await;
}

async fn install(store: &Store) {
    common::install(store).await;
    execute(
        store,
        &generated("migrations", store.backend(), "operational.sql"),
    )
    .await;
}

/// The generated file of the operational catalog under `dir/<sub>/` ending in `suffix`.
fn generated(dir: &str, sub: &str, suffix: &str) -> String {
    let outputs = event_codegen::generate::outputs(
        Path::new("."),
        &catalog(),
        Path::new("definitions"),
        None,
        None,
    )
    .expect("generates");
    let prefix = Path::new(dir).join(sub);
    outputs
        .files
        .into_iter()
        .find(|f| f.path.starts_with(&prefix) && f.path.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no generated {dir}/{sub}/*{suffix}"))
        .contents
}

/// The payload checked against the generator's notification schema of its type.
fn checked(payload: &str) -> Value {
    let payload: Value = serde_json::from_str(payload).expect("JSON");
    let event_type = payload["type"].as_str().expect("a type");
    let schema: Value = serde_json::from_str(&generated(
        "schemas",
        "notification",
        &format!("{}/v1.json", event_type.replace(':', ".")),
    ))
    .expect("a schema");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&payload)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{payload}: {errors:?}");
    payload
}

/// A webhook, `hook.example`, subscribed to `project:created`; and a second one,
/// `ops.example`, subscribed to the operational `event_type` of the first webhook only.
async fn hook_and_ops(store: &Store, event_type: &str) -> (Uuid, Uuid) {
    let hook = common::webhook_with_events(store, 0).await;
    let ops = store
        .create_webhook(NewWebhook::new("ops", "https://ops.example/"))
        .await
        .expect("create")
        .subscriber
        .uuid;
    let scope = Scope::global().with("operational_subscriber_uuid", hook);
    store
        .subscribe(ops, event_type, scope)
        .await
        .expect("subscribe");
    (hook, ops)
}

/// Claims everything due and answers each delivery with `outcome`; the claimed payloads,
/// by event type.
async fn answer_all(store: &Store, outcome: Outcome) -> Vec<(String, Uuid, String)> {
    let claim = store.claim("w", 100, LEASE).await.expect("claim");
    let completions: Vec<Completion> = claim
        .deliveries
        .iter()
        .map(|d| Completion::new(d, &claim.lease.token, common::attempt(outcome)))
        .collect();
    store.complete(&completions).await.expect("complete");
    claim
        .deliveries
        .iter()
        .map(|d| (d.event_type.clone(), d.target.uuid, d.payload.clone()))
        .collect()
}

async fn events_of(store: &Store, event_type: &str) -> i64 {
    count(
        store,
        &format!(r#"SELECT COUNT(*) FROM "eventgen_events" WHERE "type" = '{event_type}'"#),
    )
    .await
}

/// `both!` on the store of [`with_store`].
macro_rules! both_operational {
    ($name:ident, $scenario:expr) => {
        both!($name, $scenario, common::config(), with_store);
    };
    ($name:ident, $scenario:expr, $config:expr) => {
        both!($name, $scenario, $config, with_store);
    };
}

both_operational!(
    a_dead_delivery_is_an_event_delivered_to_its_subscribers,
    |store: Store| async move {
        let (hook, ops) = hook_and_ops(&store, "operational:subscriber:delivery:dead").await;
        common::record_created(&store, 1).await;
        let created = answer_all(&store, Outcome::Refused).await;
        assert_eq!(created.len(), 1);

        let sent = answer_all(&store, Outcome::Delivered).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        let (event_type, target, payload) = &sent[0];
        assert_eq!(event_type, "operational:subscriber:delivery:dead");
        assert_eq!(*target, ops);
        let payload = checked(payload);
        let subscriber = &payload["operational"]["subscriber"];
        assert_eq!(subscriber["uuid"], hook.to_string());
        assert_eq!(subscriber["name"], "hook");
        assert_eq!(subscriber["kind"], "webhook");
        let delivery = &subscriber["delivery"];
        assert_eq!(delivery["event_type"], "project:created");
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["last_error"], "Refused");
        let dead = store.dead_deliveries(Some(hook), 10).await.expect("dead");
        assert_eq!(delivery["uuid"], dead[0].uuid.to_string());
        assert_eq!(
            delivery["event_uuid"],
            dead[0].event_uuid.expect("kept").to_string()
        );
    }
);

both_operational!(
    a_dead_delivery_of_an_operational_event_records_none,
    |store: Store| async move {
        let (_, ops) = hook_and_ops(&store, "operational:subscriber:delivery:dead").await;
        // The operational webhook watches its own dead deliveries too.
        let own = Scope::global().with("operational_subscriber_uuid", ops);
        store
            .subscribe(ops, "operational:subscriber:delivery:dead", own)
            .await
            .expect("subscribe");
        common::record_created(&store, 1).await;
        answer_all(&store, Outcome::Refused).await;
        assert_eq!(
            events_of(&store, "operational:subscriber:delivery:dead").await,
            1
        );
        // Its delivery dies: no event about it, so nothing more to send.
        let sent = answer_all(&store, Outcome::Refused).await;
        assert_eq!(sent.len(), 1);
        assert_eq!(
            events_of(&store, "operational:subscriber:delivery:dead").await,
            1
        );
        assert!(answer_all(&store, Outcome::Refused).await.is_empty());
    }
);

both_operational!(
    a_gone_endpoint_disables_its_subscriber_with_an_event,
    |store: Store| async move {
        let (hook, ops) = hook_and_ops(&store, "operational:subscriber:disabled").await;
        common::record_created(&store, 3).await;
        // One delivery answered 410 Gone; the other two end dead with the subscriber.
        let claim = store.claim("w", 1, LEASE).await.expect("claim");
        let gone = Completion::new(
            &claim.deliveries[0],
            &claim.lease.token,
            common::attempt(Outcome::Gone),
        );
        store.complete(&[gone]).await.expect("complete");

        let sent = answer_all(&store, Outcome::Delivered).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].0, "operational:subscriber:disabled");
        assert_eq!(sent[0].1, ops);
        let payload = checked(&sent[0].2);
        let subscriber = &payload["operational"]["subscriber"];
        assert_eq!(subscriber["uuid"], hook.to_string());
        assert_eq!(subscriber["reason"], "the endpoint answered 410 Gone");
        assert_eq!(subscriber["dead_deliveries"], 2);
        // Disabling an already disabled subscriber records nothing more.
        let update = WebhookUpdate {
            enabled: Some(false),
            ..WebhookUpdate::default()
        };
        store
            .update_subscriber(hook, update.clone())
            .await
            .expect("update");
        assert_eq!(
            events_of(&store, "operational:subscriber:disabled").await,
            1
        );
        // Enabled again, then disabled by a user.
        let enable = WebhookUpdate {
            enabled: Some(true),
            ..WebhookUpdate::default()
        };
        store.update_subscriber(hook, enable).await.expect("update");
        store.update_subscriber(hook, update).await.expect("update");
        let sent = answer_all(&store, Outcome::Delivered).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        let payload = checked(&sent[0].2);
        assert_eq!(
            payload["operational"]["subscriber"]["reason"],
            "disabled by a user"
        );
        assert_eq!(payload["operational"]["subscriber"]["dead_deliveries"], 0);
    }
);

both_operational!(
    a_failure_window_past_its_limit_disables_with_an_event,
    |store: Store| async move {
        let (hook, _) = hook_and_ops(&store, "operational:subscriber:disabled").await;
        common::record_created(&store, 1).await;
        // The window opens at the first failure; at the next one, it is older than the
        // limit (a millisecond).
        answer_all(&store, Outcome::Retry { not_before: None }).await;
        execute(
            &store,
            r#"UPDATE "eventgen_deliveries" SET "next_attempt_at" = "created_at""#,
        )
        .await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        answer_all(&store, Outcome::Retry { not_before: None }).await;
        let subscriber = store.subscriber(hook).await.expect("read").expect("kept");
        assert!(!subscriber.enabled);
        let sent = answer_all(&store, Outcome::Delivered).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        let payload = checked(&sent[0].2);
        let reason = payload["operational"]["subscriber"]["reason"]
            .as_str()
            .expect("text");
        assert!(
            reason.starts_with("deliveries failed continuously since "),
            "{reason}"
        );
    },
    common::config().disable_after(Duration::from_millis(1))
);

both_operational!(
    a_rotated_secret_is_an_event_in_the_rotations_transaction,
    |store: Store| async move {
        let (hook, ops) = hook_and_ops(&store, "operational:subscriber:secret-rotated").await;
        store.rotate_secret(hook, None).await.expect("rotate");
        let sent = answer_all(&store, Outcome::Delivered).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].1, ops);
        let payload = checked(&sent[0].2);
        let subscriber = &payload["operational"]["subscriber"];
        assert_eq!(subscriber["uuid"], hook.to_string());
        let expires = subscriber["previous_secret_expires_at"]
            .as_str()
            .expect("a time");
        let expires = chrono::DateTime::parse_from_rfc3339(expires).expect("RFC 3339");
        let timestamp = payload["timestamp"].as_str().expect("a time");
        let timestamp = chrono::DateTime::parse_from_rfc3339(timestamp).expect("RFC 3339");
        assert!(expires > timestamp, "{payload}");
        // A rotation that fails records nothing.
        assert!(store.rotate_secret(Uuid::new_v4(), None).await.is_err());
        assert_eq!(
            events_of(&store, "operational:subscriber:secret-rotated").await,
            1
        );
    }
);

/// A database whose migrations predate the operational events: the changes go through,
/// and no event is recorded.
mod without_their_migration {
    use super::*;

    async fn scenario(store: Store) {
        let hook = common::webhook_with_events(&store, 1).await;
        answer_all(&store, Outcome::Gone).await;
        store.rotate_secret(hook, None).await.expect("rotate");
        let subscriber = store.subscriber(hook).await.expect("read").expect("kept");
        assert!(!subscriber.enabled);
        assert_eq!(
            store
                .dead_deliveries(Some(hook), 10)
                .await
                .expect("dead")
                .len(),
            1
        );
        let events = count(&store, r#"SELECT COUNT(*) FROM "eventgen_events""#).await;
        assert_eq!(events, 1, "the one project:created only");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        common::with_store(common::Backend::Sqlite, common::config(), scenario).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        common::with_store(common::Backend::Postgres, common::config(), scenario).await;
    }
}
