//! What one delivery attempt came to: what the webhook and analytics senders report, and
//! what the worker records in the attempt log and schedules the next attempt by.

use std::time::Duration;

/// One attempt to deliver a payload, as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// What it came to.
    pub outcome: Outcome,
    /// The HTTP status of the response; `None` when none arrived (recorded as 0).
    pub status: Option<u16>,
    /// How long the attempt took.
    pub duration: Duration,
    /// For the attempt log: the start of the response body (bounded) or the error.
    pub detail: String,
}

impl Attempt {
    /// An attempt that never left because the delivery cannot succeed as configured:
    /// refused (dead at once, redrivable after the fix), with why.
    pub fn refused(detail: impl Into<String>) -> Attempt {
        Attempt {
            outcome: Outcome::Refused,
            status: None,
            duration: Duration::ZERO,
            detail: detail.into(),
        }
    }
}

/// What an attempt came to, which decides what happens to the delivery next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver accepted it (2xx).
    Delivered,
    /// It failed and may succeed later: no response, a timeout, a redirect, or any other
    /// status than 2xx and 410.
    Retry {
        /// The earliest the next attempt may be: `Retry-After` (clamped) on 429/502/503/504,
        /// and at least 60 s after a timeout or a 429. `None` leaves it to the schedule.
        not_before: Option<Duration>,
    },
    /// 410 Gone: the endpoint is gone for good; disable it and stop retrying.
    Gone,
    /// It cannot succeed as configured (an address the SSRF policy refuses, an invalid
    /// URL): the delivery is dead at once, and can be redriven after the fix.
    Refused,
}
