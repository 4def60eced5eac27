//! `POST /analytics`: the relay check over HTTP (crate feature `relay-http`).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use event_runtime::TelemetryEvent;
use tokio::sync::Semaphore;

use super::destination::Destination;
use super::limits::{InvalidLimit, RelayLimits, TokenBucket, retry_after_seconds};
use super::{Relay, RelayError};

struct Shared {
    relay: Relay,
    destination: Destination,
    limits: RelayLimits,
    rate: TokenBucket,
    in_flight: Arc<Semaphore>,
}

/// A router with `POST /analytics`, within `limits` (checked here: an invalid limit is
/// an error now, not a refusal of every request later).
///
/// A body the relay accepts goes to `destination` and gets `204 No Content`; a body it
/// refuses gets `400` and the error as JSON (`{"code", "message", "violations"?,
/// "suggestion"?}`). Over the limits: `429` (rate) or `503` (requests in flight, a full
/// queue, a store that failed) with `Retry-After`; `413` for a body too large, `408` for
/// one too slow; always a JSON `{"code", "message"}`.
pub fn router(
    relay: Relay,
    destination: Destination,
    limits: RelayLimits,
) -> Result<Router, InvalidLimit> {
    limits.validate()?;
    let shared = Arc::new(Shared {
        relay,
        destination,
        rate: TokenBucket::new(limits.requests_per_second, limits.burst, Instant::now()),
        in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
        limits,
    });
    Ok(Router::new()
        .route("/analytics", post(relay_event))
        .layer(DefaultBodyLimit::max(shared.limits.max_body))
        .with_state(shared))
}

async fn relay_event(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    // The cheap checks first, before reading the body.
    if let Err(wait) = shared.rate.take(Instant::now()) {
        let seconds = retry_after_seconds(wait);
        return over_limit(StatusCode::TOO_MANY_REQUESTS, "rate_limited", seconds);
    }
    let Ok(_permit) = Arc::clone(&shared.in_flight).try_acquire_owned() else {
        return over_limit(StatusCode::SERVICE_UNAVAILABLE, "busy", 1);
    };
    let body = match read_body(request, &shared.limits).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
    match shared.relay.accept(&body) {
        Ok(event) => forward(&shared.destination, &*event).await,
        Err(error) => refused(&error),
    }
}

/// The body, within the size and time limits.
async fn read_body(request: Request, limits: &RelayLimits) -> Result<Bytes, Response> {
    let read = Bytes::from_request(request, &());
    match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)))) => {
            Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                &format!("the body is larger than {} bytes", limits.max_body),
            ))
        }
        Ok(Err(_)) => Err(error(
            StatusCode::BAD_REQUEST,
            "unreadable_body",
            "the body could not be read",
        )),
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "body_too_slow",
            &format!("the body took longer than {:?}", limits.body_timeout),
        )),
    }
}

/// Hands an accepted event to its destination.
async fn forward(destination: &Destination, event: &dyn TelemetryEvent) -> Response {
    match destination {
        Destination::Disabled => StatusCode::NO_CONTENT.into_response(),
        #[cfg(feature = "_store")]
        Destination::Outbox(store) => match record(store, event).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            // The store's error stays here: it says nothing a browser can act on.
            Err(_) => over_limit(StatusCode::SERVICE_UNAVAILABLE, "unavailable", 1),
        },
        Destination::Queue(queue) => match queue.push(event) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(_) => over_limit(StatusCode::SERVICE_UNAVAILABLE, "busy", 1),
        },
    }
}

/// Records `event` for the analytics subscriber in a transaction of its own.
#[cfg(feature = "_store")]
async fn record(
    store: &crate::store::Store,
    event: &dyn TelemetryEvent,
) -> Result<(), crate::store::StoreError> {
    let mut tx = store.begin().await?;
    tx.record_telemetry(&[event]).await?;
    tx.commit().await
}

fn refused(error: &RelayError) -> Response {
    json(StatusCode::BAD_REQUEST, error.to_json())
}

/// An answer to come back later: `Retry-After` in seconds.
fn over_limit(status: StatusCode, code: &str, retry_after: u64) -> Response {
    let message = match code {
        "rate_limited" => "too many requests: retry later",
        "unavailable" => "the event could not be recorded: retry later",
        _ => "the relay is busy: retry later",
    };
    let mut response = error(status, code, message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        serde_json::json!({ "code": code, "message": message }),
    )
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
