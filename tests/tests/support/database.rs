//! A fresh database per run, migrated with the committed `migrations/` of the reference
//! catalog: a SQLite file in a directory of its own, or a PostgreSQL database of its own.
//!
//! PostgreSQL runs connect through `EVENTGEN_TEST_POSTGRES_URL`
//! (`postgres://postgres@127.0.0.1:5432/test`, a user that may create databases). Without
//! it they are skipped (and say so), except on CI (`CI=true`), where they fail.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use event_runtime::TelemetryKey;
use event_runtime::store::{Store, StoreConfig};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection};

pub const POSTGRES_URL: &str = "EVENTGEN_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The telemetry key of the tests.
pub fn key() -> TelemetryKey {
    TelemetryKey::new(b"e2e key".to_vec())
}

/// The default configuration with telemetry enabled.
pub fn config() -> StoreConfig {
    StoreConfig::default().telemetry(key())
}

/// The committed migrations of `definitions/` for `backend` (`sqlite`, `postgres`).
pub async fn migrator(backend: &str) -> Migrator {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(backend);
    Migrator::new(dir.as_path())
        .await
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
}

/// A unique name for this run's database.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// Runs `body` on a store over a fresh, migrated database of `backend`; the database is
/// removed afterwards, also when `body` panics. Returns without running when PostgreSQL
/// is skipped.
pub async fn with_store<F, Fut>(backend: Backend, config: StoreConfig, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(database) = TestDatabase::create(backend, "eventgen_e2e").await else {
        return;
    };
    let store = database.store(config).await;
    let outcome = tokio::spawn(body(store.clone())).await;
    store.close().await;
    database.drop().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// A database created for one run.
pub enum TestDatabase {
    Sqlite { dir: PathBuf },
    Postgres { admin: PgConnection, name: String },
}

impl TestDatabase {
    /// Creates it; `None` when PostgreSQL is skipped.
    pub async fn create(backend: Backend, prefix: &str) -> Option<TestDatabase> {
        let name = unique_name(prefix);
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).expect("create a temporary directory");
                Some(TestDatabase::Sqlite { dir })
            }
            Backend::Postgres => {
                let url = postgres_url()?;
                let options = PgConnectOptions::from_str(&url)
                    .unwrap_or_else(|e| panic!("{POSTGRES_URL} is not a PostgreSQL URL: {e}"));
                let mut admin = PgConnection::connect_with(&options)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect with {POSTGRES_URL}: {e}"));
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut admin)
                    .await
                    .expect("create a test database");
                Some(TestDatabase::Postgres { admin, name })
            }
        }
    }

    /// A store over it, migrated.
    pub async fn store(&self, config: StoreConfig) -> Store {
        let (store, backend) = match self {
            TestDatabase::Sqlite { dir } => {
                let url = format!("sqlite:{}", dir.join("events.db").display());
                let store = Store::connect_with(&url, config)
                    .await
                    .expect("open a SQLite store");
                (store, "sqlite")
            }
            TestDatabase::Postgres { name, .. } => {
                let url = postgres_url().expect("checked at creation");
                let options = PgConnectOptions::from_str(&url)
                    .expect("a PostgreSQL URL")
                    .database(name);
                let pool = PgPoolOptions::new()
                    .max_connections(config.max_connections)
                    .connect_with(options)
                    .await
                    .expect("connect to the test database");
                (Store::from_postgres_pool(pool, config), "postgres")
            }
        };
        store
            .migrate(&migrator(backend).await)
            .await
            .expect("apply the committed migrations");
        store
    }

    /// Removes it.
    pub async fn drop(self) {
        match self {
            TestDatabase::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDatabase::Postgres { mut admin, name } => {
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .expect("drop the test database");
            }
        }
    }
}

/// `EVENTGEN_TEST_POSTGRES_URL`, or `None` (after saying so) when PostgreSQL runs are
/// skipped; on CI a missing URL fails.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "{POSTGRES_URL} is not set, and PostgreSQL tests do not skip on CI: set it to a \
                 PostgreSQL URL whose user may create databases \
                 (postgres://postgres@127.0.0.1:5432/test)"
            );
            eprintln!("PostgreSQL skipped: set {POSTGRES_URL}");
            None
        }
    }
}

/// Runs SQL of the test itself (several statements).
pub async fn execute(store: &Store, sql: &str) {
    let sql = AssertSqlSafe(sql.to_owned());
    let result = match (store.sqlite_pool(), store.postgres_pool()) {
        (Some(pool), _) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        (_, Some(pool)) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        _ => unreachable!("a store has a pool"),
    };
    result.unwrap_or_else(|e| panic!("test SQL failed: {e}"));
}

/// Counts rows with SQL of the test itself.
pub async fn count(store: &Store, sql: &str) -> i64 {
    let sql = AssertSqlSafe(sql.to_owned());
    match (store.sqlite_pool(), store.postgres_pool()) {
        (Some(pool), _) => sqlx::query_scalar(sql).fetch_one(pool).await,
        (_, Some(pool)) => sqlx::query_scalar(sql).fetch_one(pool).await,
        _ => unreachable!("a store has a pool"),
    }
    .unwrap_or_else(|e| panic!("test count failed: {e}"))
}
