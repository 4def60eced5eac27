//! Pruning by age: the attempt log, dead deliveries and events go when they are older than
//! the retention keeps, in batches; pending deliveries and younger rows stay.

mod common;

use std::time::Duration;

use event_outbox::Outcome;
use event_outbox::store::{Completion, Pruned, Retention, Store};

use common::{count, execute};

const LEASE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 3600);
/// A time both backends read as long past (SQLite keeps times as fixed-width text).
const LONG_AGO: &str = "2001-01-01T00:00:00.000000Z";

/// Fails `n` claimed deliveries once each: `n` attempts in the log, the deliveries dead
/// (a refusal is final).
async fn refuse(store: &Store, n: usize) {
    let claim = store.claim("w", n, LEASE).await.expect("claim");
    assert_eq!(claim.deliveries.len(), n);
    let completions: Vec<Completion> = claim
        .deliveries
        .iter()
        .map(|d| Completion::new(d, &claim.lease.token, common::attempt(Outcome::Refused)))
        .collect();
    assert_eq!(store.complete(&completions).await.expect("complete"), n);
}

both!(
    old_attempts_dead_deliveries_and_events_are_pruned_in_batches,
    |store: Store| async move {
        common::webhook_with_events(&store, 7).await;
        refuse(&store, 5).await;
        // Five attempts and five dead deliveries, of which three are made old; two
        // deliveries stay pending; four of the seven events are made old.
        execute(
            &store,
            &format!(
                r#"UPDATE "eventgen_delivery_attempts" SET "at" = '{LONG_AGO}'
                   WHERE "id" IN (SELECT "id" FROM "eventgen_delivery_attempts" ORDER BY "id" LIMIT 3);
                   UPDATE "eventgen_deliveries" SET "created_at" = '{LONG_AGO}';
                   UPDATE "eventgen_events" SET "timestamp" = '{LONG_AGO}'
                   WHERE "uuid" IN (SELECT "uuid" FROM "eventgen_events" ORDER BY "uuid" LIMIT 4);"#
            ),
        )
        .await;

        let retention = Retention::default()
            .attempts(Some(DAY))
            .dead_deliveries(Some(DAY))
            .events(Some(DAY))
            .batch_size(2);
        let pruned = store.prune(&retention).await.expect("prune");
        assert_eq!(
            pruned,
            Pruned {
                attempts: 3,
                dead_deliveries: 5,
                events: 4,
            }
        );
        let left = |table: &str| format!(r#"SELECT COUNT(*) FROM "eventgen_{table}""#);
        assert_eq!(count(&store, &left("delivery_attempts")).await, 2);
        assert_eq!(count(&store, &left("events")).await, 3);
        let counts = store.outbox_counts().await.expect("counts");
        assert_eq!(
            (counts.pending, counts.dead),
            (2, 0),
            "pending ones stay, old as they are"
        );
        // The pending deliveries of pruned events keep their payloads.
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "payload" <> ''"#
            )
            .await,
            2
        );

        assert_eq!(
            store.prune(&retention).await.expect("prune"),
            Pruned::default()
        );
    }
);

both!(
    the_default_retention_keeps_young_rows_and_every_event,
    |store: Store| async move {
        common::webhook_with_events(&store, 3).await;
        refuse(&store, 3).await;
        execute(
            &store,
            &format!(r#"UPDATE "eventgen_events" SET "timestamp" = '{LONG_AGO}'"#),
        )
        .await;
        let pruned = store.prune(&Retention::default()).await.expect("prune");
        assert_eq!(
            pruned,
            Pruned::default(),
            "young attempts and dead deliveries, events kept"
        );
        assert_eq!(store.outbox_counts().await.expect("counts").dead, 3);
    }
);
