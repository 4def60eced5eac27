//! Receivers that fail, hang or vanish, and workers that die: deliveries still arrive,
//! once the fault is gone, with every attempt in the log and a stable `webhook-id`.

use std::time::Duration;

use event_outbox::store::{AttemptRecord, NewWebhook, Scope, Store, StoreConfig};
use event_outbox::worker::{Worker, WorkerConfig};
use event_runtime::Uuid;
use workspace_tests::events::*;
use workspace_tests::samples;

use test_support::count;

use crate::support::database;
use crate::support::receiver::{Answer, Receiver};
use crate::support::{eventually, http_deliverer, loopback_only};

/// A webhook at `path` of `receiver`, subscribed globally to the sample's type; its
/// signatures are checked on arrival.
async fn webhook(store: &Store, receiver: &Receiver, path: &str) -> Uuid {
    let created = store
        .create_webhook(NewWebhook::new("hook", receiver.url(path)))
        .await
        .expect("create a webhook");
    receiver.verify(path, created.secret.as_str());
    store
        .subscribe(
            created.subscriber.uuid,
            ProjectOneOffJobPipelineRunFailed::TYPE,
            Scope::global(),
        )
        .await
        .expect("subscribe");
    created.subscriber.uuid
}

/// Records the sample run failure and commits.
async fn record(store: &Store) {
    let mut tx = store.begin().await.expect("begin");
    register_project_one_off_job_pipeline_run_failed_event(&mut tx, &samples::one_off_run_failed())
        .await
        .expect("record");
    tx.commit().await.expect("commit");
}

fn worker(name: &str) -> WorkerConfig {
    WorkerConfig::default()
        .name(name)
        .poll_interval(Duration::from_millis(50))
        .shutdown_grace(Duration::from_secs(1))
}

/// The attempt log of the one delivery `receiver` was sent (by its `webhook-id`).
async fn attempts(store: &Store, receiver: &Receiver) -> Vec<AttemptRecord> {
    let ids: std::collections::BTreeSet<_> = receiver
        .received()
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    assert_eq!(ids.len(), 1, "one webhook-id across attempts: {ids:?}");
    let id = ids.first().expect("one").to_str().expect("text");
    store
        .attempts(Uuid::parse_str(id).expect("a uuid"))
        .await
        .expect("the attempt log")
}

fn summary(attempts: &[AttemptRecord]) -> Vec<(u32, &str, u16)> {
    attempts
        .iter()
        .map(|a| (a.attempt, a.outcome.as_str(), a.status_code))
        .collect()
}

/// Retries 100 ms apart, without jitter.
fn quick_retries() -> StoreConfig {
    database::config().retry(
        event_outbox::store::RetrySchedule::new(vec![Duration::from_millis(100); 4])
            .and_then(|s| s.jitter(0.0))
            .expect("a valid schedule"),
    )
}

both!(
    a_failing_receiver_gets_the_delivery_once_it_recovers,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        webhook(&store, &receiver, "/flaky").await;
        receiver.answer(
            "/flaky",
            Answer::FailTimes {
                status: 500,
                times: 2,
            },
        );
        record(&store).await;
        let handle = Worker::new(
            store.clone(),
            http_deliverer(loopback_only(), Duration::from_secs(10), None),
        )
        .config(worker("w"))
        .expect("a valid worker configuration")
        .spawn();
        crate::outbox_empty(&store).await;
        handle.shutdown().await.expect("shut down");

        let received = receiver.received();
        let statuses: Vec<u16> = received.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [500, 500, 200]);
        assert!(received.iter().all(|r| r.verified == Some(Ok(()))));
        let attempts = attempts(&store, &receiver).await;
        assert_eq!(
            summary(&attempts),
            [(1, "retry", 500), (2, "retry", 500), (3, "delivered", 200)]
        );
        assert!(attempts[..2].iter().all(|a| a.next_attempt_at.is_some()));
        assert_eq!(attempts[2].next_attempt_at, None);
        assert_eq!(attempts[0].detail, "ok", "the start of the response body");
    },
    quick_retries()
);

both!(
    a_hanging_receiver_times_out_and_is_retried_a_minute_later,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        webhook(&store, &receiver, "/slow").await;
        receiver.answer("/slow", Answer::Hang);
        record(&store).await;
        let handle = Worker::new(
            store.clone(),
            http_deliverer(loopback_only(), Duration::from_millis(500), None),
        )
        .config(worker("w"))
        .expect("a valid worker configuration")
        .spawn();
        eventually(Duration::from_secs(30), "the timed-out attempt", || {
            let store = store.clone();
            async move {
                count(
                    &store,
                    r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts""#,
                )
                .await
                    == 1
            }
        })
        .await;
        let first = attempts(&store, &receiver).await;
        assert_eq!(summary(&first), [(1, "retry", 0)]);
        assert!(first[0].detail.contains("timed out"), "{}", first[0].detail);
        let next = first[0].next_attempt_at.expect("a next attempt");
        assert!(next - first[0].at >= chrono_seconds(60), "{next}");

        // The receiver recovers; a minute passes (the retry is made due).
        receiver.answer("/slow", Answer::Ok);
        test_support::execute(
            &store,
            r#"UPDATE "eventgen_deliveries" SET "next_attempt_at" = "created_at""#,
        )
        .await;
        crate::outbox_empty(&store).await;
        handle.shutdown().await.expect("shut down");
        assert_eq!(
            summary(&attempts(&store, &receiver).await),
            [(1, "retry", 0), (2, "delivered", 200)]
        );
        assert_eq!(receiver.received().len(), 2);
    }
);

fn chrono_seconds(seconds: i64) -> event_runtime::reexport::chrono::Duration {
    event_runtime::reexport::chrono::Duration::seconds(seconds)
}

/// When the lease of the (one) delivery expires, in unix milliseconds.
async fn lease_expiry_ms(store: &Store) -> i64 {
    let sql = if store.backend() == "sqlite" {
        r#"SELECT CAST(ROUND((julianday("lease_expires_at") - 2440587.5) * 86400000) AS INTEGER) FROM "eventgen_deliveries""#
    } else {
        r#"SELECT CAST(EXTRACT(EPOCH FROM "lease_expires_at") * 1000 AS BIGINT) FROM "eventgen_deliveries""#
    };
    count(store, sql).await
}

both!(
    a_worker_that_dies_holding_a_lease_loses_the_delivery_to_the_next_when_it_expires,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        webhook(&store, &receiver, "/hook").await;
        receiver.answer("/hook", Answer::Hang);
        record(&store).await;
        // A worker with a short lease sends, and dies while the receiver hangs.
        let doomed = Worker::new(
            store.clone(),
            http_deliverer(loopback_only(), Duration::from_secs(60), None),
        )
        .config(
            worker("doomed")
                .lease(Duration::from_secs(2))
                .send_timeout(Duration::from_secs(1)),
        )
        .expect("a valid worker configuration");
        let task = tokio::spawn(doomed.run(std::future::pending()));
        eventually(Duration::from_secs(30), "the first request", || {
            let receiver = receiver.clone();
            async move { receiver.count() == 1 }
        })
        .await;
        task.abort();
        assert!(task.await.expect_err("aborted").is_cancelled());
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "leased_by" LIKE 'doomed/%'"#
            )
            .await,
            1,
            "the lease is left in the table"
        );
        let expiry = lease_expiry_ms(&store).await;

        receiver.answer("/hook", Answer::Ok);
        let handle = Worker::new(
            store.clone(),
            http_deliverer(loopback_only(), Duration::from_secs(10), None),
        )
        .config(worker("next"))
        .expect("a valid worker configuration")
        .spawn();
        crate::outbox_empty(&store).await;
        handle.shutdown().await.expect("shut down");

        let received = receiver.received();
        assert_eq!(received.len(), 2);
        assert!(received.iter().all(|r| r.verified == Some(Ok(()))));
        let attempts = attempts(&store, &receiver).await;
        // The dead worker's attempt counts, but only the next worker could log one.
        assert_eq!(summary(&attempts), [(2, "delivered", 200)]);
        assert!(
            attempts[0].at.timestamp_millis() >= expiry,
            "claimed again only after the lease expired"
        );
    }
);

both!(
    a_rolled_back_transaction_leaves_no_event_and_no_delivery,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        webhook(&store, &receiver, "/hook").await;
        let mut tx = store.begin().await.expect("begin");
        register_project_one_off_job_pipeline_run_failed_event(
            &mut tx,
            &samples::one_off_run_failed(),
        )
        .await
        .expect("record");
        tx.rollback().await.expect("roll back");
        // Dropped without a commit: rolled back too.
        let mut tx = store.begin().await.expect("begin");
        let dropped = ProjectOneOffJobPipelineRunFailed {
            uuid: event_runtime::new_event_id(),
            ..samples::one_off_run_failed()
        };
        register_project_one_off_job_pipeline_run_failed_event(&mut tx, &dropped)
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

        // A committed event afterwards is the only one that arrives.
        let committed = ProjectOneOffJobPipelineRunFailed {
            uuid: event_runtime::new_event_id(),
            ..samples::one_off_run_failed()
        };
        let mut tx = store.begin().await.expect("begin");
        register_project_one_off_job_pipeline_run_failed_event(&mut tx, &committed)
            .await
            .expect("record");
        tx.commit().await.expect("commit");
        let handle = Worker::new(
            store.clone(),
            http_deliverer(loopback_only(), Duration::from_secs(10), None),
        )
        .config(worker("w"))
        .expect("a valid worker configuration")
        .spawn();
        crate::outbox_empty(&store).await;
        handle.shutdown().await.expect("shut down");
        let received = receiver.received();
        assert_eq!(received.len(), 1);
        assert_eq!(
            received[0].json()["event"]["uuid"],
            committed.uuid.to_string()
        );
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_events""#).await,
            1
        );
    }
);
