//! Recording events with their deliveries in the caller's transaction: who gets a
//! delivery and with which payload, rollback, telemetry off, batches, the caller's own
//! transaction, and the drift check.

mod common;

use std::time::Duration;

use common::{TestEvent, count};
use event_outbox::store::{
    ClaimedDelivery, NewWebhook, Scope, Store, StoreConfig, StoreError, SubscriberKind,
    WebhookUpdate,
};
use event_runtime::Recorder as _;
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(60);

/// Claims everything due, sorted by subscriber name.
async fn claim_all(store: &Store) -> Vec<ClaimedDelivery> {
    let mut deliveries = store
        .claim("inspect", 10_000, LEASE)
        .await
        .expect("claim")
        .deliveries;
    deliveries.sort_by(|a, b| a.target.name.cmp(&b.target.name));
    deliveries
}

fn names(deliveries: &[ClaimedDelivery]) -> Vec<&str> {
    deliveries.iter().map(|d| d.target.name.as_str()).collect()
}

async fn webhook(store: &Store, name: &str) -> Uuid {
    store
        .create_webhook(NewWebhook::new(
            name,
            format!("https://{name}.example/hook"),
        ))
        .await
        .expect("create a webhook")
        .subscriber
        .uuid
}

both!(
    deliveries_go_to_matching_subscriptions,
    |store: Store| async move {
        let (project, other_project, job) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let global = webhook(&store, "a-global").await;
        let by_project = webhook(&store, "b-project").await;
        let by_job = webhook(&store, "c-project-and-job").await;
        let elsewhere = webhook(&store, "d-other-project").await;
        let twice = webhook(&store, "e-global-and-scoped").await;
        let disabled = webhook(&store, "f-disabled").await;
        let other_type = webhook(&store, "g-other-type").await;
        let analytics = store
            .ensure_analytics_subscriber("h-analytics", common::EVENT_TYPES)
            .await
            .expect("the analytics subscriber");
        assert_eq!(analytics.kind, SubscriberKind::Analytics);

        let failed = "job:failed";
        store
            .subscribe(global, failed, Scope::global())
            .await
            .expect("subscribe");
        store
            .subscribe(
                by_project,
                failed,
                Scope::global().with("project_uuid", project),
            )
            .await
            .expect("subscribe");
        store
            .subscribe(
                by_job,
                failed,
                Scope::global()
                    .with("project_uuid", project)
                    .with("job_uuid", job),
            )
            .await
            .expect("subscribe");
        store
            .subscribe(
                elsewhere,
                failed,
                Scope::global().with("project_uuid", other_project),
            )
            .await
            .expect("subscribe");
        store
            .subscribe(twice, failed, Scope::global())
            .await
            .expect("subscribe");
        store
            .subscribe(twice, failed, Scope::global().with("project_uuid", project))
            .await
            .expect("subscribe");
        store
            .subscribe(disabled, failed, Scope::global())
            .await
            .expect("subscribe");
        store
            .update_subscriber(
                disabled,
                WebhookUpdate {
                    enabled: Some(false),
                    ..Default::default()
                },
            )
            .await
            .expect("disable");
        store
            .subscribe(other_type, "job:succeeded", Scope::global())
            .await
            .expect("subscribe");

        let event = TestEvent::new(failed, project, Some(job));
        let mut tx = store.begin().await.expect("begin");
        let id = tx.record(&event).await.expect("record");
        assert_eq!(id.0, event.uuid);
        tx.commit().await.expect("commit");

        let deliveries = claim_all(&store).await;
        assert_eq!(
            names(&deliveries),
            [
                "a-global",
                "b-project",
                "c-project-and-job",
                "e-global-and-scoped",
                "h-analytics"
            ],
            "scope matching: every value a subscription names; one delivery per subscriber"
        );
        for delivery in &deliveries {
            assert_eq!(delivery.event_type, failed);
            assert_eq!(delivery.attempts, 1);
            let payload: serde_json::Value = serde_json::from_str(&delivery.payload).expect("JSON");
            if delivery.target.kind == SubscriberKind::Analytics {
                assert!(
                    payload["event_properties"].is_object(),
                    "telemetry: {payload}"
                );
                assert!(!delivery.payload.contains("Secret name"));
            } else {
                assert_eq!(payload["project"]["name"], "Secret name", "notification");
                assert_eq!(payload["uuid"], event.uuid.to_string());
            }
        }

        // A job of another project reaches only the global subscriptions.
        let mut tx = store.begin().await.expect("begin");
        tx.record(&TestEvent::new(failed, other_project, None))
            .await
            .expect("record");
        tx.commit().await.expect("commit");
        assert_eq!(
            names(&claim_all(&store).await),
            [
                "a-global",
                "d-other-project",
                "e-global-and-scoped",
                "h-analytics"
            ]
        );
    }
);

both!(
    a_rollback_leaves_no_event_and_no_delivery,
    |store: Store| async move {
        let hook = webhook(&store, "hook").await;
        store
            .subscribe(hook, "project:created", Scope::global())
            .await
            .expect("subscribe");
        let mut tx = store.begin().await.expect("begin");
        tx.record(&TestEvent::new("project:created", Uuid::new_v4(), None))
            .await
            .expect("record");
        tx.rollback().await.expect("roll back");
        // Dropped without commit: the same.
        let mut tx = store.begin().await.expect("begin");
        tx.record(&TestEvent::new("project:created", Uuid::new_v4(), None))
            .await
            .expect("record");
        drop(tx);
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_events""#).await,
            0
        );
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await,
            0
        );
    }
);

both!(
    telemetry_disabled_records_no_analytics_delivery,
    |store: Store| async move {
        assert!(store.config().telemetry.is_none());
        let hook = webhook(&store, "hook").await;
        store
            .subscribe(hook, "project:created", Scope::global())
            .await
            .expect("subscribe");
        store
            .ensure_analytics_subscriber("analytics", common::EVENT_TYPES)
            .await
            .expect("the analytics subscriber");
        let mut tx = store.begin().await.expect("begin");
        tx.record(&TestEvent::new("project:created", Uuid::new_v4(), None))
            .await
            .expect("record");
        tx.commit().await.expect("commit");
        assert_eq!(names(&claim_all(&store).await), ["hook"]);
    },
    StoreConfig::default()
);

both!(
    an_event_without_subscribers_is_still_recorded,
    |store: Store| async move {
        let event = TestEvent {
            name: None,
            ..TestEvent::new("job:succeeded", Uuid::new_v4(), Some(Uuid::new_v4()))
        };
        let mut tx = store.begin().await.expect("begin");
        tx.record(&event).await.expect("record");
        tx.commit().await.expect("commit");
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_events""#).await,
            1
        );
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_events" WHERE "name" IS NULL AND "job_uuid" IS NOT NULL"#
            )
            .await,
            1,
            "NULL columns stay NULL"
        );
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await,
            0
        );
    }
);

both!(
    a_batch_records_every_event_and_delivery,
    |store: Store| async move {
        let hook = webhook(&store, "hook").await;
        for event_type in common::EVENT_TYPES {
            store
                .subscribe(hook, event_type, Scope::global())
                .await
                .expect("subscribe");
        }
        store
            .ensure_analytics_subscriber("analytics", common::EVENT_TYPES)
            .await
            .expect("the analytics subscriber");
        // Three column sets: with a job, without, without a name.
        let events: Vec<TestEvent> = (0..250)
            .map(|i| {
                let mut event = TestEvent::new(
                    common::EVENT_TYPES[i % 3],
                    Uuid::new_v4(),
                    (i % 2 == 0).then(Uuid::new_v4),
                );
                if i % 5 == 0 {
                    event.name = None;
                }
                event
            })
            .collect();
        let refs: Vec<&dyn event_runtime::StoredEvent> = events
            .iter()
            .map(|e| e as &dyn event_runtime::StoredEvent)
            .collect();
        let mut tx = store.begin().await.expect("begin");
        let ids = tx.record_batch(&refs).await.expect("record a batch");
        tx.commit().await.expect("commit");
        assert_eq!(
            ids.iter().map(|id| id.0).collect::<Vec<_>>(),
            events.iter().map(|e| e.uuid).collect::<Vec<_>>()
        );
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_events""#).await,
            250
        );
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_events" WHERE "name" IS NULL"#
            )
            .await,
            50
        );
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await,
            500
        );
    }
);

both!(
    recording_into_the_callers_own_transaction,
    |store: Store| async move {
        let hook = webhook(&store, "hook").await;
        store
            .subscribe(hook, "project:created", Scope::global())
            .await
            .expect("subscribe");
        let event = TestEvent::new("project:created", Uuid::new_v4(), None);
        if let Some(pool) = store.sqlite_pool() {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
            let mut recorder = store.recorder(&mut *tx);
            recorder.record(&event).await.expect("record");
            assert!(recorder.recorded_deliveries());
            tx.commit().await.expect("commit");
        } else if let Some(pool) = store.postgres_pool() {
            let mut tx = pool.begin().await.expect("begin");
            store
                .recorder(&mut *tx)
                .record(&event)
                .await
                .expect("record");
            // Uncommitted: nothing is visible elsewhere yet.
            assert_eq!(
                count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await,
                0
            );
            tx.commit().await.expect("commit");
        }
        store.wake();
        assert_eq!(names(&claim_all(&store).await), ["hook"]);
    }
);

both!(
    deleting_the_event_keeps_its_deliveries,
    |store: Store| async move {
        let hook = webhook(&store, "hook").await;
        store
            .subscribe(hook, "project:created", Scope::global())
            .await
            .expect("subscribe");
        let event = TestEvent::new("project:created", Uuid::new_v4(), None);
        let mut tx = store.begin().await.expect("begin");
        tx.record(&event).await.expect("record");
        tx.commit().await.expect("commit");
        common::execute(&store, r#"DELETE FROM "eventgen_events""#).await;
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "event_uuid" IS NULL"#
            )
            .await,
            1
        );
        assert_eq!(claim_all(&store).await[0].event_type, "project:created");
    }
);

both!(
    the_drift_check_lists_missing_and_extra_types,
    |store: Store| async move {
        store
            .check_event_types(common::EVENT_TYPES)
            .await
            .expect("the catalog's types");
        let error = store
            .check_event_types(["project:created", "job:failed", "job:cancelled"])
            .await
            .expect_err("drift");
        let StoreError::Drift(drift) = error else {
            panic!("expected drift, got {error}");
        };
        assert_eq!(drift.missing, ["job:cancelled"]);
        assert_eq!(drift.extra, ["job:succeeded"]);
        let message = drift.to_string();
        assert!(
            message.contains("job:cancelled") && message.contains("job:succeeded"),
            "{message}"
        );
    }
);
