//! When a failed delivery is tried again.

use std::time::Duration;

/// The longest delay a schedule may hold, and the longest wait an attempt may ask for
/// (`Retry-After`): longer waits are cut to it. It keeps every due time a few centuries
/// away from the limits of both backends' time types.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(365 * 24 * 3600);

/// The most delays a schedule may hold.
pub const MAX_RETRIES: usize = 1000;

/// A retry schedule that cannot be used: a delay or a jitter out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid retry schedule: {0}")]
pub struct InvalidRetrySchedule(String);

/// The delays between attempts, each varied by a random jitter; after the last delay's
/// attempt the delivery is dead. The default is Svix's: 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 10 h (8 attempts over about 27.6 hours), ±20%.
///
/// Its values are checked when it is built, so computing a delay never overflows.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
    jitter: f64,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        const MIN: u64 = 60;
        const HOUR: u64 = 3600;
        RetrySchedule {
            delays: [
                5,
                5 * MIN,
                30 * MIN,
                2 * HOUR,
                5 * HOUR,
                10 * HOUR,
                10 * HOUR,
            ]
            .map(Duration::from_secs)
            .to_vec(),
            jitter: 0.2,
        }
    }
}

impl RetrySchedule {
    /// A schedule of `delays` (the delay before the second attempt first), ±20%. At most
    /// [`MAX_RETRIES`] delays, each at most [`MAX_RETRY_DELAY`].
    pub fn new(delays: Vec<Duration>) -> Result<Self, InvalidRetrySchedule> {
        if delays.len() > MAX_RETRIES {
            return Err(InvalidRetrySchedule(format!(
                "{} delays; at most {MAX_RETRIES}",
                delays.len()
            )));
        }
        if let Some(long) = delays.iter().find(|d| **d > MAX_RETRY_DELAY) {
            return Err(InvalidRetrySchedule(format!(
                "a delay of {long:?}; at most {MAX_RETRY_DELAY:?} (a year)"
            )));
        }
        Ok(RetrySchedule {
            delays,
            jitter: 0.2,
        })
    }

    /// Sets the jitter, a fraction of each delay from 0 to 1.
    pub fn jitter(mut self, fraction: f64) -> Result<Self, InvalidRetrySchedule> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(InvalidRetrySchedule(format!(
                "a jitter of {fraction}; it is a fraction from 0 to 1"
            )));
        }
        self.jitter = fraction;
        Ok(self)
    }

    /// The delays, without jitter.
    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }

    /// How many attempts a delivery gets: the first, and one after each delay.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).map_or(u32::MAX, |n| n.saturating_add(1))
    }

    /// The delay after `attempts` attempts failed, jittered and at least `not_before`
    /// (cut to [`MAX_RETRY_DELAY`]); `None` when there is no attempt left.
    pub fn next_delay(&self, attempts: u32, not_before: Option<Duration>) -> Option<Duration> {
        let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
        let base = *self.delays.get(index)?;
        // A uniform factor in [1 - jitter, 1 + jitter]: at most twice a delay of a year.
        let unit = f64::from(random_u32()) / f64::from(u32::MAX);
        let factor = 1.0 + self.jitter * (2.0 * unit - 1.0);
        let delay = Duration::try_from_secs_f64(base.as_secs_f64() * factor).unwrap_or(base);
        let delay = not_before.map_or(delay, |floor| delay.max(floor));
        Some(delay.min(MAX_RETRY_DELAY))
    }
}

/// Randomness for jitter (not secret: a failure to get it only removes the jitter).
fn random_u32() -> u32 {
    getrandom::u32().unwrap_or(u32::MAX / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_svix_s() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.max_attempts(), 8);
        let total: u64 = schedule.delays().iter().map(Duration::as_secs).sum();
        assert_eq!(total, 99_305, "about 27.6 hours");
    }

    #[test]
    fn delays_vary_within_the_jitter_and_respect_not_before() {
        let schedule = RetrySchedule::default();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let delay = schedule.next_delay(2, None).expect("a third attempt");
            assert!(delay >= Duration::from_secs(240) && delay <= Duration::from_secs(360));
            seen.insert(delay);
        }
        assert!(seen.len() > 100, "jittered");
        let floor = Duration::from_secs(3600);
        assert_eq!(schedule.next_delay(1, Some(floor)), Some(floor));
        assert_eq!(schedule.next_delay(8, None), None, "no ninth attempt");
        assert_eq!(schedule.next_delay(0, None), None);
        let exact = RetrySchedule::new(vec![Duration::from_secs(10)])
            .and_then(|s| s.jitter(0.0))
            .expect("valid");
        assert_eq!(exact.next_delay(1, None), Some(Duration::from_secs(10)));
    }

    #[test]
    fn hostile_values_are_refused_when_built() {
        let one = || RetrySchedule::new(vec![Duration::from_secs(1)]).expect("valid");
        for jitter in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
            assert!(one().jitter(jitter).is_err(), "{jitter}");
        }
        assert!(RetrySchedule::new(vec![Duration::MAX]).is_err());
        assert!(RetrySchedule::new(vec![Duration::ZERO; MAX_RETRIES + 1]).is_err());
        let longest = RetrySchedule::new(vec![MAX_RETRY_DELAY])
            .and_then(|s| s.jitter(1.0))
            .expect("valid");
        for _ in 0..100 {
            let delay = longest.next_delay(1, Some(Duration::MAX)).expect("a delay");
            assert!(delay <= MAX_RETRY_DELAY);
        }
    }
}
