//! The worker: delivers through the deliverer with the wrapped body, wakes on commit
//! without waiting for the poll, batches analytics, shuts down gracefully; four workers
//! on PostgreSQL deliver 10,000 deliveries exactly once; concurrent SQLite writers never
//! see `SQLITE_BUSY`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Backend, FakeDeliverer, TestEvent, count, eventually};
use event_outbox::store::{NewWebhook, Scope, Store};
use event_outbox::worker::{Worker, WorkerConfig};
use uuid::Uuid;

/// Slow polling, so that anything fast came from a wake-up.
fn config(name: &str) -> WorkerConfig {
    WorkerConfig::default()
        .name(name)
        .poll_interval(Duration::from_secs(30))
        .shutdown_grace(Duration::from_secs(5))
}

async fn webhook(store: &Store, name: &str, event_type: &str) -> Uuid {
    let hook = store
        .create_webhook(NewWebhook::new(name, format!("https://{name}.example/")))
        .await
        .expect("create")
        .subscriber
        .uuid;
    store
        .subscribe(hook, event_type, Scope::global())
        .await
        .expect("subscribe");
    hook
}

both!(
    the_worker_delivers_at_once_after_a_commit,
    |store: Store| async move {
        let hook = webhook(&store, "hook", "project:created").await;
        store
            .ensure_analytics_subscriber("analytics", common::EVENT_TYPES)
            .await
            .expect("analytics");
        let deliverer = common::deliverer();
        // Started before anything is due: it waits, then wakes on the commit.
        let handle = Worker::new(store.clone(), Arc::clone(&deliverer))
            .config(config("w"))
            .expect("a valid worker configuration")
            .spawn();
        tokio::time::sleep(Duration::from_millis(200)).await;
        common::record_created(&store, 3).await;
        eventually(Duration::from_secs(5), "6 deliveries", || {
            let deliverer = Arc::clone(&deliverer);
            async move { deliverer.received_total() == 6 }
        })
        .await;
        eventually(Duration::from_secs(5), "an empty outbox", || {
            let store = store.clone();
            async move { count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await == 0 }
        })
        .await;
        handle.shutdown().await.expect("shut down");

        let webhooks = deliverer.webhooks.lock().expect("not poisoned").clone();
        assert_eq!(webhooks.len(), 3);
        let body: serde_json::Value = serde_json::from_str(&webhooks[0].body).expect("JSON");
        assert_eq!(body["delivered_for"]["name"], "hook");
        assert_eq!(body["delivered_for"]["uuid"], hook.to_string());
        assert!(body["delivered_for"].get("url").is_none());
        assert_eq!(body["event"]["type"], "project:created");
        assert_eq!(webhooks[0].secrets.len(), 1);
        Uuid::parse_str(&webhooks[0].message_id).expect("the delivery uuid");
        let analytics = deliverer.analytics.lock().expect("not poisoned").clone();
        assert_eq!(analytics.len(), 3);
        assert!(
            analytics
                .iter()
                .all(|(t, _, p)| t == "project:created" && p.contains("event_properties"))
        );
    }
);

both!(
    failed_deliveries_are_retried_later_not_at_once,
    |store: Store| async move {
        webhook(&store, "down", "project:created").await;
        let deliverer = common::deliverer();
        deliverer.answer(
            "https://down.example/",
            event_outbox::Outcome::Retry { not_before: None },
        );
        let handle = Worker::new(store.clone(), Arc::clone(&deliverer))
            .config(config("w").poll_interval(Duration::from_millis(50)))
            .expect("a valid worker configuration")
            .spawn();
        common::record_created(&store, 1).await;
        eventually(Duration::from_secs(5), "one attempt", || {
            let deliverer = Arc::clone(&deliverer);
            async move { deliverer.received_total() == 1 }
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        handle.shutdown().await.expect("shut down");
        assert_eq!(
            deliverer.received_total(),
            1,
            "the next attempt is seconds away"
        );
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "leased_by" IS NULL"#
            )
            .await,
            1
        );
    }
);

both!(
    shutdown_gives_back_what_did_not_finish,
    |store: Store| async move {
        webhook(&store, "slow", "project:created").await;
        common::record_created(&store, 4).await;
        let deliverer = Arc::new(FakeDeliverer {
            delay: Duration::from_secs(60),
            ..FakeDeliverer::default()
        });
        let handle = Worker::new(store.clone(), Arc::clone(&deliverer))
            .config(config("w").shutdown_grace(Duration::from_millis(200)))
            .expect("a valid worker configuration")
            .spawn();
        eventually(Duration::from_secs(5), "4 leased", || {
            let store = store.clone();
            async move {
                count(
                    &store,
                    r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "leased_by" IS NOT NULL"#,
                )
                .await
                    == 4
            }
        })
        .await;
        handle.shutdown().await.expect("shut down");
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "leased_by" IS NULL AND "attempts" = 0"#
            )
            .await,
            4,
            "released, the attempt not counted"
        );
        assert_eq!(
            store
                .claim("next", 10, Duration::from_secs(60))
                .await
                .expect("claim")
                .deliveries
                .len(),
            4
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_on_postgres_deliver_10000_exactly_once() {
    common::with_store(
        Backend::Postgres,
        common::config(),
        |store: Store| async move {
            let hooks = [
                webhook(&store, "one", "project:created").await,
                webhook(&store, "two", "project:created").await,
            ];
            assert_eq!(hooks.len(), 2);
            // 5,000 events × 2 webhooks, recorded in batches.
            let events: Vec<TestEvent> = (0..5_000)
                .map(|_| TestEvent::new("project:created", Uuid::new_v4(), None))
                .collect();
            for chunk in events.chunks(500) {
                let refs: Vec<&dyn event_runtime::StoredEvent> = chunk
                    .iter()
                    .map(|e| e as &dyn event_runtime::StoredEvent)
                    .collect();
                let mut tx = store.begin().await.expect("begin");
                tx.record_batch(&refs).await.expect("record");
                tx.commit().await.expect("commit");
            }
            assert_eq!(
                count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await,
                10_000
            );

            let deliverer = common::deliverer();
            // Each worker has its own store (pool), as if in its own process.
            let pool = store.postgres_pool().expect("PostgreSQL").clone();
            let handles: Vec<_> = (0..4)
                .map(|i| {
                    let own = Store::from_postgres_pool(pool.clone(), common::config())
                        .expect("a valid configuration");
                    Worker::new(own, Arc::clone(&deliverer))
                        .config(config(&format!("w{i}")).poll_interval(Duration::from_millis(100)))
                        .expect("a valid worker configuration")
                        .spawn()
                })
                .collect();
            eventually(Duration::from_secs(120), "10,000 deliveries", || {
                let store = store.clone();
                async move { count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await == 0 }
            })
            .await;
            for handle in handles {
                handle.shutdown().await.expect("shut down");
            }
            assert_eq!(deliverer.received_distinct(), 10_000, "none lost");
            assert_eq!(deliverer.max_per_delivery(), 1, "none twice");
            assert_eq!(
                count(&store, r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts""#).await,
                10_000
            );
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sqlite_writers_never_see_busy() {
    common::with_store(
        Backend::Sqlite,
        common::config(),
        |store: Store| async move {
            webhook(&store, "hook", "project:created").await;
            // A worker claims and completes while 8 writers record.
            let deliverer = common::deliverer();
            let handle = Worker::new(store.clone(), Arc::clone(&deliverer))
                .config(config("w").poll_interval(Duration::from_millis(20)))
                .expect("a valid worker configuration")
                .spawn();
            let writers: Vec<_> = (0..8)
                .map(|_| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        for _ in 0..50 {
                            common::record_created(&store, 1).await;
                            store
                                .subscribers()
                                .await
                                .expect("a read beside the writers");
                        }
                    })
                })
                .collect();
            for writer in writers {
                writer.await.expect("no writer failed");
            }
            // A second store on the same file: another process's writes wait for the lock.
            let path = store
                .sqlite_pool()
                .expect("SQLite")
                .connect_options()
                .get_filename()
                .to_owned();
            let other = Store::connect(&format!("sqlite:{}", path.display()))
                .await
                .expect("a second store");
            let (a, b) = tokio::join!(
                common::record_created(&store, 200),
                common::record_created(&other, 200)
            );
            let ((), ()) = (a, b);
            other.close().await;
            eventually(Duration::from_secs(30), "everything delivered", || {
                let store = store.clone();
                async move { count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await == 0 }
            })
            .await;
            handle.shutdown().await.expect("shut down");
            assert_eq!(deliverer.received_distinct(), 800);
            assert_eq!(deliverer.max_per_delivery(), 1);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_of_another_process_wakes_on_postgres_notify() {
    common::with_store(
        Backend::Postgres,
        common::config(),
        |store: Store| async move {
            webhook(&store, "hook", "project:created").await;
            let deliverer = common::deliverer();
            // Its own store: the in-process signal of `store` does not reach it, only NOTIFY.
            let pool = store.postgres_pool().expect("PostgreSQL").clone();
            let elsewhere =
                Store::from_postgres_pool(pool, common::config()).expect("a valid configuration");
            let handle = Worker::new(elsewhere, Arc::clone(&deliverer))
                .config(config("elsewhere"))
                .expect("a valid worker configuration")
                .spawn();
            tokio::time::sleep(Duration::from_millis(300)).await;
            common::record_created(&store, 1).await;
            eventually(Duration::from_secs(5), "the delivery", || {
                let deliverer = Arc::clone(&deliverer);
                async move { deliverer.received_total() == 1 }
            })
            .await;
            handle.shutdown().await.expect("shut down");
        },
    )
    .await;
}
