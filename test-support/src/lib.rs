//! Test databases for the workspace's tests and benchmarks: a fresh database per run, a
//! SQLite file in a directory of its own or a PostgreSQL database of its own, removed
//! afterwards.
//!
//! PostgreSQL runs connect through `EVENTGEN_TEST_POSTGRES_URL`
//! (`postgres://postgres@127.0.0.1:5432/test`, a user that may create databases). Without
//! it they are skipped (and say so), except on CI (`CI=true`), where they fail. The NATS
//! JetStream tests read `EVENTGEN_TEST_NATS_URL` (`nats://127.0.0.1:4222`) the same way.

use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use event_outbox::store::{Store, StoreConfig};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection};

/// The variable that holds the PostgreSQL URL.
pub const POSTGRES_URL: &str = "EVENTGEN_TEST_POSTGRES_URL";

/// The variable that holds the URL of a NATS server with JetStream.
pub const NATS_URL: &str = "EVENTGEN_TEST_NATS_URL";

/// A database backend of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// Runs `body` on a store over a fresh database of `backend`, after `prepare` has put the
/// schema in; the database is removed afterwards, also when `body` panics. Returns
/// without running when PostgreSQL is skipped.
pub async fn with_store<F, Fut>(
    backend: Backend,
    prefix: &str,
    config: StoreConfig,
    prepare: impl AsyncFnOnce(&Store),
    body: F,
) where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(database) = TestDatabase::create(backend, prefix).await else {
        return;
    };
    let store = database.store(config).await;
    prepare(&store).await;
    let outcome = tokio::spawn(body(store.clone())).await;
    store.close().await;
    database.drop_then_resume(outcome).await;
}

/// Runs `body` with a pool of one connection to a fresh, empty PostgreSQL database; the
/// database is removed afterwards, also when `body` panics. Returns without running when
/// PostgreSQL is skipped.
pub async fn with_postgres_pool<F, Fut>(prefix: &str, body: F)
where
    F: FnOnce(PgPool) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(database) = TestDatabase::create(Backend::Postgres, prefix).await else {
        return;
    };
    let pool = database
        .postgres_pool(1)
        .await
        .expect("a PostgreSQL database");
    let outcome = tokio::spawn(body(pool.clone())).await;
    pool.close().await;
    database.drop_then_resume(outcome).await;
}

/// A database created for one run.
pub enum TestDatabase {
    /// A directory that holds the SQLite file.
    Sqlite {
        /// The directory.
        dir: PathBuf,
    },
    /// A PostgreSQL database, and the connection that created it and drops it.
    Postgres {
        /// The connection to the URL's database.
        admin: PgConnection,
        /// The database's name.
        name: String,
    },
}

impl TestDatabase {
    /// Creates an empty database named after `prefix`; `None` when PostgreSQL is skipped.
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
                let options = postgres_options()?;
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

    /// A store over it (its schema is the caller's to apply).
    pub async fn store(&self, config: StoreConfig) -> Store {
        match self {
            TestDatabase::Sqlite { dir } => {
                let url = format!("sqlite:{}", dir.join("events.db").display());
                Store::connect_with(&url, config)
                    .await
                    .expect("open a SQLite store")
            }
            TestDatabase::Postgres { .. } => {
                let pool = self
                    .postgres_pool(config.max_connections)
                    .await
                    .expect("a PostgreSQL database");
                Store::from_postgres_pool(pool, config).expect("a valid store configuration")
            }
        }
    }

    /// A pool of up to `max_connections` to it, when it is a PostgreSQL database.
    pub async fn postgres_pool(&self, max_connections: u32) -> Option<PgPool> {
        let TestDatabase::Postgres { name, .. } = self else {
            return None;
        };
        let options = postgres_options()
            .expect("checked at creation")
            .database(name);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .connect_with(options)
            .await
            .expect("connect to the test database");
        Some(pool)
    }

    /// Removes it, then carries on the panic of the test body that ran on it, if any (the
    /// body runs as a task, so that a panic still lets the database be removed).
    async fn drop_then_resume(self, outcome: Result<(), tokio::task::JoinError>) {
        self.drop().await;
        if let Err(error) = outcome {
            std::panic::resume_unwind(error.into_panic());
        }
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

/// A name no other run of this process or another uses.
fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
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

/// `EVENTGEN_TEST_NATS_URL`, or `None` (after saying so) when NATS runs are skipped; on
/// CI a missing URL fails.
pub fn nats_url() -> Option<String> {
    match std::env::var(NATS_URL) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "{NATS_URL} is not set, and NATS tests do not skip on CI: set it to the URL of \
                 a NATS server with JetStream (nats://127.0.0.1:4222)"
            );
            eprintln!("NATS skipped: set {NATS_URL}");
            None
        }
    }
}

fn postgres_options() -> Option<PgConnectOptions> {
    let url = postgres_url()?;
    Some(
        PgConnectOptions::from_str(&url)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL} is not a PostgreSQL URL: {e}")),
    )
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
