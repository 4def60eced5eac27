//! The outbox store on SQLite or PostgreSQL: recording events with their deliveries,
//! managing subscribers, and claiming and completing deliveries.
//!
//! One code base serves both backends through an enum over their pools ([`Conn`] for a
//! borrowed connection) rather than sqlx's `Any` driver: `Any` maps neither UUIDs nor
//! times, cannot open SQLite transactions with `BEGIN IMMEDIATE`, and has no `LISTEN`.
//! Statements are written once with `$N` placeholders, which both backends read; only the
//! encoding of values differs (see `sql`), plus `FOR UPDATE SKIP LOCKED` and `NOTIFY`,
//! which exist on PostgreSQL only.
//!
//! On SQLite, writes go through a pool of one connection, so writers of this process
//! queue in the pool instead of polling the database lock, and every write transaction
//! starts with `BEGIN IMMEDIATE` (a deferred transaction that reads and then writes fails
//! with `SQLITE_BUSY` at once); reads use a pool of their own (WAL lets them run beside
//! the writer). Other processes writing the same file wait up to the busy timeout.
//!
//! Each backend is a feature (`sqlite` or `sqlite-bundled`, and `postgres`): the store
//! compiles with either or both, and a URL of a backend left out is refused with
//! [`StoreError::BackendNotEnabled`].

mod catalog;
mod config;
mod drift;
mod error;
mod events;
mod operational;
mod outbox;
mod record;
mod retention;
mod retry;
mod sql;
mod streams;
mod subscribers;
mod subscription;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use event_runtime::schema::Tables;
use sqlx::migrate::Migrator;
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
#[cfg(feature = "_sqlite")]
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use tokio::sync::Notify;

#[cfg(not(any(feature = "_sqlite", feature = "postgres")))]
compile_error!(
    "the event-outbox store needs a database backend: enable the `sqlite`, `sqlite-bundled` or `postgres` feature"
);

pub use catalog::check_subscription;
pub use config::{InvalidStoreConfig, SqliteDurability, StoreConfig};
pub use error::{DriftError, StoreError};
pub use events::EventQuery;
pub use outbox::{
    AttemptRecord, Claim, ClaimedDelivery, Completion, DeadDelivery, Lease, OutboxCounts, Target,
};
pub use record::{Recording, Transaction};
pub use retention::{Pruned, Retention};
pub use retry::{InvalidRetrySchedule, MAX_RETRIES, MAX_RETRY_DELAY, RetrySchedule};
pub use sql::Conn;
pub use streams::NewStream;
pub use subscribers::{CreatedWebhook, NewWebhook, Subscriber, Subscription, WebhookUpdate};
pub use subscription::{Scope, SubscriberKind};

/// The PostgreSQL channel the store notifies when deliveries are recorded or redriven.
pub const NOTIFY_CHANNEL: &str = "eventgen_deliveries";

/// The outbox store. Cheap to clone: clones share the pools, the configuration and the
/// wake-up signal of the in-process workers.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pools: Pools,
    config: StoreConfig,
    wake: Notify,
}

/// The pools of the backend in use.
enum Pools {
    #[cfg(feature = "_sqlite")]
    Sqlite {
        /// One connection: every write of this process, in turn.
        writer: SqlitePool,
        /// Reads beside the writer.
        reader: SqlitePool,
    },
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("config", &self.inner.config)
            .finish()
    }
}

/// A connection from one of the store's pools.
enum PoolConn {
    #[cfg(feature = "_sqlite")]
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl PoolConn {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            #[cfg(feature = "_sqlite")]
            PoolConn::Sqlite(c) => Conn::Sqlite(c),
            #[cfg(feature = "postgres")]
            PoolConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl Store {
    /// Connects with the default configuration (telemetry disabled): `sqlite:PATH` (the
    /// file is created when missing), `sqlite::memory:`, or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::connect_with(url, StoreConfig::default()).await
    }

    /// Connects with `config`.
    pub async fn connect_with(url: &str, config: StoreConfig) -> Result<Store, StoreError> {
        validate(&config)?;
        let pools = if url.starts_with("sqlite:") {
            Store::connect_sqlite(url, &config).await?
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Store::connect_postgres(url, &config).await?
        } else {
            return Err(StoreError::UnsupportedUrl(redact_database_url(url)));
        };
        Ok(Store::from_pools(pools, config))
    }

    #[cfg(feature = "_sqlite")]
    async fn connect_sqlite(url: &str, config: &StoreConfig) -> Result<Pools, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(config.busy_timeout)
            .synchronous(match config.sqlite_durability {
                SqliteDurability::Full => SqliteSynchronous::Full,
                SqliteDurability::Normal => SqliteSynchronous::Normal,
            })
            .foreign_keys(true);
        // A connection to a local file does not go stale: no ping before each use, which
        // would cost a round trip to the connection's thread per transaction.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        // An in-memory database exists once per connection: read through the writer.
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let reader = if memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(config.max_connections)
                .test_before_acquire(false)
                .connect_with(options)
                .await?
        };
        Ok(Pools::Sqlite { writer, reader })
    }

    #[cfg(not(feature = "_sqlite"))]
    async fn connect_sqlite(_: &str, _: &StoreConfig) -> Result<Pools, StoreError> {
        Err(StoreError::BackendNotEnabled {
            backend: "SQLite",
            features: "`sqlite` or `sqlite-bundled`",
        })
    }

    #[cfg(feature = "postgres")]
    async fn connect_postgres(url: &str, config: &StoreConfig) -> Result<Pools, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .connect_with(options)
            .await?;
        Ok(Pools::Postgres(pool))
    }

    #[cfg(not(feature = "postgres"))]
    async fn connect_postgres(_: &str, _: &StoreConfig) -> Result<Pools, StoreError> {
        Err(StoreError::BackendNotEnabled {
            backend: "PostgreSQL",
            features: "`postgres`",
        })
    }

    /// A store over an existing SQLite pool, for reads and writes alike. Give it one
    /// connection (`max_connections(1)`) so that writers queue in the pool. Fails on an
    /// invalid configuration, as [`Store::connect_with`] does.
    #[cfg(feature = "_sqlite")]
    pub fn from_sqlite_pool(pool: SqlitePool, config: StoreConfig) -> Result<Store, StoreError> {
        validate(&config)?;
        Ok(Store::from_pools(
            Pools::Sqlite {
                writer: pool.clone(),
                reader: pool,
            },
            config,
        ))
    }

    /// A store over an existing PostgreSQL pool. Fails on an invalid configuration, as
    /// [`Store::connect_with`] does.
    #[cfg(feature = "postgres")]
    pub fn from_postgres_pool(pool: PgPool, config: StoreConfig) -> Result<Store, StoreError> {
        validate(&config)?;
        Ok(Store::from_pools(Pools::Postgres(pool), config))
    }

    fn from_pools(pools: Pools, config: StoreConfig) -> Store {
        let tables = match &pools {
            // SQLite has no schemas: its migrations name the tables without one.
            #[cfg(feature = "_sqlite")]
            Pools::Sqlite { .. } => config.tables.without_schema(),
            #[cfg(feature = "postgres")]
            Pools::Postgres(_) => config.tables.clone(),
        };
        let config = StoreConfig { tables, ..config };
        Store {
            inner: Arc::new(Inner {
                pools,
                config,
                wake: Notify::new(),
            }),
        }
    }

    /// Applies a directory of generated migrations (`migrations/sqlite` or
    /// `migrations/postgres`, the one for this backend), e.g. from `sqlx::migrate!`, then
    /// encrypts the webhook secrets stored as text when a secret key is configured
    /// ([`Store::encrypt_stored_secrets`]).
    ///
    /// They are recorded in the configured migrations table
    /// ([`Tables::migrations_table`], `_eventgen_migrations` by default), whatever table
    /// `migrator` names, never in sqlx's `_sqlx_migrations`: a service's own migrations
    /// and these run in either order without one refusing the other's versions. On
    /// PostgreSQL the tables' schema, if any, is created first.
    pub async fn migrate(&self, migrator: &Migrator) -> Result<(), StoreError> {
        let tables = self.tables();
        let mut migrator = {
            let mut ours = Migrator::with_migrations(migrator.iter().cloned().collect());
            ours.set_ignore_missing(migrator.ignore_missing)
                .set_locking(migrator.locking);
            ours
        };
        migrator.dangerous_set_table_name(tables.migrations_table().to_owned());
        if let Some(schema) = tables.schema() {
            // Only PostgreSQL stores keep a schema (see `from_pools`).
            migrator.create_schema(schema.to_owned());
        }
        match &self.inner.pools {
            #[cfg(feature = "_sqlite")]
            Pools::Sqlite { writer, .. } => migrator.run(writer).await?,
            #[cfg(feature = "postgres")]
            Pools::Postgres(pool) => migrator.run(pool).await?,
        }
        // Secrets stored before a key was configured, or under an older key.
        self.encrypt_stored_secrets().await?;
        // Event types added to the catalog since the analytics subscriber was created.
        self.sync_analytics_subscriptions().await?;
        Ok(())
    }

    /// Where the runtime's tables are (the configuration's).
    pub fn tables(&self) -> &Tables {
        &self.inner.config.tables
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE` on SQLite) to record events in,
    /// beside the caller's own statements ([`Transaction::conn`]). Committing it wakes the
    /// workers of this process.
    pub async fn begin(&self) -> Result<Transaction, StoreError> {
        Transaction::begin(self.clone()).await
    }

    /// Records into a transaction the caller began on a connection of their own. On
    /// SQLite, begin it with `BEGIN IMMEDIATE` (`pool.begin_with("BEGIN IMMEDIATE")`). After
    /// committing, call [`Store::wake`] so that workers of this process start at once.
    pub fn recorder<'c>(&'c self, conn: impl Into<Conn<'c>>) -> Recording<'c> {
        Recording::new(self, conn.into())
    }

    /// Wakes the workers of this process (after a commit that recorded deliveries).
    pub fn wake(&self) {
        self.inner.wake.notify_waiters();
    }

    /// Commits `tx`, then wakes the workers of this process when it recorded deliveries.
    async fn commit_waking(&self, tx: WriteTx, recorded: bool) -> Result<(), StoreError> {
        tx.commit().await?;
        if recorded {
            self.wake();
        }
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// The backend's name: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.inner.pools {
            #[cfg(feature = "_sqlite")]
            Pools::Sqlite { .. } => "sqlite",
            #[cfg(feature = "postgres")]
            Pools::Postgres(_) => "postgres",
        }
    }

    /// The PostgreSQL pool, when the store runs on PostgreSQL.
    #[cfg(feature = "postgres")]
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.inner.pools {
            Pools::Postgres(pool) => Some(pool),
            #[cfg(feature = "_sqlite")]
            Pools::Sqlite { .. } => None,
        }
    }

    /// The SQLite pool writes go through, when the store runs on SQLite.
    #[cfg(feature = "_sqlite")]
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.inner.pools {
            Pools::Sqlite { writer, .. } => Some(writer),
            #[cfg(feature = "postgres")]
            Pools::Postgres(_) => None,
        }
    }

    /// Closes the pools.
    pub async fn close(&self) {
        match &self.inner.pools {
            #[cfg(feature = "_sqlite")]
            Pools::Sqlite { writer, reader } => {
                writer.close().await;
                reader.close().await;
            }
            #[cfg(feature = "postgres")]
            Pools::Postgres(pool) => pool.close().await,
        }
    }

    pub(crate) fn notify(&self) -> &Notify {
        &self.inner.wake
    }

    /// A connection for reading.
    async fn read(&self) -> Result<PoolConn, StoreError> {
        Ok(match &self.inner.pools {
            #[cfg(feature = "_sqlite")]
            Pools::Sqlite { reader, .. } => PoolConn::Sqlite(reader.acquire().await?),
            #[cfg(feature = "postgres")]
            Pools::Postgres(pool) => PoolConn::Postgres(pool.acquire().await?),
        })
    }

    /// A write transaction (`BEGIN IMMEDIATE` on SQLite).
    async fn write(&self) -> Result<WriteTx, StoreError> {
        Ok(match &self.inner.pools {
            #[cfg(feature = "_sqlite")]
            Pools::Sqlite { writer, .. } => {
                WriteTx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?)
            }
            #[cfg(feature = "postgres")]
            Pools::Postgres(pool) => WriteTx::Postgres(pool.begin().await?),
        })
    }
}

/// A write transaction of either backend.
enum WriteTx {
    #[cfg(feature = "_sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Checks a configuration before a store is made with it.
fn validate(config: &StoreConfig) -> Result<(), StoreError> {
    config
        .validate()
        .map_err(|e| StoreError::invalid("store configuration", e.to_string()))
}

impl WriteTx {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            #[cfg(feature = "_sqlite")]
            WriteTx::Sqlite(tx) => Conn::Sqlite(tx_conn_sqlite(tx)),
            #[cfg(feature = "postgres")]
            WriteTx::Postgres(tx) => Conn::Postgres(tx_conn_pg(tx)),
        }
    }

    async fn commit(self) -> Result<(), StoreError> {
        match self {
            #[cfg(feature = "_sqlite")]
            WriteTx::Sqlite(tx) => tx.commit().await?,
            #[cfg(feature = "postgres")]
            WriteTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    async fn rollback(self) -> Result<(), StoreError> {
        match self {
            #[cfg(feature = "_sqlite")]
            WriteTx::Sqlite(tx) => tx.rollback().await?,
            #[cfg(feature = "postgres")]
            WriteTx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

#[cfg(feature = "_sqlite")]
fn tx_conn_sqlite<'a>(
    tx: &'a mut sqlx::Transaction<'static, sqlx::Sqlite>,
) -> &'a mut SqliteConnection {
    tx
}

#[cfg(feature = "postgres")]
fn tx_conn_pg<'a>(tx: &'a mut sqlx::Transaction<'static, sqlx::Postgres>) -> &'a mut PgConnection {
    tx
}

/// A database URL for an error message: without credentials (a `sqlite:` path has none).
fn redact_database_url(url: &str) -> String {
    if url.contains("://") {
        crate::redact_url(url)
    } else {
        url.to_owned()
    }
}

/// How long to wait for the database lock or a connection.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A std duration as a chrono one (saturating).
fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
