//! The API's errors: a status, a stable code and a message, as
//! `{"error": {"code": "...", "message": "..."}}`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

/// Every error code, its status and what it means: the router answers with these only,
/// and the OpenAPI document lists them.
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    ("invalid_json", 400, "the body is not JSON"),
    (
        "invalid_body",
        400,
        "the JSON body is not what the route takes: a missing or unknown field, a wrong type",
    ),
    ("invalid_id", 400, "an id in the path is not a UUID"),
    (
        "invalid_query",
        400,
        "a query parameter is missing, repeated or invalid",
    ),
    ("not_found", 404, "no such webhook, or no such route"),
    (
        "method_not_allowed",
        405,
        "the route does not take this method",
    ),
    ("body_too_large", 413, "the body is larger than the limit"),
    (
        "unsupported_media_type",
        415,
        "a body was sent without `Content-Type: application/json`",
    ),
    ("invalid_name", 422, "the webhook name is empty"),
    (
        "invalid_url",
        422,
        "the URL is not an http:// or https:// URL, or holds credentials",
    ),
    (
        "invalid_content_type",
        422,
        "the content type is not one of json, form, slack, discord, teams",
    ),
    (
        "invalid_tls",
        422,
        "the TLS settings cannot be used (a CA PEM that is not certificates, a CA with verification off)",
    ),
    (
        "unknown_event_type",
        422,
        "the event type is not a stored type of the catalog (the message names the closest)",
    ),
    (
        "unknown_scope_key",
        422,
        "a scope key is not one the event type carries (the message names the closest)",
    ),
    (
        "invalid_request",
        422,
        "the request cannot be honoured as made",
    ),
    (
        "secret_unreadable",
        500,
        "the webhook's stored secret cannot be decrypted with the configured keys",
    ),
    (
        "internal",
        500,
        "the store failed (logged; details are not returned)",
    ),
    (
        "ping_unavailable",
        501,
        "the router was built without a webhook sender, so it cannot ping",
    ),
    (
        "no_catalog",
        503,
        "the store has no catalog (`StoreConfig::catalog`), so it cannot list event types",
    ),
];

/// An error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        debug_assert!(ERROR_CODES.iter().any(|(c, _, _)| *c == code), "{code}");
        ApiError {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(what: impl std::fmt::Display) -> Self {
        ApiError::new("not_found", format!("no {what}"))
    }

    fn status(&self) -> StatusCode {
        ERROR_CODES
            .iter()
            .find(|(code, _, _)| *code == self.code)
            .and_then(|(_, status, _)| StatusCode::from_u16(*status).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NoSubscriber(uuid) => ApiError::not_found(format!("webhook {uuid}")),
            // The store's own configuration, not the request: the operator's to fix.
            StoreError::Invalid {
                what: what @ ("webhook secret" | "store configuration"),
                message,
            } => {
                tracing::error!(what, %message, "subscriber API: the store refused its own configuration");
                ApiError::new("internal", "the store failed: see the server's log")
            }
            StoreError::Invalid { what, message } => {
                let code = match what {
                    "webhook URL" => "invalid_url",
                    "webhook TLS settings" => "invalid_tls",
                    "event type" => "unknown_event_type",
                    "scope key" => "unknown_scope_key",
                    _ => "invalid_request",
                };
                ApiError::new(code, format!("invalid {what}: {message}"))
            }
            other => {
                tracing::error!(error = %other, "subscriber API: the store failed");
                ApiError::new("internal", "the store failed: see the server's log")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code, "message": self.message }
        });
        json(self.status(), &body)
    }
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
