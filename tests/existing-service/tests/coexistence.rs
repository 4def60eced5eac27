//! The service deploys the toolkit next to what it had: its own migrations and the
//! generated ones in either order, twice (a second deploy), on SQLite and PostgreSQL; an
//! event recorded in the transaction that writes its own rows, then delivered to a real
//! webhook receiver. Nothing of the service's is changed or shadowed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use event_outbox::store::{NewWebhook, Scope, Store, StoreConfig};
use event_outbox::webhook::{AddressPolicy, WebhookConfig, WebhookSender};
use event_outbox::worker::{HttpDeliverer, Worker, WorkerConfig};
use event_runtime::schema::Tables;
use existing_service::events::{AccountSignedUp, AnalyticsEvent, TABLES};
use existing_service::{EVENTGEN_SQLITE, SERVICE_SQLITE, migrate_events, migrate_service, sign_up};
use sqlx::Row;
use test_support::{Backend, TestDatabase, count};

#[allow(dead_code)]
#[path = "../../tests/support/receiver.rs"]
mod receiver;

/// Which migrations a deploy applies first.
#[derive(Debug, Clone, Copy)]
enum Order {
    ServiceFirst,
    EventsFirst,
}

async fn deploy(store: &Store, order: Order) {
    match order {
        Order::ServiceFirst => {
            migrate_service(store)
                .await
                .expect("the service's migrations");
            migrate_events(store)
                .await
                .expect("the toolkit's migrations");
        }
        Order::EventsFirst => {
            migrate_events(store)
                .await
                .expect("the toolkit's migrations");
            migrate_service(store)
                .await
                .expect("the service's migrations");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_service_migrations_first() {
    coexist(Backend::Sqlite, Order::ServiceFirst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_generated_migrations_first() {
    coexist(Backend::Sqlite, Order::EventsFirst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_service_migrations_first() {
    coexist(Backend::Postgres, Order::ServiceFirst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_generated_migrations_first() {
    coexist(Backend::Postgres, Order::EventsFirst).await;
}

async fn coexist(backend: Backend, order: Order) {
    let Some(database) = TestDatabase::create(backend, "existing_service").await else {
        return;
    };
    // The tables as the service's eventgen.toml names them (the defaults).
    assert_eq!(TABLES, Tables::DEFAULT);
    let store = database.store(StoreConfig::default().tables(TABLES)).await;
    deploy(&store, order).await;
    deploy(&store, order).await;

    // Each migrator recorded its own versions, in its own table.
    let service: Vec<i64> = SERVICE_SQLITE.iter().map(|m| m.version).collect();
    assert_eq!(service, [20240101000000, 20240215093000, 20240301120000]);
    assert_eq!(versions(&store, "_sqlx_migrations").await, service);
    let generated: Vec<i64> = EVENTGEN_SQLITE.iter().map(|m| m.version).collect();
    assert_eq!(
        generated.len(),
        4,
        "the runtime's two, the catalog's, and the operational events'"
    );
    assert_eq!(versions(&store, "_eventgen_migrations").await, generated);

    // The service's tables are as its migrations made them.
    assert_eq!(
        columns(&store, "users").await,
        ["id", "uuid", "email", "created_at"]
    );
    assert_eq!(
        columns(&store, "events").await,
        ["id", "user_id", "action", "at"]
    );
    assert_eq!(
        columns(&store, "subscriptions").await,
        ["id", "user_id", "plan", "renews_on"]
    );
    store
        .check_event_types(
            AnalyticsEvent::ALL
                .iter()
                .filter(|e| e.is_stored())
                .map(|e| e.as_str()),
        )
        .await
        .expect("the catalog's event types in the toolkit's table");

    let receiver = receiver::Receiver::start().await;
    let hook = store
        .create_webhook(NewWebhook::new("crm", receiver.url("/crm")))
        .await
        .expect("a webhook");
    store
        .subscribe(hook.subscriber.uuid, AccountSignedUp::TYPE, Scope::global())
        .await
        .expect("a subscription");
    receiver.verify("/crm", hook.secret.as_str());

    // One transaction of the service's: its rows and the event, together.
    let user = sign_up(&store, "ada@example.com", "pro")
        .await
        .expect("sign up");
    let again = sign_up(&store, "ada@example.com", "free").await;
    assert!(
        again.is_err(),
        "the e-mail address is taken: the whole sign-up rolls back"
    );
    for (sql, expected) in [
        ("SELECT COUNT(*) FROM users", 1),
        ("SELECT COUNT(*) FROM events WHERE action = 'signed up'", 1),
        ("SELECT COUNT(*) FROM subscriptions WHERE plan = 'pro'", 1),
        ("SELECT COUNT(*) FROM subscriptions", 1),
        (r#"SELECT COUNT(*) FROM "eventgen_events""#, 1),
        (r#"SELECT COUNT(*) FROM "eventgen_deliveries""#, 1),
        (r#"SELECT COUNT(*) FROM "eventgen_subscriptions""#, 1),
    ] {
        assert_eq!(count(&store, sql).await, expected, "{sql}");
    }

    let webhooks = WebhookSender::new(WebhookConfig {
        addresses: AddressPolicy::public_only().allow("127.0.0.1/32".parse().expect("a network")),
        ..WebhookConfig::default()
    })
    .expect("a webhook sender");
    let worker = Worker::new(store.clone(), Arc::new(HttpDeliverer::new(webhooks, None)))
        .config(WorkerConfig::default().name("existing-service"))
        .expect("a worker configuration")
        .spawn();
    let started = Instant::now();
    while store.outbox_counts().await.expect("counts").pending > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "still pending after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    worker.shutdown().await.expect("the worker stops");
    let received = receiver.received_at("/crm");
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(
        received[0].verified,
        Some(Ok(())),
        "signed with the webhook's secret"
    );
    let body = received[0].json();
    assert_eq!(body["event"]["type"], "account:signed-up");
    assert_eq!(body["event"]["account"]["uuid"], user.uuid.to_string());
    assert_eq!(body["event"]["account"]["email"], "ada@example.com");
    assert_eq!(
        body["event"]["account"]["plan"], "pro",
        "an event's fields sit in its layer"
    );

    store.close().await;
    database.drop().await;
}

/// The versions a migrations table records, in order.
async fn versions(store: &Store, table: &str) -> Vec<i64> {
    let sql = format!("SELECT version FROM {table} ORDER BY version");
    match (store.sqlite_pool(), store.postgres_pool()) {
        (Some(pool), _) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
        }
        (_, Some(pool)) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
        }
        _ => unreachable!("a store has a pool"),
    }
    .unwrap_or_else(|e| panic!("read {table}: {e}"))
}

/// A table's columns, in order.
async fn columns(store: &Store, table: &str) -> Vec<String> {
    if let Some(pool) = store.sqlite_pool() {
        let sql = format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid");
        return sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .expect("table info")
            .iter()
            .map(|row| row.get::<String, _>("name"))
            .collect();
    }
    let pool = store.postgres_pool().expect("a store has a pool");
    sqlx::query(
        "SELECT column_name::text AS name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .expect("columns")
    .iter()
    .map(|row| row.get::<String, _>("name"))
    .collect()
}
