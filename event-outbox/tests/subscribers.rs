//! Managing subscribers: the secret is returned once and never printed, rotation keeps
//! the previous secret for a while, updates, deletion, and what is refused.

mod common;

use std::time::Duration;

use event_outbox::delivery::ContentType;
use event_outbox::secret::Secret;
use event_outbox::store::{NewWebhook, Scope, Store, StoreError, WebhookUpdate};
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(60);

both!(
    the_secret_is_returned_once_and_never_printed,
    |store: Store| async move {
        let created = store
            .create_webhook(NewWebhook::new("hook", "https://hook.example/"))
            .await
            .expect("create");
        let secret = created.secret.as_str().to_owned();
        assert!(secret.starts_with("whsec_"));
        Secret::parse(&secret).expect("a valid secret");
        let printed = format!("{created:?}");
        assert!(printed.contains("Secret(..)"), "{printed}");
        assert!(!printed.contains(&secret[6..]), "{printed}");
        // Nothing that lists or reads subscribers carries it.
        let listed = format!("{:?}", store.subscribers().await.expect("list"));
        assert!(!listed.contains(&secret[6..]));
        let read = format!(
            "{:?}",
            store
                .subscriber(created.subscriber.uuid)
                .await
                .expect("read")
        );
        assert!(!read.contains(&secret[6..]));

        // A given secret is kept as given.
        let given = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("valid");
        let created = store
            .create_webhook(NewWebhook {
                secret: Some(given.clone()),
                content_type: ContentType::Form,
                ..NewWebhook::new("form", "http://form.example/")
            })
            .await
            .expect("create");
        assert_eq!(created.secret.as_str(), given.as_str());
        assert_eq!(created.subscriber.content_type, ContentType::Form);
    }
);

both!(
    rotation_signs_with_both_secrets_for_a_while,
    |store: Store| async move {
        let created = store
            .create_webhook(NewWebhook::new("hook", "https://hook.example/"))
            .await
            .expect("create");
        let hook = created.subscriber.uuid;
        store
            .subscribe(hook, "project:created", Scope::global())
            .await
            .expect("subscribe");
        let new = store.rotate_secret(hook, None).await.expect("rotate");
        assert_ne!(new.as_str(), created.secret.as_str());
        let mut tx = store.begin().await.expect("begin");
        event_runtime::Recorder::record(
            &mut tx,
            &common::TestEvent::new("project:created", Uuid::new_v4(), None),
        )
        .await
        .expect("record");
        tx.commit().await.expect("commit");
        let claim = store.claim("w", 10, LEASE).await.expect("claim");
        let secrets: Vec<&str> = claim.deliveries[0]
            .target
            .secrets
            .iter()
            .map(Secret::as_str)
            .collect();
        assert_eq!(
            secrets,
            [new.as_str(), created.secret.as_str()],
            "current first"
        );
        assert!(matches!(
            store.rotate_secret(Uuid::new_v4(), None).await,
            Err(StoreError::NoSubscriber(_))
        ));
    }
);

both!(updates_and_deletion, |store: Store| async move {
    let hook = store
        .create_webhook(NewWebhook::new("hook", "https://hook.example/"))
        .await
        .expect("create")
        .subscriber
        .uuid;
    let subscription = store
        .subscribe(
            hook,
            "job:failed",
            Scope::global().with("project_uuid", "p1"),
        )
        .await
        .expect("subscribe");
    let again = store
        .subscribe(
            hook,
            "job:failed",
            Scope::global().with("project_uuid", "p1"),
        )
        .await
        .expect("subscribe again");
    assert_eq!(again.uuid, subscription.uuid, "the same subscription");
    store
        .subscribe(hook, "job:failed", Scope::global())
        .await
        .expect("subscribe");
    assert_eq!(store.subscriptions(hook).await.expect("list").len(), 2);
    assert!(
        store
            .unsubscribe(subscription.uuid)
            .await
            .expect("unsubscribe")
    );
    assert!(
        !store
            .unsubscribe(subscription.uuid)
            .await
            .expect("unsubscribe")
    );
    let subscriptions = store.subscriptions(hook).await.expect("list");
    assert_eq!(subscriptions.len(), 1);
    assert!(subscriptions[0].scope.is_global());

    let updated = store
        .update_subscriber(
            hook,
            WebhookUpdate {
                name: Some("renamed".into()),
                url: Some("https://new.example/".into()),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(updated.name, "renamed");
    assert_eq!(updated.url.as_deref(), Some("https://new.example/"));
    assert!(updated.updated_at >= updated.created_at);

    assert!(store.delete_subscriber(hook).await.expect("delete"));
    assert!(!store.delete_subscriber(hook).await.expect("delete"));
    assert!(store.subscriber(hook).await.expect("read").is_none());
    assert_eq!(
        common::count(&store, r#"SELECT COUNT(*) FROM "eventgen_subscriptions""#).await,
        0
    );
});

both!(what_is_refused, |store: Store| async move {
    let error = store
        .create_webhook(NewWebhook::new("hook", "ftp://hook.example/"))
        .await
        .expect_err("not http");
    assert!(matches!(error, StoreError::Invalid { .. }), "{error}");
    let hook = store
        .create_webhook(NewWebhook::new("hook", "https://hook.example/"))
        .await
        .expect("create")
        .subscriber
        .uuid;
    let error = store
        .subscribe(hook, "job:exploded", Scope::global())
        .await
        .expect_err("unknown type");
    assert!(error.to_string().contains("job:exploded"), "{error}");
    assert!(matches!(
        store
            .subscribe(Uuid::new_v4(), "job:failed", Scope::global())
            .await,
        Err(StoreError::NoSubscriber(_))
    ));
    assert!(matches!(
        store
            .update_subscriber(Uuid::new_v4(), WebhookUpdate::default())
            .await,
        Err(StoreError::NoSubscriber(_))
    ));
    // One analytics subscriber, however often it is ensured.
    let a = store
        .ensure_analytics_subscriber("analytics", ["job:failed"])
        .await
        .expect("ensure");
    let b = store
        .ensure_analytics_subscriber("analytics", ["job:failed", "job:succeeded"])
        .await
        .expect("ensure");
    assert_eq!(a.uuid, b.uuid);
    assert_eq!(store.subscriptions(a.uuid).await.expect("list").len(), 2);
});

#[tokio::test]
async fn unsupported_urls_are_refused_without_their_password() {
    let error = Store::connect("mysql://user:hunter2@db/events")
        .await
        .expect_err("unsupported");
    let message = error.to_string();
    assert!(
        message.contains("mysql://") && !message.contains("hunter2"),
        "{message}"
    );
}

both!(
    a_webhook_is_created_with_its_subscriptions_all_or_nothing,
    |store: Store| async move {
        let project = Uuid::new_v4();
        let scoped = Scope::global().with("project_uuid", project);
        let (created, subscriptions) = store
            .create_webhook_with_subscriptions(
                NewWebhook::new("hook", "https://hook.example/"),
                vec![
                    ("job:failed".into(), scoped.clone()),
                    ("project:created".into(), Scope::global()),
                    // The same one twice is created once.
                    ("job:failed".into(), scoped.clone()),
                ],
            )
            .await
            .expect("create");
        assert_eq!(subscriptions.len(), 2);
        assert_eq!(subscriptions[0].event_type, "job:failed");
        assert_eq!(subscriptions[0].scope, scoped);
        assert_eq!(subscriptions[1].subscriber, created.subscriber.uuid);

        // A type `event_types` does not hold, after a valid one: nothing is written.
        let refused = store
            .create_webhook_with_subscriptions(
                NewWebhook::new("other", "https://other.example/"),
                vec![
                    ("job:failed".into(), Scope::global()),
                    ("job:exploded".into(), Scope::global()),
                ],
            )
            .await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Invalid {
                    what: "event type",
                    ..
                })
            ),
            "{refused:?}"
        );
        assert_eq!(store.subscribers().await.expect("list").len(), 1);
        let all = common::count(
            &store,
            &store
                .tables()
                .render("SELECT COUNT(*) FROM {subscriptions}"),
        )
        .await;
        assert_eq!(all, 2);
    }
);

both!(
    who_is_subscribed_matches_as_recording_does,
    |store: Store| async move {
        let (p1, p2, job) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let analytics = store
            .ensure_analytics_subscriber("analytics", ["job:failed"])
            .await
            .expect("analytics");
        let hook = |name: &'static str, scope: Scope| {
            let store = store.clone();
            async move {
                store
                    .create_webhook_with_subscriptions(
                        NewWebhook::new(name, format!("https://{name}.example/")),
                        vec![("job:failed".into(), scope)],
                    )
                    .await
                    .expect("create")
                    .0
                    .subscriber
                    .uuid
            }
        };
        let project = hook("project", Scope::global().with("project_uuid", p1)).await;
        let both_keys = hook(
            "job",
            Scope::global()
                .with("project_uuid", p1)
                .with("job_uuid", job),
        )
        .await;
        let disabled = hook("disabled", Scope::global()).await;
        store
            .update_subscriber(
                disabled,
                WebhookUpdate {
                    enabled: Some(false),
                    ..WebhookUpdate::default()
                },
            )
            .await
            .expect("disable");

        let who = |values: Scope| {
            let store = store.clone();
            async move {
                store
                    .subscribers_of("job:failed", &values)
                    .await
                    .expect("query")
                    .into_iter()
                    .map(|s| s.uuid)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(who(Scope::global()).await, [analytics.uuid]);
        assert_eq!(
            who(Scope::global().with("project_uuid", p1)).await,
            [analytics.uuid, project]
        );
        assert_eq!(
            who(Scope::global()
                .with("project_uuid", p1)
                .with("job_uuid", job))
            .await,
            [analytics.uuid, project, both_keys]
        );
        assert_eq!(
            who(Scope::global()
                .with("project_uuid", p2)
                .with("job_uuid", job))
            .await,
            [analytics.uuid]
        );
        // Without a catalog, keys are not checked: an unknown one matches no scope.
        assert_eq!(
            who(Scope::global().with("nothing", "x")).await,
            [analytics.uuid]
        );
        assert!(
            store
                .subscribers_of("project:created", &Scope::global())
                .await
                .expect("query")
                .is_empty()
        );
    }
);
