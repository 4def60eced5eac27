//! What a response (or the lack of one) comes to: the [`Outcome`], and a bounded start
//! of the body for the attempt log.

use std::error::Error as _;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::RETRY_AFTER;

use super::retry_after;
use crate::{Attempt, Outcome};

/// The least wait after a timeout or a 429: a receiver that is slow or throttling needs
/// time, whatever it says.
pub(crate) const THROTTLE_FLOOR: Duration = Duration::from_secs(60);

/// What a sender is configured to accept from a response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most response-body bytes kept for the attempt log; reading stops there.
    pub max_body: usize,
    /// The longest `Retry-After` honoured; longer ones are cut to it.
    pub max_retry_after: Duration,
}

/// The attempt a request came to, reading at most `limits.max_body` bytes of the body.
pub(crate) async fn attempt(
    result: Result<reqwest::Response, reqwest::Error>,
    started: Instant,
    limits: Limits,
) -> Attempt {
    match result {
        Ok(response) => from_response(response, started, limits).await,
        Err(error) => from_error(error, started),
    }
}

/// An attempt that never left: the request cannot succeed as configured.
pub(crate) fn refused(started: Instant, detail: impl Into<String>) -> Attempt {
    Attempt {
        duration: started.elapsed(),
        ..Attempt::refused(detail)
    }
}

async fn from_response(
    mut response: reqwest::Response,
    started: Instant,
    limits: Limits,
) -> Attempt {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| retry_after::parse(value, SystemTime::now()));
    let mut detail = read_bounded(&mut response, limits.max_body).await;
    if response.status().is_redirection() {
        detail.insert_str(
            0,
            "redirects are not followed; point the webhook at the final URL. ",
        );
    }
    Attempt {
        outcome: outcome(status, retry_after, limits.max_retry_after),
        status: Some(status),
        duration: started.elapsed(),
        detail,
    }
}

/// The outcome of a response with `status` asking to wait `retry_after`.
pub(crate) fn outcome(status: u16, retry_after: Option<Duration>, max: Duration) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        410 => Outcome::Gone,
        429 => Outcome::Retry {
            not_before: Some(
                retry_after
                    .unwrap_or(Duration::ZERO)
                    .min(max)
                    .max(THROTTLE_FLOOR),
            ),
        },
        502..=504 => Outcome::Retry {
            not_before: retry_after.map(|wait| wait.min(max)),
        },
        _ => Outcome::Retry { not_before: None },
    }
}

/// The start of the body, as text: reads chunk by chunk and stops at `cap` bytes, so a
/// huge or endless body costs no more than that (the connection is dropped unread).
async fn read_bounded(response: &mut reqwest::Response, cap: usize) -> String {
    let mut body = Vec::new();
    let mut truncated = false;
    let mut failure = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) => {
                failure = Some(error_chain(error));
                break;
            }
        }
    }
    let mut text = String::from_utf8_lossy(&body).into_owned();
    if truncated {
        text.push('…');
    }
    if let Some(failure) = failure {
        text.push_str(&format!(" (reading the body failed: {failure})"));
    }
    text
}

fn from_error(error: reqwest::Error, started: Instant) -> Attempt {
    let outcome = if error.is_timeout() {
        Outcome::Retry {
            not_before: Some(THROTTLE_FLOOR),
        }
    } else if error.is_builder() {
        Outcome::Refused
    } else {
        Outcome::Retry { not_before: None }
    };
    Attempt {
        outcome,
        status: None,
        duration: started.elapsed(),
        detail: error_chain(error),
    }
}

/// The `E` among the causes of `error`, if any (e.g. the resolver's refusal of an
/// address, which the caller turns into a refused attempt).
pub(crate) fn find_cause<E: std::error::Error + 'static>(error: &reqwest::Error) -> Option<&E> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// The error and its causes, without the URL: webhook URLs often carry a token.
pub(crate) fn error_chain(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_outcomes() {
        let max = Duration::from_secs(3600);
        let secs = |s| Some(Duration::from_secs(s));
        let retry = |not_before| Outcome::Retry { not_before };
        let cases = [
            (200, None, Outcome::Delivered),
            (204, secs(10), Outcome::Delivered),
            (299, None, Outcome::Delivered),
            (301, None, retry(None)),
            (302, None, retry(None)),
            (400, None, retry(None)),
            (404, None, retry(None)),
            (410, secs(10), Outcome::Gone),
            (429, None, retry(secs(60))),
            (429, secs(5), retry(secs(60))),
            (429, secs(120), retry(secs(120))),
            (429, secs(99_999), retry(secs(3600))),
            (500, secs(30), retry(None)),
            (502, None, retry(None)),
            (502, secs(30), retry(secs(30))),
            (503, secs(99_999), retry(secs(3600))),
            (504, secs(0), retry(secs(0))),
        ];
        for (status, retry_after, expected) in cases {
            assert_eq!(
                outcome(status, retry_after, max),
                expected,
                "{status} {retry_after:?}"
            );
        }
        // The floor after a 429 wins over a smaller maximum.
        assert_eq!(
            outcome(429, secs(600), Duration::from_secs(30)),
            retry(secs(60))
        );
    }
}
