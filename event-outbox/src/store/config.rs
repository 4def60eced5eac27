//! The store's configuration.

use std::time::Duration;

use event_runtime::schema::Tables;
use event_runtime::{EventTypeSpec, TelemetryKey};

use super::RetrySchedule;
use crate::secret::SecretKey;

/// How the store records and schedules deliveries.
///
/// [`StoreConfig::validate`] checks every value; `Store::connect_with` refuses a
/// configuration that fails it, so that no value makes the store panic later.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoreConfig {
    /// The key of the `hash` telemetry policy; `None` disables telemetry: no analytics
    /// deliveries are recorded.
    pub telemetry: Option<TelemetryKey>,
    /// When failed attempts are retried, and how many attempts a delivery gets.
    pub retry: RetrySchedule,
    /// A subscriber whose deliveries keep failing for this long, without a success, is
    /// disabled (Svix: 5 days). More than zero, at most 10 years.
    pub disable_after: Duration,
    /// How long the previous secret still signs after a rotation (Svix: 24 hours). At
    /// most a year.
    pub previous_secret_ttl: Duration,
    /// SQLite: how long a write waits for another process's lock. At most an hour.
    pub busy_timeout: Duration,
    /// SQLite: how a commit is made durable (default: [`SqliteDurability::Full`]).
    pub sqlite_durability: SqliteDurability,
    /// The most connections a pool opens (PostgreSQL, and SQLite readers). 1 to 10,000.
    pub max_connections: u32,
    /// The keys that encrypt webhook secrets at rest, ids unique: the first encrypts,
    /// all decrypt. Empty (the default): secrets are stored as their text, as before
    /// this option existed. With a key, `Store::migrate` (or
    /// `Store::encrypt_stored_secrets`) encrypts the rows stored as text, or under
    /// another key.
    pub secret_keys: Vec<SecretKey>,
    /// Where the runtime's tables are, and the table the migrations record themselves in
    /// (default: `eventgen_` names, `_eventgen_migrations`). A generated module has the
    /// project's as `TABLES`, from its `eventgen.toml`.
    pub tables: Tables,
    /// The compiled catalog's stored event types (a generated module's `STORED_EVENTS`):
    /// with it, subscriptions are checked against the catalog (their type, and their
    /// scope keys against those the type's events carry), the analytics subscriber
    /// follows every stored type, and `Store::erase` knows the sensitive columns.
    /// Default: none (subscriptions are checked against `event_types` only).
    pub catalog: Option<&'static [EventTypeSpec]>,
}

/// How SQLite makes a commit durable: its `synchronous` setting (the store runs SQLite in
/// WAL mode, where both keep the database consistent after a crash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SqliteDurability {
    /// `synchronous = FULL`: a transaction that committed survives a power loss or an
    /// operating-system crash; every commit waits for the write-ahead log to reach the
    /// disk.
    #[default]
    Full,
    /// `synchronous = NORMAL`: commits do not wait for the disk, so recording is faster,
    /// but the last transactions committed before a power loss or an operating-system
    /// crash (not a crash of the process) may be lost, with their events and deliveries.
    Normal,
}

/// A configuration value the store cannot work with, named by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid store configuration: `{field}` {problem}")]
pub struct InvalidStoreConfig {
    /// The field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            telemetry: None,
            retry: RetrySchedule::default(),
            disable_after: 5 * DAY,
            previous_secret_ttl: DAY,
            busy_timeout: super::DEFAULT_BUSY_TIMEOUT,
            sqlite_durability: SqliteDurability::Full,
            max_connections: 10,
            secret_keys: Vec::new(),
            tables: Tables::DEFAULT,
            catalog: None,
        }
    }
}

impl StoreConfig {
    /// Enables telemetry with `key`.
    pub fn telemetry(mut self, key: TelemetryKey) -> Self {
        self.telemetry = Some(key);
        self
    }

    /// Sets where the runtime's tables are: the generated module's `TABLES`.
    pub fn tables(mut self, tables: Tables) -> Self {
        self.tables = tables;
        self
    }

    /// Sets the compiled catalog: the generated module's `STORED_EVENTS`.
    pub fn catalog(mut self, catalog: &'static [EventTypeSpec]) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Sets the retry schedule.
    pub fn retry(mut self, retry: RetrySchedule) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how long a subscriber may fail before it is disabled.
    pub fn disable_after(mut self, window: Duration) -> Self {
        self.disable_after = window;
        self
    }

    /// Sets how long the previous secret still signs after a rotation.
    pub fn previous_secret_ttl(mut self, ttl: Duration) -> Self {
        self.previous_secret_ttl = ttl;
        self
    }

    /// Sets SQLite's busy timeout.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets how SQLite makes a commit durable.
    pub fn sqlite_durability(mut self, durability: SqliteDurability) -> Self {
        self.sqlite_durability = durability;
        self
    }

    /// Sets the most connections a pool opens.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Adds a key that encrypts webhook secrets at rest: the first added encrypts, every
    /// one decrypts (see [`StoreConfig::secret_keys`]).
    pub fn secret_key(mut self, key: SecretKey) -> Self {
        self.secret_keys.push(key);
        self
    }

    /// Checks every value: a clear error now rather than a panic or an overflow later.
    pub fn validate(&self) -> Result<(), InvalidStoreConfig> {
        let invalid = |field, problem: &str| {
            Err(InvalidStoreConfig {
                field,
                problem: problem.to_owned(),
            })
        };
        if self.disable_after.is_zero() || self.disable_after > 3650 * DAY {
            return invalid("disable_after", "is more than zero and at most 10 years");
        }
        if self.previous_secret_ttl > 366 * DAY {
            return invalid("previous_secret_ttl", "is at most a year");
        }
        if self.busy_timeout > Duration::from_secs(3600) {
            return invalid("busy_timeout", "is at most an hour");
        }
        if !(1..=10_000).contains(&self.max_connections) {
            return invalid("max_connections", "is 1 to 10,000");
        }
        self.validate_keys()
    }

    fn validate_keys(&self) -> Result<(), InvalidStoreConfig> {
        for (i, key) in self.secret_keys.iter().enumerate() {
            if self.secret_keys[..i].iter().any(|k| k.id() == key.id()) {
                return Err(InvalidStoreConfig {
                    field: "secret_keys",
                    problem: format!(
                        "names the secret key `{}` twice: give each key an id of its own",
                        key.id()
                    ),
                });
            }
        }
        Ok(())
    }
}
