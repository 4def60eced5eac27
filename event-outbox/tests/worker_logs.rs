//! What the worker logs: the `tracing` events operators see when something goes wrong
//! that the worker recovers from on its own (a panicking deliverer, deliveries that waited
//! past their lease). A global subscriber records every event of the process; each test
//! picks out those of its own worker by name.

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use common::{count, eventually};
use event_outbox::Attempt;
use event_outbox::delivery::{AnalyticsMessage, Deliverer, WebhookRequest};
use event_outbox::store::Store;
use event_outbox::worker::{Worker, WorkerConfig};
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber, span};
use uuid::Uuid;

/// Every event, as `LEVEL field=value ...`.
static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = event.metadata().level().to_string();
        event.record(&mut Fields(&mut line));
        LOGGED.lock().expect("not poisoned").push(line);
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

/// The events logged for the worker named `worker`.
fn logged_by(worker: &str) -> Vec<String> {
    let tag = format!("worker={worker}");
    LOGGED
        .lock()
        .expect("not poisoned")
        .iter()
        .filter(|line| line.contains(&tag))
        .cloned()
        .collect()
}

fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Capture).expect("the only global subscriber");
    });
}

/// Panics on every webhook after waiting `delay`.
struct Panics {
    delay: Duration,
}

impl Deliverer for Panics {
    async fn webhook(&self, _: WebhookRequest<'_>) -> Attempt {
        tokio::time::sleep(self.delay).await;
        panic!("the deliverer failed");
    }

    async fn analytics(&self, _: &[AnalyticsMessage<'_>]) -> Attempt {
        panic!("the deliverer failed");
    }
}

/// A worker name of its own, so that parallel tests do not see each other's events.
fn worker_name() -> String {
    format!("w-{}", Uuid::new_v4().simple())
}

both!(
    a_panicking_deliverer_is_logged_and_its_delivery_kept_under_lease,
    |store: Store| async move {
        capture();
        common::webhook_with_events(&store, 1).await;
        let name = worker_name();
        let handle = Worker::new(
            store.clone(),
            Arc::new(Panics {
                delay: Duration::ZERO,
            }),
        )
        .config(WorkerConfig::default().name(&name))
        .expect("a valid worker configuration")
        .spawn();
        eventually(Duration::from_secs(5), "the panic logged", || {
            let name = name.clone();
            async move { logged_by(&name).iter().any(|l| l.contains("panicked")) }
        })
        .await;
        handle.shutdown().await.expect("shut down");
        let line = logged_by(&name)
            .into_iter()
            .find(|l| l.contains("panicked"))
            .expect("logged");
        assert!(line.starts_with("ERROR"), "{line}");
        // The attempt counts: the delivery stays leased until its lease expires.
        assert_eq!(
            count(
                &store,
                r#"SELECT COUNT(*) FROM "eventgen_deliveries" WHERE "leased_by" IS NOT NULL AND "attempts" = 1"#
            )
            .await,
            1
        );
    }
);

both!(
    deliveries_that_wait_past_their_lease_are_given_back_and_logged,
    |store: Store| async move {
        capture();
        common::webhook_with_events(&store, 3).await;
        let name = worker_name();
        // One at a time, each send cut at half the lease: the second and third
        // deliveries of the claim no longer have the room a send needs in the lease.
        let deliverer = Arc::new(Panics {
            delay: Duration::from_millis(600),
        });
        let handle = Worker::new(store.clone(), deliverer)
            .config(
                WorkerConfig::default()
                    .name(&name)
                    .concurrency(1)
                    .lease(Duration::from_millis(200))
                    .send_timeout(Duration::from_millis(100))
                    .poll_interval(Duration::from_secs(30)),
            )
            .expect("a valid worker configuration")
            .spawn();
        eventually(Duration::from_secs(5), "the skip logged", || {
            let name = name.clone();
            async move {
                logged_by(&name)
                    .iter()
                    .any(|l| l.contains("past their lease"))
            }
        })
        .await;
        handle.shutdown().await.expect("shut down");
        let skipped = logged_by(&name)
            .into_iter()
            .find(|l| l.contains("past their lease"))
            .expect("logged");
        assert!(skipped.starts_with("WARN"), "{skipped}");
        assert!(skipped.contains("given back unsent"), "{skipped}");
    }
);

/// A trigger that refuses to delete deliveries: a delivered attempt cannot be recorded,
/// nor its delivery ended.
async fn refuse_deletes(store: &Store) {
    let sql = if store.backend() == "sqlite" {
        r#"CREATE TRIGGER "no_delete" BEFORE DELETE ON "eventgen_deliveries"
           BEGIN SELECT RAISE(ABORT, 'deletes refused'); END;
           CREATE TRIGGER "no_end" BEFORE UPDATE ON "eventgen_deliveries" WHEN NEW."status" = 'dead'
           BEGIN SELECT RAISE(ABORT, 'ends refused'); END;"#
    } else {
        r#"CREATE FUNCTION "refuse"() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'completions refused'; END $$ LANGUAGE plpgsql;
           CREATE TRIGGER "no_delete" BEFORE DELETE ON "eventgen_deliveries"
           FOR EACH ROW EXECUTE FUNCTION "refuse"();
           CREATE TRIGGER "no_end" BEFORE UPDATE ON "eventgen_deliveries"
           FOR EACH ROW WHEN (NEW."status" = 'dead') EXECUTE FUNCTION "refuse"();"#
    };
    common::execute(store, sql).await;
}

both!(
    a_writer_that_cannot_record_is_logged_as_an_error_and_ends_the_run,
    |store: Store| async move {
        capture();
        common::webhook_with_events(&store, 1).await;
        refuse_deletes(&store).await;
        let name = worker_name();
        let handle = Worker::new(store.clone(), common::deliverer())
            .config(WorkerConfig::default().name(&name))
            .expect("a valid worker configuration")
            .spawn();
        eventually(Duration::from_secs(5), "the failure logged", || {
            let name = name.clone();
            async move {
                logged_by(&name)
                    .iter()
                    .any(|l| l.contains("completion writer failed"))
            }
        })
        .await;
        let line = logged_by(&name)
            .into_iter()
            .find(|l| l.contains("completion writer failed"))
            .expect("logged");
        assert!(line.starts_with("ERROR"), "{line}");
        let error = handle.shutdown().await.expect_err("the run reports it");
        assert!(error.to_string().contains("refused"), "{error}");
    }
);
