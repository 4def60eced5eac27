//! The store with the compiled catalog (`StoreConfig::catalog(STORED_EVENTS)`), on SQLite
//! and PostgreSQL: subscriptions are checked against it (unknown types and scope keys are
//! errors naming the closest valid one, and write nothing), the analytics subscriber
//! follows every stored type, and `erase` nulls the sensitive columns of a scope's events
//! and nothing else.

#[macro_use]
mod support;

use event_outbox::store::{NewWebhook, Scope, Store, StoreError};
use event_runtime::reexport::uuid::Uuid;
use event_runtime::{EventTypeSpec, Recorder};
use test_support::count;
use workspace_tests::events::*;
use workspace_tests::samples::{id, one_off_run_failed, project};

fn config() -> event_outbox::store::StoreConfig {
    support::database::config().catalog(STORED_EVENTS)
}

/// The message of an invalid-input error.
fn invalid(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(error @ StoreError::Invalid { .. }) => error.to_string(),
        other => panic!("expected an invalid-input error, got {other:?}"),
    }
}

const FAILED: &str = ProjectOneOffJobPipelineRunFailed::TYPE;

both!(
    subscriptions_are_checked_against_the_catalog,
    |store: Store| async move {
        let hook = store
            .create_webhook(NewWebhook::new("ops", "https://ops.example/"))
            .await
            .expect("create")
            .subscriber
            .uuid;

        let typo = Scope::global().with("projct_uuid", id(1));
        let message = invalid(store.subscribe(hook, FAILED, typo).await);
        assert!(
            message.contains("`projct_uuid` is not a scope key")
                && message.contains("did you mean `project_uuid`?"),
            "{message}"
        );

        // A key of deeper layers, which a project event does not carry.
        let deeper = Scope::global().with("job_uuid", id(2));
        let message = invalid(store.subscribe(hook, "project:created", deeper).await);
        assert!(
            message.contains("`job_uuid` is not a scope key of `project:created`")
                && message.contains("its keys: project_uuid"),
            "{message}"
        );

        let message = invalid(
            store
                .subscribe(hook, "project:craeted", Scope::global())
                .await,
        );
        assert!(
            message.contains("did you mean `project:created`?"),
            "{message}"
        );
        assert!(
            store.subscriptions(hook).await.expect("list").is_empty(),
            "nothing written"
        );

        let scope = Scope::global()
            .with("project_uuid", id(1))
            .with("job_uuid", id(2));
        store
            .subscribe(hook, FAILED, scope)
            .await
            .expect("keys the type carries");
    },
    config()
);

both!(
    the_analytics_subscriber_follows_every_stored_type,
    |store: Store| async move {
        let analytics = store
            .ensure_analytics_subscriber("posthog", ["project:created"])
            .await
            .expect("analytics")
            .uuid;
        let added = store.sync_analytics_subscriptions().await.expect("sync");
        assert_eq!(added, STORED_EVENTS.len() - 1);
        let mut every: Vec<&str> = STORED_EVENTS.iter().map(|s| s.event_type).collect();
        every.sort();
        assert_eq!(subscribed(&store, analytics).await, every);

        // A type it misses (as one added to the catalog since) is subscribed at the next
        // start-up's migration.
        let one = (store.subscriptions(analytics).await.expect("list"))
            .into_iter()
            .find(|s| s.event_type == FAILED)
            .expect("subscribed");
        store.unsubscribe(one.uuid).await.expect("unsubscribe");
        support::database::migrate(&store).await;
        assert_eq!(subscribed(&store, analytics).await, every);
        assert_eq!(store.sync_analytics_subscriptions().await.expect("sync"), 0);
    },
    config()
);

/// The types `subscriber` is subscribed to, sorted.
async fn subscribed(store: &Store, subscriber: Uuid) -> Vec<String> {
    let mut types: Vec<String> = (store.subscriptions(subscriber).await)
        .expect("list")
        .into_iter()
        .map(|s| s.event_type)
        .collect();
    types.sort();
    types
}

/// Events of the sample's type in two projects; returns their ids (erased one first).
async fn two_projects(store: &Store) -> (Uuid, Uuid) {
    let erased = one_off_run_failed();
    let kept = ProjectOneOffJobPipelineRunFailed {
        uuid: id(101),
        project: Project {
            uuid: id(9),
            ..project()
        },
        ..one_off_run_failed()
    };
    let mut tx = store.begin().await.expect("begin");
    tx.record(&erased).await.expect("record");
    tx.record(&kept).await.expect("record");
    tx.commit().await.expect("commit");
    (erased.uuid, kept.uuid)
}

/// How many of `columns` are NULL in the row of event `uuid`.
async fn nulls(store: &Store, uuid: Uuid, columns: &[&str]) -> usize {
    let mut n = 0;
    for column in columns {
        let sql = format!(
            r#"SELECT COUNT(*) FROM "eventgen_events" WHERE "uuid" = '{uuid}' AND "{column}" IS NULL"#
        );
        n += usize::try_from(count(store, &sql).await).expect("a count");
    }
    n
}

both!(
    erase_nulls_the_sensitive_columns_of_a_scope_and_nothing_else,
    |store: Store| async move {
        let (erased, kept) = two_projects(&store).await;
        let spec = EventTypeSpec::find(STORED_EVENTS, FAILED).expect("stored");
        let sensitive = spec.sensitive_columns;
        assert!(
            !sensitive.is_empty(),
            "the sample's type has sensitive columns"
        );
        let others = ["type", "timestamp", "project_uuid", "job_uuid"];
        assert_eq!(nulls(&store, erased, sensitive).await, 0);

        let scope = Scope::global().with("project_uuid", id(1));
        assert_eq!(store.erase(&scope).await.expect("erase"), 1);
        assert_eq!(nulls(&store, erased, sensitive).await, sensitive.len());
        assert_eq!(nulls(&store, erased, &others).await, 0, "the rest stays");
        assert_eq!(
            nulls(&store, kept, sensitive).await,
            0,
            "another project's stay"
        );
        assert_eq!(store.erase(&scope).await.expect("erase"), 0, "nothing left");

        let message = invalid(store.erase(&Scope::global()).await);
        assert!(message.contains("the scope is global"), "{message}");
        let message = invalid(
            store
                .erase(&Scope::global().with("projet_uuid", id(1)))
                .await,
        );
        assert!(
            message.contains("did you mean `project_uuid`?"),
            "{message}"
        );
    },
    config()
);
