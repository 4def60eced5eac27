//! Claiming and completing deliveries: leases and their expiry, fencing, the retry
//! schedule, dead letters and redrive, 410 and the failure window disabling subscribers,
//! the attempt log.

mod common;

use std::time::Duration;

use common::{TestEvent, attempt, count};
use event_outbox::store::{Claim, Completion, RetrySchedule, Store, StoreConfig, WebhookUpdate};
use event_outbox::{Attempt, Outcome};
use event_runtime::Recorder as _;
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(60);

fn completions(claim: &Claim, outcome: Outcome) -> Vec<Completion> {
    claim
        .deliveries
        .iter()
        .map(|d| Completion::new(d, &claim.lease.token, attempt(outcome)))
        .collect()
}

/// Makes every pending delivery due now (instead of waiting out a retry delay).
async fn make_due(store: &Store) {
    let past = if store.backend() == "sqlite" {
        "'2000-01-01T00:00:00.000000Z'"
    } else {
        "'2000-01-01T00:00:00Z'"
    };
    common::execute(
        store,
        &format!(r#"UPDATE "eventgen_deliveries" SET "next_attempt_at" = {past} WHERE "leased_by" IS NULL"#),
    )
    .await;
}

both!(
    a_claimed_delivery_is_not_claimed_again,
    |store: Store| async move {
        common::webhook_with_events(&store, 3).await;
        let first = store.claim("a", 2, LEASE).await.expect("claim");
        assert_eq!(first.deliveries.len(), 2);
        let second = store.claim("b", 10, LEASE).await.expect("claim");
        assert_eq!(second.deliveries.len(), 1);
        assert!(
            first
                .deliveries
                .iter()
                .all(|d| d.uuid != second.deliveries[0].uuid)
        );
        assert!(
            store
                .claim("c", 10, LEASE)
                .await
                .expect("claim")
                .deliveries
                .is_empty()
        );
    }
);

both!(
    an_expired_lease_makes_the_delivery_claimable_again_and_fences_the_late_worker,
    |store: Store| async move {
        common::webhook_with_events(&store, 1).await;
        let late = store
            .claim("late", 10, Duration::from_millis(200))
            .await
            .expect("claim");
        assert_eq!(late.deliveries.len(), 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let next = store.claim("next", 10, LEASE).await.expect("claim");
        assert_eq!(
            next.deliveries.len(),
            1,
            "redelivered after the lease expired"
        );
        assert_eq!(next.deliveries[0].uuid, late.deliveries[0].uuid);
        assert_eq!(next.deliveries[0].attempts, 2);

        // The late worker's result does not apply: the row belongs to the next claim.
        let applied = store
            .complete(&completions(&late, Outcome::Delivered))
            .await
            .expect("complete");
        assert_eq!(applied, 0);
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await,
            1
        );
        assert!(
            store
                .attempts(late.deliveries[0].uuid)
                .await
                .expect("log")
                .is_empty()
        );

        let applied = store
            .complete(&completions(&next, Outcome::Delivered))
            .await
            .expect("complete");
        assert_eq!(applied, 1);
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await,
            0,
            "delivered rows are deleted"
        );
        let log = store.attempts(next.deliveries[0].uuid).await.expect("log");
        assert_eq!(log.len(), 1, "the attempt log outlives the delivery");
        assert_eq!(
            (log[0].attempt, log[0].outcome.as_str(), log[0].status_code),
            (2, "delivered", 200)
        );
    }
);

both!(
    retries_follow_the_schedule_then_the_delivery_is_dead_and_can_be_redriven,
    |store: Store| async move {
        let hook = common::webhook_with_events(&store, 1).await;
        for attempt in 1..=3u32 {
            let claim = store.claim("w", 10, LEASE).await.expect("claim");
            assert_eq!(claim.deliveries.len(), 1, "attempt {attempt}");
            assert_eq!(claim.deliveries[0].attempts, attempt);
            let before = event_runtime::now();
            store
                .complete(&completions(&claim, Outcome::Retry { not_before: None }))
                .await
                .expect("complete");
            let log = store.attempts(claim.deliveries[0].uuid).await.expect("log");
            let last = log.last().expect("logged");
            if attempt < 3 {
                // 100 s, then 200 s, ±20%.
                let expected = 100.0 * f64::from(attempt);
                let next = last.next_attempt_at.expect("a next attempt");
                let delay = (next - before).as_seconds_f64();
                assert!(
                    (expected * 0.8 - 1.0..=expected * 1.2 + 1.0).contains(&delay),
                    "attempt {attempt}: {delay} s"
                );
                assert!(
                    store
                        .claim("w", 10, LEASE)
                        .await
                        .expect("claim")
                        .deliveries
                        .is_empty(),
                    "not due yet"
                );
                make_due(&store).await;
            } else {
                assert_eq!(last.next_attempt_at, None, "no attempt left");
            }
        }
        let dead = store.dead_deliveries(Some(hook), 10).await.expect("dead");
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].attempts, 3);
        assert_eq!(
            dead[0].last_error.as_deref(),
            Some("Retry { not_before: None }")
        );
        assert!(
            store
                .claim("w", 10, LEASE)
                .await
                .expect("claim")
                .deliveries
                .is_empty()
        );

        assert_eq!(store.redrive(None).await.expect("redrive"), 1);
        let claim = store.claim("w", 10, LEASE).await.expect("claim");
        assert_eq!(claim.deliveries.len(), 1);
        assert_eq!(claim.deliveries[0].attempts, 1, "a fresh schedule");
        assert!(
            store
                .dead_deliveries(None, 10)
                .await
                .expect("dead")
                .is_empty()
        );
    },
    common::config().retry(
        RetrySchedule::new(vec![Duration::from_secs(100), Duration::from_secs(200)])
            .expect("a valid schedule")
    )
);

both!(not_before_is_respected, |store: Store| async move {
    common::webhook_with_events(&store, 1).await;
    let claim = store.claim("w", 10, LEASE).await.expect("claim");
    let before = event_runtime::now();
    store
        .complete(&completions(
            &claim,
            Outcome::Retry {
                not_before: Some(Duration::from_secs(3600)),
            },
        ))
        .await
        .expect("complete");
    let log = store.attempts(claim.deliveries[0].uuid).await.expect("log");
    let delay = (log[0].next_attempt_at.expect("next") - before).as_seconds_f64();
    assert!(delay >= 3599.0, "{delay}");
});

both!(
    gone_disables_the_subscriber_and_kills_its_deliveries,
    |store: Store| async move {
        let hook = common::webhook_with_events(&store, 3).await;
        let claim = store.claim("w", 1, LEASE).await.expect("claim");
        store
            .complete(&completions(&claim, Outcome::Gone))
            .await
            .expect("complete");
        let subscriber = store.subscriber(hook).await.expect("read").expect("exists");
        assert!(!subscriber.enabled);
        assert!(subscriber.disabled_at.is_some());
        assert!(
            subscriber
                .disabled_reason
                .as_deref()
                .is_some_and(|r| r.contains("410"))
        );
        assert_eq!(
            store
                .dead_deliveries(Some(hook), 10)
                .await
                .expect("dead")
                .len(),
            3
        );
        assert!(
            store
                .claim("w", 10, LEASE)
                .await
                .expect("claim")
                .deliveries
                .is_empty()
        );
        // Nothing new is recorded for it.
        let mut tx = store.begin().await.expect("begin");
        tx.record(&TestEvent::new("project:created", Uuid::new_v4(), None))
            .await
            .expect("record");
        tx.commit().await.expect("commit");
        assert_eq!(
            count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await,
            3
        );
        // Redrive waits for it to be enabled again.
        assert_eq!(store.redrive(None).await.expect("redrive"), 0);
        store
            .update_subscriber(
                hook,
                WebhookUpdate {
                    enabled: Some(true),
                    ..Default::default()
                },
            )
            .await
            .expect("enable");
        assert_eq!(store.redrive(None).await.expect("redrive"), 3);
    }
);

both!(refused_is_dead_at_once, |store: Store| async move {
    let hook = common::webhook_with_events(&store, 1).await;
    let claim = store.claim("w", 1, LEASE).await.expect("claim");
    store
        .complete(&completions(&claim, Outcome::Refused))
        .await
        .expect("complete");
    assert_eq!(
        store
            .dead_deliveries(Some(hook), 10)
            .await
            .expect("dead")
            .len(),
        1
    );
    assert!(
        store
            .subscriber(hook)
            .await
            .expect("read")
            .expect("exists")
            .enabled
    );
});

both!(
    a_success_closes_the_failure_window_it_was_claimed_under,
    |store: Store| async move {
        let hook = common::webhook_with_events(&store, 3).await;
        let failing_since = async || {
            let subscriber = store.subscriber(hook).await.expect("read").expect("exists");
            subscriber.failing_since
        };
        let before = store.claim("w", 1, LEASE).await.expect("claim");
        assert!(!before.deliveries[0].target.failing);
        let failed = store.claim("w", 1, LEASE).await.expect("claim");
        let retry = Outcome::Retry { not_before: None };
        store
            .complete(&completions(&failed, retry))
            .await
            .expect("complete");
        assert!(failing_since().await.is_some(), "the window opens");

        // Claimed before the window opened: its success writes nothing to the subscriber.
        store
            .complete(&completions(&before, Outcome::Delivered))
            .await
            .expect("complete");
        assert!(failing_since().await.is_some(), "still open");

        let after = store.claim("w", 1, LEASE).await.expect("claim");
        assert!(after.deliveries[0].target.failing);
        store
            .complete(&completions(&after, Outcome::Delivered))
            .await
            .expect("complete");
        assert_eq!(
            failing_since().await,
            None,
            "a success claimed in the window closes it"
        );
    }
);

both!(
    a_subscriber_failing_for_the_whole_window_is_disabled_and_success_resets_it,
    |store: Store| async move {
        let hook = common::webhook_with_events(&store, 4).await;
        let fail = |claim: &Claim| completions(claim, Outcome::Retry { not_before: None });
        let claim = store.claim("w", 1, LEASE).await.expect("claim");
        store.complete(&fail(&claim)).await.expect("complete");
        let since = store
            .subscriber(hook)
            .await
            .expect("read")
            .expect("exists")
            .failing_since;
        assert!(since.is_some(), "the window starts");

        let claim = store.claim("w", 1, LEASE).await.expect("claim");
        assert!(
            claim.deliveries[0].target.failing,
            "the claim sees the open window"
        );
        store
            .complete(&completions(&claim, Outcome::Delivered))
            .await
            .expect("complete");
        let subscriber = store.subscriber(hook).await.expect("read").expect("exists");
        assert_eq!(subscriber.failing_since, None, "a success resets it");

        let claim = store.claim("w", 1, LEASE).await.expect("claim");
        store.complete(&fail(&claim)).await.expect("complete");
        assert!(
            store
                .subscriber(hook)
                .await
                .expect("read")
                .expect("exists")
                .enabled
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        let claim = store.claim("w", 1, LEASE).await.expect("claim");
        store.complete(&fail(&claim)).await.expect("complete");
        let subscriber = store.subscriber(hook).await.expect("read").expect("exists");
        assert!(!subscriber.enabled, "failing for longer than the window");
        assert!(
            subscriber
                .disabled_reason
                .as_deref()
                .is_some_and(|r| r.contains("failed continuously")),
            "{:?}",
            subscriber.disabled_reason
        );
    },
    common::config().disable_after(Duration::from_millis(300))
);

both!(
    released_deliveries_are_due_again_without_an_attempt,
    |store: Store| async move {
        common::webhook_with_events(&store, 2).await;
        let claim = store.claim("w", 10, LEASE).await.expect("claim");
        let ids: Vec<Uuid> = claim.deliveries.iter().map(|d| d.uuid).collect();
        assert_eq!(
            store.release("someone else", &ids).await.expect("release"),
            0,
            "fenced"
        );
        assert_eq!(
            store
                .release(&claim.lease.token, &ids)
                .await
                .expect("release"),
            2
        );
        let again = store.claim("w", 10, LEASE).await.expect("claim");
        assert_eq!(again.deliveries.len(), 2);
        assert!(again.deliveries.iter().all(|d| d.attempts == 1));
    }
);

both!(
    the_attempt_log_records_each_attempt_and_can_be_pruned,
    |store: Store| async move {
        common::webhook_with_events(&store, 1).await;
        let claim = store.claim("w", 1, LEASE).await.expect("claim");
        let long = Attempt {
            outcome: Outcome::Retry { not_before: None },
            status: None,
            duration: Duration::from_millis(1500),
            detail: "é".repeat(5000),
        };
        let mut completion = completions(&claim, Outcome::Delivered);
        completion[0].attempt = long;
        store.complete(&completion).await.expect("complete");
        let log = store.attempts(claim.deliveries[0].uuid).await.expect("log");
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].status_code, 0, "no response");
        assert_eq!(log[0].duration_ms, 1500);
        assert!(
            log[0].detail.len() <= 2048 && log[0].detail.len() > 2000,
            "truncated"
        );
        assert_eq!(
            store
                .prune_attempts(event_runtime::now())
                .await
                .expect("prune"),
            1
        );
        assert!(
            store
                .attempts(claim.deliveries[0].uuid)
                .await
                .expect("log")
                .is_empty()
        );
    }
);

both!(
    the_default_schedule_is_svix_s,
    |store: Store| async move {
        assert_eq!(store.config().retry.max_attempts(), 8);
    },
    StoreConfig::default()
);

/// Completes `batches` from `writers` tasks at once; the errors they met.
async fn complete_concurrently(
    store: &Store,
    batches: Vec<Vec<Completion>>,
    writers: usize,
) -> Vec<String> {
    let mut per_writer: Vec<Vec<Vec<Completion>>> = vec![Vec::new(); writers];
    for (n, batch) in batches.into_iter().enumerate() {
        per_writer[n % writers].push(batch);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for batches in per_writer {
        let store = store.clone();
        tasks.spawn(async move {
            let mut errors = Vec::new();
            for batch in batches {
                if let Err(error) = store.complete(&batch).await {
                    errors.push(error.to_string());
                }
            }
            errors
        });
    }
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        errors.extend(joined.expect("a writer"));
    }
    errors
}

both!(
    concurrent_completions_over_the_same_subscribers_do_not_deadlock,
    |store: Store| async move {
        // Several workers' writers complete batches over the same subscribers, each
        // batch succeeding for some and failing for others at random: their failure
        // windows are updated in differing orders unless locked in one.
        const SUBSCRIBERS: usize = 16;
        const BATCHES: usize = 100;
        for n in 0..SUBSCRIBERS {
            let url = format!("https://hook-{n}.example/");
            let hook = store
                .create_webhook(event_outbox::store::NewWebhook::new(format!("h{n}"), url))
                .await
                .expect("create")
                .subscriber
                .uuid;
            store
                .subscribe(
                    hook,
                    "project:created",
                    event_outbox::store::Scope::global(),
                )
                .await
                .expect("subscribe");
        }
        common::record_created(&store, BATCHES).await;
        let claim = store
            .claim("w", SUBSCRIBERS * BATCHES, LEASE)
            .await
            .expect("claim");
        let mut by_subscriber: std::collections::BTreeMap<Uuid, Vec<Completion>> =
            Default::default();
        for completion in completions(&claim, Outcome::Delivered) {
            by_subscriber
                .entry(completion.subscriber)
                .or_default()
                .push(completion);
        }
        let retry = attempt(Outcome::Retry { not_before: None });
        let mut draw = 0x2545_f491_4f6c_dd1d_u64;
        let batches: Vec<Vec<Completion>> = (0..BATCHES)
            .map(|_| {
                by_subscriber
                    .values_mut()
                    .map(|completions| {
                        let mut completion = completions.pop().expect("one per batch");
                        draw ^= draw << 13;
                        draw ^= draw >> 7;
                        draw ^= draw << 17;
                        if draw % 2 == 1 {
                            completion.attempt = retry.clone();
                        }
                        completion
                    })
                    .collect()
            })
            .collect();
        let errors = complete_concurrently(&store, batches, 8).await;
        assert!(
            errors.is_empty(),
            "{} failed: {:?}",
            errors.len(),
            errors.first()
        );
        let logged = r#"SELECT COUNT(*) FROM "eventgen_delivery_attempts""#;
        assert_eq!(count(&store, logged).await, (SUBSCRIBERS * BATCHES) as i64);
    }
);
