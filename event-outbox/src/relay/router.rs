//! `POST /analytics`: the relay check over HTTP (crate feature `relay-http`).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use event_runtime::TelemetryKey;

use super::{Relay, RelayError};
use crate::Outcome;
use crate::analytics_sink::AnalyticsSender;

/// The largest body accepted: client events are small.
const MAX_BODY: usize = 64 * 1024;

struct Shared {
    relay: Relay,
    analytics: Option<AnalyticsSender>,
    key: TelemetryKey,
}

/// A router with `POST /analytics`: a body the relay accepts is sent to analytics
/// (`204 No Content`; also when analytics is disabled, `analytics` being `None`, and then
/// nothing is sent); a body it refuses gets `400` and the error as JSON
/// (`{"code", "message", "violations"?, "suggestion"?}`); a backend that fails gets `502`.
pub fn router(relay: Relay, analytics: Option<AnalyticsSender>, key: TelemetryKey) -> Router {
    let shared = Arc::new(Shared {
        relay,
        analytics,
        key,
    });
    Router::new()
        .route("/analytics", post(relay_event))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

async fn relay_event(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let event = match shared.relay.accept(&body) {
        Ok(event) => event,
        Err(error) => return refused(&error),
    };
    let Some(analytics) = &shared.analytics else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let attempt = analytics.capture(&*event, &shared.key).await;
    match attempt.outcome {
        Outcome::Delivered => StatusCode::NO_CONTENT.into_response(),
        // The browser can do nothing about it; the backend's answer stays here.
        _ => json(
            StatusCode::BAD_GATEWAY,
            serde_json::json!({
                "code": "analytics_unavailable",
                "message": "the analytics backend did not take the event",
            }),
        ),
    }
}

fn refused(error: &RelayError) -> Response {
    json(StatusCode::BAD_REQUEST, error.to_json())
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
