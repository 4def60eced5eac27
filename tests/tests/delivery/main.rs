//! End to end: events recorded through the generated `register_*` functions of the
//! reference catalog, on SQLite and PostgreSQL migrated with the committed migrations,
//! delivered by the `Worker` through the `HttpDeliverer` to real HTTP receivers on
//! 127.0.0.1, which check what arrives (payloads, headers, signatures with the published
//! `standardwebhooks` crate, scopes, anonymized analytics); and what happens when things
//! go wrong (failing, hanging and redirecting receivers, a worker that dies holding a
//! lease, a rolled-back transaction, addresses the SSRF policy refuses).

#[macro_use]
#[path = "../support/mod.rs"]
mod support;

mod chat;
mod faults;
mod flow;
mod refused;

use std::time::Duration;

use event_outbox::store::Store;

/// Waits until the outbox holds no delivery (every one delivered), failing after 30 s.
async fn outbox_empty(store: &Store) {
    support::eventually(Duration::from_secs(30), "an empty outbox", || {
        let store = store.clone();
        async move {
            test_support::count(&store, r#"SELECT COUNT(*) FROM "eventgen_deliveries""#).await == 0
        }
    })
    .await;
}
