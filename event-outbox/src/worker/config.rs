//! How a worker claims and sends, checked when the worker is configured.

use std::time::Duration;

use event_runtime::Timestamp;

/// The longest lease, poll interval or shutdown grace a worker accepts.
const MAX_LEASE: Duration = Duration::from_secs(24 * 3600);
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(3600);
const MAX_SHUTDOWN_GRACE: Duration = Duration::from_secs(3600);
/// The shortest lease (tests use sub-second ones) and send bound.
const MIN_LEASE: Duration = Duration::from_millis(100);
const MIN_SEND_TIMEOUT: Duration = Duration::from_millis(10);
/// The most requests in flight, deliveries per claim, or analytics messages per call.
const MAX_COUNT: usize = 10_000;
/// The longest worker name, in bytes (it is part of every lease token).
const MAX_NAME: usize = 200;

/// How a worker claims and sends. [`WorkerConfig::validate`] checks it, and
/// [`Worker::config`](super::Worker::config) refuses a configuration that fails, so that
/// no value makes the worker panic or misbehave later.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// Its name, in `leased_by`: 1 to 200 bytes, no control characters.
    pub name: String,
    /// The most requests in flight at once (a batch of analytics messages is one); 1 to
    /// 10,000.
    pub concurrency: usize,
    /// The most deliveries one claim takes; 1 to 10,000.
    pub batch_size: usize,
    /// The most analytics messages sent in one call; 1 to 10,000.
    pub analytics_batch_size: usize,
    /// How long a claim holds its deliveries (100 ms to 24 hours), on the database's
    /// clock. Deliveries are claimed ahead of sending: one starts only while its lease has
    /// `send_timeout` and a quarter of the lease left (the send, then time to record it);
    /// the others are given back unsent. A lease of `1 + batch_size / concurrency` times the
    /// slowest send leaves none waiting past it (the defaults: 120 s).
    pub lease: Duration,
    /// The longest one send may take; it is cut then, and counts as a timed-out attempt.
    /// At most half the lease (see [`WorkerConfig::lease`]).
    ///
    /// Sends are bounded rather than their leases extended (a heartbeat) because a bound
    /// holds without the database: a heartbeat that cannot reach it lets the lease run
    /// out under a send still in flight, which another worker then sends again, while a
    /// bounded send always ends, and is recorded, inside the lease it started in.
    pub send_timeout: Duration,
    /// How often to look for due deliveries without a wake-up (retries come due this
    /// way); 1 ms to an hour.
    pub poll_interval: Duration,
    /// How long in-flight deliveries may finish after shutdown is asked for; at most an
    /// hour.
    pub shutdown_grace: Duration,
    /// The clock of the `webhook-timestamp` header. Leases and due times never read it:
    /// they are the database's.
    pub clock: Clock,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            name: format!("worker-{}", std::process::id()),
            concurrency: 32,
            batch_size: 100,
            analytics_batch_size: 100,
            lease: Duration::from_secs(120),
            send_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(30),
            clock: Clock::system(),
        }
    }
}

/// A worker configuration value out of range, named by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid worker configuration: `{field}` {problem}")]
pub struct InvalidWorkerConfig {
    /// The field.
    pub field: &'static str,
    /// What it must be.
    pub problem: String,
}

impl WorkerConfig {
    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the most requests in flight.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Sets the most deliveries one claim takes.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// Sets the lease.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets the longest one send may take.
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// Sets the poll interval.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Sets the shutdown grace period.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Sets the clock of the `webhook-timestamp` header.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Checks every value: a clear error now rather than a panic or a stall later.
    pub fn validate(&self) -> Result<(), InvalidWorkerConfig> {
        let invalid = |field, problem: String| Err(InvalidWorkerConfig { field, problem });
        if self.name.is_empty()
            || self.name.len() > MAX_NAME
            || self.name.chars().any(char::is_control)
        {
            return invalid(
                "name",
                format!("is 1 to {MAX_NAME} bytes without control characters"),
            );
        }
        for (field, n) in [
            ("concurrency", self.concurrency),
            ("batch_size", self.batch_size),
            ("analytics_batch_size", self.analytics_batch_size),
        ] {
            if !(1..=MAX_COUNT).contains(&n) {
                return invalid(field, format!("is 1 to {MAX_COUNT}, not {n}"));
            }
        }
        if !(MIN_LEASE..=MAX_LEASE).contains(&self.lease) {
            return invalid(
                "lease",
                format!("is {MIN_LEASE:?} to {MAX_LEASE:?}, not {:?}", self.lease),
            );
        }
        if self.send_timeout < MIN_SEND_TIMEOUT || self.send_timeout > self.lease / 2 {
            return invalid(
                "send_timeout",
                format!(
                    "is {MIN_SEND_TIMEOUT:?} to half the lease ({:?}), not {:?}: a send and its record must fit in the lease",
                    self.lease / 2,
                    self.send_timeout
                ),
            );
        }
        if self.poll_interval.is_zero() || self.poll_interval > MAX_POLL_INTERVAL {
            return invalid(
                "poll_interval",
                format!("is above zero and at most {MAX_POLL_INTERVAL:?}"),
            );
        }
        if self.shutdown_grace > MAX_SHUTDOWN_GRACE {
            return invalid(
                "shutdown_grace",
                format!("is at most {MAX_SHUTDOWN_GRACE:?}"),
            );
        }
        Ok(())
    }
}

/// The time a worker puts in `webhook-timestamp`: the system's, or the system's shifted
/// by an offset (a host whose clock is off, in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    offset: chrono::TimeDelta,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Clock::default()
    }

    /// The system's clock, `offset` ahead (behind when negative).
    pub fn offset(offset: chrono::TimeDelta) -> Self {
        Clock { offset }
    }

    /// The time now (the system's when the offset would overflow).
    pub fn now(&self) -> Timestamp {
        let now = event_runtime::now();
        now.checked_add_signed(self.offset).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_the_send_bound_fits_the_lease() {
        assert_eq!(WorkerConfig::default().validate(), Ok(()));
        let config = WorkerConfig::default().lease(Duration::from_secs(10));
        assert_eq!(
            config
                .clone()
                .send_timeout(Duration::from_secs(5))
                .validate(),
            Ok(())
        );
        let error = config
            .send_timeout(Duration::from_secs(6))
            .validate()
            .unwrap_err();
        assert_eq!(error.field, "send_timeout");
    }
}
