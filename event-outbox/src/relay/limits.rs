//! How much work `POST /analytics` takes on, per process: requests in flight (a
//! semaphore), requests per second (a token bucket), body size and how long a body may
//! take to arrive.
//!
//! Written here rather than taken from tower's `limit` layers: those make requests wait
//! (backpressure inside the server) where a relay must answer at once with `429`/`503`
//! and `Retry-After`, and they would need a buffer and an error-handling layer on top.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits of the relay route. Every process has its own; behind a load balancer the
/// service's limits are these times the number of processes.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayLimits {
    /// Requests handled at once, from the first byte of the body to the answer; more get
    /// `503` with `Retry-After`. Default 64.
    pub max_in_flight: usize,
    /// Requests accepted per second, sustained; more get `429` with `Retry-After`.
    /// Default 200.
    pub requests_per_second: u32,
    /// Requests accepted at once after a quiet time, beyond the rate. Default 400.
    pub burst: u32,
    /// The largest body, in bytes; larger gets `413`. Default 64 KiB (client events are
    /// small).
    pub max_body: usize,
    /// The most a body may take to arrive; slower gets `408`, so that slow clients do not
    /// hold the requests in flight. Default 10 s.
    pub body_timeout: Duration,
}

impl Default for RelayLimits {
    fn default() -> Self {
        RelayLimits {
            max_in_flight: 64,
            requests_per_second: 200,
            burst: 400,
            max_body: 64 * 1024,
            body_timeout: Duration::from_secs(10),
        }
    }
}

/// The largest [`RelayLimits::max_in_flight`], [`RelayLimits::requests_per_second`] and
/// [`RelayLimits::burst`] accepted.
pub const MAX_REQUESTS: usize = 1_000_000;
/// The largest [`RelayLimits::max_body`] accepted: 1 MiB.
pub const MAX_BODY: usize = 1024 * 1024;
/// The longest [`RelayLimits::body_timeout`] accepted.
pub const MAX_BODY_TIMEOUT: Duration = Duration::from_secs(300);

/// A relay limit (or queue setting) out of its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the relay's `{setting}` must be {range}, not {value}")]
pub struct InvalidLimit {
    /// The setting, e.g. `max_in_flight`.
    pub setting: &'static str,
    /// What it must be.
    pub range: String,
    /// What it was.
    pub value: String,
}

impl RelayLimits {
    /// A limit of zero would refuse everything, and a huge one limits nothing or
    /// overflows: each must be in its range.
    pub fn validate(&self) -> Result<(), InvalidLimit> {
        within("max_in_flight", self.max_in_flight, MAX_REQUESTS)?;
        within(
            "requests_per_second",
            self.requests_per_second as usize,
            MAX_REQUESTS,
        )?;
        within("burst", self.burst as usize, MAX_REQUESTS)?;
        within("max_body", self.max_body, MAX_BODY)?;
        if self.body_timeout.is_zero() || self.body_timeout > MAX_BODY_TIMEOUT {
            return Err(InvalidLimit {
                setting: "body_timeout",
                range: format!("above zero and at most {MAX_BODY_TIMEOUT:?}"),
                value: format!("{:?}", self.body_timeout),
            });
        }
        Ok(())
    }
}

/// `value` is in `1..=max`.
pub(super) fn within(setting: &'static str, value: usize, max: usize) -> Result<(), InvalidLimit> {
    if (1..=max).contains(&value) {
        return Ok(());
    }
    Err(InvalidLimit {
        setting,
        range: format!("between 1 and {max}"),
        value: value.to_string(),
    })
}

/// A token bucket: `burst` tokens, refilled at `rate` per second; a request takes one.
#[derive(Debug)]
pub(super) struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(super) fn new(rate: u32, burst: u32, now: Instant) -> Self {
        TokenBucket {
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(1)),
            state: Mutex::new(Bucket {
                tokens: f64::from(burst.max(1)),
                updated: now,
            }),
        }
    }

    /// Takes a token at `now`; when there is none, how long until there is one.
    pub(super) fn take(&self, now: Instant) -> Result<(), Duration> {
        // A panic while holding the lock leaves a consistent bucket: carry on with it.
        let mut bucket = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.updated = bucket.updated.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
    }
}

/// `Retry-After` for a wait: whole seconds, rounded up, at least one.
pub(super) fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}
