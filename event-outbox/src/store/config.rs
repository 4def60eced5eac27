//! The store's configuration.

use std::time::Duration;

use event_runtime::TelemetryKey;

use super::RetrySchedule;

/// How the store records and schedules deliveries.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoreConfig {
    /// The key of the `hash` telemetry policy; `None` disables telemetry: no analytics
    /// deliveries are recorded.
    pub telemetry: Option<TelemetryKey>,
    /// When failed attempts are retried, and how many attempts a delivery gets.
    pub retry: RetrySchedule,
    /// A subscriber whose deliveries keep failing for this long, without a success, is
    /// disabled (Svix: 5 days).
    pub disable_after: Duration,
    /// How long the previous secret still signs after a rotation (Svix: 24 hours).
    pub previous_secret_ttl: Duration,
    /// SQLite: how long a write waits for another process's lock.
    pub busy_timeout: Duration,
    /// The most connections a pool opens (PostgreSQL, and SQLite readers).
    pub max_connections: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            telemetry: None,
            retry: RetrySchedule::default(),
            disable_after: Duration::from_secs(5 * 24 * 3600),
            previous_secret_ttl: Duration::from_secs(24 * 3600),
            busy_timeout: super::DEFAULT_BUSY_TIMEOUT,
            max_connections: 10,
        }
    }
}

impl StoreConfig {
    /// Enables telemetry with `key`.
    pub fn telemetry(mut self, key: TelemetryKey) -> Self {
        self.telemetry = Some(key);
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

    /// Sets the most connections a pool opens.
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }
}
