//! The runtime's tables under the names a project configures: a prefix of its own and, on
//! PostgreSQL, a schema. Recording, claiming, completing, subscribers and the drift check
//! all use them, and nothing is written under the default names.

mod common;

use std::time::Duration;

use event_outbox::Outcome;
use event_outbox::store::{Completion, Store, StoreConfig};
use event_runtime::schema::Tables;

use common::count;

fn tables() -> Tables {
    Tables::DEFAULT
        .with_prefix("svc_")
        .and_then(|t| t.in_schema("outbox"))
        .and_then(|t| t.with_migrations_table("outbox.svc_migrations"))
        .expect("valid names")
}

both!(
    every_statement_uses_the_configured_tables,
    |store: Store| async move {
        let postgres = store.backend() == "postgres";
        assert_eq!(store.tables().prefix(), "svc_");
        assert_eq!(
            store.tables().schema(),
            postgres.then_some("outbox"),
            "SQLite has no schemas"
        );
        let deliveries = if postgres {
            r#""outbox"."svc_deliveries""#
        } else {
            r#""svc_deliveries""#
        };
        assert_eq!(
            store
                .tables()
                .name(event_runtime::schema::Table::Deliveries),
            deliveries
        );

        let hook = common::webhook_with_events(&store, 2).await;
        store
            .check_event_types(common::EVENT_TYPES)
            .await
            .expect("the event types, in the configured table");
        assert_eq!(
            store
                .subscriptions(hook)
                .await
                .expect("subscriptions")
                .len(),
            1
        );
        let pending = format!("SELECT COUNT(*) FROM {deliveries}");
        assert_eq!(count(&store, &pending).await, 2);
        let claimed = store
            .claim("w", 10, Duration::from_secs(30))
            .await
            .expect("claim");
        assert_eq!(claimed.deliveries.len(), 2);
        let completions: Vec<Completion> = claimed
            .deliveries
            .iter()
            .map(|d| Completion::new(d, &claimed.lease.token, common::attempt(Outcome::Delivered)))
            .collect();
        assert_eq!(store.complete(&completions).await.expect("complete"), 2);
        assert_eq!(count(&store, &pending).await, 0);
        let attempts = store
            .attempts(claimed.deliveries[0].uuid)
            .await
            .expect("attempts");
        assert_eq!(attempts.len(), 1);

        // Nothing under the default names: they do not even exist.
        let defaults = if postgres {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE 'eventgen_%'"
        } else {
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'eventgen_%'"
        };
        assert_eq!(count(&store, defaults).await, 0);
    },
    StoreConfig::default().tables(tables())
);
