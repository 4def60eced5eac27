//! A fresh database per run (see `test-support`), migrated with the committed
//! `migrations/` of the reference catalog.

use std::future::Future;
use std::path::Path;

use event_outbox::store::{Store, StoreConfig};
use event_runtime::TelemetryKey;
use sqlx::migrate::Migrator;

use test_support::Backend;

/// The telemetry key of the tests.
pub(crate) fn key() -> TelemetryKey {
    TelemetryKey::new(b"e2e key".to_vec())
}

/// The default configuration with telemetry enabled.
pub(crate) fn config() -> StoreConfig {
    StoreConfig::default().telemetry(key())
}

/// The committed migrations of `definitions/` for `backend` (`sqlite`, `postgres`).
pub(crate) async fn migrator(backend: &str) -> Migrator {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend);
    Migrator::new(dir.as_path())
        .await
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
}

/// Applies the committed migrations.
pub(crate) async fn migrate(store: &Store) {
    store
        .migrate(&migrator(store.backend()).await)
        .await
        .expect("apply the committed migrations");
}

/// Runs `body` on a store over a fresh, migrated database of `backend`; the database is
/// removed afterwards, also when `body` panics. Returns without running when PostgreSQL
/// is skipped.
pub(crate) async fn with_store<F, Fut>(backend: Backend, config: StoreConfig, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    test_support::with_store(backend, "eventgen_e2e", config, migrate, body).await;
}
