//! What the worker never delivers: addresses the SSRF policy refuses (dead at once,
//! nothing sent), and redirects (not followed: failures until the delivery is dead).

use std::time::Duration;

use event_outbox::store::{NewWebhook, RetrySchedule, Scope, Store};
use event_outbox::webhook::AddressPolicy;
use event_outbox::worker::{Worker, WorkerConfig};
use workspace_tests::events::*;
use workspace_tests::samples;

use test_support::count;

use crate::support::database;
use crate::support::receiver::{Answer, Receiver};
use crate::support::{eventually, http_deliverer, loopback_only};

async fn webhook(store: &Store, url: String) {
    let created = store
        .create_webhook(NewWebhook::new("hook", url))
        .await
        .expect("create a webhook");
    store
        .subscribe(
            created.subscriber.uuid,
            ProjectOneOffJobPipelineRunFailed::TYPE,
            Scope::global(),
        )
        .await
        .expect("subscribe");
}

async fn record_and_wait_until_dead(store: &Store, deliverer: AddressPolicy, dead: i64) {
    let mut tx = store.begin().await.expect("begin");
    register_project_one_off_job_pipeline_run_failed_event(&mut tx, &samples::one_off_run_failed())
        .await
        .expect("record");
    tx.commit().await.expect("commit");
    let handle = Worker::new(
        store.clone(),
        http_deliverer(deliverer, Duration::from_secs(10), None),
    )
    .config(
        WorkerConfig::default()
            .name("w")
            .poll_interval(Duration::from_millis(50)),
    )
    .expect("a valid worker configuration")
    .spawn();
    eventually(Duration::from_secs(30), "dead deliveries", || {
        let store = store.clone();
        async move {
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "status" = 'dead'"#,
            )
            .await
                == dead
        }
    })
    .await;
    handle.shutdown().await.expect("shut down");
}

both!(
    private_and_mapped_addresses_are_refused_without_the_allow_list,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        let port = receiver.port();
        let urls = [
            format!("http://127.0.0.1:{port}/a"),
            format!("http://[::ffff:127.0.0.1]:{port}/b"),
            format!("http://localhost:{port}/c"),
            format!("http://[::1]:{port}/d"),
            "http://10.0.0.1/e".to_owned(),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ];
        for url in &urls {
            webhook(&store, url.clone()).await;
        }
        record_and_wait_until_dead(&store, AddressPolicy::public_only(), 6).await;

        assert_eq!(receiver.count(), 0, "nothing was sent");
        let dead = store
            .dead_deliveries(None, 100)
            .await
            .expect("dead letters");
        assert_eq!(dead.len(), 6);
        for delivery in &dead {
            let attempts = store.attempts(delivery.uuid).await.expect("the log");
            assert_eq!(attempts.len(), 1, "refused at once, never retried");
            assert_eq!(attempts[0].outcome, "refused");
            assert_eq!(attempts[0].status_code, 0);
            assert!(
                attempts[0].detail.contains("refused"),
                "{}",
                attempts[0].detail
            );
            assert!(
                delivery
                    .last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("refused"))
            );
        }
    }
);

both!(
    redirects_are_not_followed_and_end_dead,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        receiver.answer("/moved", Answer::Redirect);
        webhook(&store, receiver.url("/moved")).await;
        record_and_wait_until_dead(&store, loopback_only(), 1).await;

        let paths: Vec<String> = receiver.received().into_iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/moved", "/moved"], "two attempts, none redirected");
        let dead = store.dead_deliveries(None, 10).await.expect("dead letters");
        let attempts = store.attempts(dead[0].uuid).await.expect("the log");
        let summary: Vec<(&str, u16)> = attempts
            .iter()
            .map(|a| (a.outcome.as_str(), a.status_code))
            .collect();
        assert_eq!(summary, [("retry", 302), ("retry", 302)]);
        assert!(attempts[1].next_attempt_at.is_none(), "no third attempt");
        assert!(
            attempts[0].detail.contains("not followed"),
            "{}",
            attempts[0].detail
        );
    },
    database::config().retry(
        RetrySchedule::new(vec![Duration::from_millis(100)])
            .and_then(|s| s.jitter(0.0))
            .expect("a valid schedule")
    )
);
