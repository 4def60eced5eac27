//! Faults the outbox must survive, each against real receivers on 127.0.0.1 and a real
//! database of each backend: hostile response bodies, a database error for one row of a
//! batch, sends longer than the lease, a worker whose clock runs ahead, a completion
//! writer that panics or cannot write, and hostile configuration values.

mod common;
#[path = "faults_delivery/receiver.rs"]
mod receiver;

use std::sync::Arc;
use std::time::Duration;

use common::{TestEvent, count, eventually};
use event_outbox::delivery::{AnalyticsMessage, Deliverer, WebhookRequest};
use event_outbox::store::{NewWebhook, RetrySchedule, Scope, Store, StoreConfig};
use event_outbox::webhook::{AddressPolicy, WebhookConfig, WebhookSender};
use event_outbox::worker::{Clock, HttpDeliverer, Worker, WorkerConfig};
use event_outbox::{Attempt, Outcome};
use event_runtime::Recorder as _;
use receiver::Receiver;
use uuid::Uuid;

/// Sends to 127.0.0.1 for real, with a timeout far above the slow paths.
fn http() -> Arc<HttpDeliverer> {
    let config = WebhookConfig {
        addresses: AddressPolicy::public_only().allow("127.0.0.1/32".parse().expect("a range")),
        timeout: Duration::from_secs(10),
        ..WebhookConfig::default()
    };
    let sender = WebhookSender::new(config).expect("a sender");
    Arc::new(HttpDeliverer::new(sender, None))
}

/// A quick worker: a short lease (so that re-sends would show within seconds), sends
/// bounded to half of it, and quick polling.
fn worker(name: &str, lease: Duration) -> WorkerConfig {
    WorkerConfig::default()
        .name(name)
        .lease(lease)
        .send_timeout(lease / 2)
        .poll_interval(Duration::from_millis(50))
        .shutdown_grace(Duration::from_secs(2))
}

/// One attempt only: a failed delivery is dead at once.
fn one_attempt() -> StoreConfig {
    common::config().retry(RetrySchedule::new(Vec::new()).expect("a valid schedule"))
}

/// A webhook at `url`, subscribed to `project:created`.
async fn hook(store: &Store, name: &str, url: String) -> Uuid {
    let hook = store
        .create_webhook(NewWebhook::new(name, url))
        .await
        .expect("create")
        .subscriber
        .uuid;
    store
        .subscribe(hook, "project:created", Scope::global())
        .await
        .expect("subscribe");
    hook
}

async fn pending(store: &Store) -> i64 {
    count(
        store,
        r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "status" = 'pending'"#,
    )
    .await
}

async fn until_none_pending(store: &Store, within: Duration) {
    eventually(within, "no pending delivery", || {
        let store = store.clone();
        async move { pending(&store).await == 0 }
    })
    .await;
}

/// The dead deliveries' reasons, of `subscriber`.
async fn dead_reasons(store: &Store, subscriber: Uuid) -> Vec<String> {
    store
        .dead_deliveries(Some(subscriber), 1000)
        .await
        .expect("dead deliveries")
        .into_iter()
        .map(|d| d.last_error.unwrap_or_default())
        .collect()
}

both!(
    hostile_bodies_do_not_sink_the_healthy_deliveries_of_their_batch,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        let ok = hook(&store, "ok", receiver.url("/ok")).await;
        let nul_ok = hook(&store, "nul-ok", receiver.url("/nul-ok")).await;
        let bad = [
            hook(&store, "nul", receiver.url("/nul")).await,
            hook(&store, "invalid-utf8", receiver.url("/invalid-utf8")).await,
            hook(&store, "huge", receiver.url("/huge")).await,
        ];
        common::record_created(&store, 10).await;
        let handle = Worker::new(store.clone(), http())
            .config(worker("w", Duration::from_secs(2)))
            .expect("a valid worker configuration")
            .spawn();
        until_none_pending(&store, Duration::from_secs(15)).await;
        // A lease and more: what was not recorded would be sent again by now.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        handle.shutdown().await.expect("shut down");

        assert_eq!(receiver.total(), 50, "{:?}", receiver.counts());
        assert_eq!(receiver.most_per_id(), 1, "no delivery twice");
        let delivered =
            r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts" WHERE "outcome" = 'delivered'"#;
        assert_eq!(count(&store, delivered).await, 20, "ok and nul-ok");
        let _ = (ok, nul_ok);
        for subscriber in bad {
            let reasons = dead_reasons(&store, subscriber).await;
            assert_eq!(reasons.len(), 10, "each dead");
            for reason in reasons {
                assert!(!reason.contains('\0'), "{reason:?}");
                assert!(reason.len() <= 4096, "bounded: {} bytes", reason.len());
            }
        }
        let details =
            r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts" WHERE "detail" LIKE 'bad%body'"#;
        assert_eq!(
            count(&store, details).await,
            10,
            "the NUL replaced, the rest kept"
        );
    },
    one_attempt()
);

/// A trigger that fails every attempt-log insert of one subscriber: a database error
/// for some rows of a batch.
async fn poison_attempt_log(store: &Store, subscriber: Uuid) {
    let sql = if store.backend() == "sqlite" {
        format!(
            r#"CREATE TRIGGER "poison" BEFORE INSERT ON "eventgen_delivery_attempts"
               WHEN NEW."subscriber_uuid" = '{subscriber}'
               BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"#
        )
    } else {
        format!(
            r#"CREATE FUNCTION "poison"() RETURNS trigger AS $$
               BEGIN
                 IF NEW."subscriber_uuid" = '{subscriber}' THEN
                   -- The SQLSTATE PostgreSQL gives a NUL byte in text.
                   RAISE EXCEPTION 'injected fault' USING ERRCODE = '22021';
                 END IF;
                 RETURN NEW;
               END $$ LANGUAGE plpgsql;
               CREATE TRIGGER "poison" BEFORE INSERT ON "eventgen_delivery_attempts"
               FOR EACH ROW EXECUTE FUNCTION "poison"();"#
        )
    };
    common::execute(store, &sql).await;
}

both!(
    a_database_error_for_one_row_ends_that_delivery_and_spares_the_others,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        let healthy = hook(&store, "healthy", receiver.url("/ok")).await;
        let poisoned = hook(&store, "poisoned", receiver.url("/ok")).await;
        poison_attempt_log(&store, poisoned).await;
        common::record_created(&store, 10).await;
        let handle = Worker::new(store.clone(), http())
            .config(worker("w", Duration::from_secs(2)))
            .expect("a valid worker configuration")
            .spawn();
        until_none_pending(&store, Duration::from_secs(15)).await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        handle.shutdown().await.expect("shut down");

        assert_eq!(receiver.total(), 20, "{:?}", receiver.counts());
        assert_eq!(receiver.most_per_id(), 1, "no delivery twice");
        let logged = format!(
            r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts" WHERE "subscriber_uuid" = '{healthy}'"#
        );
        assert_eq!(count(&store, &logged).await, 10);
        assert!(dead_reasons(&store, healthy).await.is_empty());
        let reasons = dead_reasons(&store, poisoned).await;
        assert_eq!(reasons.len(), 10, "ended, not re-sent");
        assert!(
            reasons.iter().all(|r| r.contains("injected fault")),
            "{reasons:?}"
        );
    },
    one_attempt()
);

both!(
    sends_longer_than_the_lease_are_not_sent_twice,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        hook(&store, "slow", receiver.url("/slow/1500")).await;
        common::record_created(&store, 3).await;
        let handle = Worker::new(store.clone(), http())
            .config(worker("w", Duration::from_secs(1)))
            .expect("a valid worker configuration")
            .spawn();
        eventually(Duration::from_secs(5), "3 sends", || {
            let total = receiver.total();
            async move { total >= 3 }
        })
        .await;
        // Several leases: an unbounded send would be claimed and sent again meanwhile.
        tokio::time::sleep(Duration::from_secs(4)).await;
        handle.shutdown().await.expect("shut down");
        assert_eq!(receiver.most_per_id(), 1, "{:?}", receiver.counts());
        assert_eq!(receiver.total(), 3);
    }
);

/// Sends for real, but answers `Retry` with the longest wait there is for `/overflow`:
/// a deliverer's answer is input the worker must survive.
struct Overflowing(Arc<HttpDeliverer>);

impl Deliverer for Overflowing {
    async fn webhook(&self, request: WebhookRequest<'_>) -> Attempt {
        let mut attempt = self.0.webhook(request).await;
        if request.url.ends_with("/overflow") {
            attempt.outcome = Outcome::Retry {
                not_before: Some(Duration::MAX),
            };
        }
        attempt
    }

    async fn analytics(&self, batch: &[AnalyticsMessage<'_>]) -> Attempt {
        self.0.analytics(batch).await
    }
}

/// The one subscription of `subscriber`.
async fn subscription_of(store: &Store, subscriber: Uuid) -> Uuid {
    let subscriptions = store
        .subscriptions(subscriber)
        .await
        .expect("subscriptions");
    subscriptions.first().expect("one").uuid
}

/// Records one event and commits.
async fn record_one(store: &Store) {
    let mut tx = store.begin().await.expect("begin");
    tx.record(&TestEvent::new("project:created", Uuid::new_v4(), None))
        .await
        .expect("record");
    tx.commit().await.expect("commit");
}

both!(
    an_overflowing_retry_time_leaves_the_writer_running,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        let overflow = hook(&store, "overflow", receiver.url("/overflow")).await;
        record_one(&store).await;
        let handle = Worker::new(store.clone(), Arc::new(Overflowing(http())))
            .config(worker("w", Duration::from_secs(2)))
            .expect("a valid worker configuration")
            .spawn();
        eventually(Duration::from_secs(5), "the overflowing attempt", || {
            let total = receiver.total();
            async move { total == 1 }
        })
        .await;
        let ok = hook(&store, "ok", receiver.url("/ok")).await;
        store
            .unsubscribe(subscription_of(&store, overflow).await)
            .await
            .expect("unsubscribe");
        let _ = ok;
        common::record_created(&store, 5).await;
        eventually(Duration::from_secs(5), "the later ones completed", || {
            let store = store.clone();
            async move { pending(&store).await == 1 }
        })
        .await;
        handle.shutdown().await.expect("shut down");
        assert_eq!(receiver.total(), 6);
        let scheduled = r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "leased_by" IS NULL AND "status" = 'pending'"#;
        assert_eq!(
            count(&store, scheduled).await,
            1,
            "the overflowing one, rescheduled"
        );
    }
);

/// Triggers that refuse every completion: deleting a delivery, and an update that ends
/// its lease (what rescheduling and marking dead do). Claims still work.
async fn refuse_completions(store: &Store) {
    let sql = if store.backend() == "sqlite" {
        r#"CREATE TRIGGER "no_delete" BEFORE DELETE ON "eventgen_deliveries"
           BEGIN SELECT RAISE(ABORT, 'completions refused'); END;
           CREATE TRIGGER "no_unlease" BEFORE UPDATE ON "eventgen_deliveries" WHEN NEW."leased_by" IS NULL
           BEGIN SELECT RAISE(ABORT, 'completions refused'); END;"#
    } else {
        r#"CREATE FUNCTION "refuse"() RETURNS trigger AS $$
           BEGIN
             IF TG_OP = 'DELETE' OR NEW."leased_by" IS NULL THEN RAISE EXCEPTION 'completions refused'; END IF;
             RETURN NEW;
           END $$ LANGUAGE plpgsql;
           CREATE TRIGGER "refuse" BEFORE UPDATE OR DELETE ON "eventgen_deliveries"
           FOR EACH ROW EXECUTE FUNCTION "refuse"();"#
    };
    common::execute(store, sql).await;
}

both!(
    a_worker_that_cannot_record_stops_sending,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        hook(&store, "ok", receiver.url("/slow/100")).await;
        refuse_completions(&store).await;
        common::record_created(&store, 10).await;
        let handle = Worker::new(store.clone(), http())
            .config(
                worker("w", Duration::from_secs(1))
                    .concurrency(1)
                    .batch_size(1),
            )
            .expect("a valid worker configuration")
            .spawn();
        tokio::time::sleep(Duration::from_secs(4)).await;
        let sent = receiver.total();
        assert!(sent <= 3, "{sent} sent that could not be recorded");
        let result = handle.shutdown().await;
        assert!(result.is_err(), "the run reports the failure: {result:?}");
    }
);

async fn leased(store: &Store) -> i64 {
    count(
        store,
        r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "leased_by" IS NOT NULL"#,
    )
    .await
}

both!(
    a_worker_whose_clock_runs_ahead_steals_no_live_lease,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        hook(&store, "slow", receiver.url("/slow/1500")).await;
        common::record_created(&store, 3).await;
        let honest = Worker::new(store.clone(), http())
            .config(worker("honest", Duration::from_secs(10)))
            .expect("a valid worker configuration")
            .spawn();
        eventually(Duration::from_secs(5), "3 leased", || {
            let store = store.clone();
            async move { leased(&store).await == 3 }
        })
        .await;
        // Five minutes ahead: every lease of the honest worker looks expired to its clock.
        let ahead = Worker::new(store.clone(), http())
            .config(
                worker("ahead", Duration::from_secs(10))
                    .clock(Clock::offset(chrono::TimeDelta::minutes(5))),
            )
            .expect("a valid worker configuration")
            .spawn();
        until_none_pending(&store, Duration::from_secs(10)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        ahead.shutdown().await.expect("shut down");
        honest.shutdown().await.expect("shut down");
        assert_eq!(receiver.most_per_id(), 1, "{:?}", receiver.counts());
        assert_eq!(receiver.total(), 3);
    }
);

/// A worker over a SQLite store, configured with `config`.
async fn configure(store: &Store, config: WorkerConfig) -> Result<(), String> {
    Worker::new(store.clone(), http())
        .config(config)
        .map(drop)
        .map_err(|e| e.to_string())
}

both!(
    hostile_configuration_values_are_refused_when_configured,
    |store: Store| async move {
        let base = || worker("w", Duration::from_secs(2));
        let mut zero_analytics = base();
        zero_analytics.analytics_batch_size = 0;
        let cases = [
            ("poll_interval", base().poll_interval(Duration::ZERO)),
            ("lease", base().lease(Duration::MAX)),
            (
                "lease",
                base().lease(Duration::ZERO).send_timeout(Duration::ZERO),
            ),
            ("send_timeout", base().send_timeout(Duration::from_secs(2))),
            ("send_timeout", base().send_timeout(Duration::ZERO)),
            ("concurrency", base().concurrency(0)),
            ("batch_size", base().batch_size(0)),
            ("batch_size", base().batch_size(usize::MAX)),
            ("analytics_batch_size", zero_analytics),
            ("shutdown_grace", base().shutdown_grace(Duration::MAX)),
            ("name", base().name("")),
            ("name", base().name("nul\0name")),
        ];
        for (field, config) in cases {
            let error = configure(&store, config).await.expect_err(field);
            assert!(error.contains(&format!("`{field}`")), "{field}: {error}");
        }
        assert_eq!(configure(&store, base()).await, Ok(()));

        for jitter in [f64::NAN, -0.5, 2.0] {
            let schedule = RetrySchedule::new(vec![Duration::from_secs(1)]).expect("valid");
            let error = schedule.jitter(jitter).expect_err("a jitter out of range");
            assert!(error.to_string().contains("jitter"), "{error}");
        }
        let error = RetrySchedule::new(vec![Duration::MAX]).expect_err("a delay too long");
        assert!(error.to_string().contains("delay"), "{error}");
    }
);

/// A trigger that refuses every claim (an update that sets a lease), until dropped.
async fn refuse_claims(store: &Store) {
    let sql = if store.backend() == "sqlite" {
        r#"CREATE TRIGGER "no_claim" BEFORE UPDATE ON "eventgen_deliveries" WHEN NEW."leased_by" IS NOT NULL
           BEGIN SELECT RAISE(ABORT, 'claims refused'); END;"#
    } else {
        r#"CREATE FUNCTION "no_claim"() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'claims refused'; END $$ LANGUAGE plpgsql;
           CREATE TRIGGER "no_claim" BEFORE UPDATE ON "eventgen_deliveries"
           FOR EACH ROW WHEN (NEW."leased_by" IS NOT NULL) EXECUTE FUNCTION "no_claim"();"#
    };
    common::execute(store, sql).await;
}

both!(
    a_failing_claimer_sends_nothing_and_recovers,
    |store: Store| async move {
        let receiver = Receiver::start().await;
        hook(&store, "ok", receiver.url("/ok")).await;
        refuse_claims(&store).await;
        common::record_created(&store, 3).await;
        let handle = Worker::new(store.clone(), http())
            .config(worker("w", Duration::from_secs(2)))
            .expect("a valid worker configuration")
            .spawn();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(receiver.total(), 0, "nothing claimed, nothing sent");
        assert!(
            !handle.is_finished(),
            "the claimer restarts; the worker runs on"
        );
        let drop = if store.backend() == "sqlite" {
            r#"DROP TRIGGER "no_claim""#
        } else {
            r#"DROP TRIGGER "no_claim" ON "eventgen_deliveries""#
        };
        common::execute(&store, drop).await;
        until_none_pending(&store, Duration::from_secs(5)).await;
        handle.shutdown().await.expect("shut down");
        assert_eq!(receiver.total(), 3);
        assert_eq!(receiver.most_per_id(), 1);
    }
);
